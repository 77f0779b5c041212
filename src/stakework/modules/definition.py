"""What a module declares about itself, once (Rules of the house: "One definition per module").

A module is a package under ``stakework/modules/`` (pure: it imports only ``stakework.spec`` and its siblings in
``stakework.modules``) plus one :class:`ModuleDef` that says everything the rest of the chain needs to know about
it: its state type, its message types, its handlers, its epoch hook, its invariants, its genesis, its fees and
limits, its queries, its governable parameters, and where its API router and CLI sub-app live. The core (block
processing, fees, the state root, snapshots, the API, the CLI) reads the definition through
:mod:`stakework.modules.registry` and never names a module.

The edges (API router, CLI sub-app) sit in higher layers than ``modules/``, so the definition names them by import
string (``"stakework.api.modules.pool:router"``) and the edge resolves it with ``importlib`` when it mounts it: a
string does not break the layer rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import msgspec

from stakework.modules.errors import ModuleError
from stakework.modules.host import ModuleHost
from stakework.spec.presets import Preset

NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""A module's name: lower case, starts with a letter, at most 32 characters (it prefixes its message tags)."""
RESERVED_NAMES = frozenset({"withdrawn", "chain", "states"})
"""Names the store or governance use for themselves."""


class RegistryError(ModuleError):
    """A module definition that cannot be registered (bad name, a tag clash, registered too late)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One governable integer parameter of a module: a field of the module's state called ``name``, which
    governance may set within ``minimum..maximum`` (inclusive; a flag is 0..1)."""

    name: str
    minimum: int
    maximum: int
    doc: str
    """What it does and its unit (epochs, basis points, Gwei)."""

    def allows(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum


def no_keys(message: Any) -> int:
    """The default ``keys``: the message submits no validator key."""
    return 0


def spends_nothing(message: Any) -> int:
    """The default ``spends``: the message takes no SWK from the sender's account beyond its fee."""
    return 0


def base_fee(preset: Preset, keys: int) -> int:
    """The least fee of any module message submitting ``keys`` validator keys: ``MODULE_MIN_FEE`` plus
    ``MODULE_KEY_FEE`` per key (the preset's values).

    [Differs from Electra: stakework's anti-spam pricing of module work; Ethereum prices it with gas.]"""
    return preset.MODULE_MIN_FEE + preset.MODULE_KEY_FEE * keys


ServiceFactory = Callable[[Any, ModuleHost], object]
"""Builds a host service from the providing module's state and the chain's host (one block's or one epoch's)."""


@dataclass(frozen=True, kw_only=True)
class ModuleDef:
    """Everything about one module that the chain, the node, the API and the CLI read.

    Required: ``name``, ``state_type`` (a ``msgspec.Struct``: it is encoded into snapshots and hashed into the state
    root), ``messages`` (tagged ``msgspec.Struct`` types, each tag ``"<name>.<kind>"``), ``dispatch(state, host,
    sender, message)`` (raises a StakeworkError and changes nothing to refuse), ``on_epoch(state, host)``,
    ``invariants(state, host) -> list of problems`` and ``genesis(preset, admin) -> state`` (the module's state on a
    new devnet whose admin account is ``admin``)."""

    name: str
    state_type: type[Any]
    messages: tuple[type[Any], ...]
    dispatch: Callable[[Any, ModuleHost, bytes, Any], None]
    on_epoch: Callable[[Any, ModuleHost], None]
    invariants: Callable[[Any, ModuleHost], list[str]]
    genesis: Callable[[Preset, bytes], Any]
    keys: Callable[[Any], int] = no_keys
    """How many validator keys a message submits (each a BLS check): priced by ``MODULE_KEY_FEE`` and counted
    against ``MAX_MODULE_KEYS_PER_BLOCK``."""
    fee: Callable[[Preset, Any], int] | None = None
    """The least fee (Gwei) of a message; None: :func:`base_fee` of its keys. A module adds its per-kind extras
    here, read from the preset (the pool adds ``POOL_REGISTRATION_FEE`` to ``pool.register``)."""
    spends: Callable[[Any], int] = spends_nothing
    """SWK (Gwei) a message takes from the sender's account besides its fee (the mempool's budget per sender)."""
    queries: ModuleType | None = None
    """The module's read-only views (its ``queries.py``), for its API router, its CLI and tools."""
    summary: Callable[[Any], dict[str, int]] | None = None
    """A few figures for ``stakework status`` (integers; amounts in Gwei)."""
    describe: Callable[[dict[str, int]], str] | None = None
    """One line of text for ``stakework status`` from ``summary``'s figures."""
    params: tuple[Param, ...] = ()
    """Governable parameters, with their bounds."""
    read_param: Callable[[Any, str], int] | None = None
    """The value of governable parameter ``name`` in the module's state; None: the state's field ``name``."""
    write_param: Callable[[Any, str, int], None] | None = None
    """Set governable parameter ``name`` (a value within its bounds) in the module's state; None: set the state's
    field ``name``."""
    api_router: str | None = None
    """``"package.module:attribute"`` of a FastAPI ``APIRouter`` the API mounts (None: no routes of its own)."""
    cli_app: str | None = None
    """``"package.module:attribute"`` of a Typer app the CLI mounts as ``stakework <name>`` (None: no commands)."""
    tag_prefix: str = ""
    """The prefix of its message tags when it is not the module's name (governance's ``gov.``); unique across
    modules, so two modules' messages never share a tag."""
    web_page: str | None = None
    """``"package.module:attribute"`` of the module's web page object (None: ``stakework.web.modules.<name>:PAGE``
    by convention, or no page)."""
    settings_only: bool = False
    """A module of governable settings alone (the chain's fees): it may declare no message type."""
    services: Mapping[str, ServiceFactory] = field(default_factory=dict, hash=False, compare=False)
    """The host services this module provides to other modules, by the name the host offers them under
    (``host.<name>``, the attribute a consuming module's Protocol reads): each factory builds the service from this
    module's state and the host. The chain's host builds them from the registry, only while this module is enabled
    (Rules of the house: modules depend on each other through small Protocols; the core never names a module)."""

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or self.name in RESERVED_NAMES:
            raise RegistryError(
                f"module name {self.name!r}: use 1-32 lower-case letters, digits or '_' starting with a letter, "
                f"and none of {sorted(RESERVED_NAMES)}"
            )
        if not (isinstance(self.state_type, type) and issubclass(self.state_type, msgspec.Struct)):
            raise RegistryError(f"module {self.name}: state_type must be a msgspec.Struct type")
        if not self.messages and not (self.settings_only and self.params):
            raise RegistryError(
                f"module {self.name}: declare at least one message type (a settings_only module: a governable "
                "parameter)"
            )
        if self.tag_prefix and not NAME.fullmatch(self.tag_prefix):
            raise RegistryError(f"module {self.name}: tag_prefix {self.tag_prefix!r} is not a valid name")
        for message in self.messages:
            tag = getattr(getattr(message, "__struct_config__", None), "tag", None)
            if not (isinstance(tag, str) and tag.startswith(self.prefix + ".")):
                raise RegistryError(
                    f"module {self.name}: message type {message.__name__} needs a msgspec tag "
                    f"'{self.prefix}.<kind>' (it has {tag!r})"
                )
        for service in self.services:
            if not NAME.fullmatch(service):
                raise RegistryError(f"module {self.name}: service name {service!r} is not a valid name")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise RegistryError(f"module {self.name}: a governable parameter is declared twice")
        for p in self.params:
            if p.minimum > p.maximum:
                raise RegistryError(f"module {self.name}: parameter {p.name} has minimum above maximum")

    @property
    def prefix(self) -> str:
        """What every one of its message tags starts with (before the dot)."""
        return self.tag_prefix or self.name

    def least_fee(self, preset: Preset, message: Any) -> int:
        """The least fee (Gwei) of ``message`` on a chain of ``preset``."""
        return base_fee(preset, self.keys(message)) if self.fee is None else self.fee(preset, message)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def get_param(self, state: Any, name: str) -> int:
        """The current value of governable parameter ``name`` (one of ``params``) in ``state``."""
        value: int = getattr(state, name) if self.read_param is None else self.read_param(state, name)
        return value

    def set_param(self, state: Any, name: str, value: int) -> None:
        """Set governable parameter ``name`` (one of ``params``, ``value`` within its bounds) in ``state``."""
        if self.write_param is None:
            setattr(state, name, value)
        else:
            self.write_param(state, name, value)
