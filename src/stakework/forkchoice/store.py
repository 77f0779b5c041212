"""The fork-choice store: LMD-GHOST over the Casper-FFG-filtered block tree, with the spec's checkpoint
tracking (realized and pulled-up), proposer boost, equivocation removal and pruning below finality.

`ForkChoice` holds what the spec's `Store` holds for the fork choice and nothing else: no blocks, no states.
The node runs the state transition and calls in with plain values (roots, slots, checkpoints, validator indices,
effective balances), so this package knows nothing of block or attestation types. Each method names the spec
function whose effect it has; `docs/forkchoice.md` lists what is left to the node and what is not implemented.

Time is in slots. The spec's `on_tick` also knows the time within a slot (for block timeliness); here the node
says whether a block arrived before the attestation deadline (`timely`), and the store checks the slot.

Balances: `set_justified_balances` takes the effective balances of the justified checkpoint state, indexed by
validator, with 0 for validators that are not active or are slashed in that state (spec `get_attestation_score`
counts only active, unslashed validators). The node supplies them again whenever `justified_checkpoint`
changes (after `on_block` or `on_tick`), as the spec reads `store.checkpoint_states[store.justified_checkpoint]`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stakework.forkchoice.config import ForkChoiceConfig
from stakework.forkchoice.errors import (
    ForkChoiceError,
    FutureBlockError,
    InvalidBlockError,
    UnknownBlockError,
    UnknownParentError,
)
from stakework.forkchoice.proto_array import ProtoArray, ProtoNode
from stakework.forkchoice.votes import NONE, Balances, ValidatorIndices, VoteTracker
from stakework.state.containers import Checkpoint

ZERO_ROOT = b"\x00" * 32


def _balances(values: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("justified balances must be a one-dimensional array indexed by validator")
    if array.size and array.dtype.kind == "i" and int(array.min()) < 0:
        raise ValueError("justified balances must be non-negative")
    return np.array(array, dtype=np.uint64, copy=True)


class ForkChoice:
    """LMD-GHOST + Casper FFG fork choice as a proto-array (see the module docstring).

    `anchor_root`/`anchor_slot` is the block the store starts from (genesis, or a finalized block on restart);
    `justified` and `finalized` must name it (spec `get_forkchoice_store` uses the anchor for both; their epochs
    may differ from the anchor's, e.g. when restarting from a finalized checkpoint state).
    """

    def __init__(
        self,
        anchor_root: bytes,
        anchor_slot: int,
        justified: Checkpoint,
        finalized: Checkpoint,
        justified_balances: npt.ArrayLike,
        slots_per_epoch: int,
        config: ForkChoiceConfig = ForkChoiceConfig(),  # noqa: B008 (frozen, immutable default)
        *,
        min_seed_lookahead: int = 1,
        current_slot: int | None = None,
        total_active_balance: int | None = None,
    ) -> None:
        if justified.root != anchor_root or finalized.root != anchor_root:
            raise ValueError("the anchor's justified and finalized checkpoints must name the anchor root")
        if finalized.epoch > justified.epoch:
            raise ValueError("the finalized epoch cannot be after the justified epoch")
        self.config = config
        self.slots_per_epoch = slots_per_epoch
        self.min_seed_lookahead = min_seed_lookahead
        self._proto = ProtoArray(anchor_root, anchor_slot, justified, finalized, slots_per_epoch)
        self._votes = VoteTracker()
        self._justified = justified
        self._finalized = finalized
        self._unrealized_justified = justified
        self._unrealized_finalized = finalized
        self._current_slot = anchor_slot if current_slot is None else max(current_slot, anchor_slot)
        self._boost_root: bytes | None = None
        self._applied_boost: tuple[bytes, int] | None = None
        self._balances = Balances(np.zeros(0, dtype=np.uint64))
        self._total_active_balance = 0
        self.set_justified_balances(justified_balances, total_active_balance)

    # -- inputs --------------------------------------------------------------------------------------------
    def set_justified_balances(self, balances: npt.ArrayLike, total_active_balance: int | None = None) -> None:
        """Effective balances of the justified checkpoint state (0 for inactive or slashed validators).

        `total_active_balance` is the state's `get_total_active_balance` for the proposer score; it differs from
        `sum(balances)` only by active slashed validators (counted in the total, never in a vote) and the spec's
        floor of one increment. Default: `sum(balances)`."""
        values = _balances(balances)
        total = int(values.sum(dtype=np.uint64)) if total_active_balance is None else total_active_balance
        if total < 0:
            raise ValueError("total active balance must be non-negative")
        self._balances = Balances(values)
        self._total_active_balance = total

    def on_tick(self, current_slot: int) -> None:
        """Spec `on_tick` / `on_tick_per_slot` for every slot up to `current_slot`: at a new slot the proposer
        boost is cleared; when an epoch boundary is crossed the pulled-up (unrealized) checkpoints become the
        store's (spec `update_checkpoints`). Time never goes back: an older slot changes nothing."""
        previous = self._current_slot
        if current_slot <= previous:
            return
        self._current_slot = current_slot
        self._boost_root = None
        if current_slot // self.slots_per_epoch > previous // self.slots_per_epoch:
            self._update_checkpoints(self._unrealized_justified, self._unrealized_finalized)

    def on_block(
        self,
        root: bytes,
        parent_root: bytes,
        slot: int,
        justified_checkpoint: Checkpoint,
        finalized_checkpoint: Checkpoint,
        unrealized_justified: Checkpoint | None = None,
        unrealized_finalized: Checkpoint | None = None,
        *,
        current_slot: int,
        timely: bool,
    ) -> None:
        """Spec `on_block`, fork-choice part, for a block the node has already validated.

        `justified_checkpoint`/`finalized_checkpoint` are the post-state's `current_justified_checkpoint` and
        `finalized_checkpoint`; `unrealized_*` are the same after `process_justification_and_finalization` on a
        copy of the post-state (spec `compute_pulled_up_tip`; default: the realized ones). `timely` says the
        block arrived before the attestation deadline of its slot (spec `record_block_timeliness`).

        Time first advances to `current_slot` (as `on_tick`). A block already known is ignored. Raises
        `UnknownParentError`, `FutureBlockError` (slot after `current_slot`) or `InvalidBlockError` (not after its
        parent's slot, at or before the finalized epoch's start slot, or not descending from the finalized
        checkpoint block).
        """
        if root in self._proto:
            return
        self.on_tick(current_slot)
        proto = self._proto
        if parent_root not in proto:
            raise UnknownParentError(f"block {root.hex()}: parent {parent_root.hex()} is not known")
        if slot > self._current_slot:
            raise FutureBlockError(f"block {root.hex()}: slot {slot} is after the current slot {self._current_slot}")
        parent = proto.index(parent_root)
        if slot <= proto.slots[parent]:
            raise InvalidBlockError(
                f"block {root.hex()}: slot {slot} is not after its parent's slot {proto.slots[parent]}"
            )
        finalized_slot = self._finalized.epoch * self.slots_per_epoch
        if slot <= finalized_slot:
            raise InvalidBlockError(
                f"block {root.hex()}: slot {slot} is not after the finalized epoch's start slot {finalized_slot}"
            )
        if proto.ancestor(parent_root, finalized_slot) != self._finalized.root:
            raise InvalidBlockError(
                f"block {root.hex()} does not descend from the finalized checkpoint "
                f"(epoch {self._finalized.epoch}, root {self._finalized.root.hex()})"
            )

        # Spec `update_proposer_boost_root`: the first timely block of the slot whose proposer shuffling agrees
        # with the current head's. The head is taken before the block is added.
        boost_head: bytes | None = None
        if timely and slot == self._current_slot and self._boost_root is None:
            boost_head = self.get_head()

        uj = justified_checkpoint if unrealized_justified is None else unrealized_justified
        uf = finalized_checkpoint if unrealized_finalized is None else unrealized_finalized
        proto.insert(root, parent_root, slot, justified_checkpoint, finalized_checkpoint, uj, uf)

        if boost_head is not None:
            epoch = self._current_slot // self.slots_per_epoch
            if self._dependent_root(boost_head, epoch) == self._dependent_root(root, epoch):
                self._boost_root = root

        self._update_checkpoints(justified_checkpoint, finalized_checkpoint)
        # Spec `compute_pulled_up_tip`.
        self._update_unrealized_checkpoints(uj, uf)
        if slot // self.slots_per_epoch < self._current_slot // self.slots_per_epoch:
            self._update_checkpoints(uj, uf)

    def on_attestation(self, validator_indices: ValidatorIndices, block_root: bytes, target_epoch: int) -> int:
        """Spec `update_latest_messages` for an attestation the node has validated (spec
        `validate_on_attestation`, signature, committee): each listed validator that is not equivocating and has
        no message with a target epoch at least `target_epoch` now votes for `block_root`.

        Returns how many latest messages changed (an index listed twice in one call counts twice). A
        `block_root` not in the tree raises `UnknownBlockError`: the node may hold the attestation until the
        block arrives, or drop it (a block pruned as conflicting with finality can never gain weight again; an
        attestation inside a block may name a block older than this store's anchor). Vectorized: a whole
        committee, or a whole epoch of validators, is one call with an index array.
        """
        node = self._proto.indices.get(block_root)
        if node is None:
            raise UnknownBlockError(f"attestation for block {block_root.hex()}, which is not in the tree")
        return self._votes.update_latest_messages(VoteTracker.as_indices(validator_indices), node, target_epoch)

    def on_attester_slashing(self, validator_indices: ValidatorIndices) -> int:
        """Spec `on_attester_slashing`: the validators (the intersection of a valid slashing's two attestations)
        join `equivocating_indices`; their weight leaves the tree at the next `get_head` and none of their
        messages ever counts again. Returns how many were newly added."""
        return self._votes.mark_equivocating(VoteTracker.as_indices(validator_indices))

    # -- head ----------------------------------------------------------------------------------------------
    def _apply_changes(self) -> None:
        """Bring every node's weight up to date: pending vote and balance changes, then the proposer boost."""
        proto = self._proto
        deltas = self._votes.compute_deltas(len(proto), self._balances)
        if self._applied_boost is not None:
            old_root, old_score = self._applied_boost
            old = proto.indices.get(old_root)
            if old is not None:
                deltas[old] -= old_score
            self._applied_boost = None
        if self._boost_root is not None:
            new = proto.indices.get(self._boost_root)
            if new is not None:
                score = self.proposer_score()
                deltas[new] += score
                self._applied_boost = (self._boost_root, score)
        proto.apply_score_changes(deltas)

    def get_head(self) -> bytes:
        """Spec `get_head`: from the justified root, repeatedly the child in the filtered block tree with the
        greatest (weight, root); weights are spec `get_weight` (latest-message balances of non-equivocating
        validators, plus the proposer score on the boosted block's chain)."""
        self._apply_changes()
        return self._proto.find_head(self._justified, self._finalized, self._current_slot)

    def proposer_score(self) -> int:
        """Spec `get_proposer_score`: committee weight (total active balance / SLOTS_PER_EPOCH) ×
        PROPOSER_SCORE_BOOST / 100."""
        return self.committee_fraction(self.config.PROPOSER_SCORE_BOOST)

    def committee_fraction(self, percent: int) -> int:
        """Spec `calculate_committee_fraction`: `percent` of one slot's committee weight, in Gwei."""
        return (self._total_active_balance // self.slots_per_epoch) * percent // 100

    # -- pruning -------------------------------------------------------------------------------------------
    def prune(self) -> int:
        """Drop every node that is not the finalized checkpoint block or its descendant; returns how many.

        Safe at any time: no such node can become head again (they all fail the finalized check) and no vote
        for one can weigh on a surviving node. Votes are re-indexed in one array operation."""
        root = self._finalized.root
        if root not in self._proto:
            raise ForkChoiceError(f"finalized root {root.hex()} is not in the fork-choice tree; cannot prune")
        before = len(self._proto)
        self._apply_changes()
        new_index = self._proto.prune(root)
        self._votes.remap(new_index)
        return before - len(self._proto)

    # -- checkpoints ---------------------------------------------------------------------------------------
    def _update_checkpoints(self, justified: Checkpoint, finalized: Checkpoint) -> None:
        """Spec `update_checkpoints`: each checkpoint moves only to a later epoch."""
        if justified.epoch > self._justified.epoch:
            self._justified = justified
        if finalized.epoch > self._finalized.epoch:
            self._finalized = finalized

    def _update_unrealized_checkpoints(self, justified: Checkpoint, finalized: Checkpoint) -> None:
        """Spec `update_unrealized_checkpoints`."""
        if justified.epoch > self._unrealized_justified.epoch:
            self._unrealized_justified = justified
        if finalized.epoch > self._unrealized_finalized.epoch:
            self._unrealized_finalized = finalized

    def _dependent_root(self, root: bytes, epoch: int) -> bytes | None:
        """Spec `get_shuffling_dependent_root`: the block at the last slot before epoch
        `epoch - MIN_SEED_LOOKAHEAD` on `root`'s chain (zero root in the first epochs; None when older than the
        tree, which for two blocks descending from the finalized block means the same block)."""
        if epoch <= self.min_seed_lookahead:
            return ZERO_ROOT
        dependent_slot = (epoch - self.min_seed_lookahead) * self.slots_per_epoch - 1
        return self._proto.ancestor(root, dependent_slot)

    # -- queries -------------------------------------------------------------------------------------------
    @property
    def justified_checkpoint(self) -> Checkpoint:
        return self._justified

    @property
    def finalized_checkpoint(self) -> Checkpoint:
        return self._finalized

    @property
    def unrealized_justified_checkpoint(self) -> Checkpoint:
        return self._unrealized_justified

    @property
    def unrealized_finalized_checkpoint(self) -> Checkpoint:
        return self._unrealized_finalized

    @property
    def current_slot(self) -> int:
        return self._current_slot

    @property
    def proposer_boost_root(self) -> bytes | None:
        """Spec `store.proposer_boost_root` (None for the spec's zero root)."""
        return self._boost_root

    @property
    def node_count(self) -> int:
        return len(self._proto)

    def __len__(self) -> int:
        return len(self._proto)

    def contains(self, root: bytes) -> bool:
        return root in self._proto

    def __contains__(self, root: object) -> bool:
        return root in self._proto

    def roots(self) -> list[bytes]:
        """Every root in the tree, parents before children (insertion order)."""
        return list(self._proto.roots)

    def node(self, root: bytes) -> ProtoNode:
        """The stored node (slot, parent, checkpoints, weight as of the last `get_head`)."""
        return self._proto.node(root)

    def ancestor(self, root: bytes, slot: int) -> bytes | None:
        """Spec `get_ancestor`: the block at or before `slot` on `root`'s chain; None when older than the tree.
        `UnknownBlockError` for an unknown `root`."""
        return self._proto.ancestor(root, slot)

    def is_descendant(self, ancestor: bytes, root: bytes) -> bool:
        """`root` is `ancestor` or descends from it (spec `is_ancestor`); False when either is unknown."""
        return self._proto.is_descendant(ancestor, root)

    def weight(self, root: bytes) -> int:
        """Spec `get_weight`, up to date (pending votes applied). `UnknownBlockError` for an unknown root."""
        i = self._proto.index(root)
        self._apply_changes()
        return self._proto.weights[i]

    def latest_message(self, validator_index: int) -> tuple[int, bytes | None] | None:
        """`(target_epoch, root)` of a validator's latest message; root None if the block was pruned or the
        validator is equivocating; None if it has not attested."""
        message = self._votes.latest_message(validator_index)
        if message is None:
            return None
        epoch, node = message
        return epoch, None if node == NONE else self._proto.roots[node]

    def is_equivocating(self, validator_index: int) -> bool:
        votes = self._votes
        return validator_index < votes.size and bool(votes.equivocating[validator_index])
