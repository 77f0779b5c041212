"""`/v1/proof/*`: Merkle proofs that an account's balance, a validator's record or a holder's shares in a module
(stSWK, LP shares, deposits, debts) are in a state's root (read-only). Check them with `stakework.state.proofs`
(standard library only) or `stakework proof ... --verify`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from stakework.api.errors import ApiError, not_found
from stakework.api.resolve import Resolved, resolve_state
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_bytes, parse_uint
from stakework.api.view import NodeView
from stakework.modules.store import store_parts
from stakework.state.commitment import table_paths
from stakework.state.proofs import (
    ProofError,
    StateProof,
    parse_table_name,
    proof_to_json,
    table_name,
    verify_account,
    verify_holder,
    verify_validator,
)
from stakework.state.root import prove_account, prove_holder, prove_validator

router = APIRouter(tags=["proofs"])

STATE_ID = Query("head", description="head, genesis, finalized, justified, a slot or a 0x state root")


def _checked(view: NodeView, r: Resolved, proof: StateProof) -> bytes:
    """The state root the chain records for `r`, which the proof must lead to."""
    root = view.state_root_of(r.root, r.state)
    if proof.state_root != root:
        raise ApiError(500, f"the proof leads to 0x{proof.state_root.hex()}, not the state's root 0x{root.hex()}")
    return root


@router.get("/v1/proof/account/{address}", summary="Merkle proof of an account's balance and nonce")
def account_proof(address: str, state_id: str = STATE_ID, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The account's balance and nonce (zero for an address never used: the proof then shows its absence) and a
    proof that they are in the state root."""
    key = parse_bytes(address, 20, "address")
    with view.lock:
        r = resolve_state(view, state_id)
        proof = prove_account(r.state, key)
        root = _checked(view, r, proof)
        slot = r.state.slot
    balance, nonce = verify_account(proof, root, key)
    return {
        "finalized": r.finalized,
        "data": {
            "address": address.lower(),
            "balance": str(balance),
            "nonce": str(nonce),
            "slot": str(slot),
            "state_root": "0x" + root.hex(),
            "proof": proof_to_json(proof),
        },
    }


@router.get("/v1/proof/validator/{index}", summary="Merkle proof of a validator's record and balance")
def validator_proof(index: str, state_id: str = STATE_ID, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The validator's record (pubkey, credentials, effective balance, slashed, the four epochs) and balance, and
    a proof that they are in the state root."""
    i = parse_uint(index, "validator index")
    with view.lock:
        r = resolve_state(view, state_id)
        if i >= len(r.state.validators):
            raise not_found(f"validator {i} does not exist (the state has {len(r.state.validators)} validators)")
        proof = prove_validator(r.state, i)
        root = _checked(view, r, proof)
        slot = r.state.slot
    record = verify_validator(proof, root, i)
    return {
        "finalized": r.finalized,
        "data": {
            "index": str(i),
            "validator": {
                k: ("0x" + v.hex()) if isinstance(v, bytes) else v if isinstance(v, bool) else str(v)
                for k, v in record.items()
            },
            "slot": str(slot),
            "state_root": "0x" + root.hex(),
            "proof": proof_to_json(proof),
        },
    }


@router.get(
    "/v1/proof/holder/{module}/{holder}",
    summary="Merkle proof of a holder's shares in a module's holder table (stSWK, LP shares, deposits, debts)",
)
def holder_proof(
    module: str,
    holder: str,
    table: str | None = Query(
        None,
        description="The table, keys joined by dots (liquid's stSWK: ledger.shares); default: the module's first. "
        "An unknown one is refused with the module's tables listed.",
    ),
    state_id: str = STATE_ID,
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """The holder's shares in the table (0 for a holder not in it: the proof then shows its absence) and a proof
    that they are in the state root, through the module's summary and the module store."""
    key = parse_bytes(holder, 20, "holder")
    with view.lock:
        r = resolve_state(view, state_id)
        parts = dict(store_parts(r.state.modules))
        if module not in parts or module == "withdrawn":
            enabled = ", ".join(name for name in parts if name != "withdrawn") or "none"
            raise not_found(f"module {module!r} is not enabled in this state (enabled: {enabled})")
        names = [table_name(steps) for steps, _ in table_paths(parts[module])]
        if not names:
            raise not_found(f"module {module!r} has no holder table")
        chosen = names[0] if table is None else table
        if chosen not in names:
            raise not_found(f"module {module!r} has no holder table {chosen!r}; its tables: {', '.join(names)}")
        steps = parse_table_name(chosen)
        proof = prove_holder(r.state, module, steps, key)
        root = _checked(view, r, proof)
        slot = r.state.slot
    try:
        shares = verify_holder(proof, root, module, steps, key)
    except ProofError as exc:  # a bug: the node's own proof must verify
        raise ApiError(500, f"the node's proof does not verify: {exc}") from None
    return {
        "finalized": r.finalized,
        "data": {
            "module": module,
            "table": chosen,
            "holder": holder.lower(),
            "shares": str(shares),
            "slot": str(slot),
            "state_root": "0x" + root.hex(),
            "proof": proof_to_json(proof),
        },
    }
