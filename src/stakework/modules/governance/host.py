"""What governance needs from the chain beyond :class:`~stakework.modules.host.ModuleHost`: two small Protocols.

1. :class:`VotingPowerSource`: the staked token's current balances. Governance keeps the history itself (Comp-style
   checkpoints, :mod:`.votes`): the staking module (or the host on its behalf) calls
   :func:`stakework.modules.governance.votes.record_balance_change` with the account's new balance every time a
   staked balance changes, in the epoch it changes. ``staked_balances`` is read only by the invariants, to check that
   governance's copy matches the token. (Compound keeps checkpoints in the COMP token itself; here the token lives
   in another module, so one implementation of checkpoints and delegation serves whatever token the chain counts.)
2. :class:`ParameterRegistry`: every governable parameter of every *other* module and of the chain, each with its
   bounds (:class:`ParameterSpec`), its current value and a way to set it. Governance's own parameters are not in
   it: governance declares and applies them itself (:func:`.state.own_specs`).

Contract the host keeps:
- ``apply(module, name, value)`` never raises for a parameter ``spec`` lists when ``minimum <= value <= maximum``;
  governance checks the bounds of every action of a proposal before it applies the first, so a proposal's actions
  apply all or nothing.
- ``spec(module, name)`` returns the bounds in force now: they may change between proposal and execution (a chain
  upgrade), which is why governance checks them again at execution.
- ``record_balance_change`` is called in the epoch the balance changes (``host.epoch`` of the block or hook that
  changed it), never for an earlier epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import msgspec

from stakework.modules.governance.errors import GovernanceUnavailable
from stakework.modules.host import ModuleHost


class ParameterSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One governable integer parameter and its bounds (inclusive). A flag is a parameter bounded 0..1."""

    module: str
    """The module that owns it (``"liquid"``, ``"chain"``, ``"governance"``...)."""
    name: str
    minimum: int
    maximum: int
    doc: str
    """What the parameter does and its unit (epochs, basis points, Gwei)."""

    def allows(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum


@runtime_checkable
class ParameterRegistry(Protocol):
    """The governable parameters of the other modules and of the chain."""

    def specs(self) -> Sequence[ParameterSpec]:
        """Every governable parameter, in a fixed order."""
        ...

    def spec(self, module: str, name: str) -> ParameterSpec | None:
        """The parameter's bounds in force now; None if there is no such governable parameter."""
        ...

    def current(self, module: str, name: str) -> int:
        """The parameter's value now (for a name ``spec`` knows)."""
        ...

    def apply(self, module: str, name: str, value: int) -> None:
        """Set the parameter; never raises for a value within its spec's bounds."""
        ...


@runtime_checkable
class VotingPowerSource(Protocol):
    """The staked token whose balances are voting power (stkSWK shares on the chain)."""

    def staked_balances(self) -> Mapping[bytes, int]:
        """Every holder's current staked balance (read by the invariants only)."""
        ...


class GovernanceHost(ModuleHost, Protocol):
    """A module host offering the two sources above as ``host.parameters`` and ``host.voting_power``. The handlers
    keep the ``(state, ModuleHost, sender, msg)`` signature every module has and find them with
    :func:`parameters_of` and :func:`voting_power_of`."""

    parameters: ParameterRegistry
    voting_power: VotingPowerSource


def parameters_of(host: ModuleHost) -> ParameterRegistry:
    """The host's parameter registry; :class:`GovernanceUnavailable` when it offers none."""
    registry = getattr(host, "parameters", None)
    if registry is None or not isinstance(registry, ParameterRegistry):
        raise GovernanceUnavailable("this chain's host offers no parameter registry (host.parameters)")
    return registry


def voting_power_of(host: ModuleHost) -> VotingPowerSource:
    """The host's staked token; :class:`GovernanceUnavailable` when it offers none."""
    source = getattr(host, "voting_power", None)
    if source is None or not isinstance(source, VotingPowerSource):
        raise GovernanceUnavailable("this chain's host offers no voting-power source (host.voting_power)")
    return source
