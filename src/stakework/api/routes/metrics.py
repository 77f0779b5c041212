"""`/metrics`: Prometheus text exposition format (written here, no client library)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from stakework.api.routes.deps import get_view
from stakework.api.view import NodeView

router = APIRouter(tags=["metrics"])


def _gauge(lines: list[str], name: str, help_: str, value: float, kind: str = "gauge") -> None:
    lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", f"{name} {value:g}"]


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics(view: NodeView = Depends(get_view)) -> PlainTextResponse:
    """Head slot, finalized epoch, peers, participation, block import time, mempool size, transactions."""
    from stakework.transition.epoch.context import EpochContext

    with view.lock:  # references and counters only: the head state is not changed once made
        head = view.chain.head_state
        head_slot = head.slot
        finalized = view.chain.forkchoice.finalized_checkpoint.epoch
        justified = view.chain.forkchoice.justified_checkpoint.epoch
        mempool = len(view.mempool)
        h = view.block_import
        buckets = list(zip(h.bounds, h.counts, strict=True))
        h_sum, h_count = h.total, h.count
        included, submitted = view.transactions_included, view.transactions_submitted
    ctx = EpochContext.build(head) if head.current_epoch() > 0 else None
    participation = (
        ctx.participating_balance(head, ctx.previous_participating[1]) / ctx.total_active_balance if ctx else 0.0
    )
    validators = len(head.validators)
    uptime = max(1e-9, view.clock() - view.started)
    lines: list[str] = []
    _gauge(lines, "stakework_head_slot", "Slot of the head block.", head_slot)
    _gauge(lines, "stakework_finalized_epoch", "Epoch of the finalized checkpoint.", finalized)
    _gauge(lines, "stakework_justified_epoch", "Epoch of the justified checkpoint.", justified)
    _gauge(lines, "stakework_peers", "Connected peers (0 for the single-process devnet).", view.peers)
    _gauge(
        lines, "stakework_participation_ratio", "Previous-epoch target participation (share of balance).", participation
    )
    _gauge(lines, "stakework_validators", "Validators in the head state.", validators)
    _gauge(lines, "stakework_mempool_transactions", "Transactions waiting in the mempool.", mempool)
    _gauge(lines, "stakework_transactions_included_total", "Transactions seen in imported blocks.", included, "counter")
    _gauge(
        lines,
        "stakework_transactions_submitted_total",
        "Transactions admitted to the mempool (API and gossip).",
        submitted,
        "counter",
    )
    _gauge(
        lines, "stakework_transactions_per_second", "Included transactions per second since start.", included / uptime
    )
    name = "stakework_block_import_seconds"
    lines += [
        f"# HELP {name} Time to validate and import a block (a synced range's blocks: each its share of the range).",
        f"# TYPE {name} histogram",
    ]
    lines += [f'{name}_bucket{{le="{bound:g}"}} {count}' for bound, count in buckets]
    lines += [f'{name}_bucket{{le="+Inf"}} {h_count}', f"{name}_sum {h_sum:g}", f"{name}_count {h_count}"]
    _gauge(lines, "stakework_sse_subscribers", "Connected event-stream clients.", view.subscriber_count)
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
