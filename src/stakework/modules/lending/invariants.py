"""Lending-module invariants: ``check(state, host) -> list of problems`` (the registry's form); :func:`enforce`
raises :class:`LendingInvariantBroken` with them.

Per market: scaled balances sum to the totals, none zero or negative; indices at least one ray; every stored
integer within 2^64 - 1; what suppliers can claim is at most ``cash + total debt + deficit`` (the reserve is
solvent but for the recorded deficit). Per account: nobody in debt without collateral (a liquidation that took the
last collateral wrote the rest off). The parameters within their bounds and combinations. What the host's accounts
hold (the module's SWK account and stSWK shares equal the markets' cash) is checked by the tests on the fake host.
"""

from __future__ import annotations

from stakework.modules.host import ModuleHost
from stakework.modules.lending.errors import InvalidParameter, LendingInvariantBroken
from stakework.modules.lending.handlers import has_collateral
from stakework.modules.lending.parameters import MARKETS, MAX_U64, check_parameters
from stakework.modules.lending.ray import RAY
from stakework.modules.lending.state import BAD_DEBT_HISTORY, LendingState, Market


def check_market(market: Market, epoch: int) -> list[str]:
    p = f"market {market.asset}: "
    problems: list[str] = []
    if sum(market.supply.values()) != market.total_scaled_supply:
        problems.append(p + "scaled supplies do not sum to the total")
    if sum(market.debt.values()) != market.total_scaled_debt:
        problems.append(p + "scaled debts do not sum to the total")
    if any(v <= 0 for v in (*market.supply.values(), *market.debt.values())):
        problems.append(p + "a zero or negative scaled balance is kept")
    if market.supply_index < RAY or market.debt_index < RAY:
        problems.append(p + "an index below one ray")
    numbers = (
        market.cash,
        market.total_scaled_supply,
        market.total_scaled_debt,
        market.deficit,
        market.bad_debt_total,
        market.covered_total,
        market.last_update_epoch,
    )
    if any(not 0 <= n <= MAX_U64 for n in numbers):
        problems.append(p + "a stored integer outside 0..2^64 - 1")
    if market.last_update_epoch > epoch:
        problems.append(p + "accrued past the current epoch")
    claims = market.total_supply()
    assets = market.cash + market.total_debt() + market.deficit
    if claims > assets:
        problems.append(p + f"suppliers claim {claims}, more than cash + debt + deficit = {assets}")
    return problems


def check(state: LendingState, host: ModuleHost) -> list[str]:
    problems = [x for m in state.markets() for x in check_market(m, host.epoch)]
    try:
        check_parameters(state.params)
    except InvalidParameter as exc:
        problems.append(str(exc))
    borrowers = set(state.swk.debt) | set(state.stswk.debt)
    stranded = [b for b in borrowers if not has_collateral(state, b)]
    if stranded:
        problems.append(f"{len(stranded)} accounts owe debt with no collateral (not written off)")
    if len(state.bad_debts) > BAD_DEBT_HISTORY:
        problems.append(f"{len(state.bad_debts)} bad debts kept, more than {BAD_DEBT_HISTORY}")
    for account, cfg in state.users.items():
        if not cfg.emode and not cfg.collateral_off:
            problems.append(f"a default user setting is kept for {account.hex()}")
        if any(m not in MARKETS for m in cfg.collateral_off) or len(set(cfg.collateral_off)) != len(cfg.collateral_off):
            problems.append(f"unknown or repeated markets in {account.hex()}'s collateral settings")
    if not 0 <= state.oracle_anchor <= MAX_U64:
        problems.append("the oracle anchor is outside 0..2^64 - 1")
    return problems


def enforce(state: LendingState, host: ModuleHost) -> None:
    """Raise :class:`LendingInvariantBroken` listing every violation, if any."""
    problems = check(state, host)
    if problems:
        raise LendingInvariantBroken("; ".join(problems))
