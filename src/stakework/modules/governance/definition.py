"""The governance module's definition: what the registry (:mod:`stakework.modules.registry`) knows about it.

Governance's own parameters live in its state with bounds fixed at genesis (:func:`.state.own_specs`), so the
definition declares no ``params``: the registry's parameters are what governance governs, not governance itself.
Governance provides the host service ``stake_reports`` (:class:`GovernanceStakeReports`, the safety module's
``StakeReports``); it uses ``parameters`` (the registry's) and ``voting_power`` (the safety module's), which the
chain's host builds from the registry by name (``ModuleDef.services``)."""

from __future__ import annotations

from stakework.modules.definition import ModuleDef
from stakework.modules.governance import MODULE, epoch, handlers, invariants, queries
from stakework.modules.governance.state import Bounds, GovernanceParams, GovernanceState, default_bounds, new_state
from stakework.modules.governance.votes import record_balance_change, total_at
from stakework.modules.host import ModuleHost
from stakework.spec.presets import Preset

DEVNET_PARAMS = GovernanceParams(
    proposal_threshold_bps=25,
    quorum_bps=400,
    voting_delay=1,
    voting_period=8,
    timelock_delay=4,
    grace_period=32,
)
"""A devnet's governance: Compound's threshold (0.25 %) and quorum (4 %), but a one-epoch voting delay, an 8-epoch
vote, a 4-epoch timelock and a 32-epoch grace period, so a whole proposal lifecycle takes about 14 epochs (under
a minute at 0.5-second slots, about 4 minutes at the devnet's default 2-second slots)."""


def epochs_per_day(preset: Preset) -> int:
    """Whole epochs of ``preset`` in a day (at least 1)."""
    return max(86_400_000 // (preset.SLOTS_PER_EPOCH * preset.SLOT_DURATION_MS), 1)


def devnet_bounds(preset: Preset) -> dict[str, Bounds]:
    """Bravo's and the Timelock's bounds in ``preset``'s epochs (:func:`.state.default_bounds`), except that every
    duration may go down to one epoch, so a devnet can run a lifecycle in minutes. A real network keeps
    ``default_bounds`` (a timelock of at least 2 days)."""
    bounds = default_bounds(epochs_per_day(preset))
    for name in ("voting_period", "timelock_delay", "grace_period"):
        bounds[name] = Bounds(1, bounds[name].maximum)
    return bounds


def genesis(preset: Preset, admin: bytes) -> GovernanceState:
    """Governance with no stake and no proposal, :data:`DEVNET_PARAMS` within :func:`devnet_bounds`. It has no admin:
    ``admin`` is not used (the only way to change a parameter is a proposal)."""
    return new_state(epochs_per_day(preset), params=DEVNET_PARAMS, bounds=devnet_bounds(preset))


def summary(state: GovernanceState) -> dict[str, int]:
    last = state.total_checkpoints[-1].epoch if state.total_checkpoints else 0
    return {
        "proposals": len(state.proposals),
        "live_proposals": len(state.live),
        "voting_power": total_at(state, last),
        "voters": len(state.balances),
    }


def describe(s: dict[str, int]) -> str:
    return (
        f"governance: {s['proposals']} proposals ({s['live_proposals']} live), {s['voting_power'] / 1e9:,.3f} "
        f"stkSWK voting power held by {s['voters']} accounts"
    )


class GovernanceStakeReports:
    """Where a staking module reports voting-power changes (:class:`~stakework.modules.safety.protocols.
    StakeReports`, the host service ``stake_reports``): governance's checkpoints, in the epoch of the change
    (:func:`.votes.record_balance_change`)."""

    def __init__(self, governance: GovernanceState, host: ModuleHost) -> None:
        self.governance = governance
        self.epoch = host.epoch

    def stake_changed(self, holder: bytes, balance: int) -> None:
        record_balance_change(self.governance, self.epoch, holder, balance)


GOVERNANCE = ModuleDef(
    name=MODULE,
    tag_prefix="gov",
    state_type=GovernanceState,
    messages=tuple(handlers.HANDLERS),
    dispatch=handlers.dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    queries=queries,
    summary=summary,
    describe=describe,
    api_router="stakework.api.modules.governance:router",
    cli_app="stakework.cli.modules.governance:app",
    services={"stake_reports": GovernanceStakeReports},
)
