"""stakework's own endpoints under `/v1/`: accounts, transactions (submit, status) and reward history."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Body, Depends

from stakework.api.errors import ApiError, bad_request, not_found
from stakework.api.routes.deps import get_view, require_token
from stakework.api.schemas.encoding import from_json, parse_bytes, parse_uint
from stakework.api.view import NodeView
from stakework.node.mempool import MempoolError
from stakework.transition.block.transaction import SignedTransaction

router = APIRouter(prefix="/v1", tags=["stakework"])
MAX_BATCH = 1000


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@router.get("/accounts/{address}", summary="Account")
def account(address: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Balance and next nonce of an account (head state), and the validators whose withdrawal credentials name
    it (0x01/0x02)."""
    addr = parse_bytes(address, 20, "address")
    with view.lock:
        state = view.chain.head_state
        balance = state.accounts.balance(addr)
        nonce = state.accounts.nonce(addr)
        v = state.validators
        creds = v.withdrawal_credentials
        mine = v.has_execution_withdrawal_credential() & np.all(creds[:, 12:] == np.frombuffer(addr, np.uint8), axis=1)
        validators = [str(int(i)) for i in np.flatnonzero(mine)]
        slot = state.slot
    return {
        "data": {
            "address": _hex(addr),
            "balance": str(balance),
            "nonce": str(nonce),
            "validators": validators,
            "slot": str(slot),
        }
    }


@router.post("/transactions", summary="Submit transactions", dependencies=[Depends(require_token)])
def submit(
    body: Any = Body(..., description="A signed transaction, or a list of them (at most 1000)."),
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """Validate and add to the mempool. One transaction: 400 with the reason when refused. A batch: the valid
    ones are added; 400 with `failures` (index and reason) when any is refused."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise bad_request("no transactions in the body")
    if len(items) > MAX_BATCH:
        raise bad_request(f"at most {MAX_BATCH} transactions per request")
    results: list[dict[str, Any] | None] = [None] * len(items)
    failures: list[dict[str, object]] = []
    decoded: list[tuple[int, SignedTransaction]] = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise bad_request("a transaction is a JSON object {transaction, signature}")
            decoded.append((i, from_json(item, SignedTransaction)))
        except ApiError as exc:
            failures.append({"index": i, "message": exc.message})
    if len(decoded) == 1:  # one transaction: the single path (no thread pool for one signature)
        admitted: list[bytes | MempoolError] = []
        try:
            admitted.append(view.submit(decoded[0][1]))
        except MempoolError as exc:
            admitted.append(exc)
    else:
        admitted = view.submit_many([tx for _, tx in decoded])
    for (i, _), result in zip(decoded, admitted, strict=True):
        if isinstance(result, MempoolError):
            failures.append({"index": i, "message": str(result)})
        else:
            results[i] = {"hash": _hex(result), "status": "pending"}
    failures.sort(key=lambda f: int(str(f["index"])))
    if failures:
        summary = str(failures[0]["message"]) if len(items) == 1 else "some transactions were refused; see failures"
        raise ApiError(400, summary, failures=failures if isinstance(body, list) else None)
    return {"data": [r for r in results if r is not None]}


@router.get("/transactions/{tx_hash}", summary="Transaction status")
def transaction(tx_hash: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """pending (in the mempool), included (in a block), finalized (in a finalized block) or rejected (with the
    reason) — 404 when this node never saw it."""
    h = parse_bytes(tx_hash, 32, "transaction hash")
    status = view.transaction_status(h)
    if status is None:
        raise not_found(f"transaction {tx_hash} is unknown to this node")
    return {"data": status}


@router.get("/validators/{index}/rewards", summary="Reward history")
def rewards(index: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The validator's balance at the start of each recent epoch and the change over the epoch before (rewards
    minus penalties; deposits and withdrawals show up too). Bounded in memory (the node keeps the last
    `history_epochs` epochs)."""
    i = parse_uint(index, "validator index")
    with view.lock:
        history = list(view.balance_history)
    rows = []
    previous: int | None = None
    for epoch, balances in history:
        if i >= len(balances):
            previous = None
            continue
        b = int(balances[i])
        rows.append(
            {"epoch": str(epoch), "balance": str(b), "change": str(b - previous) if previous is not None else "0"}
        )
        previous = b
    if not rows:
        raise not_found(f"no history for validator {i}")
    return {"data": rows}
