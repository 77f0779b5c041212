"""kill -9 the writer at random moments: the chain database always reopens consistent.

A writer process (`storage_crash_writer.py`) imports real signed blocks (attestations, one transfer each) and
prints every committed slot. The test SIGKILLs it at seeded random moments, reopens the database and checks it,
then starts the writer again, which must continue the chain where the database says it stopped."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage_crash_writer import genesis

from stakework.node.storage import ChainStore
from stakework.state.root import hash_state
from stakework.transition.state_transition import state_transition

WRITER = Path(__file__).resolve().parent / "storage_crash_writer.py"
KILLS = 8
RANGE_KILLS = 4
RANGE = 8
DEADLINE_S = 60


def _start(data: Path, stop_slot: int, pause_ms: int = 0, range_size: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(data), str(stop_slot), str(pause_ms), str(range_size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def _committed(lines: list[str]) -> list[tuple[int, int]]:
    """(slot, finalized epoch) of every `committed` line."""
    return [(int(parts[1]), int(parts[2])) for parts in (line.split() for line in lines) if parts[0] == "committed"]


def _read_until(proc: subprocess.Popen[str], count: int, deadline: float, *, then_begin: bool = False) -> list[str]:
    """Lines from the writer until `count` commits were reported (and, with `then_begin`, the next `begin`)."""
    assert proc.stdout is not None
    lines: list[str] = []
    while len(_committed(lines)) < count or (then_begin and not lines[-1].startswith("begin")):
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "the writer reported nothing before the deadline"
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    return lines


def _kill_after(
    proc: subprocess.Popen[str], commits: int, deadline: float, *, then_begin: bool, wait_s: float
) -> list[str]:
    """Read until `commits` commits (and the next `begin`, with `then_begin`), wait `wait_s`, SIGKILL the writer;
    every line it printed."""
    try:
        lines = _read_until(proc, commits, deadline, then_begin=then_begin)
        time.sleep(wait_s)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return lines + out.splitlines()


def _check(data: Path, reported: list[tuple[int, int]], floor: int) -> tuple[int, int]:
    """Reopen after a crash and check everything; returns (head slot, finalized epoch)."""
    with ChainStore.open_readonly(data) as reader:  # first, as `stakework status` would, before any writer
        seen = reader.head(), reader.finalized_checkpoint()
    with ChainStore(data, genesis=genesis()) as store:  # opens: header, quick_check, schema, same chain
        assert store.integrity_check() == []
        finalized = store.finalized_checkpoint()
        assert finalized.epoch >= floor, "the finalized checkpoint went backwards"
        assert finalized.epoch >= max((f for _, f in reported), default=0)
        head = store.head()
        assert seen == (head, finalized)
        chain = store.blocks_by_range(0, head.slot + 1)
        slots = [b.message.slot for b in chain]
        assert slots == list(range(1, head.slot + 1))  # one unbroken chain from genesis to the head
        assert {s for s, _ in reported} <= set(slots), "a block reported committed is missing"
        # every transaction of every block (so of every finalized block) is found where it was included
        for block in chain:
            root = block.message.hash_tree_root()
            for i, tx in enumerate(block.message.body.transactions):
                assert any(loc.block_root == root and loc.index == i for loc in store.transaction_locations(tx.hash()))
        # replaying the stored blocks from the newest snapshot reproduces every stored post-state root
        loaded = store.load_latest()
        assert loaded.finalized == finalized and loaded.head == head
        state = loaded.anchor_state
        assert loaded.anchor_root in {b.message.hash_tree_root() for b in chain} | {store.identity.genesis_root}
        for block in loaded.blocks:
            state_transition(state, block)
            assert hash_state(state) == store.post_state_root(block.message.hash_tree_root())
        assert loaded.blocks[-1].message.hash_tree_root() == head.root if loaded.blocks else True
        return head.slot, finalized.epoch


def test_kill_9_at_random_moments__database_consistent__writer_resumes(tmp_path: Path) -> None:
    """KILLS kills: even ones at a random moment (building a block, committing, snapshotting), odd ones right
    after the writer announced an import, while it pauses inside the open transaction before COMMIT."""
    data = tmp_path / "node"
    rng = random.Random(20261125)
    deadline = time.monotonic() + DEADLINE_S
    head_slot, finalized_floor = 0, 0
    snapshots_seen = in_transaction = 0
    for kill in range(KILLS):
        inside = kill % 2 == 1
        proc = _start(data, stop_slot=10_000, pause_ms=40 if inside else 0)
        wait_s = 0.0 if inside else rng.uniform(0.0, 0.12)
        lines = _kill_after(proc, rng.randint(2, 12), deadline, then_begin=inside, wait_s=wait_s)
        reported = _committed(lines)
        assert reported, lines
        assert reported[0][0] == head_slot + 1, "the writer did not resume at the stored head"
        snapshots_seen += sum(line.startswith("snapshot") for line in lines)
        last_begun = max(int(line.split()[1]) for line in lines if line.startswith("begin"))
        head_slot, finalized_floor = _check(data, reported, finalized_floor)
        assert reported[-1][0] <= head_slot <= last_begun  # the import in flight is there entirely or not at all
        in_transaction += inside and last_begun > reported[-1][0]
    assert finalized_floor >= 2 and snapshots_seen >= 1  # finality advanced and snapshots were taken across kills
    assert in_transaction >= 1  # at least one kill landed inside an open write transaction
    # after the last kill, the writer runs to completion: the chain continues and keeps finalizing
    proc = _start(data, stop_slot=head_slot + 16)
    out, err = proc.communicate(timeout=max(5.0, deadline - time.monotonic() + 30))
    assert proc.returncode == 0, err
    reported = _committed(out.splitlines())
    assert [s for s, _ in reported] == list(range(head_slot + 1, head_slot + 17))
    final_head, final_finalized = _check(data, reported, finalized_floor)
    assert final_head == head_slot + 16 and final_finalized > finalized_floor


def test_kill_9_during_synced_ranges__a_range_is_stored_entirely_or_not_at_all(tmp_path: Path) -> None:
    """Sync writes a range of blocks and the snapshot due as one transaction (`Chain._one_write`). Kills inside
    that transaction (the writer pauses in each of the range's 8 imports) and at random moments: each reopen finds
    the head at the end of a range, never inside one, and the chain consistent; the writer then resumes there."""
    data = tmp_path / "node"
    rng = random.Random(20261207)
    deadline = time.monotonic() + DEADLINE_S
    head_slot, finalized_floor, rolled_back = 0, 0, 0
    for kill in range(RANGE_KILLS):
        inside = kill % 2 == 0
        proc = _start(data, stop_slot=10_000, pause_ms=40 if inside else 0, range_size=RANGE)
        wait_s = rng.uniform(0.03, 0.1) if inside else rng.uniform(0.0, 0.2)  # inside: a few imports in
        lines = _kill_after(proc, RANGE * rng.randint(1, 3), deadline, then_begin=inside, wait_s=wait_s)
        reported = _committed(lines)
        assert reported and reported[0][0] == head_slot + 1, lines
        last_begun = max(int(line.split()[1]) for line in lines if line.startswith("begin"))
        head_slot, finalized_floor = _check(data, reported, finalized_floor)
        assert head_slot in (reported[-1][0], last_begun), "the head stopped inside a range"
        assert (head_slot - reported[0][0] + 1) % RANGE == 0 or head_slot == last_begun
        rolled_back += head_slot < last_begun
    assert rolled_back >= 1  # at least one kill landed inside an open range transaction and rolled it back
    proc = _start(data, stop_slot=head_slot + RANGE, range_size=RANGE)
    out, err = proc.communicate(timeout=max(5.0, deadline - time.monotonic() + 30))
    assert proc.returncode == 0, err
    assert [s for s, _ in _committed(out.splitlines())] == list(range(head_slot + 1, head_slot + RANGE + 1))
    _check(data, _committed(out.splitlines()), finalized_floor)


def test_read_only_open__while_the_writer_runs__sees_a_growing_consistent_chain(tmp_path: Path) -> None:
    data = tmp_path / "node"
    proc = _start(data, stop_slot=24)
    try:
        _read_until(proc, 1, time.monotonic() + 30)  # the database exists
        last_slot, reads = 0, 0
        while proc.poll() is None:
            with ChainStore.open_readonly(data) as reader:
                head = reader.head()
                assert head.slot >= last_slot
                assert reader.get_block(head.root) is not None
                assert [b.message.slot for b in reader.blocks_by_range(0, head.slot + 1)] == list(
                    range(1, head.slot + 1)
                )
                loaded = reader.load_latest()
                assert loaded.blocks[-1].message.slot >= head.slot
                last_slot, reads = head.slot, reads + 1
            time.sleep(0.02)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    finally:
        proc.kill()
        proc.wait()
    assert reads >= 3 and last_slot >= 1
    with ChainStore.open_readonly(data) as reader:
        assert reader.head().slot == 24
