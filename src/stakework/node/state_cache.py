"""The chain's post-states by block root, only a few of them in memory (issue #16: a node under 3 GiB).

A node needs the post-state of every block between the finalized checkpoint and the head (a new block may build
on any of them, a vote may name any of them), which is 64 to 96 states with finality every epoch; at a million
validators a state copy is ~210 MiB (`benchmarks/bench_node_memory.py`), ~20 GiB in all. Clients keep a few
states and rebuild the rest from the blocks (Lighthouse's state cache and hot database, Teku's state
regeneration). `StateCache` does the same: it is a mapping of *every* known block root to its post-state, but it
holds in memory only

- the states of blocks that open an epoch on their branch (their parent is in an earlier epoch, or unknown: the
  anchor): the checkpoint states, from which any other state is at most an epoch of blocks away;
- the `recent` states most recently added or read (the head, its parent, the states votes name);

and rebuilds any other on demand: the nearest held ancestor's copy, then the blocks from there replayed
(`state_transition` without signatures: they were checked when the blocks were imported; the state root each
block commits to still is). A rebuilt state is then one of the recent ones.

A rebuild costs up to an epoch of block replays (10-30 ms each at a million validators), so what a peer or an API
client can name must not choose it freely: `holds` and `replays` say whether a read is free and what it would cost
before it is made, `peek` reads only what is held, and `build` rebuilds without holding the result (an API read of
an old state then does not evict the head or its parent). `replayed` counts the blocks replayed. Who may pay for
what is the callers' rule (docs/node.md, "Old states on request").

Roots leave with `del` (pruning below finality). The earliest known state must stay reachable: a block whose
parent was removed becomes a tree root and is held (rebuilt, before its ancestors' states and blocks are let go,
at the next read or write).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping

from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import SignedBeaconBlock
from stakework.transition.state_transition import state_transition


class StateCacheError(StakeworkError):
    """A state the cache must rebuild cannot be (a bug: the blocks from a held ancestor are always kept)."""


RECENT_STATES = 2
"""States held besides the epoch openers: the head and its parent (a block built on the head's parent, the usual
short fork, needs no rebuild). At 1M validators / 1M accounts each costs ~210 MiB: the node's peak was 2.94 GiB
with 2 and 3.43 GiB with 4 (`benchmarks/bench_node_memory.py`, docs/performance.md)."""


class StateCache(MutableMapping[bytes, BeaconState]):
    """Post-states by block root, most rebuilt on demand (see the module docstring). `blocks`: the chain's
    blocks by root (read when a state is rebuilt)."""

    def __init__(
        self,
        blocks: Mapping[bytes, SignedBeaconBlock],
        states: Mapping[bytes, BeaconState] | None = None,
        *,
        recent: int = RECENT_STATES,
    ) -> None:
        if recent < 1:
            raise ValueError(f"a state cache holds at least one recent state, not {recent}")
        self._blocks = blocks
        self.recent_limit = recent
        self._parent: dict[bytes, bytes | None] = {}
        """Every known root (in the order added) -> its parent root (None: a tree root, always held)."""
        self._slot: dict[bytes, int] = {}
        self._held: dict[bytes, BeaconState] = {}
        self._pinned: set[bytes] = set()
        self._recent: OrderedDict[bytes, None] = OrderedDict()
        self._block_of: dict[bytes, SignedBeaconBlock] = {}
        """Blocks of the states let go (kept here: a pruned block's state may still be needed once, to rebuild
        the new tree root below it)."""
        self._dropped: dict[bytes, bytes | None] = {}
        """Roots removed, with their parents, until the next access settles the new tree roots."""
        self._dropped_held: dict[bytes, BeaconState] = {}
        self._slots_per_epoch = 32
        self._lock = threading.RLock()
        """Reads rebuild and reorder (API handlers read states outside the node's lock)."""
        self.rebuilt = 0
        """States rebuilt from blocks so far."""
        self.replayed = 0
        """Blocks replayed to rebuild states so far (the cost of the rebuilds)."""
        for root, state in (states or {}).items():
            self[root] = state

    # -- the mapping ---------------------------------------------------------------------------------------
    def __contains__(self, root: object) -> bool:
        return root in self._parent

    def __iter__(self) -> Iterator[bytes]:
        with self._lock:
            return iter(list(self._parent))

    def __len__(self) -> int:
        return len(self._parent)

    def __getitem__(self, root: bytes) -> BeaconState:
        with self._lock:
            return self._get(root)

    def _get(self, root: bytes) -> BeaconState:
        if root not in self._parent:
            raise KeyError(root)
        self._settle()
        state = self._held.get(root)
        if state is None:
            state = self._rebuild(root)
            self._hold(root, state)
        elif root in self._recent:
            self._recent.move_to_end(root)
        return state

    # -- reads that choose their cost ----------------------------------------------------------------------
    def holds(self, root: bytes) -> bool:
        """Whether the state of `root` is in memory (reading it costs nothing); False for an unknown root."""
        with self._lock:
            self._settle()
            return root in self._held

    def peek(self, root: bytes) -> BeaconState | None:
        """The state of `root` if it is in memory, else None (never rebuilds; the recent order is not changed)."""
        with self._lock:
            self._settle()
            return self._held.get(root)

    def replays(self, root: bytes) -> int:
        """How many blocks reading the state of `root` would replay (0: held). KeyError for an unknown root."""
        with self._lock:
            if root not in self._parent:
                raise KeyError(root)
            self._settle()
            return len(self._path_to_held(root)[0])

    def build(self, root: bytes) -> BeaconState:
        """The state of `root`, rebuilt if not held but not kept: the held states stay as they are (for a reader
        that is not the chain, e.g. the API, whose old-state reads must not evict the head). KeyError if unknown."""
        with self._lock:
            if root not in self._parent:
                raise KeyError(root)
            self._settle()
            state = self._held.get(root)
            return state if state is not None else self._rebuild(root)

    def __setitem__(self, root: bytes, state: BeaconState) -> None:
        with self._lock:
            self._set(root, state)

    def _set(self, root: bytes, state: BeaconState) -> None:
        self._settle()
        parent: bytes | None = state.latest_block_header.parent_root
        if parent not in self._parent or root == parent:
            parent = None
        self._forget(root)
        self._slots_per_epoch = state.preset.SLOTS_PER_EPOCH
        self._parent[root] = parent
        self._slot[root] = state.slot
        self._hold(root, state)

    def __delitem__(self, root: bytes) -> None:
        with self._lock:
            self._delete(root)

    def _delete(self, root: bytes) -> None:
        if root not in self._parent:
            raise KeyError(root)
        self._dropped[root] = self._parent[root]
        block = self._blocks.get(root)
        if block is not None:  # (the chain forgets it next: it may be needed once more, see _settle)
            self._block_of[root] = block
        held = self._held.get(root)
        if held is not None:
            self._dropped_held[root] = held
        self._forget(root)

    # -- what is held --------------------------------------------------------------------------------------
    @property
    def held(self) -> int:
        """How many states are in memory (the rest are rebuilt when read)."""
        return len(self._held)

    def held_states(self) -> list[BeaconState]:
        """The states in memory (for memory accounting: reading every root would rebuild them all)."""
        with self._lock:
            return list(self._held.values())

    def _forget(self, root: bytes) -> None:
        self._parent.pop(root, None)
        self._slot.pop(root, None)
        self._held.pop(root, None)
        self._pinned.discard(root)
        self._recent.pop(root, None)

    def _opens_epoch(self, root: bytes) -> bool:
        parent = self._parent[root]
        if parent is None:
            return True
        spe = self._slots_per_epoch
        return self._slot[parent] // spe < self._slot[root] // spe

    def _hold(self, root: bytes, state: BeaconState) -> None:
        self._held[root] = state
        if self._opens_epoch(root):
            self._pinned.add(root)
            return
        self._recent[root] = None
        self._recent.move_to_end(root)
        while len(self._recent) > self.recent_limit:
            old, _ = self._recent.popitem(last=False)
            if old == root:  # (never: the newest is at the end)
                continue
            block = self._blocks.get(old)
            if block is not None:
                self._block_of[old] = block
            del self._held[old]

    # -- rebuilding ----------------------------------------------------------------------------------------
    def _parent_of(self, root: bytes) -> bytes | None:
        if root in self._parent:
            return self._parent[root]
        return self._dropped.get(root)

    def _state_of(self, root: bytes) -> BeaconState | None:
        return self._held.get(root) or self._dropped_held.get(root)

    def _block(self, root: bytes) -> SignedBeaconBlock:
        block = self._blocks.get(root) or self._block_of.get(root)
        if block is None:
            raise StateCacheError(f"state cache: the block {root.hex()[:16]} whose state must be rebuilt is not held")
        return block

    def _path_to_held(self, root: bytes) -> tuple[list[bytes], bytes]:
        """The roots from `root` back to (not including) its nearest ancestor whose state is at hand, and that
        ancestor."""
        path = []
        at: bytes | None = root
        while at is not None and self._state_of(at) is None:
            path.append(at)
            at = self._parent_of(at)
        if at is None:  # (never: a tree root is always held)
            raise StateCacheError(f"state cache: no held ancestor of {root.hex()[:16]} to rebuild its state from")
        return path, at

    def _rebuild(self, root: bytes) -> BeaconState:
        """The post-state of `root`: the nearest held ancestor's, the blocks after it replayed."""
        path, at = self._path_to_held(root)
        base = self._state_of(at)
        assert base is not None
        self.rebuilt += 1
        self.replayed += len(path)
        state = base.copy()
        before = at
        for r in reversed(path):
            signed = self._block(r)
            known = self._blocks.get(before) or self._block_of.get(before)
            pre_root = known.message.state_root if known is not None else None  # (None: hashed here)
            state_transition(state, signed, verify_signatures=False, pre_state_root=pre_root)
            before = r
        return state

    def _settle(self) -> None:
        """After removals: hold every new tree root's state (rebuilt while its ancestors are still at hand), then
        let the removed roots' states and blocks go."""
        if not self._dropped:
            return
        orphans = [r for r, parent in self._parent.items() if parent is not None and parent not in self._parent]
        for root in orphans:
            state = self._state_of(root) or self._rebuild(root)
            self._parent[root] = None
            self._recent.pop(root, None)
            self._held[root] = state
            self._pinned.add(root)
        for root in self._dropped:
            self._block_of.pop(root, None)
        self._dropped.clear()
        self._dropped_held.clear()
        for root in [r for r in self._block_of if r not in self._parent]:
            del self._block_of[root]
