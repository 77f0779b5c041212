"""The module store: every enabled module's state, kept in the beacon state (so in its root and its snapshots).

A chain enables modules at genesis (``ModuleStore({"pool": ..., "liquid": ...})``); a module that is not enabled
refuses its messages. The store is generic: it holds one state per module name, and reads what each name's state
is (its type, handlers, epoch hook, invariants) from the registry (:mod:`stakework.modules.registry`).

Encodings (unchanged since the store had one typed field per module, so old roots and snapshot files stay valid):

- snapshot (:func:`encode_store`): a msgpack map of module name -> state, in registration order, then
  ``"withdrawn"`` when it is not empty; an enabled module's state is its ``msgspec`` struct encoding;
- canonical (:func:`canonical_store_bytes`, and per part :func:`canonical_part_bytes`): the same mapping as state
  builtins with every mapping sorted by key, msgpack-encoded;
- committed (what the state root hashes, one part at a time: :func:`part_summary`, :func:`canonical_summary_bytes`):
  a part's canonical form with each holder table (every per-holder integer map a struct names in
  ``holder_tables``: a share ledger's ``shares``, lending's ``supply``/``debt``, governance's ``balances``, a safety
  vault's ``user_index``...; :class:`~stakework.modules.shares.HolderTables`) replaced by the root of its own
  bucketed tree (``state/commitment.py: ShareTree``), so a block that writes one holder re-hashes that holder's
  bucket, not the map; likewise each record table (a per-holder map of immutable records a struct names in
  ``record_tables``: governance's ``checkpoints``, ``delegates`` and a proposal's ``receipts``, lending's ``users``).
  The snapshot and canonical encodings do not change with it: only the root.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import msgspec.inspect as mi

from stakework.modules import registry
from stakework.modules.errors import ModuleError
from stakework.modules.host import ModuleHost
from stakework.modules.shares import HolderTables, RecordMap, ShareMap, immutable_type

WITHDRAWN = "withdrawn"


class ModuleNotEnabled(ModuleError):
    """The chain was started without the module the message is for."""


class ModuleStoreError(ModuleError):
    """Stored module state that cannot be read (a corrupted snapshot, or a module this node does not have)."""


class ModuleStore:
    """The state of every module this chain runs, by module name (a module absent: not enabled).

    ``store.get("pool")`` (or ``store.pool``, for a registered module's name) is the module's state, or None."""

    __slots__ = ("states", "withdrawn")

    def __init__(self, states: Mapping[str, Any] | None = None, *, withdrawn: dict[bytes, int] | None = None) -> None:
        self.states: dict[str, Any] = {}
        for name, state in (states or {}).items():
            self.enable(name, state)
        self.withdrawn: dict[bytes, int] = {} if withdrawn is None else withdrawn
        """Validator pubkey -> SWK the withdrawal sweep paid from it into a module's account and the module has
        not taken yet (``ModuleHost.take_withdrawals``): the chain's record of what landed, so a module never
        guesses."""

    def enable(self, name: str, state: Any) -> None:
        """Run module ``name`` with ``state`` (its definition's state type)."""
        module = registry.get(name)
        if module is None:
            raise ModuleStoreError(f"no module named {name!r} is registered (known: {', '.join(registry.names())})")
        if not isinstance(state, module.state_type):
            raise ModuleStoreError(
                f"module {name}: its state is a {module.state_type.__name__}, got {type(state).__name__}"
            )
        self.states[name] = state

    def get(self, name: str) -> Any | None:
        """Module ``name``'s state; None when the module is not enabled on this chain."""
        return self.states.get(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when ordinary lookup fails: a registered module's name reads its state (None: not enabled).
        if not name.startswith("_") and name not in ModuleStore.__slots__ and registry.get(name) is not None:
            return self.states.get(name)
        raise AttributeError(f"ModuleStore has no attribute {name!r} (and no module of that name is registered)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleStore):
            return NotImplemented
        return self.states == other.states and self.withdrawn == other.withdrawn

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ModuleStore(enabled={self.enabled()}, withdrawn={len(self.withdrawn)})"

    def is_empty(self) -> bool:
        return not self.states

    def copy(self) -> ModuleStore:
        """A deep copy (nothing mutable shared): what a snapshot round trip gives, but a holder table is copied as
        a dict (C speed), not encoded and decoded holder by holder (`_copy_state`)."""
        if self.is_empty() and not self.withdrawn:
            return self
        return ModuleStore(
            {name: _copy_state(self.states[name], type(self.states[name])) for name in self.enabled()},
            withdrawn=dict(self.withdrawn),
        )

    def enabled(self) -> list[str]:
        """The enabled modules' names, in registry order."""
        return [m.name for m in registry.modules() if m.name in self.states]


def _mapping(store: ModuleStore) -> dict[str, Any]:
    """The store as it is encoded: module name -> state in registry order, then ``withdrawn`` unless empty."""
    out: dict[str, Any] = {name: store.states[name] for name in store.enabled()}
    if store.withdrawn:
        out[WITHDRAWN] = store.withdrawn
    return out


def encode_store(store: ModuleStore) -> bytes:
    """The store as msgpack (snapshots)."""
    return msgspec.msgpack.encode(_mapping(store))


def _decode_as(name: str, value: Any, read: Any) -> Any:
    if name == WITHDRAWN:
        return read(value, dict[bytes, int])
    module = registry.get(name)
    if module is None:
        raise ModuleStoreError(
            f"the stored state holds a module named {name!r}, which this stakework does not have (it has: "
            f"{', '.join(registry.names())}); open it with the stakework version that wrote it"
        )
    return read(value, module.state_type)


def _build(parts: dict[str, Any]) -> ModuleStore:
    withdrawn = parts.pop(WITHDRAWN, None)
    return ModuleStore({k: v for k, v in parts.items() if v is not None}, withdrawn=withdrawn)


def decode_store(raw: bytes) -> ModuleStore:
    """The store from :func:`encode_store`'s bytes; a ModuleStoreError names what cannot be read."""
    try:
        parts = msgspec.msgpack.decode(raw, type=dict[str, msgspec.Raw])
        return _build(
            {
                name: _decode_as(name, value, lambda v, t: msgspec.msgpack.decode(v, type=t | None))
                for name, value in parts.items()
            }
        )
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ModuleStoreError(f"unreadable module state: {exc}") from None
    except RecursionError:
        raise ModuleStoreError("unreadable module state: nested too deep") from None


def store_to_builtins(store: ModuleStore) -> dict[str, Any]:
    """The store as JSON-able builtins (JSON snapshots: bytes as base64)."""
    out: dict[str, Any] = msgspec.to_builtins(_mapping(store))
    return out


def store_from_builtins(obj: Any) -> ModuleStore:
    """The store from :func:`store_to_builtins`' output; a ModuleStoreError names what cannot be read."""
    try:
        parts = msgspec.convert(obj, dict[str, Any])
        return _build(
            {
                name: _decode_as(name, value, lambda v, t: msgspec.convert(v, t | None, strict=False))
                for name, value in parts.items()
            }
        )
    except msgspec.ValidationError as exc:
        raise ModuleStoreError(f"unreadable module state: {exc}") from None


def _canonical(obj: Any) -> Any:
    # A struct (str keys: field names) has values of every type: each is looked at. A mapping's values (and a
    # list's items) share one type, so the first says whether to descend: the large mappings (share balances,
    # bytes -> int) are sorted without a Python call per entry. The keys alone are sorted (a dict's keys are
    # distinct, so the order is that of the items; sorting the items would build and compare a million tuples).
    if isinstance(obj, dict):
        keys = sorted(obj)
        if keys and (isinstance(keys[0], str) or isinstance(obj[keys[0]], dict | list)):
            return [(k, _canonical(obj[k])) for k in keys]
        return [(k, obj[k]) for k in keys]
    if isinstance(obj, list):
        if obj and isinstance(obj[0], dict | list):
            return [_canonical(x) for x in obj]
        return obj
    return obj


def canonical_store_bytes(store: ModuleStore) -> bytes:
    """The whole store with every mapping sorted by key, msgpack-encoded: the store's canonical form (the state
    root commits to it part by part: :func:`store_parts`, :func:`canonical_part_bytes`)."""
    return msgspec.msgpack.encode(_canonical(msgspec.to_builtins(_mapping(store), builtin_types=(bytes,))))


def store_parts(store: ModuleStore) -> list[tuple[str, Any]]:
    """The parts the state root commits to one by one: each enabled module's state in registry order, then
    ``withdrawn`` unless it is empty (the mapping :func:`encode_store` writes)."""
    return list(_mapping(store).items())


def canonical_part_bytes(value: Any) -> bytes:
    """One part's canonical bytes: its state as builtins (bytes kept) with every mapping sorted by key,
    msgpack-encoded, so they never depend on the order entries were inserted (two nodes that reach the same content
    by different paths agree)."""
    return msgspec.msgpack.encode(_canonical(msgspec.to_builtins(value, builtin_types=(bytes, bytearray, memoryview))))


_BYTES_KEPT = (bytes, bytearray, memoryview)

_PLAIN, _WALK, _TABLE, _RECORDS = 0, 1, 2, 3
"""How a field of a struct that can hold holder tables is committed: converted whole (it holds none), walked (it
can hold some), or replaced by its table's root (it is one: an integer table, or a record table)."""


def _declares_tables(cls: type) -> bool:
    return issubclass(cls, HolderTables) and bool(cls.holder_tables or cls.record_tables)


def _holds_tables(t: mi.Type, seen: frozenset[type]) -> bool:
    """Whether a value of type `t` can hold a holder table (a struct declaring some, anywhere inside)."""
    if isinstance(t, mi.StructType):
        if _declares_tables(t.cls):
            return True
        if t.cls in seen:
            return False
        return any(_holds_tables(f.type, seen | {t.cls}) for f in t.fields)
    if isinstance(t, mi.DictType):
        return _holds_tables(t.key_type, seen) or _holds_tables(t.value_type, seen)
    if isinstance(t, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        return _holds_tables(t.item_type, seen)
    if isinstance(t, mi.TupleType):
        return any(_holds_tables(i, seen) for i in t.item_types)
    if isinstance(t, mi.UnionType):
        return any(_holds_tables(i, seen) for i in t.types)
    return False


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, int], ...] | None:
    """For a struct type that can hold holder tables: its fields (name, encoded name, `_PLAIN`/`_WALK`/`_TABLE`);
    None when it cannot (the struct is then converted whole, at C speed). Raises TypeError for a struct that
    declares a holder table the commitment cannot take (an integer table that is not ``dict[bytes, int]``, a record
    table that is not ``dict[bytes, T]`` with ``T`` immutable all the way down), or whose builtins are not a mapping
    of its fields."""
    info = mi.type_info(cls)
    if not isinstance(info, mi.StructType) or not _holds_tables(info, frozenset()):
        return None
    if info.array_like or (issubclass(cls, msgspec.Struct) and cls.__struct_config__.omit_defaults):
        raise TypeError(f"{cls.__name__} holds holder tables: it cannot be array_like or omit defaults")
    tables = set(cls.holder_tables) if issubclass(cls, HolderTables) else set()
    records = set(cls.record_tables) if issubclass(cls, HolderTables) else set()
    fields = {f.name: f for f in info.fields}
    kinds: tuple[tuple[set[str], Callable[[Any], bool], str, str], ...] = (
        (
            records,
            immutable_type,
            "record_tables",
            "dict[bytes, T] field with T immutable (a tuple, a frozen struct, bytes...)",
        ),
        (tables, lambda t: isinstance(t, mi.IntType), "holder_tables", "dict[bytes, int] field"),
    )
    for names, value_ok, declared_in, expected in kinds:
        for name in names:
            f = fields.get(name)
            if (
                f is None
                or not isinstance(f.type, mi.DictType)
                or not isinstance(f.type.key_type, mi.BytesType)
                or not value_ok(f.type.value_type)
            ):
                raise TypeError(f"{cls.__name__}.{declared_in} names {name!r}, which is no {expected}")
    return tuple(
        (
            f.name,
            f.encode_name,
            _TABLE
            if f.name in tables
            else _RECORDS
            if f.name in records
            else _WALK
            if _holds_tables(f.type, frozenset({cls}))
            else _PLAIN,
        )
        for f in info.fields
    )


def part_summary(value: Any, table_root: Callable[[dict[bytes, Any], bool], bytes]) -> Any:
    """The part as builtins (bytes kept) with each holder table (every field a struct names in its
    ``holder_tables``: a share ledger's ``shares``, lending's ``supply``/``debt``, ...; or in its ``record_tables``:
    governance's ``checkpoints``, lending's ``users``...; :class:`HolderTables`) replaced by ``table_root(table,
    records)`` (``records``: a record table): what the state root commits to, the holder tables through their own
    trees. Only the fields that can hold a table are walked in Python; the rest are converted whole by msgspec."""
    if isinstance(value, msgspec.Struct):
        plan = _plan(type(value))
        if plan is None:
            return msgspec.to_builtins(value, builtin_types=_BYTES_KEPT)
        config = value.__struct_config__
        fields: dict[Any, Any] = {} if config.tag is None else {config.tag_field: config.tag}
        for name, key, kind in plan:
            item = getattr(value, name)
            if kind in (_TABLE, _RECORDS):
                fields[key] = table_root(item, kind == _RECORDS)
            elif kind == _WALK:
                fields[key] = part_summary(item, table_root)
            else:
                fields[key] = msgspec.to_builtins(item, builtin_types=_BYTES_KEPT)
        return fields
    if isinstance(value, dict):
        return {
            msgspec.to_builtins(k, builtin_types=_BYTES_KEPT): part_summary(v, table_root) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [part_summary(item, table_root) for item in value]
    return msgspec.to_builtins(value, builtin_types=_BYTES_KEPT)


def _copy_through_msgpack(value: Any, annotation: Any) -> Any:
    return msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=annotation)


def _copy_state(value: Any, annotation: Any) -> Any:
    """A deep copy of `value` (declared as `annotation`): what holds no holder table goes through msgpack and back
    as its declared type (as a snapshot would); a holder table is copied whole into a new ShareMap (a RecordMap for
    a record table; holders and values are immutable: shared)."""
    if isinstance(value, msgspec.Struct):
        plan = _plan(type(value))
        if plan is None:
            return _copy_through_msgpack(value, type(value))
        kinds = {name: kind for name, _, kind in plan}
        copied: dict[str, Any] = {}
        for f in msgspec.structs.fields(type(value)):
            item, kind = getattr(value, f.name), kinds[f.name]
            if kind == _TABLE:
                copied[f.name] = ShareMap(item)
            elif kind == _RECORDS:
                copied[f.name] = RecordMap(item)
            elif kind == _WALK:
                copied[f.name] = _copy_state(item, f.type)
            else:
                copied[f.name] = _copy_through_msgpack(item, f.type)
        return msgspec.structs.replace(value, **copied)
    args = typing.get_args(annotation)
    if isinstance(value, dict) and len(args) == 2:
        return {k: _copy_state(v, args[1]) for k, v in value.items()}
    if isinstance(value, list) and len(args) == 1:
        return [_copy_state(v, args[0]) for v in value]
    return _copy_through_msgpack(value, annotation)


def share_tables(value: Any) -> list[dict[bytes, Any]]:
    """Every holder table in the part (integer and record tables), in the order :func:`part_summary` meets them (a
    copy of the part lists its own tables in the same order: the commitment pairs them up)."""
    out: list[dict[bytes, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, msgspec.Struct):
            for name, _, kind in _plan(type(item)) or ():
                if kind in (_TABLE, _RECORDS):
                    out.append(getattr(item, name))
                elif kind == _WALK:
                    walk(getattr(item, name))
        elif isinstance(item, dict):
            for v in item.values():
                walk(v)
        elif isinstance(item, list | tuple):
            for v in item:
                walk(v)

    walk(value)
    return out


def canonical_summary_bytes(summary: Any) -> bytes:
    """A part summary's canonical bytes (every mapping sorted by key, msgpack-encoded): its root is their
    SHA-256."""
    return msgspec.msgpack.encode(_canonical(summary))


def record_bytes(value: Any) -> bytes:
    """A record table's value as its bucket entry holds it: its builtins (bytes kept) with every mapping sorted by
    key, msgpack-encoded (what :func:`canonical_summary_bytes` makes of it; a tuple encodes as a list would)."""
    return msgspec.msgpack.encode(_canonical(msgspec.to_builtins(value, builtin_types=_BYTES_KEPT)))


def _module_for(message: object) -> registry.ModuleDef:
    module = registry.for_message(message)
    if module is None:
        raise ModuleError(f"{type(message).__name__} is no registered module's message")
    return module


def dispatch_message(store: ModuleStore, host: ModuleHost, sender: bytes, msg: Any) -> None:
    """Run ``msg``'s handler on its module's state. Raises (changing nothing) when the module refuses it or is not
    enabled on this chain."""
    module = _module_for(msg)
    state = store.get(module.name)
    if state is None:
        raise ModuleNotEnabled(f"the {module.name} module is not enabled on this chain")
    module.dispatch(state, host, sender, msg)


def run_epoch_hooks(store: ModuleStore, host: ModuleHost) -> None:
    """Every enabled module's ``on_epoch``, in registry order."""
    for module in registry.modules():
        state = store.get(module.name)
        if state is not None:
            module.on_epoch(state, host)


def check_invariants(store: ModuleStore, host: ModuleHost) -> list[str]:
    """Every enabled module's invariant violations, each prefixed by the module's name."""
    problems: list[str] = []
    for module in registry.modules():
        state = store.get(module.name)
        if state is not None:
            problems += [f"{module.name}: {p}" for p in module.invariants(state, host)]
    return problems
