"""`stakework bench block`: a realistic block imported on a realistic state (small sizes here; figures belong to
docs/performance.md, not to tests)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stakework.bench.block import PHASES, BenchError, build_block_workload, run_block_bench
from stakework.cli.main import app

runner = CliRunner()


def test_bench_block__json__one_object_with_positive_figures() -> None:
    result = runner.invoke(
        app,
        ["bench", "block", "--validators", "2048", "--accounts", "300", "--runs", "1", "--transfers", "64", "--json"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["validators"], out["accounts"], out["runs"]) == (2048, 300, 1)
    for key in ("median_ms", "state_root_ms", "bls_ms", "ed25519_ms", "no_signatures_ms", "attestations_ms"):
        assert out[key] > 0, key
    assert out["transfers"] == 64 and out["deposits"] == 4 and out["exits"] == 4
    assert out["attesters"] > 0.9 * 2048 // 32  # a full slot of committees, ~98% attesting


def test_bench_block__text__prints_every_phase() -> None:
    result = runner.invoke(
        app, ["bench", "block", "-n", "1024", "-m", "50", "-r", "1", "--transfers", "8", "--deposits", "1"]
    )
    assert result.exit_code == 0, result.output
    for label in ("every signature checked", "BLS signature checks", "Ed25519", "attestations", "state root"):
        assert label in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "100"], "--validators must be at least 1024"),
        (["-m", "1"], "--accounts must be at least 2"),
        (["-r", "0"], "--runs must be at least 1"),
        (["-n", "4000001"], "--validators must be at most 4,000,000"),
        (["-m", "10000000"], "--accounts must be at most 4,000,000"),
        (["-n", "1024", "-m", "10", "--transfers", "20"], "raise --accounts or lower --transfers"),
        (["-n", "1024", "-m", "100", "--transfers", "8", "--exits", "17"], "MAX_VOLUNTARY_EXITS"),
        (["-n", "1024", "-m", "100", "--transfers", "-1"], "cannot be negative"),
    ],
)
def test_bench_block__bad_arguments__clear_error_and_status_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["bench", "block", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_block_workload__cross_epoch__the_block_runs_the_epoch_and_every_phase_is_timed() -> None:
    workload = build_block_workload(1024, 20, transfers=4, deposits=1, exits=1, cross_epoch=True)
    p = workload.pre_state.preset
    assert workload.block.message.slot % p.SLOTS_PER_EPOCH == 0
    result = run_block_bench(workload, 1)
    medians = result.medians_ms()
    assert set(PHASES) <= {k.removesuffix("_ms") for k in medians}
    assert all(len(values) == 1 for values in result.phases.values())


def test_block_workload__tampered_aggregate__the_bench_refuses_to_time_it() -> None:
    import msgspec

    workload = build_block_workload(1024, 10, transfers=1, deposits=0, exits=0)
    block = workload.block.message
    att = block.body.attestations[0]
    forged = msgspec.structs.replace(att, signature=block.body.randao_reveal)
    body = msgspec.structs.replace(block.body, attestations=[forged])
    workload.block = msgspec.structs.replace(workload.block, message=msgspec.structs.replace(block, body=body))
    with pytest.raises(Exception, match="signature"):
        run_block_bench(workload, 1)


def test_block_workload__more_senders_than_accounts__bench_error() -> None:
    with pytest.raises(BenchError, match="sending accounts"):
        build_block_workload(1024, 3, transfers=3, deposits=1)
