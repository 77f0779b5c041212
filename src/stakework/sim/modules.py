"""Module scenarios for `stakework simulate --scenario`: the pool and liquid-staking modules on the real chain,
driven epoch by epoch by the one epoch driver (:mod:`stakework.sim.driver`, the exact mode's too), with users
acting through the modules' own transactions.

Each epoch ``E`` runs, in the order a chain would (the driver's order):

1. **Blocks of E** (no signatures, no network): the withdrawal sweep of every slot (``get_expected_withdrawals``
   and ``process_withdrawals``, each amount credited to the named account, as block processing does), so exited
   module validators are paid to the module's account; then the scenario's transactions for E (module messages
   through ``process_module_message``, claims of finalized requests, slashings through ``slash_validator``).
2. **Epoch processing**: a participation model sets the attestation flags (as the exact mode), the chain's
   ``process_epoch`` steps run, then every module's epoch hook (``process_module_epoch``), as ``process_slots``
   does.
3. **Checks** (:class:`ModuleScenario`): every module invariant (``check_invariants``) and the module accounts
   (each holds exactly its buffers plus finalized, unclaimed payouts). A failure stops the run with
   :class:`ModuleInvariantError`.

Scenarios:

- ``pool-slashing``: a pool (10% commission) whose delegators fund several validators. One delegator asks to
  withdraw part of its shares; then some of the pool's validators are slashed (the oldest ones, which the pool
  exits first, so the request waits for a slashed validator's withdrawal). The share price drops at the slashing
  (initial penalty) and again at the correlation penalty, half way through the slashings window; the early
  request is paid ``min(amount fixed at request, shares at the price then)``, at a discount.
- ``mass-exit``: the liquid module with many stakers; at one epoch holders of most stSWK request withdrawals. The
  module exits validators, the exit churn spreads the exits over epochs, and FIFO finalization pays the queue
  as the withdrawals land.

Integers throughout (Gwei, shares); deterministic for a seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from stakework.crypto.bls import devnet_secret_key
from stakework.modules import liquid as liquid_module
from stakework.modules import pool as pool_module
from stakework.modules.arith import BPS, Rounding, mul_div
from stakework.modules.liquid import messages as lm
from stakework.modules.liquid import queries as lq
from stakework.modules.liquid.state import LiquidState
from stakework.modules.pool import messages as pm
from stakework.modules.pool import queries as pq
from stakework.modules.pool.state import Pool, PoolModuleState
from stakework.modules.store import check_invariants
from stakework.sim.driver import (
    ChainScenario,
    EpochOutcome,
    ModuleInvariantError,
    ScenarioError,
    run_epochs,
    sweep_withdrawals,
)
from stakework.spec.presets import DEVNET, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH, GWEI_PER_SWK
from stakework.state.beacon_state import BeaconState
from stakework.transition.churn import get_activation_exit_churn_limit
from stakework.transition.genesis import devnet_genesis, devnet_modules
from stakework.transition.modules import ChainHost, module_address, process_module_message, sign_module_key
from stakework.transition.mutators import slash_validator

SCENARIOS = ("pool-slashing", "mass-exit")
"""The module scenarios `stakework simulate --scenario` knows."""

U64 = np.uint64
MODULE_KEY_BASE = 1_000_000
"""Module validator keys are devnet keys from this index on (the genesis validators use 0..N-1)."""
ACCOUNT_FUNDS = 1_000_000 * GWEI_PER_SWK
"""What each scenario account (operator, delegator, staker) starts with."""


def sim_address(role: str, index: int = 0) -> bytes:
    """A scenario account (20 bytes, derived from the role and the index). Scenario transactions go straight to
    the modules' handlers, so these accounts need no keys."""
    return hashlib.sha256(f"stakework sim {role} {index}".encode()).digest()[:20]


# -- configuration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolSlashingConfig:
    """The pool-slashing scenario. Epoch numbers are chain epochs; amounts in whole SWK."""

    validators: int = 64
    """Genesis validators (0x01, outside the pool): they set the chain's total balance and so the correlation
    penalty (3 × slashed balance / total balance on Ethereum's rule)."""
    epochs: int = 0
    """0: run until the slashed validators are withdrawn (slash_epoch + EPOCHS_PER_SLASHINGS_VECTOR + 12)."""
    delegators: int = 4
    deposit: int = 64
    """SWK each delegator deposits at epoch 0 (4 × 64 SWK fund 8 validators of 32 SWK)."""
    commission_bps: int = 1000
    keys: int = 12
    """Validator keys the operator registers (the pool stakes as many as the deposits fund)."""
    request_epoch: int = 14
    request_bps: int = 5000
    """Part of delegator 0's shares it asks to withdraw at request_epoch."""
    slash_epoch: int = 18
    slashed: int = 4
    """Pool validators slashed at slash_epoch: the oldest (the pool exits those first)."""
    others_slashed: int = 0
    """Genesis validators slashed at the same epoch (a wider incident: a larger correlation penalty)."""
    miss_rate: float = 0.02
    seed: int = 1

    def run_epochs(self, preset: Preset) -> int:
        return self.epochs or self.slash_epoch + preset.EPOCHS_PER_SLASHINGS_VECTOR + 12

    def check(self) -> None:
        positive = ("validators", "delegators", "deposit", "keys", "slashed")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ScenarioError(f"pool-slashing: {name} must be positive")
        if not 0 <= self.commission_bps <= BPS or not 0 < self.request_bps <= BPS:
            raise ScenarioError(f"pool-slashing: commission_bps and request_bps are 0..{BPS} basis points")
        if not 0 < self.request_epoch < self.slash_epoch:
            raise ScenarioError(
                "pool-slashing: the request comes before the slashing (0 < request_epoch < slash_epoch)"
            )
        if not 0 <= self.others_slashed < self.validators:
            raise ScenarioError("pool-slashing: others_slashed must be below the genesis validators")
        if self.epochs < 0 or not 0 <= self.miss_rate <= 1:
            raise ScenarioError("pool-slashing: epochs >= 0 and 0 <= miss_rate <= 1")
        if self.epochs and self.slash_epoch >= self.epochs:
            raise ScenarioError(f"pool-slashing: the run ends (epochs={self.epochs}) before slash_epoch")


@dataclass(frozen=True)
class MassExitConfig:
    """The mass-exit scenario. Amounts in whole SWK."""

    validators: int = 128
    """Genesis validators (0x01): they set the churn (on devnet 128 SWK, four validators, an epoch)."""
    epochs: int = 72
    stakers: int = 200
    stake_min: int = 2
    stake_max: int = 12
    """Each staker stakes a whole number of SWK drawn uniformly from stake_min..stake_max at epoch 0."""
    operators: int = 4
    request_epoch: int = 24
    request_bps: int = 8000
    """Part of the stakers (drawn by the seed) that request all their stSWK at request_epoch."""
    claim: bool = True
    """Owners claim finalized requests in the next epoch."""
    miss_rate: float = 0.02
    seed: int = 1

    def run_epochs(self, preset: Preset) -> int:
        return self.epochs

    def check(self) -> None:
        for name in ("validators", "epochs", "stakers", "stake_min", "operators", "request_epoch"):
            if getattr(self, name) <= 0:
                raise ScenarioError(f"mass-exit: {name} must be positive")
        if self.stake_max < self.stake_min:
            raise ScenarioError("mass-exit: stake_max must be at least stake_min")
        if not 0 < self.request_bps <= BPS:
            raise ScenarioError(f"mass-exit: request_bps is 1..{BPS} basis points")
        if not 0 <= self.miss_rate <= 1:
            raise ScenarioError("mass-exit: 0 <= miss_rate <= 1")
        if self.request_epoch >= self.epochs:
            raise ScenarioError(f"mass-exit: the run ends (epochs={self.epochs}) before request_epoch")


ScenarioConfig = PoolSlashingConfig | MassExitConfig


def scenario_config(name: str, overrides: dict[str, str] | None = None, **fixed: Any) -> ScenarioConfig:
    """The config of scenario ``name`` with ``overrides`` (``--set key=value``, parsed to each field's type) and
    ``fixed`` (typed values, e.g. ``seed``) applied. Raises ScenarioError naming what is wrong."""
    classes: dict[str, type[PoolSlashingConfig] | type[MassExitConfig]] = {
        "pool-slashing": PoolSlashingConfig,
        "mass-exit": MassExitConfig,
    }
    cls = classes.get(name)
    if cls is None:
        raise ScenarioError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")
    return configure(cls, name, overrides, **fixed)


C = TypeVar("C")


def configure(cls: type[C], name: str, overrides: dict[str, str] | None = None, **fixed: Any) -> C:
    """``cls()`` (a frozen dataclass of settings with a ``check()``) with ``overrides`` (text, parsed to each
    field's type: int, float, bool or str) and ``fixed`` (typed values) applied, then checked. Raises
    ScenarioError naming the scenario, the setting and what is wrong."""
    defaults = cls()
    values: dict[str, Any] = {}
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key, text in (overrides or {}).items():
        if key not in names:
            raise ScenarioError(f"{name}: no setting {key!r} (settings: {', '.join(names)})")
        kind = type(getattr(defaults, key))
        try:
            if kind is bool:
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                values[key] = text.lower() in ("true", "1", "yes")
            else:
                values[key] = kind(text)
        except ValueError:
            raise ScenarioError(f"{name}: {key}={text!r} is not a valid {kind.__name__}") from None
    values.update(fixed)
    config = dataclasses.replace(defaults, **values)  # type: ignore[type-var]
    config.check()  # type: ignore[attr-defined]
    return config


# -- on the epoch driver ---------------------------------------------------------------------------------------


@dataclass
class _Flows:
    """Money into and out of a module's account, cumulative (Gwei)."""

    received: int = 0
    """Deposits or stakes, and validator withdrawals credited to the account."""
    paid: int = 0
    """Claims paid out of the account."""


def check_modules(state: BeaconState, accounts: dict[str, int]) -> None:
    """Every module invariant, and each module account == what the module says it holds. Raises
    ModuleInvariantError listing every failure."""
    problems = check_invariants(state.modules, ChainHost(state))
    for name, expected in accounts.items():
        held = state.accounts.balance(module_address(name))
        if held != expected:
            problems.append(f"{name}: the module account holds {held} Gwei, its state says {expected}")
    if problems:
        raise ModuleInvariantError(f"epoch {state.current_epoch()}: module invariants failed: " + "; ".join(problems))


R = TypeVar("R")


class ModuleScenario(ChainScenario[R]):
    """A module scenario on the epoch driver: after every epoch, every module invariant and each module account
    (:meth:`holdings`) are checked (:func:`check_modules`)."""

    def holdings(self, state: BeaconState) -> dict[str, int]:
        """Module name -> what its state says its account holds (the accounts this scenario checks)."""
        return {}

    def check(self, state: BeaconState) -> None:
        check_modules(state, self.holdings(state))


def _genesis(validators: int) -> BeaconState:
    state = devnet_genesis(DEVNET, validators)
    state.modules = devnet_modules(DEVNET, sim_address("admin"))
    spe = state.preset.SLOTS_PER_EPOCH
    state.slot = spe - 1
    return state


@dataclass(frozen=True)
class ValidatorCounts:
    pending: int
    active: int
    exiting: int
    """Exit initiated, not yet withdrawn (exited validators waiting to become withdrawable included)."""
    slashed: int
    withdrawn: int
    exiting_now: int
    """Validators whose exit takes effect this epoch (exit_epoch == the epoch): the exit churn at work."""


def _counts(state: BeaconState, pubkeys: Iterable[bytes]) -> ValidatorCounts:
    """Status of the module's validators (every key it ever staked), from the chain's registry."""
    v = state.validators
    e = U64(state.current_epoch())
    far = U64(FAR_FUTURE_EPOCH)
    idx = [v.index_of_pubkey(k) for k in pubkeys]
    known = np.array([i for i in idx if i is not None], dtype=np.int64)
    pending = sum(1 for i in idx if i is None)
    if len(known) == 0:
        return ValidatorCounts(pending, 0, 0, 0, 0, 0)
    act, ext, wd = v.activation_epoch[known], v.exit_epoch[known], v.withdrawable_epoch[known]
    withdrawn = (wd <= e) & (v.balances[known] == 0)
    not_yet = act > e
    exiting = (ext != far) & ~withdrawn
    return ValidatorCounts(
        pending=pending + int(not_yet.sum()),
        active=int((~not_yet & (ext == far)).sum()),
        exiting=int(exiting.sum()),
        slashed=int(v.slashed[known].sum()),
        withdrawn=int(withdrawn.sum()),
        exiting_now=int((ext == e).sum()),
    )


# -- pool-slashing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolSlashingRecord:
    """One epoch of the pool-slashing scenario, after the epoch's processing and module hooks (Gwei)."""

    epoch: int
    price: int
    """Gwei per 10**9 pool shares (1 SWK at the start)."""
    total_assets: int
    total_shares: int
    buffer: int
    pending: int
    active: int
    exiting: int
    slashed: int
    withdrawn: int
    delegator_value: int
    """Delegator 1's position (it never withdraws): its shares at today's price."""
    request_amount: int
    """Delegator 0's early request: fixed at request time (0 before the request)."""
    request_value: int
    """The request's shares at today's price until it is finalized; then what it was paid."""
    request_paid: int
    """0 until the request is finalized."""
    slashing_penalty: int
    """The pool validators' loss to slash_validator this epoch (the initial penalty)."""
    correlation_penalty: int
    """What process_slashings took from the pool's validators this epoch."""
    chain_slashing_loss: int
    """Every validator's loss to slashing this epoch (initial + correlation)."""
    received: int
    paid: int
    module_account: int


@dataclass
class PoolSlashingResult:
    config: PoolSlashingConfig
    records: list[PoolSlashingRecord]
    request_id: int
    request_amount: int
    request_paid: int
    request_finalized_epoch: int | None
    slashed_pubkeys: list[bytes] = field(default_factory=list)


class PoolSlashing(ModuleScenario[PoolSlashingRecord]):
    """The pool-slashing scenario on the driver (see the module docstring)."""

    def __init__(self, config: PoolSlashingConfig, state: BeaconState) -> None:
        self.config = config
        p = state.preset
        self.operator = sim_address("operator")
        self.delegators = [sim_address("delegator", i) for i in range(config.delegators)]
        for a in (self.operator, *self.delegators):
            state.accounts.credit(a, ACCOUNT_FUNDS)
        self.name = pool_module.MODULE
        keys = [sign_module_key(p, self.name, devnet_secret_key(MODULE_KEY_BASE + i)) for i in range(config.keys)]
        process_module_message(state, self.operator, pm.RegisterPool(commission_bps=config.commission_bps, keys=keys))
        self.pool_id = max(_pool_state(state).pools)
        for d in self.delegators:
            process_module_message(state, d, pm.Deposit(pool_id=self.pool_id, amount=config.deposit * GWEI_PER_SWK))
        self.flows = _Flows(received=config.delegators * config.deposit * GWEI_PER_SWK)
        self.address = module_address(self.name)
        self.staked: dict[bytes, None] = {}  # every key the module staked, in order (an ordered set)
        self.request_id = 0
        self.request_amount = 0
        self.finalized_epoch: int | None = None
        self.request_paid = 0
        self.slashed_keys: list[bytes] = []
        self.slash_loss = 0
        self.chain_loss = 0

    def pool(self, state: BeaconState) -> Pool:
        return _pool_state(state).pools[self.pool_id]

    def holdings(self, state: BeaconState) -> dict[str, int]:
        return {self.name: _pool_holdings(state.modules.pool)}

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        cfg = self.config
        epoch = state.current_epoch()
        pool = self.pool(state)
        self.flows.received += sum(amount for to, amount in withdrawals if to == self.address)
        self.flows.paid += _claim_pool(state, pool, self.pool_id)
        self.slash_loss = 0
        self.chain_loss = 0
        if epoch == cfg.request_epoch:
            owner = self.delegators[0]
            pool = self.pool(state)
            shares = mul_div(pool.ledger.shares_of(owner), cfg.request_bps, BPS, Rounding.DOWN)
            self.request_id = pool.next_request_id
            process_module_message(state, owner, pm.RequestWithdrawal(pool_id=self.pool_id, shares=shares))
            self.request_amount = self.pool(state).requests[self.request_id].amount
        if epoch == cfg.slash_epoch:
            before = state.validators.balances.astype(np.int64)
            oldest = [v.pubkey for v in self.pool(state).validators]
            chosen = [k for k in oldest if _slashable(state, k)][: cfg.slashed]
            indices = [int(i) for k in chosen if (i := state.validators.index_of_pubkey(k)) is not None]
            others = pick_others(state, rng, cfg.others_slashed, set(indices))
            for index in sorted(indices + others):
                slash_validator(state, index)
            self.slashed_keys += chosen
            after = state.validators.balances.astype(np.int64)
            pool_idx = validator_indices(state, self.staked)
            self.slash_loss = int((before - after)[pool_idx].sum())
            self.chain_loss = int((before - after).clip(min=0).sum())

    def record(self, state: BeaconState, outcome: EpochOutcome) -> PoolSlashingRecord:
        epoch = outcome.epoch
        pool = self.pool(state)
        self.staked.update(dict.fromkeys(v.pubkey for v in pool.validators))
        pool_idx = validator_indices(state, self.staked)
        corr = int(outcome.correlation[pool_idx].sum())
        self.chain_loss += int(outcome.correlation.clip(min=0).sum())
        request = pool.requests.get(self.request_id)
        if request is not None and request.finalized and self.finalized_epoch is None:
            self.finalized_epoch = epoch
            self.request_paid = request.paid
        if self.finalized_epoch is not None:
            request_value = self.request_paid
        elif request is not None:
            request_value = pool.ledger.convert_to_assets(request.shares, Rounding.DOWN)
        else:
            request_value = 0
        counts = _counts(state, self.staked)
        ledger = pool.ledger
        return PoolSlashingRecord(
            epoch=epoch,
            price=pq.share_price(_pool_state(state), self.pool_id),
            total_assets=ledger.total_assets,
            total_shares=ledger.total_shares,
            buffer=pool.buffer,
            pending=counts.pending,
            active=counts.active,
            exiting=counts.exiting,
            slashed=counts.slashed,
            withdrawn=counts.withdrawn,
            delegator_value=ledger.assets_of(self.delegators[1 % len(self.delegators)]),
            request_amount=self.request_amount,
            request_value=request_value,
            request_paid=self.request_paid,
            slashing_penalty=self.slash_loss,
            correlation_penalty=corr,
            chain_slashing_loss=self.chain_loss,
            received=self.flows.received,
            paid=self.flows.paid,
            module_account=state.accounts.balance(self.address),
        )


def run_pool_slashing(config: PoolSlashingConfig, on_epoch: Callable[[Any], None] | None = None) -> PoolSlashingResult:
    """Run the pool-slashing scenario (see the module docstring)."""
    config.check()
    state = _genesis(config.validators)
    rng = np.random.default_rng(config.seed)
    scenario = PoolSlashing(config, state)
    records = run_epochs(state, scenario, config.run_epochs(state.preset), rng, config.miss_rate, on_epoch)
    return PoolSlashingResult(
        config=config,
        records=records,
        request_id=scenario.request_id,
        request_amount=scenario.request_amount,
        request_paid=scenario.request_paid,
        request_finalized_epoch=scenario.finalized_epoch,
        slashed_pubkeys=scenario.slashed_keys,
    )


def _pool_state(state: BeaconState) -> PoolModuleState:
    store: PoolModuleState | None = state.modules.pool
    assert store is not None
    return store


def _pool_holdings(store: PoolModuleState | None) -> int:
    return 0 if store is None else sum(p.buffer + p.reserved for p in store.pools.values())


def _claim_pool(state: BeaconState, pool: Pool, pool_id: int) -> int:
    """Every finalized request claimed by its owner; returns what was paid."""
    paid = 0
    for request in [r for r in pool.requests.values() if r.finalized]:
        process_module_message(state, request.owner, pm.Claim(pool_id=pool_id, request_id=request.id))
        paid += request.paid
    return paid


def _slashable(state: BeaconState, pubkey: bytes) -> bool:
    index = state.validators.index_of_pubkey(pubkey)
    if index is None:
        return False
    v = state.validators
    e = U64(state.current_epoch())
    return bool(~v.slashed[index] & (v.activation_epoch[index] <= e) & (e < v.withdrawable_epoch[index]))


def validator_indices(state: BeaconState, pubkeys: Iterable[bytes]) -> np.ndarray:
    found = (state.validators.index_of_pubkey(k) for k in pubkeys)
    return np.array([int(i) for i in found if i is not None], dtype=np.int64)


def pick_others(state: BeaconState, rng: np.random.Generator, count: int, exclude: set[int]) -> list[int]:
    if count == 0:
        return []
    v = state.validators
    e = U64(state.current_epoch())
    ok = (v.activation_epoch <= e) & (e < v.exit_epoch) & ~v.slashed
    candidates = [int(i) for i in np.flatnonzero(ok) if int(i) not in exclude]
    chosen = rng.choice(np.array(candidates, dtype=np.int64), size=min(count, len(candidates)), replace=False)
    return sorted(int(i) for i in chosen)


# -- mass-exit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MassExitRecord:
    """One epoch of the mass-exit scenario, after the epoch's processing and module hooks (Gwei)."""

    epoch: int
    price: int
    """stSWK per 10**9 shares (wstSWK rate; 1 SWK at the start)."""
    pooled: int
    unrecognised: int
    buffer: int
    reserved: int
    requests: int
    """Requests made so far."""
    unfinalized: int
    queued: int
    """What the unfinalized requests were promised (their fixed amounts)."""
    finalized: int
    """Requests finalized so far."""
    finalized_amount: int
    """Paid at finalization so far (moved to ``reserved`` for the owners' claims)."""
    pending: int
    active: int
    exiting: int
    exiting_now: int
    """The module's validators whose exit takes effect this epoch (the exit churn at work)."""
    withdrawn: int
    exit_churn: int
    """The chain's activation/exit churn limit this epoch (Gwei per epoch)."""
    earliest_exit_epoch: int
    """The end of the chain's exit queue."""
    received: int
    paid: int
    module_account: int


@dataclass
class MassExitResult:
    config: MassExitConfig
    records: list[MassExitRecord]
    request_ids: list[int]
    """Every request of the mass exit, in the order made."""
    finalized_epoch: dict[int, int]
    """Request id -> the epoch it was finalized."""
    paid: dict[int, int]
    """Request id -> paid at finalization."""
    amount: dict[int, int]
    """Request id -> its amount fixed at request time."""
    exit_epochs: list[int]
    """Chain exit epoch of each module validator that exited."""

    @property
    def last_finalized_epoch(self) -> int | None:
        """When the last request of the mass exit was finalized (None: some never were)."""
        if len(self.finalized_epoch) < len(self.request_ids) or not self.request_ids:
            return None
        return max(self.finalized_epoch.values())


class MassExit(ModuleScenario[MassExitRecord]):
    """The mass-exit scenario on the driver (see the module docstring)."""

    def __init__(self, config: MassExitConfig, state: BeaconState, rng: np.random.Generator) -> None:
        self.config = config
        p = state.preset
        self.name = liquid_module.MODULE
        self.address = module_address(self.name)
        admin = sim_address("admin")
        operators = [sim_address("operator", i) for i in range(config.operators)]
        self.stakers = [sim_address("staker", i) for i in range(config.stakers)]
        amounts = rng.integers(config.stake_min, config.stake_max + 1, size=config.stakers)
        total = int(amounts.sum()) * GWEI_PER_SWK
        per_operator = -(-total // p.MIN_ACTIVATION_BALANCE // config.operators) + 1
        for i, op in enumerate(operators):
            process_module_message(state, admin, lm.AddOperator(address=op))
            keys = [
                sign_module_key(p, self.name, devnet_secret_key(MODULE_KEY_BASE + i * per_operator + j))
                for j in range(per_operator)
            ]
            process_module_message(state, op, lm.SubmitKeys(keys=keys))
        self.flows = _Flows()
        for staker, amount in zip(self.stakers, amounts.tolist(), strict=True):
            state.accounts.credit(staker, ACCOUNT_FUNDS)
            process_module_message(state, staker, lm.Stake(amount=amount * GWEI_PER_SWK))
            self.flows.received += amount * GWEI_PER_SWK
        size = max(1, config.stakers * config.request_bps // BPS)
        self.requesters = sorted(rng.choice(config.stakers, size=size, replace=False).tolist())
        self.staked: dict[bytes, None] = {}  # every key the module staked, in order (an ordered set)
        self.request_ids: list[int] = []
        self.finalized_epoch: dict[int, int] = {}
        self.paid: dict[int, int] = {}
        self.amount_of: dict[int, int] = {}

    def holdings(self, state: BeaconState) -> dict[str, int]:
        lqs = _liquid_state(state)
        return {self.name: lqs.buffer + lqs.reserved}

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        epoch = state.current_epoch()
        liquid = _liquid_state(state)
        self.flows.received += sum(amount for to, amount in withdrawals if to == self.address)
        if self.config.claim:
            for request in [r for r in liquid.requests.values() if r.finalized]:
                process_module_message(state, request.owner, lm.Claim(request_id=request.id))
                self.flows.paid += request.paid
        if epoch == self.config.request_epoch:
            liquid = _liquid_state(state)
            for i in self.requesters:
                balance = lq.balance_of(liquid, self.stakers[i])
                while balance >= liquid.min_request:
                    part = min(balance, liquid.max_request)
                    request_id = liquid.next_request_id
                    process_module_message(state, self.stakers[i], lm.RequestWithdrawal(amount=part))
                    self.request_ids.append(request_id)
                    self.amount_of[request_id] = liquid.requests[request_id].amount
                    balance = lq.balance_of(liquid, self.stakers[i])

    def record(self, state: BeaconState, outcome: EpochOutcome) -> MassExitRecord:
        epoch = outcome.epoch
        lqs = _liquid_state(state)
        self.staked.update(dict.fromkeys(v.pubkey for v in lqs.validators))
        for rid in self.request_ids:
            if rid in self.finalized_epoch:
                continue
            r = lqs.requests.get(rid)
            if r is not None and r.finalized:
                self.finalized_epoch[rid] = epoch
                self.paid[rid] = r.paid
        counts = _counts(state, self.staked)
        queue = lq.queue_state(lqs)
        return MassExitRecord(
            epoch=epoch,
            price=lq.st_per_wrapped(lqs),
            pooled=lqs.ledger.total_assets,
            unrecognised=lqs.unrecognised,
            buffer=lqs.buffer,
            reserved=lqs.reserved,
            requests=queue.next_request_id - 1,
            unfinalized=queue.unfinalized,
            queued=queue.queued_assets,
            finalized=queue.next_to_finalize - 1,
            finalized_amount=sum(self.paid.values()),
            pending=counts.pending,
            active=counts.active,
            exiting=counts.exiting,
            exiting_now=counts.exiting_now,
            withdrawn=counts.withdrawn,
            exit_churn=get_activation_exit_churn_limit(state),
            earliest_exit_epoch=state.earliest_exit_epoch,
            received=self.flows.received,
            paid=self.flows.paid,
            module_account=state.accounts.balance(self.address),
        )


def _liquid_state(state: BeaconState) -> LiquidState:
    store: LiquidState | None = state.modules.liquid
    assert store is not None
    return store


def run_mass_exit(config: MassExitConfig, on_epoch: Callable[[Any], None] | None = None) -> MassExitResult:
    """Run the mass-exit scenario (see the module docstring)."""
    config.check()
    state = _genesis(config.validators)
    rng = np.random.default_rng(config.seed)
    scenario = MassExit(config, state, rng)
    records = run_epochs(state, scenario, config.run_epochs(state.preset), rng, config.miss_rate, on_epoch)
    idx = validator_indices(state, scenario.staked)
    exit_epochs = sorted(int(x) for x in state.validators.exit_epoch[idx] if int(x) != FAR_FUTURE_EPOCH)
    return MassExitResult(
        config=config,
        records=records,
        request_ids=scenario.request_ids,
        finalized_epoch=scenario.finalized_epoch,
        paid=scenario.paid,
        amount=scenario.amount_of,
        exit_epochs=exit_epochs,
    )


def run_module_scenario(config: ScenarioConfig, on_epoch: Callable[[Any], None] | None = None) -> Any:
    """Run either scenario: a PoolSlashingResult or a MassExitResult."""
    if isinstance(config, PoolSlashingConfig):
        return run_pool_slashing(config, on_epoch)
    return run_mass_exit(config, on_epoch)


def total_epochs(config: ScenarioConfig) -> int:
    """How many epochs the scenario runs (on the devnet preset)."""
    return config.run_epochs(DEVNET)


__all__ = [
    "SCENARIOS",
    "MassExit",
    "MassExitConfig",
    "MassExitRecord",
    "MassExitResult",
    "ModuleInvariantError",
    "ModuleScenario",
    "PoolSlashing",
    "PoolSlashingConfig",
    "PoolSlashingRecord",
    "PoolSlashingResult",
    "ScenarioError",
    "check_modules",
    "configure",
    "run_mass_exit",
    "run_module_scenario",
    "run_pool_slashing",
    "scenario_config",
    "sweep_withdrawals",
    "total_epochs",
]
