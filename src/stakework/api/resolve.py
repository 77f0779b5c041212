"""`state_id` and `block_id` as the beacon-API defines them: head, genesis, finalized, justified, a slot, or a
0x-prefixed root. Call with the view's lock held."""

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
class Resolved:
    """A block root, its post-state, and whether it is finalized."""

    root: bytes
    state: BeaconState
    finalized: bool


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


def _genesis(view: NodeView) -> Resolved:
    return Resolved(view.genesis_root(), view.genesis, True)


def _by_root(view: NodeView, root: bytes) -> Resolved:
    state = view.chain.states.get(root)
    if state is None:
        genesis = _genesis(view)
        if root == genesis.root:
            return genesis
        raise not_found(f"block 0x{root.hex()} is not known to this node (or pruned below finality)")
    finalized_epoch = view.chain.forkchoice.finalized_checkpoint.epoch
    return Resolved(root, state, state.slot <= finalized_epoch * state.preset.SLOTS_PER_EPOCH)


def _named(view: NodeView, ident: str, what: str) -> Resolved | None:
    chain = view.chain
    if ident == "head":
        return _by_root(view, chain.head_root)
    if ident == "genesis":
        return _genesis(view)
    if ident == "finalized":
        return _by_root(view, chain.forkchoice.finalized_checkpoint.root)
    if ident == "justified":
        return _by_root(view, chain.forkchoice.justified_checkpoint.root)
    if ident.isdigit():
        return _by_root(view, _canonical_root_at(view, parse_uint(ident, what)))
    return None


def resolve_block(view: NodeView, block_id: str) -> Resolved:
    """A block id → the block's root and post-state; 400 when malformed, 404 when unknown."""
    named = _named(view, block_id, "block_id")
    if named is not None:
        return named
    if _ROOT.fullmatch(block_id):
        return _by_root(view, parse_bytes(block_id, 32, "block root"))
    raise bad_request(
        f"invalid block_id {block_id[:80]!r}: expected head, genesis, finalized, justified, a slot or a root"
    )


def resolve_state(view: NodeView, state_id: str) -> Resolved:
    """A state id → the state (the post-state of a block); roots are state roots (block roots are accepted
    too); 400 when malformed, 404 when unknown."""
    named = _named(view, state_id, "state_id")
    if named is not None:
        return named
    if not _ROOT.fullmatch(state_id):
        raise bad_request(
            f"invalid state_id {state_id[:80]!r}: expected head, genesis, finalized, justified, a slot or a root"
        )
    root = parse_bytes(state_id, 32, "state root")
    for block_root, signed in view.chain.blocks.items():
        if signed.message.state_root == root:
            return _by_root(view, block_root)
    genesis = _genesis(view)
    if root == view.state_root_of(genesis.root, genesis.state):
        return genesis
    return _by_root(view, root)


def block_of(view: NodeView, resolved: Resolved) -> SignedBeaconBlock | None:
    """The stored block of a resolved id (None for the anchor, which has no block body here)."""
    return view.chain.blocks.get(resolved.root)
