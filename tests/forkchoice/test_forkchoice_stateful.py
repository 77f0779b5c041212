"""The proto-array fork choice against the plain spec-text reference (tests/reference/forkchoice_reference.py),
on random histories: block trees with forks (and blocks that must be rejected), attestations, equivocations,
ticks across epoch boundaries, justified/finalized checkpoints (realized and pulled-up), balance changes and
pruning. After every step both must agree on spec `get_head`, on spec `get_weight` of every node, on the
store's checkpoints and on the proposer-boost root; and the invariants hold: the head descends from the
finalized block, no weight is negative, after pruning every node descends from the finalized block.
"""

from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import reference.forkchoice_reference as ref
from stakework.forkchoice import ForkChoice, ForkChoiceError, UnknownParentError
from stakework.state.containers import Checkpoint

SLOTS_PER_EPOCH = 4
VALIDATORS = 24
BALANCE_CHOICES = [0, 16, 31, 32, 32, 32, 64, 2048]


class ForkChoiceMachine(RuleBasedStateMachine):
    """Drives `ForkChoice` and the reference store with the same inputs."""

    slots_per_epoch = SLOTS_PER_EPOCH
    tick_scale = 1
    """Slots per tick step (so that runs on longer epochs still cross several epochs)."""
    gwei_only = False
    """Balances always in whole increments of 10**9 (for the comparison with the reference package)."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = 0
        self.pruned = False

    def new_root(self) -> bytes:
        self.counter += 1
        return hashlib.sha256(self.counter.to_bytes(8, "little")).digest()

    @initialize(
        balances=st.lists(st.sampled_from(BALANCE_CHOICES), min_size=VALIDATORS, max_size=VALIDATORS),
        unit=st.sampled_from([1, 10**9]),
    )
    def start(self, balances: list[int], unit: int) -> None:
        self.unit = 10**9 if self.gwei_only else unit
        balances = [b * self.unit for b in balances]
        self.anchor = self.new_root()
        genesis = Checkpoint(0, self.anchor)
        array = np.array(balances, dtype=np.uint64)
        self.fc = ForkChoice(self.anchor, 0, genesis, genesis, array, self.slots_per_epoch)
        self.ref = ref.get_forkchoice_store(self.anchor, 0, genesis, genesis, balances, self.slots_per_epoch)

    # -- rules ---------------------------------------------------------------------------------------------
    @rule(slots=st.integers(1, 6))
    def tick(self, slots: int) -> None:
        slot = self.ref.current_slot + slots * self.tick_scale
        self.fc.on_tick(slot)
        ref.on_tick(self.ref, slot)

    def checkpoint_on_chain(self, parent_root: bytes, root: bytes, slot: int, epoch: int) -> Checkpoint:
        """The checkpoint for `epoch` on the chain of a block (`root` at `slot` on top of `parent_root`)."""
        start = epoch * self.slots_per_epoch
        if slot <= start:
            return Checkpoint(epoch, root)
        ancestor = ref.get_ancestor(self.ref, parent_root, start)
        return Checkpoint(epoch, ancestor if ancestor is not None else self.anchor)

    @rule(data=st.data())
    def add_block(self, data: st.DataObject) -> None:
        live = self.fc.roots()
        if data.draw(st.integers(0, 9), label="from_all") == 0:
            parent = data.draw(st.sampled_from(sorted(self.ref.blocks)), label="parent")
        else:
            parent = data.draw(st.sampled_from(live), label="parent")
        parent_slot = self.ref.blocks[parent].slot
        gap = data.draw(st.integers(1, 4), label="gap")
        if data.draw(st.integers(0, 19), label="same_slot") == 0:
            gap = 0  # rejected: not after its parent
        slot = parent_slot + gap
        current = max(self.ref.current_slot, slot) + data.draw(st.integers(0, 1), label="late")
        if data.draw(st.integers(0, 19), label="future") == 0:
            current = slot - 1  # a block from the future
        timely = data.draw(st.booleans(), label="timely")
        root = self.new_root()
        epoch = slot // self.slots_per_epoch
        justified_epoch = max(0, epoch - data.draw(st.sampled_from([1, 1, 1, 2, 2, 3, 0]), label="justified"))
        finalized_epoch = max(0, justified_epoch - data.draw(st.sampled_from([1, 1, 2, 0]), label="finalized"))
        unrealized_justified_epoch = data.draw(st.integers(justified_epoch, epoch), label="u_justified")
        unrealized_finalized_epoch = data.draw(
            st.integers(finalized_epoch, unrealized_justified_epoch), label="u_finalized"
        )
        checkpoints = [
            self.checkpoint_on_chain(parent, root, slot, e)
            for e in (justified_epoch, finalized_epoch, unrealized_justified_epoch, unrealized_finalized_epoch)
        ]
        impl_error: Exception | None = None
        try:
            self.fc.on_block(root, parent, slot, *checkpoints, current_slot=current, timely=timely)
        except (ForkChoiceError, UnknownParentError) as error:
            impl_error = error
        ref_error: Exception | None = None
        try:
            ref.on_block(self.ref, root, parent, slot, *checkpoints, current_slot=current, timely=timely)
        except ref.RejectedError as error:
            ref_error = error
        assert (impl_error is None) == (ref_error is None), (impl_error, ref_error)
        event(f"block {type(impl_error).__name__ if impl_error else 'accepted'}")

    @rule(data=st.data())
    def attest(self, data: st.DataObject) -> None:
        block = data.draw(st.sampled_from(self.fc.roots()), label="block")
        validators = data.draw(st.lists(st.integers(0, VALIDATORS + 2), max_size=12), label="validators")
        target_epoch = data.draw(st.integers(0, self.ref.current_slot // self.slots_per_epoch + 1), label="target")
        self.fc.on_attestation(np.array(validators, dtype=np.int64), block, target_epoch)
        ref.on_attestation(self.ref, validators, block, target_epoch)

    @rule(validators=st.lists(st.integers(0, VALIDATORS - 1), min_size=1, max_size=3))
    def equivocate(self, validators: list[int]) -> None:
        self.fc.on_attester_slashing(validators)
        ref.on_attester_slashing(self.ref, validators)

    @rule(balances=st.lists(st.sampled_from(BALANCE_CHOICES), min_size=0, max_size=VALIDATORS + 4))
    def set_balances(self, balances: list[int]) -> None:
        balances = [b * self.unit for b in balances]
        self.fc.set_justified_balances(np.array(balances, dtype=np.uint64))
        self.ref.justified_balances = list(balances)
        self.ref.total_active_balance = sum(balances)

    def consistent(self) -> bool:
        """The store's checkpoints are on one chain (as FFG guarantees without 1/3 slashable): the justified
        and pulled-up checkpoints descend from the finalized block."""
        store = self.ref
        finalized = store.finalized_checkpoint.root
        return finalized in self.fc and all(
            checkpoint.root in store.blocks and ref.is_ancestor(store, checkpoint.root, finalized)
            for checkpoint in (
                store.justified_checkpoint,
                store.unrealized_justified_checkpoint,
                store.unrealized_finalized_checkpoint,
            )
        )

    @precondition(lambda self: self.consistent())
    @rule()
    def prune(self) -> None:
        before = self.fc.node_count
        removed = self.fc.prune()
        assert self.fc.node_count == before - removed
        finalized = self.fc.finalized_checkpoint.root
        assert self.fc.roots()[0] == finalized
        assert all(self.fc.is_descendant(finalized, root) for root in self.fc.roots())
        self.pruned = self.pruned or removed > 0
        event("prune removed nodes" if removed else "prune removed nothing")

    # -- invariants ----------------------------------------------------------------------------------------
    @invariant()
    def same_head_and_weights(self) -> None:
        if not hasattr(self, "fc"):
            return
        assert self.fc.justified_checkpoint == self.ref.justified_checkpoint
        assert self.fc.finalized_checkpoint == self.ref.finalized_checkpoint
        assert self.fc.unrealized_justified_checkpoint == self.ref.unrealized_justified_checkpoint
        assert self.fc.unrealized_finalized_checkpoint == self.ref.unrealized_finalized_checkpoint
        assert (self.fc.proposer_boost_root or ref.ZERO_ROOT) == self.ref.proposer_boost_root
        if self.ref.justified_checkpoint.root not in self.fc:
            return  # only after an inconsistent history was pruned: see `consistent`
        head = self.fc.get_head()
        assert head == ref.get_head(self.ref)
        if self.fc.justified_checkpoint.epoch > 0:
            event("justified beyond genesis")
        if self.fc.finalized_checkpoint.epoch > 0:
            event("finalized beyond genesis")
        if head == self.fc.justified_checkpoint.root and len(self.fc) > 3:
            event("head is the justified root of a tree of 4+")
        if self.fc.proposer_boost_root is not None:
            event("boost set")
        for root in self.fc.roots():
            weight = self.fc.weight(root)
            assert weight >= 0
            assert weight == ref.get_weight(self.ref, root), root.hex()

    @invariant()
    def head_descends_from_finalized(self) -> None:
        if not hasattr(self, "fc") or not self.consistent():
            return
        head = self.fc.get_head()
        assert self.fc.is_descendant(self.fc.finalized_checkpoint.root, self.fc.justified_checkpoint.root)
        assert self.fc.is_descendant(self.fc.justified_checkpoint.root, head)

    @invariant()
    def ancestry_agrees(self) -> None:
        """Spec `get_ancestor` and `is_ancestor` on the newest nodes (an ancestor that was pruned is None)."""
        if not hasattr(self, "fc"):
            return
        newest = self.fc.roots()[-5:]
        for root in newest:
            for slot in range(0, self.ref.blocks[root].slot + 1, 3):
                want = ref.get_ancestor(self.ref, root, slot)
                assert self.fc.ancestor(root, slot) == (want if want in self.fc else None)
            for other in newest:
                assert self.fc.is_descendant(other, root) == ref.is_ancestor(self.ref, root, other)

    @invariant()
    def tree_rooted_at_a_single_node(self) -> None:
        if not hasattr(self, "fc"):
            return
        roots = self.fc.roots()
        assert self.fc.ancestor(roots[-1], 0) in (roots[0], None)
        assert all(self.fc.is_descendant(roots[0], root) for root in roots)


# At least 150 examples; 1000 with HYPOTHESIS_PROFILE=thorough.
ForkChoiceMachine.TestCase.settings = settings(
    settings(), max_examples=max(150, settings().max_examples), stateful_step_count=50, deadline=None
)
TestForkChoiceAgainstReference = ForkChoiceMachine.TestCase
