"""Restarting a devnet never bricks its data directory: after a clean stop or a kill -9 at any slot position
of an epoch, with missed slots, after a long downtime, after a lost WAL; and it refuses to sign without its
slashing-protection history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.spec.presets import DEVNET

pytestmark = pytest.mark.e2e
SPE = DEVNET.SLOTS_PER_EPOCH
CHILD = Path(__file__).with_name("restart_child.py")


def _close(chain: object, client: object) -> None:
    client.protection.close()  # type: ignore[attr-defined]
    chain.store.close()  # type: ignore[attr-defined]


def test_restart__first_slot_of_the_finalized_epoch_missed__reopens_from_the_checkpoint(tmp_path: Path) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16)
    chain, client, _ = open_devnet(config)
    for slot in range(1, 6 * SPE + 3):
        if slot % SPE != 0:  # nobody proposes at the first slot of an epoch
            run_slot(chain, client, slot)
    finalized = chain.forkchoice.finalized_checkpoint
    head = chain.head_root
    assert finalized.epoch >= 3
    assert chain.blocks.get(finalized.root) is None or chain.states[finalized.root].slot < finalized.epoch * SPE
    _close(chain, client)

    chain, client, _ = open_devnet(config)  # was: "block ... does not descend from the finalized checkpoint"
    assert chain.forkchoice.finalized_checkpoint == finalized
    assert chain.head_root == head
    report = run_slot(chain, client, 6 * SPE + 3)
    assert report.proposed and client.refused == 0
    _close(chain, client)


def _child(data: Path, start: int, stop: int, how: str) -> list[list[str]]:
    r = subprocess.run(
        [sys.executable, str(CHILD), str(data), str(start), str(stop), how],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == (-9 if how == "kill" else 0), r.stderr
    lines = [line.split() for line in r.stdout.splitlines()]
    assert lines and lines[0][0] == "opened", r.stdout + r.stderr
    return lines


def test_restart__stopped_at_every_slot_position_with_missed_slots__clean_and_kill9__always_resumes(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(CHILD.parent))
    from restart_child import missed

    data = tmp_path / "dn"
    last, finalized = 0, 0
    positions: set[tuple[int, str]] = set()
    for position in range(SPE):
        for how in ("clean", "kill"):
            target = last + SPE + 1
            while target % SPE != position or missed(target):
                target += 1
            lines = _child(data, last + 1, target, how)
            opened_head, opened_finalized = int(lines[0][1]), int(lines[0][2])
            assert opened_finalized >= finalized, "finality went backwards across a restart"
            assert opened_head <= last
            slots = [line for line in lines if line[0] == "slot"]
            assert slots, lines
            slot, _head, fin, refused = map(int, slots[-1][1:])
            assert slot == target and refused == 0
            assert (lines[-1] == ["stopped"]) == (how == "clean")
            last, finalized = slot, fin
            positions.add((slot % SPE, how))
    assert positions == {(p, h) for p in range(SPE) for h in ("clean", "kill")}
    assert finalized >= last // SPE - 4, "the chain stopped finalizing across the restarts"
    lines = _child(data, last + 1, last + 2, "clean")  # and once more after the last kill
    assert int(lines[0][2]) >= finalized
