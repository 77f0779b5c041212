"""Overrides from TOML and --set: typed, nested, unknown keys named."""

from __future__ import annotations

from pathlib import Path

import pytest

from stakework.risk.chains import get_chain
from stakework.risk.config import apply_overrides, load_config, merge, parse_assignments
from stakework.risk.errors import ConfigError, InputValueError, UnknownRouteError
from stakework.risk.routes import routes_for
from stakework.risk.scenario import build_scenario


def test_set__dotted_keys__become_a_nested_tree() -> None:
    tree = parse_assignments(["chain.participation=0.95", "routes.liquid.fee=0.05", "run.paths=100"])
    assert tree == {"chain": {"participation": "0.95"}, "routes": {"liquid": {"fee": "0.05"}}, "run": {"paths": "100"}}


@pytest.mark.parametrize(("item", "message"), [("chain.x", "key=value"), ("bogus.x=1", "'bogus'")])
def test_set__malformed_or_unknown_section__error(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_assignments([item])


def test_route_override__hazard_by_name__changes_only_that_hazard() -> None:
    eth = get_chain("ETH")
    routes = routes_for(eth, {"liquid": {"fee": "0.05", "hazards": {"hack": {"rate_per_year": 0.01}}}})
    liquid = routes["liquid"]
    assert liquid.fee == 0.05
    hack = next(h for h in liquid.hazards if h.name == "hack")
    assert hack.rate_per_year == 0.01
    with pytest.raises(ConfigError, match=r"routes\.liquid\.hazards.*'hak'"):
        routes_for(eth, {"liquid": {"hazards": {"hak": {"rate_per_year": 0.01}}}})


def test_route_override__unknown_route_for_chain__error_lists_routes() -> None:
    with pytest.raises(ConfigError, match=r"routes\.liquid"):
        routes_for(get_chain("ADA"), {"liquid": {"fee": 0.1}})


def test_override__wrong_type_or_out_of_range__clear_error() -> None:
    with pytest.raises(ConfigError, match="expected a number"):
        apply_overrides(get_chain("ETH"), {"participation": "lots"}, "chain")
    with pytest.raises(InputValueError, match="fee must be between 0 and 1"):
        routes_for(get_chain("ETH"), {"pool": {"fee": 1.5}})


def test_config_file__all_tables__applied(tmp_path: Path) -> None:
    cfg = tmp_path / "risk.toml"
    cfg.write_text(
        "[chain]\ntotal_staked = 40e6\n[routes.liquid]\nfee = 0.08\n[price]\nvolatility = 0.5\n"
        "[run]\namount = 64\ndays = 30\npaths = 100\nseed = 3\n",
        encoding="utf-8",
    )
    scenario = build_scenario("ETH", merge({"run": {"paths": 5}}, load_config(cfg)), ["liquid"])
    assert scenario.chain.total_staked == 40e6
    assert scenario.chain.volatility == 0.5
    assert scenario.routes["liquid"].fee == 0.08
    assert scenario.config.amount == 64 and scenario.config.paths == 100
    assert list(scenario.routes) == ["liquid", "hold"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[chian]\nx = 1\n", "'chian'"),
        ("[run]\namount = 1\npats = 3\n", r"run\.pats"),
        ("[price]\nvolatilty = 0.3\n[run]\namount = 1\n", r"price\.volatilty"),
        ("[chain\n", "not valid TOML"),
    ],
)
def test_config_file__unknown_key__named_in_error(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        build_scenario("ETH", load_config(cfg), ["pool"])


def test_scenario__unknown_route__lists_routes() -> None:
    with pytest.raises(UnknownRouteError, match="solo, pool, liquid, exchange, hold"):
        build_scenario("ETH", {"run": {"amount": 1}}, ["staking"])


def test_scenario__compare_with_small_amount__skips_solo() -> None:
    scenario = build_scenario("ETH", {"run": {"amount": 1}})
    assert "solo" not in scenario.routes
    assert scenario.skipped == (("solo", 32.0),)


def test_scenario__price_csv__starts_at_last_close_unless_price_given(tmp_path: Path) -> None:
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("date,close\n2024-01-01,10\n2024-01-02,11\n2024-01-03,12.5\n", encoding="utf-8")
    base = {"run": {"amount": 1, "paths": 10, "seed": 1}}
    from_csv = build_scenario("SOL", merge(base, {"price": {"csv": str(csv_file)}}), ["pool"])
    assert from_csv.price_model.price0 == 12.5 and from_csv.price_source == "bootstrap p.csv"
    given = build_scenario("SOL", merge(base, {"price": {"csv": str(csv_file), "price_usd": 100}}), ["pool"])
    assert given.price_model.price0 == 100
    result = given.run()
    assert result.price0 == 100 and result.hold_final.shape == (10,)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"price": {"volatility": 0.3}}, "price.volatility"),
        ({"price": {"drift": 0.1}}, "price.drift"),
        ({"chain": {"volatility": 0.3}}, "chain.volatility"),
    ],
)
def test_price_csv__with_volatility_or_drift__refused_naming_the_setting(
    tmp_path: Path, extra: dict[str, dict[str, float]], named: str
) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("date,close\n2024-01-01,10\n2024-01-02,11\n2024-01-03,10.5\n", encoding="utf-8")
    tree = merge({"run": {"amount": 1, "paths": 10}, "price": {"csv": str(csv)}}, extra)
    with pytest.raises(ConfigError, match=rf"--price-csv .*{named}.* would not apply"):
        build_scenario("ETH", tree, ["pool"])


def test_price_csv__run_metadata__reports_no_gbm_setting_it_did_not_apply(tmp_path: Path) -> None:
    from stakework.risk.report.summary import run_metadata

    csv = tmp_path / "p.csv"
    csv.write_text("date,close\n2024-01-01,10\n2024-01-02,11\n2024-01-03,10.5\n2024-01-04,10.8\n", encoding="utf-8")
    tree = {"run": {"amount": 1, "paths": 200, "days": 30, "seed": 1}, "price": {"csv": str(csv)}}
    meta = run_metadata(build_scenario("ETH", tree, ["pool"]).run())
    assert meta["price_model"] == "bootstrap p.csv"
    assert meta["volatility"] is None and meta["drift"] is None
    assert meta["volatility_simulated"] > 0  # measured on the simulated paths
