"""The pool's time-weighted price, and the host service ``amm_oracle`` other modules read it through.

Modules see time only as ``host.epoch``. As Uniswap v2 accumulates ``price * time elapsed`` at the first trade of
each block, before the trade, the pool records its price **as it stood at the end of the last epoch it was touched
in** at the first touch of a later epoch (:func:`record`; a touch is any accepted message or the epoch hook, which
runs every epoch). That price holds for every epoch until the next record. The time-weighted price at epoch ``e``
over a window of ``W`` epochs is the mean of the end-of-epoch prices of epochs ``e - W .. e - 1``
(:func:`twap`): the current epoch never counts, so a price pushed and pulled back within one epoch (a sandwich, a
flash loan) moves it by nothing, and a price held off for ``k`` epoch ends moves it by ``k / W`` of the
deviation. docs/modules.md, "AMM", gives the cost of that.

Prices are SWK (Gwei) per one stSWK share, times 10**18 (per 10**18 shares): the pool's marginal price in SWK
value (StableSwap-NG ``get_p``) times the liquid module's share price.
"""

from __future__ import annotations

from stakework.modules.amm.errors import AmmError, OracleUnavailable
from stakework.modules.amm.protocols import rate_of, staked_token_of
from stakework.modules.amm.stableswap import spot_price
from stakework.modules.amm.state import MAX_SAMPLES, AmmState, PricePoint
from stakework.modules.host import ModuleHost


def record(state: AmmState, epoch: int) -> None:
    """The first touch of a new epoch: keep the last touch's price as the end price of its epoch (Uniswap v2
    ``_update``, before the reserves change)."""
    if epoch <= state.price_epoch:
        return
    if state.price_last > 0:
        state.price_samples.append(PricePoint(state.price_epoch, state.price_last))
        # equivalent mutant (cmp > to >=): at exactly MAX_SAMPLES samples the slice deleted is empty
        if len(state.price_samples) > MAX_SAMPLES:
            del state.price_samples[: len(state.price_samples) - MAX_SAMPLES]
    state.price_epoch = epoch


def current_price(state: AmmState, rate: int, epoch: int) -> int:
    """The pool's spot price now (0 when it has no liquidity)."""
    # equivalent mutant (const 0 to -1|const 0 to 1): empty: spot_price raises EmptyPool, so 0; never 1 share: 10^6 dead
    if state.lp.total_shares == 0:
        return 0
    try:
        return spot_price(state.pool(rate, epoch))
    except AmmError:  # one side empty, or D undefined
        return 0


def history_epochs(state: AmmState, epoch: int) -> int:
    """How many whole epochs before ``epoch`` have an end price recorded or implied."""
    first = state.price_samples[0].epoch if state.price_samples else state.price_epoch
    if state.price_last == 0 and not state.price_samples:
        return 0
    # equivalent mutant (keeping argument 1|const 0 to -1): the last touch's epoch is never past the chain's
    return max(epoch - first, 0)


def twap(state: AmmState, epoch: int, window: int | None = None) -> int:
    """The mean end-of-epoch price of epochs ``epoch - window .. epoch - 1`` (default: the governable
    ``twap_window``), rounded down. :class:`OracleUnavailable` until the pool has that much history."""
    w = state.twap_window if window is None else window
    if w <= 0:
        raise OracleUnavailable("the window must be at least one epoch")
    have = history_epochs(state, epoch)
    if have < w:
        raise OracleUnavailable(
            f"the pool has {have} epochs of price history; its time-weighted price needs {w} (the twap window)"
        )
    start = epoch - w
    points = [*state.price_samples, PricePoint(state.price_epoch, state.price_last)]
    total = 0
    end = epoch
    for point in reversed(points):
        lo = max(point.epoch, start)
        # equivalent mutant (cmp > to >=): at end == lo the term added is price x 0
        if end > lo:
            total += point.price * (end - lo)
        # equivalent mutant (keeping argument 2): points go back in epoch order from one not past the chain's: <= end
        end = min(end, point.epoch)
        # equivalent mutant (cmp <= to <): the break only saves work: once end <= start every later term is price x 0
        if end <= start:
            # equivalent mutant (delete break): only saves work: with end <= start, lo >= end, so nothing more is added
            break
    return total // w


class AmmOracle:
    """The host service ``amm_oracle``: the pool's prices for other modules (the lending module's collateral
    price). Both in SWK Gwei per 10**18 stSWK shares (SWK per one stSWK share, times 10**18)."""

    def __init__(self, state: AmmState, host: ModuleHost) -> None:
        self.state = state
        self.host = host

    def spot_price(self) -> int:
        """The pool's marginal price now (moves with every trade in this block: manipulable within a block).
        Raises :class:`OracleUnavailable` when the pool has no liquidity."""
        price = current_price(self.state, rate_of(staked_token_of(self.host)), self.host.epoch)
        if price == 0:
            raise OracleUnavailable("the AMM pool has no price: no liquidity (or an invariant it cannot compute)")
        return price

    def twap_price(self) -> int:
        """The mean of the pool's end-of-epoch prices over the last ``twap_window`` epochs (the current epoch
        excluded). Raises :class:`OracleUnavailable` until the pool has that many epochs of history."""
        return twap(self.state, self.host.epoch)
