"""The writer process of the storage crash tests (not a test module).

`python storage_crash_writer.py DATA_DIR STOP_SLOT [PAUSE_MS]` resumes the chain stored in DATA_DIR (creating it
from `genesis()` the first time), replays the stored blocks from the newest snapshot, then builds and imports
real signed blocks (every validator attesting, a transfer from each of four accounts) up to STOP_SLOT. It prints
`begin <slot>` before each import, `committed <slot> <finalized epoch>` once it is committed and `snapshot
<epoch>` after each snapshot. With PAUSE_MS, each import sleeps up to that long inside its transaction, after
the block, its transactions and the head are written and before COMMIT, so that a kill right after `begin`
lands there. With RANGE > 1 (`... STOP_SLOT PAUSE_MS RANGE`), blocks are written as a synced range is: RANGE
imports and the snapshot due in one `store.batch` transaction (`Chain._one_write`); `begin <last slot>` is
printed before it and the range's `committed` lines after its COMMIT. A test kills it with SIGKILL.
"""

from __future__ import annotations

import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import msgspec

from stakework.crypto.ed25519 import devnet_account_key
from stakework.node.storage import ChainStore, StorageError
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer, sign_transaction
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition

SWK = 10**9
ACCOUNTS = 4


def genesis() -> BeaconState:
    """The crash tests' chain: 64 validators on the minimal preset, four funded accounts."""
    state = devnet_genesis(MINIMAL, 64)
    for i in range(ACCOUNTS):
        state.accounts.credit(devnet_account_key(i).address, 1000 * SWK)
    return state


def transfer_for(state: BeaconState, slot: int) -> SignedTransaction:
    """A transfer from account `slot % 4` to the next one, at the sender's next nonce in `state` (the parent's
    post-state)."""
    k = devnet_account_key(slot % ACCOUNTS)
    to = devnet_account_key((slot + 1) % ACCOUNTS).address
    return sign_transaction(
        state, Transaction(k.public_key, state.accounts.nonce(k.address), 1000, Transfer(to, SWK)), k
    )


def replay(store: ChainStore) -> tuple[dict[bytes, BeaconState], bytes]:
    """Rebuild every post-state from the newest snapshot; each must match the stored post-state root."""
    stored = store.load_latest()
    states = {stored.anchor_root: stored.anchor_state}
    for block in stored.blocks:
        state = states[block.message.parent_root].copy()
        state_transition(state, block)
        root = block.message.hash_tree_root()
        if hash_state(state) != store.post_state_root(root):
            raise SystemExit(f"replayed post-state of slot {block.message.slot} differs from the stored root")
        states[root] = state
    return states, stored.head.root


class PausingStore(ChainStore):
    """Sleeps inside each write transaction, after the updates and before COMMIT."""

    pause_s = 0.0

    def _update(self, *args: Any, **kwargs: Any) -> None:
        super()._update(*args, **kwargs)
        time.sleep(random.uniform(self.pause_s / 2, self.pause_s))


def main(data_dir: str, stop_slot: int, pause_ms: int = 0, range_size: int = 1) -> None:
    from support.chain import attestations_for_slot, build_block

    store = PausingStore(data_dir, genesis=genesis())
    store.pause_s = pause_ms / 1000
    states, head_root = replay(store)
    state = states[head_root]
    snapshot_epoch = store.snapshots()[0][2]
    atts = attestations_for_slot(state, head_root) if state.slot > 0 else []
    slot = state.slot
    while slot < stop_slot:
        pending = []  # (block, post-state) of the range, each built on the previous
        first, last = slot + 1, min(slot + range_size, stop_slot)
        for slot in range(first, last + 1):
            txs = [transfer_for(state, slot + k) for k in range(ACCOUNTS)]  # one from each account
            block = build_block(state, slot, attestations=atts, transactions=txs)
            post = state.copy()
            state_transition(post, block)
            root = block.message.hash_tree_root()
            pending.append((block, post))
            states[root] = state = post
            atts = attestations_for_slot(state, root)
        print(f"begin {slot}", flush=True)
        snapshot = None
        with store.batch("import a range of blocks") if range_size > 1 else nullcontext():
            for block, post in pending:
                store.import_block(
                    block,
                    hash_state(post),
                    head=block.message.hash_tree_root(),
                    justified=post.current_justified_checkpoint,
                    finalized=post.finalized_checkpoint,
                    forkchoice_blob=msgspec.msgpack.encode({"head": block.message.hash_tree_root(), "slot": slot}),
                )
                if range_size == 1:
                    print(f"committed {block.message.slot} {post.finalized_checkpoint.epoch}", flush=True)
            finalized = state.finalized_checkpoint
            if finalized.epoch > snapshot_epoch and finalized.root in states:
                store.save_finalized_state(states[finalized.root], finalized)
                snapshot = snapshot_epoch = finalized.epoch
        if range_size > 1:
            for block, post in pending:
                print(f"committed {block.message.slot} {post.finalized_checkpoint.epoch}", flush=True)
        if snapshot is not None:
            print(f"snapshot {snapshot}", flush=True)
        for old in [r for r, s in states.items() if s.slot + 4 * MINIMAL.SLOTS_PER_EPOCH < slot]:
            del states[old]
    store.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for support.*
    try:
        main(sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:5]))
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
