"""Bad debt end to end over real module states: the liquid module (its share ledger is the stSWK the lending
module holds, its exchange rate the oracle's), the safety module (its shortfall cover) and the lending module, on
the in-memory host (``modules.testing.FakeHost``) with the host services the chain's host builds from the registry.

Two of the liquid module's validators are slashed by half; the liquid module passes the loss in full, so an stSWK
share redeems for half a SWK; a looped e-mode position is liquidated down to nothing; the rest of its debt is bad
debt, and the safety module's SWK vault is slashed into the lending module's SWK market: the suppliers are whole.
The same for stSWK debt: covered by the stSWK vault, in shares moved through the liquid module's ledger."""

from __future__ import annotations

from stakework.modules.lending import MODULE as LENDING
from stakework.modules.lending import queries as lq
from stakework.modules.lending.epoch import on_epoch as lending_epoch
from stakework.modules.lending.handlers import dispatch as lend
from stakework.modules.lending.invariants import check as lending_check
from stakework.modules.lending.messages import Borrow, Liquidate, SetEmode, Supply
from stakework.modules.lending.parameters import LendingParameters
from stakework.modules.lending.state import LendingState
from stakework.modules.lending.state import new_state as new_lending
from stakework.modules.liquid.definition import LiquidSharesLedger
from stakework.modules.liquid.epoch import on_epoch as liquid_epoch
from stakework.modules.liquid.handlers import dispatch as liquid
from stakework.modules.liquid.invariants import check as liquid_check
from stakework.modules.liquid.messages import AddOperator, SubmitKeys
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.liquid.state import LiquidState
from stakework.modules.liquid.state import new_state as new_liquid
from stakework.modules.safety.definition import DEVNET_PARAMETERS
from stakework.modules.safety.handlers import SafetyShortfallCover
from stakework.modules.safety.handlers import dispatch as safety
from stakework.modules.safety.invariants import check as safety_check
from stakework.modules.safety.messages import AuthorizeSlasher
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.safety.state import SafetyState
from stakework.modules.safety.state import new_state as new_safety
from stakework.modules.testing import FakeHost, deposit_keys
from stakework.spec.presets import get_preset

SWK = 10**9
WAD = 10**18
PRESET = get_preset("minimal")
GOV, OPERATOR, LENDER, BORROWER, LIQUIDATOR, STAKER = (bytes([i]) * 20 for i in range(1, 7))
KEYS = [bytes([0xA0 + i]) * 48 for i in range(4)]


class ModulesHost(FakeHost):
    """The in-memory host offering what ``ChainHost`` builds from the registry: the liquid module's ledger
    (``staked_token_ledger``) and the safety module's cover (``shortfall_cover``), over the real states."""

    def __init__(self, liquid_state: LiquidState, safety_state: SafetyState) -> None:
        super().__init__(exit_delay=2)
        self.liquid = liquid_state
        self.safety = safety_state

    @property
    def staked_token_ledger(self) -> LiquidSharesLedger:
        return LiquidSharesLedger(self.liquid, self)

    @property
    def shortfall_cover(self) -> SafetyShortfallCover:
        return SafetyShortfallCover(self.safety, self)


def world(*, liquid_kw: dict[str, int] | None = None, growth_ppb: int = 10_000) -> tuple[ModulesHost, LendingState]:
    """Liquid (an operator with 4 keys), safety (500 SWK staked, the lending module authorised) and lending."""
    liquid_state = new_liquid(PRESET, admin=GOV, treasury=GOV, **(liquid_kw or {}))
    safety_state = new_safety(PRESET, governance=GOV, treasury=GOV, params=DEVNET_PARAMETERS)
    host = ModulesHost(liquid_state, safety_state)
    lending = new_lending(
        PRESET, governance=GOV, treasury=GOV, params=LendingParameters(oracle_max_growth_ppb=growth_ppb)
    )
    for who in (LENDER, BORROWER, LIQUIDATOR, STAKER):
        host.fund(who, 1_000 * SWK)
    liquid(liquid_state, host, GOV, AddOperator(address=OPERATOR))
    liquid(liquid_state, host, OPERATOR, SubmitKeys(keys=deposit_keys(KEYS)))
    safety(safety_state, host, STAKER, SafetyStake(amount=500 * SWK))
    safety(safety_state, host, GOV, AuthorizeSlasher(address=host.module_address(LENDING)))
    return host, lending


def epoch(host: ModulesHost, lending: LendingState) -> None:
    """One epoch: the host pays exits and moves on; the liquid module reads its validators, then lending."""
    host.advance_epoch()
    liquid_epoch(host.liquid, host)
    lending_epoch(lending, host)
    assert liquid_check(host.liquid, host) == [] and safety_check(host.safety, host) == []
    assert lending_check(lending, host) == []


def test_slashing_halves_stswk__looped_position_liquidated__bad_debt_covered_by_the_safety_swk_vault() -> None:
    host, lending = world()
    lend(lending, host, LENDER, Supply(amount=500 * SWK))
    liquid(host.liquid, host, BORROWER, LiquidStake(amount=64 * SWK))
    shares = host.liquid.ledger.shares_of(BORROWER)
    lend(lending, host, BORROWER, Supply(market="stswk", amount=shares))
    lend(lending, host, BORROWER, SetEmode(enabled=True))
    room = lq.position(lending, host, BORROWER).available_to_borrow
    lend(lending, host, BORROWER, Borrow(amount=room))
    epoch(host, lending)
    assert len(host.liquid.validators) == 2  # the 64 SWK are staked

    for key in KEYS[:2]:
        host.slash(key, 16 * SWK)  # a correlated slashing: half of each validator
    epoch(host, lending)
    rate = lq.oracle(lending, host)
    assert rate.exchange_rate is not None and rate.exchange_rate < 51 * WAD // 100 and rate.price == rate.capped_rate
    assert lq.position(lending, host, BORROWER).liquidatable

    claims = lending.swk.total_supply()
    safety_before = host.safety.swk.ledger.total_assets
    lend(lending, host, LIQUIDATOR, Liquidate(borrower=BORROWER))
    assert lending.stswk.supply_of(BORROWER) == 0 and lending.swk.debt_of(BORROWER) == 0
    assert host.liquid.ledger.shares_of(LIQUIDATOR) > 0  # the seized stSWK shares, through the liquid ledger
    [bad] = lending.bad_debts
    assert bad.amount > 20 * SWK and bad.covered == bad.amount and lending.swk.deficit == 0
    assert host.safety.swk.ledger.total_assets == safety_before - bad.amount
    assert host.safety.slash_history[-1].recipient == host.module_address(LENDING)
    assert lending.swk.cash + lending.swk.total_debt() >= claims  # the suppliers are whole
    assert host.balance(host.module_address(LENDING)) == lending.swk.cash
    assert host.liquid.ledger.shares_of(host.module_address(LENDING)) == lending.stswk.cash
    assert host.total_supply() == host.minted  # no SWK created or lost


def test_stswk_debt_bad_debt__covered_by_the_safety_stswk_vault_in_shares() -> None:
    """A short: SWK collateral borrowing stSWK shares at e-mode's limit. The liquid module's validators earn 30 SWK
    on 114 pooled (recognised at once: the rebase bound is lifted here, and the oracle's growth cap with it), so a
    share is worth ~24 % more: the debt outgrows its collateral, the liquidation takes all of it, and the stSWK
    market's shortfall is covered by slashing the safety module's stSWK vault, in shares moved through the liquid
    module's ledger."""
    host, lending = world(liquid_kw={"max_positive_rebase": 10**9}, growth_ppb=10**9)
    liquid(host.liquid, host, LENDER, LiquidStake(amount=64 * SWK))
    lend(lending, host, LENDER, Supply(market="stswk", amount=host.liquid.ledger.shares_of(LENDER)))
    liquid(host.liquid, host, STAKER, LiquidStake(amount=50 * SWK))
    safety(host.safety, host, STAKER, SafetyStake(vault="stswk", amount=40 * SWK))
    lend(lending, host, BORROWER, Supply(amount=20 * SWK))
    lend(lending, host, BORROWER, SetEmode(enabled=True))
    room = lq.position(lending, host, BORROWER).available_to_borrow  # SWK; a share is worth 1 SWK now
    lend(lending, host, BORROWER, Borrow(market="stswk", amount=room))
    epoch(host, lending)
    assert len(host.liquid.validators) == 3

    host.advance_epoch({key: 10 * SWK for key in KEYS[:3]})
    liquid_epoch(host.liquid, host)
    lending_epoch(lending, host)
    assert lq.oracle(lending, host).price > 120 * WAD // 100  # 27 of the 30 SWK (the fee) on 114 pooled
    assert lq.position(lending, host, BORROWER).liquidatable

    vault_before = host.safety.stswk.ledger.total_assets
    liquid(host.liquid, host, LIQUIDATOR, LiquidStake(amount=100 * SWK))
    lend(lending, host, LIQUIDATOR, Liquidate(borrower=BORROWER, debt_market="stswk", collateral_market="swk"))
    [bad] = lending.bad_debts
    assert bad.market == "stswk" and bad.covered == bad.amount > 0 and lending.stswk.deficit == 0
    assert host.safety.stswk.ledger.total_assets == vault_before - bad.amount
    assert host.liquid.ledger.shares_of(host.module_address(LENDING)) == lending.stswk.cash
    assert host.balance(host.module_address(LENDING)) == lending.swk.cash
    assert lending_check(lending, host) == [] and safety_check(host.safety, host) == []
