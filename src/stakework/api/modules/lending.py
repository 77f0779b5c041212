"""The lending module's read-only API under `/v1/lending`: both markets (cash, supply, debt, usage, rates and
indices, deficit), the oracle's inputs and price, an account's position with its health factor, a liquidation
quote, the bad-debt record and the parameters with their bounds (mounted from the lending module's definition,
`api_router`).

Every figure comes from the head state's lending module through `stakework.modules.lending.queries`, with the
chain's host (`transition.modules.ChainHost`) for the epoch and the host services the oracle reads (the liquid
module's exchange rate, the AMM's TWAP). SWK amounts are Gwei, stSWK amounts the liquid module's shares, prices SWK
per share x 10^18, rates and indices rays (10^27 is 1), health factors x 10^18 (null: no debt), all as decimal
strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import bad_request, not_found
from stakework.api.modules.common import _hex
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.modules.lending import MODULE
from stakework.modules.lending import queries as lending_queries
from stakework.modules.lending.parameters import MARKETS
from stakework.modules.lending.state import BAD_DEBT_HISTORY, LendingState
from stakework.state.beacon_state import BeaconState
from stakework.transition.modules import ChainHost

router = APIRouter(prefix="/v1", tags=["modules"])

BadDebtLimit = Query(None, description=f"Write-offs to list, newest last (1..{BAD_DEBT_HISTORY}, default all kept).")
DebtMarket = Query("swk", description="The market of the debt to repay: swk or stswk.")
CollateralMarket = Query("stswk", description="The market of the collateral to seize: swk or stswk.")
Amount = Query(None, description="Debt to repay (default: the most the close factor allows).")


def _lending(state: BeaconState) -> LendingState:
    lending: LendingState | None = state.modules.get(MODULE)
    if lending is None:
        raise not_found("the lending module is not enabled on this chain")
    return lending


def _market_name(name: str, what: str) -> str:
    if name not in MARKETS:
        raise bad_request(f"{what} {name[:20]!r}: choose swk or stswk")
    return name


def _cover(state: BeaconState, host: ChainHost) -> dict[str, Any]:
    """Whether the safety module would take the lending module's bad-debt reports."""
    safety = state.modules.get("safety")
    if safety is None:
        return {"safety_module": False, "authorised": False}
    return {"safety_module": True, "authorised": host.module_address(MODULE) in getattr(safety, "slashers", [])}


@router.get("/lending", summary="Lending module")
def lending(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Both markets (cash, total supply and debt, usage, borrow and supply rates as rays and APRs in bps, the
    liquidity and borrow indices, price, suppliers and borrowers, deficit and bad debt written off and covered,
    interest accrued and the treasury's part, risk parameters), e-mode's parameters, the oracle, the module's
    account and treasury, whether the safety module takes its bad-debt reports, and every parameter with its
    bounds."""
    with view.lock:
        state = view.chain.head_state
        lm = _lending(state)
        host = ChainHost(state)
        data: dict[str, Any] = {
            "epoch": str(host.epoch),
            "address": _hex(host.module_address(MODULE)),
            "governance": _hex(lm.governance),
            "treasury": _hex(lm.treasury),
            "markets": {name: to_json(lending_queries.market_view(lm, host, name)) for name in MARKETS},
            "emode": to_json(lending_queries.emode(lm)),
            "oracle": to_json(lending_queries.oracle(lm, host)),
            "cover": _cover(state, host),
            "cover_failures": str(lm.cover_failures),
            "last_cover_error": lm.last_cover_error,
            "bad_debts": str(len(lm.bad_debts)),
            "parameters": to_json(lending_queries.parameters(lm)),
        }
    return {"data": data}


@router.get("/lending/markets", summary="Lending markets")
def lending_markets(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Each market's figures as in `/v1/lending`."""
    with view.lock:
        state = view.chain.head_state
        lm = _lending(state)
        host = ChainHost(state)
        data = {name: to_json(lending_queries.market_view(lm, host, name)) for name in MARKETS}
    return {"data": data}


@router.get("/lending/oracle", summary="Lending oracle")
def lending_oracle(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The stSWK price and its inputs: the liquid module's exchange rate, the rate capped from the oracle's anchor
    (CAPO), the AMM's TWAP and spot price (null without an AMM), the price used and its source."""
    with view.lock:
        state = view.chain.head_state
        data = to_json(lending_queries.oracle(_lending(state), ChainHost(state)))
    return {"data": data}


@router.get("/lending/accounts/{address}", summary="Lending position")
def lending_account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The address's supply and debt in each market (accrued to now), whether each counts as collateral, e-mode,
    the collateral and debt values in SWK at the oracle, the borrowing power and what is left of it, the health
    factor (x 10^18; null: no debt) and whether the position may be liquidated."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        state = view.chain.head_state
        lm = _lending(state)
        host = ChainHost(state)
        data: dict[str, Any] = to_json(lending_queries.position(lm, host, addr))
        data["address"] = _hex(addr)
        data["epoch"] = str(host.epoch)
    return {"data": data}


@router.get("/lending/accounts/{address}/liquidation", summary="Lending liquidation quote")
def lending_liquidation(
    address: str,
    debt_market: str = DebtMarket,
    collateral_market: str = CollateralMarket,
    amount: str | None = Amount,
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """What `lending.liquidate` of this borrower would repay and seize now (`debt_repaid`, `collateral_seized`,
    `max_debt` by the close factor, `health_factor`), or why it would be refused (`error`)."""
    addr = parse_bytes(address, 20, "address")
    dm, cm = _market_name(debt_market, "debt_market"), _market_name(collateral_market, "collateral_market")
    cover = None if amount is None else parse_uint(amount, "amount")
    with view.lock:
        state = view.chain.head_state
        quote = lending_queries.liquidation_quote(_lending(state), ChainHost(state), addr, dm, cm, cover)
    return {"data": {k: (v if isinstance(v, str) or v is None else str(v)) for k, v in quote.items()}}


@router.get("/lending/bad-debt", summary="Lending bad debt")
def lending_bad_debt(limit: str | None = BadDebtLimit, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Each market's outstanding deficit and totals written off and covered, and the last `limit` write-offs,
    oldest first: epoch, borrower, market, amount, and what the safety module covered at once."""
    n = BAD_DEBT_HISTORY if limit is None else parse_uint(limit, "limit")
    if not 1 <= n <= BAD_DEBT_HISTORY:
        raise bad_request(f"limit must be 1..{BAD_DEBT_HISTORY}, got {n}")
    with view.lock:
        lm = _lending(view.chain.head_state)
        data = {
            "markets": {
                name: {
                    "deficit": str(lm.market(name).deficit),
                    "bad_debt_total": str(lm.market(name).bad_debt_total),
                    "covered_total": str(lm.market(name).covered_total),
                }
                for name in MARKETS
            },
            "cover_failures": str(lm.cover_failures),
            "last_cover_error": lm.last_cover_error,
            "records": [to_json(r) for r in lending_queries.bad_debts(lm, n)],
        }
    return {"data": data}
