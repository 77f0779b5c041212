"""Safety-module transaction kinds (tagged msgspec structs: ``SafetyMessage`` is their union).

``vault`` names the staked asset: ``"swk"`` (amounts in Gwei) or ``"stswk"`` (amounts in stSWK shares, the
liquid module's non-rebasing unit). stkSWK amounts are shares of that vault.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from stakework.spec.types import U64, Bytes20

Vault = Literal["swk", "stswk"]
Reason = Annotated[str, msgspec.Meta(max_length=64)]
"""Why a slashing happened, kept in the history (at most 64 characters)."""


class Stake(msgspec.Struct, tag="safety.stake", kw_only=True):
    """Pay ``amount`` of the vault's asset for stkSWK shares, rounded down (Aave ``stake``)."""

    vault: Vault = "swk"
    amount: U64


class Cooldown(msgspec.Struct, tag="safety.cooldown", kw_only=True):
    """Start the cooldown of all the sender's stkSWK in the vault (Aave ``cooldown``); restarts a running one."""

    vault: Vault = "swk"


class Redeem(msgspec.Struct, tag="safety.redeem", kw_only=True):
    """Burn ``shares`` stkSWK for the assets they are worth, rounded down, inside the unstake window or during a
    post-slash window (Aave ``redeem``)."""

    vault: Vault = "swk"
    shares: U64


class Transfer(msgspec.Struct, tag="safety.transfer", kw_only=True):
    """Send ``shares`` stkSWK; the recipient's cooldown moves by Aave's weighted rule."""

    vault: Vault = "swk"
    to: Bytes20
    shares: U64


class ClaimRewards(msgspec.Struct, tag="safety.claim_rewards", kw_only=True):
    """Pay up to ``amount`` of the sender's rewards (all of them when omitted) to ``to`` (the sender when omitted)
    (Aave ``claimRewards``)."""

    vault: Vault = "swk"
    amount: U64 | None = None
    to: Bytes20 | None = None


class Slash(msgspec.Struct, tag="safety.slash", kw_only=True):
    """Governance or an authorised slasher: take up to ``amount`` (capped at ``max_slash_bps`` of the vault) to
    ``recipient`` (Aave ``StakedTokenV3.slash``)."""

    vault: Vault = "swk"
    amount: U64
    recipient: Bytes20
    reason: Reason = ""


class SettleSlashing(msgspec.Struct, tag="safety.settle_slashing", kw_only=True):
    """Governance: end the vault's post-slash window now (Aave ``settleSlashing``)."""

    vault: Vault = "swk"


class SetParameters(msgspec.Struct, tag="safety.set_parameters", kw_only=True):
    """Governance: change what is given (None: unchanged); all checked against their bounds before any applies."""

    cooldown_epochs: U64 | None = None
    unstake_window_epochs: U64 | None = None
    max_slash_bps: U64 | None = None
    post_slash_epochs: U64 | None = None
    swk_emission_per_epoch: U64 | None = None
    stswk_emission_per_epoch: U64 | None = None


class AuthorizeSlasher(msgspec.Struct, tag="safety.authorize_slasher", kw_only=True):
    """Governance: let ``address`` (a shortfall reporter) slash, or stop it (``allowed = false``)."""

    address: Bytes20
    allowed: bool = True


SafetyMessage = (
    Stake | Cooldown | Redeem | Transfer | ClaimRewards | Slash | SettleSlashing | SetParameters | AuthorizeSlasher
)
