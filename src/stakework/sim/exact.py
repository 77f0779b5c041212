"""Exact mode: the real stakework epoch transition driven epoch by epoch, for scenario studies (`stakework
simulate`). No blocks and no network: each epoch, a participation model sets the attestation flags, scheduled
events slash, exit, deposit or take validators offline, and `process_epoch`'s steps run on the state. It runs on
the epoch driver every scenario uses (:mod:`stakework.sim.driver`), without the withdrawal sweep.

What it leaves out: proposer rewards and attestation inclusion (those come with blocks), so rewards shown are
the attesters' epoch rewards only. Everything else — justification, finality, inactivity leak, slashing
penalties, churn-limited exits and deposits, effective-balance hysteresis — is the chain's own code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto.bls import devnet_secret_key
from stakework.sim.driver import ChainScenario, EpochOutcome, ScenarioError, run_epochs
from stakework.spec.arith import exact_sum
from stakework.spec.constants import DOMAIN_DEPOSIT
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingDeposit
from stakework.transition.genesis import devnet_withdrawal_address, withdrawal_credentials_for
from stakework.transition.mutators import initiate_validator_exit, slash_validator

EventKind = Literal["slash", "exit", "deposit", "offline"]
U64 = np.uint64


@dataclass(frozen=True)
class Event:
    """A scheduled event: `slash`/`exit`/`deposit` `count` validators at `epoch`; `offline` takes `fraction` of
    the validators offline from `epoch` to `end_epoch` (exclusive)."""

    kind: EventKind
    epoch: int
    count: int = 0
    fraction: float = 0.0
    end_epoch: int = 0

    @classmethod
    def parse(cls, kind: EventKind, text: str) -> Event:
        """`K@E` for slash/exit/deposit; `F@E1-E2` (F a fraction, or a percentage with %) for offline."""
        if kind == "offline":
            m = re.fullmatch(r"\s*([0-9.]+)(%?)\s*@\s*(\d+)\s*-\s*(\d+)\s*", text)
            if not m:
                raise ScenarioError(f"--offline {text!r}: expected FRACTION@START-END, e.g. 0.4@20-44")
            fraction = float(m.group(1)) / (100 if m.group(2) else 1)
            start, end = int(m.group(3)), int(m.group(4))
            if not 0 <= fraction <= 1:
                raise ScenarioError(f"--offline {text!r}: the fraction must be between 0 and 1")
            if end <= start:
                raise ScenarioError(f"--offline {text!r}: the end epoch must come after the start")
            return cls("offline", start, fraction=fraction, end_epoch=end)
        m = re.fullmatch(r"\s*(\d+)\s*@\s*(\d+)\s*", text)
        if not m:
            raise ScenarioError(f"--{kind} {text!r}: expected COUNT@EPOCH, e.g. 8@6")
        return cls(kind, int(m.group(2)), count=int(m.group(1)))


@dataclass(frozen=True)
class Scenario:
    epochs: int = 64
    online: float = 1.0
    """Fraction of validators that run at all (the rest never attest)."""
    miss_rate: float = 0.02
    """Chance that an online validator misses an epoch's attestation."""
    seed: int = 1
    events: Sequence[Event] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.epochs <= 0:
            raise ScenarioError("--epochs must be positive")
        if not 0 <= self.online <= 1:
            raise ScenarioError("--online must be between 0 and 1")
        if not 0 <= self.miss_rate <= 1:
            raise ScenarioError("--miss-rate must be between 0 and 1")


@dataclass(frozen=True)
class EpochRecord:
    """What happened in one epoch (balances in Gwei, after the epoch's processing)."""

    epoch: int
    justified_epoch: int
    finalized_epoch: int
    target_participation: float
    total_active_balance: int
    total_balance: int
    rewards: int
    penalties: int
    slashing_penalties: int
    active: int
    pending: int
    exiting: int
    exited: int
    slashed: int
    mean_balance_online: float
    """Active, unslashed validators never taken offline."""
    mean_balance_offline: float
    """Unslashed validators that have been offline (never online, or in an offline window so far)."""
    mean_balance_slashed: float


def _deposit_for(state: BeaconState, key_index: int) -> PendingDeposit:
    """A signed deposit of MIN_ACTIVATION_BALANCE for the devnet key `key_index` (INSECURE devnet key)."""
    p = state.preset
    sk = devnet_secret_key(key_index)
    pubkey = sk.public_key()
    credentials = withdrawal_credentials_for(devnet_withdrawal_address(key_index), compounding=False)
    amount = p.MIN_ACTIVATION_BALANCE
    domain = compute_domain(DOMAIN_DEPOSIT, p.GENESIS_FORK_VERSION)
    signature = sk.sign(compute_signing_root(deposit_message_root(pubkey, credentials, amount), domain))
    return PendingDeposit(pubkey, credentials, amount, signature, state.slot)


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else float("nan")


class EventScenario(ChainScenario[EpochRecord]):
    """The exact mode as a driver scenario: the scheduled events in the epoch's blocks, the offline validators,
    and the epoch's record. No withdrawal sweep (the exact mode has no blocks: withdrawable balances stay)."""

    sweep = False
    attribute_rewards = True

    def __init__(self, state: BeaconState, scenario: Scenario, rng: np.random.Generator) -> None:
        self.scenario = scenario
        n0 = len(state.validators)
        self.never_online = rng.random(n0) >= scenario.online
        self.offline_sets: dict[int, np.ndarray] = {}
        self.next_key = n0
        self.slashed_ever = np.zeros(n0, dtype=np.bool_)
        self.ever_offline = self.never_online.copy()
        self.slash_loss = 0

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        epoch = state.current_epoch()
        v = state.validators
        n = len(v)
        if len(self.never_online) < n:  # validators added by deposits run
            grow = np.zeros(n - len(self.never_online), dtype=np.bool_)
            self.never_online = np.concatenate([self.never_online, grow])
            self.slashed_ever = np.concatenate([self.slashed_ever, grow])
            self.ever_offline = np.concatenate([self.ever_offline, grow])
        active = (v.activation_epoch <= U64(epoch)) & (U64(epoch) < v.exit_epoch)
        self.slash_loss = 0
        for ev in self.scenario.events:
            if ev.kind == "offline" and ev.epoch == epoch:
                self.offline_sets[id(ev)] = rng.random(n) < ev.fraction
            if ev.epoch != epoch:
                continue
            candidates = np.flatnonzero(active & ~v.slashed & (v.exit_epoch == U64(FAR_FUTURE_EPOCH)))
            if ev.kind in ("slash", "exit"):
                chosen = rng.choice(candidates, size=min(ev.count, len(candidates)), replace=False)
                for index in sorted(int(i) for i in chosen):
                    if ev.kind == "slash":
                        before = exact_sum(v.balances)
                        slash_validator(state, index)
                        self.slash_loss += before - exact_sum(v.balances)
                        self.slashed_ever[index] = True
                    else:
                        initiate_validator_exit(state, index)
            elif ev.kind == "deposit":
                for _ in range(ev.count):
                    state.pending_deposits.append(_deposit_for(state, self.next_key))
                    self.next_key += 1

    def offline(self, state: BeaconState) -> np.ndarray:
        epoch = state.current_epoch()
        offline = self.never_online.copy()
        for ev in self.scenario.events:
            if ev.kind == "offline" and ev.epoch <= epoch < ev.end_epoch and id(ev) in self.offline_sets:
                mask = self.offline_sets[id(ev)]
                offline[: len(mask)] |= mask
                self.ever_offline[: len(mask)] |= mask
        return offline

    def record(self, state: BeaconState, outcome: EpochOutcome) -> EpochRecord:
        epoch = outcome.epoch
        v = state.validators
        e = U64(epoch)
        n = len(v)
        far = U64(FAR_FUTURE_EPOCH)
        active_now = (v.activation_epoch <= e) & (e < v.exit_epoch)
        offline_now = np.zeros(n, dtype=np.bool_)
        offline_now[: len(self.ever_offline)] = self.ever_offline
        slashed_now = v.slashed
        balances = v.balances.astype(np.float64)
        return EpochRecord(
            epoch=epoch,
            justified_epoch=state.current_justified_checkpoint.epoch,
            finalized_epoch=state.finalized_checkpoint.epoch,
            target_participation=outcome.target_participation,
            total_active_balance=outcome.total_active_balance,
            total_balance=exact_sum(v.balances),
            rewards=outcome.rewards,
            penalties=outcome.penalties,
            slashing_penalties=self.slash_loss + int(outcome.correlation.sum()),
            active=int(active_now.sum()),
            pending=int((v.activation_epoch > e).sum()),
            exiting=int(((v.exit_epoch != far) & (e < v.exit_epoch)).sum()),
            exited=int((v.exit_epoch <= e).sum()),
            slashed=int(slashed_now.sum()),
            mean_balance_online=_mean(balances, ~offline_now & ~slashed_now & active_now),
            mean_balance_offline=_mean(balances, offline_now & ~slashed_now),
            mean_balance_slashed=_mean(balances, slashed_now),
        )


def run_scenario(
    state: BeaconState, scenario: Scenario, on_epoch: Callable[[EpochRecord], None] | None = None
) -> list[EpochRecord]:
    """Run `scenario.epochs` epochs from `state` (a genesis at slot 0, or any state at an epoch's last slot) on
    the epoch driver (:mod:`stakework.sim.driver`).

    Mutates `state`. Returns one record per epoch, also passed to `on_epoch` as it happens.
    """
    rng = np.random.default_rng(scenario.seed)
    script = EventScenario(state, scenario, rng)
    return run_epochs(state, script, scenario.epochs, rng, scenario.miss_rate, on_epoch)
