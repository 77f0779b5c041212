"""Lending-module state: two markets (SWK and stSWK), each with Aave's liquidity and variable-borrow indices and
scaled balances, the users' settings (collateral flags, e-mode), the governable parameters, the oracle's anchor and
the bad-debt record. Integers: Gwei (SWK), stSWK shares, epochs; indices are rays kept as 16 bytes (:mod:`.ray`).

Aave's scaled balances: a supplier holds ``scaled`` with balance ``floor(scaled * liquidity_index / RAY)``; a borrower
owes ``ceil(scaled * borrow_index / RAY)``. Interest moves the two indices once per market and epoch, never a
balance, so accrual is O(1) whatever the number of users (Aave ``ReserveLogic.updateState``).

Accounting identity (checked by :mod:`.invariants`): per market, what suppliers (the treasury included) can claim is
at most ``cash + total debt + deficit``: the cash the module holds, what borrowers owe, and the bad debt written off
and not covered yet. The module's SWK account holds the SWK market's cash; its stSWK shares are the stSWK market's.
"""

from __future__ import annotations

import msgspec

from stakework.modules.arith import Rounding
from stakework.modules.lending.errors import UnknownEntity
from stakework.modules.lending.parameters import LendingParameters, check_parameters
from stakework.modules.lending.ray import RAY, from_u128, ray_mul, to_u128
from stakework.modules.shares import HolderTables, ShareMap, record_table
from stakework.spec.presets import Preset

BAD_DEBT_HISTORY = 64
"""Bad-debt events kept for the API (the oldest drop out)."""
RAY_BYTES = to_u128(RAY)


class Market(HolderTables, kw_only=True):
    """One asset's reserve (Aave ``ReserveData``): its indices, cash, scaled totals and balances, deficit.

    ``supply`` and ``debt`` are holder tables (:class:`~stakework.modules.shares.HolderTables`): each committed as
    its own bucketed tree, so a block that moves one account's position re-hashes that account's bucket. A scaled
    balance never exceeds the amount it was minted for (the indices start at RAY and only grow), so it stays an
    unsigned 64-bit integer."""

    holder_tables = ("supply", "debt")

    asset: str
    liquidity_index: bytes = RAY_BYTES
    """Ray, 16 bytes (Aave ``liquidityIndex``): a supplier's balance is ``scaled * index / RAY``."""
    borrow_index: bytes = RAY_BYTES
    """Ray, 16 bytes (Aave ``variableBorrowIndex``): a borrower's debt is ``scaled * index / RAY``."""
    last_update_epoch: int = 0
    cash: int = 0
    """What the module holds of the asset for this market (Aave's available liquidity)."""
    total_scaled_supply: int = 0
    total_scaled_debt: int = 0
    supply: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Scaled supply per account (Aave aToken ``scaledBalanceOf``); absent: 0."""
    debt: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    """Scaled variable debt per account (Aave ``VariableDebtToken``); absent: 0."""
    deficit: int = 0
    """Bad debt written off and not yet covered (Aave v3.3 ``ReserveData.deficit``)."""
    bad_debt_total: int = 0
    """Bad debt ever written off (saturates at 2^64 - 1)."""
    covered_total: int = 0
    """Deficit ever covered by the safety module (saturates at 2^64 - 1)."""
    interest_total: int = 0
    """Interest ever accrued on the debt (saturates at 2^64 - 1)."""
    reserve_total: int = 0
    """Interest ever minted to the treasury as supply (saturates at 2^64 - 1)."""

    @property
    def supply_index(self) -> int:
        return from_u128(self.liquidity_index)

    @property
    def debt_index(self) -> int:
        return from_u128(self.borrow_index)

    def supply_of(self, account: bytes) -> int:
        """``account``'s supply balance, rounded down (Aave aToken ``balanceOf``)."""
        return ray_mul(self.supply.get(account, 0), self.supply_index, Rounding.DOWN)

    def debt_of(self, account: bytes) -> int:
        """``account``'s debt, rounded up (Aave ``VariableDebtToken.balanceOf``; up: the protocol is owed)."""
        return ray_mul(self.debt.get(account, 0), self.debt_index, Rounding.UP)

    def total_supply(self) -> int:
        """What all suppliers (the treasury included) can claim, rounded down."""
        return ray_mul(self.total_scaled_supply, self.supply_index, Rounding.DOWN)

    def total_debt(self) -> int:
        """What all borrowers owe, rounded up."""
        return ray_mul(self.total_scaled_debt, self.debt_index, Rounding.UP)


class BadDebt(msgspec.Struct, kw_only=True):
    """One write-off: a position whose collateral ran out with debt left (Aave v3.3 ``_burnBadDebt``)."""

    epoch: int
    borrower: bytes
    market: str
    amount: int
    # equivalent mutant (const 0 to -1|const 0 to 1): write_off sets covered as soon as it has made the record
    covered: int = 0
    """What the safety module covered at once (the rest is retried each epoch)."""


class UserConfig(msgspec.Struct, kw_only=True, frozen=True):
    """A user's settings when they differ from the default (every supply counts as collateral; no e-mode). A record
    of :attr:`LendingState.users` (a record table): immutable, replaced whole when a setting changes."""

    emode: bool = False
    collateral_off: tuple[str, ...] = ()
    """Markets whose supply does not count as collateral (Aave ``UserConfigurationMap``)."""


class LendingState(HolderTables, kw_only=True):
    """``users`` is a record table (:class:`~stakework.modules.shares.HolderTables`): committed as its own bucketed
    tree, so a block that changes one user's settings re-hashes that user's bucket."""

    record_tables = ("users",)

    governance: bytes
    """The governance executor: may send ``lending.set_parameters`` (the governance module sets them too)."""
    treasury: bytes
    """Receives the reserve factor's part of the interest, as supply (Aave ``mintToTreasury``)."""
    epochs_per_year: int
    """The preset's epochs in 365 days (Aave's ``SECONDS_PER_YEAR`` in the chain's unit of time)."""
    params: LendingParameters = msgspec.field(default_factory=LendingParameters)
    swk: Market = msgspec.field(default_factory=lambda: Market(asset="swk"))
    stswk: Market = msgspec.field(default_factory=lambda: Market(asset="stswk"))
    users: dict[bytes, UserConfig] = msgspec.field(default_factory=record_table)
    oracle_anchor: int = 0
    """The stSWK exchange rate the oracle last accepted (SWK per share x 10^18; 0: none yet): the next epoch's rate
    may exceed it by at most ``oracle_max_growth_ppb`` per epoch (Aave CAPO)."""
    oracle_epoch: int = 0
    bad_debts: list[BadDebt] = msgspec.field(default_factory=list)
    """The last :data:`BAD_DEBT_HISTORY` write-offs, oldest first."""
    cover_failures: int = 0
    """Times the safety module refused or could not cover a deficit (saturates at 2^64 - 1)."""
    last_cover_error: str = ""

    def market(self, name: str) -> Market:
        if name == "swk":
            return self.swk
        if name == "stswk":
            return self.stswk
        raise UnknownEntity(f"no market {name!r}; the markets are 'swk' and 'stswk'")

    def markets(self) -> tuple[Market, Market]:
        return (self.swk, self.stswk)

    def config(self, account: bytes) -> UserConfig:
        return self.users.get(account) or UserConfig()

    def in_emode(self, account: bytes) -> bool:
        cfg = self.users.get(account)
        return cfg is not None and cfg.emode

    def is_collateral(self, account: bytes, market: str) -> bool:
        cfg = self.users.get(account)
        return cfg is None or market not in cfg.collateral_off


def epochs_per_year(preset: Preset) -> int:
    """Whole epochs of ``preset`` in 365 days (at least 1)."""
    return max(365 * 86_400_000 // (preset.SLOTS_PER_EPOCH * preset.SLOT_DURATION_MS), 1)


def new_state(
    preset: Preset, *, governance: bytes, treasury: bytes, params: LendingParameters | None = None
) -> LendingState:
    """Empty SWK and stSWK markets with ``params`` (default: :class:`LendingParameters`' Aave-like values)."""
    chosen = LendingParameters() if params is None else params
    check_parameters(chosen)
    return LendingState(
        governance=governance, treasury=treasury, epochs_per_year=epochs_per_year(preset), params=chosen
    )
