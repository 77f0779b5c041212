"""AMM invariants: ``check(state, host)`` lists every violation (the registry's form).

What the host's accounts must hold (SWK: ``swk_balance + admin_swk``; stSWK shares: ``stswk_balance +
admin_stswk``), that D never falls through a swap and that no operation lowers the LP shares' value are checked by
the tests, which see the accounts and the pool before and after (tests/modules/test_amm_stateful.py)."""

from __future__ import annotations

from itertools import pairwise

from stakework.modules.amm.stableswap import A_PRECISION, FEE_DENOMINATOR, MAX_A
from stakework.modules.amm.state import MAX_FEE, MAX_RAMP_EPOCHS, MAX_SAMPLES, MAX_TWAP_WINDOW, MIN_FEE, AmmState
from stakework.modules.host import ModuleHost
from stakework.modules.shares import MAX_SHARES


def check(state: AmmState, host: ModuleHost) -> list[str]:
    problems = ["lp: " + p for p in state.lp.check()]
    lp = state.lp
    if lp.total_shares > MAX_SHARES:
        problems.append(f"{lp.total_shares} LP shares, more than 2^64 - 1")
    balances = (state.swk_balance, state.stswk_balance, state.admin_swk, state.admin_stswk)
    if min(balances) < 0:
        problems.append(f"a negative balance or admin fee: {balances}")
    if lp.total_shares and (state.swk_balance == 0 or state.stswk_balance == 0):
        problems.append("LP shares exist but one side of the pool is empty")
    if not lp.total_shares and (state.swk_balance or state.stswk_balance):
        problems.append("coins in the pool without LP shares")
    for name, a in (("initial_a", state.initial_a), ("future_a", state.future_a)):
        if not A_PRECISION <= a < MAX_A * A_PRECISION:
            problems.append(f"{name} {a} outside 1..{MAX_A - 1} (times {A_PRECISION})")
    if state.initial_a_epoch > state.future_a_epoch:
        problems.append("the ramp of A ends before it begins")
    if not MIN_FEE <= state.fee <= MAX_FEE or not 0 <= state.admin_fee <= FEE_DENOMINATOR:
        problems.append(f"fee {state.fee} or admin fee {state.admin_fee} outside its bounds")
    if not 1 <= state.twap_window <= MAX_TWAP_WINDOW:
        problems.append(f"twap window {state.twap_window} outside 1..{MAX_TWAP_WINDOW}")
    if not 1 <= state.ramp_epochs <= MAX_RAMP_EPOCHS or not 1 <= state.min_ramp_epochs <= MAX_RAMP_EPOCHS:
        problems.append(f"ramp_epochs {state.ramp_epochs} or min_ramp_epochs outside 1..{MAX_RAMP_EPOCHS}")
    if not 0 <= state.pending_future_a < MAX_A:
        problems.append(f"pending A {state.pending_future_a} outside 0..{MAX_A - 1}")
    samples = state.price_samples
    if len(samples) > MAX_SAMPLES:
        problems.append(f"{len(samples)} price samples kept, more than {MAX_SAMPLES}")
    if any(a.epoch >= b.epoch for a, b in pairwise(samples)):
        problems.append("price samples out of order")
    if samples and samples[-1].epoch >= state.price_epoch:
        problems.append("a price sample at or after the last touch")
    if any(s.price <= 0 for s in samples):
        problems.append("a price sample of 0")
    if state.price_epoch > host.epoch:
        problems.append(f"the last touch (epoch {state.price_epoch}) is in the future")
    if lp.total_shares and state.price_last <= 0:
        problems.append("the pool has liquidity but no price")
    return problems
