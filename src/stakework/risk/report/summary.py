"""The numbers of a run, per route: APR, APY and real yield, expected and quantile outcomes in tokens and dollars,
the probabilities of ending below holding and of a dollar loss, time to exit, and the hazards' share of losses.

Every expected value and probability is a Monte Carlo estimate and comes with its standard error (`<name>_se`):
the sample standard deviation over √paths for a mean, √(p(1 − p)/paths) for a probability, the delta method
for the hazards' share (a ratio of two means). Two routes run on the same price paths, so whether their
expected dollars differ beyond noise is judged on the paired differences (`within_noise`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from stakework.risk.chains.base import ChainPreset
from stakework.risk.montecarlo import RouteResult, SimulationResult, apy_from_apr, nominal_apr

QUANTILES = (0.05, 0.50, 0.95)
"""Quantiles reported (5 %, median, 95 %)."""

DEFAULT_HAZARD_THRESHOLD = 0.001
"""A hazard loss counts as material above this share of the hazard-free value (0.1 %): a 0.01 % Cosmos
downtime slash does not, a 5 % double-sign slash does."""

NOISE_SIGMAS = 2.0
"""Two routes' expected dollars are 'within noise' when they differ by less than this many standard errors."""


@dataclass(frozen=True, slots=True)
class RouteSummary:
    """Summary of one route over all paths."""

    route: str
    label: str
    apr: float
    """Nominal yearly reward rate after fees and uptime, while earning."""
    apy: float
    """APR compounded every `compound_days` days."""
    compound_days: int
    """How often rewards joined the stake on this route, in days (0: never)."""
    restakes: int
    """Claims and re-delegations over the horizon (routes whose rewards must be claimed)."""
    restake_fees_paid: float
    """Tokens paid in fees for those claims (already taken out of the tokens received)."""
    supply_inflation: float
    """The chain's yearly supply growth: what a holder who does not stake loses to dilution."""
    real_yield: float
    """APY minus the supply inflation (negative for holding: dilution)."""
    tokens_mean: float
    tokens_mean_se: float
    tokens_q: tuple[float, float, float]
    fiat_mean: float
    fiat_mean_se: float
    fiat_q: tuple[float, float, float]
    fiat_return_mean: float
    """Expected dollar result over the starting dollar value, minus 1."""
    fiat_return_mean_se: float
    p_below_hold: float
    """Probability of ending with fewer dollars than simply holding and selling on the horizon day."""
    p_below_hold_se: float
    p_fiat_loss: float
    """Probability of ending with fewer dollars than at the start."""
    p_fiat_loss_se: float
    exit_days_mean: float
    exit_days_mean_se: float
    exit_days_max: float
    """Worst time to exit over the paths."""
    hazard_loss_share: float
    """Share of the hazard-free expected dollar value that hazards took."""
    hazard_loss_share_se: float
    hazard_threshold: float
    """Smallest hazard loss (share of the path's hazard-free value) counted as material."""
    p_hazard: float
    """Probability that hazards took more than `hazard_threshold` of the value before exit."""
    p_hazard_se: float
    p_hazard_any: float
    """Probability that any hazard struck at all, however small (immaterial strikes included)."""
    hazards_dominant: tuple[tuple[str, float], ...]
    """Hazards behind the material losses, most frequent first: (name, probability that it struck on a path
    whose hazard loss was material), counting only hazards whose single strike can exceed the threshold."""

    def as_dict(self) -> dict[str, Any]:
        """Plain types for JSON."""
        d = asdict(self)
        for key in ("tokens_q", "fiat_q"):
            d[key] = dict(zip(("p05", "p50", "p95"), d[key], strict=True))
        d["hazards_dominant"] = [{"hazard": name, "probability": p} for name, p in self.hazards_dominant]
        return d


def mean_se(values: np.ndarray) -> float:
    """Standard error of the sample mean of `values`."""
    n = values.size
    return float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


def proportion_se(p: float, n: int) -> float:
    """Standard error of an estimated probability `p` from `n` paths."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / n) if n > 0 else 0.0


def supply_inflation(chain: ChainPreset, days: int = 365) -> float:
    """The chain's yearly supply inflation over the first `days` days (`ChainPreset.supply_inflation`)."""
    return float(chain.supply_inflation(days))


def hazard_loss(rr: RouteResult) -> np.ndarray:
    """Per path, the share of its hazard-free dollar value that hazards (strikes and depegs) took."""
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = 1.0 - rr.gross_fiat / rr.gross_fiat_no_hazard
    return np.where(rr.gross_fiat_no_hazard > 0, np.clip(loss, 0.0, 1.0), 0.0)


def _largest_strikes(rr: RouteResult) -> dict[str, float]:
    """Largest single loss (or discount) each of the route's hazards can cause, keyed as in `hazard_hits`."""
    largest = {h.name: h.loss_max for h in rr.route.hazards}
    depeg = max((h.loss_max for h in rr.route.hazards if h.kind == "depeg"), default=1.0)
    for key in rr.hazard_hits:
        if key not in largest and key.startswith("depeg"):
            largest[key] = depeg
    return largest


def _ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Delta-method standard error of mean(num) / mean(den)."""
    mden = float(den.mean())
    if mden <= 0 or num.size < 2:
        return 0.0
    r = float(num.mean()) / mden
    return float((num - r * den).std(ddof=1) / (math.sqrt(num.size) * mden))


def summarize(result: SimulationResult, hazard_threshold: float = DEFAULT_HAZARD_THRESHOLD) -> list[RouteSummary]:
    """One summary per route, in the order the routes were run. Hazard losses above `hazard_threshold` of a
    path's hazard-free value count as material."""
    cfg = result.config
    n = cfg.paths
    start = result.initial_fiat
    inflation = supply_inflation(result.chain, cfg.days)
    out = []
    for name, rr in result.routes.items():
        apr = nominal_apr(rr, cfg.days) if rr.route.stakes else 0.0
        apy = apy_from_apr(apr, rr.compound_days)
        tq = np.quantile(rr.final_tokens, QUANTILES)
        fq = np.quantile(rr.final_fiat, QUANTILES)
        no_h = float(rr.gross_fiat_no_hazard.mean())
        share = max(0.0, 1.0 - float(rr.gross_fiat.mean()) / no_h) if no_h > 0 else 0.0
        material = hazard_loss(rr) > hazard_threshold
        any_hit = np.zeros(n, dtype=bool)
        dominant: list[tuple[str, float]] = []
        largest = _largest_strikes(rr)
        for hname, hits in rr.hazard_hits.items():
            any_hit |= hits > 0
            if largest.get(hname, 1.0) <= hazard_threshold:
                continue  # can never be material by itself (a 0.01 % downtime slash)
            p = float((material & (hits > 0)).mean())
            if p > 0:
                dominant.append((hname, p))
        dominant.sort(key=lambda item: -item[1])
        p_hazard = float(material.mean())
        p_below = float((rr.final_fiat < result.hold_final).mean())
        p_loss = float((rr.final_fiat < start).mean())
        out.append(
            RouteSummary(
                route=name,
                label=rr.route.label,
                apr=apr,
                apy=apy,
                compound_days=rr.compound_days,
                restakes=rr.restakes,
                restake_fees_paid=rr.restake_fees_paid,
                supply_inflation=inflation,
                real_yield=apy - inflation,
                tokens_mean=float(rr.final_tokens.mean()),
                tokens_mean_se=mean_se(rr.final_tokens),
                tokens_q=(float(tq[0]), float(tq[1]), float(tq[2])),
                fiat_mean=float(rr.final_fiat.mean()),
                fiat_mean_se=mean_se(rr.final_fiat),
                fiat_q=(float(fq[0]), float(fq[1]), float(fq[2])),
                fiat_return_mean=float(rr.final_fiat.mean()) / start - 1.0,
                fiat_return_mean_se=mean_se(rr.final_fiat) / start,
                p_below_hold=p_below,
                p_below_hold_se=proportion_se(p_below, n),
                p_fiat_loss=p_loss,
                p_fiat_loss_se=proportion_se(p_loss, n),
                exit_days_mean=float(rr.exit_days.mean()),
                exit_days_mean_se=mean_se(rr.exit_days),
                exit_days_max=float(rr.exit_days.max()),
                hazard_loss_share=share,
                hazard_loss_share_se=_ratio_se(rr.gross_fiat, rr.gross_fiat_no_hazard),
                hazard_threshold=hazard_threshold,
                p_hazard=p_hazard,
                p_hazard_se=proportion_se(p_hazard, n),
                p_hazard_any=float(any_hit.mean()),
                hazards_dominant=tuple(dominant),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class NoiseTie:
    """Two routes whose expected dollars differ by less than NOISE_SIGMAS standard errors of the difference."""

    a: str
    b: str
    difference: float
    """Expected dollars of `a` minus those of `b`."""
    difference_se: float
    """Standard error of that difference, from the paired per-path differences (same price paths)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain types for JSON."""
        return asdict(self)


def within_noise(result: SimulationResult, sigmas: float = NOISE_SIGMAS) -> list[NoiseTie]:
    """Pairs of routes (in run order) whose expected dollar values are not distinguishable at this many paths."""
    names = list(result.routes)
    ties = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            diff = result.routes[a].final_fiat - result.routes[b].final_fiat
            mean, se = float(diff.mean()), mean_se(diff)
            if abs(mean) < sigmas * se:
                ties.append(NoiseTie(a=a, b=b, difference=mean, difference_se=se))
    return ties


def run_metadata(result: SimulationResult) -> dict[str, Any]:
    """The inputs of a run, for JSON and exports. Only settings that were applied are reported: a bootstrap
    run (`--price-csv`) takes volatility and drift from the file, so those are None; `volatility_simulated` is
    measured on the paths either way (log price change to the horizon, annualized)."""
    cfg = result.config
    chain = result.chain
    gbm = result.price_source == "gbm"
    log_change = np.log(result.price_final / result.price0)
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
        "volatility": chain.volatility if gbm else None,
        "drift": chain.drift if gbm else None,
        "volatility_simulated": float(log_change.std() * math.sqrt(365.0 / cfg.days)),
        "total_staked": chain.total_staked,
        "supply_inflation": supply_inflation(chain, cfg.days),
        "initial_fiat": result.initial_fiat,
        "hold_fiat_mean": float(result.hold_final.mean()),
        "hold_fiat_mean_se": mean_se(result.hold_final),
        "figures_as_of": chain.as_of,
        "taxes": "not modelled",
    }
