"""Spec: "Beacon state mutators" — balance changes, exits, slashing, switching to compounding credentials."""

from __future__ import annotations

from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, PROPOSER_WEIGHT, WEIGHT_DENOMINATOR
from stakework.spec.types import FAR_FUTURE_EPOCH, GENESIS_SLOT
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import PendingDeposit
from stakework.transition.churn import check_withdrawable_epoch, compute_exit_epoch_and_update_churn
from stakework.transition.committees import get_beacon_proposer_index

G2_POINT_AT_INFINITY = b"\xc0" + b"\x00" * 95
"""Spec: bls.G2_POINT_AT_INFINITY — the placeholder signature of a queued excess balance."""


def increase_balance(state: BeaconState, index: int, delta: int) -> None:
    """Spec: increase_balance."""
    state.validators.balances[index] += delta


def decrease_balance(state: BeaconState, index: int, delta: int) -> None:
    """Spec: decrease_balance — floored at zero."""
    balances = state.validators.balances
    current = int(balances[index])
    balances[index] = current - delta if current > delta else 0


def initiate_validator_exit(state: BeaconState, index: int, total_active_balance: int | None = None) -> None:
    """Spec: initiate_validator_exit (Electra: exit epoch from the balance-denominated exit churn).

    No-op for a validator already exiting. `total_active_balance` may be passed when the caller has it.
    """
    v = state.validators
    if int(v.exit_epoch[index]) != FAR_FUTURE_EPOCH:
        return
    exit_queue_epoch = compute_exit_epoch_and_update_churn(state, int(v.effective_balance[index]), total_active_balance)
    check_withdrawable_epoch(state, exit_queue_epoch)
    v.exit_epoch[index] = exit_queue_epoch
    v.withdrawable_epoch[index] = exit_queue_epoch + state.preset.MIN_VALIDATOR_WITHDRAWABILITY_DELAY


def slash_validator(state: BeaconState, slashed_index: int, whistleblower_index: int | None = None) -> None:
    """Spec: slash_validator (Electra, EIP-7251 quotients).

    Exits the validator through the exit churn, marks it slashed, pushes its withdrawable epoch to at least
    `epoch + EPOCHS_PER_SLASHINGS_VECTOR`, adds its effective balance to the slashings vector, takes the initial
    penalty `effective_balance // MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA`, and pays the whistleblower
    `effective_balance // WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA`, of which the block proposer gets
    `PROPOSER_WEIGHT / WEIGHT_DENOMINATOR` (all of it when no whistleblower is named: the proposer is one).

    Preconditions (the callers' checks, as in the spec): `slashed_index` is a valid index and the validator is
    slashable; the state has an active validator to propose.
    """
    p = state.preset
    v = state.validators
    epoch = state.current_epoch()
    initiate_validator_exit(state, slashed_index)
    v.slashed[slashed_index] = True
    v.withdrawable_epoch[slashed_index] = max(
        int(v.withdrawable_epoch[slashed_index]), epoch + p.EPOCHS_PER_SLASHINGS_VECTOR
    )
    effective_balance = int(v.effective_balance[slashed_index])
    slot = epoch % p.EPOCHS_PER_SLASHINGS_VECTOR
    state.slashings[slot] = int(state.slashings[slot]) + effective_balance
    decrease_balance(state, slashed_index, effective_balance // p.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA)

    # Apply proposer and whistleblower rewards
    proposer_index = get_beacon_proposer_index(state)
    if whistleblower_index is None:
        whistleblower_index = proposer_index
    whistleblower_reward = effective_balance // p.WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA
    proposer_reward = whistleblower_reward * PROPOSER_WEIGHT // WEIGHT_DENOMINATOR
    increase_balance(state, proposer_index, proposer_reward)
    increase_balance(state, whistleblower_index, whistleblower_reward - proposer_reward)


def queue_excess_active_balance(state: BeaconState, index: int) -> None:
    """Spec: queue_excess_active_balance (EIP-7251) — balance above MIN_ACTIVATION_BALANCE goes back through
    the pending-deposit queue (signature = the G2 point at infinity, slot = GENESIS_SLOT, marking it as not a
    deposit request), so that it is churned like a deposit."""
    p = state.preset
    v = state.validators
    balance = int(v.balances[index])
    if balance > p.MIN_ACTIVATION_BALANCE:
        v.balances[index] = p.MIN_ACTIVATION_BALANCE
        state.pending_deposits.append(
            PendingDeposit(
                pubkey=v.pubkey[index].tobytes(),
                withdrawal_credentials=v.withdrawal_credentials[index].tobytes(),
                amount=balance - p.MIN_ACTIVATION_BALANCE,
                signature=G2_POINT_AT_INFINITY,
                slot=GENESIS_SLOT,
            )
        )


def switch_to_compounding_validator(state: BeaconState, index: int) -> None:
    """Spec: switch_to_compounding_validator (EIP-7251) — 0x01 credentials become 0x02 (same address), and the
    balance above MIN_ACTIVATION_BALANCE is queued as a pending deposit."""
    state.validators.withdrawal_credentials[index, 0] = COMPOUNDING_WITHDRAWAL_PREFIX
    queue_excess_active_balance(state, index)
