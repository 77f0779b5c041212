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

pytestmark = pytest.mark.e2e


def _start(data: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
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
    for _ in range(4):
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
    assert last_epoch >= 1 and kept, "the chain never finalized a block with transactions"

    # After the crashes the node restarts and keeps finalizing; no signature was refused.
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--data-dir",
            str(data),
            "--validators",
            "16",
            "--slot-seconds",
            "0.1",
            "--slots",
            "40",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    refused = [int(n) for n in re.findall(r"refused (\d+)", r.stdout)]
    assert refused and refused[-1] == 0, "slashing protection refused an honest signature"
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
