"""Block operations against the reference spec: every valid case leaves the same state as pyspec's function;
every case pyspec rejects (AssertionError) raises InvalidOperation naming the failed check; requests the spec
ignores change nothing, in both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stakework.codec.ssz import compute_domain, compute_signing_root
from stakework.crypto.bls import SecretKey, devnet_secret_key
from stakework.spec.constants import DOMAIN_VOLUNTARY_EXIT
from stakework.spec.presets import MAINNET, MINIMAL, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH, GWEI_PER_SWK
from stakework.state import BeaconState, PendingPartialWithdrawal, Registry
from stakework.transition.block import (
    ConsolidationRequest,
    DepositRequest,
    SignedVoluntaryExit,
    VoluntaryExit,
    Withdrawal,
    WithdrawalRequest,
    get_expected_withdrawals,
    process_consolidation_request,
    process_deposit_request,
    process_voluntary_exit,
    process_withdrawal_request,
    process_withdrawals,
)
from stakework.transition.block.voluntary_exit import voluntary_exit_signing_root
from stakework.transition.committees import get_beacon_proposer_index
from stakework.transition.errors import InvalidOperation
from stakework.transition.mutators import slash_validator
from support.pyspec_bridge import first_difference, from_pyspec, spec_for, to_pyspec

ETH = GWEI_PER_SWK
SIGNERS = 4  # validators 0..3 hold real BLS keys (devnet keys); the rest have distinct dummy pubkeys
_KEYS: dict[int, SecretKey] = {}


def key(i: int) -> SecretKey:
    if i not in _KEYS:
        _KEYS[i] = devnet_secret_key(i)
    return _KEYS[i]


def address(i: int) -> bytes:
    return bytes([0xA0]) + bytes(15) + i.to_bytes(4, "little")


def credentials(prefix: int, i: int) -> bytes:
    return bytes([prefix]) + bytes(11) + address(i)


def pubkey(i: int) -> bytes:
    return key(i).public_key() if i < SIGNERS else b"\x99" + i.to_bytes(47, "little")


def make_state(
    preset: Preset = MINIMAL,
    n: int = 16,
    *,
    epoch: int | None = None,
    prefixes: list[int] | None = None,
    balances: list[int] | None = None,
) -> BeaconState:
    """Active validators 0..n-1, activated at genesis, old enough to exit (epoch > SHARD_COMMITTEE_PERIOD)."""
    epoch = preset.SHARD_COMMITTEE_PERIOD + 6 if epoch is None else epoch
    reg = Registry()
    for i in range(n):
        prefix = prefixes[i] if prefixes else 1
        balance = balances[i] if balances else 32 * ETH
        cap = preset.MAX_EFFECTIVE_BALANCE_ELECTRA if prefix == 2 else preset.MIN_ACTIVATION_BALANCE
        effective = min(balance - balance % ETH, cap)
        reg.append(
            pubkey(i), credentials(prefix, i), effective, balance, activation_eligibility_epoch=0, activation_epoch=0
        )
    state = BeaconState(preset=preset, validators=reg, slot=epoch * preset.SLOTS_PER_EPOCH + 3)
    state.genesis_validators_root = bytes(range(32))
    state.fork_current_version = preset.ELECTRA_FORK_VERSION
    state.fork_previous_version = preset.ELECTRA_FORK_VERSION
    rng = np.random.default_rng(epoch + n)
    state.randao_mixes[:] = rng.integers(0, 256, state.randao_mixes.shape, dtype=np.uint8)
    return state


def run_both(
    state: BeaconState, ours: Callable[[BeaconState], None], theirs: Callable[[Any, Any], None]
) -> BeaconState:
    """Apply the operation to a copy of `state` and to its pyspec twin; the results must be identical."""
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    theirs(spec, ps)
    post = state.copy()
    ours(post)
    expected = from_pyspec(ps, state.preset)
    diff = first_difference(expected, post)
    assert diff is None, diff
    return post


def reject_both(
    state: BeaconState, ours: Callable[[BeaconState], None], theirs: Callable[[Any, Any], None], reason: str
) -> None:
    """pyspec fails the operation (assert, or a failed lookup); stakework raises InvalidOperation matching
    `reason`."""
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    with pytest.raises((AssertionError, IndexError)):
        theirs(spec, ps)
    with pytest.raises(InvalidOperation, match=reason):
        ours(state.copy())


def assert_unchanged(before: BeaconState, after: BeaconState) -> None:
    diff = first_difference(before, after)
    assert diff is None, diff


# -- voluntary exits ---------------------------------------------------------------------------------------------
def signed_exits(state: BeaconState, index: int, epoch: int, signer: int | None = None) -> tuple[Any, Any]:
    """The same exit signed for stakework (GENESIS_FORK_VERSION domain) and for pyspec (CAPELLA_FORK_VERSION)."""
    spec = spec_for(state.preset)
    sk = key(index if signer is None else signer)
    message = VoluntaryExit(epoch=epoch, validator_index=index)
    ours = SignedVoluntaryExit(message, sk.sign(voluntary_exit_signing_root(state, message)))
    ref_message = spec.VoluntaryExit(epoch=epoch, validator_index=index)
    domain = spec.compute_domain(
        spec.DOMAIN_VOLUNTARY_EXIT, spec.config.CAPELLA_FORK_VERSION, spec.Root(state.genesis_validators_root)
    )
    ref_signature = sk.sign(bytes(spec.compute_signing_root(ref_message, domain)))
    theirs = spec.SignedVoluntaryExit(message=ref_message, signature=spec.BLSSignature(ref_signature))
    return ours, theirs


def exit_fns(ours_exit: Any, theirs_exit: Any) -> tuple[Callable[[BeaconState], None], Callable[[Any, Any], None]]:
    return (lambda s: process_voluntary_exit(s, ours_exit)), (
        lambda spec, ps: spec.process_voluntary_exit(ps, theirs_exit)
    )


def test_voluntary_exit_root_is_ssz():
    spec = spec_for(MINIMAL)
    assert VoluntaryExit(7, 9).hash_tree_root() == bytes(
        spec.hash_tree_root(spec.VoluntaryExit(epoch=7, validator_index=9))
    )


@pytest.mark.parametrize("preset", [MINIMAL, MAINNET], ids=["minimal", "mainnet"])
def test_voluntary_exit_valid(preset):
    state = make_state(preset, 12)
    ours, theirs = signed_exits(state, 2, state.current_epoch() - 1)
    post = run_both(state, *exit_fns(ours, theirs))
    assert int(post.validators.exit_epoch[2]) != FAR_FUTURE_EPOCH
    # a second exit of the same validator is refused by both
    ps = to_pyspec(state)
    spec = spec_for(preset)
    spec.process_voluntary_exit(ps, theirs)
    with pytest.raises(AssertionError):
        spec.process_voluntary_exit(ps, theirs)
    with pytest.raises(InvalidOperation, match="already initiated"):
        process_voluntary_exit(post, ours)


def test_voluntary_exits_share_the_churn():
    """Several exits in one block queue through the exit churn exactly as the spec's do."""
    state = make_state(MINIMAL, 40, prefixes=[2] * 4 + [1] * 36, balances=[2048 * ETH] * 4 + [32 * ETH] * 36)
    exits = [signed_exits(state, i, 0) for i in range(SIGNERS)]

    def ours(s: BeaconState) -> None:
        for o, _ in exits:
            process_voluntary_exit(s, o)

    def theirs(spec: Any, ps: Any) -> None:
        for _, t in exits:
            spec.process_voluntary_exit(ps, t)

    post = run_both(state, ours, theirs)
    assert len(set(post.validators.exit_epoch[:SIGNERS].tolist())) > 1  # 2048-SWK exits spill over epochs


def _not_active(s: BeaconState) -> None:
    s.validators.activation_epoch[1] = s.current_epoch() + 1


def _exiting(s: BeaconState) -> None:
    s.validators.exit_epoch[1] = s.current_epoch() + 5


def _too_young(s: BeaconState) -> None:
    s.validators.activation_epoch[1] = s.current_epoch() - s.preset.SHARD_COMMITTEE_PERIOD + 1


def _pending_withdrawal(s: BeaconState) -> None:
    s.pending_partial_withdrawals.append(PendingPartialWithdrawal(1, 10**9, s.current_epoch() + 3))


@pytest.mark.parametrize(
    ("mutate", "exit_epoch", "reason"),
    [
        (_not_active, 0, "is not active"),
        (_exiting, 0, "already initiated"),
        (lambda s: None, 10**6, "in the future"),
        (_too_young, 0, "SHARD_COMMITTEE_PERIOD"),
        (_pending_withdrawal, 0, "pending partial withdrawals"),
    ],
    ids=["inactive", "exiting", "future-epoch", "too-young", "pending-withdrawal"],
)
def test_voluntary_exit_rejected(mutate, exit_epoch, reason):
    state = make_state(MINIMAL, 8)
    mutate(state)
    ours, theirs = signed_exits(state, 1, exit_epoch)
    reject_both(state, *exit_fns(ours, theirs), reason)


def test_voluntary_exit_rejected_bad_signatures():
    state = make_state(MINIMAL, 8)
    # signed by another validator's key
    ours, theirs = signed_exits(state, 1, 0, signer=2)
    reject_both(state, *exit_fns(ours, theirs), "invalid signature")
    # signed in the current fork's domain instead of the fixed one
    message = VoluntaryExit(0, 1)
    wrong_domain = compute_domain(DOMAIN_VOLUNTARY_EXIT, MINIMAL.ELECTRA_FORK_VERSION, state.genesis_validators_root)
    bad = SignedVoluntaryExit(message, key(1).sign(compute_signing_root(message.hash_tree_root(), wrong_domain)))
    with pytest.raises(InvalidOperation, match="invalid signature"):
        process_voluntary_exit(state.copy(), bad)
    # not a signature at all
    with pytest.raises(InvalidOperation, match="invalid signature"):
        process_voluntary_exit(state.copy(), SignedVoluntaryExit(message, b"\x01" * 96))


def test_voluntary_exit_with_ethereums_domain_for_official_cases():
    """An exit signed the Ethereum way (CAPELLA_FORK_VERSION) verifies when the runner of the official cases
    says so, and only then."""
    state = make_state(MINIMAL, 8)
    spec = spec_for(MINIMAL)
    _, theirs = signed_exits(state, 1, 0)
    ours = SignedVoluntaryExit(VoluntaryExit(0, 1), bytes(theirs.signature))
    with pytest.raises(InvalidOperation, match="invalid signature"):
        process_voluntary_exit(state.copy(), ours)
    run_both(
        state,
        lambda s: process_voluntary_exit(s, ours, domain_fork_version=bytes(spec.config.CAPELLA_FORK_VERSION)),
        lambda spec_, ps: spec_.process_voluntary_exit(ps, theirs),
    )


def test_voluntary_exit_unknown_validator():
    state = make_state(MINIMAL, 8)
    ours, theirs = signed_exits(state, 1, 0)
    ours = SignedVoluntaryExit(VoluntaryExit(0, 8), ours.signature)
    theirs = type(theirs)(message=type(theirs.message)(epoch=0, validator_index=8), signature=theirs.signature)
    reject_both(state, *exit_fns(ours, theirs), "does not exist")


# -- deposit requests --------------------------------------------------------------------------------------------
def test_deposit_requests_queue_pending_deposits():
    state = make_state(MINIMAL, 4)
    requests = [
        DepositRequest(pubkey(100 + k), credentials(2, 100 + k), (k + 1) * ETH, bytes([k]) * 96, 17 + k)
        for k in range(3)
    ]

    def ours(s: BeaconState) -> None:
        for r in requests:
            process_deposit_request(s, r)

    def theirs(spec: Any, ps: Any) -> None:
        for r in requests:
            spec.process_deposit_request(
                ps,
                spec.DepositRequest(
                    pubkey=spec.BLSPubkey(r.pubkey),
                    withdrawal_credentials=spec.Bytes32(r.withdrawal_credentials),
                    amount=r.amount,
                    signature=spec.BLSSignature(r.signature),
                    index=r.index,
                ),
            )

    post = run_both(state, ours, theirs)
    assert post.deposit_requests_start_index == 17
    assert [d.slot for d in post.pending_deposits] == [state.slot] * 3


# -- withdrawal requests -----------------------------------------------------------------------------------------
def wr_fns(request: WithdrawalRequest) -> tuple[Callable[[BeaconState], None], Callable[[Any, Any], None]]:
    def theirs(spec: Any, ps: Any) -> None:
        spec.process_withdrawal_request(
            ps,
            spec.WithdrawalRequest(
                source_address=spec.ExecutionAddress(request.source_address),
                validator_pubkey=spec.BLSPubkey(request.validator_pubkey),
                amount=request.amount,
            ),
        )

    return (lambda s: process_withdrawal_request(s, request)), theirs


def request_state() -> BeaconState:
    # 0,1: 0x01 at 32; 2,3: 0x02 with excess; 4..: 0x02 at 2048 (so the consolidation churn is large)
    n = 12
    prefixes = [1, 1, 2, 2] + [2] * (n - 4)
    balances = [32 * ETH, 33 * ETH, 40 * ETH + 123, 2100 * ETH] + [2048 * ETH] * (n - 4)
    return make_state(MINIMAL, n, prefixes=prefixes, balances=balances)


def _fill_partial_queue(s: BeaconState) -> None:
    s.pending_partial_withdrawals = [
        PendingPartialWithdrawal(5, ETH, s.current_epoch() + 10)
        for _ in range(s.preset.PENDING_PARTIAL_WITHDRAWALS_LIMIT)
    ]


WITHDRAWAL_CASES = [
    # (name, request, state mutation, changes the state)
    ("full-exit", WithdrawalRequest(address(0), pubkey(0), 0), None, True),
    ("full-exit-compounding", WithdrawalRequest(address(3), pubkey(3), 0), None, True),
    ("partial", WithdrawalRequest(address(2), pubkey(2), 5 * ETH), None, True),
    ("partial-capped-at-excess", WithdrawalRequest(address(3), pubkey(3), 10_000 * ETH), None, True),
    ("partial-on-0x01", WithdrawalRequest(address(1), pubkey(1), ETH), None, False),
    ("wrong-address", WithdrawalRequest(address(9), pubkey(0), 0), None, False),
    ("unknown-pubkey", WithdrawalRequest(address(0), pubkey(77), 0), None, False),
    (
        "bls-credentials",
        WithdrawalRequest(address(0), pubkey(0), 0),
        lambda s: s.validators.withdrawal_credentials.__setitem__((0, 0), 0),
        False,
    ),
    ("inactive", WithdrawalRequest(address(1), pubkey(1), 0), _not_active, False),
    ("exiting", WithdrawalRequest(address(1), pubkey(1), 0), _exiting, False),
    ("too-young", WithdrawalRequest(address(1), pubkey(1), 0), _too_young, False),
    ("full-exit-with-pending", WithdrawalRequest(address(1), pubkey(1), 0), _pending_withdrawal, False),
    ("partial-queue-full", WithdrawalRequest(address(2), pubkey(2), ETH), _fill_partial_queue, False),
    ("full-exit-queue-full", WithdrawalRequest(address(0), pubkey(0), 0), _fill_partial_queue, True),
    (
        "no-excess",
        WithdrawalRequest(address(2), pubkey(2), ETH),
        lambda s: s.validators.balances.__setitem__(2, 32 * ETH),
        False,
    ),
]


@pytest.mark.parametrize(
    ("request_", "mutate", "changes"), [c[1:] for c in WITHDRAWAL_CASES], ids=[c[0] for c in WITHDRAWAL_CASES]
)
def test_withdrawal_request(request_, mutate, changes):
    state = request_state()
    if mutate:
        mutate(state)
    post = run_both(state, *wr_fns(request_))
    if not changes:
        assert_unchanged(state, post)
    else:
        assert first_difference(state, post) is not None


def test_partial_withdrawal_requests_accumulate():
    """A second partial request counts what is already queued; the churn is consumed by both."""
    state = request_state()
    requests = [WithdrawalRequest(address(3), pubkey(3), 30 * ETH) for _ in range(3)]

    def ours(s: BeaconState) -> None:
        for r in requests:
            process_withdrawal_request(s, r)

    def theirs(spec: Any, ps: Any) -> None:
        for r in requests:
            wr_fns(r)[1](spec, ps)

    post = run_both(state, ours, theirs)
    assert (
        sum(w.amount for w in post.pending_partial_withdrawals) == 90 * ETH
    )  # 3 x 30: the excess is counted above MIN_ACTIVATION_BALANCE (2068)


# -- consolidation requests --------------------------------------------------------------------------------------
def cr_fns(request: ConsolidationRequest) -> tuple[Callable[[BeaconState], None], Callable[[Any, Any], None]]:
    def theirs(spec: Any, ps: Any) -> None:
        spec.process_consolidation_request(
            ps,
            spec.ConsolidationRequest(
                source_address=spec.ExecutionAddress(request.source_address),
                source_pubkey=spec.BLSPubkey(request.source_pubkey),
                target_pubkey=spec.BLSPubkey(request.target_pubkey),
            ),
        )

    return (lambda s: process_consolidation_request(s, request)), theirs


def _low_churn(s: BeaconState) -> None:
    s.validators.exit_epoch[4:] = s.current_epoch()  # only the small validators stay active


CONSOLIDATION_CASES = [
    ("switch-to-compounding", ConsolidationRequest(address(1), pubkey(1), pubkey(1)), None, True),
    ("switch-already-compounding", ConsolidationRequest(address(2), pubkey(2), pubkey(2)), None, False),
    ("switch-wrong-address", ConsolidationRequest(address(0), pubkey(1), pubkey(1)), None, False),
    ("switch-exiting", ConsolidationRequest(address(1), pubkey(1), pubkey(1)), _exiting, False),
    ("consolidate", ConsolidationRequest(address(0), pubkey(0), pubkey(5)), None, True),
    ("consolidate-compounding-source", ConsolidationRequest(address(3), pubkey(3), pubkey(6)), None, True),
    ("target-not-compounding", ConsolidationRequest(address(0), pubkey(0), pubkey(1)), None, False),
    ("unknown-target", ConsolidationRequest(address(0), pubkey(0), pubkey(99)), None, False),
    ("unknown-source", ConsolidationRequest(address(0), pubkey(98), pubkey(5)), None, False),
    ("wrong-source-address", ConsolidationRequest(address(5), pubkey(0), pubkey(5)), None, False),
    ("source-too-young", ConsolidationRequest(address(1), pubkey(1), pubkey(5)), _too_young, False),
    ("source-pending-withdrawal", ConsolidationRequest(address(1), pubkey(1), pubkey(5)), _pending_withdrawal, False),
    ("source-exiting", ConsolidationRequest(address(1), pubkey(1), pubkey(5)), _exiting, False),
    (
        "target-exiting",
        ConsolidationRequest(address(0), pubkey(0), pubkey(4)),
        lambda s: s.validators.exit_epoch.__setitem__(4, 10**6),
        False,
    ),
    ("low-churn", ConsolidationRequest(address(0), pubkey(0), pubkey(2)), _low_churn, False),
]


@pytest.mark.parametrize(
    ("request_", "mutate", "changes"), [c[1:] for c in CONSOLIDATION_CASES], ids=[c[0] for c in CONSOLIDATION_CASES]
)
def test_consolidation_request(request_, mutate, changes):
    state = request_state()
    if mutate:
        mutate(state)
    post = run_both(state, *cr_fns(request_))
    if not changes:
        assert_unchanged(state, post)
    else:
        assert first_difference(state, post) is not None


def test_consolidation_queue_full_is_ignored():
    from stakework.state import PendingConsolidation

    state = request_state()
    state.pending_consolidations = [PendingConsolidation(6, 7)] * state.preset.PENDING_CONSOLIDATIONS_LIMIT
    post = run_both(state, *cr_fns(ConsolidationRequest(address(0), pubkey(0), pubkey(5))))
    assert_unchanged(state, post)


@st.composite
def request_sequences(draw: st.DrawFn) -> tuple[BeaconState, list[Any]]:
    """A registry of mixed credentials, balances and lifecycle stages, and a random sequence of withdrawal and
    consolidation requests among its validators (some with wrong addresses or unknown pubkeys)."""
    n = draw(st.integers(min_value=4, max_value=10))
    # three 2048-SWK compounding validators first: enough stake for a consolidation churn above 32 SWK
    prefixes = [2, 2, 2] + [draw(st.sampled_from([0, 1, 1, 2, 2])) for _ in range(n - 3)]
    balances = [2048 * ETH] * 3 + [
        draw(st.sampled_from([31 * ETH, 32 * ETH, 33 * ETH + 7, 100 * ETH, 2048 * ETH, 2100 * ETH]))
        for _ in range(n - 3)
    ]
    state = make_state(MINIMAL, n, prefixes=prefixes, balances=balances)
    epoch = state.current_epoch()
    for i in range(n):
        stage = draw(st.sampled_from(["active"] * 6 + ["young", "exiting", "pending"]))
        if stage == "young":
            state.validators.activation_epoch[i] = epoch - 3
        elif stage == "exiting":
            state.validators.exit_epoch[i] = epoch + 2
        elif stage == "pending":
            state.pending_partial_withdrawals.append(PendingPartialWithdrawal(i, ETH, epoch + 5))
    validator = st.integers(min_value=0, max_value=n)  # n: an unknown pubkey
    requests: list[Any] = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        source = draw(validator)
        addr = address(source if draw(st.integers(0, 5)) else source + 1)
        if draw(st.booleans()):
            requests.append(WithdrawalRequest(addr, pubkey(source), draw(st.sampled_from([0, 0, 1, ETH, 50 * ETH]))))
        else:
            target = draw(st.one_of(st.just(source), st.sampled_from([0, 1, 2]), validator))
            requests.append(ConsolidationRequest(addr, pubkey(source), pubkey(target)))
    return state, requests


@settings(max_examples=80)
@given(request_sequences())
def test_request_sequences_equal_pyspec(case):
    state, requests = case

    def ours(s: BeaconState) -> None:
        for r in requests:
            (wr_fns(r) if isinstance(r, WithdrawalRequest) else cr_fns(r))[0](s)

    def theirs(spec: Any, ps: Any) -> None:
        for r in requests:
            (wr_fns(r) if isinstance(r, WithdrawalRequest) else cr_fns(r))[1](spec, ps)

    run_both(state, ours, theirs)


# -- slashing ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", [MINIMAL, MAINNET], ids=["minimal", "mainnet"])
@pytest.mark.parametrize("whistleblower", [None, 7])
@pytest.mark.parametrize("already_exiting", [False, True])
def test_slash_validator(preset, whistleblower, already_exiting):
    state = make_state(preset, 24, prefixes=[2] * 6 + [1] * 18, balances=[2048 * ETH + 5] * 6 + [31 * ETH] * 18)
    state.slashings[:] = np.arange(len(state.slashings), dtype=np.uint64) * ETH
    target = 3
    if already_exiting:
        state.validators.exit_epoch[target] = state.current_epoch() + 2
        state.validators.withdrawable_epoch[target] = state.current_epoch() + 10**5

    def theirs(spec: Any, ps: Any) -> None:
        spec.slash_validator(ps, target, None if whistleblower is None else spec.ValidatorIndex(whistleblower))

    post = run_both(state, lambda s: slash_validator(s, target, whistleblower), theirs)
    proposer = get_beacon_proposer_index(state)
    reward = 2048 * ETH // preset.WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA
    proposer_reward = reward * 8 // 64
    delta = post.balances.astype(object) - state.balances.astype(object)
    expected = {target: -(2048 * ETH // preset.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA)}
    expected[proposer] = expected.get(proposer, 0) + proposer_reward
    wb = proposer if whistleblower is None else whistleblower
    expected[wb] = expected.get(wb, 0) + reward - proposer_reward
    assert {i: d for i, d in enumerate(delta) if d} == {i: d for i, d in expected.items() if d}
    assert bool(post.validators.slashed[target])


# -- withdrawals ---------------------------------------------------------------------------------------------------
def ref_withdrawals(spec: Any, ws: list[Withdrawal]) -> list[Any]:
    return [
        spec.Withdrawal(
            index=w.index, validator_index=w.validator_index, address=spec.ExecutionAddress(w.address), amount=w.amount
        )
        for w in ws
    ]


def check_withdrawals(state: BeaconState) -> BeaconState:
    spec = spec_for(state.preset)
    ps = to_pyspec(state)
    expected = spec.get_expected_withdrawals(ps)
    ours = get_expected_withdrawals(state)
    assert ours.withdrawals == [
        Withdrawal(int(w.index), int(w.validator_index), bytes(w.address), int(w.amount)) for w in expected.withdrawals
    ]
    assert ours.processed_partial_withdrawals_count == expected.processed_partial_withdrawals_count
    assert ours.processed_sweep_withdrawals_count == expected.processed_sweep_withdrawals_count
    payload = spec.ExecutionPayload(withdrawals=ref_withdrawals(spec, ours.withdrawals))
    return run_both(
        state,
        lambda s: process_withdrawals(s, ours.withdrawals),
        lambda spec_, ps_: spec_.process_withdrawals(ps_, payload),
    )


@st.composite
def withdrawal_states(draw: st.DrawFn, preset: Preset = MINIMAL) -> BeaconState:
    n = draw(st.integers(min_value=1, max_value=40))
    epoch = 10
    state = make_state(preset, n, epoch=epoch)
    v = state.validators
    minb, maxb = preset.MIN_ACTIVATION_BALANCE, preset.MAX_EFFECTIVE_BALANCE_ELECTRA
    for i in range(n):
        prefix = draw(st.sampled_from([0, 1, 2, 2]))
        v.withdrawal_credentials[i, 0] = prefix
        cap = maxb if prefix == 2 else minb
        balance = draw(st.sampled_from([0, 1, minb - 1, minb, minb + 1, minb + 7 * ETH, cap, cap + 1, cap + 3 * ETH]))
        v.balances[i] = balance
        v.effective_balance[i] = draw(st.sampled_from([cap, min(balance - balance % ETH, cap), minb, 0]))
        if draw(st.integers(0, 3)) == 0:
            v.exit_epoch[i] = epoch - 1
            v.withdrawable_epoch[i] = draw(st.sampled_from([epoch - 1, epoch, epoch + 1]))
    state.next_withdrawal_validator_index = draw(st.integers(0, n - 1))
    state.next_withdrawal_index = draw(st.integers(0, 1000))
    k = draw(st.integers(0, 6))
    state.pending_partial_withdrawals = [
        PendingPartialWithdrawal(
            draw(st.integers(0, n - 1)),
            draw(st.sampled_from([1, ETH, 5 * ETH, 10**6 * ETH])),
            draw(st.sampled_from([epoch - 2, epoch, epoch, epoch + 1])),
        )
        for _ in range(k)
    ]
    return state


@settings(max_examples=100)
@given(withdrawal_states())
def test_withdrawals_equal_pyspec_on_random_states(state):
    check_withdrawals(state)


def sweep_state(preset: Preset, n: int, start: int, seed: int) -> BeaconState:
    """0x00/0x01/0x02 validators at 32; a few 0x01 ones with excess near the start and the end of the registry,
    the sweep starting near the end, so the payload fills only after the sweep wraps around."""
    state = make_state(preset, 8, epoch=10)
    reg = state.validators
    rng = np.random.default_rng(seed)
    for i in range(8, n):
        reg.append(
            b"\x77" + i.to_bytes(47, "little"),
            credentials(int(rng.integers(0, 3)), i),
            32 * ETH,
            32 * ETH,
            activation_epoch=0,
        )
    tail = rng.choice(np.arange(n - 120, n), 6, replace=False)
    head = rng.choice(np.arange(8, 200), 12, replace=False)
    sparse = np.concatenate([tail, head])
    reg.balances[sparse] = 32 * ETH + 1 + rng.integers(0, ETH, size=sparse.size).astype(np.uint64)
    reg.withdrawal_credentials[sparse, 0] = 1
    state.next_withdrawal_validator_index = start
    return state


def test_withdrawals_sweep_wraps_and_fills_the_payload_mainnet():
    preset = MAINNET
    state = sweep_state(preset, 600, start=450, seed=11)
    post = check_withdrawals(state)
    assert len(get_expected_withdrawals(state).withdrawals) == preset.MAX_WITHDRAWALS_PER_PAYLOAD
    assert post.next_withdrawal_validator_index < 200  # wrapped


def plain_loop_sweep(
    state: BeaconState, prior: list[Withdrawal], withdrawal_index: int
) -> tuple[list[Withdrawal], int]:
    """The spec's get_validators_sweep_withdrawals, transcribed one validator at a time over the columns."""
    p, v = state.preset, state.validators
    n, epoch = len(v), state.current_epoch()
    out: list[Withdrawal] = []
    index, processed = state.next_withdrawal_validator_index, 0
    for _ in range(min(n, p.MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP)):
        if len(prior) + len(out) >= p.MAX_WITHDRAWALS_PER_PAYLOAD:
            break
        balance = int(v.balances[index]) - sum(w.amount for w in prior + out if w.validator_index == index)
        prefix = int(v.withdrawal_credentials[index, 0])
        cap = p.MAX_EFFECTIVE_BALANCE_ELECTRA if prefix == 2 else p.MIN_ACTIVATION_BALANCE
        addr = v.withdrawal_credentials[index, 12:].tobytes()
        if prefix in (1, 2) and int(v.withdrawable_epoch[index]) <= epoch and balance > 0:
            out.append(Withdrawal(withdrawal_index, index, addr, balance))
            withdrawal_index += 1
        elif prefix in (1, 2) and int(v.effective_balance[index]) == cap and balance > cap:
            out.append(Withdrawal(withdrawal_index, index, addr, balance - cap))
            withdrawal_index += 1
        index = (index + 1) % n
        processed += 1
    return out, processed


@pytest.mark.parametrize("start", [0, 19_000, 39_990])
def test_vectorized_sweep_equals_plain_loop_on_a_large_registry(start):
    """40,000 validators (wider than the 16,384-validator mainnet sweep window), with exited, fully withdrawable
    and excess-balance validators scattered; the reference spec would take minutes to convert this state, so
    the comparison is with a plain transcription of the spec's loop."""
    state = sweep_state(MAINNET, 40_000, start=start, seed=start)
    rng = np.random.default_rng(start + 1)
    v = state.validators
    some = rng.choice(40_000, 30, replace=False)
    v.withdrawable_epoch[some] = rng.integers(5, 15, size=30).astype(np.uint64)
    ours = get_expected_withdrawals(state)
    expected, processed = plain_loop_sweep(state, [], state.next_withdrawal_index)
    assert ours.withdrawals == expected
    assert ours.processed_sweep_withdrawals_count == processed
    v.balances[:] = 32 * ETH  # no hits: the whole window is visited
    v.withdrawable_epoch[:] = FAR_FUTURE_EPOCH
    ours = get_expected_withdrawals(state)
    assert (
        ours.withdrawals == []
        and ours.processed_sweep_withdrawals_count == MAINNET.MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP
    )


def test_withdrawals_rejected_when_the_list_differs():
    state = make_state(MINIMAL, 8, prefixes=[1] * 8, balances=[33 * ETH] * 8)
    expected = get_expected_withdrawals(state).withdrawals
    assert len(expected) == MINIMAL.MAX_WITHDRAWALS_PER_PAYLOAD
    spec = spec_for(MINIMAL)
    for wrong in (
        expected[:-1],
        [*expected[:-1], Withdrawal(expected[-1].index, expected[-1].validator_index, expected[-1].address, 1)],
        [],
    ):
        payload = spec.ExecutionPayload(withdrawals=ref_withdrawals(spec, wrong))
        reject_both(
            state,
            lambda s, w=wrong: process_withdrawals(s, w),
            lambda spec_, ps_, p=payload: spec_.process_withdrawals(ps_, p),
            "differ from get_expected_withdrawals",
        )
