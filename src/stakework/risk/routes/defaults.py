"""Default routes for each chain. Fees are typical public figures (docs/risk.md gives the sources); hazard
rates are assumptions stated there, meant to be overridden (`--set routes.liquid.hazards.hack.rate_per_year=..`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stakework.risk.chains.base import ChainPreset
from stakework.risk.config import apply_overrides
from stakework.risk.errors import ConfigError, UnknownRouteError
from stakework.risk.hazards import Hazard
from stakework.risk.routes.base import ROUTE_NAMES, Route

_HACK = Hazard(
    name="hack",
    rate_per_year=0.002,
    loss_min=0.1,
    loss_max=1.0,
    source="smart-contract exploit; assumption (no loss of a large LST contract to date)",
)
_DEPEG = Hazard(
    name="depeg",
    kind="depeg",
    rate_per_year=0.15,
    loss_min=0.02,
    loss_max=0.07,
    duration_days=30.0,
    source="June 2022 stETH/ETH ≈ 0.93 for weeks; smaller dips most years",
)
_CUSTODY = Hazard(
    name="custodial_failure",
    rate_per_year=0.005,
    loss_min=0.3,
    loss_max=1.0,
    source="exchange failures (Mt. Gox 2014, FTX 2022): assumption",
)

# coin -> route name -> fields of the default route (hazards from the chain's slashing rule are added below).
_TABLE: dict[str, dict[str, dict[str, Any]]] = {
    "ETH": {
        "solo": {"label": "solo validator (32 ETH)", "uptime": 0.97, "exit": "protocol"},
        "pool": {
            "label": "pool token (rETH-like: deposit pool or market)",
            "fee": 0.14,
            "uptime": 0.99,
            "exit": "sell",
            "discount": 0.001,
            "redeem_share": 0.8,
            "protocol_entry": False,
        },
        "liquid": {"label": "liquid token (stETH-like)", "fee": 0.10, "uptime": 0.99, "discount": 0.0005},
        "exchange": {"label": "exchange custody", "fee": 0.25, "uptime": 0.99, "exit_extra_days": 1.0},
    },
    "ATOM": {
        "solo": {"label": "own validator (active set)", "uptime": 0.99},
        "pool": {"label": "delegation to a validator", "fee": 0.05, "uptime": 0.99},
        "liquid": {"label": "liquid token (stATOM-like)", "fee": 0.10, "uptime": 0.99, "discount": 0.002},
        "exchange": {"label": "exchange custody", "fee": 0.20, "uptime": 0.99, "exit_extra_days": 1.0},
    },
    "ADA": {
        "solo": {"label": "own stake pool", "uptime": 0.98},
        "pool": {"label": "delegation to a stake pool", "fee": 0.02, "uptime": 1.0, "exit": "none"},
        "exchange": {
            "label": "exchange custody",
            "fee": 0.20,
            "uptime": 1.0,
            "exit": "custody",
            "exit_extra_days": 1.0,
        },
    },
    "SOL": {
        "solo": {"label": "own validator", "uptime": 0.98},
        "pool": {"label": "delegation to a validator", "fee": 0.05, "uptime": 0.99},
        "liquid": {"label": "liquid token (JitoSOL-like)", "fee": 0.04, "uptime": 0.99, "discount": 0.001},
        "exchange": {"label": "exchange custody", "fee": 0.25, "uptime": 0.99, "exit_extra_days": 1.0},
    },
    "POL": {
        "solo": {"label": "own validator", "uptime": 0.99},
        "pool": {"label": "delegation to a validator", "fee": 0.10, "uptime": 0.99},
        "liquid": {"label": "liquid token (MaticX-like)", "fee": 0.10, "uptime": 0.99, "discount": 0.005},
        "exchange": {"label": "exchange custody", "fee": 0.20, "uptime": 0.99, "exit_extra_days": 1.0},
    },
}

_SOCIALISED_SHARE = 0.05
"""A liquid protocol spreads one operator's slashing over all its stake: the holder bears about this share."""
_RETH_BOND_SHARE = 0.25
"""Rocket Pool: a node operator's bond is 8 ETH of each 32 ETH validator (LEB8 minipools, Atlas 2023). A
validator's losses come out of the bond first; the rETH holders' 24 ETH lose only what exceeds it (RPL
collateral, auctioned to cover a shortfall, is left out)."""


def _socialised(h: Hazard, note: str) -> Hazard:
    return Hazard(
        name=h.name,
        rate_per_year=h.rate_per_year / _SOCIALISED_SHARE,
        loss_min=h.loss_min * _SOCIALISED_SHARE,
        loss_max=h.loss_max * _SOCIALISED_SHARE,
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
        # a pool token (rETH): operators' bonds absorb slashing first, the rest is shared by all holders
        bonded = (after_bond(h, _RETH_BOND_SHARE) for h in slashing)
        shared = tuple(_socialised(h, "socialised over the pool") for h in bonded if h is not None)
        hazards = (*shared, _HACK, _DEPEG)
    elif name == "pool":
        hazards = slashing
    elif name == "liquid":
        fields.setdefault("protocol_entry", False)
        fields.setdefault("exit", "sell")
        socialised = tuple(_socialised(h, "socialised over the protocol's operators") for h in slashing)
        hazards = (*socialised, _HACK, _DEPEG)
    elif name == "exchange":
        # the exchange stakes through the protocol: it waits for the entry queue (or warm-up) before rewards
        # start, as it waits for the exit queue when you leave
        fields.setdefault("protocol_entry", True)
        fields.setdefault("exit", "custody")
        hazards = (_CUSTODY,)
    else:
        hazards = ()
    if name != "hold":
        for key, value in chain.compounding(name).items():
            fields.setdefault(key, value)
    return Route(name=name, hazards=hazards, **fields)


def routes_for(chain: ChainPreset, overrides: Mapping[str, Any] | None = None) -> dict[str, Route]:
    """The routes `chain` offers (hold always last), with `overrides` ({route name: {field: value}}) applied."""
    table = _TABLE.get(chain.coin, _TABLE["ETH"])
    routes = {name: _route(chain, name, fields) for name, fields in table.items()}
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
