"""`/eth/v1/validator/duties/proposer/{epoch}` and `/eth/v1/beacon/rewards/attestations/{epoch}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from stakework.api.errors import bad_request, not_found
from stakework.api.resolve import resolve_state
from stakework.api.routes.beacon import MAX_IDS, _validator_index
from stakework.api.routes.deps import get_view
from stakework.api.schemas.encoding import parse_uint
from stakework.api.view import NodeView, _dependent_root
from stakework.spec.constants import PARTICIPATION_FLAG_WEIGHTS, WEIGHT_DENOMINATOR
from stakework.transition.accessors import is_in_inactivity_leak
from stakework.transition.committees import get_beacon_proposer_index
from stakework.transition.epoch.context import EpochContext
from stakework.transition.epoch.rewards import get_flag_index_deltas, get_inactivity_penalty_deltas
from stakework.transition.state_transition import process_slots

router = APIRouter(tags=["validator"])


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@router.get("/eth/v1/validator/duties/proposer/{epoch}", summary="Proposer duties")
def proposer_duties(epoch: str, view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Who proposes each slot of the head's epoch, the one before (clients still ask for it at the start of an
    epoch) or the next one. Spec (beacon-API getProposerDuties): computed from the state at the epoch's start."""
    e = parse_uint(epoch, "epoch")
    with view.lock:
        head = view.chain.head_state
        current = head.current_epoch()
        if not max(0, current - 1) <= e <= current + 1:
            raise bad_request(
                f"epoch {e}: proposer duties are known for the previous epoch, the current epoch {current} and the next"
            )
        spe = head.preset.SLOTS_PER_EPOCH
        base = head if e >= current else resolve_state(view, str(e * spe)).state  # the canonical state then
    state = base.copy()  # states are not changed once made: copied outside the lock
    start = e * spe
    if state.slot < start:
        process_slots(state, start)
    dependent = _dependent_root(state, e)
    data = []
    for slot in range(start, start + spe):
        state.slot = slot  # the proposer seed depends on the epoch and the slot only
        index = int(get_beacon_proposer_index(state))
        data.append(
            {"pubkey": _hex(state.validators.pubkey[index].tobytes()), "validator_index": str(index), "slot": str(slot)}
        )
    return {"dependent_root": _hex(dependent), "execution_optimistic": False, "data": data}


@router.post("/eth/v1/beacon/rewards/attestations/{epoch}", summary="Attestation rewards")
def attestation_rewards(
    epoch: str,
    ids: list[str] | None = Body(None, description="Validator indices or 0x pubkeys (all when empty)."),
    view: NodeView = Depends(get_view),
) -> dict[str, Any]:
    """Rewards and penalties for epoch `epoch`'s attestations (computed from the head state while `epoch` is its
    previous epoch, before they are applied), and the ideal rewards per effective balance."""
    e = parse_uint(epoch, "epoch")
    if ids is not None and len(ids) > MAX_IDS:
        raise bad_request(f"at most {MAX_IDS} ids per request")
    with view.lock:
        r = resolve_state(view, "head")
    state = r.state.copy()  # states are not changed once made: copied and computed outside the lock
    if state.current_epoch() < 1 or e != state.current_epoch() - 1:
        raise not_found(f"rewards are available for the head's previous epoch ({state.current_epoch() - 1}) only")
    indices = [_validator_index(view, r, str(i)) for i in ids] if ids else list(range(len(state.validators)))
    ctx = EpochContext.build(state)
    deltas = [get_flag_index_deltas(state, ctx, flag) for flag in range(3)]
    _, inactivity = get_inactivity_penalty_deltas(state, ctx)
    total = []
    for i in indices:
        if i is None:
            continue
        source, target, head = (int(deltas[f][0][i]) - int(deltas[f][1][i]) for f in range(3))
        total.append(
            {
                "validator_index": str(i),
                "head": str(head),
                "target": str(target),
                "source": str(source),
                "inactivity": str(-int(inactivity[i])),
            }
        )
    p = state.preset
    increment = p.EFFECTIVE_BALANCE_INCREMENT
    leak = is_in_inactivity_leak(state)
    active_increments = ctx.total_active_balance // increment
    ideal = []
    for eb in sorted({int(x) for x in state.validators.effective_balance if int(x) > 0}):
        base = eb // increment * ctx.base_reward_per_increment
        row = {"effective_balance": str(eb)}
        for flag, name in enumerate(("source", "target", "head")):
            part = ctx.participating_balance(state, ctx.previous_participating[flag]) // increment
            weight = PARTICIPATION_FLAG_WEIGHTS[flag]
            row[name] = "0" if leak else str(base * weight * part // (active_increments * WEIGHT_DENOMINATOR))
        row["inactivity"] = "0"
        ideal.append(row)
    return {
        "execution_optimistic": False,
        "finalized": r.finalized,
        "data": {"ideal_rewards": ideal, "total_rewards": total},
    }
