"""Restarting a devnet never bricks its data directory: after a clean stop or a kill -9 at any slot position
of an epoch, with missed slots, after a long downtime, after a lost WAL; and it refuses to sign without its
slashing-protection history."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stakework.node.chain import Chain
from stakework.node.devnet import (
    DevnetConfig,
    DevnetError,
    ResumeReport,
    SlotReport,
    open_devnet,
    run_devnet,
    run_slot,
)
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
    assert r.returncode == (-9 if how.startswith("kill") else 0), r.stderr
    lines = [line.split() for line in r.stdout.splitlines() if not line.startswith(("resume", "warning"))]
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


class _WallClock:
    """A scripted wall clock: half-way through wall slot `slot` (counted from the devnet's genesis_time, shifts
    not included), one slot later at each call. `jump(n)` skips n slots (the devnet being away)."""

    def __init__(self, data: Path, seconds: float, slot: int) -> None:
        self.data, self.seconds, self.slot = data, seconds, slot - 1

    def __call__(self) -> float:
        self.slot += 1
        genesis_time = json.loads((self.data / "devnet.json").read_text())["genesis_time"]
        return float(genesis_time + (self.slot + 0.5) * self.seconds)

    def jump(self, slots: int) -> None:
        self.slot += slots


def _run(config: DevnetConfig, clock: _WallClock, slots: int) -> tuple[list[SlotReport], list[ResumeReport], list[int]]:
    """run_devnet for `slots` slots on `clock`: the slot reports, the resume reports and the head balances
    (base units) when it opened."""
    reports: list[SlotReport] = []
    resumes: list[ResumeReport] = []
    balances: list[int] = []

    def on_open(chain: Chain, *_: object) -> None:
        balances.extend(int(b) for b in chain.head_state.validators.balances)

    run_devnet(
        config,
        on_slot=reports.append,
        stop=threading.Event(),
        max_slots=slots,
        clock=clock,
        on_open=on_open,
        on_resume=resumes.append,
    )
    return reports, resumes, balances


def test_restart__away_100_epochs__devnet_clock_shifted_and_validators_lose_nothing(tmp_path: Path) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    clock = _WallClock(tmp_path, 1.0, 1)
    first, resumes, _ = _run(config, clock, 3 * SPE)
    assert resumes == [] and first[-1].slot == 3 * SPE
    clock.jump(100 * SPE)  # about 13 minutes away with 1 s slots
    after, resumes, balances = _run(config, clock, 4 * SPE)
    (r,) = resumes
    assert r.catch_up == "shift" and r.last_slot == 3 * SPE and r.away_slots >= 100 * SPE
    assert r.resume_slot == 3 * SPE + 1 and r.balance_lost == 0
    text = "\n".join(r.lines())
    assert "away 13 min" in text and "clock moved forward" in text and "--catch-up=leak" in text
    assert after[0].slot == 3 * SPE + 1  # where it stopped: not 100 empty epochs later
    assert all(rep.refused == 0 for rep in after)
    assert after[-1].finalized_epoch >= first[-1].finalized_epoch + 3, "the chain did not finalize after the gap"
    meta = json.loads((tmp_path / "devnet.json").read_text())
    assert meta["clock_shift_seconds"] == pytest.approx(r.shift_seconds) and len(meta["clock_shifts"]) == 1
    chain, client, _ = open_devnet(config)
    assert min(int(b) for b in chain.head_state.validators.balances) >= min(balances)  # no leak happened
    _close(chain, client)


def test_run_devnet__clock_jumps_100_epochs_while_running__shifted_once_and_the_slots_run_on(tmp_path: Path) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    clock = _WallClock(tmp_path, 1.0, 1)
    reports: list[SlotReport] = []
    resumes: list[ResumeReport] = []

    def on_slot(report: SlotReport) -> None:
        reports.append(report)
        if report.slot == 2 * SPE:
            clock.jump(100 * SPE)  # the machine slept for 100 epochs

    run_devnet(
        config, on_slot=on_slot, stop=threading.Event(), max_slots=4 * SPE, clock=clock, on_resume=resumes.append
    )
    assert [r.slot for r in reports] == list(range(1, 4 * SPE + 1))
    (r,) = resumes
    assert r.catch_up == "shift" and r.last_slot == 2 * SPE and r.away_slots > 100 * SPE
    assert all(rep.refused == 0 and rep.proposed for rep in reports)


def test_restart__leak_mode_away_long_enough_to_eject_everyone__refuses_names_shift_and_writes_nothing(
    tmp_path: Path,
) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    clock = _WallClock(tmp_path, 1.0, 1)
    first, _, _ = _run(config, clock, 3 * SPE)
    clock.jump(300 * SPE)
    leak = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2, catch_up="leak")
    with pytest.raises(DevnetError, match=r"--catch-up=shift.*resume where it stopped") as exc:
        _run(leak, clock, 1)
    assert "no active validator" in str(exc.value)
    after, resumes, _ = _run(config, clock, SPE)  # the default resumes the same chain where it stopped
    assert resumes[0].catch_up == "shift" and after[0].slot == first[-1].slot + 1
    assert all(rep.proposed for rep in after[1:])


def test_restart__leak_mode_away_30_epochs__says_what_the_validators_lost_and_goes_on(tmp_path: Path) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2, catch_up="leak")
    clock = _WallClock(tmp_path, 1.0, 1)
    first, _, _ = _run(config, clock, 3 * SPE)
    clock.jump(30 * SPE)
    after, resumes, balances = _run(config, clock, 2)
    (r,) = resumes
    assert r.catch_up == "leak" and r.shift_seconds == 0
    assert after[0].slot == r.wall_slot > first[-1].slot + 30 * SPE
    chain, client, _ = open_devnet(config)
    lost = sum(balances) - sum(int(b) for b in chain.head_state.validators.balances)
    _close(chain, client)
    assert r.balance_lost > 0 and abs(r.balance_lost - lost) <= lost // 20  # what it said is what happened
    share = 100 * r.balance_lost / r.balance_before
    assert f"({share:.2f} % of their balance) to the inactivity leak" in "\n".join(r.lines())
    assert share > 1


def test_restart__slashing_protection_deleted__refuses_with_the_import_command_which_works(tmp_path: Path) -> None:
    from support.module_cli import cli

    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    clock = _WallClock(tmp_path, 1.0, 1)
    _run(config, clock, SPE)
    db = tmp_path / "slashing_protection.sqlite"
    backup = tmp_path / "protection-export.json"
    assert cli("slashing-protection", "export", "--db", str(db), "--out", str(backup))[0] == 0
    db.unlink()
    with pytest.raises(DevnetError, match=r"slashing_protection.sqlite is missing") as exc:
        open_devnet(config)
    assert not db.exists()  # nothing signed, nothing created
    command = re.search(
        r"stakework slashing-protection import FILE (--db \S+ --genesis-validators-root \S+)", str(exc.value)
    )
    assert command is not None, str(exc.value)
    code, out = cli("slashing-protection", "import", str(backup), *command.group(1).split())
    assert code == 0, out
    after, _, _ = _run(config, clock, SPE)  # the history is back: the devnet runs on, nothing refused
    assert all(r.proposed and r.refused == 0 for r in after)
    db.unlink()  # and the command-line refusal is a message, not a traceback
    r = subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", "devnet", "-d", str(tmp_path), "-n", "16", "--no-http"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "stakework slashing-protection import" in r.stdout + r.stderr


def _kill_and_damage_wal(tmp_path: Path, keep: int | None) -> tuple[Path, int]:
    """Run the child to slot 30 and kill it; cut chain.sqlite-wal to `keep` bytes less than its size (None:
    empty it). Returns the data directory and the last slot run."""
    data = tmp_path / "dn"
    lines = _child(data, 1, 30, "kill")
    last = int([line for line in lines if line[0] == "slot"][-1][1])
    wal = data / "chain.sqlite-wal"
    size = wal.stat().st_size
    assert size > 0
    with wal.open("r+b") as f:
        f.truncate(0 if keep is None else size - keep)
    return data, last


def test_restart__wal_cut_short_after_kill9__says_the_head_went_back_and_goes_on(tmp_path: Path) -> None:
    data, last = _kill_and_damage_wal(tmp_path, keep=100)  # the last frame, so the last commit, is cut
    config = DevnetConfig(data, DEVNET, validators=16, slot_seconds=0.25, funded_accounts=2)
    after, resumes, _ = _run(config, _WallClock(data, 0.25, last + 1), SPE)
    (r,) = resumes
    text = "\n".join(r.lines())
    assert r.head_slot < last
    assert f"signed a block at slot {last}" in text and "chain.sqlite-wal was truncated" in text
    assert f"head is at slot {r.head_slot}" in text
    assert after[0].slot == last + 1 and after[-1].refused == 0


def test_restart__wal_emptied_after_kill9__refuses_naming_how_far_the_head_went_back(tmp_path: Path) -> None:
    data, last = _kill_and_damage_wal(tmp_path, keep=None)
    config = DevnetConfig(data, DEVNET, validators=16, slot_seconds=0.25, funded_accounts=2)
    with pytest.raises(DevnetError, match=r"the chain database went back: its head is at slot \d+") as exc:
        open_devnet(config)
    text = str(exc.value)
    assert f"signed a block at slot {last}" in text and "chain.sqlite-wal was empty" in text
    assert "could never justify again" in text and "start a new devnet" in text


def _devnet_cli(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", "devnet", "-d", str(data), "-n", "16", "--no-http", *extra],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.xdist_group("devnet-clock")  # a wall-clock devnet: one at a time
def test_devnet_command__restarted_after_10_minutes__says_so_and_resumes_at_the_next_slot(tmp_path: Path) -> None:
    data = tmp_path / "dn"
    r = _devnet_cli(data, "--slot-seconds", "0.1", "--slots", "20")
    assert r.returncode == 0, r.stderr
    last = [int(line.split()[1]) for line in r.stdout.splitlines() if line.startswith("slot")][-1]
    meta = json.loads((data / "devnet.json").read_text())
    meta["clock_shift_seconds"] = -600.0  # the devnet clock 10 minutes ahead: as if it had been stopped that long
    (data / "devnet.json").write_text(json.dumps(meta))
    r = _devnet_cli(data, "--slot-seconds", "0.1", "--slots", "3")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    out = " ".join(r.stdout.split())
    assert "away 10 min" in out and "devnet clock moved forward by 10 min" in out, out
    assert "the validators lose nothing for the gap" in out
    slots = [int(line.split()[1]) for line in r.stdout.splitlines() if line.startswith("slot")]
    assert slots[0] == last + 1, r.stdout
    assert json.loads((data / "devnet.json").read_text())["clock_shift_seconds"] > 0


def test_restart__with_longer_slots_than_before__clock_set_back_and_resumes_without_waiting(tmp_path: Path) -> None:
    fast = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=0.25, funded_accounts=2)
    first, _, _ = _run(fast, _WallClock(tmp_path, 0.25, 1), 2 * SPE)
    slow = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    clock = _WallClock(tmp_path, 1.0, 5)  # 1 s slots: the clock shows slot 5, the chain is at slot 16
    calls: list[int] = []
    resumes: list[ResumeReport] = []

    def on_slot(report: SlotReport) -> None:
        calls.append(clock.slot)

    run_devnet(slow, on_slot=on_slot, stop=threading.Event(), max_slots=1, clock=clock, on_resume=resumes.append)
    (r,) = resumes
    assert r.catch_up == "shift" and r.shift_seconds < 0 and r.resume_slot == first[-1].slot + 1
    assert "devnet clock set back" in "\n".join(r.lines())
    assert calls == [5]  # the first slot ran at once, not after waiting for the clock to reach slot 17


def test_restart__a_stored_block_that_does_not_replay__refuses_naming_the_block(tmp_path: Path) -> None:
    import msgspec

    from stakework.node.storage import ChainStore

    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    _run(config, _WallClock(tmp_path, 1.0, 1), 3)
    with ChainStore(tmp_path) as store:
        head = store.head()
        block = store.get_block(head.root)
        assert block is not None
        forged = msgspec.structs.replace(block, message=msgspec.structs.replace(block.message, slot=head.slot + 5))
        store.import_block(forged, bytes(32))  # a block no honest node would store: it cannot be replayed
    with pytest.raises(DevnetError, match=rf"the stored block at slot {head.slot + 5} cannot be replayed"):
        open_devnet(config)
    with ChainStore(tmp_path):  # the refusal left the database closed and unlocked
        pass


def test_restart__killed_between_signing_and_storing_a_block__says_the_head_went_back_one_slot_and_goes_on(
    tmp_path: Path,
) -> None:
    data = tmp_path / "dn"
    target = 3 * SPE + 3  # not a missed slot
    lines = _child(data, 1, target, "killmid")
    assert int(lines[-1][1]) < target  # its report never came: killed inside the slot
    r = subprocess.run(
        [sys.executable, str(CHILD), str(data), str(target + 1), str(target + 4), "clean"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert f"signed a block at slot {target}; the blocks of the last 1 slot were not stored" in r.stdout, r.stdout
    slots = [line.split() for line in r.stdout.splitlines() if line.startswith("slot")]
    assert int(slots[0][1]) == target + 1 and all(int(s[4]) == 0 for s in slots)


def test_restart__first_start_killed_while_writing_keystores__missing_ones_written_again(tmp_path: Path) -> None:
    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=1.0, funded_accounts=2)
    chain, client, _ = open_devnet(config)
    pubkeys = dict(client.pubkeys)
    _close(chain, client)
    for path in sorted((tmp_path / "keys").glob("keystore-*.json"))[10:]:
        path.unlink()  # as a kill after the password file and the first 10 keystores leaves it
    chain, client, _ = open_devnet(config)  # was: "holds 10 validator keystores but --validators is 16"
    assert client.pubkeys == pubkeys
    _close(chain, client)
    assert len(list((tmp_path / "keys").glob("keystore-*.json"))) == 16
