"""The module store: every enabled module's state, kept in the beacon state (so in its root and its snapshots).

A chain enables modules at genesis (``ModuleStore(pool=..., liquid=...)``); a module that is not enabled refuses
its messages. :data:`MODULES` is the registry block processing dispatches through: each entry names the module,
its message types, its pure handler dispatch, its epoch hook and its invariants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from stakework.modules import liquid, pool
from stakework.modules.errors import ModuleError
from stakework.modules.host import ModuleHost
from stakework.modules.liquid import epoch as liquid_epoch
from stakework.modules.liquid import handlers as liquid_handlers
from stakework.modules.liquid import invariants as liquid_invariants
from stakework.modules.liquid.messages import LiquidMessage
from stakework.modules.liquid.state import LiquidState
from stakework.modules.pool import epoch as pool_epoch
from stakework.modules.pool import handlers as pool_handlers
from stakework.modules.pool import invariants as pool_invariants
from stakework.modules.pool.messages import PoolMessage
from stakework.modules.pool.state import PoolModuleState

ModuleMessage = PoolMessage | LiquidMessage
"""Every module transaction kind (a tagged union: ``"type": "pool.deposit"`` etc. on the wire)."""


class ModuleNotEnabled(ModuleError):
    """The chain was started without the module the message is for."""


class ModuleStoreError(ModuleError):
    """Stored module state that cannot be read (a corrupted snapshot)."""


class ModuleStore(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The state of every module this chain runs (None: not enabled)."""

    pool: PoolModuleState | None = None
    liquid: LiquidState | None = None
    withdrawn: dict[bytes, int] = msgspec.field(default_factory=dict)
    """Validator pubkey -> SWK the withdrawal sweep paid from it into a module's account and the module has not
    taken yet (``ModuleHost.take_withdrawals``): the chain's record of what landed, so a module never guesses."""

    def is_empty(self) -> bool:
        return self.pool is None and self.liquid is None

    def copy(self) -> ModuleStore:
        """A deep copy (nothing shared)."""
        return self if self.is_empty() else decode_store(encode_store(self))

    def enabled(self) -> list[str]:
        return [m.name for m in MODULES if m.get(self) is not None]


def encode_store(store: ModuleStore) -> bytes:
    """The store as msgpack (snapshots)."""
    return msgspec.msgpack.encode(store)


def decode_store(raw: bytes) -> ModuleStore:
    try:
        return msgspec.msgpack.decode(raw, type=ModuleStore)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ModuleStoreError(f"unreadable module state: {exc}") from None


def _canonical(obj: Any) -> Any:
    # A struct (str keys: field names) has values of every type: each is looked at. A mapping's values (and a
    # list's items) share one type, so the first says whether to descend: the large mappings (share balances,
    # bytes -> int) are sorted without a Python call per entry.
    if isinstance(obj, dict):
        items = sorted(obj.items())
        if items and isinstance(items[0][0], str):
            return [(k, _canonical(v)) for k, v in items]
        if items and isinstance(items[0][1], dict | list):
            return [(k, _canonical(v)) for k, v in items]
        return items
    if isinstance(obj, list):
        if obj and isinstance(obj[0], dict | list):
            return [_canonical(x) for x in obj]
        return obj
    return obj


def canonical_store_bytes(store: ModuleStore) -> bytes:
    """What the state root hashes: the store with every mapping sorted by key, so the root never depends on the
    order entries were inserted (two nodes that reach the same content by different paths agree)."""
    return msgspec.msgpack.encode(_canonical(msgspec.to_builtins(store, builtin_types=(bytes,))))


@dataclass(frozen=True)
class ModuleDef:
    """One registered module: what block processing and the epoch hook need to know about it."""

    name: str
    messages: tuple[type[Any], ...]
    get: Callable[[ModuleStore], Any]
    dispatch: Callable[[Any, ModuleHost, bytes, Any], None]
    on_epoch: Callable[[Any, ModuleHost], None]
    check: Callable[[Any, ModuleHost], list[str]]


MODULES: tuple[ModuleDef, ...] = (
    ModuleDef(
        name=pool.MODULE,
        messages=tuple(pool_handlers.HANDLERS),
        get=lambda store: store.pool,
        dispatch=pool_handlers.dispatch,
        on_epoch=pool_epoch.on_epoch,
        check=pool_invariants.check,
    ),
    ModuleDef(
        name=liquid.MODULE,
        messages=tuple(liquid_handlers.HANDLERS),
        get=lambda store: store.liquid,
        dispatch=liquid_handlers.dispatch,
        on_epoch=liquid_epoch.on_epoch,
        check=liquid_invariants.check,
    ),
)
"""Every module, in the order their epoch hooks run."""

_BY_MESSAGE: dict[type[Any], ModuleDef] = {t: m for m in MODULES for t in m.messages}


def is_module_message(payload: object) -> bool:
    return type(payload) in _BY_MESSAGE


def message_module(payload: object) -> str:
    """The name of the module a message is for."""
    return _BY_MESSAGE[type(payload)].name


def dispatch_message(store: ModuleStore, host: ModuleHost, sender: bytes, msg: ModuleMessage) -> None:
    """Run ``msg``'s handler on its module's state. Raises (changing nothing) when the module refuses it or is not
    enabled on this chain."""
    module = _BY_MESSAGE[type(msg)]
    state = module.get(store)
    if state is None:
        raise ModuleNotEnabled(f"the {module.name} module is not enabled on this chain")
    module.dispatch(state, host, sender, msg)


def run_epoch_hooks(store: ModuleStore, host: ModuleHost) -> None:
    """Every enabled module's ``on_epoch``, in registry order."""
    for module in MODULES:
        state = module.get(store)
        if state is not None:
            module.on_epoch(state, host)


def check_invariants(store: ModuleStore, host: ModuleHost) -> list[str]:
    """Every enabled module's invariant violations, each prefixed by the module's name."""
    problems: list[str] = []
    for module in MODULES:
        state = module.get(store)
        if state is not None:
            problems += [f"{module.name}: {p}" for p in module.check(state, host)]
    return problems
