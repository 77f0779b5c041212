"""Liquid-module invariants, checked by tests after every step: ``check(state, host)`` lists every violation."""

from __future__ import annotations

from stakework.modules.host import ModuleHost
from stakework.modules.liquid.state import QUEUE_HOLDER, WRAPPER, LiquidState


def check(state: LiquidState, host: ModuleHost) -> list[str]:
    problems = list(state.ledger.check())
    held = state.buffer + sum(v.last_balance for v in state.validators)
    if state.ledger.total_assets + state.unrecognised != held:
        problems.append(
            f"pooled {state.ledger.total_assets} + unrecognised {state.unrecognised} != buffer + validators {held}"
        )
    if min(state.buffer, state.reserved, state.unrecognised, state.queued_assets) < 0:
        problems.append("a negative balance in buffer, reserved, unrecognised or queued")
    if sum(state.wrapped.values()) != state.ledger.shares_of(WRAPPER):
        problems.append("wstSWK supply differs from the wrapper's shares")
    if any(v <= 0 for v in state.wrapped.values()):
        problems.append("a zero or negative wstSWK entry")
    unfinalized = [r for r in state.requests.values() if not r.finalized]
    finalized = [r for r in state.requests.values() if r.finalized]
    if sum(r.shares for r in unfinalized) != state.ledger.shares_of(QUEUE_HOLDER):
        problems.append("queue shares differ from the unfinalized requests' shares")
    if sum(r.amount for r in unfinalized) != state.queued_assets:
        problems.append("queued assets differ from the unfinalized requests' amounts")
    if sum(r.paid for r in finalized) != state.reserved:
        problems.append("reserved differs from finalized unclaimed payouts")
    if any(r.id >= state.next_to_finalize for r in finalized) or any(
        r.id < state.next_to_finalize for r in unfinalized
    ):
        problems.append("finalization is not FIFO")
    if any(r.paid > r.amount for r in finalized):
        problems.append("a request was paid more than its amount at request time")
    if any(not state.min_request <= r.amount <= state.max_request for r in state.requests.values()):
        problems.append("a request outside the size bounds")
    active = [0] * len(state.operators)
    for v in state.validators:
        active[v.operator] += 1
    if active != [op.active for op in state.operators]:
        problems.append("operators' active counts differ from the validators")
    return problems
