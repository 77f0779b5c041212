"""The AMM's epoch hook (after the liquid module's, which may have moved stSWK's share price this epoch):

1. record the end price of the last epoch the pool was touched in, if this is a new epoch, and start a ramp of A
   governance asked for (what every touch does first);
2. pay the admin fees gathered since the last epoch to the treasury (Curve ``withdraw_admin_fees``, here
   automatic); a payment that fails (a treasury the liquid module refuses shares to) waits for the next epoch;
3. refresh the LP ledger's D and the pool's price at the share price now, so the end price of this epoch counts
   the liquid module's rebase.

O(1), never O(LPs). Without the liquid module (no stSWK rate) only step 1 runs.
"""

from __future__ import annotations

from stakework.modules.amm import MODULE
from stakework.modules.amm.errors import AssetUnavailable
from stakework.modules.amm.handlers import _settle, refresh
from stakework.modules.amm.protocols import rate_of, staked_token_of
from stakework.modules.amm.state import AmmState
from stakework.modules.host import ModuleHost
from stakework.spec.errors import StakeworkError


def pay_admin_fees(state: AmmState, host: ModuleHost) -> None:
    """Admin fees to the treasury: SWK through the host, stSWK shares through the liquid module's ledger."""
    module = host.module_address(MODULE)
    if state.admin_swk:
        try:
            host.debit(module, state.admin_swk)
        except StakeworkError:
            pass
        else:
            host.credit(state.treasury, state.admin_swk)
            state.fees_paid_swk += state.admin_swk
            state.admin_swk = 0
    if state.admin_stswk:
        try:
            staked_token_of(host).transfer_shares(module, state.treasury, state.admin_stswk)
        except StakeworkError:
            return
        state.fees_paid_stswk += state.admin_stswk
        state.admin_stswk = 0


def on_epoch(state: AmmState, host: ModuleHost) -> None:
    """Steps 1-3."""
    _settle(state, host.epoch)
    try:
        rate = rate_of(staked_token_of(host))
    except AssetUnavailable:
        return
    pay_admin_fees(state, host)
    refresh(state, rate, host.epoch)
