"""The systemic scenario (`stakework simulate --scenario systemic`): how a slashing of the liquid module's
validators spreads through the DeFi built on stSWK, on the real chain, through the modules' own messages.

The chain of events (issue #17; compare June 2022's stETH/ETH, docs/systemic.md):

1. **Correlated slashing.** At ``slash_epoch`` every validator of the first ``slashed_operators`` operators of the
   liquid module is slashed (one operator's keys run twice: a misconfigured failover), with ``others_slashed``
   genesis validators in the same incident. The liquid module passes the loss on at once (Lido's negative
   rebase): the initial penalty now, the correlation penalty (3 x the slashed balance / the total, Ethereum's
   rule) half way through the slashings window.
2. **Holders sell.** From the slashing on, ``sellers_bps`` of the stSWK holders (drawn by the seed: funds that
   must meet redemptions, Celsius and 3AC in June 2022) sell ``sell_bps`` of what they hold every epoch for
   ``sell_epochs`` epochs on the AMM, each sale with its quote as the least it accepts.
3. **The pool depegs.** The StableSwap pool prices stSWK at its exchange rate times the pool's own price; the
   selling unbalances the pool and its price falls below the rate; its time-weighted price follows.
4. **Liquidations.** ``borrowers`` looped stSWK positions (stake, supply the stSWK as collateral in e-mode, borrow
   SWK at ``target_ltv_bps``, stake it, ``loops`` times) fall below a health factor of 1 as the lending oracle's
   price of stSWK falls. ``liquidators`` repay their SWK debt (up to the close factor) for stSWK collateral with
   the bonus, when selling that collateral on the AMM pays back at least what they repaid, and sell it there,
   deepening the depeg.
5. **Bad debt.** A position whose collateral is gone with debt left is written off as bad debt, which the
   lending module reports to the safety module's shortfall cover: the safety module's SWK vault is slashed (up
   to its cap, ``max_slash_bps`` of the vault) to make the lenders whole.

Each epoch runs on the one epoch driver (:mod:`stakework.sim.driver`): the withdrawal sweep, the scenario's
transactions, the chain's epoch processing and every module's epoch hook, then every module invariant and each
module account checked. Integers throughout (Gwei, shares; prices in SWK per stSWK share times 10**18);
deterministic for a seed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stakework.crypto.bls import devnet_secret_key
from stakework.modules import amm as amm_module
from stakework.modules import lending as lending_module
from stakework.modules import liquid as liquid_module
from stakework.modules import registry
from stakework.modules import safety as safety_module
from stakework.modules.amm import messages as am
from stakework.modules.amm import queries as amm_queries
from stakework.modules.amm import state as amm_state
from stakework.modules.amm.state import AmmState
from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.keys import MAX_KEYS_PER_MESSAGE
from stakework.modules.lending import messages as lend
from stakework.modules.lending.handlers import account_values, accrue_all, quote_liquidation
from stakework.modules.lending.oracle import prices
from stakework.modules.lending.parameters import LendingParameters
from stakework.modules.lending.state import LendingState
from stakework.modules.liquid import messages as lm
from stakework.modules.liquid import queries as lq
from stakework.modules.liquid.state import LiquidState
from stakework.modules.safety import messages as sm
from stakework.modules.safety.state import SafetyState
from stakework.sim.driver import EpochOutcome, ModuleInvariantError, ScenarioError, run_epochs
from stakework.sim.modules import (
    ACCOUNT_FUNDS,
    MODULE_KEY_BASE,
    ModuleScenario,
    pick_others,
    sim_address,
    validator_indices,
)
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import DEVNET, Preset
from stakework.spec.types import GWEI_PER_SWK
from stakework.state.beacon_state import BeaconState
from stakework.transition.genesis import devnet_genesis, devnet_modules
from stakework.transition.modules import ChainHost, module_address, process_module_message, sign_module_key
from stakework.transition.mutators import slash_validator

PRICE_SCALE = 10**18
"""Prices: SWK per stSWK share, times 10**18 (the AMM's and the lending oracle's unit)."""


@dataclass(frozen=True)
class SystemicConfig:
    """The systemic scenario's settings (``--set key=value``). Epochs are chain epochs; amounts in whole SWK."""

    validators: int = 64
    """Genesis validators (0x01, outside the modules): with the liquid module's they set the chain's total balance,
    so the correlation penalty."""
    epochs: int = 0
    """0: until 24 epochs after the correlation penalty (slash_epoch + EPOCHS_PER_SLASHINGS_VECTOR / 2 + 24)."""
    operators: int = 4
    """The liquid module's node operators (each gets an equal share of its validators)."""
    stakers: int = 24
    stake: int = 40
    """SWK each holder stakes for stSWK at epoch 0."""
    lp_swk: int = 800
    """SWK the liquidity provider puts in the AMM at epoch 0, with as much stSWK (staked for it)."""
    amplification: int = 50
    """The pool's A (a moderate amplification: Curve's stETH pool has run from 30-50 to 1,000)."""
    twap_window: int = 8
    """Epochs the AMM's time-weighted price averages over (the lending oracle reads it)."""
    lenders: int = 4
    lend: int = 1_000
    """SWK each lender supplies to the lending module's SWK market at epoch 0."""
    borrowers: int = 8
    deposit: int = 24
    """SWK each borrower starts its looped position with."""
    loops: int = 40
    """Most times each borrower borrows SWK against its stSWK and stakes it again (it stops within 0.25 % of its
    target)."""
    target_ltv_bps: int = 9_200
    """The most leveraged borrower's loan to value: each loop borrows up to it, in basis points of the
    collateral's value at the lending oracle (e-mode allows 93 %)."""
    ltv_spread_bps: int = 300
    """Each borrower's target is target_ltv_bps less a draw of 0..ltv_spread_bps (by the seed)."""
    arbitrage_funds: int = 300
    """SWK an arbitrageur spends buying stSWK on the AMM at a discount, then queues it for withdrawal from the
    liquid module (0: nobody, like stETH before withdrawals were enabled in 2023)."""
    arbitrage_discount_bps: int = 400
    """The discount to the exchange rate below which the arbitrageur buys (what waiting in the queue costs it)."""
    liquidators: int = 2
    liquidator_funds: int = 1_000
    """SWK each liquidator holds to repay debts."""
    safety_stake: int = 240
    """SWK staked in the safety module's SWK vault at epoch 0 (its cover: max_slash_bps of it)."""
    slash_epoch: int = 24
    slashed: int = 16
    """The liquid module's validators slashed at slash_epoch, operator by operator, oldest first (one operator's
    keys run twice by a misconfigured failover; 0: no slashing of the module)."""
    others_slashed: int = 12
    """Genesis validators slashed in the same incident (a larger correlation penalty)."""
    sellers_bps: int = 5_000
    """Part of the stSWK holders that sell on the AMM after the slashing."""
    sell_bps: int = 2_500
    """Part of its remaining stSWK each seller sells every epoch."""
    sell_epochs: int = 12
    """Epochs the sellers keep selling, from slash_epoch."""
    miss_rate: float = 0.02
    seed: int = 1

    def run_epochs(self, preset: Preset) -> int:
        return self.epochs or self.slash_epoch + preset.EPOCHS_PER_SLASHINGS_VECTOR // 2 + 24

    def check(self) -> None:
        """Raise ScenarioError naming the first setting out of its range."""
        positive = (
            "validators",
            "operators",
            "stakers",
            "stake",
            "lp_swk",
            "amplification",
            "twap_window",
            "lenders",
            "lend",
            "borrowers",
            "deposit",
            "liquidators",
            "liquidator_funds",
            "safety_stake",
            "slash_epoch",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ScenarioError(f"systemic: {name} must be positive (got {getattr(self, name)})")
        for name in ("loops", "others_slashed", "sell_epochs", "epochs", "slashed", "arbitrage_funds"):
            if getattr(self, name) < 0:
                raise ScenarioError(f"systemic: {name} must be 0 or more (got {getattr(self, name)})")
        for name in ("sellers_bps", "sell_bps", "arbitrage_discount_bps", "ltv_spread_bps"):
            if not 0 <= getattr(self, name) <= BPS:
                raise ScenarioError(f"systemic: {name} is 0..{BPS} basis points (got {getattr(self, name)})")
        if not 0 < self.target_ltv_bps < BPS:
            raise ScenarioError(f"systemic: target_ltv_bps is 1..{BPS - 1} basis points (got {self.target_ltv_bps})")
        if self.ltv_spread_bps >= self.target_ltv_bps:
            raise ScenarioError("systemic: ltv_spread_bps must be below target_ltv_bps")
        emode_ltv = LendingParameters().emode_ltv_bps
        if self.target_ltv_bps > emode_ltv:
            raise ScenarioError(
                f"systemic: target_ltv_bps ({self.target_ltv_bps}) is above the lending module's e-mode LTV "
                f"({emode_ltv} bps): no borrower could borrow that much"
            )
        if self.others_slashed >= self.validators:
            raise ScenarioError("systemic: others_slashed must be below the genesis validators")
        if not 0 <= self.miss_rate <= 1:  # NaN fails too
            raise ScenarioError(f"systemic: miss_rate is between 0 and 1 (got {self.miss_rate})")
        if not 1 <= self.amplification < 10**6:
            raise ScenarioError("systemic: amplification is 1..999999 (Curve's MAX_A)")
        if self.twap_window > 1024:
            raise ScenarioError("systemic: twap_window is at most 1024 epochs (the AMM's MAX_TWAP_WINDOW)")
        if self.epochs and self.slash_epoch >= self.epochs:
            raise ScenarioError(f"systemic: the run ends (epochs={self.epochs}) before slash_epoch")


@dataclass(frozen=True)
class SystemicRecord:
    """One epoch of the systemic scenario, after the epoch's processing and module hooks. Amounts in Gwei (SWK) or
    stSWK shares; prices in SWK per stSWK share times 10**18 (0: none yet)."""

    epoch: int
    share_price: int
    """stSWK's exchange rate: what the liquid module pays a share in SWK (its redemption value)."""
    amm_price: int
    """The AMM pool's spot price of a share (what a small sale gets)."""
    amm_twap: int
    """The AMM's time-weighted price over its window."""
    oracle_price: int
    """The lending module's price of a share (what it values collateral at)."""
    pool_swk: int
    pool_stswk: int
    """The AMM pool's balances (SWK, stSWK shares)."""
    sold: int
    """stSWK shares the holders sold on the AMM this epoch."""
    sold_for: int
    """SWK they got for them."""
    bought: int
    """stSWK shares the arbitrageur bought on the AMM this epoch (and queued for withdrawal)."""
    liquidations: int
    """Liquidations this epoch."""
    repaid: int
    """SWK debt the liquidators repaid this epoch."""
    seized: int
    """stSWK collateral (shares) the liquidators received this epoch."""
    liquidator_sold_for: int
    """SWK the liquidators got on the AMM for it."""
    min_health: int
    """Lowest health factor of the open leveraged positions (times 10**18; 0: none open)."""
    open_positions: int
    """Leveraged positions with debt left."""
    debt: int
    """SWK the leveraged positions owe."""
    collateral: int
    """stSWK shares they hold as collateral."""
    bad_debt: int
    """Bad debt written off so far (SWK)."""
    covered: int
    """Bad debt the safety module covered so far (SWK)."""
    deficit: int
    """Bad debt not covered yet (SWK)."""
    safety_assets: int
    """SWK in the safety module's SWK vault."""
    liquid_pooled: int
    """SWK behind stSWK."""
    liquid_slashed: int
    """The liquid module's validators slashed so far."""
    slashing_penalty: int
    """The liquid module's validators' loss to the initial slashing penalty this epoch."""
    correlation_penalty: int
    """What process_slashings took from the liquid module's validators this epoch."""


@dataclass
class SystemicResult:
    config: SystemicConfig
    records: list[SystemicRecord]
    safety_cap: int
    """The safety module's cover cap when the run ended: max_slash_bps of its SWK vault then (Gwei)."""
    sellers: int = 0
    slashed_validators: int = 0
    """Validators slashed in the incident (the liquid module's and the others)."""
    liquid_slashed: int = 0
    """The liquid module's validators among them."""
    events: dict[str, int] = field(default_factory=dict)
    """The first epoch of each link of the chain: slashing, sale, depeg, liquidation, correlation_penalty,
    bad_debt, cover."""
    cover_slashes: list[tuple[int, int, int]] = field(default_factory=list)
    """Each slashing of the safety module's SWK vault: (epoch, amount taken, its cap then), Gwei."""

    def summary(self) -> dict[str, Any]:
        """The run in figures (``--json``): prices in SWK per share, amounts in SWK (and Gwei for the exact
        figures)."""
        records = self.records
        cfg = self.config
        before = next((r for r in reversed(records) if r.epoch < cfg.slash_epoch), records[0])
        low = min(records, key=lambda r: r.amm_price if r.amm_price else PRICE_SCALE * 10)
        discounts = [(r.share_price - r.amm_price) / r.share_price for r in records if r.amm_price and r.share_price]
        last = records[-1]
        healths = [r.min_health for r in records if r.min_health]
        return {
            "scenario": "systemic",
            "seed": cfg.seed,
            "epochs": len(records),
            "slash_epoch": cfg.slash_epoch,
            "slashed_validators": self.slashed_validators,
            "liquid_validators_slashed": self.liquid_slashed,
            "sellers": self.sellers,
            "share_price_before": before.share_price / PRICE_SCALE,
            "share_price_end": last.share_price / PRICE_SCALE,
            "min_share_price": min(r.share_price for r in records) / PRICE_SCALE,
            "min_amm_price": low.amm_price / PRICE_SCALE,
            "min_amm_price_epoch": low.epoch,
            "max_discount": max(discounts, default=0.0),
            "min_twap": min((r.amm_twap for r in records if r.amm_twap), default=0) / PRICE_SCALE,
            "min_oracle_price": min((r.oracle_price for r in records if r.oracle_price), default=0) / PRICE_SCALE,
            "min_health_factor": min(healths, default=0) / PRICE_SCALE,
            "liquidations": sum(r.liquidations for r in records),
            "liquidated_debt": sum(r.repaid for r in records) / GWEI_PER_SWK,
            "seized_stswk": sum(r.seized for r in records) / GWEI_PER_SWK,
            "sold_stswk": sum(r.sold for r in records) / GWEI_PER_SWK,
            "bad_debt": last.bad_debt / GWEI_PER_SWK,
            "bad_debt_gwei": last.bad_debt,
            "safety_module_slashed": last.covered / GWEI_PER_SWK,
            "safety_module_slashed_gwei": last.covered,
            "safety_module_cap": self.safety_cap / GWEI_PER_SWK,
            "uncovered": last.deficit / GWEI_PER_SWK,
            "safety_module_slashings": [
                {"epoch": e, "amount": amount / GWEI_PER_SWK, "cap": cap / GWEI_PER_SWK}
                for e, amount, cap in self.cover_slashes
            ],
            "events": dict(self.events),
        }


# -- the scenario on the driver ----------------------------------------------------------------------------------

DEPEG_BPS = 100
"""The pool counts as depegged when its price is this far below the exchange rate (1 %)."""
LIQUIDATIONS_PER_BORROWER = 4
"""Liquidations of one position per epoch at most (several blocks' worth)."""
ARBITRAGE_CHUNK = 4 * GWEI_PER_SWK
ARBITRAGE_CHUNKS = 64
"""The arbitrageur buys in chunks of 4 SWK, at most 64 an epoch."""


def _require_modules() -> None:
    missing = [name for name in ("liquid", "amm", "lending", "safety") if registry.get(name) is None]
    if missing:
        raise ScenarioError(
            f"systemic: the scenario needs the {', '.join(missing)} module(s), which this build does not register"
        )


def systemic_genesis(config: SystemicConfig) -> BeaconState:
    """A devnet genesis with every registered module, the AMM at the scenario's A and time-weighted window."""
    _require_modules()
    state = devnet_genesis(DEVNET, config.validators)
    admin = sim_address("admin")
    state.modules = devnet_modules(DEVNET, admin)
    min_ramp = _amm(state).min_ramp_epochs
    state.modules.enable(
        "amm",
        amm_state.new_state(
            DEVNET,
            governance=admin,
            treasury=admin,
            a=config.amplification,
            twap_window=config.twap_window,
            min_ramp_epochs=min_ramp,
        ),
    )
    state.slot = DEVNET.SLOTS_PER_EPOCH - 1
    return state


class Systemic(ModuleScenario[SystemicRecord]):
    """The systemic scenario on the driver (see the module docstring)."""

    def __init__(self, config: SystemicConfig, state: BeaconState, rng: np.random.Generator) -> None:
        self.config = config
        p = state.preset
        swk = GWEI_PER_SWK
        self.admin = sim_address("admin")
        self.holders = [sim_address("holder", i) for i in range(config.stakers)]
        self.lp = sim_address("lp")
        self.lenders = [sim_address("lender", i) for i in range(config.lenders)]
        self.borrowers = [sim_address("borrower", i) for i in range(config.borrowers)]
        self.liquidators = [sim_address("liquidator", i) for i in range(config.liquidators)]
        self.insurer = sim_address("safety staker")
        self.arbitrageur = sim_address("arbitrageur")
        for account in (self.lp, *self.holders, *self.lenders, *self.borrowers, self.insurer):
            state.accounts.credit(account, ACCOUNT_FUNDS)
        for account in self.liquidators:
            state.accounts.credit(account, config.liquidator_funds * swk)
        if config.arbitrage_funds:
            state.accounts.credit(self.arbitrageur, config.arbitrage_funds * swk)

        # the liquid module: operators with enough keys for everything staked in the run
        ltv_max = max(config.target_ltv_bps, 1) / BPS
        looped = config.deposit * sum(ltv_max**k for k in range(config.loops + 1))
        total = config.stakers * config.stake + config.lp_swk + config.borrowers * looped
        per_operator = int(total * swk // p.MIN_ACTIVATION_BALANCE // config.operators) + 2
        self.operators = [sim_address("operator", i) for i in range(config.operators)]
        for i, op in enumerate(self.operators):
            self.send(state, self.admin, lm.AddOperator(address=op))
            keys = [
                sign_module_key(p, liquid_module.MODULE, devnet_secret_key(MODULE_KEY_BASE + i * per_operator + j))
                for j in range(per_operator)
            ]
            for start in range(0, len(keys), MAX_KEYS_PER_MESSAGE):
                self.send(state, op, lm.SubmitKeys(keys=keys[start : start + MAX_KEYS_PER_MESSAGE]))
        for holder in self.holders:
            self.send(state, holder, lm.Stake(amount=config.stake * swk))

        # the AMM: one liquidity provider, SWK and as much stSWK
        shares = self.stake(state, self.lp, config.lp_swk * swk)
        self.send(state, self.lp, am.AddLiquidity(swk=config.lp_swk * swk, stswk=shares, min_mint=0))

        # the safety module: SWK staked, the lending module authorised to report its bad debt
        self.send(state, self.insurer, sm.Stake(vault="swk", amount=config.safety_stake * swk))
        self.send(state, self.admin, sm.AuthorizeSlasher(address=module_address(lending_module.MODULE)))

        # the lending module: lenders supply SWK; borrowers loop stSWK in e-mode
        for lender in self.lenders:
            self.send(state, lender, lend.Supply(market="swk", amount=config.lend * swk))
        draws = rng.integers(0, config.ltv_spread_bps + 1, size=config.borrowers)
        self.target_ltv = {b: config.target_ltv_bps - int(d) for b, d in zip(self.borrowers, draws, strict=True)}
        for borrower in self.borrowers:
            self.send(state, borrower, lend.SetEmode(enabled=True))
            shares = self.stake(state, borrower, config.deposit * swk)
            self.send(state, borrower, lend.Supply(market="stswk", amount=shares))
            for _ in range(config.loops):
                amount = self.borrowable(state, borrower)
                if amount <= config.deposit * swk // 400:  # within 0.25 % of the deposit: close enough
                    break
                self.send(state, borrower, lend.Borrow(market="swk", amount=amount))
                shares = self.stake(state, borrower, amount)
                self.send(state, borrower, lend.Supply(market="stswk", amount=shares))

        count = config.stakers * config.sellers_bps // BPS
        self.sellers = sorted(int(i) for i in rng.choice(config.stakers, size=count, replace=False))
        self.staked: dict[bytes, None] = {}
        self.arbitrage_requests: list[int] = []
        self.slashed_keys: list[bytes] = []
        self.others: list[int] = []
        self.events: dict[str, int] = {}
        self._epoch_figures()

    # -- helpers --

    @staticmethod
    def send(state: BeaconState, sender: bytes, message: object) -> None:
        process_module_message(state, sender, message)

    def stake(self, state: BeaconState, account: bytes, amount: int) -> int:
        """Stake ``amount`` SWK in the liquid module; the stSWK shares it got."""
        before = _liquid(state).ledger.shares_of(account)
        self.send(state, account, lm.Stake(amount=amount))
        return _liquid(state).ledger.shares_of(account) - before

    def borrowable(self, state: BeaconState, borrower: bytes) -> int:
        """SWK that takes the borrower's debt to its target LTV of the collateral at the lending oracle, at most
        what the SWK market holds."""
        lending = _lending(state)
        values = account_values(lending, borrower, prices(lending, ChainHost(state)))
        wanted = mul_div(values.collateral, self.target_ltv[borrower], BPS, Rounding.DOWN) - values.debt
        return min(wanted, lending.swk.cash)

    def _epoch_figures(self) -> None:
        self.sold = self.sold_for = self.bought = 0
        self.liquidations = self.repaid = self.seized = self.liquidator_sold_for = 0
        self.slash_loss = 0

    def holdings(self, state: BeaconState) -> dict[str, int]:
        lqs, amm, lending = _liquid(state), _amm(state), _lending(state)
        return {
            liquid_module.MODULE: lqs.buffer + lqs.reserved,
            amm_module.MODULE: amm.swk_balance + amm.admin_swk,
            lending_module.MODULE: lending.swk.cash,
        }

    def check(self, state: BeaconState) -> None:
        """Every module invariant and SWK account (:func:`check_modules`), and the stSWK shares the AMM and the
        lending module hold in the liquid module's ledger."""
        super().check(state)
        ledger = _liquid(state).ledger
        amm, lending = _amm(state), _lending(state)
        problems = []
        for name, expected in (
            (amm_module.MODULE, amm.stswk_balance + amm.admin_stswk),
            (lending_module.MODULE, lending.stswk.cash),
        ):
            held = ledger.shares_of(module_address(name))
            if held != expected:
                problems.append(f"{name}: holds {held} stSWK shares, its state says {expected}")
        if problems:
            raise ModuleInvariantError(f"epoch {state.current_epoch()}: module accounts failed: " + "; ".join(problems))

    # -- the epoch's blocks --

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        cfg = self.config
        epoch = state.current_epoch()
        self._epoch_figures()
        self._claim(state)
        if epoch == cfg.slash_epoch:
            self._slash(state, rng)
        if self.slashed_keys and cfg.slash_epoch <= epoch < cfg.slash_epoch + cfg.sell_epochs:
            for i in self.sellers:  # the liquid module's validators were slashed: stSWK holders sell
                self._sell_stswk(state, self.holders[i], cfg.sell_bps)
        self._arbitrage(state)
        self._liquidate(state)

    def _claim(self, state: BeaconState) -> None:
        """The arbitrageur claims its finalized withdrawal requests (SWK to buy more with)."""
        liquid = _liquid(state)
        for rid in list(self.arbitrage_requests):
            request = liquid.requests.get(rid)
            if request is not None and request.finalized:
                self.send(state, self.arbitrageur, lm.Claim(request_id=rid))
                self.arbitrage_requests.remove(rid)

    def _arbitrage(self, state: BeaconState) -> None:
        """Buy stSWK in chunks while the AMM sells it below the rate less the discount, then queue it for
        withdrawal (the liquid module pays the rate once validators exit)."""
        cfg = self.config
        if not cfg.arbitrage_funds:
            return
        chunk = ARBITRAGE_CHUNK
        for _ in range(ARBITRAGE_CHUNKS):
            funds = state.accounts.balance(self.arbitrageur)
            dx = min(chunk, funds)
            if dx < GWEI_PER_SWK // 10:
                break
            rate = _rate(state)
            try:
                quote = amm_queries.quote_exchange(_amm(state), rate, state.current_epoch(), "swk", dx)
            except StakeworkError:
                break
            # price paid per share: dx / dy (SWK per share x 10**18), against the rate less the discount
            if quote.dy == 0 or dx * PRICE_SCALE * BPS > quote.dy * rate * (BPS - cfg.arbitrage_discount_bps):
                break
            self.send(state, self.arbitrageur, am.Exchange(sell="swk", dx=dx, min_dy=quote.dy))
            self.bought += quote.dy
        liquid = _liquid(state)
        balance = lq.balance_of(liquid, self.arbitrageur)
        while balance >= max(liquid.min_request, GWEI_PER_SWK):
            rid = liquid.next_request_id
            self.send(state, self.arbitrageur, lm.RequestWithdrawal(amount=min(balance, liquid.max_request)))
            self.arbitrage_requests.append(rid)
            balance = lq.balance_of(liquid, self.arbitrageur)

    def _slash(self, state: BeaconState, rng: np.random.Generator) -> None:
        """``slashed`` of the liquid module's active validators, operator by operator and oldest first, and
        ``others_slashed`` genesis validators."""
        cfg = self.config
        liquid = _liquid(state)
        ordered = sorted(liquid.validators, key=lambda v: v.operator)  # stable: oldest first within an operator
        found = (state.validators.index_of_pubkey(v.pubkey) for v in ordered)
        indices = [int(i) for i in found if i is not None and _slashable(state, int(i))][: cfg.slashed]
        genesis = set(range(cfg.validators))  # the others are genesis validators, no module's
        exclude = set(range(len(state.validators))) - genesis
        self.others = pick_others(state, rng, cfg.others_slashed, exclude)
        before = state.validators.balances.astype(np.int64)
        for index in sorted(indices + self.others):
            slash_validator(state, index)
        after = state.validators.balances.astype(np.int64)
        self.slashed_keys = [state.validators.pubkey[i].tobytes() for i in indices]
        self.slash_loss = int((before - after)[np.array(indices, dtype=np.int64)].sum()) if indices else 0

    def _sell_stswk(self, state: BeaconState, seller: bytes, part_bps: int) -> None:
        held = _liquid(state).ledger.shares_of(seller)
        dx = mul_div(held, part_bps, BPS, Rounding.DOWN)
        if dx <= 0:
            return
        got = self._swap(state, seller, dx)
        if got:
            self.sold += dx
            self.sold_for += got

    def _swap(self, state: BeaconState, seller: bytes, dx: int) -> int:
        """Sell ``dx`` stSWK shares on the AMM for at least the quote; the SWK received (0: the pool cannot take
        the sale, e.g. its SWK side is nearly gone, so the seller keeps its stSWK)."""
        try:
            quote = amm_queries.quote_exchange(_amm(state), _rate(state), state.current_epoch(), "stswk", dx)
        except StakeworkError:
            return 0
        before = state.accounts.balance(seller)
        self.send(state, seller, am.Exchange(sell="stswk", dx=dx, min_dy=quote.dy))
        return state.accounts.balance(seller) - before

    def _sale_quote(self, state: BeaconState, dx: int) -> int:
        try:
            return amm_queries.quote_exchange(_amm(state), _rate(state), state.current_epoch(), "stswk", dx).dy
        except StakeworkError:
            return 0

    def _liquidate(self, state: BeaconState) -> None:
        """Each unhealthy position, by the liquidators in turn: the largest repayment (the close factor's, halved
        until it pays) whose seized stSWK sells on the AMM for at least the SWK repaid; then the sale."""
        turn = 0
        for borrower in self.borrowers:
            for _ in range(LIQUIDATIONS_PER_BORROWER):
                quote = self._profitable_liquidation(state, borrower)
                if quote is None:
                    break
                liquidator = self.liquidators[turn % len(self.liquidators)]
                turn += 1
                if state.accounts.balance(liquidator) < quote.debt_repaid:
                    break
                ledger = _liquid(state).ledger
                before_shares = ledger.shares_of(liquidator)
                before_swk = state.accounts.balance(liquidator)
                self.send(state, liquidator, lend.Liquidate(borrower=borrower, amount=quote.debt_repaid))
                seized = ledger.shares_of(liquidator) - before_shares
                self.liquidations += 1
                self.repaid += before_swk - state.accounts.balance(liquidator)
                self.seized += seized
                if seized > 0:
                    self.liquidator_sold_for += self._swap(state, liquidator, seized)

    def _profitable_liquidation(self, state: BeaconState, borrower: bytes) -> Any:
        lending = _lending(state)
        if lending.swk.debt_of(borrower) == 0:
            return None
        trial = copy.deepcopy(lending)
        accrue_all(trial, state.current_epoch())  # what the message's dispatch does first
        host = ChainHost(state)
        amount: int | None = None
        for _ in range(6):
            try:
                quote = quote_liquidation(trial, host, borrower, "swk", "stswk", amount)
            except StakeworkError:
                return None  # healthy, or nothing to seize
            if quote.debt_repaid and self._sale_quote(state, quote.collateral_seized) >= quote.debt_repaid:
                return quote
            amount = (quote.debt_repaid or quote.max_debt) // 2
            if amount <= 0:
                return None
        return None

    # -- the epoch's figures --

    def record(self, state: BeaconState, outcome: EpochOutcome) -> SystemicRecord:
        epoch = outcome.epoch
        lqs, amm, lending = _liquid(state), _amm(state), _lending(state)
        self.staked.update(dict.fromkeys(v.pubkey for v in lqs.validators))
        host = ChainHost(state)
        spot = twap = 0
        oracle = host.amm_oracle
        if oracle is not None:
            try:
                spot = oracle.spot_price()
            except StakeworkError:
                spot = 0
            try:
                twap = oracle.twap_price()
            except StakeworkError:
                twap = 0
        price = prices(lending, host)
        healths = []
        debt = collateral = open_positions = 0
        for b in self.borrowers:
            owed = lending.swk.debt_of(b)
            collateral += lending.stswk.supply_of(b)
            if owed:
                open_positions += 1
                debt += owed
                hf = account_values(lending, b, price).health_factor()
                if hf is not None:
                    healths.append(hf)
        idx = validator_indices(state, self.staked)
        safety = _safety(state)
        record = SystemicRecord(
            epoch=epoch,
            share_price=_rate(state),
            amm_price=spot,
            amm_twap=twap,
            oracle_price=price["stswk"],
            pool_swk=amm.swk_balance,
            pool_stswk=amm.stswk_balance,
            sold=self.sold,
            sold_for=self.sold_for,
            bought=self.bought,
            liquidations=self.liquidations,
            repaid=self.repaid,
            seized=self.seized,
            liquidator_sold_for=self.liquidator_sold_for,
            min_health=min(healths, default=0),
            open_positions=open_positions,
            debt=debt,
            collateral=collateral,
            bad_debt=lending.swk.bad_debt_total,
            covered=lending.swk.covered_total,
            deficit=lending.swk.deficit,
            safety_assets=safety.swk.ledger.total_assets,
            liquid_pooled=lqs.ledger.total_assets,
            liquid_slashed=int(state.validators.slashed[idx].sum()) if len(idx) else 0,
            slashing_penalty=self.slash_loss,
            correlation_penalty=int(outcome.correlation[idx].sum()) if len(idx) else 0,
        )
        self._note_events(record)
        return record

    def _note_events(self, r: SystemicRecord) -> None:
        first = self.events.setdefault
        if r.epoch == self.config.slash_epoch and self.slashed_keys:
            first("slashing", r.epoch)
        if r.correlation_penalty:
            first("correlation_penalty", r.epoch)
        if r.sold:
            first("sale", r.epoch)
        if r.amm_price and r.amm_price * BPS < r.share_price * (BPS - DEPEG_BPS):
            first("depeg", r.epoch)
        if r.liquidations:
            first("liquidation", r.epoch)
        if r.bad_debt:
            first("bad_debt", r.epoch)
        if r.covered:
            first("cover", r.epoch)


def _liquid(state: BeaconState) -> LiquidState:
    store: LiquidState | None = state.modules.get(liquid_module.MODULE)
    assert store is not None  # systemic_genesis enables it
    return store


def _amm(state: BeaconState) -> AmmState:
    store: AmmState | None = state.modules.get(amm_module.MODULE)
    assert store is not None
    return store


def _lending(state: BeaconState) -> LendingState:
    store: LendingState | None = state.modules.get(lending_module.MODULE)
    assert store is not None
    return store


def _safety(state: BeaconState) -> SafetyState:
    store: SafetyState | None = state.modules.get(safety_module.MODULE)
    assert store is not None
    return store


def _rate(state: BeaconState) -> int:
    """stSWK's exchange rate: SWK Gwei per 10**18 shares (SWK per share times 10**18)."""
    return _liquid(state).ledger.convert_to_assets(PRICE_SCALE, Rounding.DOWN)


def _slashable(state: BeaconState, index: int) -> bool:
    v = state.validators
    e = np.uint64(state.current_epoch())
    return bool(~v.slashed[index] & (v.activation_epoch[index] <= e) & (e < v.withdrawable_epoch[index]))


def run_systemic(config: SystemicConfig, on_epoch: Callable[[Any], None] | None = None) -> SystemicResult:
    """Run the systemic scenario (see the module docstring)."""
    config.check()
    state = systemic_genesis(config)
    rng = np.random.default_rng(config.seed)
    scenario = Systemic(config, state, rng)
    records = run_epochs(state, scenario, config.run_epochs(state.preset), rng, config.miss_rate, on_epoch)
    safety = _safety(state)
    cap = mul_div(safety.swk.ledger.total_assets, safety.params.max_slash_bps, BPS, Rounding.DOWN)
    return SystemicResult(
        config=config,
        records=records,
        safety_cap=cap,
        sellers=len(scenario.sellers),
        slashed_validators=len(scenario.slashed_keys) + len(scenario.others),
        liquid_slashed=len(scenario.slashed_keys),
        events=scenario.events,
        cover_slashes=[(s.epoch, s.amount, s.cap) for s in safety.slash_history if s.vault == "swk"],
    )
