"""Read-only AMM views for the API and the CLI: the pool, quotes for each operation (the handlers' own math, so a
quote is what the message would do in the same block), an LP's position, the oracle and the parameters.

Every view takes stSWK's ``rate`` (SWK Gwei per 10**18 shares: the liquid module's share price, which the caller
reads) and the ``epoch`` (for A during a ramp and for the time-weighted price). Prices are SWK per one stSWK
share times 10**18."""

from __future__ import annotations

from typing import Any

import msgspec

from stakework.modules.amm import oracle
from stakework.modules.amm.errors import AmmError, OracleUnavailable
from stakework.modules.amm.handlers import preview_mint
from stakework.modules.amm.messages import coin_index
from stakework.modules.amm.stableswap import (
    A_PRECISION,
    PRECISION,
    add_liquidity,
    exchange,
    exchange_exact_out,
    get_D,
    remove_liquidity,
    remove_liquidity_one_coin,
)
from stakework.modules.amm.state import AmmState
from stakework.modules.shares import BURN_ADDRESS


class PoolView(msgspec.Struct, kw_only=True):
    swk_balance: int
    stswk_balance: int
    stswk_value: int
    """The stSWK side in SWK (Gwei) at the share price, rounded down."""
    admin_swk: int
    admin_stswk: int
    rate: int
    """SWK Gwei per 10**18 stSWK shares (the liquid module's share price)."""
    a: int
    """A now (a ramp moves it; times 1, rounded down); ``a_precise`` is times 100."""
    a_precise: int
    future_a: int
    future_a_epoch: int
    ramping: bool
    fee: int
    """Swap fee in 10**10 (4,000,000 = 0.04 %)."""
    admin_fee: int
    """Part of every fee to the treasury, in 10**10."""
    lp_supply: int
    d: int
    virtual_price: int
    """D per LP share times 10**18 (Curve ``get_virtual_price``); 0 when empty."""
    spot_price: int
    twap_price: int | None
    """None until the pool has ``twap_window`` epochs of history."""
    twap_window: int
    swaps: int
    volume_swk: int
    fees_paid_swk: int
    fees_paid_stswk: int


class Quote(msgspec.Struct, kw_only=True):
    sell: str
    dx: int
    """In (exact for ``exchange``, the least needed for ``exact_out``)."""
    dy: int
    """Out."""
    fee: int
    """The fee in the bought coin's units (the admin's part included)."""
    price: int
    """SWK per stSWK share paid in this trade, times 10**18."""
    d_before: int
    d_after: int


class PositionView(msgspec.Struct, kw_only=True):
    shares: int
    share_bps: int
    """Its part of all LP shares, in basis points (rounded down)."""
    swk: int
    stswk: int
    """What ``amm.remove_liquidity`` of all its shares would pay now."""
    value: int
    """Their SWK value at the share price (Gwei, rounded down)."""
    d_value: int
    """Its shares' part of D (Gwei, rounded down): the value the LP ledger books."""


class OracleView(msgspec.Struct, kw_only=True):
    spot_price: int | None
    twap_price: int | None
    twap_window: int
    history_epochs: int
    unavailable: str | None
    """Why the time-weighted price is not available yet (None when it is)."""
    samples: list[dict[str, int]]


def _d(state: AmmState, rate: int, epoch: int) -> int:
    pool = state.pool(rate, epoch)
    try:
        return get_D(pool.xp, pool.amp)
    except AmmError:
        return 0


def twap_or_none(state: AmmState, epoch: int) -> tuple[int | None, str | None]:
    try:
        return oracle.twap(state, epoch), None
    except OracleUnavailable as exc:
        return None, str(exc)


def pool_view(state: AmmState, rate: int, epoch: int) -> PoolView:
    a = state.a(epoch)
    d = _d(state, rate, epoch)
    supply = state.lp.total_shares
    twap, _ = twap_or_none(state, epoch)
    return PoolView(
        swk_balance=state.swk_balance,
        stswk_balance=state.stswk_balance,
        stswk_value=state.stswk_balance * rate // PRECISION,
        admin_swk=state.admin_swk,
        admin_stswk=state.admin_stswk,
        rate=rate,
        a=a // A_PRECISION,
        a_precise=a,
        future_a=state.future_a // A_PRECISION,
        future_a_epoch=state.future_a_epoch,
        ramping=epoch < state.future_a_epoch and state.initial_a != state.future_a,
        fee=state.fee,
        admin_fee=state.admin_fee,
        lp_supply=supply,
        d=d,
        virtual_price=d * PRECISION // supply if supply else 0,
        spot_price=oracle.current_price(state, rate, epoch),
        twap_price=twap,
        twap_window=state.twap_window,
        swaps=state.swaps,
        volume_swk=state.volume_swk,
        fees_paid_swk=state.fees_paid_swk,
        fees_paid_stswk=state.fees_paid_stswk,
    )


def _price(i: int, dx: int, dy: int) -> int:
    """SWK per stSWK share of a trade, times 10**18."""
    swk, st = (dx, dy) if i == 0 else (dy, dx)
    return swk * PRECISION // st if st else 0


def quote_exchange(state: AmmState, rate: int, epoch: int, sell: str, dx: int) -> Quote:
    """What ``amm.exchange`` of ``dx`` would give now (raises the handler's error when it would be refused)."""
    i = coin_index(sell)
    s = exchange(state.pool(rate, epoch), i, dx)
    return Quote(sell=sell, dx=s.dx, dy=s.dy, fee=s.fee, price=_price(i, s.dx, s.dy), d_before=s.d0, d_after=s.d1)


def quote_exact_out(state: AmmState, rate: int, epoch: int, sell: str, dy: int) -> Quote:
    """What ``amm.exchange_exact_out`` of ``dy`` would cost now."""
    i = coin_index(sell)
    s = exchange_exact_out(state.pool(rate, epoch), i, dy)
    return Quote(sell=sell, dx=s.dx, dy=s.dy, fee=s.fee, price=_price(i, s.dx, s.dy), d_before=s.d0, d_after=s.d1)


def quote_add(state: AmmState, rate: int, epoch: int, swk: int, stswk: int) -> int:
    """LP shares ``amm.add_liquidity`` would mint now."""
    dep = add_liquidity(state.pool(rate, epoch), (swk, stswk))
    return preview_mint(state, dep)


def quote_remove(state: AmmState, rate: int, epoch: int, shares: int) -> tuple[int, int]:
    """SWK and stSWK shares ``amm.remove_liquidity`` would pay now."""
    return remove_liquidity(state.pool(rate, epoch), shares)


def quote_remove_one(state: AmmState, rate: int, epoch: int, shares: int, coin: str) -> int:
    """What ``amm.remove_liquidity_one_coin`` would pay now."""
    return remove_liquidity_one_coin(state.pool(rate, epoch), shares, coin_index(coin)).dy


def position(state: AmmState, rate: int, epoch: int, holder: bytes) -> PositionView:
    shares = state.lp.shares_of(holder)
    supply = state.lp.total_shares
    if shares == 0 or supply == 0 or holder == BURN_ADDRESS:
        return PositionView(shares=shares, share_bps=0, swk=0, stswk=0, value=0, d_value=0)
    swk, st = remove_liquidity(state.pool(rate, epoch), shares)
    return PositionView(
        shares=shares,
        share_bps=shares * 10_000 // supply,
        swk=swk,
        stswk=st,
        value=swk + st * rate // PRECISION,
        d_value=shares * _d(state, rate, epoch) // supply,
    )


def oracle_view(state: AmmState, rate: int, epoch: int, samples: int = 32) -> OracleView:
    twap, why = twap_or_none(state, epoch)
    spot = oracle.current_price(state, rate, epoch)
    return OracleView(
        spot_price=spot or None,
        twap_price=twap,
        twap_window=state.twap_window,
        history_epochs=oracle.history_epochs(state, epoch),
        unavailable=why,
        samples=[{"epoch": p.epoch, "price": p.price} for p in state.price_samples[-samples:]] if samples > 0 else [],
    )


def parameters(state: AmmState) -> dict[str, dict[str, Any]]:
    """Every governable parameter: its value, bounds and meaning (the definition's ``Param``s)."""
    from stakework.modules.amm.definition import PARAMS, read_param

    return {
        p.name: {"value": read_param(state, p.name), "min": p.minimum, "max": p.maximum, "doc": p.doc} for p in PARAMS
    }
