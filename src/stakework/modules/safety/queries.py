"""Read-only safety views for the API: vaults, a holder's position (rewards, cooldown), the APR of the emission,
whether emissions are being paid, the slashing history and the parameters with their bounds."""

from __future__ import annotations

from typing import Any

import msgspec

from stakework.modules.arith import BPS, Rounding, bps_of, mul_div
from stakework.modules.safety.epoch import emission_rate
from stakework.modules.safety.handlers import in_post_slash, rewards_of
from stakework.modules.safety.parameters import BOUNDS
from stakework.modules.safety.state import SafetyState, SlashRecord

PRICE_SCALE = 10**9
"""Exchange rates are quoted as assets per 10**9 stkSWK shares (one SWK's worth at the 1:1 start)."""


class VaultView(msgspec.Struct, kw_only=True):
    name: str
    total_assets: int
    total_shares: int
    price: int
    """Assets per :data:`PRICE_SCALE` shares, rounded down (Aave ``getExchangeRate``, inverted)."""
    emission_per_epoch: int
    emission_status: str
    emitting: bool
    """Whether the last epoch's emission was paid (False: off, no stakers, treasury short, ...)."""
    unfunded_epochs: int
    emitted: int
    claimed: int
    index: int
    max_slashable: int
    in_post_slash: bool
    post_slash_until: int
    slashed: int


class PositionView(msgspec.Struct, kw_only=True):
    shares: int
    assets: int
    """What redeeming every share pays now, rounded down."""
    rewards: int
    """Claimable SWK (settled + pending)."""
    cooldown: str
    """``none``, ``cooling`` (window not open yet), ``window`` (may redeem now), ``expired`` (window closed)."""
    cooldown_start: int | None
    window_opens: int | None
    window_closes: int | None
    can_redeem: bool
    """Whether a redeem is allowed now (in the window, or during a post-slash window)."""


class AprView(msgspec.Struct, kw_only=True):
    apr_bps: int | None
    """``emission_per_epoch * epochs_per_year / value`` in basis points at the current rate (simple, not
    compounded); None when the vault holds nothing."""
    emission_per_epoch: int
    emitting: bool
    """False when the last epoch's emission was not paid: the APR is what the rate would give, not what is paid."""
    status: str


def vault_view(state: SafetyState, vault_name: str, epoch: int) -> VaultView:
    vault = state.vault(vault_name)
    ledger = vault.ledger
    return VaultView(
        name=vault.name,
        total_assets=ledger.total_assets,
        total_shares=ledger.total_shares,
        price=ledger.convert_to_assets(PRICE_SCALE, Rounding.DOWN),
        emission_per_epoch=emission_rate(state, vault),
        emission_status=vault.emission_status,
        emitting=vault.emission_status == "paid",
        unfunded_epochs=vault.unfunded_epochs,
        emitted=vault.emitted,
        claimed=vault.claimed,
        index=vault.index,
        max_slashable=bps_of(ledger.total_assets, state.params.max_slash_bps),
        in_post_slash=in_post_slash(vault, epoch),
        post_slash_until=vault.post_slash_until,
        slashed=vault.slashed,
    )


def position(state: SafetyState, vault_name: str, holder: bytes, epoch: int) -> PositionView:
    vault = state.vault(vault_name)
    start = vault.cooldowns.get(holder)
    opens = closes = None
    status = "none"
    if start is not None:
        opens = start + state.params.cooldown_epochs
        closes = opens + state.params.unstake_window_epochs
        status = "cooling" if epoch < opens else "window" if epoch < closes else "expired"
    shares = vault.ledger.shares_of(holder)
    return PositionView(
        shares=shares,
        assets=vault.ledger.assets_of(holder),
        rewards=rewards_of(vault, holder),
        cooldown=status,
        cooldown_start=start,
        window_opens=opens,
        window_closes=closes,
        can_redeem=shares > 0 and (status == "window" or in_post_slash(vault, epoch)),
    )


def apr(state: SafetyState, vault_name: str, epochs_per_year: int, value: int | None = None) -> AprView:
    """The emission's APR for the vault. ``value`` is the vault's assets in SWK (Gwei): the caller passes it for
    the stSWK vault (its assets are stSWK shares: value them with the liquid module's price); the SWK vault's
    assets are used when omitted."""
    vault = state.vault(vault_name)
    rate = emission_rate(state, vault)
    worth = vault.ledger.total_assets if value is None else value
    return AprView(
        apr_bps=None if worth <= 0 else mul_div(rate, BPS * epochs_per_year, worth, Rounding.DOWN),
        emission_per_epoch=rate,
        emitting=vault.emission_status == "paid",
        status=vault.emission_status,
    )


def slash_history(state: SafetyState, limit: int) -> list[SlashRecord]:
    """The last ``limit`` slashings (both vaults), oldest first (at most the 64 the state keeps)."""
    return state.slash_history[-limit:] if limit > 0 else []


def parameters(state: SafetyState) -> dict[str, dict[str, Any]]:
    """Every governable parameter: its value, bounds and meaning."""
    return {
        name: {"value": getattr(state.params, name), "min": b.min, "max": b.max, "doc": b.doc}
        for name, b in BOUNDS.items()
    }
