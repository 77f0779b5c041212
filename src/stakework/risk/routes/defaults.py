"""Default routes for each chain. Fees are typical public figures (docs/risk.md gives the sources); hazard
rates are assumptions stated there, meant to be overridden (`--set routes.liquid.hazards.hack.rate_per_year=..`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.risk.chains.base import ChainPreset
from stakework.risk.config import apply_overrides
from stakework.risk.errors import ConfigError, UnknownRouteError
from stakework.risk.figures import FIGURES, number
from stakework.risk.hazards import Hazard
from stakework.risk.routes.base import ROUTE_NAMES, Route


def _shared_hazard(name: str, **extra: Any) -> Hazard:
    """A shared route hazard from the figures in effect (`hazards.<name>.*` in `stakework.risk.figures`)."""
    prefix = f"hazards.{name}."
    fields: dict[str, Any] = {key[len(prefix) :]: number(key) for key in FIGURES if key.startswith(prefix)}
    return Hazard(name=name, source=FIGURES[prefix + "rate_per_year"].source, **fields, **extra)


# coin -> route name -> the default route's kind (label, exit, entry). Its numbers (fee, uptime, discount, ...)
# are the figures `<COIN>.routes.<route>.<field>` of `stakework.risk.figures`; hazards from the chain's slashing
# rule and the shared hazards are added below.
_TABLE: dict[str, dict[str, dict[str, Any]]] = {
    "ETH": {
        "solo": {"label": "solo validator (32 ETH)", "exit": "protocol"},
        "pool": {"label": "pool token (rETH-like: deposit pool or market)", "exit": "sell", "protocol_entry": False},
        "liquid": {"label": "liquid token (stETH-like)"},
        "exchange": {"label": "exchange custody"},
    },
    "ATOM": {
        "solo": {"label": "own validator (active set)"},
        "pool": {"label": "delegation to a validator"},
        "liquid": {"label": "liquid token (stATOM-like)"},
        "exchange": {"label": "exchange custody"},
    },
    "ADA": {
        "solo": {"label": "own stake pool"},
        "pool": {"label": "delegation to a stake pool", "exit": "none"},
        "exchange": {"label": "exchange custody", "exit": "custody"},
    },
    "SOL": {
        "solo": {"label": "own validator"},
        "pool": {"label": "delegation to a validator"},
        "liquid": {"label": "liquid token (JitoSOL-like)"},
        "exchange": {"label": "exchange custody"},
    },
    "POL": {
        "solo": {"label": "own validator"},
        "pool": {"label": "delegation to a validator"},
        "liquid": {"label": "liquid token (MaticX-like)"},
        "exchange": {"label": "exchange custody"},
    },
}


def _route_figures(coin: str, name: str) -> dict[str, float]:
    """The numbers of `coin`'s default route `name` from the figures in effect."""
    prefix = f"{coin}.routes.{name}."
    return {key[len(prefix) :]: number(key) for key in FIGURES if key.startswith(prefix)}


def _socialised(h: Hazard, note: str) -> Hazard:
    """A liquid protocol spreads one operator's slashing over all its stake: the holder bears about the share
    `routes.socialised_share` of it, that much more often."""
    share = number("routes.socialised_share")
    return Hazard(
        name=h.name,
        rate_per_year=h.rate_per_year / share,
        loss_min=h.loss_min * share,
        loss_max=h.loss_max * share,
        source=h.source + "; " + note,
    )


def after_bond(h: Hazard, bond_share: float) -> Hazard | None:
    """What the pool's depositors lose from a validator loss `h` when the operator's bond (`bond_share` of the
    validator) absorbs it first: (loss − bond) / (1 − bond) of their part, None if the bond covers it all."""
    lo = max(h.loss_min - bond_share, 0.0) / (1.0 - bond_share)
    hi = max(h.loss_max - bond_share, 0.0) / (1.0 - bond_share)
    if hi <= 0.0:
        return None
    return Hazard(
        name=h.name,
        rate_per_year=h.rate_per_year,
        loss_min=lo,
        loss_max=hi,
        source=h.source + f"; beyond the operator's bond ({bond_share:.0%} of the validator)",
    )


def _route(chain: ChainPreset, name: str, fields: dict[str, Any]) -> Route:
    slashing = chain.slashing_hazards()
    fields = dict(fields)
    if name == "solo":
        fields.setdefault("running_cost_usd_per_year", chain.solo_running_cost_usd_per_year)
        fields.setdefault("min_stake", chain.min_solo_stake)
        hazards: tuple[Hazard, ...] = slashing
    elif name == "pool" and fields.get("exit") == "sell":
        # a pool token (rETH): operators' bonds absorb slashing first (`routes.reth_bond_share`: Rocket Pool's
        # 8-ETH bond of 32; RPL collateral, auctioned to cover a shortfall, is left out), the rest is shared
        bonded = (after_bond(h, number("routes.reth_bond_share")) for h in slashing)
        shared = tuple(_socialised(h, "socialised over the pool") for h in bonded if h is not None)
        hazards = (*shared, _shared_hazard("hack"), _shared_hazard("depeg", kind="depeg"))
    elif name == "pool":
        hazards = slashing
    elif name == "liquid":
        fields.setdefault("protocol_entry", False)
        fields.setdefault("exit", "sell")
        socialised = tuple(_socialised(h, "socialised over the protocol's operators") for h in slashing)
        hazards = (*socialised, _shared_hazard("hack"), _shared_hazard("depeg", kind="depeg"))
    elif name == "exchange":
        # the exchange stakes through the protocol: it waits for the entry queue (or warm-up) before rewards
        # start, as it waits for the exit queue when you leave
        fields.setdefault("protocol_entry", True)
        fields.setdefault("exit", "custody")
        hazards = (_shared_hazard("custodial_failure"),)
    else:
        hazards = ()
    if name != "hold":
        for key, value in chain.compounding(name).items():
            fields.setdefault(key, value)
    return Route(name=name, hazards=hazards, **fields)


def routes_for(chain: ChainPreset, overrides: Mapping[str, Any] | None = None) -> dict[str, Route]:
    """The routes `chain` offers (hold always last), with `overrides` ({route name: {field: value}}) applied."""
    coin = chain.coin if chain.coin in _TABLE else "ETH"
    table = _TABLE[coin]
    routes = {name: _route(chain, name, {**fields, **_route_figures(coin, name)}) for name, fields in table.items()}
    routes["hold"] = Route(name="hold", label="hold (no staking)", stakes=False, protocol_entry=False, exit="none")
    ordered = {name: routes[name] for name in ROUTE_NAMES if name in routes}
    for name, changes in (overrides or {}).items():
        if name not in ordered:
            raise ConfigError(f"unknown key 'routes.{name}'; valid keys: {', '.join(ordered)}")
        if not isinstance(changes, Mapping):
            raise ConfigError(f"routes.{name}: expected a table of fields")
        ordered[name] = apply_overrides(ordered[name], changes, f"routes.{name}")
    return ordered


def get_route(chain: ChainPreset, name: str, overrides: Mapping[str, Any] | None = None) -> Route:
    """One route of `chain` by name; an unknown name lists the chain's routes."""
    routes = routes_for(chain, overrides)
    key = name.strip().lower()
    if key not in routes:
        raise UnknownRouteError(f"unknown route {name!r} for {chain.coin}; known routes: {', '.join(routes)}")
    return routes[key]
