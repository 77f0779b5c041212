"""End-to-end: the real `stakework` command, started as a user starts it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent.parent / "conformance" / "vectors"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


pytestmark = pytest.mark.e2e


def test_spec_test__shipped_vectors__all_pass() -> None:
    r = run("spec-test", str(VECTORS))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "20 passed, 0 failed"


def test_spec_test__a_corrupted_vector__fails_with_field_and_exit_1(tmp_path: Path) -> None:
    import gzip

    doc = json.loads(gzip.decompress((VECTORS / "epoch_001_leak_n64.json.gz").read_bytes()))
    doc["post"]["inactivity_scores"][7] += 3
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    r = run("spec-test", str(tmp_path))
    assert r.returncode == 1
    assert "inactivity_scores[7]" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_simulate__defaults_small__finality_advances_and_slashing_shows(tmp_path: Path) -> None:
    out = tmp_path / "sim.csv"
    png = tmp_path / "sim.png"
    r = run("simulate", "--validators", "64", "--epochs", "48", "--csv", str(out), "--plot", str(png))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 48
    finalized = [int(row["finalized_epoch"]) for row in rows]
    assert finalized == sorted(finalized) and finalized[-1] >= 40
    # the 40% offline window (20-44) stalls finality: the leak drains the offline validators, and finality
    # returns once they are back
    assert int(rows[40]["finalized_epoch"]) < 25
    offline_loss = float(rows[19]["mean_balance_online"]) - float(rows[44]["mean_balance_offline"])
    assert offline_loss > 10**9  # more than 1 SWK each in 24 epochs (devnet leak)
    assert float(rows[44]["mean_balance_online"]) >= float(rows[19]["mean_balance_online"]) - 10**7
    assert int(rows[-1]["finalized_epoch"]) >= 44
    # correlation penalty at the slashings midpoint (slashed at 6, devnet window 64 → epoch 38)
    assert int(rows[38]["slashing_penalties"]) > 10**9
    assert float(rows[-1]["mean_balance_slashed"]) < float(rows[-1]["mean_balance_online"]) - 10**9
    assert png.stat().st_size > 10_000


def test_genesis__then_simulate_from_it__runs(tmp_path: Path) -> None:
    snap = tmp_path / "g.json"
    r = run("genesis", "--preset", "minimal", "--validators", "16", "--out", str(snap))
    assert r.returncode == 0, r.stderr
    assert "INSECURE" in r.stdout
    assert json.loads(snap.read_text())["preset"] == "minimal"
    r = run("simulate", "--state", str(snap), "--epochs", "6", "--no-events")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["genesis", "--preset", "testnet", "--out", "x.json"], "unknown preset"),
        (["simulate", "--slash", "many@3"], "COUNT@EPOCH"),
        (["simulate", "--offline", "2@3-9"], "between 0 and 1"),
        (["spec-test", "does-not-exist"], "no such file"),
        (["simulate", "--state", "nope.swk"], "no such file"),
    ],
)
def test_bad_input__clear_message_exit_2_no_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_simulate__truncated_snapshot__refused_exit_2(tmp_path: Path) -> None:
    snap = tmp_path / "g.swk"
    assert run("genesis", "--validators", "8", "--out", str(snap)).returncode == 0
    snap.write_bytes(snap.read_bytes()[:-40])
    r = run("simulate", "--state", str(snap), "--epochs", "2")
    assert r.returncode == 2 and "truncated or corrupted" in r.stderr and "Traceback" not in r.stderr


def test_bench_epoch__json__has_the_documented_keys() -> None:
    r = run("bench", "epoch", "--validators", "2000", "--runs", "3", "--reference-max", "0", "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["validators"] == 2000 and result["runs"] == 3 and result["median_ms"] > 0


def test_unknown_option__usage_error__exit_2_no_traceback() -> None:
    r = run("simulate", "--epoks", "3")
    assert r.returncode == 2
    assert "No such option" in r.stderr and "Traceback" not in r.stderr
