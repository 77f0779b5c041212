"""The one epoch driver of every chain scenario (`stakework simulate`, the exact mode and each ``--scenario``).

A scenario is a small object (:class:`ChainScenario`) that says what happens in an epoch's blocks and reads the
epoch's figures; the driver runs the chain. Each epoch ``E`` (the state sits at E's last slot) runs, in the order
a chain would:

1. **Blocks of E** (no signatures, no network): the withdrawal sweep of every slot (``get_expected_withdrawals``
   then ``process_withdrawals``, each amount credited to the account the credentials name, as block processing
   does; a scenario may run without it, as the exact mode does), then the scenario's transactions
   (:meth:`ChainScenario.transactions`: module messages through ``process_module_message``, slashings through
   ``slash_validator``, exits, deposits).
2. **Epoch processing** (:func:`process_simulated_epoch`): a participation model sets the attestation flags (every
   active, unslashed validator attests unless the scenario took it offline or it misses with ``miss_rate``), block
   roots and the RANDAO mix are filled in, the chain's ``process_epoch`` steps run one by one (so the driver can
   say what ``process_slashings`` took and, if asked, what the attestations earned and cost), then every module's
   epoch hook (``process_module_epoch``), as ``process_slots`` does.
3. **Checks** (:meth:`ChainScenario.check`): a module scenario checks every module invariant and its accounts; a
   failure stops the run.
4. **Figures** (:meth:`ChainScenario.record`): one record per epoch, passed to ``on_epoch`` as it happens.

What it leaves out: proposer rewards and attestation inclusion (those come with blocks), and signatures.
Everything else is the chain's own code. Deterministic for a seed: the scenario and the participation model draw
from one generator, in the order above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from stakework.codec.hashing import sha256
from stakework.spec.arith import exact_sum
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.epoch import EPOCH_STEPS, EpochContext
from stakework.transition.epoch.rewards import get_base_rewards, get_flag_index_deltas, get_inactivity_penalty_deltas
from stakework.transition.modules import process_module_epoch
from stakework.transition.state_transition import process_withdrawals_to_accounts

FULL_FLAGS = np.uint8(0b111)
"""Timely source, target and head."""
U64 = np.uint64
R = TypeVar("R")


class ScenarioError(StakeworkError):
    """A malformed scenario event or setting."""


class ModuleInvariantError(StakeworkError):
    """A module invariant (or a module account) failed after an epoch: the run stops there."""


@dataclass(frozen=True)
class EpochOutcome:
    """What the chain's epoch processing did (:func:`process_simulated_epoch`)."""

    epoch: int
    total_active_balance: int
    """Of the epoch, before its processing (Gwei)."""
    target_participation: float
    """Share of the active balance that voted for the epoch's target."""
    rewards: int
    """Attestation rewards of the epoch (Gwei; 0 unless the rewards were attributed)."""
    penalties: int
    """Attestation and inactivity penalties of the epoch (Gwei; 0 unless the rewards were attributed)."""
    correlation: np.ndarray
    """What ``process_slashings`` took from each validator (int64, one per validator after the epoch; the
    validators added by ``process_pending_deposits`` lost nothing to it)."""


def sweep_withdrawals(state: BeaconState) -> list[tuple[bytes, int]]:
    """The withdrawals of one epoch's blocks: per slot, the spec's expected withdrawals applied with
    ``process_withdrawals_to_accounts`` (as block processing does). Returns (address, amount) of each."""
    paid: list[tuple[bytes, int]] = []
    for _ in range(state.preset.SLOTS_PER_EPOCH):
        withdrawals = get_expected_withdrawals(state).withdrawals
        process_withdrawals_to_accounts(state, withdrawals)
        paid += [(w.address, w.amount) for w in withdrawals]
    return paid


def process_simulated_epoch(
    state: BeaconState,
    rng: np.random.Generator,
    miss_rate: float,
    offline: np.ndarray | None = None,
    *,
    attribute_rewards: bool = False,
) -> EpochOutcome:
    """Epoch processing for the state's epoch (its slot is the epoch's last).

    Attestation flags from the participation model (active, unslashed, not ``offline``, and not missing with
    ``miss_rate``: one draw per validator), block roots and the RANDAO mix of the epoch, the chain's process_epoch
    steps, then the modules' epoch hooks. ``attribute_rewards``: also sum the attestation rewards and penalties
    (the spec's delta functions, read before ``process_rewards_and_penalties`` applies them)."""
    p = state.preset
    epoch = state.current_epoch()
    v = state.validators
    n = len(v)
    active = (v.activation_epoch <= U64(epoch)) & (U64(epoch) < v.exit_epoch)
    attests = active & ~v.slashed
    if offline is not None:
        attests &= ~offline
    attests &= rng.random(n) >= miss_rate
    v.current_epoch_participation[:] = np.where(attests, FULL_FLAGS, np.uint8(0))
    spe = p.SLOTS_PER_EPOCH
    for slot in range(epoch * spe, epoch * spe + spe):
        root = sha256(b"stakework simulated block " + slot.to_bytes(8, "little"))
        state.block_roots[slot % p.SLOTS_PER_HISTORICAL_ROOT] = np.frombuffer(root, dtype=np.uint8)
    mix_index = epoch % p.EPOCHS_PER_HISTORICAL_VECTOR
    state.randao_mixes[mix_index] = np.frombuffer(
        sha256(state.randao_mixes[mix_index].tobytes() + epoch.to_bytes(8, "little")), dtype=np.uint8
    )

    ctx = EpochContext.build(state)
    target_participation = ctx.participating_balance(state, ctx.current_target) / ctx.total_active_balance
    rewards = penalties = 0
    correlation = np.zeros(n, dtype=np.int64)
    for name, step in EPOCH_STEPS:
        if name == "process_rewards_and_penalties" and attribute_rewards and epoch > 0:
            base = get_base_rewards(state, ctx)
            for flag in range(3):
                r, q = get_flag_index_deltas(state, ctx, flag, base)
                rewards += exact_sum(r)
                penalties += exact_sum(q)
            penalties += exact_sum(get_inactivity_penalty_deltas(state, ctx)[1])
        if name == "process_slashings":
            before = state.validators.balances.astype(np.int64)
            step(state, ctx)
            correlation = before - state.validators.balances.astype(np.int64)
            continue
        step(state, ctx)
    process_module_epoch(state)
    grown = len(state.validators) - len(correlation)
    return EpochOutcome(
        epoch=epoch,
        total_active_balance=ctx.total_active_balance,
        target_participation=target_participation,
        rewards=rewards,
        penalties=penalties,
        correlation=np.concatenate([correlation, np.zeros(grown, dtype=np.int64)]),
    )


class ChainScenario(Generic[R]):
    """What a scenario adds to the driver: its transactions, who is offline, its checks and its figures.

    Subclasses override :meth:`transactions` and :meth:`record` (and :meth:`offline`, :meth:`check` when they need
    them). ``rng`` is the run's generator: a scenario that draws (which validators to slash, who sells) draws from
    it, so a seed gives one run."""

    sweep: bool = True
    """Run the withdrawal sweep in the epoch's blocks (the exact mode does not: it has no blocks)."""
    attribute_rewards: bool = False
    """Sum the attestation rewards and penalties of each epoch (:attr:`EpochOutcome.rewards`)."""

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        """The scenario's transactions in the blocks of the state's epoch, after the withdrawal sweep (whose
        payments are ``withdrawals``: (address, amount) of each)."""

    def offline(self, state: BeaconState) -> np.ndarray | None:
        """Validators that do not attest this epoch whatever the miss rate (a bool per validator); None: nobody."""
        return None

    def check(self, state: BeaconState) -> None:
        """After the epoch's processing and module hooks: raise (stopping the run) if something does not hold."""

    def record(self, state: BeaconState, outcome: EpochOutcome) -> R:
        """The epoch's figures, after its processing and the checks."""
        raise NotImplementedError


def run_epochs(
    state: BeaconState,
    scenario: ChainScenario[R],
    epochs: int,
    rng: np.random.Generator,
    miss_rate: float,
    on_epoch: Callable[[R], None] | None = None,
) -> list[R]:
    """Run ``epochs`` epochs of ``scenario`` from ``state`` (moved to its epoch's last slot if it is not there).

    Mutates ``state``. Returns one record per epoch, also passed to ``on_epoch`` as it happens."""
    spe = state.preset.SLOTS_PER_EPOCH
    if state.slot % spe != spe - 1:
        state.slot = state.current_epoch() * spe + spe - 1
    records: list[R] = []
    for _ in range(epochs):
        paid = sweep_withdrawals(state) if scenario.sweep else []
        scenario.transactions(state, rng, paid)
        outcome = process_simulated_epoch(
            state, rng, miss_rate, scenario.offline(state), attribute_rewards=scenario.attribute_rewards
        )
        scenario.check(state)
        record = scenario.record(state, outcome)
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
        state.slot += spe
    return records
