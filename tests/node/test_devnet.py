"""The devnet as a user starts it: a subprocess running real slots on the clock."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.spec.presets import DEVNET

pytestmark = pytest.mark.e2e
LINE = re.compile(r"slot\s+(\d+) epoch\s+(\d+).*justified\s+(\d+)\s+finalized\s+(\d+)")


def test_run_slot__everyone_online__finalizes_two_epochs_behind(tmp_path: Path) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=32))
    spe = DEVNET.SLOTS_PER_EPOCH
    for slot in range(1, 8 * spe + 1):
        report = run_slot(chain, client, slot)
        assert report.proposed
    assert report.epoch == 8
    assert report.justified_epoch == 7 and report.finalized_epoch == 6
    assert client.refused == 0


def test_devnet_command__runs_slots__finality_advances_and_keys_are_encrypted(tmp_path: Path) -> None:
    data = tmp_path / "dn"
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
            "48",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    rows = [tuple(map(int, m.groups())) for m in LINE.finditer(r.stdout)]
    assert len(rows) == 48
    _, epoch, justified, finalized = rows[-1]
    assert finalized >= epoch - 3 and finalized >= 2 and justified > finalized
    keystores = list((data / "keys").glob("keystore-*.json"))
    assert len(keystores) == 16
    assert (data / "keys.password").stat().st_mode & 0o077 == 0
    from stakework.crypto.bls import devnet_secret_key

    texts = "".join(k.read_text() for k in keystores)
    assert '"kdf"' in texts
    assert all(devnet_secret_key(i).to_bytes().hex() not in texts for i in range(16))  # only ciphertext on disk


def test_devnet_command__ctrl_c__stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--data-dir",
            str(tmp_path / "dn"),
            "--validators",
            "8",
            "--slot-seconds",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    seen = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if line.startswith("slot"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
