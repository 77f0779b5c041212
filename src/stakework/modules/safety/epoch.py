"""The safety module's epoch hook: each vault's emission for the epoch just processed.

Per vault, with ``rate`` its ``<vault>_emission_per_epoch`` (Aave ``AaveDistributionManager._updateAssetStateInternal``
with ``emissionPerSecond * timeDelta``, here one epoch at a time):

1. rate 0: nothing (status ``off``); only the dead shares staked: nothing (``no stakers``: Aave accrues nothing
   on a zero supply);
2. ``delta = rate * INDEX_SCALE // total_shares`` (rounded down: never more than emitted is owed); a delta of 0
   (the rate is below one unit per 10^12 shares) pays nothing (``too small``), and an index or emitted total that
   would pass 2^64 - 1 pays nothing (``index cap``);
3. the treasury pays ``rate`` into the module's account (``host.debit`` then ``host.credit``); if it cannot, the
   emission is skipped and counted (``treasury short``: emissions stop until it is funded again);
4. ``index += delta``, ``emitted += rate``.

O(1) per vault, never O(holders).
"""

from __future__ import annotations

from stakework.modules.host import ModuleHost
from stakework.modules.safety import MODULE
from stakework.modules.safety.state import INDEX_SCALE, MAX_INDEX, SafetyState, Vault
from stakework.modules.shares import BURN_ADDRESS
from stakework.spec.errors import StakeworkError


def emission_rate(state: SafetyState, vault: Vault) -> int:
    """The vault's governable emission per epoch, in Gwei."""
    if vault.name == "swk":
        return state.params.swk_emission_per_epoch
    return state.params.stswk_emission_per_epoch


def emit(state: SafetyState, vault: Vault, host: ModuleHost) -> None:
    """Steps 1-4 for one vault."""
    rate = emission_rate(state, vault)
    if rate == 0:
        vault.emission_status = "off"
        return
    total = vault.ledger.total_shares
    if total - vault.ledger.shares_of(BURN_ADDRESS) <= 0:
        vault.emission_status = "no stakers"
        return
    delta = rate * INDEX_SCALE // total
    if delta == 0:
        vault.emission_status = "too small"
        return
    if vault.index + delta > MAX_INDEX or vault.emitted + rate > MAX_INDEX:
        vault.emission_status = "index cap"
        return
    try:
        host.debit(state.treasury, rate)
    except StakeworkError:
        vault.emission_status = "treasury short"
        vault.unfunded_epochs += 1
        return
    host.credit(host.module_address(MODULE), rate)
    vault.index += delta
    vault.emitted += rate
    vault.emission_status = "paid"
    vault.last_emission_epoch = host.epoch


def on_epoch(state: SafetyState, host: ModuleHost) -> None:
    """Emit for the SWK vault, then the stSWK vault."""
    emit(state, state.swk, host)
    emit(state, state.stswk, host)
