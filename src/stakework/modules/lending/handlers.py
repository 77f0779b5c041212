"""Pure lending-module handlers: ``handle_<message>(state, host, sender, msg)``. Each first accrues every market to
the current epoch (what the epoch hook or any other message would do: Aave ``updateState`` at the top of each
action), then validates everything, then moves money through the host (SWK) or the stSWK ledger, then mutates the
state, so a refused message changes nothing else. All O(1) in the number of users.

Rules (anchors: Aave v3 ``SupplyLogic``, ``BorrowLogic``, ``LiquidationLogic``, ``ValidationLogic``,
``GenericLogic``, ``EModeLogic``; departures in docs/modules.md, "Lending module"):

- balances are scaled (:mod:`.state`); supply mints ``floor(amount / liquidity_index)``, a withdrawal burns
  ``ceil(amount / liquidity_index)``, a borrow mints ``ceil(amount / borrow_index)``, a repayment burns
  ``floor(amount / borrow_index)``: each in the protocol's favour (Aave v3.5's directional rounding);
- collateral is valued at the oracle (:mod:`.oracle`), rounded down; debt rounded up. Health factor ``HF = sum(value
  x liquidation threshold) / debt``; a borrow needs ``sum(value x LTV) >= debt`` afterwards (and so HF >= 1); a
  withdrawal, a collateral switch or an e-mode switch needs HF >= 1 afterwards;
- anyone may liquidate a position with HF < 1: repay up to the close factor of one debt (all of it below
  ``close_factor_full_hf_bps``) for ``debt x price_debt / price_collateral x (1 + bonus)`` of one collateral, or
  all of that collateral for the debt it is worth (Aave ``_calculateAvailableCollateralToLiquidate``);
- when a liquidation leaves the borrower no collateral and debt left, the rest is bad debt: written off, recorded
  as the market's deficit and reported to the safety module (``host.shortfall_cover``), whose slashed SWK (or stSWK)
  is paid into the market's cash (Aave v3.3 ``_burnBadDebt`` and Umbrella's deficit coverage).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.lending import MODULE
from stakework.modules.lending.errors import (
    BelowMinimum,
    BorrowingDisabled,
    CapExceeded,
    HealthFactorTooLow,
    InsufficientLiquidity,
    InsufficientShares,
    NoDebt,
    NotAuthorized,
    NotReady,
    PositionHealthy,
)
from stakework.modules.lending.messages import (
    Borrow,
    LendingMessage,
    Liquidate,
    Repay,
    SetCollateral,
    SetEmode,
    SetParameters,
    Supply,
    Withdraw,
)
from stakework.modules.lending.oracle import prices
from stakework.modules.lending.parameters import MARKETS, MAX_U64, with_changes
from stakework.modules.lending.protocols import ORACLE_SCALE, shortfall_cover_of, staked_of
from stakework.modules.lending.ray import (
    MAX_U128,
    RAY,
    borrow_rate,
    compounded_interest,
    linear_interest,
    liquidity_rate,
    ray_div,
    ray_mul,
    to_u128,
    usage_ratio,
)
from stakework.modules.lending.state import BAD_DEBT_HISTORY, BadDebt, LendingState, Market, UserConfig
from stakework.modules.shares import BURN_ADDRESS
from stakework.spec.errors import StakeworkError

WAD = 10**18
"""Health factors are reported x 10^18 (Aave's WAD)."""


def sat_add(a: int, b: int) -> int:
    """``a + b``, at most 2^64 - 1 (a counter the store must hold)."""
    return min(a + b, MAX_U64)


# --- interest (Aave ReserveLogic.updateState / updateInterestRates) -------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rates:
    usage: int
    """Ray."""
    borrow: int
    """Ray a year."""
    supply: int
    """Ray a year."""


def market_rates(state: LendingState, market: Market) -> Rates:
    """The market's variable borrow rate and liquidity rate now (Aave ``calculateInterestRates``): functions of its
    cash and debt, so the rate set by the last action is the one in force until the next."""
    p, m = state.params, market.asset
    usage = usage_ratio(market.cash, market.total_debt())
    borrow = borrow_rate(
        usage, p.of(m, "optimal_usage_bps"), p.of(m, "base_rate_bps"), p.of(m, "slope1_bps"), p.of(m, "slope2_bps")
    )
    return Rates(usage, borrow, liquidity_rate(borrow, usage, p.of(m, "reserve_factor_bps")))


def accrue(state: LendingState, market: Market, epoch: int) -> None:
    """Move the market's indices to ``epoch`` (Aave ``_updateIndexes`` then ``_accrueToTreasury``), O(1).

    The borrow index compounds at the borrow rate (rounded up); the liquidity index grows linearly at the
    liquidity rate (rounded down), but never so far that what suppliers and the treasury can claim passes ``cash +
    debt + deficit`` (Aave's linear supply index trails its compounded debt, so the bound binds only on rounding at
    full usage); the reserve factor's part of the debt's growth is minted to the treasury as supply at the new
    index (Aave ``_accrueToTreasury``)."""
    dt = epoch - market.last_update_epoch
    # equivalent mutant (cmp <= to <|const 0 to -1): at dt = 0 the factors are RAY: the accrual below changes nothing
    if dt <= 0:
        return
    market.last_update_epoch = epoch
    if market.total_scaled_debt == 0:
        return
    rates = market_rates(state, market)
    old_l, old_d = market.supply_index, market.debt_index
    new_d = ray_mul(old_d, compounded_interest(rates.borrow, dt, state.epochs_per_year), Rounding.UP)
    linear_l = ray_mul(old_l, linear_interest(rates.supply, dt, state.epochs_per_year), Rounding.DOWN)
    if new_d > MAX_U128 or linear_l > MAX_U128:
        return  # ~10^11 times the start: unreachable at any bounded rate; the indices stay rather than overflow
    debt_before = market.total_debt()
    market.borrow_index = to_u128(new_d)
    interest = market.total_debt() - debt_before
    cut = mul_div(interest, state.params.of(market.asset, "reserve_factor_bps"), BPS, Rounding.DOWN)
    supplied = market.total_scaled_supply
    new_l = old_l
    if supplied:
        room = market.cash + market.total_debt() + market.deficit - cut
        # equivalent mutant (cmp > to >=|const 0 to -1|const 0 to 1): room >= 0 (cut <= interest <= debt), and from a
        # room of 0 or 1 solvent_l <= RAY / supplied <= old_l (supplied x old_l >= RAY): max() keeps old_l either way
        solvent_l = mul_div(room, RAY, supplied, Rounding.DOWN) if room > 0 else 0
        new_l = max(old_l, min(linear_l, solvent_l))
    market.liquidity_index = to_u128(new_l)
    minted = ray_div(cut, new_l, Rounding.DOWN)
    if minted and supplied + minted <= MAX_U64:
        market.supply[state.treasury] = market.supply.get(state.treasury, 0) + minted
        market.total_scaled_supply += minted
        market.reserve_total = sat_add(market.reserve_total, cut)
    market.interest_total = sat_add(market.interest_total, interest)


def accrue_all(state: LendingState, epoch: int) -> None:
    for market in state.markets():
        accrue(state, market, epoch)


# --- account values (Aave GenericLogic.calculateUserAccountData) ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AccountValues:
    """An account's collateral and debt in SWK (Gwei) at the oracle."""

    collateral: int
    """Value of its collateral, rounded down."""
    borrow_power: int
    """``sum(value x LTV)`` in Gwei x bps."""
    liquidation_power: int
    """``sum(value x liquidation threshold)`` in Gwei x bps."""
    debt: int
    """Value of its debt, rounded up."""

    def healthy(self) -> bool:
        """HF >= 1 (no debt: healthy)."""
        return self.liquidation_power >= self.debt * BPS

    def within_ltv(self) -> bool:
        return self.borrow_power >= self.debt * BPS

    def health_factor(self) -> int | None:
        """HF x 10^18, rounded down; None without debt (Aave: type(uint256).max)."""
        if self.debt == 0:
            return None
        return mul_div(self.liquidation_power, WAD, self.debt * BPS, Rounding.DOWN)

    def below(self, threshold_bps: int) -> bool:
        """HF < ``threshold_bps`` / 10^4."""
        return self.liquidation_power < self.debt * threshold_bps


def value_of(amount: int, price: int, rounding: Rounding) -> int:
    """SWK (Gwei) ``amount`` of an asset priced ``price`` (x 10^18) is worth."""
    return mul_div(amount, price, ORACLE_SCALE, rounding)


def risk(state: LendingState, market: str, emode: bool) -> tuple[int, int, int]:
    """(LTV, liquidation threshold, bonus) in bps of ``market``'s collateral, in e-mode or not."""
    p = state.params
    if emode:
        return p.emode_ltv_bps, p.emode_liquidation_threshold_bps, p.emode_liquidation_bonus_bps
    return p.of(market, "ltv_bps"), p.of(market, "liquidation_threshold_bps"), p.of(market, "liquidation_bonus_bps")


def account_values(
    state: LendingState,
    account: bytes,
    price: dict[str, int],
    *,
    supply: dict[str, int] | None = None,
    debt: dict[str, int] | None = None,
    emode: bool | None = None,
    collateral_off: Sequence[str] | None = None,
) -> AccountValues:
    """``account``'s values now, or after a change: ``supply`` / ``debt`` give a market's balance afterwards,
    ``emode`` and ``collateral_off`` its settings afterwards."""
    cfg = state.config(account)
    in_emode = cfg.emode if emode is None else emode
    off = cfg.collateral_off if collateral_off is None else collateral_off
    collateral = borrow_power = liquidation_power = owed = 0
    for name in MARKETS:
        market = state.market(name)
        held = market.supply_of(account) if supply is None or name not in supply else supply[name]
        if held and name not in off:
            value = value_of(held, price[name], Rounding.DOWN)
            ltv, lt, _ = risk(state, name, in_emode)
            collateral += value
            borrow_power += value * ltv
            liquidation_power += value * lt
        borrowed = market.debt_of(account) if debt is None or name not in debt else debt[name]
        if borrowed:
            owed += value_of(borrowed, price[name], Rounding.UP)
    return AccountValues(collateral, borrow_power, liquidation_power, owed)


def has_collateral(state: LendingState, account: bytes) -> bool:
    """Whether ``account`` holds any supply that counts as collateral."""
    return any(state.market(m).supply.get(account, 0) and state.is_collateral(account, m) for m in MARKETS)


# --- moving assets ----------------------------------------------------------------------------------------------------
def _take(host: ModuleHost, market: str, sender: bytes, amount: int) -> None:
    """Move ``amount`` of the market's asset from ``sender`` into the module (raises, changing nothing, if short)."""
    module = host.module_address(MODULE)
    if market == "swk":
        host.debit(sender, amount)
        host.credit(module, amount)
        return
    ledger = staked_of(host)
    held = ledger.shares_of(sender)
    if held < amount:
        # equivalent mutant (delete raise): the stSWK ledger refuses the overdraft itself, before moving anything
        raise InsufficientShares(f"sender holds {held} stSWK shares, {amount} needed")
    ledger.transfer_shares(sender, module, amount)


def _give(host: ModuleHost, market: str, recipient: bytes, amount: int) -> None:
    """Pay ``amount`` of the market's asset from the module to ``recipient``."""
    module = host.module_address(MODULE)
    if market == "swk":
        host.debit(module, amount)
        host.credit(recipient, amount)
    else:
        staked_of(host).transfer_shares(module, recipient, amount)


def _asset_available(host: ModuleHost, market: str) -> None:
    if market == "stswk":
        staked_of(host)


def _not_reserved(host: ModuleHost, address: bytes, what: str) -> None:
    if address in (BURN_ADDRESS, host.module_address(MODULE)):
        raise NotAuthorized(f"{what}: the burn address and the module's own account hold no position")


def _mint(book: dict[bytes, int], account: bytes, scaled: int) -> None:
    book[account] = book.get(account, 0) + scaled


def _burn(book: dict[bytes, int], account: bytes, scaled: int) -> None:
    # equivalent mutant (const 0 to -1|const 0 to 1): every caller burns from an account the book holds
    left = book.get(account, 0) - scaled
    if left:
        book[account] = left
    else:
        book.pop(account, None)


def _last_collateral(state: LendingState, account: bytes, market: str) -> bool:
    """Whether ``market``'s supply is ``account``'s only collateral."""
    return all(
        m == market or not (state.market(m).supply.get(account, 0) and state.is_collateral(account, m)) for m in MARKETS
    )


def _set_config(state: LendingState, account: bytes, cfg: UserConfig) -> None:
    if not cfg.emode and not cfg.collateral_off:
        state.users.pop(account, None)
    else:
        state.users[account] = cfg


def _hf_refusal(values: AccountValues, what: str) -> HealthFactorTooLow:
    hf = values.health_factor()
    shown = "no debt" if hf is None else f"{hf / WAD:.4f}"
    return HealthFactorTooLow(f"{what} would leave the health factor at {shown}, below 1; repay or supply first")


# --- handlers ---------------------------------------------------------------------------------------------------------
def handle_supply(state: LendingState, host: ModuleHost, sender: bytes, msg: Supply) -> None:
    """Aave ``SupplyLogic.executeSupply``: mint ``floor(amount / liquidity_index)`` scaled supply."""
    market = state.market(msg.market)
    _not_reserved(host, sender, "supply")
    # equivalent mutant (delete call): _take's ledger lookup refuses the same way before anything changes
    _asset_available(host, msg.market)
    if msg.amount <= 0:
        raise BelowMinimum("supply a positive amount")
    scaled = ray_div(msg.amount, market.supply_index, Rounding.DOWN)
    if scaled == 0:
        raise BelowMinimum(f"{msg.amount} is less than one scaled unit at the current index; supply more")
    cap = state.params.of(msg.market, "supply_cap")
    if cap and market.total_supply() + msg.amount > cap:
        raise CapExceeded(f"the {msg.market} market's supply cap is {cap}; {market.total_supply()} is supplied")
    if market.total_scaled_supply + scaled > MAX_U64 or market.cash + msg.amount > MAX_U64:
        raise CapExceeded(f"the {msg.market} market would hold more than 2^64 - 1 units")
    _take(host, msg.market, sender, msg.amount)
    market.cash += msg.amount
    _mint(market.supply, sender, scaled)
    market.total_scaled_supply += scaled


def handle_withdraw(state: LendingState, host: ModuleHost, sender: bytes, msg: Withdraw) -> None:
    """Aave ``SupplyLogic.executeWithdraw``: burn ``ceil(amount / liquidity_index)`` (all when withdrawing the
    whole balance); refused beyond the cash or if HF would fall below 1."""
    market = state.market(msg.market)
    _asset_available(host, msg.market)
    balance = market.supply_of(sender)
    amount = balance if msg.amount is None else msg.amount
    if balance == 0:
        raise InsufficientShares(f"sender has no supply in the {msg.market} market")
    if amount <= 0:
        raise BelowMinimum("withdraw a positive amount")
    if amount > balance:
        raise InsufficientShares(f"sender's supply in the {msg.market} market is {balance}, {amount} asked")
    if amount > market.cash:
        raise InsufficientLiquidity(
            f"the {msg.market} market holds {market.cash} in cash (the rest is lent out); withdraw at most that"
        )
    held = market.supply[sender]
    # equivalent mutant (keeping argument 1): amount <= floor(held x index): ceil(amount / index) <= held
    burn = held if amount == balance else min(ray_div(amount, market.supply_index, Rounding.UP), held)
    in_debt = any(state.market(m).debt.get(sender) for m in MARKETS)
    if in_debt and burn == held and _last_collateral(state, sender, msg.market):
        raise HealthFactorTooLow(f"the {msg.market} supply is the last collateral of a debt; repay the debt first")
    if state.is_collateral(sender, msg.market) and in_debt:
        after = account_values(
            state,
            sender,
            prices(state, host),
            supply={msg.market: ray_mul(held - burn, market.supply_index, Rounding.DOWN)},
        )
        if not after.healthy():
            raise _hf_refusal(after, "this withdrawal")
    _give(host, msg.market, sender, amount)
    market.cash -= amount
    _burn(market.supply, sender, burn)
    market.total_scaled_supply -= burn


def handle_borrow(state: LendingState, host: ModuleHost, sender: bytes, msg: Borrow) -> None:
    """Aave ``BorrowLogic.executeBorrow``: mint ``ceil(amount / borrow_index)`` scaled debt; refused unless the
    collateral's borrowing power (LTV) covers the whole debt afterwards and HF >= 1."""
    market = state.market(msg.market)
    _not_reserved(host, sender, "borrow")
    _asset_available(host, msg.market)
    if msg.amount <= 0:
        raise BelowMinimum("borrow a positive amount")
    if not state.params.of(msg.market, "borrow_enabled"):
        raise BorrowingDisabled(f"borrowing from the {msg.market} market is disabled by governance")
    if msg.amount > market.cash:
        raise InsufficientLiquidity(f"the {msg.market} market holds {market.cash} in cash; borrow at most that")
    price = prices(state, host)
    if price[msg.market] == 0:
        raise NotReady(f"the {msg.market} market has no price now; nothing can be borrowed from it")
    scaled = ray_div(msg.amount, market.debt_index, Rounding.UP)
    if market.total_scaled_debt + scaled > MAX_U64:
        raise CapExceeded(f"the {msg.market} market's debt would pass 2^64 - 1 units")
    owed = ray_mul(market.debt.get(sender, 0) + scaled, market.debt_index, Rounding.UP)
    after = account_values(state, sender, price, debt={msg.market: owed})
    if not after.within_ltv():
        raise HealthFactorTooLow(
            f"borrowing {msg.amount} would make the debt ({after.debt} Gwei of SWK) exceed the borrowing power of the "
            f"collateral ({after.borrow_power // BPS} Gwei at its LTV); supply more collateral or borrow less"
        )
    if not after.healthy():
        # equivalent mutant (delete raise): LTV <= liquidation threshold (check_parameters): within the LTV is healthy
        raise _hf_refusal(after, "this borrow")
    _give(host, msg.market, sender, msg.amount)
    market.cash -= msg.amount
    _mint(market.debt, sender, scaled)
    market.total_scaled_debt += scaled


def handle_repay(state: LendingState, host: ModuleHost, sender: bytes, msg: Repay) -> None:
    """Aave ``BorrowLogic.executeRepay``: pay ``min(amount, debt)``; burn ``floor(paid / borrow_index)`` (all of it
    when the whole debt is paid)."""
    market = state.market(msg.market)
    _asset_available(host, msg.market)
    debtor = sender if msg.on_behalf_of is None else msg.on_behalf_of
    owed = market.debt_of(debtor)
    if owed == 0:
        raise NoDebt(f"{debtor.hex()} owes nothing in the {msg.market} market")
    if msg.amount <= 0:
        raise BelowMinimum("repay a positive amount")
    pay = min(msg.amount, owed)
    held = market.debt[debtor]
    burn = held if pay == owed else ray_div(pay, market.debt_index, Rounding.DOWN)
    if burn == 0:
        raise BelowMinimum(f"{pay} is less than one scaled unit of debt at the current index; repay more")
    _take(host, msg.market, sender, pay)
    market.cash += pay
    _burn(market.debt, debtor, burn)
    market.total_scaled_debt -= burn


def handle_set_collateral(state: LendingState, host: ModuleHost, sender: bytes, msg: SetCollateral) -> None:
    """Aave ``setUserUseReserveAsCollateral``; turning collateral off is refused if HF would fall below 1."""
    state.market(msg.market)
    cfg = state.config(sender)
    off = [m for m in cfg.collateral_off if m != msg.market] + ([] if msg.enabled else [msg.market])
    if not msg.enabled and msg.market not in cfg.collateral_off:
        in_debt = any(state.market(m).debt.get(sender) for m in MARKETS)
        if in_debt and state.market(msg.market).supply.get(sender) and _last_collateral(state, sender, msg.market):
            raise HealthFactorTooLow(f"the {msg.market} supply is the last collateral of a debt; repay the debt first")
        after = account_values(state, sender, prices(state, host), collateral_off=off)
        if not after.healthy():
            raise _hf_refusal(after, f"turning off {msg.market} as collateral")
    _set_config(state, sender, msgspec.structs.replace(cfg, collateral_off=tuple(sorted(off))))


def handle_set_emode(state: LendingState, host: ModuleHost, sender: bytes, msg: SetEmode) -> None:
    """Aave ``EModeLogic.executeSetUserEMode``: refused if HF would fall below 1 in the new mode."""
    cfg = state.config(sender)
    if cfg.emode != msg.enabled:
        after = account_values(state, sender, prices(state, host), emode=msg.enabled)
        if not after.healthy():
            raise _hf_refusal(after, "leaving e-mode" if cfg.emode else "entering e-mode")
    _set_config(state, sender, msgspec.structs.replace(cfg, emode=msg.enabled))


@dataclass(frozen=True, slots=True)
class LiquidationQuote:
    """What a liquidation would do: debt repaid, collateral seized (both in their markets' units)."""

    debt_repaid: int
    collateral_seized: int
    max_debt: int
    """The most the close factor lets one liquidation repay now."""
    health_factor: int | None


def quote_liquidation(
    state: LendingState, host: ModuleHost, borrower: bytes, debt_market: str, collateral_market: str, amount: int | None
) -> LiquidationQuote:
    """Aave ``LiquidationLogic`` (``_calculateDebt`` and ``_calculateAvailableCollateralToLiquidate``): raises what
    the liquidation would raise; otherwise the debt it repays and the collateral it seizes. Rounded for the
    protocol: collateral seized down, debt the liquidator pays up."""
    dm, cm = state.market(debt_market), state.market(collateral_market)
    owed = dm.debt_of(borrower)
    if owed == 0:
        raise NoDebt(f"{borrower.hex()} owes nothing in the {debt_market} market")
    price = prices(state, host)
    values = account_values(state, borrower, price)
    if values.healthy():
        hf = values.health_factor()
        raise PositionHealthy(
            f"the position's health factor is {'infinite' if hf is None else f'{hf / WAD:.4f}'}, not below 1; "
            "only an unhealthy position may be liquidated"
        )
    held = cm.supply_of(borrower)
    if held == 0 or not state.is_collateral(borrower, collateral_market):
        raise BelowMinimum(f"the borrower has no collateral in the {collateral_market} market")
    close = BPS if values.below(state.params.close_factor_full_hf_bps) else state.params.close_factor_bps
    max_debt = mul_div(owed, close, BPS, Rounding.UP)
    want = max_debt if amount is None else min(amount, max_debt)
    if want <= 0:
        raise BelowMinimum("liquidate a positive amount of debt")
    _, _, bonus = risk(state, collateral_market, state.in_emode(borrower))
    pd, pc = price[debt_market], price[collateral_market]
    if pc == 0:
        seized, repaid = held, 0  # worthless collateral: it goes for nothing, and the debt is left as bad debt
    else:
        most = mul_div(want * pd, BPS + bonus, pc * BPS, Rounding.DOWN)
        if most > held:
            seized = held
            # equivalent mutant (keeping argument 1): held < want x k (most > held): ceil(held / k) <= want
            repaid = min(mul_div(held * pc, BPS, pd * (BPS + bonus), Rounding.UP), want)
        else:
            seized, repaid = most, want
    if seized == 0:
        raise BelowMinimum(f"repaying {want} would seize no collateral at the current prices; liquidate more")
    return LiquidationQuote(repaid, seized, max_debt, values.health_factor())


def handle_liquidate(state: LendingState, host: ModuleHost, sender: bytes, msg: Liquidate) -> None:
    """Aave ``LiquidationLogic.executeLiquidationCall`` (see :func:`quote_liquidation`), then bad debt: if the
    borrower has no collateral left and debt remains, every remaining debt is written off (:func:`write_off`)."""
    borrower = msg.borrower
    _asset_available(host, msg.debt_market)
    _asset_available(host, msg.collateral_market)
    _not_reserved(host, sender, "liquidate")
    q = quote_liquidation(state, host, borrower, msg.debt_market, msg.collateral_market, msg.amount)
    dm, cm = state.market(msg.debt_market), state.market(msg.collateral_market)
    owed, held = dm.debt_of(borrower), cm.supply_of(borrower)
    debt_scaled, supply_scaled = dm.debt[borrower], cm.supply[borrower]
    burn_debt = debt_scaled if q.debt_repaid == owed else ray_div(q.debt_repaid, dm.debt_index, Rounding.DOWN)
    if q.debt_repaid and burn_debt == 0:
        raise BelowMinimum(f"{q.debt_repaid} is less than one scaled unit of debt; liquidate more")
    burn_supply = (
        supply_scaled
        if q.collateral_seized == held
        # equivalent mutant (keeping argument 1): seized <= floor(scaled x index): ceil(seized / index) <= scaled
        else min(ray_div(q.collateral_seized, cm.supply_index, Rounding.UP), supply_scaled)
    )
    if not msg.receive_supply:
        cash = cm.cash + (q.debt_repaid if msg.debt_market == msg.collateral_market else 0)
        if q.collateral_seized > cash:
            raise InsufficientLiquidity(
                f"the {msg.collateral_market} market holds {cm.cash} in cash, {q.collateral_seized} to seize: "
                "liquidate with receive_supply to take the collateral as supply"
            )
    # equivalent mutant (const 0 to -1): burn_supply <= the market's scaled total <= 2^64 - 1: never more by itself
    elif cm.supply.get(sender, 0) + burn_supply > MAX_U64:
        raise CapExceeded("the liquidator's supply would pass 2^64 - 1 scaled units")
    if q.debt_repaid:
        _take(host, msg.debt_market, sender, q.debt_repaid)
    if not msg.receive_supply:
        _give(host, msg.collateral_market, sender, q.collateral_seized)
    dm.cash += q.debt_repaid
    _burn(dm.debt, borrower, burn_debt)
    dm.total_scaled_debt -= burn_debt
    _burn(cm.supply, borrower, burn_supply)
    if msg.receive_supply:
        _mint(cm.supply, sender, burn_supply)
    else:
        cm.cash -= q.collateral_seized
        cm.total_scaled_supply -= burn_supply
    if not has_collateral(state, borrower):
        write_off(state, host, borrower)


def write_off(state: LendingState, host: ModuleHost, borrower: bytes) -> None:
    """Every debt ``borrower`` has left becomes its market's deficit (Aave v3.3 ``_burnBadDebt``), is recorded, and
    is reported to the safety module at once (:func:`cover_deficit`; the epoch hook retries what is left)."""
    for market in state.markets():
        amount = market.debt_of(borrower)
        if amount == 0:
            continue
        market.total_scaled_debt -= market.debt.pop(borrower)
        market.deficit = sat_add(market.deficit, amount)
        market.bad_debt_total = sat_add(market.bad_debt_total, amount)
        record = BadDebt(epoch=host.epoch, borrower=borrower, market=market.asset, amount=amount)
        state.bad_debts.append(record)
        # equivalent mutant (cmp > to >=): at exactly BAD_DEBT_HISTORY records the slice deleted is empty
        if len(state.bad_debts) > BAD_DEBT_HISTORY:
            del state.bad_debts[: len(state.bad_debts) - BAD_DEBT_HISTORY]
        record.covered = min(cover_deficit(state, host, market), amount)  # (the cover may include an older deficit)


def cover_deficit(state: LendingState, host: ModuleHost, market: Market) -> int:
    """Ask the safety module to cover ``market``'s deficit (:class:`~stakework.modules.safety.protocols.
    ShortfallCover`: its vault of the same asset is slashed, up to its cap, into the module's account); the SWK (or
    stSWK shares) received join the market's cash and the deficit falls by as much. Returns what was covered. A
    refusal (the module is no authorised reporter, a slashing is being settled, nothing is slashable) is counted and
    the deficit stays for the next epoch."""
    cover = shortfall_cover_of(host)
    # equivalent mutant (const 0 to -1): only a positive deficit is offered (write_off adds one; the hook checks)
    if market.deficit == 0 or cover is None:
        return 0
    module = host.module_address(MODULE)
    try:
        taken = cover.cover_shortfall(
            module, market.asset, market.deficit, module, f"lending: bad debt in the {market.asset} market"
        )
    except StakeworkError as exc:
        state.cover_failures = sat_add(state.cover_failures, 1)
        state.last_cover_error = str(exc)[:160]
        return 0
    taken = min(taken, market.deficit)
    market.cash += taken
    market.deficit -= taken
    market.covered_total = sat_add(market.covered_total, taken)
    return taken


def handle_set_parameters(state: LendingState, host: ModuleHost, sender: bytes, msg: SetParameters) -> None:
    """The governance executor: every change checked, the whole set checked (``parameters.with_changes``)."""
    if sender != state.governance:
        raise NotAuthorized("only the governance executor sets the lending module's parameters")
    if not msg.changes:
        raise BelowMinimum("set_parameters names no parameter to change")
    state.params = with_changes(state.params, **{c.name: c.value for c in msg.changes})


HANDLERS: dict[type[Any], Callable[[LendingState, ModuleHost, bytes, Any], None]] = {
    Supply: handle_supply,
    Withdraw: handle_withdraw,
    Borrow: handle_borrow,
    Repay: handle_repay,
    SetCollateral: handle_set_collateral,
    SetEmode: handle_set_emode,
    Liquidate: handle_liquidate,
    SetParameters: handle_set_parameters,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: LendingState, host: ModuleHost, sender: bytes, msg: LendingMessage) -> None:
    """Accrue every market to the current epoch, then run the handler for ``msg``."""
    accrue_all(state, host.epoch)
    HANDLERS[type(msg)](state, host, sender, msg)
