"""Pure AMM handlers: ``handle_<message>(state, host, sender, msg)``. Each computes its result from the pool as it
stands (:mod:`.stableswap`, nothing changed yet), checks the message's slippage bound, moves the coins (stSWK
holdings checked before SWK is debited, so a refusal changes nothing), then updates the state: the oracle's
record of the last epoch's price (:func:`oracle.record`), a ramp of A governance asked for, the balances, the LP
ledger and the price after the message. O(1) in the number of LPs.

Anchors: Curve StableSwap (``exchange``, ``add_liquidity``, ``remove_liquidity``, ``remove_liquidity_one_coin``,
``ramp_A``, ``stop_ramp_A``) with StableSwap-NG's rate-scaled coin; exact-out swaps as Balancer's GIVEN_OUT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.modules.amm import MODULE, oracle
from stakework.modules.amm.errors import (
    AboveMaximum,
    AmmError,
    BelowMinimum,
    EmptyPool,
    InsufficientShares,
    InvalidParameter,
    NotAuthorized,
    NotReady,
    SlippageExceeded,
)
from stakework.modules.amm.messages import (
    COINS,
    AddLiquidity,
    AmmMessage,
    Exchange,
    ExchangeExactOut,
    RampA,
    RemoveLiquidity,
    RemoveLiquidityOneCoin,
    StopRampA,
    coin_index,
)
from stakework.modules.amm.protocols import StakedToken, rate_of, staked_token_of
from stakework.modules.amm.stableswap import (
    A_PRECISION,
    MAX_A,
    MAX_A_CHANGE,
    PRECISION,
    Deposit,
    Swap,
    exchange,
    exchange_exact_out,
    get_D,
    get_p,
)
from stakework.modules.amm.stableswap import add_liquidity as calc_add
from stakework.modules.amm.stableswap import remove_liquidity as calc_remove
from stakework.modules.amm.stableswap import remove_liquidity_one_coin as calc_remove_one
from stakework.modules.amm.state import MAX_RAMP_EPOCHS, AmmState
from stakework.modules.arith import Rounding, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.shares import BURN_ADDRESS, MAX_SHARES


# --- moving coins -----------------------------------------------------------------------------------------------------
def _not_reserved(host: ModuleHost, address: bytes) -> None:
    if address == BURN_ADDRESS or address == host.module_address(MODULE):
        raise NotAuthorized("reserved address: the burn address and the pool's own account cannot trade")


def _check_holds(host: ModuleHost, ledger: StakedToken, sender: bytes, coin: int, amount: int) -> None:
    """stSWK shares are checked here (the SWK debit refuses by itself, changing nothing)."""
    if coin == 1 and ledger.shares_of(sender) < amount:
        raise InsufficientShares(f"sender holds {ledger.shares_of(sender)} stSWK shares, {amount} needed")


def _take(host: ModuleHost, ledger: StakedToken, sender: bytes, amounts: tuple[int, int]) -> None:
    """Move ``amounts`` (SWK, stSWK shares) from ``sender`` into the pool: stSWK checked first, then the SWK debit
    (which refuses changing nothing), then the stSWK transfer (checked, so it cannot fail)."""
    _check_holds(host, ledger, sender, 1, amounts[1])
    module = host.module_address(MODULE)
    if amounts[0]:
        host.debit(sender, amounts[0])
        host.credit(module, amounts[0])
    if amounts[1]:
        ledger.transfer_shares(sender, module, amounts[1])


def _pay(host: ModuleHost, ledger: StakedToken, recipient: bytes, amounts: tuple[int, int]) -> None:
    module = host.module_address(MODULE)
    if amounts[0]:
        host.debit(module, amounts[0])
        host.credit(recipient, amounts[0])
    if amounts[1]:
        ledger.transfer_shares(module, recipient, amounts[1])


def _pair(i: int, amount: int) -> tuple[int, int]:
    return (amount, 0) if i == 0 else (0, amount)


# --- the state after a message ----------------------------------------------------------------------------------------
def start_pending_ramp(state: AmmState, epoch: int) -> None:
    """A ramp governance asked for (the ``future_a`` parameter) starts at the first touch allowed by Curve's
    rules: ``min_ramp_epochs`` after the last ramp began; it runs ``max(ramp_epochs, min_ramp_epochs)`` epochs to
    the asked A, clamped to a tenfold change from the current A (``MAX_A_CHANGE``)."""
    if state.pending_future_a == 0 or epoch < state.initial_a_epoch + state.min_ramp_epochs:
        return
    current = state.a(epoch)
    target = state.pending_future_a * A_PRECISION
    # equivalent mutant (op - to +|const 1 to 0): future_a is a parameter of at most MAX_A - 1; a higher cap never binds
    target = min(max(target, -(-current // MAX_A_CHANGE)), current * MAX_A_CHANGE, (MAX_A - 1) * A_PRECISION)
    state.initial_a = current
    state.future_a = target
    state.initial_a_epoch = epoch
    state.future_a_epoch = epoch + max(state.ramp_epochs, state.min_ramp_epochs)
    state.pending_future_a = 0


def _settle(state: AmmState, epoch: int) -> None:
    """What every touch does before the balances change: record the last epoch's price, start a pending ramp."""
    oracle.record(state, epoch)
    start_pending_ramp(state, epoch)


def refresh(state: AmmState, rate: int, epoch: int) -> None:
    """After the balances changed: the LP ledger's assets are the pool's D, the oracle's last price is now's. Where
    D is undefined (only a balanced withdrawal may leave the pool so: it is never refused, as in Curve, where "only
    withdrawal will work"), both keep their last values and every other message is refused until D is defined."""
    if not state.lp.total_shares:
        return
    pool = state.pool(rate, epoch)
    try:
        d = get_D(pool.xp, pool.amp)
        price = get_p(pool.xp, pool.amp, d) * rate // PRECISION
    except AmmError:
        return
    state.lp.set_total_assets(d)
    state.price_last = price


def _apply_swap(state: AmmState, swap: Swap, rate: int, epoch: int) -> None:
    _settle(state, epoch)
    state.swk_balance, state.stswk_balance = swap.balances
    j = 1 - swap.i
    if j == 0:
        state.admin_swk += swap.admin
    else:
        state.admin_stswk += swap.admin
    state.swaps += 1
    state.volume_swk += swap.dx if swap.i == 0 else swap.dx * rate // PRECISION
    refresh(state, rate, epoch)


def _begin(state: AmmState, host: ModuleHost) -> tuple[StakedToken, int]:
    ledger = staked_token_of(host)
    return ledger, rate_of(ledger)


# --- handlers ---------------------------------------------------------------------------------------------------------
def handle_exchange(state: AmmState, host: ModuleHost, sender: bytes, msg: Exchange) -> None:
    """Sell ``dx`` of ``sell`` for at least ``min_dy`` of the other coin (Curve ``exchange``)."""
    _not_reserved(host, sender)
    ledger, rate = _begin(state, host)
    i = coin_index(msg.sell)
    swap = exchange(state.pool(rate, host.epoch), i, msg.dx)
    if swap.dy < msg.min_dy:
        raise SlippageExceeded(f"selling {msg.dx} {msg.sell} gives {swap.dy} {COINS[1 - i]}, below min_dy {msg.min_dy}")
    _take(host, ledger, sender, _pair(i, msg.dx))
    _pay(host, ledger, sender, _pair(1 - i, swap.dy))
    _apply_swap(state, swap, rate, host.epoch)


def handle_exchange_exact_out(state: AmmState, host: ModuleHost, sender: bytes, msg: ExchangeExactOut) -> None:
    """Buy exactly ``dy`` of the other coin for at most ``max_dx`` of ``sell`` (the input rounded up)."""
    _not_reserved(host, sender)
    ledger, rate = _begin(state, host)
    i = coin_index(msg.sell)
    swap = exchange_exact_out(state.pool(rate, host.epoch), i, msg.dy)
    if swap.dx > msg.max_dx:
        raise SlippageExceeded(f"buying {msg.dy} {COINS[1 - i]} costs {swap.dx} {msg.sell}, above max_dx {msg.max_dx}")
    _take(host, ledger, sender, _pair(i, swap.dx))
    _pay(host, ledger, sender, _pair(1 - i, swap.dy))
    _apply_swap(state, swap, rate, host.epoch)


def preview_mint(state: AmmState, dep: Deposit) -> int:
    """LP shares a deposit mints: its credit (:meth:`Deposit.credit`) times ``supply / d0``, rounded down (the share
    ledger's ``mint_for_deposit`` with ``total_assets = d0``), or D less the dead shares for the first deposit."""
    lp = state.lp
    if lp.total_shares == 0:
        return max(dep.d2 - lp.dead_shares, 0)
    return mul_div(dep.credit(lp.total_shares), lp.total_shares, dep.d0, Rounding.DOWN)


def handle_add_liquidity(state: AmmState, host: ModuleHost, sender: bytes, msg: AddLiquidity) -> None:
    """Deposit for at least ``min_mint`` LP shares (Curve ``add_liquidity``, imbalance fee included)."""
    _not_reserved(host, sender)
    ledger, rate = _begin(state, host)
    amounts = (msg.swk, msg.stswk)
    dep = calc_add(state.pool(rate, host.epoch), amounts)
    credit = dep.credit(state.lp.total_shares)
    minted = preview_mint(state, dep)
    if minted == 0:
        raise BelowMinimum(
            f"the deposit mints no LP share (the first deposit must be worth more than the "
            f"{state.lp.dead_shares} units locked as dead shares)"
        )
    if minted < msg.min_mint:
        raise SlippageExceeded(f"the deposit mints {minted} LP shares, below min_mint {msg.min_mint}")
    if state.lp.total_shares + minted + (0 if state.lp.total_shares else state.lp.dead_shares) > MAX_SHARES:
        raise AboveMaximum(f"minting {minted} LP shares would take the total past 2^64 - 1")
    _take(host, ledger, sender, amounts)
    _settle(state, host.epoch)
    if state.lp.total_shares:
        state.lp.set_total_assets(dep.d0)
    state.lp.mint_for_deposit(sender, credit)
    state.swk_balance, state.stswk_balance = dep.balances
    state.admin_swk += dep.admin[0]
    state.admin_stswk += dep.admin[1]
    refresh(state, rate, host.epoch)


def handle_remove_liquidity(state: AmmState, host: ModuleHost, sender: bytes, msg: RemoveLiquidity) -> None:
    """Burn LP shares for both coins pro rata, rounded down (Curve ``remove_liquidity``)."""
    ledger, rate = _begin(state, host)
    held = state.lp.shares_of(sender)
    if msg.shares > held:
        raise InsufficientShares(f"sender holds {held} LP shares, {msg.shares} to burn")
    out = calc_remove(state.pool(rate, host.epoch), msg.shares)
    if out[0] < msg.min_swk or out[1] < msg.min_stswk:
        raise SlippageExceeded(
            f"burning {msg.shares} LP shares gives {out[0]} SWK and {out[1]} stSWK shares, below the minimums "
            f"{msg.min_swk} and {msg.min_stswk}"
        )
    if out == (0, 0):
        raise BelowMinimum(f"{msg.shares} LP shares are worth nothing; burn more")
    _pay(host, ledger, sender, out)
    _settle(state, host.epoch)
    state.lp.burn(sender, msg.shares)
    state.swk_balance -= out[0]
    state.stswk_balance -= out[1]
    refresh(state, rate, host.epoch)


def handle_remove_liquidity_one_coin(
    state: AmmState, host: ModuleHost, sender: bytes, msg: RemoveLiquidityOneCoin
) -> None:
    """Burn LP shares for one coin (Curve ``remove_liquidity_one_coin``)."""
    ledger, rate = _begin(state, host)
    held = state.lp.shares_of(sender)
    if msg.shares > held:
        raise InsufficientShares(f"sender holds {held} LP shares, {msg.shares} to burn")
    i = coin_index(msg.coin)
    if state.lp.total_shares == 0:
        raise EmptyPool("the pool has no liquidity")
    w = calc_remove_one(state.pool(rate, host.epoch), msg.shares, i)
    if w.dy < msg.min_amount:
        raise SlippageExceeded(
            f"burning {msg.shares} LP shares gives {w.dy} {msg.coin}, below min_amount {msg.min_amount}"
        )
    _pay(host, ledger, sender, _pair(i, w.dy))
    _settle(state, host.epoch)
    state.lp.burn(sender, msg.shares)
    state.swk_balance, state.stswk_balance = w.balances
    if i == 0:
        state.admin_swk += w.admin
    else:
        state.admin_stswk += w.admin
    refresh(state, rate, host.epoch)


def check_ramp(state: AmmState, epoch: int, future_a: int, future_epoch: int) -> None:
    """Curve ``ramp_A``'s checks: ``min_ramp_epochs`` since the last ramp began, a ramp at least that long, ``0 <
    future_a < MAX_A``, and at most a tenfold change from the current A."""
    if epoch < state.initial_a_epoch + state.min_ramp_epochs:
        raise NotReady(
            f"the last ramp began at epoch {state.initial_a_epoch}; ramp again from epoch "
            f"{state.initial_a_epoch + state.min_ramp_epochs}"
        )
    if future_epoch < epoch + state.min_ramp_epochs or future_epoch > epoch + MAX_RAMP_EPOCHS:
        raise InvalidParameter(
            f"a ramp takes {state.min_ramp_epochs}..{MAX_RAMP_EPOCHS} epochs: future_epoch from "
            f"{epoch + state.min_ramp_epochs}"
        )
    if not 0 < future_a < MAX_A:
        raise InvalidParameter(f"A must be in 1..{MAX_A - 1}, got {future_a}")
    current = state.a(epoch)
    target = future_a * A_PRECISION
    if target * MAX_A_CHANGE < current or target > current * MAX_A_CHANGE:
        raise InvalidParameter(
            f"one ramp changes A at most {MAX_A_CHANGE}-fold: from {current / A_PRECISION:g}, ask "
            f"{-(-current // (MAX_A_CHANGE * A_PRECISION))}..{current * MAX_A_CHANGE // A_PRECISION}"
        )


def handle_ramp_a(state: AmmState, host: ModuleHost, sender: bytes, msg: RampA) -> None:
    """Curve ``ramp_A`` by the governance executor."""
    if sender != state.governance:
        raise NotAuthorized("only the governance executor ramps A")
    check_ramp(state, host.epoch, msg.future_a, msg.future_epoch)
    _settle(state, host.epoch)
    state.initial_a = state.a(host.epoch)
    state.future_a = msg.future_a * A_PRECISION
    state.initial_a_epoch = host.epoch
    state.future_a_epoch = msg.future_epoch
    state.pending_future_a = 0


def handle_stop_ramp_a(state: AmmState, host: ModuleHost, sender: bytes, msg: StopRampA) -> None:
    """Curve ``stop_ramp_A`` by the governance executor: A stays where it is now (a pending ramp is dropped)."""
    if sender != state.governance:
        raise NotAuthorized("only the governance executor stops a ramp of A")
    _settle(state, host.epoch)
    current = state.a(host.epoch)
    state.initial_a = state.future_a = current
    state.initial_a_epoch = state.future_a_epoch = host.epoch
    state.pending_future_a = 0


HANDLERS: dict[type[Any], Callable[[AmmState, ModuleHost, bytes, Any], None]] = {
    Exchange: handle_exchange,
    ExchangeExactOut: handle_exchange_exact_out,
    AddLiquidity: handle_add_liquidity,
    RemoveLiquidity: handle_remove_liquidity,
    RemoveLiquidityOneCoin: handle_remove_liquidity_one_coin,
    RampA: handle_ramp_a,
    StopRampA: handle_stop_ramp_a,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: AmmState, host: ModuleHost, sender: bytes, msg: AmmMessage) -> None:
    """Run the handler for ``msg``."""
    HANDLERS[type(msg)](state, host, sender, msg)
