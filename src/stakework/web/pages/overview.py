"""The overview: head, justified and finalized checkpoints, participation, validators by status, and a timeline of
recent epochs. `static/live.js` keeps the head and the checkpoints current over the node's event stream
(`/eth/v1/events`): no polling loop."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import numpy as np

from stakework.api.schemas.beacon import STATUSES, validator_statuses
from stakework.web.app import Body
from stakework.web.html import PageContext, dl, join, link, table, tag
from stakework.web.pages.chain import canonical_blocks, hexs

TIMELINE_EPOCHS = 8
TIMELY_TARGET = 1 << 1
"""Spec (Altair): TIMELY_TARGET_FLAG_INDEX = 1 in the participation flags."""


def target_participation(state: Any) -> float:
    """Share of the active effective balance whose previous-epoch attestations were timely on target (Spec:
    the numerator of weigh_justification_and_finalization's previous-epoch target balance)."""
    v = state.validators
    epoch = max(0, int(state.current_epoch()) - 1)
    active = (v.activation_epoch <= epoch) & (np.uint64(epoch) < v.exit_epoch)
    total = int(v.effective_balance[active].sum())
    if total == 0:
        return 0.0
    hit = active & ((v.previous_epoch_participation & TIMELY_TARGET) != 0) & ~v.slashed
    return int(v.effective_balance[hit].sum()) / total


def overview_page(ctx: PageContext, view: Any) -> Body:
    """The overview (see the module docstring)."""
    m = ctx.m
    with view.lock:
        chain = view.chain
        head = chain.head_state
        spe = head.preset.SLOTS_PER_EPOCH
        head_slot, head_root = int(head.slot), chain.head_root
        justified = chain.forkchoice.justified_checkpoint
        finalized = chain.forkchoice.finalized_checkpoint
        epoch = int(head.current_epoch())
        first = max(0, epoch - TIMELINE_EPOCHS + 1)
        blocks = canonical_blocks(view, head_slot, (epoch - first + 1) * spe)
        state = head
        genesis_time = int(view.genesis.genesis_time)
        seconds_per_slot = float(view.seconds_per_slot)
    participation = target_participation(state)
    counts = np.bincount(validator_statuses(state), minlength=len(STATUSES))
    per_epoch = {e: 0 for e in range(first, epoch + 1)}
    for b in blocks:
        if b.slot // spe in per_epoch:
            per_epoch[b.slot // spe] += 1

    def mark(e: int) -> str:
        if e <= finalized.epoch:
            return "finalized"
        if e <= justified.epoch:
            return "justified"
        return "pending"

    slot_time: object = "—"
    with contextlib.suppress(OverflowError, OSError, ValueError):  # a clock beyond the calendar (frozen slots)
        slot_time = m.date(dt.datetime.fromtimestamp(genesis_time + head_slot * seconds_per_slot, dt.UTC))
    head_facts = dl(
        [
            (
                m.t("overview.slot_time"),
                tag(
                    "span",
                    slot_time,
                    data_live="slot-time",
                    data_genesis=genesis_time,
                    data_slot_seconds=seconds_per_slot,
                ),
            ),
            (m.t("overview.head_slot"), tag("span", m.num(head_slot), data_live="head-slot")),
            (m.t("overview.epoch"), tag("span", m.num(epoch), data_live="head-epoch")),
            (m.t("overview.head_root"), tag("code", hexs(head_root), data_live="head-root")),
            (m.t("overview.justified"), tag("span", m.num(justified.epoch), data_live="justified-epoch")),
            (m.t("overview.finalized"), tag("span", m.num(finalized.epoch), data_live="finalized-epoch")),
            (m.t("overview.participation"), tag("span", m.pct(participation, 1), data_live="participation")),
        ],
        cls="facts",
        aria_live="polite",
    )
    status_rows = [
        (link(f"/validators?status={name}", m.t(f"status.{name}")), m.num(int(counts[i])))
        for i, name in enumerate(STATUSES)
        if counts[i]
    ]
    timeline = tag(
        "ol",
        *(
            tag(
                "li",
                tag("span", m.t("overview.epoch_n", epoch=m.num(e)), cls="epoch"),
                tag("span", m.t(f"overview.mark_{mark(e)}"), cls=f"mark {mark(e)}"),
                tag("span", m.t("overview.blocks_n", n=per_epoch[e], slots=spe)),
                cls=f"epoch-cell {mark(e)}",
            )
            for e in sorted(per_epoch, reverse=True)
        ),
        cls="timeline",
    )
    body = join(
        [
            tag(
                "p",
                m.t("overview.live_off"),
                cls="live-status",
                data_live="status",
                data_on=m.t("overview.live_on"),
                data_off=m.t("overview.live_off"),
            ),
            head_facts,
            tag("h2", m.t("overview.by_status")),
            table([m.t("validators.status"), m.t("validators.count")], status_rows, cls="data narrow"),
            tag("h2", m.t("overview.timeline")),
            timeline,
        ]
    )
    return m.t("overview.title"), body, ("/static/live.js",)
