"""`/eth/v1/beacon/*` and `/eth/v2/beacon/blocks`: genesis, headers, blocks, states (root, finality
checkpoints, validators, balances, committees), and `/eth/v1/config/spec`."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Response

from stakework.api.errors import bad_request, not_found
from stakework.api.resolve import (
    BlockRef,
    Resolved,
    block_of,
    resolve_block,
    resolve_state,
    resolve_state_ref,
    state_root_of,
)
from stakework.api.routes.deps import get_view
from stakework.api.schemas.beacon import (
    STATUS_GROUPS,
    STATUSES,
    checkpoint_json,
    header_json,
    validator_json,
    validator_statuses,
)
from stakework.api.schemas.encoding import parse_bytes, parse_uint, to_json
from stakework.api.view import NodeView
from stakework.state.containers import BeaconBlockHeader
from stakework.transition.block.block import BeaconBlockBody
from stakework.transition.committees import get_committee_count_per_slot, get_epoch_shuffling

router = APIRouter(tags=["beacon"])
MAX_IDS = 1024


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _envelope(resolved: BlockRef, data: Any) -> dict[str, Any]:
    return {"execution_optimistic": False, "finalized": resolved.finalized, "data": data}


def _split(values: list[str] | None) -> list[str]:
    out = [part.strip() for v in values or [] for part in v.split(",") if part.strip()]
    if len(out) > MAX_IDS:
        raise bad_request(f"at most {MAX_IDS} ids per request")
    return out


@router.get("/eth/v1/beacon/genesis", summary="Genesis")
def genesis(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Genesis time, validators root and fork version."""
    g = view.genesis
    return {
        "data": {
            "genesis_time": str(g.genesis_time),
            "genesis_validators_root": _hex(g.genesis_validators_root),
            "genesis_fork_version": _hex(g.preset.GENESIS_FORK_VERSION),
        }
    }


@router.get("/eth/v1/beacon/headers/{block_id}", summary="Block header")
def header(block_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The header of a block (head, genesis, finalized, justified, a slot or a root)."""
    with view.lock:
        r = resolve_block(view, block_id)
        block = block_of(view, r)
        signature = b"\x00" * 96
        if block is not None:
            hdr, signature = block.message.header(), block.signature
        elif r.root == view.genesis.root:
            hdr = view.genesis.header
        else:  # the anchor after a restart (a finalized snapshot, no stored block): its state is held
            anchor = view.chain.cache.peek(r.root)
            if anchor is None:
                raise not_found(f"block 0x{r.root.hex()} has no stored header (the chain's anchor, let go)")
            h = anchor.latest_block_header
            hdr = BeaconBlockHeader(
                h.slot, h.proposer_index, h.parent_root, view.state_root_of(r.root, anchor), h.body_root
            )
        canonical = r.root == view.chain.head_root or _is_ancestor(view, r)
    return _envelope(
        r,
        {
            "root": _hex(r.root),
            "canonical": canonical,
            "header": {"message": header_json(hdr), "signature": _hex(signature)},
        },
    )


def _is_ancestor(view: NodeView, r: BlockRef) -> bool:
    head = view.chain.head_state
    if r.slot >= head.slot or head.slot - r.slot > head.preset.SLOTS_PER_HISTORICAL_ROOT:
        return r.slot < head.slot and r.finalized
    from stakework.transition.accessors import get_block_root_at_slot

    return bytes(get_block_root_at_slot(head, r.slot)) == r.root


CONSENSUS_VERSION = "electra"
"""The fork name of the blocks served (the `version` field and the Eth-Consensus-Version header)."""


@router.get("/eth/v2/beacon/blocks/{block_id}", summary="Block (JSON)")
def block(block_id: str, response: Response, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The signed block, as JSON (stakework's body: attestations, slashings, transactions, withdrawals). Spec
    (beacon-API getBlockV2): the `Eth-Consensus-Version` header names the fork. `genesis` is the genesis block:
    an empty body and a zero signature (its header's body root is zero, as the genesis state's is)."""
    with view.lock:
        r = resolve_block(view, block_id)
        signed = block_of(view, r)
        genesis = signed is None and r.root == view.genesis_root()
    if genesis:
        h = view.genesis.header
        body = to_json(BeaconBlockBody(randao_reveal=b"\x00" * 96))
        message = {
            "slot": str(h.slot),
            "proposer_index": str(h.proposer_index),
            "parent_root": _hex(h.parent_root),
            "state_root": _hex(h.state_root),
            "body": body,
        }
        data: Any = {"message": message, "signature": _hex(b"\x00" * 96)}
    elif signed is None:
        raise not_found(f"block 0x{r.root.hex()} has no stored body (the chain's anchor after a restart)")
    else:
        data = to_json(signed)
    response.headers["Eth-Consensus-Version"] = CONSENSUS_VERSION
    return {"version": CONSENSUS_VERSION, **_envelope(r, data)}


@router.get("/eth/v1/beacon/states/{state_id}/root", summary="State root")
def state_root(state_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The state root of a state (read from its block: no state is rebuilt for it)."""
    with view.lock:
        r = resolve_state_ref(view, state_id)
        root = state_root_of(view, r)
    return _envelope(r, {"root": _hex(root)})


@router.get("/eth/v1/beacon/states/{state_id}/finality_checkpoints", summary="Finality checkpoints")
def finality_checkpoints(state_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Previous and current justified and finalized checkpoints of a state."""
    with view.lock:
        r = resolve_state(view, state_id)
        s = r.state
        data = {
            "previous_justified": checkpoint_json(s.previous_justified_checkpoint),
            "current_justified": checkpoint_json(s.current_justified_checkpoint),
            "finalized": checkpoint_json(s.finalized_checkpoint),
        }
    return _envelope(r, data)


def _validator_index(view: NodeView, r: Resolved, ident: str) -> int | None:
    """A validator id (index or 0x pubkey) → index; None when the state has no such validator."""
    n = len(r.state.validators)
    if ident.startswith("0x"):
        found = r.state.validators.index_of_pubkey(parse_bytes(ident, 48, "validator pubkey"))
        return int(found) if found is not None else None
    index = parse_uint(ident, "validator id")
    return index if index < n else None


def _selected(view: NodeView, r: Resolved, ids: list[str]) -> list[int]:
    if not ids:
        return list(range(len(r.state.validators)))
    out = []
    for ident in ids:
        index = _validator_index(view, r, ident)
        if index is not None:
            out.append(index)
    return out


@router.get("/eth/v1/beacon/states/{state_id}/validators", summary="Validators")
def validators(
    state_id: str,
    id: list[str] | None = Query(None, description="Validator indices or 0x pubkeys (repeat or comma-separate)."),
    status: list[str] | None = Query(None, description="Statuses or groups (active, pending, exited, withdrawal)."),
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """Validators of a state, optionally filtered by id and status."""
    wanted: set[str] = set()
    for s in _split(status):
        if s in STATUS_GROUPS:
            wanted.update(STATUS_GROUPS[s])
        elif s in STATUSES:
            wanted.add(s)
        else:
            raise bad_request(f"invalid status {s[:40]!r}")
    ids = _split(id)
    with view.lock:  # states are not changed once made: the answer is rendered outside the lock
        r = resolve_state(view, state_id)
    statuses = validator_statuses(r.state)
    data = [
        validator_json(r.state, i, STATUSES[statuses[i]])
        for i in _selected(view, r, ids)
        if not wanted or STATUSES[statuses[i]] in wanted
    ]
    return _envelope(r, data)


@router.get("/eth/v1/beacon/states/{state_id}/validators/{validator_id}", summary="One validator")
def validator(state_id: str, validator_id: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """One validator by index or pubkey."""
    with view.lock:
        r = resolve_state(view, state_id)
    index = _validator_index(view, r, validator_id)
    if index is None:
        raise not_found(f"no validator {validator_id[:100]} in this state")
    data = validator_json(r.state, index, STATUSES[validator_statuses(r.state)[index]])
    return _envelope(r, data)


@router.get("/eth/v1/beacon/states/{state_id}/validator_balances", summary="Validator balances")
def validator_balances(
    state_id: str,
    id: list[str] | None = Query(None, description="Validator indices or 0x pubkeys."),
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """Balances (Gwei) of a state's validators."""
    ids = _split(id)
    with view.lock:
        r = resolve_state(view, state_id)
    balances = r.state.validators.balances
    data = [{"index": str(i), "balance": str(int(balances[i]))} for i in _selected(view, r, ids)]
    return _envelope(r, data)


@router.get("/eth/v1/beacon/states/{state_id}/committees", summary="Committees")
def committees(
    state_id: str,
    epoch: str | None = Query(None),
    index: str | None = Query(None),
    slot: str | None = Query(None),
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """Beacon committees of an epoch (default: the state's), optionally one committee index or one slot."""
    with view.lock:
        r = resolve_state(view, state_id)
    s = r.state
    spe = s.preset.SLOTS_PER_EPOCH
    e = parse_uint(epoch, "epoch") if epoch is not None else s.current_epoch()
    if not max(0, s.current_epoch() - 1) <= e <= s.current_epoch() + 1:
        raise bad_request(f"epoch {e}: this state ({s.current_epoch()}) knows committees of epochs within one of it")
    want_index = parse_uint(index, "committee index") if index is not None else None
    want_slot = parse_uint(slot, "slot") if slot is not None else None
    if want_slot is not None and want_slot // spe != e:
        raise bad_request(f"slot {want_slot} is not in epoch {e}")
    shuffling = get_epoch_shuffling(s, e)
    count = get_committee_count_per_slot(s, e)
    data = []
    for sl in range(e * spe, (e + 1) * spe):
        if want_slot is not None and sl != want_slot:
            continue
        for ci in range(count):
            if want_index is not None and ci != want_index:
                continue
            members = np.asarray(shuffling.committee(sl, ci))
            data.append({"index": str(ci), "slot": str(sl), "validators": [str(int(v)) for v in members]})
    return _envelope(r, data)


@router.get("/eth/v1/config/spec", summary="Chain constants")
def config_spec(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Every preset constant, as strings (bytes as 0x hex), as the beacon-API does."""
    data: dict[str, str] = {}
    for f in dataclasses.fields(view.genesis.preset):
        value = getattr(view.genesis.preset, f.name)
        if isinstance(value, bytes):
            data[f.name] = _hex(value)
        elif isinstance(value, bool | int | float | str):
            data[f.name] = str(value)
        else:
            data[f.name] = str(value)
    data.setdefault("SECONDS_PER_SLOT", str(view.seconds_per_slot))
    return {"data": data}
