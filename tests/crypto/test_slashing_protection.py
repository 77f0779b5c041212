"""EIP-3076 slashing protection: every refusal rule, repeats, watermarks, interchange, crashes, two processes."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from stakework.crypto.slashing_protection import (
    SlashableError,
    SlashingProtection,
    SlashingProtectionError,
)

GVR = bytes.fromhex("04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673")
OTHER_GVR = b"\x22" * 32
PK = bytes.fromhex("b845089a1457f811bfc000588fbb4e713669be8ce060ea6be3c6ece09afc3794106c91ca73acda5e5457122d58723bed")
PK2 = b"\xaa" * 48
R1, R2, R3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def sp(tmp_path: Path) -> Iterator[SlashingProtection]:
    with SlashingProtection(tmp_path / "sp.sqlite", GVR) as db:
        yield db


def _root(item: dict[str, str]) -> bytes | None:
    return bytes.fromhex(item["signing_root"][2:]) if "signing_root" in item else None


def _blocks(sp: SlashingProtection, pubkey: bytes = PK) -> list[tuple[int, bytes | None]]:
    """What the database holds for `pubkey`'s blocks, read back through the interchange export."""
    for item in sp.export_interchange()["data"]:  # type: ignore[attr-defined]
        if item["pubkey"] == "0x" + pubkey.hex():
            return [(int(b["slot"]), _root(b)) for b in item["signed_blocks"]]
    return []


def _atts(sp: SlashingProtection, pubkey: bytes = PK) -> list[tuple[int, int, bytes | None]]:
    for item in sp.export_interchange()["data"]:  # type: ignore[attr-defined]
        if item["pubkey"] == "0x" + pubkey.hex():
            return [(int(a["source_epoch"]), int(a["target_epoch"]), _root(a)) for a in item["signed_attestations"]]
    return []


# -- blocks (EIP-3076 conditions 1, 2) ------------------------------------------------------------------------------
def test_block__double_proposal__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 10, R1)
    with pytest.raises(SlashableError, match=r"double proposal.*slot 10"):
        sp.check_and_record_block(PK, 10, R2)


def test_block__identical_resign__allowed_and_recorded_once(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 10, R1)
    sp.check_and_record_block(PK, 10, R1)
    assert _blocks(sp) == [(10, R1)]
    sp.check_and_record_block(PK, 11, R2)
    sp.check_and_record_block(PK, 10, R1)  # still a repeat, even below the newest slot
    assert _blocks(sp) == [(10, R1), (11, R2)]


def test_block__at_or_below_lowest_signed_slot__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 10, R1)
    with pytest.raises(SlashableError, match="low watermark 10"):
        sp.check_and_record_block(PK, 9, R2)


def test_block__between_signed_slots__allowed_and_recorded_complete_strategy(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 10, R1)
    sp.check_and_record_block(PK, 20, R1)
    sp.check_and_record_block(PK, 15, R1)
    assert _blocks(sp) == [(10, R1), (15, R1), (20, R1)]
    with pytest.raises(SlashableError, match="double proposal"):
        sp.check_and_record_block(PK, 15, R2)  # the filled-in slot is now protected like the others


def test_block__validators_independent(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 10, R1)
    sp.check_and_record_block(PK2, 10, R2)  # another validator: no conflict with PK's block
    assert (_blocks(sp, PK), _blocks(sp, PK2)) == ([(10, R1)], [(10, R2)])
    with pytest.raises(SlashableError):
        sp.check_and_record_block(PK2, 5, R2)  # PK2's own watermark is 10


# -- attestations (EIP-3076 conditions 3, 4, 5) ---------------------------------------------------------------------
def test_attestation__double_vote__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 1, 2, R1)
    with pytest.raises(SlashableError, match=r"double vote.*target epoch 2"):
        sp.check_and_record_attestation(PK, 1, 2, R2)
    with pytest.raises(SlashableError, match="double vote"):
        sp.check_and_record_attestation(PK, 0, 2, R1)  # same root claimed with another source: not a repeat


def test_attestation__identical_resign__allowed_and_recorded_once(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 1, 2, R1)
    sp.check_and_record_attestation(PK, 1, 2, R1)
    assert _atts(sp) == [(1, 2, R1)]


def test_attestation__surrounding_vote__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 2, 3, R1)
    sp.check_and_record_attestation(PK, 3, 4, R1)
    with pytest.raises(SlashableError, match=r"surrounding vote: attestation 1->5 .* surrounds .* 2->3"):
        sp.check_and_record_attestation(PK, 1, 5, R1)


def test_attestation__surrounded_vote__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 1, 2, R1)
    sp.check_and_record_attestation(PK, 2, 10, R1)
    with pytest.raises(SlashableError, match=r"surrounded vote: attestation 3->9 .* surrounded by .* 2->10"):
        sp.check_and_record_attestation(PK, 3, 9, R1)


def test_attestation__source_below_lowest_signed_source__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 5, 6, R1)
    with pytest.raises(SlashableError, match="surrounding vote"):
        sp.check_and_record_attestation(PK, 4, 7, R1)  # condition 4 is mostly implied by the surround rule


def test_attestation__target_at_or_below_lowest_signed_target__refused(sp: SlashingProtection) -> None:
    sp.check_and_record_attestation(PK, 5, 8, R1)
    sp.check_and_record_attestation(PK, 8, 12, R1)
    with pytest.raises(SlashableError, match="target epoch 7 is at or below the low watermark 8"):
        sp.check_and_record_attestation(PK, 5, 7, R1)
    sp.check_and_record_attestation(PK, 8, 10, R2)  # above the minimum, not slashable: allowed (complete strategy)
    assert _atts(sp) == [(5, 8, R1), (8, 10, R2), (8, 12, R1)]


def test_attestation__source_after_target__refused(sp: SlashingProtection) -> None:
    with pytest.raises(SlashableError, match="after its target"):
        sp.check_and_record_attestation(PK, 3, 2, R1)


@pytest.mark.parametrize(
    ("args", "message"),
    [((b"\x00" * 47, 1, R1), "pubkey"), ((PK, -1, R1), "slot"), ((PK, 2**63, R1), "slot"), ((PK, 1, b"x"), "root")],
)
def test_block__malformed_arguments__slashing_protection_error(
    sp: SlashingProtection, args: tuple[bytes, int, bytes], message: str
) -> None:
    with pytest.raises(SlashingProtectionError, match=message):
        sp.check_and_record_block(*args)


# -- durability and the database file ---------------------------------------------------------------------------
def test_reopen__records_survive_and_still_refuse(tmp_path: Path) -> None:
    with SlashingProtection(tmp_path / "sp.sqlite", GVR) as sp:
        sp.check_and_record_block(PK, 3, R1)
        sp.check_and_record_attestation(PK, 1, 2, R1)
    with SlashingProtection(tmp_path / "sp.sqlite", GVR) as sp:
        with pytest.raises(SlashableError):
            sp.check_and_record_block(PK, 3, R2)
        with pytest.raises(SlashableError):
            sp.check_and_record_attestation(PK, 1, 2, R2)
        sp.check_and_record_attestation(PK, 1, 2, R1)
        assert (_blocks(sp), _atts(sp)) == ([(3, R1)], [(1, 2, R1)])


def test_open__settings_wal_and_full_sync(sp: SlashingProtection) -> None:
    assert sp._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sp._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_open__other_chain__refused(tmp_path: Path) -> None:
    SlashingProtection(tmp_path / "sp.sqlite", GVR).close()
    with pytest.raises(SlashingProtectionError, match="use a separate database for each chain"):
        SlashingProtection(tmp_path / "sp.sqlite", OTHER_GVR)


def test_open__garbage_file__error_names_file_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "sp.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(SlashingProtectionError, match=rf"{path}: not a readable .*restore the file from a backup"):
        SlashingProtection(path, GVR)


def test_open__truncated_database__error(tmp_path: Path) -> None:
    path = tmp_path / "sp.sqlite"
    with SlashingProtection(path, GVR) as sp:
        for slot in range(1, 200):
            sp.check_and_record_block(PK, slot, R1)
        sp._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SlashingProtectionError, match=str(path)), SlashingProtection(path, GVR) as sp:
        sp.export_interchange()


def test_open__other_schema_version__error(tmp_path: Path) -> None:
    path = tmp_path / "sp.sqlite"
    SlashingProtection(path, GVR).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SlashingProtectionError, match="schema version 99"):
        SlashingProtection(path, GVR)


def test_open__someone_elses_sqlite__error(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(SlashingProtectionError, match="not a stakework slashing-protection database"):
        SlashingProtection(path, GVR)


def test_open_existing__missing_file__error(tmp_path: Path) -> None:
    with pytest.raises(SlashingProtectionError, match="no slashing-protection database"):
        SlashingProtection.open_existing(tmp_path / "nope.sqlite")


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {src!r})
    from stakework.crypto.slashing_protection import SlashingProtection
    sp = SlashingProtection({db!r}, bytes.fromhex({gvr!r}))
    sp.check_and_record_attestation(bytes.fromhex({pk!r}), 1, 2, b"\\x01" * 32)
    os.kill(os.getpid(), signal.SIGKILL)  # the instant the signature could leave
    """
)


def test_crash__sigkill_right_after_record__reopened_db_refuses_double_vote(tmp_path: Path) -> None:
    db = tmp_path / "sp.sqlite"
    script = CHILD.format(src=str(SRC), db=str(db), gvr=GVR.hex(), pk=PK.hex())
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with SlashingProtection(db, GVR) as sp:
        with pytest.raises(SlashableError, match="double vote"):
            sp.check_and_record_attestation(PK, 1, 2, R2)
        sp.check_and_record_attestation(PK, 1, 2, R1)
        assert _atts(sp) == [(1, 2, R1)]  # the killed process's record, once


RACER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {src!r})
    from stakework.crypto.slashing_protection import SlashableError, SlashingProtection
    sp = SlashingProtection({db!r}, bytes.fromhex({gvr!r}))
    root = bytes([{tag}]) * 32
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    won = []
    for target in (range(1, 41) if {tag} == 1 else range(40, 0, -1)):  # they meet in the middle
        try:
            sp.check_and_record_attestation(bytes.fromhex({pk!r}), 0, target, root)
            won.append(target)
        except SlashableError:
            pass
    print(" ".join(map(str, won)))
    """
)


def test_two_processes__racing_conflicting_votes__never_both_recorded(tmp_path: Path) -> None:
    db = tmp_path / "sp.sqlite"
    SlashingProtection(db, GVR).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER.format(src=str(SRC), db=str(db), gvr=GVR.hex(), pk=PK.hex(), tag=tag)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in (1, 2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.close()
    outs = []
    for p in procs:
        assert p.stdout is not None and p.stderr is not None
        outs.append((p.stdout.read(), p.stderr.read()))
        p.stdout.close()
        p.stderr.close()
        p.wait(timeout=120)
    assert all(p.returncode == 0 for p in procs), outs
    won = [set(map(int, out.split())) for out, _ in outs]
    assert not won[0] & won[1]  # never both votes for one target
    assert won[0] | won[1] <= set(range(1, 41))
    with SlashingProtection(db, GVR) as sp:
        assert sp._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        atts = sp.export_interchange()["data"][0]["signed_attestations"]  # type: ignore[index]
    assert sorted(int(a["target_epoch"]) for a in atts) == sorted(won[0] | won[1])


# -- EIP-3076 interchange -----------------------------------------------------------------------------------------
def _doc(gvr: bytes = GVR, **item: object) -> dict[str, object]:
    entry = {"pubkey": "0x" + PK.hex(), "signed_blocks": [], "signed_attestations": [], **item}
    return {
        "metadata": {"interchange_format_version": "5", "genesis_validators_root": "0x" + gvr.hex()},
        "data": [entry],
    }


def test_interchange__eip3076_example__imports_and_enforces_conditions(sp: SlashingProtection) -> None:
    doc = _doc(
        signed_blocks=[
            {"slot": "81952", "signing_root": "0x4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b"},
            {"slot": "81951"},
        ],
        signed_attestations=[
            {
                "source_epoch": "2290",
                "target_epoch": "3007",
                "signing_root": "0x587d6a4f59a58fe24f406e0502413e77fe1babddee641fda30034ed37ecc884d",
            },
            {"source_epoch": "2290", "target_epoch": "3008"},
        ],
    )
    summary = sp.import_interchange(doc)
    assert (summary.validators, summary.blocks, summary.attestations) == (1, 2, 2)
    root = bytes.fromhex("4ff6f743a43f3b4f95350831aeaf0a122a1a392922c45d804280284a69eb850b")
    sp.check_and_record_block(PK, 81952, root)  # repeat, by signing root
    with pytest.raises(SlashableError):
        sp.check_and_record_block(PK, 81951, R1)  # no root imported: any block at that slot is slashable
    with pytest.raises(SlashableError):
        sp.check_and_record_block(PK, 81000, R1)  # condition 2
    with pytest.raises(SlashableError):
        sp.check_and_record_attestation(PK, 2289, 4000, R1)  # condition 4 (and a surround)
    with pytest.raises(SlashableError):
        sp.check_and_record_attestation(PK, 2290, 3008, R1)  # no root imported
    sp.check_and_record_block(PK, 81953, R1)
    sp.check_and_record_attestation(PK, 3008, 3009, R1)
    assert _blocks(sp) == [(81951, None), (81952, root), (81953, R1)]
    assert _atts(sp) == [
        (2290, 3007, bytes.fromhex("587d6a4f59a58fe24f406e0502413e77fe1babddee641fda30034ed37ecc884d")),
        (2290, 3008, None),
        (3008, 3009, R1),
    ]


def test_interchange__round_trip__identical_document(sp: SlashingProtection, tmp_path: Path) -> None:
    sp.check_and_record_block(PK, 5, R1)
    sp.check_and_record_block(PK2, 7, R2)
    sp.check_and_record_attestation(PK, 1, 2, R1)
    sp.check_and_record_attestation(PK, 2, 3, R3)
    doc = sp.export_interchange()
    assert doc["metadata"] == {"interchange_format_version": "5", "genesis_validators_root": "0x" + GVR.hex()}
    with SlashingProtection(tmp_path / "other.sqlite", GVR) as fresh:
        fresh.import_interchange(json.loads(json.dumps(doc)))
        assert fresh.export_interchange() == doc
        with pytest.raises(SlashableError):
            fresh.check_and_record_attestation(PK, 1, 2, R2)


def test_interchange__import_merge__never_lowers_protection(sp: SlashingProtection) -> None:
    sp.check_and_record_block(PK, 100, R1)
    sp.check_and_record_attestation(PK, 10, 11, R1)
    # an older history with a conflicting block at slot 100 and a gap after it
    sp.import_interchange(
        _doc(
            signed_blocks=[
                {"slot": "50", "signing_root": "0x" + R2.hex()},
                {"slot": "100", "signing_root": "0x" + R2.hex()},
            ],
            signed_attestations=[{"source_epoch": "3", "target_epoch": "4"}],
        )
    )
    with pytest.raises(SlashableError):
        sp.check_and_record_block(PK, 100, R1)  # the two known roots conflict: neither may be re-signed
    with pytest.raises(SlashableError):
        sp.check_and_record_attestation(PK, 10, 11, R2)  # own record kept
    sp.check_and_record_attestation(PK, 10, 11, R1)
    # a newer history raises the watermarks: no signing inside the gap (EIP-3076 advice for complete databases)
    sp.import_interchange(
        _doc(signed_blocks=[{"slot": "500"}], signed_attestations=[{"source_epoch": "40", "target_epoch": "41"}])
    )
    with pytest.raises(SlashableError, match="low watermark 500"):
        sp.check_and_record_block(PK, 300, R1)
    with pytest.raises(SlashableError, match="low watermark 40"):
        sp.check_and_record_attestation(PK, 20, 30, R1)
    with pytest.raises(SlashableError, match="double vote"):
        sp.check_and_record_attestation(PK, 40, 41, R1)  # imported without a root: never a repeat
    with pytest.raises(SlashableError, match="target epoch 40 is at or below the low watermark 41"):
        sp.check_and_record_attestation(PK, 40, 40, R1)
    sp.check_and_record_block(PK, 501, R1)
    sp.check_and_record_attestation(PK, 41, 42, R1)
    # importing an old, small history afterwards changes nothing
    sp.import_interchange(_doc(signed_blocks=[{"slot": "1"}]))
    with pytest.raises(SlashableError):
        sp.check_and_record_block(PK, 300, R1)


def test_interchange__one_import__signing_between_imported_messages_allowed(sp: SlashingProtection) -> None:
    # a complete history: what it does not list was not signed, so the gaps inside it may be filled
    sp.import_interchange(
        _doc(
            signed_blocks=[{"slot": "10"}, {"slot": "20"}],
            signed_attestations=[
                {"source_epoch": "1", "target_epoch": "4"},
                {"source_epoch": "5", "target_epoch": "10"},
            ],
        )
    )
    sp.check_and_record_block(PK, 15, R1)
    sp.check_and_record_attestation(PK, 4, 6, R1)
    assert _blocks(sp) == [(10, None), (15, R1), (20, None)]
    assert _atts(sp) == [(1, 4, None), (4, 6, R1), (5, 10, None)]
    with pytest.raises(SlashableError, match="low watermark 10"):
        sp.check_and_record_block(PK, 9, R1)  # condition 2: the file's lowest slot
    with pytest.raises(SlashableError, match="surrounded vote"):
        sp.check_and_record_attestation(PK, 6, 9, R1)  # inside the imported 5->10
    with pytest.raises(SlashableError, match="double vote"):
        sp.check_and_record_attestation(PK, 1, 4, R2)  # imported without a root: never a repeat
    with pytest.raises(SlashableError, match="target epoch 3 is at or below the low watermark 4"):
        sp.check_and_record_attestation(PK, 1, 3, R2)  # condition 5: the file's lowest target


def test_interchange__gap_between_two_imports__gap_refused(sp: SlashingProtection) -> None:
    sp.import_interchange(
        _doc(signed_blocks=[{"slot": "40"}], signed_attestations=[{"source_epoch": "2", "target_epoch": "30"}])
    )
    sp.import_interchange(
        _doc(signed_blocks=[{"slot": "50"}], signed_attestations=[{"source_epoch": "10", "target_epoch": "50"}])
    )
    for slot in (41, 45, 49):  # unknown history: the second file's client may have signed there
        with pytest.raises(SlashableError, match="low watermark 50"):
            sp.check_and_record_block(PK, slot, R1)
    with pytest.raises(SlashableError, match="below the low watermark 10"):
        sp.check_and_record_attestation(PK, 3, 31, R1)
    with pytest.raises(SlashableError, match="below the low watermark 10"):
        sp.check_and_record_attestation(PK, 9, 49, R1)
    sp.check_and_record_block(PK, 51, R1)
    sp.check_and_record_attestation(PK, 10, 51, R1)
    assert _blocks(sp) == [(50, None), (51, R1)]  # below the block floor: not exported (refused anyway)
    assert _atts(sp) == [(2, 30, None), (10, 50, None), (10, 51, R1)]


def test_interchange__one_pubkey_twice_in_a_file__floor_is_the_files_lowest(sp: SlashingProtection) -> None:
    doc = _doc(signed_blocks=[{"slot": "20"}])
    doc["data"].append({"pubkey": "0x" + PK.hex(), "signed_blocks": [{"slot": "10"}], "signed_attestations": []})  # type: ignore[attr-defined]
    sp.import_interchange(doc)
    sp.check_and_record_block(PK, 15, R1)  # condition 2 is min over the whole file's data for this pubkey
    assert _blocks(sp) == [(10, None), (15, R1), (20, None)]


def test_interchange__attestation_only_file__keeps_the_block_floor(sp: SlashingProtection) -> None:
    sp.import_interchange(_doc(signed_blocks=[{"slot": "40"}]))
    sp.import_interchange(_doc(signed_blocks=[{"slot": "50"}]))
    sp.import_interchange(_doc(signed_attestations=[{"source_epoch": "1", "target_epoch": "2"}]))
    with pytest.raises(SlashableError, match="low watermark 50"):
        sp.check_and_record_block(PK, 45, R1)


def test_interchange__source_after_target__imported_and_kept_strict(sp: SlashingProtection) -> None:
    # EIP-3076's schema allows it; the interchange tests' single_validator_source_greater_than_target_* cases
    sp.import_interchange(
        _doc(
            signed_attestations=[{"source_epoch": "5", "target_epoch": "2"}, {"source_epoch": "6", "target_epoch": "7"}]
        )
    )
    assert _atts(sp) == [(5, 2, None), (6, 7, None)]
    with pytest.raises(SlashableError, match="surrounds its signed attestation 5->2"):
        sp.check_and_record_attestation(PK, 3, 4, R1)  # and below the source floor 5
    with pytest.raises(SlashableError, match="surrounding vote"):
        sp.check_and_record_attestation(PK, 5, 8, R1)
    sp.check_and_record_attestation(PK, 6, 8, R1)
    assert _atts(sp)[-1] == (6, 8, R1)


def test_export__after_a_gap_import__new_database_refuses_the_same_gap(sp: SlashingProtection, tmp_path: Path) -> None:
    sp.check_and_record_block(PK, 30, R1)
    sp.import_interchange(_doc(signed_blocks=[{"slot": "40"}]))
    sp.import_interchange(_doc(signed_blocks=[{"slot": "50"}]))
    doc = sp.export_interchange()
    assert doc["data"][0]["signed_blocks"] == [{"slot": "50"}]  # type: ignore[index]
    with SlashingProtection(tmp_path / "new.sqlite", GVR) as fresh:
        fresh.import_interchange(json.loads(json.dumps(doc)))
        with pytest.raises(SlashableError, match="low watermark 50"):
            fresh.check_and_record_block(PK, 45, R1)
        fresh.check_and_record_block(PK, 51, R1)


def test_interchange__genesis_root_mismatch__refused_nothing_imported(sp: SlashingProtection) -> None:
    with pytest.raises(SlashingProtectionError, match=r"genesis_validators_root mismatch.*another network"):
        sp.import_interchange(_doc(gvr=OTHER_GVR, signed_blocks=[{"slot": "5"}]))
    assert sp.export_interchange()["data"] == []
    sp.check_and_record_block(PK, 5, R1)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["metadata"].update(interchange_format_version="4"), "interchange_format_version '4'"),
        (lambda d: d.pop("data"), "data is missing"),
        (lambda d: d["data"][0].update(pubkey="0x1234"), r"data\[0\]\.pubkey has 2 bytes"),
        (lambda d: d["data"][0].update(signed_blocks=[{"slot": "-1"}]), r"signed_blocks\[0\]\.slot"),
        (lambda d: d["data"][0].update(signed_blocks=[{"slot": "1", "signing_root": "0xzz"}]), "not hex"),
        (lambda d: d["data"][0].update(signed_blocks=[{"slot": str(2**64)}]), "out of range"),
        (lambda d: d["data"][0].pop("signed_attestations"), "signed_attestations is missing"),
    ],
)
def test_interchange__malformed__error_names_file_and_item(
    sp: SlashingProtection, mutate: object, message: str
) -> None:
    doc = _doc(signed_blocks=[{"slot": "9"}])
    assert callable(mutate)
    mutate(doc)
    with pytest.raises(SlashingProtectionError, match=message) as info:
        sp.import_interchange(doc, "in.json")
    assert str(info.value).startswith("in.json:")
    assert sp.export_interchange()["data"] == []  # validation failed first: nothing was imported
    sp.check_and_record_block(PK, 9, R1)


def test_interchange__partial_failure__whole_import_rolled_back(sp: SlashingProtection) -> None:
    doc = _doc(signed_blocks=[{"slot": "9"}])
    doc["data"].append({"pubkey": "0x" + PK2.hex(), "signed_blocks": [{"slot": "x"}], "signed_attestations": []})  # type: ignore[attr-defined]
    with pytest.raises(SlashingProtectionError):
        sp.import_interchange(doc)
    assert sp.export_interchange()["data"] == []


# -- the state machine: whatever is accepted is never slashable with anything else accepted ---------------------------
ROOTS = [R1, R2, R3]
KEYS = [PK, PK2]
Att = tuple[int, int, bytes | None]


def _slashable_atts(a: Att, b: Att) -> bool:
    """Spec: is_slashable_attestation_data (data compared through its signing root; an unknown root matches none)."""
    (s1, t1, r1), (s2, t2, r2) = a, b
    double = t1 == t2 and ((s1, r1) != (s2, r2) or r1 is None)
    surround = (s1 < s2 and t2 < t1) or (s2 < s1 and t1 < t2)
    return double or surround


def _att_key(a: Att) -> tuple[int, int, bytes]:
    return (a[0], a[1], a[2] or b"")


class SlashingProtectionMachine(RuleBasedStateMachine):
    """Random signing and imports of random interchange files (with gaps, unknown roots and conflicting data)
    against a model of the documented rules; close/reopen and export/import migrations."""

    def __init__(self) -> None:
        super().__init__()
        # logic, not durability, is under test here (the crash test covers fsync): tmpfs keeps commits cheap
        shm = Path("/dev/shm")
        self.dir = Path(tempfile.mkdtemp(prefix="sp-machine-", dir=shm if shm.is_dir() else None))
        self.generation = 0
        self.sp = SlashingProtection(self.dir / "0.sqlite", GVR)
        self.blocks: dict[bytes, dict[int, bytes | None]] = {k: {} for k in KEYS}
        self.atts: dict[bytes, list[Att]] = {k: [] for k in KEYS}
        self.block_wm: dict[bytes, int | None] = dict.fromkeys(KEYS)
        self.source_wm: dict[bytes, int | None] = dict.fromkeys(KEYS)
        self.target_wm: dict[bytes, int | None] = dict.fromkeys(KEYS)

    def teardown(self) -> None:
        self.sp.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _bound(*values: int | None) -> int | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    def _expect_block(self, key: bytes, slot: int, root: bytes) -> bool:
        blocks = self.blocks[key]
        if slot in blocks:
            return blocks[slot] == root
        bound = self._bound(min(blocks, default=None), self.block_wm[key])
        return bound is None or slot > bound

    def _expect_att(self, key: bytes, s: int, t: int, root: bytes) -> bool:
        atts = self.atts[key]
        same = [a for a in atts if a[1] == t]
        if same:
            return all(a == (s, t, root) for a in same)
        if any(_slashable_atts((s, t, root), a) for a in atts):
            return False
        sb = self._bound(min((a[0] for a in atts), default=None), self.source_wm[key])
        tb = self._bound(min((a[1] for a in atts), default=None), self.target_wm[key])
        return (sb is None or s >= sb) and (tb is None or t > tb)

    @rule(key=st.sampled_from(KEYS), slot=st.integers(0, 12), root=st.sampled_from(ROOTS))
    def sign_block(self, key: bytes, slot: int, root: bytes) -> None:
        expected = self._expect_block(key, slot, root)
        try:
            self.sp.check_and_record_block(key, slot, root)
            accepted = True
        except SlashableError:
            accepted = False
        assert accepted == expected, (key.hex()[:4], slot, root[:1], self.blocks[key], self.block_wm[key])
        if accepted:
            assert self.blocks[key].get(slot, root) == root  # never two different blocks at one slot
            self.blocks[key][slot] = root

    @rule(key=st.sampled_from(KEYS), s=st.integers(0, 8), span=st.integers(0, 4), root=st.sampled_from(ROOTS))
    def sign_attestation(self, key: bytes, s: int, span: int, root: bytes) -> None:
        t = s + span
        expected = self._expect_att(key, s, t, root)
        try:
            self.sp.check_and_record_attestation(key, s, t, root)
            accepted = True
        except SlashableError:
            accepted = False
        assert accepted == expected, (key.hex()[:4], s, t, root[:1], self.atts[key])
        if accepted and (s, t, root) not in self.atts[key]:
            assert not any(_slashable_atts((s, t, root), a) for a in self.atts[key])  # nor with imported history
            self.atts[key].append((s, t, root))

    @rule(
        key=st.sampled_from(KEYS),
        blocks=st.lists(st.tuples(st.integers(0, 12), st.sampled_from([*ROOTS, None])), max_size=3),
        atts=st.lists(st.tuples(st.integers(1, 8), st.integers(-1, 4), st.sampled_from([*ROOTS, None])), max_size=3),
    )
    def import_history(
        self, key: bytes, blocks: list[tuple[int, bytes | None]], atts: list[tuple[int, int, bytes | None]]
    ) -> None:
        """Another client's history: may overlap, conflict with or leave a gap after what is recorded."""
        doc = _doc(
            signed_blocks=[{"slot": str(slot), **_root_field(root)} for slot, root in blocks],
            signed_attestations=[
                {"source_epoch": str(s), "target_epoch": str(s + span), **_root_field(root)} for s, span, root in atts
            ],
        )
        doc["data"][0]["pubkey"] = "0x" + key.hex()  # type: ignore[index]
        self.sp.import_interchange(doc)
        model = self.blocks[key]
        for slot, root in blocks:
            if slot not in model:
                model[slot] = root
            elif model[slot] is not None and model[slot] != root:
                model[slot] = None  # two different (or unknown) blocks at one slot
        for s, span, root in atts:
            if (s, s + span, root) not in self.atts[key]:
                self.atts[key].append((s, s + span, root))
        if blocks:
            self.block_wm[key] = self._bound(self.block_wm[key], min(slot for slot, _ in blocks))
        if atts:
            self.source_wm[key] = self._bound(self.source_wm[key], min(s for s, _, _ in atts))
            self.target_wm[key] = self._bound(self.target_wm[key], min(s + span for s, span, _ in atts))

    @rule()
    def reopen(self) -> None:
        self.sp.close()
        self.sp = SlashingProtection(self.dir / f"{self.generation}.sqlite", GVR)

    @rule()
    def migrate_through_interchange(self) -> None:
        doc = json.loads(json.dumps(self.sp.export_interchange()))
        self.sp.close()
        self.generation += 1
        self.sp = SlashingProtection(self.dir / f"{self.generation}.sqlite", GVR)
        self.sp.import_interchange(doc)
        for key in KEYS:
            self.blocks[key] = self._exported_blocks(key)  # below the block floor: left out, refused anyway
            self.block_wm[key] = min(self.blocks[key], default=None)
            self.source_wm[key] = min((a[0] for a in self.atts[key]), default=None)
            self.target_wm[key] = min((a[1] for a in self.atts[key]), default=None)

    def _exported_blocks(self, key: bytes) -> dict[int, bytes | None]:
        floor = self.block_wm[key]
        return {slot: root for slot, root in self.blocks[key].items() if floor is None or slot >= floor}

    @invariant()
    def everything_accepted_is_recorded(self) -> None:
        for key in KEYS:
            assert dict(_blocks(self.sp, key)) == self._exported_blocks(key)
            assert sorted(_atts(self.sp, key), key=_att_key) == sorted(self.atts[key], key=_att_key)


def _root_field(root: bytes | None) -> dict[str, str]:
    return {} if root is None else {"signing_root": "0x" + root.hex()}


SlashingProtectionMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
test_slashing_protection_machine = SlashingProtectionMachine.TestCase
