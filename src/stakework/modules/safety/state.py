"""Safety-module state: two vaults (SWK and stSWK), each a share ledger of stkSWK with its reward index,
cooldowns and slashing state; the governable parameters; the slashing history. Integers: Gwei, shares, epochs.

Accounting identities (checked by :mod:`.invariants` and the tests):

- the module's SWK account holds ``swk.ledger.total_assets + sum(vault.emitted - vault.claimed)``: the staked SWK
  plus every reward emitted and not claimed yet (rounding dust of the index included);
- the module holds ``stswk.ledger.total_assets`` stSWK shares in the liquid module's ledger;
- per vault, ``claimed + sum(accrued) + sum(pending) <= emitted``: nobody is paid a reward that was not emitted.

Reward index (Aave ``AaveDistributionManager``): ``index`` grows by ``emission * INDEX_SCALE // total_shares``
each epoch an emission is funded; a holder's rewards are ``accrued[h] + shares * (index - user_index[h]) //
INDEX_SCALE``, settled (moved into ``accrued``) before the holder's shares change. O(1) per message.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from stakework.modules.safety.errors import UnknownEntity
from stakework.modules.safety.parameters import SafetyParameters, check_parameters, default_parameters
from stakework.modules.shares import HolderTables, ShareLedger, ShareMap
from stakework.spec.presets import Preset

INDEX_SCALE = 10**12
"""Fixed-point scale of the reward index. Aave uses 1e18, but the store encodes unsigned 64-bit integers: at 1e12
an index passes 2^64 only after ~1.8e7 epochs paying each staked share its own value every epoch, while the
dust a floor leaves stays under ``total_shares / 1e12`` Gwei an epoch (0.001 SWK for 10^9 SWK staked)."""
MAX_INDEX = 2**64 - 1
"""An emission that would take the index (or the emitted total) past this is not paid (state: ``index cap``)."""
SLASH_HISTORY = 64
"""Slashings kept for the API (the oldest drop out)."""

VaultName = Literal["swk", "stswk"]
VAULTS: tuple[VaultName, ...] = ("swk", "stswk")

EmissionStatus = Literal["off", "no stakers", "too small", "paid", "treasury short", "index cap"]
"""What happened to the last epoch's emission: rate 0; nobody but the dead shares staked; the rate is below one
index unit per share; paid; the treasury could not fund it (emissions stop until it can); it would pass 2^64 - 1."""


class Vault(HolderTables, kw_only=True):
    """One staked asset (SWK in Gwei, or stSWK shares) and the stkSWK shares minted for it.

    ``user_index``, ``accrued`` and ``cooldowns`` are holder tables (:class:`~stakework.modules.shares.HolderTables`),
    as the ledger's ``shares``: each committed as its own bucketed tree, so a block that settles one holder re-hashes
    that holder's bucket."""

    holder_tables = ("user_index", "accrued", "cooldowns")

    name: str
    ledger: ShareLedger = msgspec.field(default_factory=ShareLedger)
    """stkSWK shares; ``total_assets`` is what the vault holds in its asset."""
    index: int = 0
    """Reward index, scaled by :data:`INDEX_SCALE` (Aave ``assets[].index``)."""
    user_index: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Index at each holder's last settlement (Aave ``assets[].users[]``); absent: 0 shares, nothing pending."""
    accrued: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Settled, unclaimed rewards in Gwei (Aave ``stakerRewardsToClaim``); absent: 0."""
    cooldowns: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Epoch each holder's cooldown started (Aave V2 ``stakersCooldowns``); absent: no cooldown."""
    emitted: int = 0
    """SWK paid in from the treasury for this vault's rewards, ever."""
    claimed: int = 0
    """SWK paid out as this vault's rewards, ever."""
    emission_status: str = "off"
    """An :data:`EmissionStatus`: the fate of the last epoch's emission."""
    last_emission_epoch: int | None = None
    """The last epoch whose emission was paid (None: never; every integer in the store is unsigned)."""
    unfunded_epochs: int = 0
    """Epochs whose emission the treasury could not fund."""
    post_slash_until: int = 0
    """Redeeming needs no cooldown and staking is refused while ``epoch < post_slash_until`` (Aave
    ``inPostSlashingPeriod``)."""
    slashed: int = 0
    """Assets taken by slashings, ever."""


class SlashRecord(msgspec.Struct, kw_only=True):
    epoch: int
    vault: str
    amount: int
    """Assets taken (SWK in Gwei, or stSWK shares)."""
    cap: int
    """The most this slashing could take: ``max_slash_bps`` of ``assets_before``, rounded down."""
    assets_before: int
    recipient: bytes
    reason: str
    by: bytes
    """Who slashed: the governance executor or an authorised shortfall reporter."""


class SafetyState(msgspec.Struct, kw_only=True):
    governance: bytes
    """The governance executor: sets parameters, authorises slashers, slashes, settles slashings."""
    treasury: bytes
    """The account emissions are paid from (``host.debit``); an emission it cannot fund is skipped."""
    params: SafetyParameters
    swk: Vault = msgspec.field(default_factory=lambda: Vault(name="swk"))
    stswk: Vault = msgspec.field(default_factory=lambda: Vault(name="stswk"))
    slashers: list[bytes] = msgspec.field(default_factory=list)
    """Addresses besides governance allowed to slash (shortfall reporters: the lending module's account later)."""
    slash_history: list[SlashRecord] = msgspec.field(default_factory=list)
    """The last :data:`SLASH_HISTORY` slashings, oldest first."""

    def vault(self, name: str) -> Vault:
        if name == "swk":
            return self.swk
        if name == "stswk":
            return self.stswk
        raise UnknownEntity(f"no vault {name!r}; the vaults are 'swk' and 'stswk'")


def new_state(
    preset: Preset, *, governance: bytes, treasury: bytes, params: SafetyParameters | None = None
) -> SafetyState:
    """An empty safety module: Aave's durations in ``preset``'s epochs unless ``params`` are given."""
    chosen = default_parameters(preset) if params is None else params
    check_parameters(chosen)
    return SafetyState(governance=governance, treasury=treasury, params=chosen)
