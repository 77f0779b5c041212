"""The AMM's read-only API under `/v1/amm`: the pool (balances, A and its ramp, fees, D, virtual price, spot and
time-weighted prices, parameters), quotes for every operation (the module's own math on the head state, so a quote
is what the message would do now), an account's LP position, and the oracle (mounted from the AMM's definition,
`api_router`).

Every figure comes from the head state's AMM through `stakework.modules.amm.queries`, with stSWK's rate read from
the liquid module (SWK Gwei per 10^18 shares). SWK amounts are Gwei, stSWK amounts are the liquid module's shares,
prices are SWK per one stSWK share times 10^18, fees are in 10^-10; all as decimal strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import bad_request, not_found
from stakework.api.modules.common import _hex
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.amm import queries as amm_queries
from stakework.modules.amm.messages import COINS
from stakework.modules.amm.state import MAX_SAMPLES, AmmState
from stakework.modules.arith import Rounding
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState

router = APIRouter(prefix="/v1", tags=["modules"])

SellQuery = Query(..., description="The coin sold: swk or stswk.")
DxQuery = Query(None, description="Exact amount sold (Gwei or stSWK shares): quote `amm.exchange`.")
DyQuery = Query(None, description="Exact amount bought: quote `amm.exchange_exact_out` (give dx or dy).")
SwkQuery = Query(None, description="SWK (Gwei) to deposit.")
StswkQuery = Query(None, description="stSWK shares to deposit.")
SharesQuery = Query(..., description="LP shares to burn.")
CoinQuery = Query(None, description="Withdraw in this coin only (swk or stswk); both pro rata when omitted.")
SamplesQuery = Query(None, description=f"Price samples to list, newest last (0..{MAX_SAMPLES}, default 32).")


def _amm(state: BeaconState) -> AmmState:
    amm: AmmState | None = state.modules.get("amm")
    if amm is None:
        raise not_found("the amm module is not enabled on this chain")
    return amm


def _rate(state: BeaconState) -> int:
    """stSWK's rate (SWK Gwei per 10^18 shares) from the liquid module, as the AMM reads it."""
    liquid = state.modules.get("liquid")
    if liquid is None:
        raise not_found("the AMM prices stSWK with the liquid module, which this chain does not run")
    rate: int = liquid.ledger.convert_to_assets(10**18, Rounding.DOWN)
    return rate


def _coin(text: str, what: str) -> str:
    if text not in COINS:
        raise bad_request(f"{what} {text[:20]!r}: choose swk or stswk")
    return text


def _amount(text: str | None, what: str) -> int:
    return 0 if text is None else parse_uint(text, what)


@router.get("/amm", summary="AMM pool")
def amm(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The pool: SWK and stSWK balances (and the stSWK side's SWK value), admin fees awaiting the treasury, stSWK's
    rate, A now (and `a_precise`, times 100), its ramp, the swap and admin fees (10^-10), LP supply, D, the virtual
    price (D per LP share times 10^18), the spot price and the time-weighted price (null until the pool has a full
    window of history), swaps and volume, fees paid, governance executor and treasury, every parameter with its
    bounds."""
    with view.lock:
        state = view.chain.head_state
        pool = _amm(state)
        epoch = int(state.current_epoch())
        data: dict[str, Any] = to_json(amm_queries.pool_view(pool, _rate(state), epoch))
        data.update(
            {
                "epoch": str(epoch),
                "governance": _hex(pool.governance),
                "treasury": _hex(pool.treasury),
                "parameters": to_json(amm_queries.parameters(pool)),
            }
        )
    return {"data": data}


@router.get("/amm/quote", summary="AMM swap quote")
def amm_quote(
    sell: str = SellQuery, dx: str | None = DxQuery, dy: str | None = DyQuery, view: NodeView = Depends(get_view)
) -> dict[str, Any]:
    """What a swap would do on the head state: with `dx`, `amm.exchange` (the output `dy`); with `dy`,
    `amm.exchange_exact_out` (the input `dx` it costs); the fee in the bought coin, the trade's price (SWK per
    stSWK share times 10^18) and D before and after. A swap the pool would refuse is a 400 with its reason."""
    coin = _coin(sell, "sell")
    if (dx is None) == (dy is None):
        raise bad_request("give exactly one of dx (sell exactly) or dy (buy exactly)")
    with view.lock:
        state = view.chain.head_state
        pool, rate, epoch = _amm(state), _rate(state), int(state.current_epoch())
        try:
            if dx is not None:
                quote = amm_queries.quote_exchange(pool, rate, epoch, coin, parse_uint(dx, "dx"))
            else:
                quote = amm_queries.quote_exact_out(pool, rate, epoch, coin, parse_uint(dy or "", "dy"))
        except StakeworkError as exc:
            raise bad_request(f"the pool would refuse that swap: {exc}") from None
    return {"data": to_json(quote)}


@router.get("/amm/quote/add", summary="AMM deposit quote")
def amm_quote_add(
    swk: str | None = SwkQuery, stswk: str | None = StswkQuery, view: NodeView = Depends(get_view)
) -> dict[str, Any]:
    """LP shares `amm.add_liquidity` of `swk` and `stswk` would mint on the head state (an imbalanced deposit pays
    the imbalance fee)."""
    amounts = _amount(swk, "swk"), _amount(stswk, "stswk")
    with view.lock:
        state = view.chain.head_state
        pool, rate, epoch = _amm(state), _rate(state), int(state.current_epoch())
        try:
            minted = amm_queries.quote_add(pool, rate, epoch, *amounts)
        except StakeworkError as exc:
            raise bad_request(f"the pool would refuse that deposit: {exc}") from None
    return {"data": {"swk": str(amounts[0]), "stswk": str(amounts[1]), "mint": str(minted)}}


@router.get("/amm/quote/remove", summary="AMM withdrawal quote")
def amm_quote_remove(
    shares: str = SharesQuery, coin: str | None = CoinQuery, view: NodeView = Depends(get_view)
) -> dict[str, Any]:
    """What burning `shares` LP shares pays on the head state: both coins pro rata (`amm.remove_liquidity`), or with
    `coin` that coin only (`amm.remove_liquidity_one_coin`, imbalance fee included)."""
    n = parse_uint(shares, "shares")
    one = None if coin is None else _coin(coin, "coin")
    with view.lock:
        state = view.chain.head_state
        pool, rate, epoch = _amm(state), _rate(state), int(state.current_epoch())
        try:
            if one is None:
                swk, st = amm_queries.quote_remove(pool, rate, epoch, n)
            else:
                out = amm_queries.quote_remove_one(pool, rate, epoch, n, one)
                swk, st = (out, 0) if one == "swk" else (0, out)
        except StakeworkError as exc:
            raise bad_request(f"the pool would refuse that withdrawal: {exc}") from None
    return {"data": {"shares": str(n), "coin": one, "swk": str(swk), "stswk": str(st)}}


@router.get("/amm/accounts/{address}", summary="AMM LP position")
def amm_account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The address's LP shares, its part of the pool (bps), what a balanced withdrawal of all of them pays now,
    their SWK value at the share price, and their part of D."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        state = view.chain.head_state
        pool, rate, epoch = _amm(state), _rate(state), int(state.current_epoch())
        data: dict[str, Any] = to_json(amm_queries.position(pool, rate, epoch, addr))
    data.update({"address": _hex(addr), "epoch": str(epoch)})
    return {"data": data}


@router.get("/amm/oracle", summary="AMM price oracle")
def amm_oracle(samples: str | None = SamplesQuery, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """What other modules read through the host service `amm_oracle`: the spot price and the time-weighted price
    (SWK per stSWK share times 10^18; the mean end-of-epoch price over the last `twap_window` epochs, the current
    epoch excluded; null with the reason until the pool has a full window), the epochs of history, and the last
    `samples` end-of-epoch prices."""
    n = 32 if samples is None else parse_uint(samples, "samples")
    if n > MAX_SAMPLES:
        raise bad_request(f"samples must be 0..{MAX_SAMPLES}, got {n}")
    with view.lock:
        state = view.chain.head_state
        pool, rate, epoch = _amm(state), _rate(state), int(state.current_epoch())
        data: dict[str, Any] = to_json(amm_queries.oracle_view(pool, rate, epoch, n))
    data["epoch"] = str(epoch)
    return {"data": data}
