"""Module scenarios (`stakework simulate --scenario`): the pool and the liquid module on the real chain, epoch by
epoch, with the withdrawal sweep and the module invariants after every epoch."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.sim import modules as sim_modules
from stakework.sim.exact import ScenarioError
from stakework.sim.modules import (
    MassExitConfig,
    MassExitResult,
    ModuleInvariantError,
    PoolSlashingConfig,
    PoolSlashingResult,
    run_mass_exit,
    run_pool_slashing,
    scenario_config,
)
from stakework.spec.presets import DEVNET
from stakework.spec.types import GWEI_PER_SWK

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


@pytest.fixture(scope="module")
def pool_run() -> PoolSlashingResult:
    return run_pool_slashing(PoolSlashingConfig())


@pytest.fixture(scope="module")
def exit_run() -> MassExitResult:
    return run_mass_exit(MassExitConfig(stakers=120))


# -- pool-slashing ----------------------------------------------------------------------------------------------


def test_pool_slashing__price_drops_at_the_slashing_and_again_at_the_correlation_penalty(
    pool_run: PoolSlashingResult,
) -> None:
    cfg = pool_run.config
    by_epoch = {r.epoch: r for r in pool_run.records}
    # rewards raise the price while the pool's validators are active, the slashing takes it down
    assert by_epoch[cfg.slash_epoch - 1].price > by_epoch[cfg.request_epoch].price > 10**9
    assert by_epoch[cfg.slash_epoch].price < by_epoch[cfg.slash_epoch - 1].price
    assert by_epoch[cfg.slash_epoch].slashing_penalty == cfg.slashed * DEVNET.MIN_ACTIVATION_BALANCE // 4096
    # the correlation penalty comes once, half way through the slashings window, and takes the price down again
    corr = [r.epoch for r in pool_run.records if r.correlation_penalty]
    assert corr == [cfg.slash_epoch + DEVNET.EPOCHS_PER_SLASHINGS_VECTOR // 2]
    at, before = by_epoch[corr[0]], by_epoch[corr[0] - 1]
    assert at.price < before.price
    # 3 x 128 SWK slashed against ~68 active validators: each slashed validator loses about 17.6% of 32 SWK
    slashed_balance = cfg.slashed * DEVNET.MIN_ACTIVATION_BALANCE
    assert 0.15 * slashed_balance < at.correlation_penalty < 0.20 * slashed_balance
    assert before.total_assets - at.total_assets >= at.correlation_penalty - GWEI_PER_SWK // 100
    # between the two drops the survivors keep earning
    assert by_epoch[corr[0] - 1].price > by_epoch[cfg.slash_epoch].price


def test_pool_slashing__the_early_request_is_paid_less_than_its_fixed_amount(pool_run: PoolSlashingResult) -> None:
    cfg = pool_run.config
    by_epoch = {r.epoch: r for r in pool_run.records}
    corr_epoch = cfg.slash_epoch + DEVNET.EPOCHS_PER_SLASHINGS_VECTOR // 2
    # half of delegator 0's shares, at the price of the request epoch (a little above 1 after rewards)
    half = cfg.deposit * GWEI_PER_SWK * cfg.request_bps // 10_000
    assert pool_run.request_amount == pytest.approx(half, rel=1e-4)
    assert by_epoch[cfg.request_epoch].request_amount == pool_run.request_amount
    final = pool_run.request_finalized_epoch
    assert final is not None and final > corr_epoch  # it waited for a slashed validator's withdrawal
    assert pool_run.request_paid < pool_run.request_amount
    # the discount is the loss shared pro rata: paid / amount follows the price since the request
    ratio = pool_run.request_paid / pool_run.request_amount
    price_ratio = by_epoch[final].price / by_epoch[cfg.request_epoch].price
    assert ratio == pytest.approx(price_ratio, rel=1e-4)
    # a delegator who never withdrew lost the same share of its position
    held = by_epoch[final].delegator_value / by_epoch[cfg.request_epoch].delegator_value
    assert ratio == pytest.approx(held, rel=1e-3)
    assert by_epoch[final].request_paid == pool_run.request_paid


def test_pool_slashing__the_module_never_pays_more_than_it_received(pool_run: PoolSlashingResult) -> None:
    for r in pool_run.records:
        assert 0 <= r.paid <= r.received
        # it holds its buffer (plus finalized, unclaimed payouts: equality is checked in the run every epoch) and
        # never more than came in less what went out
        assert r.buffer <= r.module_account <= r.received - r.paid
    last = pool_run.records[-1]
    assert last.paid == pool_run.request_paid  # the owner claimed it
    assert last.withdrawn == pool_run.config.slashed  # the slashed validators were withdrawn to the module


def test_pool_slashing__same_seed_same_run() -> None:
    cfg = PoolSlashingConfig(epochs=30, slash_epoch=20, seed=5)
    a = run_pool_slashing(cfg)
    b = run_pool_slashing(cfg)
    assert [dataclasses.astuple(r) for r in a.records] == [dataclasses.astuple(r) for r in b.records]
    assert all(isinstance(x, int) for r in a.records for x in dataclasses.astuple(r))


def test_pool_slashing__others_slashed__a_larger_correlation_penalty(pool_run: PoolSlashingResult) -> None:
    wider = run_pool_slashing(PoolSlashingConfig(others_slashed=8))
    corr = [r.correlation_penalty for r in wider.records if r.correlation_penalty]
    assert corr[0] > 2 * max(r.correlation_penalty for r in pool_run.records)


# -- mass-exit --------------------------------------------------------------------------------------------------


def test_mass_exit__every_request_is_finalized_in_fifo_order(exit_run: MassExitResult) -> None:
    ids = exit_run.request_ids
    assert len(ids) >= 90
    assert set(exit_run.finalized_epoch) == set(ids)  # every request finalized
    epochs = [exit_run.finalized_epoch[i] for i in sorted(ids)]
    assert epochs == sorted(epochs)  # FIFO: a later id is never finalized earlier
    assert exit_run.last_finalized_epoch == max(epochs) > exit_run.config.request_epoch
    last = exit_run.records[-1]
    assert last.unfinalized == 0 and last.queued == 0


def test_mass_exit__the_exit_churn_spreads_the_exits(exit_run: MassExitResult) -> None:
    per_epoch = Counter(exit_run.exit_epochs)
    assert len(per_epoch) >= 4  # several epochs
    churn = max(r.exit_churn for r in exit_run.records)
    assert max(per_epoch.values()) * DEVNET.MIN_ACTIVATION_BALANCE <= churn
    assert sum(r.exiting_now for r in exit_run.records) == len(exit_run.exit_epochs)
    # holders of most stSWK asked to leave
    before = next(r for r in exit_run.records if r.epoch == exit_run.config.request_epoch - 1)
    assert sum(exit_run.amount.values()) > before.pooled // 2


def test_mass_exit__the_queue_never_pays_more_than_it_holds(exit_run: MassExitResult) -> None:
    for rid, paid in exit_run.paid.items():
        assert 0 < paid <= exit_run.amount[rid]
    for r in exit_run.records:
        assert 0 <= r.paid <= r.received
        assert r.module_account >= r.reserved + r.buffer  # equal: checked inside the run every epoch
        assert r.finalized_amount <= sum(exit_run.amount.values())
    last = exit_run.records[-1]
    assert last.paid == sum(exit_run.paid.values())  # every owner claimed
    # no slashing here: nobody is paid less than promised, and the price only grows
    assert all(exit_run.paid[i] == exit_run.amount[i] for i in exit_run.request_ids)
    prices = [r.price for r in exit_run.records]
    assert prices == sorted(prices)


# -- checks and settings ----------------------------------------------------------------------------------------


def test_invariant_failure__stops_the_run_with_the_epoch_and_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim_modules, "check_invariants", lambda store, host: ["pool 1: books do not balance"])
    with pytest.raises(ModuleInvariantError, match=r"epoch 0: module invariants failed: pool 1: books do not"):
        run_pool_slashing(PoolSlashingConfig(epochs=3, request_epoch=1, slash_epoch=2))


def test_scenario_config__overrides_typed_and_checked() -> None:
    cfg = scenario_config("pool-slashing", {"slash_epoch": "20", "commission_bps": "500"}, seed=3)
    assert isinstance(cfg, PoolSlashingConfig)
    assert (cfg.slash_epoch, cfg.commission_bps, cfg.seed) == (20, 500, 3)
    assert scenario_config("mass-exit", {"claim": "no"}) == MassExitConfig(claim=False)
    with pytest.raises(ScenarioError, match="no setting 'nope'"):
        scenario_config("mass-exit", {"nope": "1"})
    with pytest.raises(ScenarioError, match="before the slashing"):
        scenario_config("pool-slashing", {"request_epoch": "30"})
    with pytest.raises(ScenarioError, match=r"ends \(epochs=20\) before request_epoch"):
        scenario_config("mass-exit", {"epochs": "20"})
    with pytest.raises(ScenarioError, match="unknown scenario"):
        scenario_config("bank-run")


# -- the command ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "settings", "words"),
    [
        ("pool-slashing", ["--set", "slash_epoch=16", "--set", "request_epoch=13"], ["correlation penalty", "paid"]),
        ("mass-exit", ["--set", "stakers=60"], ["last request was finalized", "exit churn"]),
    ],
)
def test_cli_scenario__table_csv_and_png(tmp_path: Path, name: str, settings: list[str], words: list[str]) -> None:
    out, png = tmp_path / "run.csv", tmp_path / "run.png"
    res = runner.invoke(
        app, ["simulate", "--scenario", name, *settings, "--every", "8", "--csv", str(out), "--plot", str(png)]
    )
    assert res.exit_code == 0, res.output
    assert "per epoch (amounts in SWK)" in res.output and "price" in res.output
    for word in words:
        assert word in res.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) >= 60 and rows[0]["epoch"] == "0" and int(rows[0]["price"]) == GWEI_PER_SWK
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000


def test_cli_scenario__epochs_and_validators_apply() -> None:
    res = runner.invoke(app, ["simulate", "--scenario", "mass-exit", "-n", "64", "-e", "30", "--set", "stakers=20"])
    assert res.exit_code == 0, res.output
    assert "64 genesis validators" in res.output and "30 epochs" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "bank-run"], "no such scenario; choose one of pool-slashing, mass-exit"),
        (["--scenario", "mass-exit", "--set", "stakers"], "expected KEY=VALUE"),
        (["--scenario", "mass-exit", "--set", "speed=3"], "no setting 'speed'"),
        (["--scenario", "pool-slashing", "--slash", "3@4"], "--slash applies to the default run"),
        (["--scenario", "mass-exit", "--epochs", "9", "--set", "epochs=3"], "both given"),
        (["--set", "stakers=3"], "--set applies to a --scenario"),
    ],
)
def test_cli_scenario__bad_input__exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["simulate", *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
