"""Checkpoint sync from a peer's API (issue #15): `stakework node --checkpoint-url http://HOST:PORT
--checkpoint-root 0x…` fetches the finalized state from `GET /eth/v2/debug/beacon/states/finalized`
(a binary snapshot), checks its block root against the one the user gives, backfills over p2p and follows."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.support.network import SPE, Line, NodeNetwork, free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time

_NONE = Line(-1, -1, -1, False, -1, "", -1, -1, 0.0, 0, 0, 0, 0)


def _finalized(api: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"{api}/eth/v1/beacon/states/head/finality_checkpoints", timeout=10) as r:
        data = json.load(r)["data"]["finalized"]
    return int(data["epoch"]), data["root"]


def _just_finalized(api: str, after: int) -> tuple[int, str]:
    """The finalized checkpoint right after it moves past epoch `after` (a whole epoch before it moves again)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        epoch, root = _finalized(api)
        if epoch > after:
            return epoch, root
        time.sleep(0.1)
    raise AssertionError(f"finality did not pass epoch {after}")


def test_checkpoint_url__right_root_syncs_and_follows__wrong_root_refused_naming_both(tmp_path: Path) -> None:
    net = NodeNetwork(tmp_path / "net", nodes=4, slot_seconds=1.0)
    port = free_ports(1)[0]
    api = f"http://127.0.0.1:{port}"
    net.start(0, "--http-port", str(port))
    for i in (1, 2):
        net.start(i)
    try:
        net.wait_for("finalized epoch 2", lambda: (net.last(0) or _NONE).finalized >= 2, 6 * SPE)
        request = urllib.request.Request(f"{api}/eth/v2/debug/beacon/states/finalized")
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("the JSON form was served")
        except urllib.error.HTTPError as exc:
            assert exc.code == 406 and "application/octet-stream" in exc.read().decode()

        wrong = "0x" + "ab" * 32
        net.start(3, "--checkpoint-url", api, "--checkpoint-root", wrong)
        assert net.procs[3].wait(60) == 2
        log = (net.data / "node-3" / "node.log").read_text()
        assert f"{api}'s finalized block is 0x" in log and f"not the --checkpoint-root {wrong}" in log, log[-2000:]
        assert "Traceback" not in log
        assert not (net.data / "node-3" / "chain.sqlite").exists()
        del net.procs[3]

        _, root = _just_finalized(api, _finalized(api)[0])
        net.start(3, "--checkpoint-url", api, "--checkpoint-root", root)
        net.wait_for("node-3's first slots", lambda: len(net.lines[3]) >= 3, 60)
        assert all(line.head >= line.slot - 1 for line in net.lines[3][-2:]), net.lines[3]
    finally:
        net.stop_all()
    said = "".join(net.extra.get(3, []))
    assert "finalized state of epoch" in said and f"from {api}" in said, said
    assert "backfilled down to genesis" in said, said
