"""AMM state: one SWK/stSWK-shares StableSwap pool, its LP share ledger, amplification ramp, fees and the price
history behind the time-weighted price. Integers: Gwei, stSWK shares, LP shares, epochs.

Accounting identities (checked by the tests on the fake host):

- the module's SWK account holds ``swk_balance + admin_swk``; its stSWK shares (in the liquid module's ledger) are
  ``stswk_balance + admin_stswk``;
- ``lp.total_assets`` is the pool's D (SWK Gwei) as of the last touch: the LP ledger prices a deposit's new D as
  Curve does (``supply * (D2 - D0) / D0``, rounded down);
- ``price_samples`` are ordered by epoch, at most :data:`MAX_SAMPLES`, all before ``price_epoch``.
"""

from __future__ import annotations

import msgspec

from stakework.modules.amm.stableswap import A_PRECISION, FEE_DENOMINATOR, MAX_A, Pool, ramp_a
from stakework.modules.shares import ShareLedger
from stakework.spec.presets import Preset

DEFAULT_A = 100
"""Curve's factory default amplification (the stETH pool ran at 30-50 early, later 1,000)."""
DEFAULT_FEE = 4_000_000
"""0.04 % of FEE_DENOMINATOR (Curve's 3pool and stETH pool swap fee)."""
DEFAULT_ADMIN_FEE = 5_000_000_000
"""Half of every fee to the treasury (Curve's admin fee)."""
MIN_FEE = 1
"""10^-10: the least swap fee governance may set. [Differs from Curve: its pools accept a fee of 0.] D counts
whole Gwei, so at a fee of 0 a round trip on a tilted pool can return one unit more than it put in, taken from the
LPs (found by the pool machine's million-step run: A 10, 566,025 SWK against 254,702,329 stSWK shares, 487 shares
sold and bought back as 488). Any positive fee is rounded up to at least one unit a swap, which covers that grain."""
MAX_FEE = 100_000_000
"""1 %: the most governance may charge per swap (Curve's ``MAX_FEE`` is 50 %; a stable pool charging more than 1 %
serves nobody, and the bound keeps a captured governance from taxing every trade)."""
MAX_TWAP_WINDOW = 1_024
"""The longest time-weighted price window, in epochs (about 4.5 days of 6.4-minute epochs)."""
MAX_SAMPLES = MAX_TWAP_WINDOW + 1
"""Price samples kept (one per epoch the pool is touched in)."""
MAX_RAMP_EPOCHS = 2**22
MIN_RAMP_DAYS = 1
"""Curve ``MIN_RAMP_TIME``: 86,400 seconds between ramps and for a ramp's length."""
TWAP_DAYS = 1
"""The default time-weighted price window."""


class PricePoint(msgspec.Struct, array_like=True):
    """The pool's price at the end of ``epoch`` (SWK per stSWK share, times 10**18), recorded at the first touch
    of a later epoch (Uniswap v2's cumulative price: the price before the first trade of a block). It holds for
    every epoch up to the next sample's."""

    epoch: int
    price: int


class AmmState(msgspec.Struct, kw_only=True):
    governance: bytes
    """The governance executor: ramps A (``amm.ramp_a``, ``amm.stop_ramp_a``)."""
    treasury: bytes
    """Where the admin fees go (each epoch)."""
    swk_balance: int = 0
    """SWK (Gwei) in the pool (admin fees excluded)."""
    stswk_balance: int = 0
    """stSWK shares in the pool (admin fees excluded)."""
    admin_swk: int = 0
    """Admin fees in SWK not yet paid to the treasury."""
    admin_stswk: int = 0
    """Admin fees in stSWK shares not yet paid to the treasury."""
    lp: ShareLedger = msgspec.field(default_factory=ShareLedger)
    """LP shares (the one share ledger: dead shares on the first deposit); ``total_assets`` = D at the last touch."""
    initial_a: int = DEFAULT_A * A_PRECISION
    future_a: int = DEFAULT_A * A_PRECISION
    initial_a_epoch: int = 0
    future_a_epoch: int = 0
    min_ramp_epochs: int = 1
    """Curve ``MIN_RAMP_TIME`` in epochs: between two ramps, and the shortest ramp."""
    ramp_epochs: int = 1
    """How long a ramp set through governance's ``future_a`` parameter takes (at least ``min_ramp_epochs``)."""
    pending_future_a: int = 0
    """A (not times A_PRECISION) governance asked for; the next touch starts the ramp (0: none)."""
    fee: int = DEFAULT_FEE
    admin_fee: int = DEFAULT_ADMIN_FEE
    twap_window: int = 1
    """Epochs the time-weighted price averages over."""
    price_last: int = 0
    """The price after the last touch (0: no liquidity yet)."""
    price_epoch: int = 0
    """The epoch of the last touch."""
    price_samples: list[PricePoint] = msgspec.field(default_factory=list)
    swaps: int = 0
    volume_swk: int = 0
    """SWK value (Gwei, at the rate of the time) of everything sold to the pool, ever."""
    fees_paid_swk: int = 0
    """Admin fees paid to the treasury, ever: SWK, and stSWK shares."""
    fees_paid_stswk: int = 0

    def a(self, epoch: int) -> int:
        """A times A_PRECISION at ``epoch`` (Curve ``_A``)."""
        return ramp_a(self.initial_a, self.future_a, self.initial_a_epoch, self.future_a_epoch, epoch)

    def pool(self, rate: int, epoch: int) -> Pool:
        """The pool as the math reads it, with stSWK's rate ``rate`` (SWK Gwei per 10**18 shares)."""
        return Pool(
            balances=(self.swk_balance, self.stswk_balance),
            rates=(10**18, rate),
            amp=self.a(epoch),
            fee=self.fee,
            admin_fee=self.admin_fee,
            supply=self.lp.total_shares,
        )


def epochs_for_days(preset: Preset, days: int) -> int:
    """Whole epochs of ``preset`` in ``days`` (rounded up), at least 1."""
    epoch_ms = preset.SLOTS_PER_EPOCH * preset.SLOT_DURATION_MS
    return max(-(-days * 86_400_000 // epoch_ms), 1)


def new_state(
    preset: Preset,
    *,
    governance: bytes,
    treasury: bytes,
    a: int = DEFAULT_A,
    fee: int = DEFAULT_FEE,
    admin_fee: int = DEFAULT_ADMIN_FEE,
    twap_window: int | None = None,
    min_ramp_epochs: int | None = None,
) -> AmmState:
    """An empty pool: Curve's defaults (A 100, fee 0.04 %, half of it to the admin), a one-day minimum ramp and a
    one-day time-weighted price window in ``preset``'s epochs unless given."""
    min_ramp = epochs_for_days(preset, MIN_RAMP_DAYS) if min_ramp_epochs is None else min_ramp_epochs
    window = min(epochs_for_days(preset, TWAP_DAYS), MAX_TWAP_WINDOW) if twap_window is None else twap_window
    if not 1 <= a < MAX_A or not MIN_FEE <= fee <= MAX_FEE or not 0 <= admin_fee <= FEE_DENOMINATOR:
        raise ValueError("A, fee or admin fee outside its bounds")
    if not 1 <= window <= MAX_TWAP_WINDOW or not 1 <= min_ramp <= MAX_RAMP_EPOCHS:
        raise ValueError("twap window or minimum ramp outside its bounds")
    return AmmState(
        governance=governance,
        treasury=treasury,
        initial_a=a * A_PRECISION,
        future_a=a * A_PRECISION,
        min_ramp_epochs=min_ramp,
        ramp_epochs=min_ramp,
        fee=fee,
        admin_fee=admin_fee,
        twap_window=window,
    )


__all__ = ["FEE_DENOMINATOR", "AmmState", "PricePoint", "new_state"]
