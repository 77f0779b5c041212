"""The numbers of a run, per route: APR and APY, expected and quantile outcomes in tokens and dollars, the
probabilities of ending below holding and of a dollar loss, time to exit, and the hazards' share of losses."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from stakework.risk.montecarlo import SimulationResult, apy_from_apr, nominal_apr

QUANTILES = (0.05, 0.50, 0.95)
"""Quantiles reported (5 %, median, 95 %)."""


@dataclass(frozen=True, slots=True)
class RouteSummary:
    """Summary of one route over all paths."""

    route: str
    label: str
    apr: float
    """Nominal yearly reward rate after fees and uptime, while earning."""
    apy: float
    """APR compounded every `compound_days` days."""
    tokens_mean: float
    tokens_q: tuple[float, float, float]
    fiat_mean: float
    fiat_q: tuple[float, float, float]
    fiat_return_mean: float
    """Expected dollar result over the starting dollar value, minus 1."""
    p_below_hold: float
    """Probability of ending with fewer dollars than simply holding and selling on the horizon day."""
    p_fiat_loss: float
    """Probability of ending with fewer dollars than at the start."""
    exit_days_mean: float
    exit_days_max: float
    """Worst time to exit over the paths."""
    hazard_loss_share: float
    """Share of the hazard-free expected dollar value that hazards took."""
    p_hazard: float
    """Probability that at least one hazard struck before exit."""

    def as_dict(self) -> dict[str, Any]:
        """Plain types for JSON."""
        d = asdict(self)
        for key in ("tokens_q", "fiat_q"):
            d[key] = dict(zip(("p05", "p50", "p95"), d[key], strict=True))
        return d


def summarize(result: SimulationResult) -> list[RouteSummary]:
    """One summary per route, in the order the routes were run."""
    cfg = result.config
    start = result.initial_fiat
    out = []
    for name, rr in result.routes.items():
        apr = nominal_apr(rr, cfg.days) if rr.route.stakes else 0.0
        tq = np.quantile(rr.final_tokens, QUANTILES)
        fq = np.quantile(rr.final_fiat, QUANTILES)
        no_h = float(rr.gross_fiat_no_hazard.mean())
        share = max(0.0, 1.0 - float(rr.gross_fiat.mean()) / no_h) if no_h > 0 else 0.0
        if rr.hazard_hits:
            any_hit = np.zeros(cfg.paths, dtype=bool)
            for hits in rr.hazard_hits.values():
                any_hit |= hits > 0
            p_hazard = float(any_hit.mean())
        else:
            p_hazard = 0.0
        out.append(
            RouteSummary(
                route=name,
                label=rr.route.label,
                apr=apr,
                apy=apy_from_apr(apr, cfg.compound_days),
                tokens_mean=float(rr.final_tokens.mean()),
                tokens_q=(float(tq[0]), float(tq[1]), float(tq[2])),
                fiat_mean=float(rr.final_fiat.mean()),
                fiat_q=(float(fq[0]), float(fq[1]), float(fq[2])),
                fiat_return_mean=float(rr.final_fiat.mean()) / start - 1.0,
                p_below_hold=float((rr.final_fiat < result.hold_final).mean()),
                p_fiat_loss=float((rr.final_fiat < start).mean()),
                exit_days_mean=float(rr.exit_days.mean()),
                exit_days_max=float(rr.exit_days.max()),
                hazard_loss_share=share,
                p_hazard=p_hazard,
            )
        )
    return out


def run_metadata(result: SimulationResult) -> dict[str, Any]:
    """The inputs of a run, for JSON and exports."""
    cfg = result.config
    chain = result.chain
    return {
        "coin": chain.coin,
        "chain": chain.name,
        "amount": cfg.amount,
        "days": cfg.days,
        "paths": cfg.paths,
        "seed": result.seed,
        "compound_days": cfg.compound_days,
        "price0": result.price0,
        "price_model": result.price_source,
        "volatility": chain.volatility,
        "drift": chain.drift,
        "total_staked": chain.total_staked,
        "initial_fiat": result.initial_fiat,
        "hold_fiat_mean": float(result.hold_final.mean()),
        "figures_as_of": chain.as_of,
    }
