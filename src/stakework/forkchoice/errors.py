"""Errors the fork choice raises. Those a peer can cause (a block or attestation that does not fit the tree)
derive from `StakeworkError`; the node decides whether to queue the message for later or to score the peer
down. `ForkChoiceError` itself marks a store that the node drove into an impossible position (a justified
root that is not in the tree), which is a bug in the caller, not in the message."""

from __future__ import annotations

from stakework.spec.errors import StakeworkError


class ForkChoiceError(StakeworkError):
    """Base of every fork-choice error."""


class UnknownParentError(ForkChoiceError):
    """A block whose parent is not in the tree (spec `on_block`: `assert block.parent_root in
    store.block_states`). The node may fetch the parent and retry."""


class InvalidBlockError(ForkChoiceError):
    """A block that can never enter the tree: at or below the finalized slot, not descending from the finalized
    checkpoint block, or not later than its parent."""


class FutureBlockError(InvalidBlockError):
    """A block whose slot is after the current slot (spec: `assert get_current_slot(store) >= block.slot`).
    Unlike its base class this one may become valid: the node may hold it until its slot arrives."""


class UnknownBlockError(ForkChoiceError):
    """An attestation (or a query) names a block that is not in the tree: never seen, or pruned because it does
    not descend from the finalized checkpoint. For an attestation the node may retry once the block arrives."""


class InvalidAttestationError(ForkChoiceError):
    """An attestation with a negative validator index or a negative target epoch."""
