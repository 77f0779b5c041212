"""Curve StableSwap math for a two-coin pool, in integers, with every operation rounded towards the pool.

Coin 0 is SWK (Gwei, rate ``PRECISION``); coin 1 is stSWK shares, scaled by the liquid module's share price
(``rate = SWK Gwei per 10**18 shares``, Curve StableSwap-NG's "oracle" asset type). ``xp[i] = balance[i] * rate[i]
// PRECISION`` are the balances in SWK value, on which the invariant works:

    A * n^n * sum(x) + D = A * D * n^n + D^(n+1) / (n^n * prod(x))

- :func:`get_D`: D by Newton's method from ``D = sum(x)``, stopping when an iteration moves it by at most 1
  (Curve's convergence rule), at most 255 iterations (Curve raises otherwise: :class:`NoConvergence`);
- :func:`get_y` / :func:`get_y_D`: the balance of coin ``j`` that keeps D, by Newton's method on
  ``y^2 + (b - D) y = c`` (Curve ``get_y``, ``get_y_D``);
- :func:`get_p`: the marginal price dx0/dx1 (StableSwap-NG ``_get_p``).

The amplification is stored as ``A * A_PRECISION`` (Curve's factory pools); fees in ``FEE_DENOMINATOR`` (10**10)
units as Curve's. The operations (:func:`exchange`, :func:`exchange_exact_out`, :func:`add_liquidity`,
:func:`remove_liquidity`, :func:`remove_liquidity_one_coin`) compute a result without changing anything; the
handlers apply it. Departures from Curve, all in the pool's favour (docs/modules.md, "AMM"):

- every fee rounds **up** (Curve: down); the admin's cut of a fee rounds down (the rest stays with the LPs);
- an exact-in swap's output is checked: D of the balances before, moved by the input valued rounded down and the
  output (with the admin's cut) valued rounded up, must not be smaller than D before (at the same A and rates),
  otherwise the output is lowered one unit at a time (at most :data:`MAX_ROUNDING_STEPS`) and the trade refused if
  that does not suffice (:class:`RoundingRefused`). Valuing the moves on their own keeps the part of a Gwei the
  pool's rounded-down stSWK side holds uncounted from being paid out (a round trip found it: 134 shares sold, 135
  back); D of the balances after is then at least as large;
- an exact-out swap (Balancer's GIVEN_OUT, StableSwap-NG's ``get_dx``) rounds the input **up** at every step and is
  then verified by pricing that input as an exact-in swap: the trader gets exactly what it asked for and never
  more than the exact-in swap of the same input would give. (Balancer's composable stable pools lost ~$120M on
  3 November 2025 to exact-out swaps whose input rounded down at tiny balances: tests/modules/test_amm.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

from stakework.modules.amm.errors import BelowMinimum, EmptyPool, NoConvergence, RoundingRefused

N_COINS = 2
PRECISION = 10**18
"""Rates are SWK (Gwei) per 10**18 units of the coin."""
A_PRECISION = 100
"""A is stored times 100 (Curve's factory and NG pools), so a ramp moves it smoothly."""
FEE_DENOMINATOR = 10**10
MAX_A = 10**6
"""Curve ``MAX_A``."""
MAX_A_CHANGE = 10
"""Curve ``MAX_A_CHANGE``: one ramp changes A at most tenfold."""
MAX_ITERATIONS = 255
MAX_ROUNDING_STEPS = 8
"""How many units an exact-in output may be lowered (or an exact-out input raised) to keep D from falling."""


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def xp_of(balances: tuple[int, int], rates: tuple[int, int]) -> tuple[int, int]:
    """Balances in SWK value (Gwei), rounded down (Curve ``_xp_mem``)."""
    return (balances[0] * rates[0] // PRECISION, balances[1] * rates[1] // PRECISION)


def xp_up(balances: tuple[int, int], rates: tuple[int, int]) -> tuple[int, int]:
    """Balances in SWK value, rounded up (the existing LPs' side when a deposit is priced)."""
    return (ceil_div(balances[0] * rates[0], PRECISION), ceil_div(balances[1] * rates[1], PRECISION))


def get_D(xp: tuple[int, int], amp: int) -> int:
    """Curve ``get_D``: the invariant for balances ``xp`` at amplification ``amp`` (``A * A_PRECISION``), by Newton's
    method from ``sum(xp)`` until a step moves it by at most 1 (Curve's rule).

    Where Curve's iteration does not converge in 255 steps (Curve reverts: at an extreme imbalance, about 100:1 at
    A = 1 or 10,000:1 at A = 100, it cycles between integers), D is the floor of the true root, by bisection
    (:func:`_bisect_D`): a pool pushed there (or left there by a fall of the share price) stays tradeable back,
    instead of refusing every message but a balanced withdrawal for good."""
    s = xp[0] + xp[1]
    if s == 0:
        return 0
    if xp[0] == 0 or xp[1] == 0:
        raise EmptyPool("one side of the pool is empty: D is undefined")
    d = s
    ann = amp * N_COINS
    for _ in range(MAX_ITERATIONS):
        d_p = d
        for x in xp:
            d_p = d_p * d // (x * N_COINS)
        d_prev = d
        d = (
            (ann * s // A_PRECISION + d_p * N_COINS)
            * d
            // ((ann - A_PRECISION) * d // A_PRECISION + (N_COINS + 1) * d_p)
        )
        if abs(d - d_prev) <= 1:
            return d
    return _bisect_D(xp, amp)


def _bisect_D(xp: tuple[int, int], amp: int) -> int:
    """The largest integer D with ``F(D) >= 0``, where ``F(D) * 4 x0 x1 * A_PRECISION = (ann S + (A_PRECISION -
    ann) D) 4 x0 x1 - A_PRECISION D^3`` is the invariant multiplied out (``ann = amp * n``). F falls strictly in D
    (its derivative is ``1 - A n^n - 3 D^2 / (4 x0 x1) < 0``) and ``F(0) > 0 >= F(S)``: one root in ``[0, S]``."""
    s = xp[0] + xp[1]
    ann = amp * N_COINS
    p4 = 4 * xp[0] * xp[1]

    def f(d: int) -> int:
        return (ann * s + (A_PRECISION - ann) * d) * p4 - A_PRECISION * d**3

    # The root is at least 2: f(2) = (ann (S - 2) + 2 A_PRECISION) 4 x0 x1 - 8 A_PRECISION >= 0, as S >= 2, x0 x1 >= 1.
    # equivalent mutant (const 0 to -1|const 0 to 1): the root is at least 2: a search from -1 or 1 finds it too
    lo, hi = 0, s
    while lo < hi:
        # equivalent mutant (const 1 to 2): with + 2 the midpoint is still above lo and at most hi: the same D
        mid = (lo + hi + 1) // 2
        # equivalent mutant (const 0 to -1): f is a multiple of 4, as p4 and A_PRECISION are: f >= -1 iff f >= 0
        if f(mid) >= 0:
            lo = mid
        else:
            hi = mid - 1
    # equivalent mutant (const 0 to -1|const 0 to 1): lo is at least 2, F(2) >= 0 for every pool: never 0, 1 or -1
    if lo == 0:
        # equivalent mutant (delete raise): unreachable, lo is at least 2: F(2) >= 0 for every pool
        raise NoConvergence("D is 0 at this imbalance: the pool cannot be priced")
    return lo


def get_y_D(amp: int, i: int, xp: tuple[int, int], d: int) -> int:
    """Curve ``get_y_D``: the balance of coin ``i`` that gives invariant ``d`` with the other coin's balance in
    ``xp``: Newton's method on ``y^2 + (b - D) y = c`` from ``y = D``. Where it does not converge in 255 steps
    (Curve reverts), the quadratic's root from its closed form (``isqrt``), rounded up (more left in the pool)."""
    if not 0 <= i < N_COINS or d <= 0:
        raise ValueError("get_y_D: coin index out of range or D not positive")
    ann = amp * N_COINS
    x = xp[1 - i]
    if x == 0:
        raise EmptyPool("one side of the pool is empty")
    c = d * d // (x * N_COINS)
    c = c * d * A_PRECISION // (ann * N_COINS)
    b = x + d * A_PRECISION // ann
    y = d
    for _ in range(MAX_ITERATIONS):
        y_prev = y
        y = (y * y + c) // (2 * y + b - d)
        if abs(y - y_prev) <= 1:
            return y
    return (d - b + isqrt((b - d) ** 2 + 4 * c)) // 2 + 1


def get_y(i: int, j: int, x: int, xp: tuple[int, int], amp: int, d: int) -> int:
    """Curve ``get_y``: coin ``j``'s balance after coin ``i``'s balance becomes ``x``, keeping invariant ``d``."""
    if i == j or not (0 <= i < N_COINS and 0 <= j < N_COINS):
        raise ValueError("get_y: the coins must differ and be 0 or 1")
    if x <= 0:
        raise EmptyPool("a balance of 0 is outside the curve")
    new = (x, xp[j]) if i == 0 else (xp[j], x)
    return get_y_D(amp, j, new, d)


def get_p(xp: tuple[int, int], amp: int, d: int) -> int:
    """StableSwap-NG ``_get_p``: the marginal price of coin 1 in coin 0 (dx0/dx1 in ``xp`` units), times 10**18."""
    ann = amp * N_COINS
    dr = d // (N_COINS * N_COINS)  # n^n for n = 2
    for x in xp:
        dr = dr * d // x
    xp0_a = ann * xp[0] // A_PRECISION
    return PRECISION * (xp0_a + dr * xp[0] // xp[1]) // (xp0_a + dr)


def ramp_a(initial: int, future: int, initial_epoch: int, future_epoch: int, epoch: int) -> int:
    """Curve ``_A()``: A (times A_PRECISION) at ``epoch``, moving linearly from ``initial`` at ``initial_epoch`` to
    ``future`` at ``future_epoch``."""
    if epoch >= future_epoch:
        return future
    # equivalent mutant (cmp > to >=): at future == initial both branches give initial
    if future > initial:
        return initial + (future - initial) * (epoch - initial_epoch) // (future_epoch - initial_epoch)
    return initial - (initial - future) * (epoch - initial_epoch) // (future_epoch - initial_epoch)


@dataclass(frozen=True, slots=True)
class Pool:
    """What an operation reads of the pool: balances (native units: Gwei, stSWK shares), rates, amplification
    (times A_PRECISION), fee and admin fee (FEE_DENOMINATOR units), LP share supply."""

    balances: tuple[int, int]
    rates: tuple[int, int]
    amp: int
    fee: int
    admin_fee: int
    supply: int

    @property
    def xp(self) -> tuple[int, int]:
        return xp_of(self.balances, self.rates)

    def d(self, balances: tuple[int, int] | None = None) -> int:
        return get_D(xp_of(self.balances if balances is None else balances, self.rates), self.amp)


@dataclass(frozen=True, slots=True)
class Swap:
    """A swap's result: ``dx`` of coin ``i`` in, ``dy`` of coin ``j`` out, ``admin`` of coin ``j`` to the admin
    (the rest of the fee stays in the pool), the balances after it, D before and after."""

    i: int
    dx: int
    dy: int
    fee: int
    admin: int
    balances: tuple[int, int]
    d0: int
    d1: int


def _with(balances: tuple[int, int], i: int, di: int, j: int, dj: int) -> tuple[int, int]:
    out = list(balances)
    out[i] += di
    out[j] += dj
    return (out[0], out[1])


def exchange(pool: Pool, i: int, dx: int) -> Swap:
    """Sell ``dx`` of coin ``i`` (Curve ``exchange``, ``get_dy``). The output is ``xp[j] - y - 1`` less the fee
    (rounded up) in coin ``j``'s units (rounded down); then D after must be at least D before, else the output is
    lowered unit by unit."""
    j = 1 - i
    if dx <= 0:
        raise BelowMinimum("sell a positive amount")
    if pool.supply == 0 or min(pool.balances) == 0:
        raise EmptyPool("the pool has no liquidity: add both coins first")
    xp = pool.xp
    d0 = get_D(xp, pool.amp)
    x = xp[i] + dx * pool.rates[i] // PRECISION
    if x == xp[i]:  # [Differs from Curve: an input the pool counts as nothing buys nothing]
        # On a pool tilted far enough, get_y's rounding hands out a few units for an input worth 0 after scaling
        # (1 stSWK share at 7e-9 Gwei each bought 13 Gwei from a 22,000,000 : 1 pool): value from the LPs.
        raise BelowMinimum(f"{dx} units are worth less than the pool's smallest unit at this rate; sell more")
    y = get_y(i, j, x, xp, pool.amp, d0)
    dy_xp = xp[j] - y - 1
    if dy_xp <= 0:
        raise BelowMinimum(f"{dx} units buy nothing from the pool; sell more")
    fee_xp = ceil_div(dy_xp * pool.fee, FEE_DENOMINATOR)
    dy = (dy_xp - fee_xp) * PRECISION // pool.rates[j]
    admin = fee_xp * pool.admin_fee // FEE_DENOMINATOR * PRECISION // pool.rates[j]
    fee = dy_xp * PRECISION // pool.rates[j] - dy
    for _ in range(MAX_ROUNDING_STEPS + 1):
        if dy <= 0:
            break
        after = _with(pool.balances, i, dx, j, -(dy + admin))
        # dy + admin are worth at most dy_xp = xp[j] - y - 1 with y >= 0, so after[j] >= 1 and moved[j] >= y + 1 >= 1.
        # equivalent mutant (cmp <= to <|const 0 to -1): after[j] >= 1: never true either way
        if after[j] <= 0:
            # equivalent mutant (*): unreachable, after[j] >= 1
            dy -= 1
            # equivalent mutant (delete continue): unreachable, after[j] >= 1
            continue
        moved = list(xp)
        moved[i] += dx * pool.rates[i] // PRECISION
        moved[j] -= ceil_div((dy + admin) * pool.rates[j], PRECISION)
        # equivalent mutant (cmp > to >=|const 0 to -1): moved[j] >= y + 1 >= 1: true either way
        if moved[j] > 0 and get_D((moved[0], moved[1]), pool.amp) >= d0:
            return Swap(i=i, dx=dx, dy=dy, fee=fee, admin=admin, balances=after, d0=d0, d1=pool.d(after))
        dy -= 1
    raise RoundingRefused(f"selling {dx} units cannot be priced without lowering the pool's D; sell more")


def exchange_exact_out(pool: Pool, i: int, dy: int) -> Swap:
    """Buy exactly ``dy`` of coin ``j = 1 - i`` for coin ``i`` (Balancer GIVEN_OUT; StableSwap-NG ``get_dx``),
    every step rounded up: the output in ``xp`` units plus one, grossed up for the fee, the input from
    ``get_y`` plus one, in coin ``i``'s units. The input is then priced as an exact-in swap (:func:`exchange`) and
    raised unit by unit until that gives at least ``dy``; the trader receives ``dy``, the surplus stays in the
    pool."""
    j = 1 - i
    if dy <= 0:
        raise BelowMinimum("buy a positive amount")
    if pool.supply == 0 or min(pool.balances) == 0:
        raise EmptyPool("the pool has no liquidity: add both coins first")
    if dy >= pool.balances[j]:
        raise BelowMinimum(f"the pool holds {pool.balances[j]} of that coin; buy less than that")
    xp = pool.xp
    d0 = get_D(xp, pool.amp)
    dy_xp = ceil_div(dy * pool.rates[j], PRECISION) + 1
    gross = ceil_div(dy_xp * FEE_DENOMINATOR, FEE_DENOMINATOR - pool.fee)
    if gross >= xp[j]:
        raise BelowMinimum(f"buying {dy} would empty the pool's side; buy less")
    x = get_y(j, i, xp[j] - gross, xp, pool.amp, d0)
    dx = max(ceil_div((x - xp[i] + 1) * PRECISION, pool.rates[i]), 1)
    for _ in range(MAX_ROUNDING_STEPS + 1):
        try:
            swap = exchange(pool, i, dx)
        except (BelowMinimum, RoundingRefused):
            dx += 1
            continue
        if swap.dy >= dy:
            after = _with(pool.balances, i, dx, j, -(dy + swap.admin))
            return Swap(
                i=i,
                dx=dx,
                dy=dy,
                fee=swap.fee + swap.dy - dy,
                admin=swap.admin,
                balances=after,
                d0=d0,
                d1=pool.d(after),
            )
        dx += 1
    raise RoundingRefused(f"buying {dy} units cannot be priced without lowering the pool's D; buy more")


@dataclass(frozen=True, slots=True)
class Deposit:
    """An add_liquidity's result: the balances after (admin fees taken out), the admin fees and fees per coin, D
    before (``d0``, the pool's usual way; ``d0_up``, its balances valued rounded up), D2 (Curve's, after the fee,
    on ``d0_up``'s base) and D of the balances after (computed here: a deposit that would leave D undefined is
    refused before it moves)."""

    balances: tuple[int, int]
    admin: tuple[int, int]
    fees: tuple[int, int]
    d0: int
    d0_up: int
    d2: int
    d_after: int
    curve_shares: int = 0
    """What Curve itself would mint (its D0, D1, D2 on the balances rounded down, its fee): a cap, so the module never
    mints more than Curve does."""

    def credit(self, supply: int) -> int:
        """The D the deposit is credited with, against ``d0`` (what the share ledger, whose assets are ``d0``,
        mints ``credit * supply / d0`` shares for, rounded down): the least of ``supply * (d2 - d0_up) / d0_up``
        shares' worth, Curve's own shares' worth and the rise of D itself (so D per share never falls). The first
        deposit: D."""
        if supply == 0:
            return self.d2
        shares = min(supply * (self.d2 - self.d0_up) // self.d0_up, self.curve_shares)
        return max(min(self.d_after - self.d0, shares * self.d0 // supply), 0)


def _d_moved(pool: Pool, base: tuple[int, int], delta: tuple[int, int]) -> int:
    """D of ``base`` (SWK values) moved by ``delta`` (native units, either sign), the move valued on its own and
    rounded down (a withdrawal's value rounded up)."""
    moved = (base[0] + delta[0] * pool.rates[0] // PRECISION, base[1] + delta[1] * pool.rates[1] // PRECISION)
    if min(moved) <= 0:
        raise BelowMinimum("the deposit is too lopsided for the pool; add some of both coins")
    return get_D(moved, pool.amp)


def add_liquidity(pool: Pool, amounts: tuple[int, int]) -> Deposit:
    """Curve ``add_liquidity``: D before (D0), with the amounts (D1), and after the imbalance fee (D2): each coin's
    fee is ``fee * n / (4 (n - 1))`` of its distance from the balanced deposit ``D1 * old / D0`` (rounded up); the
    admin's cut (rounded down) leaves the pool's balances. The LP shares minted are ``supply * (D2 - D0) / D0``
    (rounded down). The first deposit needs both coins and mints D1.

    Rounded for the LPs already in: D0, D1 and D2 value the pool's balances **rounded up** and the deposit's move
    **rounded down**, on its own. The pool's D otherwise counts the stSWK side rounded down (``floor(b r)``): at a
    tiny side that is a large part of D (2 shares at 1.31 count 2, not 2.62: a quarter of the scarce side), and a
    deposit priced against that D buys the existing LPs' holdings at a discount (the attacker search found it:
    tilt a tiny pool to 10^8 : 1, withdraw, deposit the scarce coin, take 0.26 of the honest LP's 4 mSWK). The
    shares are then also capped so that D per share, counted the pool's usual way, does not fall
    (:meth:`Deposit.credit`)."""
    if any(a < 0 for a in amounts) or sum(amounts) == 0:
        raise BelowMinimum("add a positive amount of at least one coin")
    old = pool.balances
    new = (old[0] + amounts[0], old[1] + amounts[1])
    if pool.supply == 0:
        if min(new) == 0:
            raise EmptyPool("the first deposit into the pool must bring both SWK and stSWK")
        d1 = pool.d(new)
        return Deposit(balances=new, admin=(0, 0), fees=(0, 0), d0=0, d0_up=0, d2=d1, d_after=d1)
    d0 = pool.d(old)
    base = xp_up(old, pool.rates)
    d0_up = get_D(base, pool.amp)
    d1 = _d_moved(pool, base, amounts)
    if d1 <= d0_up:
        raise BelowMinimum("the deposit does not raise the pool's D; add more")
    # equivalent mutant (op * to //): N_COINS - 1 is 1, and 4 * 1 == 4 // 1
    fee = ceil_div(pool.fee * N_COINS, 4 * (N_COINS - 1))
    balances: list[int] = []
    reduced: list[int] = []
    fees: list[int] = []
    admin: list[int] = []
    for k in range(N_COINS):
        ideal = d1 * old[k] // d0_up
        f = ceil_div(fee * abs(ideal - new[k]), FEE_DENOMINATOR)
        a = f * pool.admin_fee // FEE_DENOMINATOR
        fees.append(f)
        admin.append(a)
        balances.append(new[k] - a)
        reduced.append(new[k] - f)
    # A reduced balance <= 0 moves its side in _d_moved to ceil(o r) + floor((reduced - o) r) <= 0: refused there alike.
    # equivalent mutant (cmp <= to <|const 0 to -1): a reduced balance of 0 is refused by _d_moved, same error
    if min(reduced) <= 0:
        # equivalent mutant (delete raise): _d_moved refuses the same deposit with the same error
        raise BelowMinimum("the deposit is too lopsided for the pool; add some of both coins")
    d2 = _d_moved(pool, base, (reduced[0] - old[0], reduced[1] - old[1]))
    if d2 <= d0_up:
        raise BelowMinimum("after the imbalance fee the deposit adds nothing to the pool; add more")
    after = (balances[0], balances[1])
    return Deposit(
        balances=after,
        admin=(admin[0], admin[1]),
        fees=(fees[0], fees[1]),
        d0=d0,
        d0_up=d0_up,
        d2=d2,
        d_after=pool.d(after),
        curve_shares=_curve_mint(pool, new, d0),
    )


def _curve_mint(pool: Pool, new: tuple[int, int], d0: int) -> int:
    """Curve's ``add_liquidity`` mint on its own terms (D of balances rounded down, its fee rounded down); 0 where
    its arithmetic would revert."""
    try:
        d1 = pool.d(new)
        # equivalent mutant (op * to //): N_COINS - 1 is 1, and 4 * 1 == 4 // 1
        fee = pool.fee * N_COINS // (4 * (N_COINS - 1))
        reduced = [new[k] - fee * abs(d1 * pool.balances[k] // d0 - new[k]) // FEE_DENOMINATOR for k in range(2)]
        # equivalent mutant (cmp <= to <|const 0 to -1): a reduced balance of 0 makes pool.d raise EmptyPool: 0 too
        if min(reduced) <= 0:
            # Curve reverts here (a balance below 0): its cap is 0
            return 0
        d2 = pool.d((reduced[0], reduced[1]))
    except (EmptyPool, NoConvergence):
        # Curve's D of a side valued 0 divides by 0 (reverts): its cap is 0
        return 0
    # equivalent mutant (keeping argument 1|const 0 to -1): Deposit.credit floors a cap of 0 or less at 0
    return max(pool.supply * (d2 - d0) // d0, 0)


def remove_liquidity(pool: Pool, shares: int) -> tuple[int, int]:
    """Curve ``remove_liquidity``: each coin's ``balance * shares / supply``, rounded down; no fee. Never refused for
    the pool's sake (as in Curve, a withdrawal always works), and it needs no D: every coin's balance per LP share
    can only rise."""
    if shares <= 0:
        raise BelowMinimum("burn a positive number of LP shares")
    if shares > pool.supply:
        raise BelowMinimum("more LP shares than exist")
    return (pool.balances[0] * shares // pool.supply, pool.balances[1] * shares // pool.supply)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A remove_liquidity_one_coin's result: ``dy`` of coin ``i`` to the holder, ``admin`` of it to the admin."""

    i: int
    dy: int
    fee: int
    admin: int
    balances: tuple[int, int]
    d_after: int
    """D of ``balances`` (computed here: a withdrawal that would leave D undefined is refused before it pays)."""


def remove_liquidity_one_coin(pool: Pool, shares: int, i: int) -> Withdrawal:
    """Curve ``calc_withdraw_one_coin``: D falls by the shares' part of it (``D1 = D0 - shares * D0 / supply``, the
    part rounded down), coin ``i``'s balance follows ``get_y_D``; the imbalance fee (rounded up) is charged on
    each coin's distance from a balanced withdrawal, and the result is lowered by one ``xp`` unit and rounded down
    into coin ``i``'s units (Curve's "withdraw less to account for rounding errors")."""
    if shares <= 0:
        raise BelowMinimum("burn a positive number of LP shares")
    if shares >= pool.supply:
        raise BelowMinimum("the pool keeps its locked dead shares; burn fewer LP shares")
    if min(pool.balances) == 0:
        raise EmptyPool("the pool has no liquidity")
    xp = pool.xp
    d0 = get_D(xp, pool.amp)
    d1 = d0 - shares * d0 // pool.supply
    new_y = get_y_D(pool.amp, i, xp, d1)
    # equivalent mutant (op * to //): N_COINS - 1 is 1, and 4 * 1 == 4 // 1
    fee = ceil_div(pool.fee * N_COINS, 4 * (N_COINS - 1))
    reduced = list(xp)
    for k in range(N_COINS):
        expected = xp[k] * d1 // d0 - new_y if k == i else xp[k] - xp[k] * d1 // d0
        # equivalent mutant (const 0 to -1|keeping argument 1): -1 costs 0; -200 or less: both refuse, docs/testing.md
        reduced[k] -= ceil_div(fee * max(expected, 0), FEE_DENOMINATOR)
    if min(reduced) <= 0:
        raise BelowMinimum("that withdrawal would empty the pool's side; burn fewer shares")
    dy_xp = reduced[i] - get_y_D(pool.amp, i, (reduced[0], reduced[1]), d1)
    dy = (dy_xp - 1) * PRECISION // pool.rates[i]
    dy0 = (xp[i] - new_y) * PRECISION // pool.rates[i]
    # dy_xp = reduced[i] - y' where reduced <= xp and y' >= new_y: dy = (dy_xp - 1) / rate <= dy0, never above it.
    # equivalent mutant (keeping argument 1|const 0 to -1): dy <= dy0, so dy0 - dy >= 0 already
    fee_native = max(dy0 - dy, 0)
    admin = fee_native * pool.admin_fee // FEE_DENOMINATOR
    for _ in range(MAX_ROUNDING_STEPS + 1):
        if dy <= 0:
            raise BelowMinimum(f"{shares} LP shares are worth nothing in that coin; burn more")
        after = list(pool.balances)
        after[i] -= dy + admin
        if after[i] <= 0:
            raise BelowMinimum("that withdrawal would empty the pool's side; burn fewer shares")
        left = (after[0], after[1])
        d_after = pool.d(left)
        if d_after * pool.supply >= d0 * (pool.supply - shares):  # D per LP share has not fallen
            return Withdrawal(i=i, dy=dy, fee=dy0 - dy, admin=admin, balances=left, d_after=d_after)
        dy -= 1
    raise RoundingRefused(f"burning {shares} LP shares for one coin cannot be priced without loss to the pool")


def spot_price(pool: Pool) -> int:
    """SWK per one stSWK share, times 10**18: the marginal price in ``xp`` units (:func:`get_p`) times the
    share price."""
    if pool.supply == 0 or min(pool.balances) == 0:
        raise EmptyPool("the pool has no liquidity, so no price")
    xp = pool.xp
    return get_p(xp, pool.amp, get_D(xp, pool.amp)) * pool.rates[1] // PRECISION
