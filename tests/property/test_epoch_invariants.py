"""Invariants of epoch processing, checked on random states and over runs of many epochs.

- effective balances are multiples of EFFECTIVE_BALANCE_INCREMENT and within the credential's maximum;
- the total balance changes over process_rewards_and_penalties by exactly sum(rewards) - sum(penalties) from the
  deltas functions, less what the zero floor kept from being taken;
- exits never exceed the exit churn (cumulatively per exit epoch, counting the balance carried over in
  exit_balance_to_consume), deposits processed never exceed the churn plus the carried deposit balance;
- exit epochs are only ever set, never moved (a slashed validator's exit never moves earlier), and a slashed
  validator's withdrawable epoch never moves earlier;
- finality and justification never go backwards.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from reference import epoch_reference as ref
from stakework.spec.presets import MAINNET, MINIMAL, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state import BeaconState, PendingDeposit
from stakework.state.snapshot import check_state
from stakework.transition.epoch import EPOCH_STEPS, EpochContext, process_epoch
from stakework.transition.epoch.rewards import get_flag_index_deltas, get_inactivity_penalty_deltas
from stakework.transition.mutators import initiate_validator_exit, slash_validator
from support.pyspec_bridge import first_difference
from support.strategies import beacon_states, build_state, deposit_pool, examples, shapes, state_from_shape

FAR = FAR_FUTURE_EPOCH
STEP = dict(EPOCH_STEPS)


# -- independent helpers (from the spec's definitions, Python ints) -----------------------------------------------
def total_active_balance(state: BeaconState) -> int:
    v = state.validators
    e = state.current_epoch()
    active = (v.activation_epoch <= e) & (v.exit_epoch > e)
    return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, sum(int(x) for x in v.effective_balance[active]))


def activation_exit_churn(state: BeaconState) -> int:
    p = state.preset
    churn = max(p.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, total_active_balance(state) // p.CHURN_LIMIT_QUOTIENT)
    churn -= churn % p.EFFECTIVE_BALANCE_INCREMENT
    return min(p.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT, churn)


def max_effective_balance(state: BeaconState) -> np.ndarray:
    p = state.preset
    compounding = state.validators.withdrawal_credentials[:, 0] == 0x02
    return np.where(compounding, p.MAX_EFFECTIVE_BALANCE_ELECTRA, p.MIN_ACTIVATION_BALANCE).astype(np.uint64)


# -- invariant checks (pre = state before, post = state after) --------------------------------------------------
def check_effective_balances(state: BeaconState) -> None:
    eb = state.validators.effective_balance
    inc = state.preset.EFFECTIVE_BALANCE_INCREMENT
    bad = np.flatnonzero(eb % np.uint64(inc) != 0)
    assert bad.size == 0, f"effective balance of validator {bad[0]} is {eb[bad[0]]}, not a multiple of {inc}"
    cap = max_effective_balance(state)
    bad = np.flatnonzero(eb > cap)
    assert bad.size == 0, f"effective balance of validator {bad[0]} is {eb[bad[0]]}, above its maximum {cap[bad[0]]}"


def check_exit_churn(pre: BeaconState, post: BeaconState) -> None:
    """Exits started between `pre` and `post` (all in pre's epoch) fit the exit churn, cumulatively: the balance
    exiting at or before epoch X is at most the carried budget plus one churn per epoch after the first."""
    p = pre.preset
    n = len(pre.validators)
    before, after = pre.validators.exit_epoch, post.validators.exit_epoch[:n]
    new = (before == FAR) & (after != FAR)
    if not new.any():
        assert post.exit_balance_to_consume == pre.exit_balance_to_consume
        assert post.earliest_exit_epoch == pre.earliest_exit_epoch
        return
    churn = activation_exit_churn(pre)
    first = max(pre.earliest_exit_epoch, pre.current_epoch() + 1 + p.MAX_SEED_LOOKAHEAD)
    budget0 = churn if pre.earliest_exit_epoch < first else pre.exit_balance_to_consume
    epochs = after[new].astype(object)
    balances = pre.validators.effective_balance[new].astype(object)
    assert min(epochs) >= first, f"an exit at epoch {min(epochs)} is before the first allowed {first}"
    assert post.earliest_exit_epoch >= max(epochs)
    for x in sorted(set(epochs)):
        exiting = sum(b for b, e in zip(balances, epochs, strict=True) if e <= x)
        allowed = budget0 + (x - first) * churn
        assert exiting <= allowed, f"{exiting} Gwei exiting by epoch {x}, churn allows {allowed}"
    # what is left to consume is the budget through earliest_exit_epoch minus what exited
    assert post.exit_balance_to_consume == budget0 + (post.earliest_exit_epoch - first) * churn - sum(balances)
    unslashed = new & ~post.validators.slashed[:n]
    delay = p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    assert (post.validators.withdrawable_epoch[:n][unslashed] == after[unslashed] + np.uint64(delay)).all()


def check_deposit_churn(pre: BeaconState, post: BeaconState) -> None:
    """process_pending_deposits consumed a prefix of the queue, postponed (to the back) exactly the deposits of
    exited validators, and credited no more than the churn plus the carried deposit balance, except deposits of
    withdrawn validators, which use no churn."""
    p = pre.preset
    queue, left = pre.pending_deposits, post.pending_deposits
    k = next(k for k in range(len(queue) + 1) if left[: len(queue) - k] == queue[k:])
    consumed, postponed = queue[:k], left[len(queue) - k :]
    assert k <= p.MAX_PENDING_DEPOSITS_PER_EPOCH
    v = pre.validators
    next_epoch = pre.current_epoch() + 1
    uses_churn, free, exited = 0, 0, []
    for d in consumed:
        i = v.index_of_pubkey(d.pubkey)
        if i is not None and int(v.withdrawable_epoch[i]) < next_epoch:
            free += d.amount
        elif i is not None and int(v.exit_epoch[i]) != FAR:
            exited.append(d)
        else:
            uses_churn += d.amount
    available = pre.deposit_balance_to_consume + activation_exit_churn(pre)
    assert uses_churn <= available, f"{uses_churn} Gwei of deposits processed, churn allows {available}"
    assert postponed == exited
    assert post.deposit_balance_to_consume in (0, available - uses_churn)
    credited = sum(int(b) for b in post.validators.balances) - sum(int(b) for b in v.balances)
    assert 0 <= credited <= uses_churn + free


def check_never_backwards(pre: BeaconState, post: BeaconState) -> None:
    n = len(pre.validators)
    assert post.finalized_checkpoint.epoch >= pre.finalized_checkpoint.epoch, "finality went backwards"
    assert post.current_justified_checkpoint.epoch >= pre.current_justified_checkpoint.epoch
    assert post.previous_justified_checkpoint.epoch >= pre.previous_justified_checkpoint.epoch
    before, after = pre.validators.exit_epoch, post.validators.exit_epoch[:n]
    moved = np.flatnonzero((before != FAR) & (after != before))
    assert moved.size == 0, f"validator {moved[0]}'s exit epoch moved from {before[moved[0]]} to {after[moved[0]]}"
    slashed = pre.validators.slashed
    assert (post.validators.slashed[:n] >= slashed).all(), "a validator was unslashed"
    w_before, w_after = pre.validators.withdrawable_epoch[slashed], post.validators.withdrawable_epoch[:n][slashed]
    assert (w_after >= w_before).all(), "a slashed validator's withdrawable epoch moved earlier"


def rewards_accounting(pre: BeaconState, post: BeaconState) -> None:
    """Total balance change over process_rewards_and_penalties = sum(rewards) - sum(penalties) + what the zero
    floor kept (each delta set is applied as increase then floored decrease, as the spec does)."""
    if pre.current_epoch() == 0:
        assert first_difference(pre, post) is None
        return
    ctx = EpochContext.build(pre)
    deltas = [get_flag_index_deltas(pre, ctx, f) for f in range(3)] + [get_inactivity_penalty_deltas(pre, ctx)]
    balances = [int(b) for b in pre.validators.balances]
    total_rewards = total_penalties = floor_kept = 0
    for rewards, penalties in deltas:
        for i, (r, pen) in enumerate(zip(rewards.tolist(), penalties.tolist(), strict=True)):
            b = balances[i] + r
            taken = min(pen, b)
            floor_kept += pen - taken
            balances[i] = b - taken
        total_rewards += sum(rewards.tolist())
        total_penalties += sum(penalties.tolist())
    change = sum(int(b) for b in post.validators.balances) - sum(int(b) for b in pre.validators.balances)
    assert change == total_rewards - total_penalties + floor_kept
    assert [int(b) for b in post.validators.balances] == balances
    if any(b == 0 for b in balances):
        return
    assert floor_kept == 0


def run_steps_checking(state: BeaconState) -> BeaconState:
    """Run the epoch step by step (a fresh EpochContext before each), checking each step's invariants; return
    the post-state."""
    start = state.copy()
    for name, fn in EPOCH_STEPS:
        pre = state.copy()
        fn(state, EpochContext.build(state))
        if name == "process_rewards_and_penalties":
            rewards_accounting(pre, state)
        elif name == "process_registry_updates":
            check_exit_churn(pre, state)
        elif name == "process_pending_deposits":
            check_deposit_churn(pre, state)
        elif name == "process_effective_balance_updates":
            check_effective_balances(state)
        check_never_backwards(pre, state)
    check_never_backwards(start, state)
    return state


# -- properties on random states --------------------------------------------------------------------------------
@examples(60)
@given(state=beacon_states(max_validators=1000))
def test_effective_balances_are_whole_increments_within_the_credential_maximum(state):
    STEP["process_effective_balance_updates"](state, EpochContext.build(state))
    check_effective_balances(state)


@examples(60)
@given(state=beacon_states(max_validators=1000))
def test_rewards_and_penalties_change_the_total_by_the_deltas(state):
    pre = state.copy()
    STEP["process_rewards_and_penalties"](state, EpochContext.build(state))
    rewards_accounting(pre, state)


@examples(60)
@given(state=beacon_states(max_validators=1000))
def test_ejections_never_exceed_the_exit_churn(state):
    pre = state.copy()
    STEP["process_registry_updates"](state, EpochContext.build(state))
    check_exit_churn(pre, state)


@examples(60)
@given(state=beacon_states(max_validators=400))
def test_deposits_processed_never_exceed_the_churn_plus_the_carried_balance(state):
    pre = state.copy()
    STEP["process_pending_deposits"](state, EpochContext.build(state))
    check_deposit_churn(pre, state)


@examples(60)
@given(state=beacon_states(max_validators=1000))
def test_process_epoch_never_moves_finality_or_exits_backwards(state):
    pre = state.copy()
    process_epoch(state)
    check_never_backwards(pre, state)
    check_effective_balances(state)


@examples(50)
@given(state=beacon_states(max_validators=1000))
def test_process_epoch_equals_the_steps_run_with_fresh_contexts(state):
    """process_epoch builds its EpochContext once; the design says it stays valid through every step. Running
    the steps with a context rebuilt before each must give the same state."""
    stepwise = run_steps_checking(state.copy())
    process_epoch(state)
    diff = first_difference(stepwise, state)
    assert diff is None, f"process_epoch differs from the steps with fresh contexts at {diff}"
    assert stepwise.accounts == state.accounts


@pytest.mark.parametrize("preset", [MAINNET, MINIMAL], ids=lambda p: p.PRESET_NAME)
def test_many_exits_in_one_epoch_are_spread_by_the_churn(preset):
    state = build_state(preset, 300, "normal", 4000, seed=5, pending_deposits=False)
    v = state.validators
    active = np.flatnonzero((v.activation_epoch <= 4000) & (v.exit_epoch == FAR))
    pre = state.copy()
    for i in active[:40].tolist():
        initiate_validator_exit(state, i)
    check_exit_churn(pre, state)
    assert len(set(state.validators.exit_epoch[active[:40]].tolist())) > 1


def test_exit_churn_check_rejects_an_exit_beyond_the_churn():
    """The checker itself must be able to fail."""
    state = build_state(MINIMAL, 64, "normal", 4000, seed=6, pending_deposits=False)
    v = state.validators
    active = np.flatnonzero((v.activation_epoch <= 4000) & (v.exit_epoch == FAR))
    pre = state.copy()
    first = max(state.earliest_exit_epoch, 4000 + 1 + MINIMAL.MAX_SEED_LOOKAHEAD)
    v.exit_epoch[active[:20]] = first  # 20 validators crammed into one exit epoch
    state.earliest_exit_epoch = first
    with pytest.raises(AssertionError):
        check_exit_churn(pre, state)


def _tampered_effective_balance(pre: BeaconState) -> tuple[BeaconState, BeaconState]:
    post = pre.copy()
    post.validators.effective_balance[0] += np.uint64(1)
    return pre, post


def _tampered_reward(pre: BeaconState) -> tuple[BeaconState, BeaconState]:
    post = pre.copy()
    STEP["process_rewards_and_penalties"](post, EpochContext.build(post))
    post.validators.balances[1] += np.uint64(1)
    return pre, post


def _finality_back(pre: BeaconState) -> tuple[BeaconState, BeaconState]:
    post = pre.copy()
    cp = post.finalized_checkpoint
    post.finalized_checkpoint = type(cp)(cp.epoch - 1, cp.root)
    return pre, post


def _deposit_over_churn(pre: BeaconState) -> tuple[BeaconState, BeaconState]:
    pre = pre.copy()
    v = pre.validators
    i = int(np.flatnonzero(v.exit_epoch == FAR)[0])
    big = PendingDeposit(v.pubkey[i].tobytes(), v.withdrawal_credentials[i].tobytes(), 10**15, b"\x00" * 96, 0)
    pre.pending_deposits = [big]
    pre.deposit_balance_to_consume = 0
    post = pre.copy()
    post.pending_deposits = []  # as if it had been applied in full
    post.validators.balances[i] += np.uint64(10**15)
    return pre, post


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        (_tampered_effective_balance, lambda pre, post: check_effective_balances(post)),
        (_tampered_reward, rewards_accounting),
        (_finality_back, check_never_backwards),
        (_deposit_over_churn, check_deposit_churn),
    ],
    ids=["effective-balance-off-increment", "balance-beyond-deltas", "finality-backwards", "deposit-over-churn"],
)
def test_invariant_checks_catch_a_broken_transition(tamper, check):
    """The checkers must be able to fail: each one rejects a hand-broken post-state."""
    pre, post = tamper(build_state(MINIMAL, 40, "normal", 600, seed=3))
    with pytest.raises(AssertionError):
        check(pre, post)


# -- several epochs in a row ------------------------------------------------------------------------------------
class EpochRun(RuleBasedStateMachine):
    """Random participation each epoch, occasional slashings, voluntary exits and deposits between epochs; every
    epoch is run step by step with the invariant checks, and process_epoch must equal both that and the
    plain-loop reference, so state carried across epochs (churn, queues, scores, finality) is checked too."""

    state: BeaconState

    @initialize(
        shape=shapes(presets=(MINIMAL, MAINNET), min_validators=16, max_validators=96, scenarios=("normal", "leak"))
    )
    def start(self, shape):
        self.state = state_from_shape(shape)
        self.epochs = 0

    def _next_epoch_participation(self, rate: float, seed: int) -> None:
        """Move to the last slot of the next epoch with fresh random flags for it."""
        s = self.state
        p: Preset = s.preset
        rng = np.random.default_rng(seed)
        s.slot += p.SLOTS_PER_EPOCH
        n = len(s.validators)
        flags = np.zeros(n, dtype=np.uint8)
        for bit in range(3):
            flags |= ((rng.random(n) < rate).astype(np.uint8) << bit).astype(np.uint8)
        v = s.validators
        e = s.current_epoch()
        active = (v.activation_epoch <= e) & (v.exit_epoch > e) & ~v.slashed
        v.current_epoch_participation[:] = np.where(active, flags, 0)
        start = e * p.SLOTS_PER_EPOCH % p.SLOTS_PER_HISTORICAL_ROOT
        s.block_roots[start] = rng.integers(0, 256, 32, dtype=np.uint8)

    @rule(rate=st.sampled_from([0.0, 0.5, 0.7, 0.9, 1.0]), seed=st.integers(0, 2**32 - 1))
    def epoch(self, rate, seed):
        pre = self.state.copy()
        stepwise = run_steps_checking(self.state.copy())
        plain = self.state.copy()
        ref.process_epoch(plain)
        process_epoch(self.state)
        diff = first_difference(stepwise, self.state)
        assert diff is None, f"process_epoch differs from the checked steps at {diff}"
        diff = first_difference(plain, self.state)
        assert diff is None, f"process_epoch differs from the plain-loop reference at {diff}"
        check_never_backwards(pre, self.state)
        self.epochs += 1
        self._next_epoch_participation(rate, seed)

    def _active_unexited(self) -> np.ndarray:
        v = self.state.validators
        e = self.state.current_epoch()
        return np.flatnonzero((v.activation_epoch <= e) & (v.exit_epoch == FAR) & ~v.slashed)

    @precondition(lambda self: len(self._active_unexited()) > 4)
    @rule(pick=st.integers(0, 10**6))
    def slash(self, pick):
        candidates = self._active_unexited()
        pre = self.state.copy()
        slash_validator(self.state, int(candidates[pick % len(candidates)]))
        check_exit_churn(pre, self.state)
        check_never_backwards(pre, self.state)

    @precondition(lambda self: len(self._active_unexited()) > 4)
    @rule(pick=st.integers(0, 10**6))
    def voluntary_exit(self, pick):
        candidates = self._active_unexited()
        pre = self.state.copy()
        initiate_validator_exit(self.state, int(candidates[pick % len(candidates)]))
        check_exit_churn(pre, self.state)
        check_never_backwards(pre, self.state)

    @rule(pick=st.integers(0, 10**6), amount=st.integers(1, 100))
    def deposit(self, pick, amount):
        s = self.state
        pool = deposit_pool(s.preset)
        if pick % 2:
            d = pool[pick % len(pool)]
            s.pending_deposits.append(PendingDeposit(d.pubkey, d.withdrawal_credentials, d.amount, d.signature, 0))
        else:
            i = pick % len(s.validators)
            v = s.validators
            s.pending_deposits.append(
                PendingDeposit(
                    v.pubkey[i].tobytes(), v.withdrawal_credentials[i].tobytes(), amount * 10**9, b"\x00" * 96, s.slot
                )
            )

    @invariant()
    def effective_balances_valid(self):
        check_effective_balances(self.state)


EpochRun.TestCase.settings = settings(examples(50), stateful_step_count=20)
test_epochs_in_a_row_keep_every_invariant = EpochRun.TestCase


@examples(60)
@given(state=beacon_states(max_validators=800))
def test_generated_states_are_valid_chain_states(state):
    """The strategies must only produce states some history could have produced (else a difference found by
    the differential tests could be an artefact)."""
    check_state(state)
    p = state.preset
    v = state.validators
    e = state.current_epoch()
    assert state.slot == e * p.SLOTS_PER_EPOCH + p.SLOTS_PER_EPOCH - 1
    check_effective_balances(state)
    far = np.uint64(FAR)
    set_exit = v.exit_epoch != far
    assert (
        v.activation_eligibility_epoch[v.activation_epoch != far] <= v.activation_epoch[v.activation_epoch != far]
    ).all()
    assert (v.activation_epoch[set_exit] <= v.exit_epoch[set_exit]).all()
    assert (v.exit_epoch[set_exit] <= v.withdrawable_epoch[set_exit]).all()
    assert (v.exit_epoch[v.slashed] != far).all(), "a slashed validator must be exiting"
    assert (v.withdrawable_epoch[~set_exit] == far).all()
    assert len({bytes(pk) for pk in v.pubkey}) == len(v), "duplicate validator pubkeys"
    cps = (state.finalized_checkpoint, state.previous_justified_checkpoint, state.current_justified_checkpoint)
    assert cps[0].epoch <= cps[1].epoch <= cps[2].epoch <= max(e - 1, 0)
    slots = [d.slot for d in state.pending_deposits]
    assert slots == sorted(slots)
    assert all(d.slot <= state.slot for d in state.pending_deposits)
    for c in state.pending_consolidations:
        assert v.exit_epoch[c.source_index] != far
        assert v.withdrawal_credentials[c.target_index, 0] == 0x02


def test_build_state_is_deterministic():
    a = build_state(MINIMAL, 50, "leak", 300, seed=9)
    b = build_state(MINIMAL, 50, "leak", 300, seed=9)
    assert first_difference(a, b) is None
