"""Monte Carlo of the risk analyzer: 100,000 paths × 365 days for one route (the target is ≤ 1 s on the
project's 2-core machine), against a naive per-path, per-day Python loop timed on a small sample and scaled up.

    .venv/bin/python benchmarks/bench_montecarlo.py [--paths N] [--days D] [--coin ETH] [--route liquid]
        [--runs R] [--baseline-paths K] [--json]

Both figures come from the same run on the same machine. The baseline computes the same thing as the
vectorized engine for one route (GBM price, daily reward accrual, Poisson hazards with uniform losses, the
route's exit delay) the obvious way, one path and one day at a time with the `random` module.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from typing import Any

from stakework.risk.chains import get_chain
from stakework.risk.montecarlo import RunConfig, simulate
from stakework.risk.prices import GBM
from stakework.risk.routes import Route, routes_for


def naive_paths(chain: Any, route: Route, amount: float, days: int, paths: int, seed: int) -> list[float]:
    """One path at a time, one day at a time: the baseline."""
    rnd = random.Random(seed)
    sigma = chain.volatility
    dt = 1.0 / 365.0
    drift = (chain.drift - 0.5 * sigma**2) * dt
    vol = sigma * math.sqrt(dt)
    rates = chain.daily_rates(days + 60).tolist()
    out = []
    for _ in range(paths):
        tokens, logp = amount, 0.0
        exit_day = days + (0 if route.exit in ("none", "sell") else 21)
        for day in range(exit_day):
            if day < days:
                tokens *= 1.0 + rates[day] * (1.0 - route.fee) * route.uptime
            for hazard in route.hazards:
                if hazard.kind == "loss" and rnd.random() < hazard.rate_per_year * dt:
                    tokens *= 1.0 - rnd.uniform(hazard.loss_min, hazard.loss_max)
            logp += drift + vol * rnd.gauss(0.0, 1.0)
        out.append(tokens * chain.price_usd * math.exp(logp))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--coin", default="ETH")
    parser.add_argument("--route", default="liquid")
    parser.add_argument("--runs", type=int, default=7, help="vectorized runs (median reported)")
    parser.add_argument("--baseline-paths", type=int, default=300, help="paths timed with the naive loop")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    chain = get_chain(args.coin)
    routes = routes_for(chain)
    one = {args.route: routes[args.route]}
    model = GBM(price0=chain.price_usd, mu=chain.drift, sigma=chain.volatility)

    def timed(route_set: dict[str, Route], threads: int) -> list[float]:
        times = []
        for i in range(args.runs):
            cfg = RunConfig(amount=32.0, days=args.days, paths=args.paths, seed=i, threads=threads)
            start = time.perf_counter()
            simulate(chain, route_set, model, cfg)
            times.append(time.perf_counter() - start)
        return times

    simulate(chain, one, model, RunConfig(amount=32.0, days=args.days, paths=1_000, seed=0))  # warm up
    one_route = timed(one, 0)
    one_thread = timed(one, 1)
    every_route = timed(routes, 0)

    start = time.perf_counter()
    naive_paths(chain, routes[args.route], 32.0, args.days, args.baseline_paths, seed=1)
    naive = (time.perf_counter() - start) / args.baseline_paths * args.paths

    med = statistics.median(one_route)
    result = {
        "paths": args.paths,
        "days": args.days,
        "coin": chain.coin,
        "route": args.route,
        "one_route_median_s": med,
        "one_route_min_s": min(one_route),
        "one_route_max_s": max(one_route),
        "one_route_one_thread_median_s": statistics.median(one_thread),
        "all_routes_median_s": statistics.median(every_route),
        "all_routes": len(routes),
        "naive_loop_scaled_s": naive,
        "naive_loop_paths_timed": args.baseline_paths,
        "speedup": naive / med,
        "target_s": 1.0,
        "target_met": med <= 1.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Monte Carlo, {args.paths:,} paths × {args.days} days, {chain.coin} {args.route} ({args.runs} runs each)")
    print(f"  one route, 2 threads   : median {med:.3f} s  (min {min(one_route):.3f}, max {max(one_route):.3f})")
    print(f"  one route, 1 thread    : median {statistics.median(one_thread):.3f} s")
    print(f"  all {len(routes)} routes, 2 threads: median {statistics.median(every_route):.3f} s")
    print(f"  naive per-path loop    : {naive:.1f} s (timed on {args.baseline_paths} paths, scaled)")
    print(f"  speed-up               : {naive / med:,.0f}×   target ≤ 1 s: {'met' if med <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
