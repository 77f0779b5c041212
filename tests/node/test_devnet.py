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

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time
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
    """Finality within a bounded number of slots (not of seconds: a loaded machine makes the wall-clock devnet skip
    slots, and finality then takes more of them); the first finalized epoch 2 comes at epoch 4 when no slot is
    missed."""
    data = tmp_path / "dn"
    proc = subprocess.Popen(
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
            "--slots",
            "400",  # the bound: it stops by itself after 400 slots
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    rows: list[tuple[int, ...]] = []
    for line in proc.stdout:
        m = LINE.search(line)
        if m:
            rows.append(tuple(map(int, m.groups())))
            if rows[-1][3] >= 2 and rows[-1][2] > rows[-1][3]:
                break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert rows, err
    slot, _, justified, finalized = rows[-1]
    assert finalized >= 2 and justified > finalized, f"no finality in {len(rows)} slots (last: slot {slot})"
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})  # one line per slot, in order
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
            "--no-http",
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


def test_equivocate__double_voters__detected_slashed_penalised_and_exited(tmp_path: Path) -> None:
    from stakework.node.slasher import Slasher
    from stakework.transition.state_transition import process_slots

    config = DevnetConfig(tmp_path, DEVNET, validators=32, equivocate=2)
    chain, client, _ = open_devnet(config)
    slasher = Slasher()
    offenders = (30, 31)
    spe = DEVNET.SLOTS_PER_EPOCH
    slashed_in: dict[int, bytes] = {}
    for slot in range(1, 4 * spe):
        run_slot(chain, client, slot, slasher=slasher)
        root = chain.head_root
        for i in offenders:
            if i not in slashed_in and chain.states[root].validators.slashed[i]:
                slashed_in[i] = root
    assert set(slashed_in) == set(offenders), "a double voter was not slashed"
    assert client.refused == 0  # the honest path never tried to sign a slashable message
    final = chain.head_state.validators
    assert int(final.slashed.sum()) == 2
    for i, root in slashed_in.items():
        block = chain.blocks[root].message
        assert block.body.attester_slashings, "slashed by something other than an attester slashing"
        pre = chain.states[block.parent_root].copy()
        process_slots(pre, block.slot)
        post = chain.states[root]
        penalty = 32 * 10**9 // DEVNET.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA  # Electra: EB / 4096
        assert int(pre.validators.balances[i]) - int(post.validators.balances[i]) == penalty
        assert int(final.exit_epoch[i]) != 2**64 - 1
        assert int(final.withdrawable_epoch[i]) >= post.current_epoch() + DEVNET.EPOCHS_PER_SLASHINGS_VECTOR


def test_run_slot__pooled_transaction_no_longer_valid__left_out_and_dropped(tmp_path: Path) -> None:
    from stakework.crypto.ed25519 import devnet_account_key
    from stakework.node.mempool import Mempool
    from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
    from stakework.transition.block.transaction import Exit, Transaction, Transfer, sign_transaction

    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
    genesis = chain.genesis
    pool = Mempool()
    k = devnet_account_key(0)
    # An exit before SHARD_COMMITTEE_PERIOD: the mempool cannot know the spec refuses it; the block must not care.
    early_exit = SignedVoluntaryExit(VoluntaryExit(0, 3), b"\xc0" + bytes(95))
    bad = sign_transaction(genesis, Transaction(k.public_key, 0, 1000, Exit(early_exit)), k)
    good = sign_transaction(
        genesis,
        Transaction(devnet_account_key(1).public_key, 0, 1000, Transfer(b"\x09" * 20, 10)),
        devnet_account_key(1),
    )
    pool.add(bad, genesis)
    pool.add(good, genesis)
    report = run_slot(chain, client, 1, pool)
    assert report.proposed and report.transactions == 1
    assert len(pool) == 0  # the good one was included, the bad one dropped
    assert chain.head_state.accounts.balance(b"\x09" * 20) == 10
