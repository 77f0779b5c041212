"""Spec: the withdrawals sweep (Capella, Electra EIP-7251): get_expected_withdrawals (pending partial
withdrawals first, then the validator sweep) and process_withdrawals.

The sweep looks at up to MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP validators from `next_withdrawal_validator_index`
(wrapping around the registry) and stops at MAX_WITHDRAWALS_PER_PAYLOAD withdrawals. The spec walks that window
one validator at a time; here the window is scanned with whole-array operations and only the hits (at most
MAX_WITHDRAWALS_PER_PAYLOAD of them) are visited in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.helpers import withdrawal_address
from stakework.transition.block.operations import Withdrawal
from stakework.transition.errors import InvalidOperation
from stakework.transition.mutators import decrease_balance


@dataclass(frozen=True)
class ExpectedWithdrawals:
    """Spec: ExpectedWithdrawals — the withdrawals a block must carry, and how far each queue advanced."""

    withdrawals: list[Withdrawal]
    processed_partial_withdrawals_count: int
    processed_sweep_withdrawals_count: int


def _withdrawn_by(withdrawals: list[Withdrawal]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for w in withdrawals:
        totals[w.validator_index] = totals.get(w.validator_index, 0) + w.amount
    return totals


def _max_effective_balance(state: BeaconState, index: int) -> int:
    p = state.preset
    prefix = int(state.validators.withdrawal_credentials[index, 0])
    return p.MAX_EFFECTIVE_BALANCE_ELECTRA if prefix == COMPOUNDING_WITHDRAWAL_PREFIX else p.MIN_ACTIVATION_BALANCE


def get_pending_partial_withdrawals(
    state: BeaconState, withdrawal_index: int, prior_withdrawals: list[Withdrawal]
) -> tuple[list[Withdrawal], int, int]:
    """Spec: get_pending_partial_withdrawals (EIP-7251) — queued partial withdrawals that have become
    withdrawable, in queue order, at most MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP and always leaving one
    slot of the payload to the sweep. An entry whose validator is no longer eligible (exiting, effective balance
    below MIN_ACTIVATION_BALANCE, or no excess balance) is consumed without a withdrawal.

    Returns (withdrawals, next withdrawal index, number of queue entries consumed).
    """
    p = state.preset
    v = state.validators
    epoch = state.current_epoch()
    withdrawals_limit = min(
        len(prior_withdrawals) + p.MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP, p.MAX_WITHDRAWALS_PER_PAYLOAD - 1
    )
    withdrawn = _withdrawn_by(prior_withdrawals)
    count = len(prior_withdrawals)
    processed = 0
    withdrawals: list[Withdrawal] = []
    for pending in state.pending_partial_withdrawals:
        if pending.withdrawable_epoch > epoch or count >= withdrawals_limit:
            break
        index = pending.validator_index
        balance = int(v.balances[index]) - withdrawn.get(index, 0)  # Spec: get_balance_after_withdrawals
        # Spec: is_eligible_for_partial_withdrawals
        if (
            int(v.exit_epoch[index]) == FAR_FUTURE_EPOCH
            and int(v.effective_balance[index]) >= p.MIN_ACTIVATION_BALANCE
            and balance > p.MIN_ACTIVATION_BALANCE
        ):
            amount = min(balance - p.MIN_ACTIVATION_BALANCE, pending.amount)
            withdrawals.append(Withdrawal(withdrawal_index, index, withdrawal_address(state, index), amount))
            withdrawn[index] = withdrawn.get(index, 0) + amount
            withdrawal_index += 1
            count += 1
        processed += 1
    return withdrawals, withdrawal_index, processed


def get_validators_sweep_withdrawals(
    state: BeaconState, withdrawal_index: int, prior_withdrawals: list[Withdrawal]
) -> tuple[list[Withdrawal], int, int]:
    """Spec: get_validators_sweep_withdrawals — full withdrawals of withdrawable validators and the excess
    above the maximum effective balance of validators at that maximum, sweeping from
    next_withdrawal_validator_index. Balances count the prior withdrawals of this payload (Spec:
    get_balance_after_withdrawals).

    Vectorized: one pass of array operations over the window of min(N, MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP)
    validators finds the candidates in sweep order; the first `MAX_WITHDRAWALS_PER_PAYLOAD - len(prior)` are
    turned into withdrawals. Each validator appears at most once in the window, so a hit never changes the
    balance of a later candidate.

    Returns (withdrawals, next withdrawal index, number of validators the spec's loop visited).
    """
    p = state.preset
    v = state.validators
    n = len(v)
    epoch = state.current_epoch()
    validators_limit = min(n, p.MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP)
    withdrawals_limit = p.MAX_WITHDRAWALS_PER_PAYLOAD
    if len(prior_withdrawals) >= withdrawals_limit:
        raise InvalidOperation(
            "get_validators_sweep_withdrawals: no room left for the sweep (the spec asserts "
            "len(prior_withdrawals) < MAX_WITHDRAWALS_PER_PAYLOAD)"
        )
    room = withdrawals_limit - len(prior_withdrawals)
    if validators_limit == 0:
        return [], withdrawal_index, 0

    start = state.next_withdrawal_validator_index
    window = np.arange(start, start + validators_limit, dtype=np.int64)
    if start + validators_limit > n:
        window %= n
    balance = v.balances[window].astype(np.uint64)
    for index, amount in _withdrawn_by(prior_withdrawals).items():
        # A validator occurs at most once in the window; its balance there drops by what it already withdrew.
        offset = (index - start) % n
        if offset < validators_limit:
            balance[offset] -= np.uint64(amount)
    prefix = v.withdrawal_credentials[window, 0]
    compounding = prefix == COMPOUNDING_WITHDRAWAL_PREFIX
    execution = compounding | (prefix == ETH1_ADDRESS_WITHDRAWAL_PREFIX)
    max_effective = np.where(
        compounding, np.uint64(p.MAX_EFFECTIVE_BALANCE_ELECTRA), np.uint64(p.MIN_ACTIVATION_BALANCE)
    )
    # Spec: is_fully_withdrawable_validator
    fully = execution & (v.withdrawable_epoch[window] <= np.uint64(epoch)) & (balance > 0)
    # Spec: is_partially_withdrawable_validator
    partially = execution & (v.effective_balance[window] == max_effective) & (balance > max_effective)
    hits = np.flatnonzero(fully | partially)[:room]

    withdrawals: list[Withdrawal] = []
    for offset in hits.tolist():
        index = int(window[offset])
        amount = int(balance[offset]) if fully[offset] else int(balance[offset]) - int(max_effective[offset])
        withdrawals.append(Withdrawal(withdrawal_index, index, withdrawal_address(state, index), amount))
        withdrawal_index += 1
    # The spec's loop stops when the payload is full (checked before visiting a validator), so it visited
    # everything up to and including the last hit, or the whole window.
    processed = int(hits[-1]) + 1 if len(withdrawals) == room else validators_limit
    return withdrawals, withdrawal_index, processed


def get_expected_withdrawals(state: BeaconState) -> ExpectedWithdrawals:
    """Spec: get_expected_withdrawals (Electra) — pending partial withdrawals, then the validator sweep."""
    withdrawal_index = state.next_withdrawal_index
    withdrawals: list[Withdrawal] = []
    partials, withdrawal_index, processed_partials = get_pending_partial_withdrawals(
        state, withdrawal_index, withdrawals
    )
    withdrawals.extend(partials)
    swept, withdrawal_index, processed_sweep = get_validators_sweep_withdrawals(state, withdrawal_index, withdrawals)
    withdrawals.extend(swept)
    return ExpectedWithdrawals(withdrawals, processed_partials, processed_sweep)


def process_withdrawals(state: BeaconState, withdrawals: list[Withdrawal]) -> None:
    """Spec: process_withdrawals (Electra) — the block's withdrawal list must equal get_expected_withdrawals;
    then each amount leaves its validator's balance, the withdrawal index advances, the consumed pending
    partial withdrawals leave the queue, and the sweep cursor moves on.
    """
    # [Differs from Electra: the list comes from the stakework block body, not an execution payload (stakework
    # has no execution layer); crediting the paid amounts to the named accounts is left to the block processing
    # that calls this.]
    expected = get_expected_withdrawals(state)
    if list(withdrawals) != expected.withdrawals:
        raise InvalidOperation(
            f"process_withdrawals: the block's withdrawals differ from get_expected_withdrawals "
            f"({_first_mismatch(list(withdrawals), expected.withdrawals)})"
        )
    p = state.preset
    for w in expected.withdrawals:  # Spec: apply_withdrawals
        decrease_balance(state, w.validator_index, w.amount)
    # Spec: update_next_withdrawal_index
    if expected.withdrawals:
        state.next_withdrawal_index = expected.withdrawals[-1].index + 1
    # Spec: update_pending_partial_withdrawals
    state.pending_partial_withdrawals = state.pending_partial_withdrawals[
        expected.processed_partial_withdrawals_count :
    ]
    # Spec: update_next_withdrawal_validator_index
    n = len(state.validators)
    if n == 0:
        # [Differs from Electra: with an empty registry the spec's `% len(state.validators)` divides by zero;
        # stakework leaves the sweep cursor where it is (there is nothing to sweep).]
        return
    if len(expected.withdrawals) == p.MAX_WITHDRAWALS_PER_PAYLOAD:
        state.next_withdrawal_validator_index = (expected.withdrawals[-1].validator_index + 1) % n
    else:
        state.next_withdrawal_validator_index = (
            state.next_withdrawal_validator_index + p.MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP
        ) % n


def _first_mismatch(got: list[Withdrawal], expected: list[Withdrawal]) -> str:
    for i, (a, b) in enumerate(zip(got, expected, strict=False)):
        if a != b:
            return f"withdrawal {i}: got {a!r}, expected {b!r}"
    return f"got {len(got)} withdrawals, expected {len(expected)}"
