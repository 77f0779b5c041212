"""The module registry: every module this build of stakework knows, in the order their epoch hooks run.

Adding a module is one line in :data:`BUILTIN` (after writing its package and its :class:`ModuleDef`); nothing
under ``transition/``, ``state/``, ``node/``, ``api/app.py`` or ``cli/main.py`` changes. Block dispatch, fees, the
per-block key limit, the transaction wire union, the state root, snapshots, ``/v1/modules``, the API routers, the
CLI sub-apps and ``stakework status`` all read this registry.

The transaction wire union (``transition.block.transaction.Payload``) is built from the registry once, when
``stakework.transition`` is imported; :func:`message_types` then freezes the registry, and :func:`register` refuses
a module after that (its messages could not decode). So a module registers at import of ``stakework.modules`` (the
built-in ones) or before anything imports ``stakework.transition`` (a test's or a plug-in's).
"""

from __future__ import annotations

from typing import Any, Protocol

from stakework.modules.amm.definition import AMM
from stakework.modules.definition import ModuleDef, Param, RegistryError, ServiceFactory, base_fee
from stakework.modules.errors import ModuleError
from stakework.modules.fees.definition import FEES
from stakework.modules.fees.state import DEFAULT_MIN_TRANSACTION_FEE, fee_preset, min_transaction_fee
from stakework.modules.governance.definition import GOVERNANCE
from stakework.modules.governance.errors import UnknownParameter
from stakework.modules.governance.host import ParameterSpec
from stakework.modules.host import ModuleHost
from stakework.modules.lending.definition import LENDING
from stakework.modules.liquid.definition import LIQUID
from stakework.modules.pool.definition import POOL
from stakework.modules.safety.definition import SAFETY
from stakework.spec.presets import Preset

__all__ = [
    "BUILTIN",
    "DEFAULT_MIN_TRANSACTION_FEE",
    "ModuleDef",
    "Param",
    "RegistryError",
    "ServiceUnavailable",
    "base_fee",
]

BUILTIN: tuple[ModuleDef, ...] = (POOL, LIQUID, SAFETY, GOVERNANCE, FEES, AMM, LENDING)
"""The registration list: every built-in module's definition (a new module adds its line here)."""

_modules: list[ModuleDef] = []
_by_name: dict[str, ModuleDef] = {}
_by_message: dict[type[Any], ModuleDef] = {}
_frozen: list[bool] = []
"""Non-empty once the wire union is built (the registry is then closed)."""


def register(definition: ModuleDef) -> None:
    """Add a module. Raises RegistryError for a name already taken, a message type listed twice, or once the wire
    union is built (:func:`message_types`)."""
    if _frozen:
        raise RegistryError(
            f"module {definition.name}: the registry is frozen (the transaction types are built); register a module "
            "before anything imports stakework.transition"
        )
    if definition.name in _by_name:
        raise RegistryError(f"a module named {definition.name!r} is registered already")
    if len(set(definition.messages)) != len(definition.messages):
        raise RegistryError(f"module {definition.name}: a message type is listed twice")
    # Tags cannot clash across modules: each starts with its module's prefix (ModuleDef checks it), unique here.
    owner = next((m for m in _modules if definition.prefix in (m.name, m.prefix)), None)
    if owner is not None or any(m.prefix == definition.name for m in _modules):
        raise RegistryError(
            f"module {definition.name}: the tag prefix {definition.prefix!r} or the name is another module's"
        )
    for service in definition.services:
        provider = service_provider(service)
        if provider is not None or service in CHAIN_SERVICES:
            owner_name = "the chain" if provider is None else f"module {provider.name}"
            raise RegistryError(f"module {definition.name}: the host service {service!r} is {owner_name}'s already")
    _modules.append(definition)
    _by_name[definition.name] = definition
    for message in definition.messages:
        _by_message[message] = definition


class EnabledModules(Protocol):
    """What the registry reads of a chain's module store (``ModuleStore``): which modules run, and their state."""

    def enabled(self) -> list[str]: ...

    def get(self, name: str) -> Any | None: ...


class ServiceUnavailable(ModuleError):
    """A module asked for a host service whose provider module this chain does not run."""


class ChainParameters:
    """The chain's governable parameters for governance (:class:`~stakework.modules.governance.host.
    ParameterRegistry`): every ``Param`` an enabled module's definition declares, with its bounds, read and set
    in the module's state through the definition (``ModuleDef.get_param`` / ``set_param``). Governance's own are
    not listed: governance keeps them itself."""

    def __init__(self, store: EnabledModules) -> None:
        self.store = store

    def specs(self) -> list[ParameterSpec]:
        enabled = set(self.store.enabled())
        return [
            ParameterSpec(module=module, name=p.name, minimum=p.minimum, maximum=p.maximum, doc=p.doc)
            for module, p in parameters()
            if module in enabled
        ]

    def spec(self, module: str, name: str) -> ParameterSpec | None:
        param = parameter(module, name) if self.store.get(module) is not None else None
        if param is None:
            return None
        return ParameterSpec(module=module, name=name, minimum=param.minimum, maximum=param.maximum, doc=param.doc)

    def _definition(self, module: str, name: str) -> ModuleDef:
        definition = get(module)
        if definition is None or definition.param(name) is None or self.store.get(module) is None:
            raise UnknownParameter(f"{module}.{name} is no governable parameter of an enabled module")
        return definition

    def current(self, module: str, name: str) -> int:
        return self._definition(module, name).get_param(self.store.get(module), name)

    def apply(self, module: str, name: str, value: int) -> None:
        self._definition(module, name).set_param(self.store.get(module), name, value)


def _chain_parameters(store: Any, host: ModuleHost) -> object:
    return ChainParameters(store)


CHAIN_SERVICES: dict[str, ServiceFactory] = {"parameters": _chain_parameters}
"""Host services the registry itself provides (not any one module): ``parameters``, every enabled module's
governable parameters. Each factory is given the chain's module store instead of a module's state."""


def service_provider(service: str) -> ModuleDef | None:
    """The registered module that declares host service ``service``; None if none does."""
    return next((m for m in _modules if service in m.services), None)


def service_names() -> list[str]:
    """Every host service a chain's host may offer: the registry's own, then the modules', in registry order."""
    return [*CHAIN_SERVICES, *(s for m in _modules for s in m.services)]


def host_service(service: str, store: EnabledModules, host: ModuleHost) -> object | None:
    """Build host service ``service`` for ``host`` over ``store``; None when the module providing it is not enabled
    on this chain. Raises KeyError for a name no module declares (``host.<name>`` is then no service at all)."""
    if service in CHAIN_SERVICES:
        return CHAIN_SERVICES[service](store, host)
    provider = service_provider(service)
    if provider is None:
        raise KeyError(service)
    state = store.get(provider.name)
    return None if state is None else provider.services[service](state, host)


def require_service(service: str, store: EnabledModules, host: ModuleHost) -> object:
    """:func:`host_service`, refusing with :class:`ServiceUnavailable` (naming the module to enable) when the
    providing module is not enabled or no module provides it."""
    provider = service_provider(service)
    try:
        built = host_service(service, store, host)
    except KeyError:
        built = None
    if built is None:
        who = "no registered module" if provider is None else f"the {provider.name} module"
        raise ServiceUnavailable(
            f"the host service {service!r} is provided by {who}, which this chain does not run; enable it at genesis"
        )
    return built


for _definition in BUILTIN:
    register(_definition)


def modules() -> tuple[ModuleDef, ...]:
    """Every registered module, in registration order (the order of epoch hooks and of the snapshot encoding)."""
    return tuple(_modules)


def names() -> list[str]:
    return [m.name for m in _modules]


def get(name: str) -> ModuleDef | None:
    """The module called ``name``; None if there is none."""
    return _by_name.get(name)


def message_types() -> tuple[type[Any], ...]:
    """Every registered module's message types (for the transaction wire union); freezes the registry."""
    if not _frozen:
        _frozen.append(True)
    return tuple(_by_message)


def for_message(message: object) -> ModuleDef | None:
    """The module ``message`` is for; None if it is no module's message."""
    return _by_message.get(type(message))


def is_module_message(message: object) -> bool:
    return type(message) in _by_message


def message_module(message: object) -> str:
    """The name of the module a message is for (a module message only)."""
    return _by_message[type(message)].name


def message_keys(message: object) -> int:
    """How many validator keys a message submits (0 for anything not a module message, or without keys)."""
    module = _by_message.get(type(message))
    return 0 if module is None else module.keys(message)


def message_min_fee(preset: Preset, message: object) -> int:
    """The least fee (Gwei) its module asks for ``message`` on a chain of ``preset`` (a module message only)."""
    return _by_message[type(message)].least_fee(preset, message)


def message_spend(message: object) -> int:
    """SWK (Gwei) a module message takes from the sender besides its fee (0 for anything else)."""
    module = _by_message.get(type(message))
    return 0 if module is None else module.spends(message)


def parameters() -> list[tuple[str, Param]]:
    """Every registered module's governable parameters as ``(module name, Param)``, in registry order (what a
    governance host lists as the chain's governable parameters)."""
    return [(m.name, p) for m in _modules for p in m.params]


def parameter(module: str, name: str) -> Param | None:
    """The bounds of ``module``'s parameter ``name``; None if the module or the parameter is unknown."""
    definition = _by_name.get(module)
    return None if definition is None else definition.param(name)


_FEE_PRESETS: dict[tuple[int, int, int, int], tuple[Preset, Preset]] = {}
"""(id of a preset, its three governed module fees) → (that preset, the fee preset made from it): a fee preset is a
validated copy of the whole preset (about 25 µs), so it is made once per preset and settings, not per transaction.
The preset itself is kept in the entry, so an id reused by another object never finds a stale entry."""
_FEE_PRESETS_MAX = 64


def fee_settings(store: EnabledModules, preset: Preset) -> tuple[int, Preset]:
    """The chain's fee settings as governance set them (issue #14): every transaction's least fee
    (``MIN_TRANSACTION_FEE``) and the preset the modules' fee functions read (``preset`` with its module fee fields
    replaced). A chain without the fees module: :data:`DEFAULT_MIN_TRANSACTION_FEE` and ``preset`` itself.
    The fee preset is made once per preset and settings values (settings are read afresh on every call, so a
    governed change applies at once)."""
    settings = store.get(FEES.name)
    if settings is None:
        return min_transaction_fee(settings), fee_preset(settings, preset)
    key = (id(preset), settings.MODULE_MIN_FEE, settings.MODULE_KEY_FEE, settings.POOL_REGISTRATION_FEE)
    hit = _FEE_PRESETS.get(key)
    if hit is None or hit[0] is not preset:
        if len(_FEE_PRESETS) >= _FEE_PRESETS_MAX:
            _FEE_PRESETS.clear()
        hit = (preset, fee_preset(settings, preset))
        _FEE_PRESETS[key] = hit
    return min_transaction_fee(settings), hit[1]
