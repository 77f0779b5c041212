"""Validators: a list paged on the server (whole-array status and filter, then one page of rows: a million
validators cost one numpy pass), search by index or public key, and one validator's status, balance and reward
history as a chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from stakework.api.errors import ApiError
from stakework.api.routes.stakework import rewards
from stakework.api.schemas.beacon import STATUS_GROUPS, STATUSES, validator_statuses
from stakework.api.schemas.encoding import parse_bytes
from stakework.web.app import Body, PageError
from stakework.web.charts import Series, line_chart
from stakework.web.html import PageContext, dl, join, link, short, table, tag, url
from stakework.web.pages.chain import hexs

PER_PAGE = 50
MAX_PER_PAGE = 500


def find_validator(state: Any, ident: str) -> int | None:
    """An index or a 0x public key → the validator's index, None when there is none; PageError when malformed."""
    ident = ident.strip()
    if ident.startswith("0x"):
        try:
            key = parse_bytes(ident, 48, "validator public key")
        except ApiError as exc:
            raise PageError(400, exc.message) from None
        found = state.validators.index_of_pubkey(key)
        return int(found) if found is not None else None
    if not ident.isdigit():
        raise PageError(400, f"{ident[:60]!r} is neither a validator index nor a 0x public key (96 hex digits)")
    index = int(ident)
    return index if index < len(state.validators) else None


def search_redirect(view: Any, query: Mapping[str, str]) -> str | None:
    """Where a search (`?q=` index or public key) leads: the validator's page (or its 404 page)."""
    wanted = query.get("q", "").strip()
    if not wanted:
        return None
    return f"/validators/{wanted}"


def _int_param(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise PageError(400, f"{name} must be a whole number from {lo} to {hi}, got {text[:40]!r}")
    return int(text)


def validators_page(ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
    """One page of validators, optionally of one status or status group (`?status=`), `?page=` from 1."""
    m = ctx.m
    status = query.get("status") or None
    if status is not None and status not in STATUSES and status not in STATUS_GROUPS:
        choices = ", ".join([*STATUS_GROUPS, *STATUSES])
        raise PageError(400, m.t("validators.bad_status", status=status[:40], choices=choices))
    per = _int_param(query, "per", PER_PAGE, 1, MAX_PER_PAGE)
    with view.lock:  # states are not changed once made: the page is rendered outside the lock
        state = view.chain.head_state
    codes = validator_statuses(state)
    if status is None:
        selected = None
        total = len(codes)
    else:
        wanted = [STATUSES.index(s) for s in STATUS_GROUPS.get(status, (status,))]
        selected = np.flatnonzero(np.isin(codes, wanted))
        total = int(selected.size)
    pages = max(1, -(-total // per))
    page = _int_param(query, "page", 1, 1, pages)
    start = (page - 1) * per
    indices = range(start, min(total, start + per)) if selected is None else selected[start : start + per].tolist()
    v = state.validators
    rows = [
        (
            link(f"/validators/{i}", m.num(i)),
            tag("code", short(hexs(v.pubkey[i].tobytes()), 12)),
            m.t(f"status.{STATUSES[codes[i]]}"),
            m.swk(int(v.balances[i])),
            m.swk(int(v.effective_balance[i]), 0),
        )
        for i in indices
    ]
    options = [tag("option", m.t("validators.any_status"), value="")]
    for name in [*STATUS_GROUPS, *STATUSES]:
        label = m.t(f"status.{name}")
        options.append(tag("option", label, value=name, selected=name == status))
    pager = []
    if page > 1:
        pager.append(
            link(
                url("/validators", status=status, page=page - 1, per=per if per != PER_PAGE else None),
                m.t("common.previous"),
                rel="prev",
            )
        )
    pager.append(tag("span", m.t("validators.page_of", page=m.num(page), pages=m.num(pages), total=m.num(total))))
    if page < pages:
        pager.append(
            link(
                url("/validators", status=status, page=page + 1, per=per if per != PER_PAGE else None),
                m.t("common.next"),
                rel="next",
            )
        )
    body = join(
        [
            tag(
                "form",
                tag("label", m.t("validators.search"), for_="q"),
                tag("input", id="q", name="q", type="search", placeholder=m.t("validators.search_hint"), size="60"),
                tag("button", m.t("common.go"), type="submit"),
                action="/validators",
                method="get",
                cls="search",
                role="search",
            ),
            tag(
                "form",
                tag("label", m.t("validators.status"), for_="status"),
                tag("select", *options, id="status", name="status"),
                tag("button", m.t("validators.filter"), type="submit"),
                action="/validators",
                method="get",
                cls="search",
            ),
            table(
                [
                    m.t("validators.index"),
                    m.t("validators.pubkey"),
                    m.t("validators.status"),
                    m.t("validators.balance"),
                    m.t("validators.effective"),
                ],
                rows,
                cls="data",
            ),
            tag("nav", *pager, cls="pager", aria_label=m.t("common.pages")),
        ]
    )
    return m.t("validators.title"), body


def validator_page(ctx: PageContext, view: Any, ident: str) -> Body:
    """One validator: status, balances, epochs, credentials, and its balance per epoch (the node keeps the last
    `history_epochs`) as a chart and a table."""
    m = ctx.m
    with view.lock:
        state = view.chain.head_state
    index = find_validator(state, ident)
    if index is None:
        raise PageError(404, m.t("validators.unknown", ident=ident[:100]))
    r = state.validators.validator(index)
    status = STATUSES[validator_statuses(state)[index]]
    try:
        history = rewards(str(index), view=view)["data"]
    except ApiError:
        history = []

    def epoch_text(e: int) -> str:
        return "∞" if e >= 2**64 - 1 else m.num(e)

    facts = dl(
        [
            (m.t("validators.index"), m.num(index)),
            (m.t("validators.pubkey"), tag("code", hexs(r.pubkey))),
            (m.t("validators.status"), tag("strong", m.t(f"status.{status}"), data_status=status)),
            (m.t("validators.balance"), m.swk(r.balance, 9)),
            (m.t("validators.effective"), m.swk(r.effective_balance, 0)),
            (m.t("validators.credentials"), tag("code", hexs(r.withdrawal_credentials))),
            (m.t("validators.activation"), epoch_text(r.activation_epoch)),
            (m.t("validators.exit"), epoch_text(r.exit_epoch)),
            (m.t("validators.slashed"), m.t("common.yes") if r.slashed else m.t("common.no")),
        ],
        cls="facts",
    )
    parts = [facts, tag("h2", m.t("validators.history"))]
    if history:
        xs = [float(h["epoch"]) for h in history]
        ys = [int(h["balance"]) / 1e9 for h in history]
        parts.append(
            line_chart(
                [Series(m.t("validators.balance"), xs, ys)],
                title=m.t("validators.history"),
                x_label=m.t("common.epoch"),
                y_label="SWK",
                fmt_x=lambda v: f"{v:,.0f}",
                fmt_y=lambda v: f"{v:,.6g}",
            )
        )
        rows = [
            (m.num(int(h["epoch"])), m.swk(int(h["balance"]), 9), f"{int(h['change']):+,} Gwei")
            for h in reversed(history[-32:])
        ]
        parts.append(
            table([m.t("common.epoch"), m.t("validators.balance"), m.t("validators.change")], rows, cls="data")
        )
    else:
        parts.append(tag("p", m.t("validators.no_history")))
    return m.t("validators.one", index=m.num(index)), join(parts)
