"""The registry of built-in figures: one source for the chain and route defaults, each figure with its unit,
source, date and meaning, and replaceable from a TOML or JSON file without editing code."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from stakework.risk.chains import CHAINS, get_chain
from stakework.risk.figures import FIGURES, FiguresError, check_figures, figure_records, load_figures, use_figures
from stakework.risk.routes import routes_for
from stakework.risk.scenario import build_scenario

NOT_FIGURES = {
    "coin", "name", "as_of", "drift", "halt_fraction", "control_fraction", "staked_growth_per_year",
    "bonded_ratio_drift_per_year", "solo_withdrawal_credentials",
}  # fmt: skip
"""Chain fields that are names, user choices or consensus thresholds, not market or chain figures."""


def test_registry__every_figure__has_unit_source_date_and_meaning() -> None:
    assert len(FIGURES) > 100
    for fig in FIGURES.values():
        assert fig.unit and fig.source and fig.meaning, fig.name
        assert re.fullmatch(r"20\d\d(-[01]\d)?", fig.date), fig.name


@pytest.mark.parametrize("coin", list(CHAINS))
def test_chain_defaults__every_figure_field__comes_from_the_registry(coin: str) -> None:
    chain = CHAINS[coin]
    for field in dataclasses.fields(chain):
        if field.name in NOT_FIGURES:
            continue
        name = f"{coin}.{field.name}"
        assert name in FIGURES, f"{name} has no registry entry (source, date)"
        assert getattr(chain, field.name) == FIGURES[name].value


def test_route_defaults__numbers__come_from_the_registry() -> None:
    liquid = routes_for(get_chain("ETH"))["liquid"]
    assert liquid.fee == FIGURES["ETH.routes.liquid.fee"].value
    depeg = {h.name: h for h in liquid.hazards}["depeg"]
    assert depeg.rate_per_year == FIGURES["hazards.depeg.rate_per_year"].value
    assert depeg.duration_days == FIGURES["hazards.depeg.duration_days"].value


def test_use_figures__replacements__reach_chains_routes_and_hazards_then_revert() -> None:
    values = {
        "ETH.price_usd": 3100,
        "ETH.routes.liquid.fee": 0.05,
        "hazards.depeg.rate_per_year": 0.3,
        "routes.socialised_share": 0.1,
    }
    with use_figures(values):
        chain = get_chain("ETH")
        assert chain.price_usd == 3100.0
        liquid = routes_for(chain)["liquid"]
        assert liquid.fee == 0.05
        hazards = {h.name: h for h in liquid.hazards}
        assert hazards["depeg"].rate_per_year == 0.3
        slash = {h.name: h for h in chain.slashing_hazards()}["slashing"]
        assert hazards["slashing"].loss_max == pytest.approx(slash.loss_max * 0.1)
        assert get_chain("SOL").price_usd == FIGURES["SOL.price_usd"].value  # other coins untouched
    assert get_chain("ETH").price_usd == FIGURES["ETH.price_usd"].value
    assert routes_for(get_chain("ETH"))["liquid"].fee == FIGURES["ETH.routes.liquid.fee"].value


def test_use_figures__config_and_set__still_win() -> None:
    with use_figures({"ETH.total_staked": 30e6}):
        assert build_scenario("ETH", {"run": {"amount": 32}}).chain.total_staked == 30e6
        tree = {"run": {"amount": 32}, "chain": {"total_staked": 40e6}}
        assert build_scenario("ETH", tree).chain.total_staked == 40e6


def test_load_figures__toml_dotted_quoted_and_json_nested__all_read(tmp_path: Path) -> None:
    toml = tmp_path / "f.toml"
    toml.write_text('"ETH.price_usd" = 3100\nATOM.block_time_s = 6.3\n[POL]\nwithdrawal_delay_checkpoints = 82\n')
    assert load_figures(toml) == {
        "ETH.price_usd": 3100.0,
        "ATOM.block_time_s": 6.3,
        "POL.withdrawal_delay_checkpoints": 82,
    }
    js = tmp_path / "f.json"
    js.write_text(json.dumps({"SOL": {"price_usd": 150}, "hazards.hack.rate_per_year": 0.01}))
    assert load_figures(js) == {"SOL.price_usd": 150.0, "hazards.hack.rate_per_year": 0.01}


def test_load_figures__unknown_name__refused_with_the_known_ones(tmp_path: Path) -> None:
    f = tmp_path / "f.toml"
    f.write_text('"ETH.price_usdd" = 3100\n')
    with pytest.raises(FiguresError, match=r"unknown figure 'ETH.price_usdd' \(did you mean ETH.price_usd") as info:
        load_figures(f)
    assert "ATOM.block_time_s" in str(info.value) and "hazards.hack.rate_per_year" in str(info.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ETH.price_usd": "cheap"}, r"figure 'ETH.price_usd': expected a number, got 'cheap'"),
        ({"ETH.price_usd": True}, r"figure 'ETH.price_usd': expected a number"),
        ({"POL.withdrawal_delay_checkpoints": 80.5}, r"'POL.withdrawal_delay_checkpoints': expected an integer"),
        ({"ADA.k": "500"}, r"figure 'ADA.k': expected an integer"),
    ],
)
def test_check_figures__wrong_type__refused_naming_the_figure(values: dict[str, object], message: str) -> None:
    with pytest.raises(FiguresError, match=message):
        check_figures(values)


def test_load_figures__missing_or_malformed_file__clear_error(tmp_path: Path) -> None:
    with pytest.raises(FiguresError, match="not found"):
        load_figures(tmp_path / "none.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(FiguresError, match="JSON object"):
        load_figures(bad)


def test_figure_records__show_the_value_in_effect_and_the_builtin() -> None:
    with use_figures({"ETH.price_usd": 2500}):
        rec = {r["name"]: r for r in figure_records()}["ETH.price_usd"]
    assert rec["value"] == 2500.0 and rec["builtin"] == FIGURES["ETH.price_usd"].value
    assert rec["date"] == "2025-11" and rec["unit"] == "USD"
