"""Ethereum's official consensus-spec-tests (Electra) through stakework: every minimal case, one test each (the
mainnet ones opt-in), the SSZ round trip, the skip table, and failures that name the case and the field."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import snappy

from stakework.conformance.official import (
    SKIPPED_HANDLERS,
    OfficialCase,
    OfficialCaseError,
    find_cases,
    markdown_report,
    read_ssz_snappy,
    round_trip_difference,
    run_case,
    skip_lines,
    summary_line,
)
from stakework.conformance.pyspec_bridge import (
    DROPPED_FIELDS,
    first_difference,
    from_pyspec,
    from_ssz_bytes,
    spec_for,
    ssz_field_bytes,
    to_pyspec,
    to_ssz_bytes,
)
from stakework.spec.presets import MAINNET, MINIMAL
from support.official_data import case_ids

MINIMAL_IDS = case_ids("minimal")
# Listing an archive decompresses it: the mainnet one is only read when its cases are asked for.
MAINNET_IDS = case_ids("mainnet") if os.environ.get("STAKEWORK_OFFICIAL_MAINNET") == "1" else ["opt-in"]


def case(root: Path, preset: str, case_id: str) -> OfficialCase:
    """The OfficialCase for `<runner>/<handler>/<case>` under an extracted archive."""
    runner, handler, name = case_id.split("/")
    return OfficialCase(
        preset, runner, handler, name, root / preset / "electra" / runner / handler / "pyspec_tests" / name
    )


def check(result_case: OfficialCase) -> None:
    result = run_case(result_case)
    if result.status == "skipped":
        assert result.detail == SKIPPED_HANDLERS[result_case.key]
        pytest.skip(f"{result_case.runner}/{result_case.handler}: {result.detail}")
    assert result.status == "passed", result.describe()


# -- every case ----------------------------------------------------------------------------------------------
def test_archive__minimal__holds_epoch_processing_rewards_and_operations() -> None:
    runners = {i.split("/")[0] for i in MINIMAL_IDS}
    assert runners == {"epoch_processing", "rewards", "operations"}
    assert len(MINIMAL_IDS) == 594  # 201 epoch_processing + rewards, 393 operations


@pytest.mark.parametrize("case_id", MINIMAL_IDS)
def test_official_minimal__case__reproduces_post_or_is_skipped_with_its_reason(
    official_minimal: Path, case_id: str
) -> None:
    check(case(official_minimal, "minimal", case_id))


@pytest.mark.official_mainnet
def test_archive__mainnet__holds_epoch_processing_and_rewards(official_mainnet: Path) -> None:
    assert {i.split("/")[0] for i in MAINNET_IDS} == {"epoch_processing", "rewards"}
    assert len(MAINNET_IDS) == 186  # some minimal-only cases have no mainnet version


@pytest.mark.official_mainnet
@pytest.mark.parametrize("case_id", MAINNET_IDS)
def test_official_mainnet__case__reproduces_post_or_is_skipped_with_its_reason(
    official_mainnet: Path, case_id: str
) -> None:
    check(case(official_mainnet, "mainnet", case_id))


# -- the skip table ------------------------------------------------------------------------------------------
def test_skip_table__minimal__one_printed_count_per_skipped_handler(official_minimal: Path) -> None:
    cases = [c for c in find_cases(official_minimal) if c.key in SKIPPED_HANDLERS]
    results = [run_case(c) for c in cases]
    assert {r.status for r in results} == {"skipped"}
    lines = skip_lines(results)
    assert len(lines) == 6
    reason = SKIPPED_HANDLERS["operations", "execution_payload"]
    assert f"skipped minimal/operations/execution_payload: 39 ({reason})" in lines
    assert any(line.startswith("skipped minimal/epoch_processing/sync_committee_updates: 5 (") for line in lines)
    assert summary_line(results) == "0 passed, 0 failed, 105 skipped"


def test_skip_table__every_entry__has_a_reason() -> None:
    for (runner, handler), reason in SKIPPED_HANDLERS.items():
        assert runner and handler and len(reason) > 20, (runner, handler)


def test_unknown_handler__is_a_failure_not_a_silent_skip(official_minimal: Path, tmp_path: Path) -> None:
    src = official_minimal / "minimal/electra/operations/voluntary_exit/pyspec_tests"
    dst = tmp_path / "minimal/electra/operations/brand_new_operation/pyspec_tests"
    shutil.copytree(next(src.iterdir()), dst / "some_case")
    [result] = [run_case(c) for c in find_cases(tmp_path)]
    assert result.status == "failed"
    assert "unknown handler operations/brand_new_operation" in result.detail


# -- failures name the case and the field --------------------------------------------------------------------
def _copy_case(official_minimal: Path, tmp_path: Path, case_id: str) -> OfficialCase:
    runner, handler, name = case_id.split("/")
    src = official_minimal / "minimal/electra" / runner / handler / "pyspec_tests" / name
    shutil.copytree(src, tmp_path / "minimal/electra" / runner / handler / "pyspec_tests" / name)
    [copied] = find_cases(tmp_path)
    return copied


def test_broken_post__flipped_byte__fails_naming_the_field(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(
        official_minimal, tmp_path, "epoch_processing/effective_balance_updates/effective_balance_hysteresis"
    )
    post = copied.path / "post.ssz_snappy"
    data = bytearray(read_ssz_snappy(post))
    data[40] ^= 0x01  # BeaconState: genesis_time (8 bytes), genesis_validators_root (32), then slot
    post.write_bytes(snappy.compress(bytes(data)))
    result = run_case(copied)
    assert result.status == "failed"
    assert result.detail.startswith("slot: expected "), result.detail
    assert "effective_balance_hysteresis" in result.describe()


def test_broken_post__changed_balance__fails_naming_column_and_index(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(
        official_minimal, tmp_path, "epoch_processing/rewards_and_penalties/full_attestation_participation"
    )
    post = copied.path / "post.ssz_snappy"
    state = from_ssz_bytes(read_ssz_snappy(post), MINIMAL)
    state.validators.balances[3] += 1
    post.write_bytes(snappy.compress(to_ssz_bytes(state)))
    result = run_case(copied)
    assert result.status == "failed"
    assert result.detail.startswith("validators.balances[3]: expected "), result.detail


def test_broken_post_epoch__fails_naming_process_epoch_and_the_field(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(official_minimal, tmp_path, "epoch_processing/slashings_reset/flush_slashings")
    path = copied.path / "post_epoch.ssz_snappy"
    state = from_ssz_bytes(read_ssz_snappy(path), MINIMAL)
    state.validators.inactivity_scores[5] += 7
    path.write_bytes(snappy.compress(to_ssz_bytes(state)))
    result = run_case(copied)
    assert result.status == "failed"
    assert result.detail.startswith("process_epoch (pre_epoch -> post_epoch): validators.inactivity_scores[5]: ")


def test_broken_deltas__fail_naming_the_delta_list_and_index(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(official_minimal, tmp_path, "rewards/basic/full_all_correct")
    path = copied.path / "head_deltas.ssz_snappy"
    data = bytearray(read_ssz_snappy(path))
    data[8] ^= 0x01  # Deltas: two 4-byte offsets, then rewards[0]
    path.write_bytes(snappy.compress(bytes(data)))
    result = run_case(copied)
    assert result.status == "failed"
    assert result.detail.startswith("head_deltas.rewards[0]: expected "), result.detail


def test_valid_case_without_post__fails_because_stakework_applies_it(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(official_minimal, tmp_path, "operations/voluntary_exit/basic")
    (copied.path / "post.ssz_snappy").unlink()
    result = run_case(copied)
    assert result.status == "failed"
    assert "no post (must fail to apply), but stakework applied it" in result.detail


def test_truncated_pre__is_a_failing_bad_case(official_minimal: Path, tmp_path: Path) -> None:
    copied = _copy_case(official_minimal, tmp_path, "epoch_processing/slashings_reset/flush_slashings")
    pre = copied.path / "pre.ssz_snappy"
    pre.write_bytes(snappy.compress(read_ssz_snappy(pre)[:300]))
    result = run_case(copied)
    assert result.status == "failed"
    assert result.detail.startswith("bad case: ") and "pre.ssz_snappy" in result.detail
    assert result.malformed


def test_find_cases__bad_directories__raise_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(OfficialCaseError, match="not a directory"):
        find_cases(tmp_path / "missing")
    with pytest.raises(OfficialCaseError, match="no minimal or mainnet/electra/ folder"):
        find_cases(tmp_path)
    with pytest.raises(OfficialCaseError, match="unknown preset"):
        find_cases(tmp_path, preset="devnet")
    (tmp_path / "minimal/electra/rewards").mkdir(parents=True)
    with pytest.raises(OfficialCaseError, match="no official cases"):
        find_cases(tmp_path)


# -- the SSZ round trip --------------------------------------------------------------------------------------
def _states(root: Path, preset: str, every: int) -> list[Path]:
    files = sorted(root.glob(f"{preset}/electra/*/*/pyspec_tests/*/pre.ssz_snappy"))
    files += sorted(root.glob(f"{preset}/electra/*/*/pyspec_tests/*/post.ssz_snappy"))
    return files[::every]


def test_round_trip__fast_ssz_path__equals_the_reference_views(official_minimal: Path) -> None:
    """from_ssz_bytes / to_ssz_bytes (used by the runner) agree with from_pyspec / to_pyspec (the reference's
    own decoder and encoder) on a sample of the official states."""
    spec = spec_for(MINIMAL)
    files = _states(official_minimal, "minimal", 60)
    assert len(files) > 12
    for path in files:
        data = read_ssz_snappy(path)
        fast = from_ssz_bytes(data, MINIMAL)
        slow = from_pyspec(spec.BeaconState.decode_bytes(data), MINIMAL)
        assert first_difference(slow, fast) is None, path
        assert to_ssz_bytes(fast) == to_pyspec(fast).encode_bytes(), path


def test_round_trip__dropped_fields__come_back_as_the_reference_defaults(official_minimal: Path) -> None:
    spec = spec_for(MINIMAL)
    path = (
        official_minimal
        / "minimal/electra/epoch_processing/slashings_reset/pyspec_tests/flush_slashings/pre.ssz_snappy"
    )
    data = read_ssz_snappy(path)
    original = ssz_field_bytes(spec.BeaconState, data)
    back = ssz_field_bytes(spec.BeaconState, to_ssz_bytes(from_ssz_bytes(data, MINIMAL)))
    fields = spec.BeaconState.fields()
    for name in DROPPED_FIELDS:
        assert back[name] == fields[name]().encode_bytes(), name
    assert original["current_sync_committee"] != back["current_sync_committee"]  # really dropped
    assert {n for n in original if original[n] != back[n]} <= set(DROPPED_FIELDS)
    assert round_trip_difference(data, from_ssz_bytes(data, MINIMAL)) is None


def test_round_trip__field_list__names_every_reference_field() -> None:
    for preset in (MINIMAL, MAINNET):
        names = set(spec_for(preset).BeaconState.fields())
        assert set(DROPPED_FIELDS) <= names


# -- the report ----------------------------------------------------------------------------------------------
def test_markdown_report__table_rows_and_skip_reasons(official_minimal: Path) -> None:
    cases = find_cases(official_minimal, runner="operations")
    results = [run_case(c) for c in cases if c.handler in ("voluntary_exit", "sync_aggregate")]
    text = markdown_report(results, command="stakework spec-test --official X")
    assert "| operations | voluntary_exit | 21 | 0 | 0 |" in text
    assert "| operations | sync_aggregate | 0 | 0 | 24 |" in text
    assert SKIPPED_HANDLERS["operations", "sync_aggregate"] in text
    assert "21 passed, 0 failed, 24 skipped" in text
