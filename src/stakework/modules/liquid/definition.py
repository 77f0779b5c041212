"""The liquid module's definition: what the registry (:mod:`stakework.modules.registry`) knows about it."""

from __future__ import annotations

from typing import Any

from stakework.modules.arith import BPS, Rounding
from stakework.modules.definition import ModuleDef, Param
from stakework.modules.host import ModuleHost
from stakework.modules.liquid import MODULE, epoch, handlers, invariants, queries
from stakework.modules.liquid.messages import Stake, SubmitKeys, TransferShares
from stakework.modules.liquid.state import REBASE_PRECISION, LiquidState, new_state
from stakework.spec.presets import Preset

DEVNET_MAX_POSITIVE_REBASE = 1_000_000
"""The devnet liquid module's positive-rebase limit per epoch, in 1e-9 of pooled SWK (1e-3). A small devnet pays
far more per epoch than Ethereum (few validators, so a large base reward; 8-slot epochs): about 5e-5 of stake
per epoch with 64 validators. The module default (1e-5, ten times Ethereum's issuance per epoch) would hold most
of that back."""


def keys(message: Any) -> int:
    """Validator keys a liquid message submits (``liquid.submit_keys``)."""
    return len(message.keys) if isinstance(message, SubmitKeys) else 0


def spends(message: Any) -> int:
    """``liquid.stake`` takes its amount from the sender; other liquid messages move stSWK, not SWK."""
    return message.amount if isinstance(message, Stake) else 0


def genesis(preset: Preset, admin: bytes) -> LiquidState:
    """A liquid module whose admin and treasury is ``admin``, 10% protocol fee split half and half between
    treasury and operators, and the devnet's positive-rebase limit."""
    return new_state(preset, admin=admin, treasury=admin, max_positive_rebase=DEVNET_MAX_POSITIVE_REBASE)


def summary(state: LiquidState) -> dict[str, int]:
    return {
        "total_assets": state.ledger.total_assets,
        "total_shares": state.ledger.total_shares,
        "validators": len(state.validators),
        "open_requests": sum(1 for r in state.requests.values() if not r.finalized),
    }


def describe(s: dict[str, int]) -> str:
    return (
        f"liquid module: {s['total_assets'] / 1e9:,.3f} SWK pooled, {s['validators']} validators, "
        f"{s['open_requests']} open withdrawal requests"
    )


class LiquidSharesLedger:
    """stSWK shares for other modules (:class:`~stakework.modules.safety.protocols.StakedTokenLedger`, the host
    service ``staked_token_ledger``): the module's share ledger, moved only through its own
    ``liquid.transfer_shares`` handler, so every check it makes (positive amount, enough shares, reserved addresses)
    and its invariants hold."""

    def __init__(self, liquid: LiquidState, host: ModuleHost) -> None:
        self.liquid = liquid
        self.host = host

    def shares_of(self, holder: bytes) -> int:
        return self.liquid.ledger.shares_of(holder)

    def swk_value(self, shares: int) -> int:
        """SWK (Gwei) ``shares`` stSWK shares are worth at the current share price, rounded down (Lido
        ``getPooledEthByShares``)."""
        return self.liquid.ledger.convert_to_assets(shares, Rounding.DOWN)

    def transfer_shares(self, sender: bytes, recipient: bytes, shares: int) -> None:
        handlers.handle_transfer_shares(self.liquid, self.host, sender, TransferShares(to=recipient, shares=shares))


LIQUID = ModuleDef(
    name=MODULE,
    state_type=LiquidState,
    messages=tuple(handlers.HANDLERS),
    dispatch=handlers.dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    keys=keys,
    spends=spends,
    queries=queries,
    summary=summary,
    describe=describe,
    params=(
        Param("fee_bps", 0, BPS, "protocol fee on recognised positive rewards, in basis points (Lido: 1000)"),
        Param("treasury_share_bps", 0, BPS, "part of the fee for the treasury (the rest to operators), in bps"),
        Param(
            "max_positive_rebase",
            1,
            REBASE_PRECISION,
            "largest recognised positive rebase per epoch, in 1e-9 of the pooled SWK",
        ),
    ),
    api_router="stakework.api.modules.liquid:router",
    cli_app="stakework.cli.modules.liquid:app",
    web_page="stakework.web.modules.liquid:PAGE",
    services={"staked_token_ledger": LiquidSharesLedger},
)
