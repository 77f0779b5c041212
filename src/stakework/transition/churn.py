"""Spec (Electra, EIP-7251): balance-denominated churn for activations, exits and consolidations."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stakework.spec.arith import UINT64_MAX
from stakework.spec.types import Epoch
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import get_total_active_balance
from stakework.transition.errors import TransitionError
from stakework.transition.misc import compute_activation_exit_epoch


def get_balance_churn_limit(state: BeaconState, total_active_balance: int | None = None) -> int:
    """Spec: get_balance_churn_limit — max(min churn, total / quotient), rounded down to an increment."""
    p = state.preset
    total = get_total_active_balance(state) if total_active_balance is None else total_active_balance
    churn = max(p.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, total // p.CHURN_LIMIT_QUOTIENT)
    return churn - churn % p.EFFECTIVE_BALANCE_INCREMENT


def get_activation_exit_churn_limit(state: BeaconState, total_active_balance: int | None = None) -> int:
    """Spec: get_activation_exit_churn_limit."""
    return min(
        state.preset.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT,
        get_balance_churn_limit(state, total_active_balance),
    )


def get_consolidation_churn_limit(state: BeaconState, total_active_balance: int | None = None) -> int:
    """Spec: get_consolidation_churn_limit."""
    return get_balance_churn_limit(state, total_active_balance) - get_activation_exit_churn_limit(
        state, total_active_balance
    )


def compute_exit_epoch_and_update_churn(
    state: BeaconState, exit_balance: int, total_active_balance: int | None = None
) -> Epoch:
    """Spec: compute_exit_epoch_and_update_churn."""
    return Epoch(int(compute_exit_epochs_and_update_churn(state, [exit_balance], total_active_balance)[0]))


def compute_exit_epochs_and_update_churn(
    state: BeaconState, exit_balances: npt.ArrayLike, total_active_balance: int | None = None
) -> npt.NDArray[np.uint64]:
    """Spec: compute_exit_epoch_and_update_churn applied to each balance in order, vectorized.

    Equivalent to the sequential calls: the churn available through epoch `E0 + k` is `budget0 + k * churn`,
    so an exit whose running total of exiting balance is `C` lands in the smallest `k` with
    `budget0 + k * churn >= C`.
    """
    per_epoch_churn = get_activation_exit_churn_limit(state, total_active_balance)
    earliest = max(state.earliest_exit_epoch, compute_activation_exit_epoch(state.preset, state.current_epoch()))
    budget0 = per_epoch_churn if state.earliest_exit_epoch < earliest else state.exit_balance_to_consume
    balances = np.asarray(exit_balances, dtype=np.uint64)
    if balances.size == 0:
        return np.zeros(0, dtype=np.uint64)
    cumulative = np.cumsum(balances, dtype=np.uint64)  # at most the total effective balance: no wrap
    budget = np.uint64(budget0)
    beyond = cumulative - np.minimum(cumulative, budget)
    k = np.where(beyond > 0, (beyond - np.uint64(1)) // np.uint64(per_epoch_churn) + np.uint64(1), np.uint64(0))
    last_k = int(k[-1])
    if earliest + last_k > UINT64_MAX:  # the spec's uint64 Epoch arithmetic raises; numpy would wrap
        raise TransitionError(f"compute_exit_epoch_and_update_churn: exit epoch {earliest + last_k} overflows uint64")
    epochs = k + np.uint64(earliest)
    state.exit_balance_to_consume = budget0 + last_k * per_epoch_churn - int(cumulative[-1])
    state.earliest_exit_epoch = earliest + last_k
    return epochs


def check_withdrawable_epoch(state: BeaconState, last_exit_epoch: int) -> None:
    """Raise TransitionError when `last_exit_epoch + MIN_VALIDATOR_WITHDRAWABILITY_DELAY` does not fit in a
    uint64 epoch (the spec's `Epoch` addition raises there; numpy columns would wrap silently). Spec test:
    registry_updates/invalid_large_withdrawable_epoch."""
    delay = state.preset.MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    if last_exit_epoch > UINT64_MAX - delay:
        raise TransitionError(
            f"initiate_validator_exit: withdrawable epoch {last_exit_epoch} + {delay} overflows uint64"
        )


def compute_consolidation_epoch_and_update_churn(
    state: BeaconState, consolidation_balance: int, total_active_balance: int | None = None
) -> Epoch:
    """Spec: compute_consolidation_epoch_and_update_churn."""
    earliest = max(
        state.earliest_consolidation_epoch, compute_activation_exit_epoch(state.preset, state.current_epoch())
    )
    per_epoch = get_consolidation_churn_limit(state, total_active_balance)
    to_consume = per_epoch if state.earliest_consolidation_epoch < earliest else state.consolidation_balance_to_consume
    if consolidation_balance > to_consume:
        balance_to_process = consolidation_balance - to_consume
        additional_epochs = (balance_to_process - 1) // per_epoch + 1
        earliest += additional_epochs
        to_consume += additional_epochs * per_epoch
    if earliest > UINT64_MAX:  # the spec's uint64 Epoch arithmetic raises; numpy columns would wrap
        raise TransitionError(f"compute_consolidation_epoch_and_update_churn: epoch {earliest} overflows uint64")
    state.consolidation_balance_to_consume = to_consume - consolidation_balance
    state.earliest_consolidation_epoch = earliest
    return Epoch(earliest)
