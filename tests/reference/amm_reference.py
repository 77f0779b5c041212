"""Curve's StableSwap math for two coins, written plainly from the Vyper sources with Python integers and Curve's
own rounding (every fee rounded down), to check `stakework.modules.amm.stableswap` against.

Sources, function by function (names kept):
- `get_D`, `get_y`, `get_y_D`, `_xp_mem`, `exchange`/`get_dy`, `add_liquidity`, `_calc_withdraw_one_coin`,
  `remove_liquidity`: curvefi/curve-factory `contracts/implementations/plain-2/Plain2Basic.vy` (A stored times
  A_PRECISION = 100; rates scale the coins to 18 decimals) and the ETH/stETH pool `StableSwapSTETH.vy`;
- `get_dx`, `_get_p`: curvefi/stableswap-ng `contracts/main/CurveStableSwapNGViews.vy` and
  `CurveStableSwapNG.vy` (the rate-scaled "oracle" asset type).

Nothing here imports stakework. The Vyper code works in uint256 and reverts on underflow; here a negative
intermediate raises ValueError. Where a Vyper function needs storage, the `CurvePool` object holds it.
"""

from __future__ import annotations

N_COINS = 2
A_PRECISION = 100
PRECISION = 10**18
FEE_DENOMINATOR = 10**10


def get_D(xp: list[int], amp: int) -> int:
    S = 0
    for x in xp:
        S += x
    if S == 0:
        return 0
    D = S
    Ann = amp * N_COINS
    for _i in range(255):
        D_P = D
        for x in xp:
            D_P = D_P * D // (x * N_COINS)  # If division by 0, this will be borked: only withdrawal will work.
        Dprev = D
        D = (
            (Ann * S // A_PRECISION + D_P * N_COINS)
            * D
            // ((Ann - A_PRECISION) * D // A_PRECISION + (N_COINS + 1) * D_P)
        )
        # Equality with the precision of 1
        if Dprev < D:
            if D - Dprev <= 1:
                return D
        elif Dprev - D <= 1:
            return D
    raise ValueError("get_D did not converge")


def get_y(i: int, j: int, x: int, xp: list[int], amp: int, D: int) -> int:
    """NG's get_y (D passed in)."""
    assert i != j and 0 <= j < N_COINS and 0 <= i < N_COINS
    S_ = 0
    _x = 0
    y_prev = 0
    c = D
    Ann = amp * N_COINS
    for _i in range(N_COINS):
        if _i == i:
            _x = x
        elif _i != j:
            _x = xp[_i]
        else:
            continue
        S_ += _x
        c = c * D // (_x * N_COINS)
    c = c * D * A_PRECISION // (Ann * N_COINS)
    b = S_ + D * A_PRECISION // Ann
    y = D
    for _i in range(255):
        y_prev = y
        y = (y * y + c) // (2 * y + b - D)
        if y > y_prev:
            if y - y_prev <= 1:
                return y
        elif y_prev - y <= 1:
            return y
    raise ValueError("get_y did not converge")


def get_y_D(A: int, i: int, xp: list[int], D: int) -> int:
    assert 0 <= i < N_COINS
    S_ = 0
    _x = 0
    c = D
    Ann = A * N_COINS
    for _i in range(N_COINS):
        if _i != i:
            _x = xp[_i]
        else:
            continue
        S_ += _x
        c = c * D // (_x * N_COINS)
    c = c * D * A_PRECISION // (Ann * N_COINS)
    b = S_ + D * A_PRECISION // Ann
    y = D
    for _i in range(255):
        y_prev = y
        y = (y * y + c) // (2 * y + b - D)
        if y > y_prev:
            if y - y_prev <= 1:
                return y
        elif y_prev - y <= 1:
            return y
    raise ValueError("get_y_D did not converge")


def get_p(xp: list[int], amp: int, D: int) -> int:
    """NG `_get_p` for two coins: dx_0 / dx_1, times 10**18."""
    ANN = amp * N_COINS
    Dr = D // (N_COINS**N_COINS)
    for i in range(N_COINS):
        Dr = Dr * D // xp[i]
    xp0_A = ANN * xp[0] // A_PRECISION
    return 10**18 * (xp0_A + Dr * xp[0] // xp[1]) // (xp0_A + Dr)


def _sub(a: int, b: int) -> int:
    if b > a:
        raise ValueError("uint256 underflow")
    return a - b


class CurvePool:
    """A plain two-coin pool's storage: balances, rates (18-decimals scaling, here SWK per 10**18 units), A
    (times A_PRECISION), fee and admin fee, LP supply; admin fees kept aside as Curve keeps them in the contract."""

    def __init__(self, balances: list[int], rates: list[int], amp: int, fee: int, admin_fee: int, supply: int) -> None:
        self.balances = list(balances)
        self.rates = list(rates)
        self.amp = amp
        self.fee = fee
        self.admin_fee = admin_fee
        self.supply = supply
        self.admin_balances = [0, 0]

    def _xp_mem(self, balances: list[int]) -> list[int]:
        return [self.rates[i] * balances[i] // PRECISION for i in range(N_COINS)]

    def get_D_mem(self, balances: list[int]) -> int:
        return get_D(self._xp_mem(balances), self.amp)

    def get_dy(self, i: int, j: int, dx: int) -> int:
        xp = self._xp_mem(self.balances)
        x = xp[i] + (dx * self.rates[i] // PRECISION)
        y = get_y(i, j, x, xp, self.amp, get_D(xp, self.amp))
        dy = xp[j] - y - 1
        fee = self.fee * dy // FEE_DENOMINATOR
        return (dy - fee) * PRECISION // self.rates[j]

    def get_dx(self, i: int, j: int, dy: int) -> int:
        """NG views `get_dx`."""
        xp = self._xp_mem(self.balances)
        D = get_D(xp, self.amp)
        base_fee = self.fee
        y = xp[j] - (dy * self.rates[j] // PRECISION + 1) * FEE_DENOMINATOR // (FEE_DENOMINATOR - base_fee)
        x = get_y(j, i, y, xp, self.amp, D)
        return (x - xp[i]) * PRECISION // self.rates[i]

    def exchange(self, i: int, j: int, dx: int, min_dy: int) -> int:
        old_balances = self.balances
        xp = self._xp_mem(old_balances)
        x = xp[i] + dx * self.rates[i] // PRECISION
        y = get_y(i, j, x, xp, self.amp, get_D(xp, self.amp))
        dy = xp[j] - y - 1  # -1 just in case there were some rounding errors
        dy_fee = dy * self.fee // FEE_DENOMINATOR
        # Convert all to real units
        dy = (dy - dy_fee) * PRECISION // self.rates[j]
        assert dy >= min_dy, "Exchange resulted in fewer coins than expected"
        dy_admin_fee = dy_fee * self.admin_fee // FEE_DENOMINATOR
        dy_admin_fee = dy_admin_fee * PRECISION // self.rates[j]
        self.balances = list(old_balances)
        self.balances[i] = old_balances[i] + dx
        self.balances[j] = _sub(old_balances[j], dy + dy_admin_fee)
        self.admin_balances[j] += dy_admin_fee
        return dy

    def add_liquidity(self, amounts: list[int], min_mint_amount: int) -> int:
        amp = self.amp
        old_balances = self.balances
        D0 = self.get_D_mem(old_balances)
        token_supply = self.supply
        new_balances = list(old_balances)
        for i in range(N_COINS):
            if token_supply == 0:
                assert amounts[i] > 0
            new_balances[i] += amounts[i]
        D1 = self.get_D_mem(new_balances)
        assert D1 > D0
        fees = [0, 0]
        mint_amount = 0
        if token_supply > 0:
            fee = self.fee * N_COINS // (4 * (N_COINS - 1))
            admin_fee = self.admin_fee
            self.balances = list(old_balances)
            for i in range(N_COINS):
                ideal_balance = D1 * old_balances[i] // D0
                new_balance = new_balances[i]
                difference = abs(ideal_balance - new_balance)
                fees[i] = fee * difference // FEE_DENOMINATOR
                self.balances[i] = new_balance - (fees[i] * admin_fee // FEE_DENOMINATOR)
                self.admin_balances[i] += fees[i] * admin_fee // FEE_DENOMINATOR
                new_balances[i] = _sub(new_balances[i], fees[i])  # uint256: reverts below 0
            D2 = get_D(self._xp_mem(new_balances), amp)
            mint_amount = token_supply * (D2 - D0) // D0
        else:
            self.balances = new_balances
            mint_amount = D1
        assert mint_amount >= min_mint_amount, "Slippage screwed you"
        self.supply += mint_amount
        return mint_amount

    def _calc_withdraw_one_coin(self, _token_amount: int, i: int) -> tuple[int, int]:
        amp = self.amp
        xp = self._xp_mem(self.balances)
        D0 = get_D(xp, amp)
        total_supply = self.supply
        D1 = D0 - _token_amount * D0 // total_supply
        new_y = get_y_D(amp, i, xp, D1)
        base_fee = self.fee * N_COINS // (4 * (N_COINS - 1))
        xp_reduced = [0, 0]
        for j in range(N_COINS):
            dx_expected = 0
            xp_j = xp[j]
            if j == i:  # noqa: SIM108  (Curve's shape)
                dx_expected = xp_j * D1 // D0 - new_y
            else:
                dx_expected = xp_j - xp_j * D1 // D0
            xp_reduced[j] = xp_j - base_fee * dx_expected // FEE_DENOMINATOR
        dy = xp_reduced[i] - get_y_D(amp, i, xp_reduced, D1)
        dy_0 = (xp[i] - new_y) * PRECISION // self.rates[i]  # w/o fees
        dy = (dy - 1) * PRECISION // self.rates[i]  # Withdraw less to account for rounding errors
        return dy, dy_0 - dy

    def remove_liquidity_one_coin(self, _burn_amount: int, i: int, _min_received: int) -> int:
        dy, dy_fee = self._calc_withdraw_one_coin(_burn_amount, i)
        assert dy >= _min_received, "Not enough coins removed"
        admin = dy_fee * self.admin_fee // FEE_DENOMINATOR
        self.balances[i] = _sub(self.balances[i], dy + admin)
        self.admin_balances[i] += admin
        self.supply -= _burn_amount
        return dy

    def remove_liquidity(self, _burn_amount: int, _min_amounts: list[int]) -> list[int]:
        total_supply = self.supply
        amounts = [0, 0]
        for i in range(N_COINS):
            value = self.balances[i] * _burn_amount // total_supply
            assert value >= _min_amounts[i], "Withdrawal resulted in fewer coins than expected"
            self.balances[i] -= value
            amounts[i] = value
        self.supply -= _burn_amount
        return amounts


def _A(initial_A: int, future_A: int, initial_A_time: int, future_A_time: int, now: int) -> int:
    """Curve `_A()`: A (times A_PRECISION) at `now` during a ramp."""
    t1 = future_A_time
    A1 = future_A
    if now < t1:
        A0 = initial_A
        t0 = initial_A_time
        if A1 > A0:
            return A0 + (A1 - A0) * (now - t0) // (t1 - t0)
        return A0 - (A0 - A1) * (now - t0) // (t1 - t0)
    return A1
