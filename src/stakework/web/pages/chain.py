"""Blocks and transactions: recent canonical blocks, one block's operations and transactions, one transaction's
status (read from the node's view, as `/eth/v2/beacon/blocks` and `/v1/transactions` answer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stakework.api.errors import ApiError
from stakework.api.resolve import block_of, resolve_block
from stakework.api.schemas.encoding import parse_bytes
from stakework.crypto.ed25519 import address_of
from stakework.web.app import Body, PageError
from stakework.web.html import Markup, PageContext, dl, join, link, short, table, tag, url

PAGE_BLOCKS = 32


def hexs(data: bytes) -> str:
    """0x hex."""
    return "0x" + bytes(data).hex()


@dataclass(frozen=True)
class BlockRow:
    """One canonical block in a list."""

    slot: int
    root: bytes
    proposer: int
    transactions: int
    attestations: int


def _row(signed: Any, root: bytes) -> BlockRow:
    block = signed.message
    body = block.body
    return BlockRow(block.slot, root, block.proposer_index, len(body.transactions), len(body.attestations))


def recent_blocks(view: Any, newest: int, count: int) -> list[tuple[bytes, Any]]:
    """(root, signed block) of the canonical blocks at or below slot `newest`, newest first, at most `count`:
    walking parent roots from the head through the blocks the node holds in memory, then, below them (finalized
    blocks the node pruned), from its store (`blocks_by_range` of the head's chain). Call with the view's lock
    held."""
    chain = view.chain
    root = chain.head_root
    out: list[tuple[bytes, Any]] = []
    floor = newest + 1
    while len(out) < count:
        signed = chain.blocks.get(root)
        if signed is None:
            break
        floor = int(signed.message.slot)
        if floor <= newest:
            out.append((root, signed))
        root = signed.message.parent_root
    store = getattr(chain, "store", None)
    top = min(newest, floor - 1)
    if len(out) < count and store is not None and top >= 0:
        start = max(0, top - 4 * (count - len(out)) + 1)  # empty slots: look a few times further back
        for signed in reversed(store.blocks_by_range(start, top - start + 1)):
            if len(out) == count:
                break
            out.append((signed.message.hash_tree_root(), signed))
    return out


def canonical_blocks(view: Any, newest: int, count: int) -> list[BlockRow]:
    """`recent_blocks` as table rows."""
    return [_row(signed, root) for root, signed in recent_blocks(view, newest, count)]


def blocks_page(ctx: PageContext, view: Any, query: Mapping[str, str]) -> Body:
    """Recent blocks, `PAGE_BLOCKS` a page (`?before=SLOT` pages back), and a transaction search box."""
    m = ctx.m
    before = query.get("before")
    with view.lock:
        head_slot = int(view.chain.head_state.slot)
        newest = head_slot
        if before is not None:
            if not before.isdigit():
                raise PageError(400, m.t("error.bad_number", what="before", value=before[:40]))
            newest = min(head_slot, int(before))
        rows = canonical_blocks(view, newest, PAGE_BLOCKS)
    body = [
        tag(
            "form",
            tag("label", m.t("blocks.tx_search"), for_="tx-hash"),
            tag("input", id="tx-hash", name="hash", type="search", placeholder="0x…", size="70", required=True),
            tag("button", m.t("common.go"), type="submit"),
            action="/tx",
            method="get",
            cls="search",
            role="search",
        ),
        table(
            [
                m.t("blocks.slot"),
                m.t("blocks.root"),
                m.t("blocks.proposer"),
                m.t("blocks.transactions"),
                m.t("blocks.attestations"),
            ],
            [
                (
                    link(f"/blocks/{hexs(r.root)}", m.num(r.slot)),
                    tag("code", short(hexs(r.root))),
                    link(f"/validators/{r.proposer}", r.proposer),
                    m.num(r.transactions),
                    m.num(r.attestations),
                )
                for r in rows
            ],
            cls="data",
            caption=m.t("blocks.caption", head=m.num(head_slot)),
        ),
    ]
    if rows and rows[-1].slot > 0:
        body.append(tag("p", link(url("/blocks", before=rows[-1].slot - 1), m.t("common.older")), cls="pager"))
    return m.t("blocks.title"), join(body)


def _operation_rows(ctx: PageContext, block: Any) -> list[tuple[object, object]]:
    m = ctx.m
    body = block.body
    return [
        (m.t("block.attestations"), m.num(len(body.attestations))),
        (m.t("block.proposer_slashings"), m.num(len(body.proposer_slashings))),
        (m.t("block.attester_slashings"), m.num(len(body.attester_slashings))),
        (m.t("block.transactions"), m.num(len(body.transactions))),
        (m.t("block.withdrawals"), m.num(len(getattr(body, "withdrawals", ()) or ()))),
    ]


def sender(tx: Any) -> str:
    """The sender's account address (0x, 20 bytes) of a signed transaction."""
    return hexs(address_of(tx.transaction.sender))


def _payload_kind(tx: Any) -> str:
    payload = tx.transaction.payload
    kind = type(payload).__name__
    module = getattr(payload, "module", None)
    return f"{kind} ({module})" if isinstance(module, str) else kind


def _find_block(view: Any, block_id: str) -> tuple[bytes, Any]:
    """A block id → (root, signed block or None): the node's blocks by root, a canonical slot found by walking
    back from the head (finalized blocks whose states are pruned included), else the API's resolution."""
    chain = view.chain
    if block_id.startswith("0x") and len(block_id) == 66:
        try:
            root = parse_bytes(block_id, 32, "block root")
        except ApiError:
            root = b""
        if root in chain.blocks:
            return root, chain.blocks[root]
        stored = chain.store.get_block(root) if root and chain.store is not None else None
        if stored is not None:
            return root, stored
    if block_id.isdigit():
        slot = int(block_id)
        for row in canonical_blocks(view, slot, 1):
            if row.slot == slot:
                found = chain.blocks.get(row.root)
                if found is None and chain.store is not None:
                    found = chain.store.get_block(row.root)
                return row.root, found
    r = resolve_block(view, block_id)
    return r.root, block_of(view, r)


def block_page(ctx: PageContext, view: Any, block_id: str) -> Body:
    """One block: header fields, operations by kind, and its transactions (hash, sender, kind, fee)."""
    m = ctx.m
    with view.lock:
        root, signed = _find_block(view, block_id)
        finalized_slot = view.chain.forkchoice.finalized_checkpoint.epoch * view.chain.head_state.preset.SLOTS_PER_EPOCH
    if signed is None:
        raise PageError(404, m.t("block.no_body", root=hexs(root)))
    block = signed.message
    finalized = block.slot <= finalized_slot
    items: list[tuple[object, object]] = [
        (m.t("blocks.slot"), m.num(block.slot)),
        (m.t("blocks.root"), tag("code", hexs(root))),
        (m.t("block.parent"), link(f"/blocks/{hexs(block.parent_root)}", tag("code", hexs(block.parent_root)))),
        (m.t("block.state_root"), tag("code", hexs(block.state_root))),
        (m.t("blocks.proposer"), link(f"/validators/{block.proposer_index}", block.proposer_index)),
        (m.t("block.finalized"), m.t("common.yes") if finalized else m.t("common.no")),
    ]
    txs = [
        (
            link(f"/tx/{hexs(tx.hash())}", tag("code", short(hexs(tx.hash()), 14))),
            link(f"/accounts/{sender(tx)}", tag("code", short(sender(tx)))),
            _payload_kind(tx),
            m.num(tx.transaction.nonce),
            m.swk(tx.transaction.fee, 6),
        )
        for tx in block.body.transactions
    ]
    body = join(
        [
            dl(items, cls="facts"),
            tag("h2", m.t("block.operations")),
            dl(_operation_rows(ctx, block), cls="facts"),
            tag("h2", m.t("block.transactions")),
            table([m.t("tx.hash"), m.t("tx.sender"), m.t("tx.kind"), m.t("tx.nonce"), m.t("tx.fee")], txs, cls="data")
            if txs
            else tag("p", m.t("block.no_transactions")),
        ]
    )
    return m.t("block.title", slot=m.num(block.slot)), body


def transaction_page(ctx: PageContext, view: Any, tx_hash: str) -> Body:
    """One transaction's status (pending, included, finalized, rejected with the reason) and, once in a block,
    its content."""
    m = ctx.m
    try:
        h = parse_bytes(tx_hash, 32, "transaction hash")
    except ApiError as exc:
        raise PageError(400, exc.message) from None
    status = view.transaction_status(h)
    if status is None:
        raise PageError(404, m.t("tx.unknown", hash=tx_hash[:80]))
    items: list[tuple[object, object]] = [
        (m.t("tx.hash"), tag("code", hexs(h))),
        (
            m.t("tx.status"),
            tag("strong", m.t(f"tx.status_{status.get('status', 'pending')}"), data_status=status.get("status")),
        ),
    ]
    if status.get("reason"):
        items.append((m.t("tx.reason"), status["reason"]))
    found: Any = None
    with view.lock:
        record = view.transactions.get(h)
        if record is not None:
            signed = view.chain.blocks.get(record.block_root)
            if signed is not None and record.index < len(signed.message.body.transactions):
                found = (record, signed.message.body.transactions[record.index])
    if found is not None:
        record, tx = found
        items += [
            (m.t("blocks.slot"), link(f"/blocks/{hexs(record.block_root)}", m.num(record.slot))),
            (m.t("tx.sender"), link(f"/accounts/{sender(tx)}", tag("code", sender(tx)))),
            (m.t("tx.kind"), _payload_kind(tx)),
            (m.t("tx.nonce"), m.num(tx.transaction.nonce)),
            (m.t("tx.fee"), m.swk(tx.transaction.fee, 9)),
        ]
    return m.t("tx.title"), Markup(dl(items, cls="facts"))
