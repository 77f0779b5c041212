"""End-to-end: `stakework spec-test --official DIR`, started as a user starts it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import snappy

from stakework.conformance.official import SKIPPED_HANDLERS, read_ssz_snappy

pytestmark = pytest.mark.e2e


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", "spec-test", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_spec_test_official__minimal__exit_0_skip_counts_and_final_line(official_minimal: Path) -> None:
    r = run("--official", str(official_minimal))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == "489 passed, 0 failed, 105 skipped"
    skipped = [line for line in lines if line.startswith("skipped minimal/")]
    assert len(skipped) == 6
    assert f"skipped minimal/operations/deposit: 21 ({SKIPPED_HANDLERS['operations', 'deposit']})" in skipped
    assert "FAIL" not in r.stdout


def test_spec_test_official__broken_post__exit_1_names_case_and_field(official_minimal: Path, tmp_path: Path) -> None:
    import shutil

    rel = "minimal/electra/epoch_processing/slashings_reset/pyspec_tests/flush_slashings"
    shutil.copytree(official_minimal / rel, tmp_path / rel)
    post = tmp_path / rel / "post.ssz_snappy"
    data = bytearray(read_ssz_snappy(post))
    data[40] ^= 0x01  # the slot
    post.write_bytes(snappy.compress(bytes(data)))
    r = run("--official", str(tmp_path))
    assert r.returncode == 1
    assert re.search(
        r"FAIL minimal/epoch_processing/slashings_reset/flush_slashings: slot: expected \d+, got", r.stdout
    )
    assert r.stdout.strip().splitlines()[-1] == "0 passed, 1 failed, 0 skipped"


def test_spec_test_official__malformed_case__exit_2_after_the_report(official_minimal: Path, tmp_path: Path) -> None:
    import shutil

    rel = "minimal/electra/epoch_processing/slashings_reset/pyspec_tests/flush_slashings"
    shutil.copytree(official_minimal / rel, tmp_path / rel)
    (tmp_path / rel / "pre.ssz_snappy").write_bytes(b"not snappy")
    r = run("--official", str(tmp_path))
    assert r.returncode == 2
    assert "bad case: " in r.stdout and "pre.ssz_snappy" in r.stdout
    assert "0 passed, 1 failed, 0 skipped" in r.stdout
    assert "1 malformed case directory" in r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_spec_test_official__filters_and_markdown(official_minimal: Path, tmp_path: Path) -> None:
    out = tmp_path / "conformance.md"
    r = run("--official", str(official_minimal), "--preset", "minimal", "--runner", "rewards", "--markdown", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "46 passed, 0 failed, 0 skipped"
    text = out.read_text()
    assert "| rewards | leak | 13 | 0 | 0 |" in text
    assert "--runner rewards" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--official", "does-not-exist"], "not a directory"),
        (["--official", "."], "no minimal or mainnet/electra/ folder"),
        (["--official", ".", "some-vector.json"], "not both"),
        (["--preset", "minimal"], "--official only"),
        ([], "--official DIR"),
    ],
)
def test_spec_test_official__bad_input__exit_2_without_traceback(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_spec_test_official__unknown_preset__exit_2(official_minimal: Path) -> None:
    r = run("--official", str(official_minimal), "--preset", "devnet")
    assert r.returncode == 2
    assert "unknown preset 'devnet'" in r.stderr
