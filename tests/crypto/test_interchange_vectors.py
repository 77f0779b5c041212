"""The EIP-3076 slashing-protection interchange tests (eth-clients/slashing-protection-interchange-tests v5.3.0,
copied in tests/crypto/vectors/; see the README there), run as their README says: a new database per case; per
step, import the interchange, then try each block and attestation in order and compare with the expected outcome.

stakework keeps a complete database, so the expected outcome is the `should_succeed_complete` column, with one
documented exception (COMPLETE_EXCEPTIONS). The README lets a client refuse an import that contains slashable data
and skip the rest of the case; stakework imports every such file, so no case is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stakework.crypto.slashing_protection import SlashableError, SlashingProtection, SlashingProtectionError

VECTORS = Path(__file__).resolve().parent / "vectors" / "slashing-protection-interchange-tests"
CASES = sorted(VECTORS.glob("*.json"))

COMPLETE_EXCEPTIONS = {
    "multiple_interchanges_single_validator_single_message_gap": (
        "two imports, the first ending at slot 40 / attestation 2->30, the second starting at slot 50 / 10->50. "
        "The suite's complete column signs blocks 41, 45, 49 and attestations 3->31, 9->49 inside that gap; "
        "EIP-3076 states conditions 2, 4 and 5 for each imported file (min over its data) and its 'Advice for "
        "Complete Databases' says signing in such a gap is not safe (the second file's client may have signed "
        "there without listing it). stakework refuses them: the minimal column for those five checks."
    )
}


def _b(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _expected(case_name: str, check: dict[str, object]) -> bool:
    """The complete column, except where COMPLETE_EXCEPTIONS says why stakework follows the minimal one."""
    column = "should_succeed" if case_name in COMPLETE_EXCEPTIONS else "should_succeed_complete"
    value = check[column]
    assert isinstance(value, bool)
    return value


def run_case(path: Path, tmp_path: Path) -> list[str]:
    """Every mismatch between stakework and the case, as text (empty: the case passes)."""
    case = json.loads(path.read_text())
    name = case["name"]
    mismatches: list[str] = []
    with SlashingProtection(tmp_path / f"{path.stem}.sqlite", _b(case["genesis_validators_root"])) as sp:
        for i, step in enumerate(case["steps"]):
            try:
                sp.import_interchange(step["interchange"], f"{path.name} step {i}")
                imported = True
            except SlashingProtectionError as exc:
                imported = False
                if step["should_succeed"]:
                    mismatches.append(f"step {i}: import refused: {exc}")
            if imported and not step["should_succeed"]:
                mismatches.append(f"step {i}: import accepted, the case expects it refused")
            if not imported:
                continue
            for block in step["blocks"]:
                try:
                    sp.check_and_record_block(_b(block["pubkey"]), int(block["slot"]), _b(block["signing_root"]))
                    signed = True
                except SlashableError:
                    signed = False
                if signed != _expected(name, block):
                    mismatches.append(f"step {i}: block at slot {block['slot']}: signed={signed}")
            for att in step["attestations"]:
                try:
                    sp.check_and_record_attestation(
                        _b(att["pubkey"]), int(att["source_epoch"]), int(att["target_epoch"]), _b(att["signing_root"])
                    )
                    signed = True
                except SlashableError:
                    signed = False
                if signed != _expected(name, att):
                    mismatches.append(
                        f"step {i}: attestation {att['source_epoch']}->{att['target_epoch']}: signed={signed}"
                    )
    return mismatches


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_interchange_case__every_import_and_check__as_expected(path: Path, tmp_path: Path) -> None:
    assert run_case(path, tmp_path) == []


def test_interchange_cases__all_present() -> None:
    assert len(CASES) == 38, f"expected the 38 generated cases of v5.3.0 under {VECTORS}"
    assert set(COMPLETE_EXCEPTIONS) <= {p.stem for p in CASES}


def test_gap_case__complete_column__differs_exactly_in_the_documented_gap_checks(tmp_path: Path) -> None:
    """The exception is exactly the five gap checks: with the complete column they, and only they, mismatch."""
    (name,) = COMPLETE_EXCEPTIONS
    case = json.loads((VECTORS / f"{name}.json").read_text())
    differing = [
        c.get("slot") or f"{c['source_epoch']}->{c['target_epoch']}"
        for step in case["steps"]
        for c in [*step["blocks"], *step["attestations"]]
        if c["should_succeed"] != c["should_succeed_complete"]
    ]
    assert differing == ["41", "45", "49", "3->31", "9->49"]
