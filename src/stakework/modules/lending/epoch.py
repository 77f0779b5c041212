"""The lending module's epoch hook, O(1) per market (never O(users)):

1. accrue each market's indices to the epoch (Aave ``updateState``; the treasury's part minted as supply);
2. the oracle's anchor (Aave CAPO's snapshot) moves to this epoch's capped exchange rate;
3. each market's outstanding deficit is offered to the safety module again (a slashing being settled, or a
   reporter not authorised yet, refused it earlier).
"""

from __future__ import annotations

from stakework.modules.host import ModuleHost
from stakework.modules.lending.handlers import accrue_all, cover_deficit
from stakework.modules.lending.oracle import refresh_anchor
from stakework.modules.lending.state import LendingState


def on_epoch(state: LendingState, host: ModuleHost) -> None:
    accrue_all(state, host.epoch)
    refresh_anchor(state, host)
    for market in state.markets():
        if market.deficit:
            cover_deficit(state, host, market)
