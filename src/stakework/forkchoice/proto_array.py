"""The proto-array: the block tree as parallel lists in insertion order, so that a parent always sits at a lower
index than its children (Lighthouse `consensus/proto_array`, Teku, Lodestar; Prysm's doubly-linked tree is the
same idea with pointers).

Two facts make it fast:

- *Weights by deltas.* Each node keeps `weight` = the balance of the latest messages for it or any descendant
  (spec `get_attestation_score`), plus the proposer boost if it is an ancestor of the boosted block. A change
  of votes is a vector of per-node deltas; one backward pass adds each node's delta to its weight and passes it
  on to its parent, so subtree sums stay correct without ever walking from a vote to the root.
- *Head by one backward pass.* Children are visited before parents, so each node's best child (the child that
  leads to a viable leaf, with the greatest `(weight, root)`) is final by the time the node itself is reached.

The viability rule is the spec's `filter_block_tree`, exactly: only a *leaf* of the whole tree is judged on its
own checkpoints (voting source and finalized ancestor); an inner node is in the filtered tree if and only if one
of its children is. (Production clients also accept an inner node whose own checkpoints are good; the spec does
not, and this module follows the spec.) `get_head` then walks from the justified root along best children and
stops at the first node without one, which may be the justified root itself, as in the spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from stakework.forkchoice.errors import ForkChoiceError, UnknownBlockError
from stakework.forkchoice.votes import NONE, IndexArray
from stakework.state.containers import Checkpoint

GENESIS_EPOCH = 0


@dataclass(frozen=True, slots=True)
class ProtoNode:
    """A read-only view of one node (for queries and tests)."""

    root: bytes
    parent_root: bytes | None
    slot: int
    justified: Checkpoint
    """`current_justified_checkpoint` of the block's post-state (the voting source while it is current)."""
    finalized: Checkpoint
    unrealized_justified: Checkpoint
    """The block's pulled-up justified checkpoint (spec `store.unrealized_justifications[root]`)."""
    unrealized_finalized: Checkpoint
    weight: int


class ProtoArray:
    """Blocks descending from one root (the anchor, later the finalized block), weights and head search."""

    def __init__(
        self, root: bytes, slot: int, justified: Checkpoint, finalized: Checkpoint, slots_per_epoch: int
    ) -> None:
        if slots_per_epoch <= 0:
            raise ValueError("slots_per_epoch must be positive")
        self.slots_per_epoch = slots_per_epoch
        self.indices: dict[bytes, int] = {}
        self.roots: list[bytes] = []
        self.parents: list[int] = []
        self.slots: list[int] = []
        self.justified: list[Checkpoint] = []
        self.finalized: list[Checkpoint] = []
        self.unrealized_justified: list[Checkpoint] = []
        self.unrealized_finalized: list[Checkpoint] = []
        self.weights: list[int] = []
        self._append(root, NONE, slot, justified, finalized, justified, finalized)

    # -- structure -----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.roots)

    def __contains__(self, root: object) -> bool:
        return root in self.indices

    def index(self, root: bytes) -> int:
        """Index of a known root; `UnknownBlockError` otherwise."""
        i = self.indices.get(root)
        if i is None:
            raise UnknownBlockError(f"block {root.hex()} is not in the fork-choice tree")
        return i

    def _append(
        self,
        root: bytes,
        parent: int,
        slot: int,
        justified: Checkpoint,
        finalized: Checkpoint,
        unrealized_justified: Checkpoint,
        unrealized_finalized: Checkpoint,
    ) -> int:
        i = len(self.roots)
        self.indices[root] = i
        self.roots.append(root)
        self.parents.append(parent)
        self.slots.append(slot)
        self.justified.append(justified)
        self.finalized.append(finalized)
        self.unrealized_justified.append(unrealized_justified)
        self.unrealized_finalized.append(unrealized_finalized)
        self.weights.append(0)
        return i

    def insert(
        self,
        root: bytes,
        parent_root: bytes,
        slot: int,
        justified: Checkpoint,
        finalized: Checkpoint,
        unrealized_justified: Checkpoint,
        unrealized_finalized: Checkpoint,
    ) -> int:
        """Append a block whose parent is known (the caller checks); returns its index."""
        return self._append(
            root, self.indices[parent_root], slot, justified, finalized, unrealized_justified, unrealized_finalized
        )

    def node(self, root: bytes) -> ProtoNode:
        i = self.index(root)
        parent = self.parents[i]
        return ProtoNode(
            root=root,
            parent_root=self.roots[parent] if parent != NONE else None,
            slot=self.slots[i],
            justified=self.justified[i],
            finalized=self.finalized[i],
            unrealized_justified=self.unrealized_justified[i],
            unrealized_finalized=self.unrealized_finalized[i],
            weight=self.weights[i],
        )

    def ancestor_index(self, i: int, slot: int) -> int:
        """Spec `get_ancestor` by index: the last block at or before `slot` on `i`'s chain; NONE when that block
        is older than the tree's root (pruned or before the anchor)."""
        slots, parents = self.slots, self.parents
        while i != NONE and slots[i] > slot:
            i = parents[i]
        return i

    def ancestor(self, root: bytes, slot: int) -> bytes | None:
        i = self.ancestor_index(self.index(root), slot)
        return None if i == NONE else self.roots[i]

    def is_descendant(self, ancestor_root: bytes, root: bytes) -> bool:
        """Spec `is_ancestor(store, root, ancestor)`: `ancestor_root` is `root` or on its chain. False when either
        is unknown. Parents have lower indices, so the walk stops as soon as it passes the ancestor's index."""
        a = self.indices.get(ancestor_root)
        i = self.indices.get(root)
        if a is None or i is None:
            return False
        parents = self.parents
        while i > a:
            i = parents[i]
        return i == a

    def iter_chain(self, root: bytes) -> Iterator[bytes]:
        """`root`, its parent, ... down to the tree's root."""
        i = self.index(root)
        while i != NONE:
            yield self.roots[i]
            i = self.parents[i]

    # -- weights and head ----------------------------------------------------------------------------------
    def apply_score_changes(self, deltas: IndexArray) -> None:
        """Add each node's delta to its weight and back-propagate it to the parent (one backward pass over
        nodes). A negative weight means the deltas were not computed from this tree's votes: a bug."""
        if deltas.size != len(self.roots):
            raise ForkChoiceError(f"{deltas.size} deltas for {len(self.roots)} nodes")
        if not deltas.any():
            return
        pending = deltas.tolist()
        weights, parents = self.weights, self.parents
        for i in range(len(pending) - 1, -1, -1):
            delta = pending[i]
            if delta:
                weights[i] += delta
                if weights[i] < 0:
                    raise ForkChoiceError(f"weight of {self.roots[i].hex()} would become negative")
                parent = parents[i]
                if parent != NONE:
                    pending[parent] += delta

    def find_head(self, justified: Checkpoint, finalized: Checkpoint, current_slot: int) -> bytes:
        """Spec `get_head` over spec `get_filtered_block_tree`, with the weights as they stand.

        A leaf is viable when (spec `filter_block_tree`):
        - correct justified: the store's justified epoch is genesis, or the leaf's voting source (its pulled-up
          justified checkpoint if it is from an earlier epoch than the current one, else its realized one,
          spec `get_voting_source`) has the store's justified epoch, or is at most two epochs old;
        - correct finalized: the store's finalized epoch is genesis, or the leaf's ancestor at the start slot
          of the finalized epoch is the finalized root (spec `get_checkpoint_block`).
        """
        start = self.indices.get(justified.root)
        if start is None:
            raise ForkChoiceError(
                f"justified root {justified.root.hex()} is not in the fork-choice tree (pruned, or never seen)"
            )
        n = len(self.roots)
        spe = self.slots_per_epoch
        current_epoch = current_slot // spe
        any_justified = justified.epoch == GENESIS_EPOCH
        any_finalized = finalized.epoch == GENESIS_EPOCH
        parents, slots, roots, weights = self.parents, self.slots, self.roots, self.weights

        # Forward pass: each node's ancestor at the finalized epoch's start slot, for the finalized check.
        finalized_ok: list[bool] = []
        if not any_finalized:
            finalized_slot = finalized.epoch * spe
            finalized_index = self.indices.get(finalized.root, NONE)
            at_slot = [NONE] * n
            for i in range(n):
                if slots[i] <= finalized_slot:
                    at_slot[i] = i
                elif parents[i] != NONE:
                    at_slot[i] = at_slot[parents[i]]
            finalized_ok = [finalized_index != NONE and a == finalized_index for a in at_slot]

        # Backward pass over the justified root's possible descendants (they all sit at higher indices).
        has_child = [False] * n
        best_child = [NONE] * n
        unrealized, realized = self.unrealized_justified, self.justified
        for i in range(n - 1, start, -1):
            if has_child[i]:
                leads = best_child[i] != NONE
            else:
                if any_justified:
                    justified_ok = True
                else:
                    source = unrealized[i] if current_epoch > slots[i] // spe else realized[i]
                    justified_ok = source.epoch == justified.epoch or source.epoch + 2 >= current_epoch
                leads = justified_ok and (any_finalized or finalized_ok[i])
            parent = parents[i]
            has_child[parent] = True
            if leads:
                best = best_child[parent]
                if best == NONE or (weights[i], roots[i]) > (weights[best], roots[best]):
                    best_child[parent] = i

        head = start
        while best_child[head] != NONE:
            head = best_child[head]
        return roots[head]

    # -- pruning -------------------------------------------------------------------------------------------
    def prune(self, root: bytes) -> IndexArray:
        """Keep `root` and its descendants only; `root` becomes the tree's root. Returns the old-to-new index
        map (NONE for removed nodes) so that votes can follow."""
        keep_from = self.index(root)
        n = len(self.roots)
        new_index = np.full(n, NONE, dtype=np.int64)
        if keep_from == 0:
            new_index[:] = np.arange(n)
            return new_index
        kept: list[int] = []
        for i in range(keep_from, n):
            parent = self.parents[i]
            if i == keep_from or (parent >= keep_from and new_index[parent] != NONE):
                new_index[i] = len(kept)
                kept.append(i)
        remap = new_index.tolist()
        self.roots = [self.roots[i] for i in kept]
        self.parents = [NONE if i == keep_from else remap[self.parents[i]] for i in kept]
        self.slots = [self.slots[i] for i in kept]
        self.justified = [self.justified[i] for i in kept]
        self.finalized = [self.finalized[i] for i in kept]
        self.unrealized_justified = [self.unrealized_justified[i] for i in kept]
        self.unrealized_finalized = [self.unrealized_finalized[i] for i in kept]
        self.weights = [self.weights[i] for i in kept]
        self.indices = {r: i for i, r in enumerate(self.roots)}
        return new_index
