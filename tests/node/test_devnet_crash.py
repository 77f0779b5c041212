"""kill -9 the devnet at random moments under transaction load; it must restart consistent: the database
opens, finality never goes backwards, every transaction of a finalized block stays, and the chain goes on.
Slashing protection must hold across the crashes (no signature is ever refused for an honest node, and none
conflicting is made)."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stakework.node.storage import ChainStore

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time


def _start(data: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--no-http",
            "--data-dir",
            str(data),
            "--validators",
            "16",
            "--slot-seconds",
            "0.1",
            "--load",
            "150",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finalized_transactions(store: ChainStore) -> tuple[int, set[bytes]]:
    """The finalized epoch and the hashes of every transaction in the finalized chain (walked from the
    finalized block back through the stored ancestors)."""
    finalized = store.finalized_checkpoint()
    hashes: set[bytes] = set()
    root = finalized.root
    while True:
        block = store.get_block(root)
        if block is None:
            break
        hashes.update(tx.hash() for tx in block.message.body.transactions)
        root = block.message.parent_root
    return finalized.epoch, hashes


def test_devnet__killed_at_random_moments_under_load__restarts_consistent(tmp_path: Path) -> None:
    rng = random.Random(1234)
    data = tmp_path / "dn"
    last_epoch = -1
    kept: set[bytes] = set()
    rounds = 0
    # At least 4 crashes, and more (up to 12) until a finalized block with transactions has survived one: a loaded
    # machine makes the wall-clock devnet skip slots, and finality then takes more of them.
    while rounds < 4 or (rounds < 12 and not (last_epoch >= 1 and kept)):
        rounds += 1
        proc = _start(data)
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        lines = 0
        kill_after = rng.randint(12, 40)  # slots
        while time.monotonic() < deadline and lines < kill_after:
            line = proc.stdout.readline()
            if not line:
                break
            lines += line.startswith("slot")
        time.sleep(rng.random() * 0.1)  # land anywhere inside a slot
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert lines > 0, proc.stderr.read() if proc.stderr else ""

        store = ChainStore.open_readonly(data)
        try:
            assert store.integrity_check() == []
            epoch, hashes = _finalized_transactions(store)
            for tx_hash in kept:
                assert store.transaction_location(tx_hash) is not None, "a finalized transaction was lost"
        finally:
            store.close()
        assert epoch >= last_epoch, "finality went backwards"
        last_epoch = epoch
        kept |= hashes
    assert last_epoch >= 1 and kept, f"the chain never finalized a block with transactions in {rounds} runs"

    # After the crashes the node restarts and keeps finalizing (within a bounded number of slots); no signature
    # was refused.
    proc = _start(data, "--slots", "400")
    assert proc.stdout is not None
    finalized, refused = last_epoch, []
    for line in proc.stdout:
        m = re.search(r"finalized\s+(\d+).*refused (\d+)", line)
        if m:
            finalized, refused = int(m.group(1)), [*refused, int(m.group(2))]
            if finalized > last_epoch:
                break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert refused and refused[-1] == 0, "slashing protection refused an honest signature"
    assert finalized > last_epoch, f"finality did not advance in {len(refused)} slots after the restarts"
    status = subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", "status", "--data-dir", str(data), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    final = json.loads(status.stdout)
    assert final["finalized_epoch"] > last_epoch
    assert final["validators"]["active"] == 16 and final["head_slot"] > 0
    assert final["modules"]["pool"]["pools"] == 0 and final["modules"]["liquid"]["total_assets"] == 0
