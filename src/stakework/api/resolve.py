"""`state_id` and `block_id` as the beacon-API defines them: head, genesis, finalized, justified, a slot, or a
0x-prefixed root. Call with the view's lock held.

A block id resolves to the block alone (`BlockRef`): a header or a block is read without its post-state. A state
id resolves to the state through `NodeView.read_state`, which serves held states at once and rebuilds others only
within the API's replay budget (docs/node.md, "Old states on request")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stakework.api.errors import bad_request, not_found
from stakework.api.schemas.encoding import parse_bytes, parse_uint
from stakework.api.view import NodeView
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import get_block_root_at_slot
from stakework.transition.block.block import SignedBeaconBlock

_ROOT = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class BlockRef:
    """A known block: its root, its slot, and whether it is finalized."""

    root: bytes
    slot: int
    finalized: bool


@dataclass(frozen=True)
class Resolved(BlockRef):
    """A block and its post-state."""

    state: BeaconState


def _canonical_root_at(view: NodeView, slot: int) -> bytes:
    chain = view.chain
    head_root = chain.head_root
    head = chain.states[head_root]
    if slot > head.slot:
        raise not_found(f"slot {slot} is after the head (slot {head.slot})")
    if slot == head.slot:
        return head_root
    if head.slot - slot > head.preset.SLOTS_PER_HISTORICAL_ROOT:
        raise not_found(f"slot {slot} is too old for this node's block roots")
    return bytes(get_block_root_at_slot(head, slot))


def _ref(view: NodeView, root: bytes) -> BlockRef:
    """The block `root` as this node knows it (its blocks since finality, its anchor, the genesis block)."""
    chain = view.chain
    signed = chain.blocks.get(root)
    if signed is not None:
        slot = signed.message.slot
    elif root == view.genesis.root:
        slot = view.genesis.slot
    elif root == chain.anchor and root in chain.states:
        slot = chain.anchor_slot
    else:
        raise not_found(f"block 0x{root.hex()} is not known to this node (or pruned below finality)")
    finalized_epoch = chain.forkchoice.finalized_checkpoint.epoch
    return BlockRef(root, slot, slot <= finalized_epoch * chain.preset.SLOTS_PER_EPOCH)


def _named_root(view: NodeView, ident: str, what: str) -> bytes | None:
    chain = view.chain
    if ident == "head":
        return chain.head_root
    if ident == "genesis":
        return view.genesis.root
    if ident == "finalized":
        return chain.forkchoice.finalized_checkpoint.root
    if ident == "justified":
        return chain.forkchoice.justified_checkpoint.root
    if ident.isdigit():
        return _canonical_root_at(view, parse_uint(ident, what))
    return None


def resolve_block(view: NodeView, block_id: str) -> BlockRef:
    """A block id → the block's root, slot and finality (no state is read); 400 when malformed, 404 when
    unknown."""
    root = _named_root(view, block_id, "block_id")
    if root is None:
        if not _ROOT.fullmatch(block_id):
            raise bad_request(
                f"invalid block_id {block_id[:80]!r}: expected head, genesis, finalized, justified, a slot or a root"
            )
        root = parse_bytes(block_id, 32, "block root")
    return _ref(view, root)


def resolve_state_ref(view: NodeView, state_id: str) -> BlockRef:
    """A state id → the block whose post-state it names (no state is read); roots are state roots (block roots
    are accepted too); 400 when malformed, 404 when unknown."""
    root = _named_root(view, state_id, "state_id")
    if root is None:
        if not _ROOT.fullmatch(state_id):
            raise bad_request(
                f"invalid state_id {state_id[:80]!r}: expected head, genesis, finalized, justified, a slot or a root"
            )
        root = _block_of_state_root(view, parse_bytes(state_id, 32, "state root"))
    return _ref(view, root)


def state_root_of(view: NodeView, ref: BlockRef) -> bytes:
    """The root of the post-state of a resolved block, without reading the state (the block commits to it; the
    genesis root is kept) but for an anchor after a restart (held, hashed once)."""
    signed = view.chain.blocks.get(ref.root)
    if signed is not None:
        return signed.message.state_root
    if ref.root == view.genesis.root:
        return view.genesis.state_root
    return view.state_root_of(ref.root, resolve_state(view, "0x" + ref.root.hex()).state)


def resolve_state(view: NodeView, state_id: str) -> Resolved:
    """A state id → the state (the post-state of a block), as `resolve_state_ref` finds its block; 404 for the
    genesis state once finality let it go, 503 when the state is not held and the API's replay budget is spent
    (`NodeView.read_state`)."""
    ref = resolve_state_ref(view, state_id)
    root = ref.root
    if root not in view.chain.states:  # (the genesis block, its state let go at finality)
        raise not_found(
            f"the state of block 0x{root.hex()} (slot {ref.slot}) is not kept: this node keeps the states from its "
            "finalized checkpoint on; ask for finalized or a later state"
        )
    return Resolved(ref.root, ref.slot, ref.finalized, view.read_state(root))


def _block_of_state_root(view: NodeView, state_root: bytes) -> bytes:
    """The block whose post-state has this root (a block root is taken as itself)."""
    for block_root, signed in view.chain.blocks.items():
        if signed.message.state_root == state_root:
            return block_root
    if state_root == view.genesis.state_root:
        return view.genesis.root
    chain = view.chain
    anchor = chain.cache.peek(chain.anchor)
    if (
        anchor is not None
        and chain.anchor not in chain.blocks
        and state_root == view.state_root_of(chain.anchor, anchor)
    ):
        return chain.anchor
    return state_root


def block_of(view: NodeView, ref: BlockRef) -> SignedBeaconBlock | None:
    """The stored block of a resolved id (None for the anchor and the genesis block, which have no stored body)."""
    return view.chain.blocks.get(ref.root)
