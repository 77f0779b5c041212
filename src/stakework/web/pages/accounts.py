"""Accounts: the largest balances, and one account's balance, nonce, validators, recent transactions and positions
in every enabled module (each module's page provides its rows), with a panel that verifies the balance, nonce and
stSWK shares with Merkle proofs in the browser (`static/proofs.js`)."""

from __future__ import annotations

import json
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.routes.stakework import account
from stakework.api.schemas.encoding import parse_bytes
from stakework.crypto.ed25519 import address_of
from stakework.web.app import Body, PageError
from stakework.web.html import Markup, PageContext, dl, join, link, short, table, tag
from stakework.web.pages import modules
from stakework.web.pages.chain import _payload_kind, hexs, recent_blocks

TOP_ACCOUNTS = 50
SCAN_BLOCKS = 512
"""Recent canonical blocks searched for an account's transactions."""
PROOF_MESSAGES = (
    "checking",
    "verified",
    "failed",
    "could_not",
    "balance",
    "nonce",
    "shares",
    "root_label",
    "slot",
    "slot_said",
    "source",
    "source_node",
    "source_pasted",
    "claim",
)
"""The proof panel's words the script shows (`static/proofs.js`), handed over in the page's language."""


def accounts_page(ctx: PageContext, view: Any) -> Body:
    """A search box and the accounts holding the most SWK."""
    m = ctx.m
    with view.lock:
        items = list(view.chain.head_state.accounts.items())
    items.sort(key=lambda kv: kv[1].balance, reverse=True)
    rows = [
        (link(f"/accounts/{hexs(addr)}", tag("code", hexs(addr))), m.swk(a.balance), m.num(a.nonce))
        for addr, a in items[:TOP_ACCOUNTS]
    ]
    body = join(
        [
            tag(
                "form",
                tag("label", m.t("accounts.search"), for_="address"),
                tag("input", id="address", name="address", type="search", placeholder="0x…", size="46", required=True),
                tag("button", m.t("common.go"), type="submit"),
                action="/accounts",
                method="get",
                cls="search",
                role="search",
            ),
            table(
                [m.t("accounts.address"), m.t("accounts.balance"), m.t("accounts.nonce")],
                rows,
                cls="data",
                caption=m.t("accounts.top", n=TOP_ACCOUNTS, total=m.num(len(items))),
            ),
        ]
    )
    return m.t("accounts.title"), body


def account_page(ctx: PageContext, view: Any, address: str) -> Body:
    """One account (see the module docstring)."""
    m = ctx.m
    try:
        addr = parse_bytes(address, 20, "address")
        data = account(address, view=view)["data"]
    except ApiError as exc:
        raise PageError(exc.status, exc.message) from None
    txs = []
    with view.lock:
        blocks = recent_blocks(view, int(view.chain.head_state.slot), SCAN_BLOCKS)
    for _, signed in blocks:
        for tx in signed.message.body.transactions:
            if address_of(tx.transaction.sender) == addr:
                txs.append((signed.message.slot, tx))
    facts = dl(
        [
            (m.t("accounts.address"), tag("code", hexs(addr))),
            (m.t("accounts.balance"), tag("span", m.swk(int(data["balance"]), 9), data_balance=data["balance"])),
            (m.t("accounts.nonce"), m.num(int(data["nonce"]))),
            (
                m.t("accounts.validators"),
                join([link(f"/validators/{i}", i) for i in data["validators"]], ", ") if data["validators"] else "—",
            ),
        ],
        cls="facts",
    )
    parts = [facts, tag("h2", m.t("accounts.positions"))]
    found = modules.positions(ctx, view, addr)
    if found:
        for title, rows in found:
            parts.append(tag("h3", title))
            parts.append(dl(rows, cls="facts positions"))
    else:
        parts.append(tag("p", m.t("accounts.no_positions")))
    parts.append(tag("h2", m.t("accounts.transactions")))
    if txs:
        tx_rows = [
            (
                link(f"/tx/{hexs(tx.hash())}", tag("code", short(hexs(tx.hash()), 14))),
                link(f"/blocks/{slot}", m.num(slot)),
                _payload_kind(tx),
                m.num(tx.transaction.nonce),
                m.swk(tx.transaction.fee, 6),
            )
            for slot, tx in txs
        ]
        headers = [m.t("tx.hash"), m.t("blocks.slot"), m.t("tx.kind"), m.t("tx.nonce"), m.t("tx.fee")]
        parts.append(table(headers, tx_rows, cls="data"))
    else:
        parts.append(tag("p", m.t("accounts.no_transactions", n=SCAN_BLOCKS)))
    parts.append(proof_panel(ctx, view, addr))
    return m.t("accounts.one"), join(parts), ("/static/proofs.js",)


def proof_panel(ctx: PageContext, view: Any, addr: bytes) -> Markup:
    """The "Proof" panel: a button that has the browser fetch the account's proofs (and its stSWK proof when the
    liquid module runs) and verify them against a state root, the node's head root or one the user pastes
    (`static/proofs.js`; docs/web.md, "Proofs checked in the browser"). Nothing is fetched until it is pressed."""
    m = ctx.m
    with view.lock:
        liquid = "liquid" in view.chain.head_state.modules.enabled()
    return tag(
        "section",
        tag("h2", m.t("proof.title"), id="proof"),
        tag("p", m.t("proof.intro")),
        tag("p", m.t("proof.trust")),
        tag("label", m.t("proof.root_input"), for_="trusted-root"),
        " ",
        tag(
            "input",
            id="trusted-root",
            name="trusted-root",
            type="text",
            placeholder="0x…",
            size="70",
            spellcheck="false",
        ),
        " ",
        tag("button", m.t("proof.button"), id="verify-proof", type="button"),
        tag("div", cls="proof-result", role="status", aria_live="polite"),
        cls="proof-panel",
        aria_labelledby="proof",
        data_address=hexs(addr),
        data_liquid="1" if liquid else None,
        data_msgs=json.dumps({key: m.t(f"proof.{key}") for key in PROOF_MESSAGES}, ensure_ascii=False),
    )
