"""The safety module's definition: what the registry (:mod:`stakework.modules.registry`) knows about it.

On the chain, the module's message handlers run through :func:`dispatch`, which after each accepted message
reports the voting power (:func:`voting_power`: the SWK value of both vault positions) of every account the message
touched to ``host.stake_reports`` (:class:`~stakework.modules.safety.protocols.StakeReports`), when the chain offers
one. A slash lowers the value of every position in its vault, so it reports every holder of that vault. Reward
accrual and the liquid module's rebases move no checkpoint (Compound's checkpoints move on transfers only).

The module provides the host service ``voting_power`` (:class:`SafetyVotingPower`, governance's
``VotingPowerSource``)."""

from __future__ import annotations

from typing import Any

from stakework.modules.arith import Rounding
from stakework.modules.definition import ModuleDef, Param
from stakework.modules.host import ModuleHost
from stakework.modules.safety import MODULE, epoch, handlers, invariants, queries
from stakework.modules.safety.messages import SafetyMessage, Slash, Stake, Transfer
from stakework.modules.safety.parameters import BOUNDS, SafetyParameters, with_changes
from stakework.modules.safety.protocols import StakedTokenLedger, stake_reports_of
from stakework.modules.safety.state import SafetyState, new_state
from stakework.modules.shares import BURN_ADDRESS
from stakework.spec.presets import Preset

SWK = 10**9
DEVNET_PARAMETERS = SafetyParameters(
    cooldown_epochs=4,
    unstake_window_epochs=16,
    max_slash_bps=3_000,
    post_slash_epochs=4,
    swk_emission_per_epoch=SWK,
    stswk_emission_per_epoch=SWK,
)
"""A devnet's safety module: a 4-epoch cooldown and a 16-epoch window (so a redeem can be tried in minutes), Aave's
30 % slash cap, and 1 SWK per epoch and vault paid from the treasury (devnet account 0), so rewards accrue from
the first stake."""


def stake_balance(state: SafetyState, holder: bytes) -> int:
    """``holder``'s stkSWK: its shares of the SWK vault plus its shares of the stSWK vault (what governance counts
    as voting power)."""
    return state.swk.ledger.shares_of(holder) + state.stswk.ledger.shares_of(holder)


def stake_balances(state: SafetyState) -> dict[bytes, int]:
    """Every holder's :func:`stake_balance` (the dead shares excluded)."""
    out: dict[bytes, int] = {}
    for vault in (state.swk, state.stswk):
        for holder, shares in vault.ledger.shares.items():
            if holder != BURN_ADDRESS and shares:
                out[holder] = out.get(holder, 0) + shares
    return out


def voting_power(state: SafetyState, host: ModuleHost, holder: bytes) -> int:
    """``holder``'s voting power: the SWK value (Gwei) of its positions in both vaults now, rounded down at each
    step. SWK vault shares are worth SWK at that vault's rate; stSWK vault shares are worth stSWK shares at that
    vault's rate, which are worth SWK at the liquid module's share price (``host.staked_token_ledger``; a chain
    without it holds no stSWK vault position)."""
    swk = state.swk.ledger.convert_to_assets(state.swk.ledger.shares_of(holder), Rounding.DOWN)
    shares = state.stswk.ledger.shares_of(holder)
    # equivalent mutant (const 0 to -1): no shares are worth 0 stSWK shares, which are worth 0 SWK
    if shares == 0:
        return swk
    ledger = getattr(host, "staked_token_ledger", None)
    if not isinstance(ledger, StakedTokenLedger):
        return swk
    return swk + ledger.swk_value(state.stswk.ledger.convert_to_assets(shares, Rounding.DOWN))


def holders(state: SafetyState) -> set[bytes]:
    """Every account holding shares of either vault (the dead shares excluded)."""
    return set(stake_balances(state))


class SafetyVotingPower:
    """Governance's voting power (:class:`~stakework.modules.governance.host.VotingPowerSource`, the host service
    ``voting_power``): every holder's :func:`voting_power` now."""

    def __init__(self, state: SafetyState, host: ModuleHost) -> None:
        self.state = state
        self.host = host

    def staked_balances(self) -> dict[bytes, int]:
        return {holder: voting_power(self.state, self.host, holder) for holder in holders(self.state)}


def touched(state: SafetyState, sender: bytes, message: Any) -> list[bytes]:
    """The accounts whose voting power a message changes: the sender, a transfer's recipient, and every holder of
    a slashed vault (a slash lowers the value of each of its shares)."""
    if isinstance(message, Slash):
        vault = state.swk if message.vault == "swk" else state.stswk
        return sorted(h for h, shares in vault.ledger.shares.items() if shares and h != BURN_ADDRESS)
    return [sender, message.to] if isinstance(message, Transfer) else [sender]


def dispatch(state: SafetyState, host: ModuleHost, sender: bytes, message: SafetyMessage) -> None:
    """The handler (:func:`handlers.dispatch`), then each touched account's new :func:`voting_power` to
    ``host.stake_reports`` when the host offers it (an unchanged value is reported too: the listener ignores it)."""
    handlers.dispatch(state, host, sender, message)
    reports = stake_reports_of(host)
    if reports is not None:
        for account in touched(state, sender, message):
            reports.stake_changed(account, voting_power(state, host, account))


def spends(message: Any) -> int:
    """``safety.stake`` into the SWK vault takes its amount from the sender; everything else moves stkSWK, stSWK
    shares or rewards."""
    return message.amount if isinstance(message, Stake) and message.vault == "swk" else 0


def genesis(preset: Preset, admin: bytes) -> SafetyState:
    """A safety module whose governance executor and treasury is ``admin`` (devnet account 0), with
    :data:`DEVNET_PARAMETERS`."""
    return new_state(preset, governance=admin, treasury=admin, params=DEVNET_PARAMETERS)


def read_param(state: SafetyState, name: str) -> int:
    value: int = getattr(state.params, name)
    return value


def write_param(state: SafetyState, name: str, value: int) -> None:
    """Replace the parameters with ``name`` changed (checked against :data:`BOUNDS`, the same as the Params')."""
    state.params = with_changes(state.params, **{name: value})


def summary(state: SafetyState) -> dict[str, int]:
    return {
        "swk_staked": state.swk.ledger.total_assets,
        "stswk_staked": state.stswk.ledger.total_assets,
        "stakers": len(stake_balances(state)),
        "rewards_unclaimed": sum(v.emitted - v.claimed for v in (state.swk, state.stswk)),
        "slashings": len(state.slash_history),
    }


def describe(s: dict[str, int]) -> str:
    return (
        f"safety module: {s['swk_staked'] / 1e9:,.3f} SWK and {s['stswk_staked'] / 1e9:,.3f} stSWK (shares) staked "
        f"by {s['stakers']} stakers, {s['rewards_unclaimed'] / 1e9:,.3f} SWK of rewards unclaimed, "
        f"{s['slashings']} slashings"
    )


SAFETY = ModuleDef(
    name=MODULE,
    state_type=SafetyState,
    messages=tuple(handlers.HANDLERS),
    dispatch=dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    spends=spends,
    queries=queries,
    summary=summary,
    describe=describe,
    params=tuple(Param(name, bound.min, bound.max, bound.doc) for name, bound in BOUNDS.items()),
    read_param=read_param,
    write_param=write_param,
    api_router="stakework.api.modules.safety:router",
    cli_app="stakework.cli.modules.safety:app",
    services={"voting_power": SafetyVotingPower, "shortfall_cover": handlers.SafetyShortfallCover},
)
