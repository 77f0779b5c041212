"""The systemic scenario (`stakework simulate --scenario systemic`): a slashing of the liquid module's validators
spreads through the AMM and the lending module to the safety module, on the real chain, through the modules'
messages, with every module invariant checked each epoch."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stakework.cli.main import app
from stakework.sim.driver import ModuleInvariantError, ScenarioError
from stakework.sim.scenarios import scenario_config
from stakework.sim.systemic import (
    PRICE_SCALE,
    Systemic,
    SystemicConfig,
    SystemicResult,
    run_systemic,
    systemic_genesis,
)
from stakework.spec.types import GWEI_PER_SWK
from stakework.transition.modules import module_address

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


@pytest.fixture(scope="module")
def default_run() -> SystemicResult:
    return run_systemic(SystemicConfig())


def test_systemic__default_settings__the_chain_of_events_happens_in_order(default_run: SystemicResult) -> None:
    cfg = default_run.config
    ev = default_run.events
    assert set(ev) == {"slashing", "sale", "depeg", "liquidation", "correlation_penalty", "bad_debt", "cover"}
    assert ev["slashing"] == ev["sale"] == cfg.slash_epoch  # holders sell as the slashing is seen
    assert ev["slashing"] <= ev["depeg"] < ev["liquidation"] <= ev["bad_debt"] <= ev["cover"]
    by_epoch = {r.epoch: r for r in default_run.records}
    # the slashing lowers stSWK's exchange rate (the correlation penalty, half way through the slashings window)
    penalty = by_epoch[ev["correlation_penalty"]]
    assert penalty.share_price < by_epoch[ev["correlation_penalty"] - 1].share_price * 0.97
    # the pool sells stSWK below the rate: its discount grows past the depeg mark while the holders sell
    depeg = by_epoch[ev["depeg"]]
    assert depeg.amm_price * 100 < depeg.share_price * 99
    # the oracle follows the pool's time-weighted price down, so positions fall below a health factor of 1
    liquidation = by_epoch[ev["liquidation"]]
    assert liquidation.oracle_price < liquidation.share_price
    assert liquidation.oracle_price < by_epoch[ev["slashing"] - 1].oracle_price * 0.97
    assert min(r.min_health for r in default_run.records) < PRICE_SCALE
    # liquidators repay SWK for stSWK and sell it on the AMM
    assert liquidation.repaid > 0 and liquidation.seized > 0 and liquidation.liquidator_sold_for > 0
    # bad debt is written off and the safety module's vault is slashed to cover it
    last = default_run.records[-1]
    assert last.bad_debt > 0 and last.covered > 0
    assert last.safety_assets == cfg.safety_stake * GWEI_PER_SWK - last.covered
    summary = default_run.summary()
    assert summary["liquidations"] == sum(r.liquidations for r in default_run.records) > 0
    assert summary["min_amm_price"] < summary["share_price_before"]


def test_systemic__no_slashing__nobody_sells_and_nothing_is_liquidated() -> None:
    result = run_systemic(SystemicConfig(slashed=0, others_slashed=0))
    summary = result.summary()
    assert summary["slashed_validators"] == 0
    assert summary["sold_stswk"] == 0 and summary["liquidations"] == 0
    assert summary["bad_debt"] == 0 and summary["safety_module_slashed"] == 0
    assert summary["max_discount"] < 0.001  # the pool stays at the rate
    assert set(result.events) == set()
    healths = [r.min_health for r in result.records]
    assert min(healths) >= PRICE_SCALE  # every position stays healthy: interest alone does not sink them here


def test_systemic__other_validators_slashed__stswk_holders_do_not_sell() -> None:
    result = run_systemic(SystemicConfig(slashed=0, others_slashed=8, epochs=40))
    assert result.summary()["sold_stswk"] == 0
    assert "slashing" not in result.events  # the liquid module lost nothing at the slashing


def test_systemic__bad_debt__covered_by_the_safety_module_up_to_its_cap(default_run: SystemicResult) -> None:
    last = default_run.records[-1]
    # every Gwei of bad debt is either covered by a slashing of the safety module or still recorded as deficit
    assert last.bad_debt == last.covered + last.deficit
    assert last.covered == sum(amount for _, amount, _ in default_run.cover_slashes)
    for _, amount, cap in default_run.cover_slashes:
        assert 0 < amount <= cap


def test_systemic__small_safety_module__its_cap_binds_and_the_rest_stays_uncovered() -> None:
    result = run_systemic(SystemicConfig(safety_stake=4))
    last = result.records[-1]
    assert last.bad_debt > 0
    assert last.bad_debt == last.covered + last.deficit
    assert last.deficit > 0  # more bad debt than the vault may lose
    # each slashing took its cap (30 % of the vault then), no more
    assert result.cover_slashes and all(amount == cap for _, amount, cap in result.cover_slashes)
    assert last.covered < 4 * GWEI_PER_SWK


def test_systemic__same_seed__same_run() -> None:
    cfg = SystemicConfig(epochs=40, slash_epoch=20, seed=3)
    a, b = run_systemic(cfg), run_systemic(cfg)
    assert [dataclasses.astuple(r) for r in a.records] == [dataclasses.astuple(r) for r in b.records]
    assert all(isinstance(x, int) for r in a.records for x in dataclasses.astuple(r))


def test_systemic__module_account_short__the_check_stops_the_run() -> None:
    cfg = SystemicConfig()
    state = systemic_genesis(cfg)
    scenario = Systemic(cfg, state, np.random.default_rng(1))
    scenario.check(state)  # as set up: every account holds what its module says
    state.accounts.debit(module_address("amm"), 1)
    with pytest.raises(ModuleInvariantError, match="amm: the module account holds"):
        scenario.check(state)


def test_systemic__settings__typed_and_checked() -> None:
    cfg = scenario_config("systemic", {"slashed": "8", "miss_rate": "0.05"}, seed=2)
    assert isinstance(cfg, SystemicConfig)
    assert (cfg.slashed, cfg.miss_rate, cfg.seed) == (8, 0.05, 2)
    for settings, message in (
        ({"nope": "1"}, "no setting 'nope'"),
        ({"slashed": "many"}, "slashed='many' is not a valid int"),
        ({"slashed": "-1"}, "slashed must be 0 or more"),
        ({"sell_bps": "20000"}, "sell_bps is 0..10000"),
        ({"miss_rate": "nan"}, "miss_rate is between 0 and 1"),
        ({"epochs": "10"}, r"the run ends \(epochs=10\) before slash_epoch"),
        ({"ltv_spread_bps": "9300"}, "ltv_spread_bps must be below target_ltv_bps"),
        ({"target_ltv_bps": "9500"}, r"above the lending module's e-mode LTV \(9300 bps\)"),
    ):
        with pytest.raises(ScenarioError, match=message):
            scenario_config("systemic", settings)


# -- the command ------------------------------------------------------------------------------------------------


def test_cli_systemic__json_csv_and_png(tmp_path: Path) -> None:
    out, png = tmp_path / "run.csv", tmp_path / "run.png"
    res = runner.invoke(app, ["simulate", "--scenario", "systemic", "--json", "--csv", str(out), "--plot", str(png)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)  # the JSON object alone on stdout
    for key in ("min_amm_price", "liquidations", "bad_debt", "safety_module_slashed", "events"):
        assert key in summary
    assert summary["liquidations"] > 0 and summary["bad_debt"] > 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == summary["epochs"] and rows[0]["epoch"] == "0"
    assert int(rows[0]["share_price"]) == PRICE_SCALE and int(rows[0]["amm_price"]) == PRICE_SCALE
    assert sum(int(r["liquidations"]) for r in rows) == summary["liquidations"]
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000


def test_cli_systemic__table__shows_the_chain_of_events() -> None:
    res = runner.invoke(app, ["simulate", "--scenario", "systemic", "--every", "16"])
    assert res.exit_code == 0, res.output
    assert "systemic, per epoch" in res.output
    assert "chain of events: slashing (epoch 24)" in " ".join(res.output.split())
    assert "liquidations repaid" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "systemic", "--set", "speed=3"], "no setting 'speed'"),
        (["--scenario", "systemic", "--set", "sell_bps=-5"], "sell_bps is 0..10000"),
        (["--scenario", "pool-slashing", "--json"], "--json applies to --scenario systemic"),
        (["--json"], "--json applies to --scenario systemic"),
    ],
)
def test_cli_systemic__bad_input__exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["simulate", *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
