"""The chain database against a plain model: random sequences of imports (a block tree with forks, orphans),
head moves, checkpoint updates, snapshots and reopenings; after every step the store answers what the model
says."""

from __future__ import annotations

import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from storage_crash_writer import genesis, transfer_for

from stakework.node.storage import KEEP_SNAPSHOTS, ChainStore, StorageError
from stakework.node.storage.db import anchor_root
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.block.block import SignedBeaconBlock
from stakework.transition.state_transition import state_transition
from support.chain import build_block


@dataclass(frozen=True)
class Node:
    block: SignedBeaconBlock
    state: BeaconState
    root: bytes
    parent: bytes
    slot: int


@functools.cache
def tree() -> tuple[BeaconState, bytes, tuple[Node, ...]]:
    """Genesis, its root, and a block tree: a main chain of 10 slots, a fork off slot 3 (slots 5, 6) and a fork
    off genesis (slot 2, repeating block 1's transfer)."""
    g = genesis()
    g_root = anchor_root(g)
    nodes: list[Node] = []

    def extend(state: BeaconState, parent: bytes, slot: int) -> tuple[BeaconState, bytes]:
        block = build_block(state, slot, transactions=[transfer_for(state, slot if slot != 2 else 1)])
        post = state.copy()
        state_transition(post, block)
        root = block.message.hash_tree_root()
        nodes.append(Node(block, post, root, parent, slot))
        return post, root

    state, root = g, g_root
    for slot in range(1, 11):
        state, root = extend(state, root, slot)
        if slot == 3:
            fork_state, fork_root = extend(state, root, 5)
            extend(fork_state, fork_root, 6)
    extend(g, g_root, 2)
    return g, g_root, tuple(nodes)


roots = st.integers(0, 12)


class StoreModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.genesis, self.g_root, self.nodes = tree()
        self.by_root = {n.root: n for n in self.nodes}
        self.dir = Path(tempfile.mkdtemp(prefix="storage-model-"))
        self.store = ChainStore(self.dir, genesis=self.genesis)
        self.stored: set[bytes] = set()
        self.head = (self.g_root, 0)
        self.finalized = Checkpoint(0, self.g_root)
        self.justified = Checkpoint(0, self.g_root)
        self.snapshots: dict[bytes, tuple[int, int]] = {self.g_root: (0, 0)}  # root -> (slot, epoch)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize()
    def start(self) -> None:
        pass

    def _known(self, root: bytes) -> bool:
        return root == self.g_root or root in self.stored

    @rule(i=roots, set_head=st.booleans())
    def import_block(self, i: int, set_head: bool) -> None:
        node = self.nodes[i]
        head = node.root if set_head else None
        if not self._known(node.parent):
            with pytest.raises(StorageError, match="parent"):
                self.store.import_block(node.block, hash_state(node.state), head=head)
            return
        self.store.import_block(node.block, hash_state(node.state), head=head)
        self.stored.add(node.root)
        if set_head:
            self.head = (node.root, node.slot)

    @rule(i=roots)
    def move_head(self, i: int) -> None:
        node = self.nodes[i]
        if not self._known(node.root):
            with pytest.raises(StorageError, match="not a stored block"):
                self.store.update_checkpoints(head=node.root)
            return
        self.store.update_checkpoints(head=node.root)
        self.head = (node.root, node.slot)

    @rule(kind=st.sampled_from(["justified", "finalized"]), epoch=st.integers(0, 4), i=roots)
    def checkpoint(self, kind: str, epoch: int, i: int) -> None:
        new = Checkpoint(epoch, self.nodes[i].root)
        old: Checkpoint = getattr(self, kind)
        justified, finalized = (new, None) if kind == "justified" else (None, new)
        if epoch == old.epoch and new.root != old.root:
            with pytest.raises(StorageError, match="conflicting"):
                self.store.update_checkpoints(justified=justified, finalized=finalized)
            return
        self.store.update_checkpoints(justified=justified, finalized=finalized)
        if epoch > old.epoch:
            setattr(self, kind, new)

    @rule(data=st.data(), set_head=st.booleans())
    def import_a_child(self, data: st.DataObject, set_head: bool) -> None:
        """Import a block whose parent is stored (random `import_block` mostly draws orphans early on)."""
        ready = [i for i, n in enumerate(self.nodes) if n.root not in self.stored and self._known(n.parent)]
        if ready:
            self.import_block(data.draw(st.sampled_from(ready)), set_head)

    @rule(data=st.data())
    def snapshot(self, data: st.DataObject) -> None:
        if not self.stored:
            return
        node = self.by_root[data.draw(st.sampled_from(sorted(self.stored)))]
        self.store.save_finalized_state(node.state)
        self.snapshots[node.root] = (node.state.slot, int(node.state.current_epoch()))
        kept = sorted(self.snapshots, key=lambda r: (-self.snapshots[r][0], -self.snapshots[r][1], r))
        self.snapshots = {r: self.snapshots[r] for r in kept[:KEEP_SNAPSHOTS]}

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = ChainStore(self.dir, genesis=self.genesis)

    @invariant()
    def answers_like_the_model(self) -> None:
        store = self.store
        assert store.block_count() == len(self.stored)
        assert (store.head().root, store.head().slot) == self.head
        assert store.finalized_checkpoint() == self.finalized
        assert store.justified_checkpoint() == self.justified
        # the head's chain
        chain, root = [], self.head[0]
        while root in self.stored:
            chain.append(self.by_root[root].block)
            root = self.by_root[root].parent
        assert store.blocks_by_range(0, 20) == chain[::-1]
        # the snapshots and what a restart replays
        assert [(r, s, e) for r, s, e in store.snapshots()] == [
            (r, *self.snapshots[r])
            for r in sorted(self.snapshots, key=lambda r: (-self.snapshots[r][0], -self.snapshots[r][1], r))
        ]
        loaded = store.load_latest()
        anchor = store.snapshots()[0][0]
        assert loaded.anchor_root == anchor
        start = 0 if anchor == self.g_root else self.by_root[anchor].slot
        descendants, expected = {anchor}, []
        for node in sorted((self.by_root[r] for r in self.stored), key=lambda n: (n.slot, n.root)):
            if node.slot > start and node.parent in descendants:
                descendants.add(node.root)
                expected.append(node.block)
        assert loaded.blocks == expected
        # every stored block's transactions
        for r in self.stored:
            tx = self.by_root[r].block.message.body.transactions[0].hash()
            assert any(loc.block_root == r and loc.index == 0 for loc in store.transaction_locations(tx))


TestStoreModel = StoreModel.TestCase
TestStoreModel.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
