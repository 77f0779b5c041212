"""Test fakes for governance's two host Protocols (parameter registry, voting-power source) and a host with both.

The registry refuses (with AssertionError: a test failure, not a module error) any value outside the bounds in
force when it is applied, so every test checks "never outside bounds" at the only place a parameter changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stakework.modules.governance.epoch import on_epoch
from stakework.modules.governance.host import ParameterSpec
from stakework.modules.governance.state import Bounds, GovernanceParams, GovernanceState, new_state
from stakework.modules.governance.votes import record_balance_change
from stakework.modules.testing import FakeHost

SMALL_BOUNDS = {
    "proposal_threshold_bps": Bounds(1, 1000),
    "quorum_bps": Bounds(100, 5000),
    "voting_delay": Bounds(1, 10),
    "voting_period": Bounds(2, 20),
    "timelock_delay": Bounds(1, 20),
    "grace_period": Bounds(2, 30),
}
"""Bounds in a handful of epochs, so a test walks a whole lifecycle in a few steps."""
SMALL_PARAMS = GovernanceParams(
    proposal_threshold_bps=100, quorum_bps=400, voting_delay=2, voting_period=3, timelock_delay=2, grace_period=4
)


def small_state(**params: int) -> GovernanceState:
    """A governance module with :data:`SMALL_BOUNDS` and :data:`SMALL_PARAMS` (overridden by ``params``)."""
    return new_state(
        params=GovernanceParams(**{**{n: getattr(SMALL_PARAMS, n) for n in SMALL_BOUNDS}, **params}),
        bounds=dict(SMALL_BOUNDS),
    )


class FakeRegistry:
    """Governable parameters of pretend modules, with bounds a test may change (a chain upgrade)."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], ParameterSpec] = {}
        self.values: dict[tuple[str, str], int] = {}
        self.applied: list[tuple[str, str, int]] = []

    def declare(self, module: str, name: str, minimum: int, maximum: int, value: int) -> None:
        self._specs[(module, name)] = ParameterSpec(
            module=module, name=name, minimum=minimum, maximum=maximum, doc=f"test parameter {module}.{name}"
        )
        self.values[(module, name)] = value

    def rebound(self, module: str, name: str, minimum: int, maximum: int) -> None:
        """Change a parameter's bounds (its value stays, possibly outside: what a chain upgrade could do)."""
        assert minimum <= maximum, f"empty bounds {minimum}..{maximum} (a registry refuses them)"
        old = self._specs[(module, name)]
        self._specs[(module, name)] = ParameterSpec(
            module=module, name=name, minimum=minimum, maximum=maximum, doc=old.doc
        )

    def remove(self, module: str, name: str) -> None:
        del self._specs[(module, name)]

    # --- the Protocol ----------------------------------------------------------------------------------------------
    def specs(self) -> Sequence[ParameterSpec]:
        return [self._specs[k] for k in sorted(self._specs)]

    def spec(self, module: str, name: str) -> ParameterSpec | None:
        return self._specs.get((module, name))

    def current(self, module: str, name: str) -> int:
        return self.values[(module, name)]

    def apply(self, module: str, name: str, value: int) -> None:
        spec = self._specs[(module, name)]
        assert spec.minimum <= value <= spec.maximum, f"{module}.{name} = {value} applied outside its bounds"
        self.values[(module, name)] = value
        self.applied.append((module, name, value))


class FakeStake:
    """The staked token: balances that report every change to governance, as the safety module will."""

    def __init__(self) -> None:
        self.balances: dict[bytes, int] = {}

    def staked_balances(self) -> Mapping[bytes, int]:
        return self.balances


class GovHost(FakeHost):
    """A :class:`FakeHost` with a parameter registry and a staked token: a ``GovernanceHost``."""

    def __init__(self, *, epoch: int = 0) -> None:
        super().__init__(epoch=epoch)
        self.parameters = FakeRegistry()
        self.voting_power = FakeStake()
        self.parameters.declare("liquid", "fee_bps", 0, 2000, 1000)
        self.parameters.declare("liquid", "max_positive_rebase", 1, 10**9, 10_000)
        self.parameters.declare("chain", "module_message_min_fee", 1, 10**9, 1000)

    def set_stake(self, state: GovernanceState, account: bytes, balance: int) -> None:
        """``account``'s staked balance becomes ``balance`` now, reported to governance."""
        if balance:
            self.voting_power.balances[account] = balance
        else:
            self.voting_power.balances.pop(account, None)
        record_balance_change(state, self.epoch, account, balance)


def advance(state: GovernanceState, host: GovHost, epochs: int = 1) -> None:
    """End ``epochs`` epochs as the chain does: the hook runs for the epoch that ends, then the next begins."""
    for _ in range(epochs):
        on_epoch(state, host)
        host.epoch += 1


def advance_to(state: GovernanceState, host: GovHost, epoch: int) -> None:
    advance(state, host, epoch - host.epoch)
