"""One registry of the analyzer's built-in market and chain figures, each with its unit, source, date and
meaning: the chain presets' defaults and the routes' and hazards' defaults are read from here, so a figure is
written once. `stakework risk figures` lists them (`--json` too); `--figures FILE` (TOML or JSON: a table of
name = value) replaces any of them for one run without editing code.

Names: `<COIN>.<chain field>` (a field of that chain's preset, see docs/chains.md),
`<COIN>.routes.<route>.<field>` (a route default), `hazards.<hazard>.<field>` (the shared route hazards) and
`routes.<constant>` (constants of the route defaults). Protocol constants read from
`stakework.spec.presets.MAINNET` (Ethereum) are not figures: they are the spec.

Dates are when the figure was taken (market figures) or when the rule took effect (protocol parameters).
Market figures are approximate public values of November 2025: check them before relying on a result."""

from __future__ import annotations

import contextvars
import difflib
import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from stakework.risk.errors import ConfigError

Value = float | int | str
"""A figure's value: a number (float), a count (int) or a word (str)."""


class FiguresError(ConfigError):
    """A figures file cannot be read, names an unknown figure or gives a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One built-in figure."""

    name: str
    """Registry name, e.g. `ETH.total_staked`."""
    value: Value
    """Built-in value."""
    unit: str
    """Unit (`ETH`, `USD`, `/yr` for a yearly fraction, `fraction`, `days`, ...)."""
    source: str
    """Where it comes from (a specification, an explorer, a governance proposal, or "assumption")."""
    date: str
    """When it was taken or took effect (YYYY-MM)."""
    meaning: str
    """What it is, in a few words."""

    @property
    def kind(self) -> str:
        """`number`, `integer` or `text`: the type a replacement must have."""
        if isinstance(self.value, str):
            return "text"
        if isinstance(self.value, int):
            return "integer"
        return "number"


M = "2025-11"
"""Date of the market and network figures."""
APPROX = "approximate"


def _f(name: str, value: Value, unit: str, source: str, date: str, meaning: str) -> Figure:
    return Figure(name=name, value=value, unit=unit, source=source, date=date, meaning=meaning)


def _market(coin: str, price: float, vol: float, staked: float, supply: float, src: str) -> list[Figure]:
    return [
        _f(f"{coin}.price_usd", price, "USD", f"CoinGecko / CoinMarketCap, {APPROX}", M, "starting price"),
        _f(f"{coin}.volatility", vol, "/yr", f"annualized σ of daily log returns 2023–2025, {APPROX}", M,
           "price volatility (GBM σ)"),
        _f(f"{coin}.total_staked", staked, coin, src, M, "tokens staked network-wide"),
        _f(f"{coin}.total_supply", supply, coin, src, M, "tokens in existence (for the staked ratio)"),
    ]  # fmt: skip


def _network(coin: str, nodes: float, watts: float, tx: float, solo_min: float, solo_cost: float,
             src: str) -> list[Figure]:  # fmt: skip
    return [
        _f(f"{coin}.node_count", nodes, "nodes", src, M, "physical nodes running the network"),
        _f(f"{coin}.node_power_w", watts, "W", src, M, "average power of one node"),
        _f(f"{coin}.tx_per_day", tx, "tx/day", f"block explorers, {APPROX}", M, "user transactions per day"),
        _f(f"{coin}.min_solo_stake", solo_min, coin, src, M, "smallest stake to run a validator oneself"),
        _f(f"{coin}.solo_running_cost_usd_per_year", solo_cost, "USD/yr", f"hardware, bandwidth, power, {APPROX}",
           M, "cost of running one validator node"),
    ]  # fmt: skip


def _route(coin: str, route: str, source: str, **fields: float) -> list[Figure]:
    meanings = {
        "fee": ("fraction", "share of rewards the operator, protocol or exchange takes"),
        "uptime": ("fraction", "share of duties done (rewards earned)"),
        "discount": ("fraction", "everyday market discount of the token when sold"),
        "redeem_share": ("fraction", "chance the protocol's buffer redeems at full value at once"),
        "exit_extra_days": ("days", "days the route adds to the exit (processing)"),
    }
    out = []
    for field, value in fields.items():
        unit, meaning = meanings[field]
        out.append(_f(f"{coin}.routes.{route}.{field}", value, unit, source, M, meaning))
    return out


_BUILTIN: list[Figure] = [
    # -- Ethereum ------------------------------------------------------------------------------------------------
    *_market("ETH", 3000.0, 0.65, 35.0e6, 120.7e6, "beaconcha.in, validatorqueue.com, ultrasound.money"),
    *_network("ETH", 11_000.0, 200.0, 1.5e6, 32.0, 600.0,
              "ethernodes.org; CCRI 'The Merge' energy report; MIN_ACTIVATION_BALANCE"),
    _f("ETH.participation", 0.99, "fraction", "beaconcha.in network participation", M,
       "share of stake attesting correctly each epoch"),
    _f("ETH.el_yield", 0.003, "/yr", f"priority fees + MEV to proposers 0.2–0.4 %/yr, {APPROX}", M,
       "execution-layer yield on stake"),
    _f("ETH.exit_queue_min_eth", 0.0, "ETH", "validatorqueue.com", M, "smallest exit-queue backlog ahead of you"),
    _f("ETH.exit_queue_max_eth", 2.5e6, "ETH", "validatorqueue.com: peak ≈ 2.5 M ETH (> 40 days), Sept 2025",
       "2025-09", "largest exit-queue backlog ahead of you"),
    _f("ETH.entry_queue_eth", 0.5e6, "ETH", f"validatorqueue.com, {APPROX} (varies widely)", M,
       "activation-queue backlog when you deposit"),
    _f("ETH.avg_effective_balance_eth", 33.0, "ETH", "≈ 1.06 M validators for 35 M ETH (beaconcha.in)", M,
       "average effective balance (withdrawal sweep length)"),
    _f("ETH.isolated_slashing_rate", 0.0002, "/validator-yr",
       "beaconcha.in: ≈ 450 slashings over ≈ 2–3 M validator-years since 2020", M, "isolated slashings"),
    _f("ETH.mass_slashing_rate", 0.00005, "/validator-yr", "assumption: no mass slashing so far", M,
       "being caught in a correlated mass slashing"),
    _f("ETH.mass_slashed_share_min", 0.01, "fraction", "assumption", M, "smallest share of stake slashed together"),
    _f("ETH.mass_slashed_share_max", 0.10, "fraction", "assumption", M, "largest share of stake slashed together"),
    _f("ETH.burn_eth_per_year", 100_000.0, "ETH/yr",
       "ultrasound.money: base-fee burn fell to ≈ 100–300 ETH/day after Dencun (supply +0.5 %/yr to Apr 2025)",
       M, "ETH burned by EIP-1559 (net issuance = issuance − burn)"),
    *_route("ETH", "solo", "home staker uptime, beaconcha.in rated validators", uptime=0.97),
    *_route("ETH", "pool", "Rocket Pool rETH commission ≈ 14 %; rETH/ETH market vs exchange rate; deposit pool "
            "depth (assumption for redeem_share)", fee=0.14, uptime=0.99, discount=0.001, redeem_share=0.8),
    *_route("ETH", "liquid", "Lido fee 10 % of rewards; Curve stETH/ETH", fee=0.10, uptime=0.99, discount=0.0005),
    *_route("ETH", "exchange", "Coinbase ≈ 25 % commission", fee=0.25, uptime=0.99, exit_extra_days=1.0),
    # -- Cosmos Hub ----------------------------------------------------------------------------------------------
    *_market("ATOM", 2.6, 0.80, 3.14e8, 4.9e8, "Mintscan; forum.cosmos.network (bonded ≈ 63.8 %)"),
    *_network("ATOM", 600.0, 300.0, 40_000.0, 60_000.0, 6_000.0, "Mintscan (stake of the 180th validator)"),
    _f("ATOM.inflation", 0.10, "/yr", "Mintscan: Hub at its ceiling (bonded below goal)", M, "current inflation"),
    _f("ATOM.inflation_min", 0.07, "/yr", "Hub x/mint params; forum 'Optimized dynamic inflation'", "2025",
       "x/mint InflationMin"),
    _f("ATOM.inflation_max", 0.10, "/yr", "Hub proposal 848 (lowered from the SDK's 0.20)", "2023-12",
       "x/mint InflationMax"),
    _f("ATOM.inflation_rate_change", 1.0, "/yr", "Hub proposal 48", "2021", "x/mint InflationRateChange"),
    _f("ATOM.goal_bonded", 0.67, "fraction", "Hub x/mint params", "2019-03", "x/mint GoalBonded"),
    _f("ATOM.community_tax", 0.02, "fraction", "Hub proposal 996 (back to 2 %)", "2025",
       "x/distribution community_tax"),
    _f("ATOM.fee_yield", 0.0, "/yr", "fees are negligible next to inflation", M, "fees to stakers"),
    _f("ATOM.blocks_per_year", 4_360_000.0, "blocks", "Hub proposal 30 (from 4,855,015; passed 2020-11-18)", "2020-11",
       "x/mint BlocksPerYear"),
    _f("ATOM.block_time_s", 6.0, "s", f"Mintscan cosmoshub-4 average block time, {APPROX}", M,
       "actual block time (realised minting = nominal × 365.25 d / block time / BlocksPerYear)"),
    _f("ATOM.restake_fee", 0.005, "ATOM", f"≈ 300,000 gas at the Hub's 0.005 uatom minimum gas price, {APPROX}", M,
       "fee to claim rewards and delegate them again"),
    _f("ATOM.unbonding_days", 21.0, "days", "x/staking UnbondingTime on the Hub", "2019-03", "unbonding period"),
    _f("ATOM.slash_fraction_double_sign", 0.05, "fraction", "x/slashing params on the Hub", "2019-03",
       "SlashFractionDoubleSign"),
    _f("ATOM.slash_fraction_downtime", 0.0001, "fraction", "x/slashing params on the Hub", "2019-03",
       "SlashFractionDowntime"),
    _f("ATOM.double_sign_rate", 0.001, "/validator-yr", "assumption (rare double signs)", M, "double-sign rate"),
    _f("ATOM.downtime_rate", 0.05, "/validator-yr", "assumption (occasional downtime jails)", M, "downtime rate"),
    *_route("ATOM", "solo", "active-set validators' uptime (Mintscan)", uptime=0.99),
    *_route("ATOM", "pool", "median Hub validator commission 5 %", fee=0.05, uptime=0.99),
    *_route("ATOM", "liquid", "Stride stATOM fee 10 %", fee=0.10, uptime=0.99, discount=0.002),
    *_route("ATOM", "exchange", "exchange commissions ≈ 20 %", fee=0.20, uptime=0.99, exit_extra_days=1.0),
    # -- Cardano -------------------------------------------------------------------------------------------------
    *_market("ADA", 0.45, 0.75, 2.15e10, 3.8e10, "adastat / cexplorer (≈ 57 % delegated)"),
    *_network("ADA", 3_000.0, 100.0, 60_000.0, 500.0, 3_000.0, "pooltool / adastat, approximate"),
    _f("ADA.reserve", 7.0e9, "ADA", f"adastat / cexplorer (45 bn max − circulation), {APPROX}", M, "ADA in reserve"),
    _f("ADA.rho", 0.003, "/epoch", "Cardano protocol parameters (Shelley)", "2020-07", "monetary expansion ρ"),
    _f("ADA.tau", 0.2, "fraction", "Cardano protocol parameters (Shelley)", "2020-07", "treasury cut τ"),
    _f("ADA.k", 500, "pools", "Cardano protocol parameters (k raised from 150)", "2020-12", "desired pool count"),
    _f("ADA.a0", 0.3, "fraction", "Cardano protocol parameters (Shelley)", "2020-07", "pledge influence a0"),
    _f("ADA.fees_per_epoch", 100_000.0, "ADA/epoch", f"cexplorer, {APPROX}", M, "fees into the reward pot"),
    _f("ADA.epoch_days", 5.0, "days", "432,000 one-second slots", "2020-07", "epoch length"),
    _f("ADA.pool_cost", 170.0, "ADA/epoch", "protocol minPoolCost (lowered from 340)", "2024",
       "fixed cost a pool takes"),
    _f("ADA.pool_saturation_share", 0.8, "fraction", "assumption: a typical well-run pool", M,
       "size of your pool over saturation"),
    _f("ADA.pool_pledge", 1.0e6, "ADA", "assumption: a typical well-run pool", M, "pledge of your pool"),
    _f("ADA.performance", 1.0, "fraction", "assumption", M, "apparent performance of your pool"),
    _f("ADA.reward_start_days", 15.0, "days", "Cardano docs: rewards after the second epoch boundary", "2020-07",
       "days until rewards start"),
    *_route("ADA", "solo", "assumption", uptime=0.98),
    *_route("ADA", "pool", "typical pool margin 2 %", fee=0.02, uptime=1.0),
    *_route("ADA", "exchange", "exchange commissions ≈ 20 %", fee=0.20, uptime=1.0, exit_extra_days=1.0),
    # -- Solana --------------------------------------------------------------------------------------------------
    *_market("SOL", 140.0, 0.80, 4.1e8, 6.1e8, "Solana Beach / Solscan"),
    *_network("SOL", 1_000.0, 600.0, 4.0e7, 1.0, 40_000.0, "Solana Beach (server + ≈ 1 SOL/day of votes)"),
    _f("SOL.initial_inflation", 0.08, "/yr", "solana-sdk Inflation::default()", "2021-02", "Inflation::initial"),
    _f("SOL.taper", 0.15, "/yr", "solana-sdk Inflation::default()", "2021-02", "Inflation::taper"),
    _f("SOL.terminal_inflation", 0.015, "/yr", "solana-sdk Inflation::default()", "2021-02", "Inflation::terminal"),
    _f("SOL.years_since_start", 3.9, "slot-years", "calibrated to ≈ 4.2 % inflation reported late 2025", M,
       "slot years since inflation started (epoch 150)"),
    _f("SOL.mev_yield", 0.006, "/yr", f"Jito tips to stakers 0.5–1 %/yr, {APPROX}", M, "block-engine tips"),
    _f("SOL.epoch_days", 2.0, "days", "432,000 slots × 400 ms", "2020-03", "epoch length"),
    _f("SOL.warmup_cooldown_rate", 0.09, "/epoch",
       "stake program NEW_WARMUP_COOLDOWN_RATE (feature reduce_stake_warmup_cooldown; was 0.25)", "2024",
       "share of effective stake that may (de)activate per epoch"),
    _f("SOL.deactivating_share_min", 0.0, "fraction", "assumption", M, "least stake deactivating with you"),
    _f("SOL.deactivating_share_max", 0.02, "fraction", "assumption", M, "most stake deactivating with you"),
    *_route("SOL", "solo", "assumption", uptime=0.98),
    *_route("SOL", "pool", "median validator commission 5 %", fee=0.05, uptime=0.99),
    *_route("SOL", "liquid", "Jito JitoSOL fee 4 %", fee=0.04, uptime=0.99, discount=0.001),
    *_route("SOL", "exchange", "exchange commissions ≈ 25 %", fee=0.25, uptime=0.99, exit_extra_days=1.0),
    # -- Polygon PoS ---------------------------------------------------------------------------------------------
    *_market("POL", 0.20, 0.85, 3.0e9, 1.05e10, "staking.polygon.technology"),
    *_network("POL", 105.0, 500.0, 4.0e6, 1.0e6, 12_000.0, "staking.polygon.technology (slots auctioned)"),
    _f("POL.validator_emission_of_supply", 0.01, "/yr", "POL tokenomics (PIP-17/PIP-26): 1 % to validators",
       "2024-09", "yearly emission to validators"),
    _f("POL.treasury_emission_of_supply", 0.01, "/yr", "POL tokenomics (PIP-17/PIP-26): 1 % to the treasury",
       "2024-09", "yearly emission to the community treasury"),
    _f("POL.restake_fee", 2.5, "POL", f"ValidatorShare.restake ≈ 150,000 gas at ≈ 1 gwei on Ethereum, {APPROX}", M,
       "fee to claim and re-stake rewards"),
    _f("POL.checkpoint_interval_minutes", 60.0, "minutes", f"Polygon checkpoints on Ethereum, {APPROX}", M,
       "time between checkpoints"),
    _f("POL.withdrawal_delay_checkpoints", 80, "checkpoints", "StakeManager withdrawalDelay", "2020",
       "checkpoints between unbonding and claiming"),
    _f("POL.fee_yield", 0.002, "/yr", f"priority fees, {APPROX}", M, "fees to stakers"),
    _f("POL.double_sign_rate", 0.0005, "/validator-yr", "assumption (none large so far)", M, "slashing rate"),
    _f("POL.slash_fraction", 0.05, "fraction", "assumption", M, "share slashed for double signing"),
    *_route("POL", "solo", "assumption", uptime=0.99),
    *_route("POL", "pool", "typical validator commission 10 %", fee=0.10, uptime=0.99),
    *_route("POL", "liquid", "Stader MaticX fee 10 %", fee=0.10, uptime=0.99, discount=0.005),
    *_route("POL", "exchange", "exchange commissions ≈ 20 %", fee=0.20, uptime=0.99, exit_extra_days=1.0),
    # -- shared route hazards and constants ----------------------------------------------------------------------
    _f("hazards.hack.rate_per_year", 0.002, "/yr", "assumption: no large LST contract drained to date", M,
       "smart-contract exploit rate"),
    _f("hazards.hack.loss_min", 0.1, "fraction", "assumption", M, "smallest exploit loss"),
    _f("hazards.hack.loss_max", 1.0, "fraction", "assumption", M, "largest exploit loss"),
    _f("hazards.depeg.rate_per_year", 0.15, "/yr", "stETH/ETH history: a deep depeg in 2022, small dips most years",
       M, "depeg rate"),
    _f("hazards.depeg.loss_min", 0.02, "fraction", "stETH/ETH history", M, "smallest depeg discount"),
    _f("hazards.depeg.loss_max", 0.07, "fraction", "June 2022: stETH ≈ 0.93 ETH for weeks", "2022-06",
       "largest depeg discount"),
    _f("hazards.depeg.duration_days", 30.0, "days", "June–July 2022 stETH recovery", "2022-06",
       "days for a depeg to recover"),
    _f("hazards.custodial_failure.rate_per_year", 0.005, "/yr", "Mt. Gox 2014, QuadrigaCX 2019, FTX 2022: assumption",
       M, "exchange failure rate"),
    _f("hazards.custodial_failure.loss_min", 0.3, "fraction", "assumption", M, "smallest loss in a failure"),
    _f("hazards.custodial_failure.loss_max", 1.0, "fraction", "assumption", M, "largest loss in a failure"),
    _f("routes.socialised_share", 0.05, "fraction", "assumption: one operator's share of a large LST", M,
       "share of an operator's slashing a liquid-token holder bears"),
    _f("routes.reth_bond_share", 0.25, "fraction", "Rocket Pool LEB8 minipools: 8 of 32 ETH bonded (Atlas)",
       "2023-04", "share of a validator the operator's bond covers first"),
]  # fmt: skip

FIGURES: Mapping[str, Figure] = MappingProxyType({f.name: f for f in _BUILTIN})
"""Every built-in figure by name."""

_ACTIVE: contextvars.ContextVar[Mapping[str, Value]] = contextvars.ContextVar(
    "stakework_risk_figures", default=MappingProxyType({})
)


def builtin_number(name: str) -> float:
    """The built-in value of a number figure (for dataclass defaults, fixed at import)."""
    return float(FIGURES[name].value)


def builtin_integer(name: str) -> int:
    """The built-in value of an integer figure."""
    return int(FIGURES[name].value)


def value(name: str) -> Value:
    """The figure's value in effect: the replacement from `use_figures` if any, else the built-in one."""
    active = _ACTIVE.get()
    return active[name] if name in active else FIGURES[name].value


def number(name: str) -> float:
    """A number figure's value in effect."""
    return float(value(name))


def replaced(prefix: str) -> dict[str, Value]:
    """The replacements in effect whose names start with `prefix` (e.g. `ETH.`), keyed by the rest."""
    return {k[len(prefix) :]: v for k, v in _ACTIVE.get().items() if k.startswith(prefix)}


@contextmanager
def use_figures(values: Mapping[str, Value]) -> Iterator[None]:
    """Within the block, the chain presets (`get_chain`) and route defaults (`routes_for`) use `values` (as
    returned by `check_figures` or `load_figures`) in place of the built-in figures."""
    token = _ACTIVE.set(MappingProxyType(check_figures(values)))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in tree.items():
        name = f"{prefix}{key}"
        if isinstance(val, Mapping):
            out.update(_flatten(val, name + "."))
        else:
            out[name] = val
    return out


def check_figures(values: Mapping[str, Any]) -> dict[str, Value]:
    """Validate replacements: every name must be a known figure and every value of its type (a number for a
    number figure; an integer for an integer figure). Nested tables are flattened with dots (TOML's
    `ETH.price_usd = 3100` is `{"ETH": {"price_usd": 3100}}`). Raises FiguresError naming the figure."""
    flat = _flatten(values)
    out: dict[str, Value] = {}
    for name, val in flat.items():
        if name not in FIGURES:
            close = difflib.get_close_matches(name, list(FIGURES), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise FiguresError(
                f"unknown figure {name!r}{hint}; known figures (see `stakework risk figures`): {', '.join(FIGURES)}"
            )
        kind = FIGURES[name].kind
        if kind == "text":
            if not isinstance(val, str):
                raise FiguresError(f"figure {name!r}: expected text, got {val!r}")
            out[name] = val
        elif kind == "integer":
            if isinstance(val, bool) or not (isinstance(val, int) or (isinstance(val, float) and val.is_integer())):
                raise FiguresError(f"figure {name!r}: expected an integer, got {val!r}")
            out[name] = int(val)
        else:
            if isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val):
                raise FiguresError(f"figure {name!r}: expected a number, got {val!r}")
            out[name] = float(val)
    return out


def load_figures(path: str | Path) -> dict[str, Value]:
    """Read replacements from a TOML file (`"ETH.price_usd" = 3100` or `[ETH]` tables) or, when the name ends in
    `.json`, a JSON object (flat names or nested objects); checked by `check_figures`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FiguresError(f"figures file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FiguresError(f"cannot read figures file {str(p)!r}: {exc}") from None
    data: Any
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FiguresError(f"figures file {str(p)!r} is not valid JSON: {exc}") from None
        except RecursionError:
            raise FiguresError(f"figures file {str(p)!r}: JSON nested too deep to read") from None
        if not isinstance(data, dict):
            raise FiguresError(f"figures file {str(p)!r} must hold a JSON object of name: value")
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FiguresError(f"figures file {str(p)!r} is not valid TOML: {exc}") from None
        except RecursionError:
            raise FiguresError(f"figures file {str(p)!r}: TOML nested too deep to read") from None
    return check_figures(data)


def figure_records() -> list[dict[str, Value]]:
    """Every figure as a plain record (name, value in effect, built-in value, unit, source, date, meaning)."""
    return [
        {
            "name": f.name,
            "value": value(f.name),
            "builtin": f.value,
            "unit": f.unit,
            "source": f.source,
            "date": f.date,
            "meaning": f.meaning,
        }
        for f in FIGURES.values()
    ]
