"""Plain-loop reference versions of the Electra epoch steps, written from the specification's text
(consensus-specs `specs/electra/beacon-chain.md` and the altair/bellatrix/capella sections it builds on).

They work on stakework's BeaconState, one validator at a time, with Python integers, so that each vectorized
step in `stakework.transition.epoch` can be compared with an independent, obviously-spec-shaped version without
the slow reference package. Every function has the spec's name and follows its text line by line; helpers that
the spec calls repeatedly inside loops (participating index sets, total balances) are computed once per call,
which changes nothing because the spec's loops do not modify what they read.

Independence from the code under test: nothing here imports `stakework.transition`; signing roots are hashed
here with hashlib, and deposit signatures are checked with the reference package's BLS backend (arkworks), not
stakework's (blspy).

Differences from Electra that stakework documents (and these versions follow): no eth1 data votes
(`process_eth1_data_reset` does nothing), no sync committees (`process_sync_committee_updates` does nothing).
The uint64 arithmetic of the spec fails the transition on overflow; here that is an OverflowError.
"""

from __future__ import annotations

import hashlib
from math import isqrt

from stakework.state import BeaconState, Checkpoint, HistoricalSummary, PendingDeposit

UINT64_MAX = 2**64 - 1
FAR_FUTURE_EPOCH = UINT64_MAX
GENESIS_EPOCH = 0
GENESIS_SLOT = 0
TIMELY_SOURCE_FLAG_INDEX = 0
TIMELY_TARGET_FLAG_INDEX = 1
TIMELY_HEAD_FLAG_INDEX = 2
PARTICIPATION_FLAG_WEIGHTS = (14, 26, 14)
WEIGHT_DENOMINATOR = 64
JUSTIFICATION_BITS_LENGTH = 4
COMPOUNDING_WITHDRAWAL_PREFIX = 0x02
DOMAIN_DEPOSIT = bytes.fromhex("03000000")


def _u64(x: int) -> int:
    if not 0 <= x <= UINT64_MAX:
        raise OverflowError(f"uint64 arithmetic out of range: {x}")
    return x


# -- misc, accessors, predicates -------------------------------------------------------------------------------
def get_current_epoch(state: BeaconState) -> int:
    return state.slot // state.preset.SLOTS_PER_EPOCH


def get_previous_epoch(state: BeaconState) -> int:
    current_epoch = get_current_epoch(state)
    return GENESIS_EPOCH if current_epoch == GENESIS_EPOCH else current_epoch - 1


def compute_start_slot_at_epoch(state: BeaconState, epoch: int) -> int:
    return epoch * state.preset.SLOTS_PER_EPOCH


def compute_activation_exit_epoch(state: BeaconState, epoch: int) -> int:
    return epoch + 1 + state.preset.MAX_SEED_LOOKAHEAD


def is_active_validator(state: BeaconState, index: int, epoch: int) -> bool:
    v = state.validators
    return int(v.activation_epoch[index]) <= epoch < int(v.exit_epoch[index])


def is_eligible_for_activation_queue(state: BeaconState, index: int) -> bool:
    """[Modified in Electra:EIP7251]"""
    v = state.validators
    return (
        int(v.activation_eligibility_epoch[index]) == FAR_FUTURE_EPOCH
        and int(v.effective_balance[index]) >= state.preset.MIN_ACTIVATION_BALANCE
    )


def is_eligible_for_activation(state: BeaconState, index: int) -> bool:
    v = state.validators
    return (
        int(v.activation_eligibility_epoch[index]) <= state.finalized_checkpoint.epoch
        and int(v.activation_epoch[index]) == FAR_FUTURE_EPOCH
    )


def has_compounding_withdrawal_credential(state: BeaconState, index: int) -> bool:
    return int(state.validators.withdrawal_credentials[index, 0]) == COMPOUNDING_WITHDRAWAL_PREFIX


def get_max_effective_balance(state: BeaconState, index: int) -> int:
    if has_compounding_withdrawal_credential(state, index):
        return state.preset.MAX_EFFECTIVE_BALANCE_ELECTRA
    return state.preset.MIN_ACTIVATION_BALANCE


def get_active_validator_indices(state: BeaconState, epoch: int) -> list[int]:
    return [i for i in range(len(state.validators)) if is_active_validator(state, i, epoch)]


def get_total_balance(state: BeaconState, indices: set[int] | list[int]) -> int:
    eb = state.validators.effective_balance
    return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, sum(int(eb[i]) for i in indices))


def get_total_active_balance(state: BeaconState) -> int:
    return get_total_balance(state, get_active_validator_indices(state, get_current_epoch(state)))


def get_base_reward_per_increment(state: BeaconState) -> int:
    p = state.preset
    return p.EFFECTIVE_BALANCE_INCREMENT * p.BASE_REWARD_FACTOR // isqrt(get_total_active_balance(state))


def get_base_reward(state: BeaconState, index: int, base_reward_per_increment: int) -> int:
    increments = int(state.validators.effective_balance[index]) // state.preset.EFFECTIVE_BALANCE_INCREMENT
    return _u64(increments * base_reward_per_increment)


def has_flag(flags: int, flag_index: int) -> bool:
    flag = 2**flag_index
    return flags & flag == flag


def get_unslashed_participating_indices(state: BeaconState, flag_index: int, epoch: int) -> set[int]:
    assert epoch in (get_previous_epoch(state), get_current_epoch(state))
    v = state.validators
    if epoch == get_current_epoch(state):
        epoch_participation = v.current_epoch_participation
    else:
        epoch_participation = v.previous_epoch_participation
    active_validator_indices = get_active_validator_indices(state, epoch)
    participating_indices = [i for i in active_validator_indices if has_flag(int(epoch_participation[i]), flag_index)]
    return {i for i in participating_indices if not bool(v.slashed[i])}


def get_eligible_validator_indices(state: BeaconState) -> list[int]:
    previous_epoch = get_previous_epoch(state)
    v = state.validators
    return [
        i
        for i in range(len(v))
        if is_active_validator(state, i, previous_epoch)
        or (bool(v.slashed[i]) and previous_epoch + 1 < int(v.withdrawable_epoch[i]))
    ]


def get_finality_delay(state: BeaconState) -> int:
    return get_previous_epoch(state) - state.finalized_checkpoint.epoch


def is_in_inactivity_leak(state: BeaconState) -> bool:
    return get_finality_delay(state) > state.preset.MIN_EPOCHS_TO_INACTIVITY_PENALTY


def get_block_root_at_slot(state: BeaconState, slot: int) -> bytes:
    assert slot < state.slot <= slot + state.preset.SLOTS_PER_HISTORICAL_ROOT
    return state.block_roots[slot % state.preset.SLOTS_PER_HISTORICAL_ROOT].tobytes()


def get_block_root(state: BeaconState, epoch: int) -> bytes:
    return get_block_root_at_slot(state, compute_start_slot_at_epoch(state, epoch))


def get_randao_mix(state: BeaconState, epoch: int) -> bytes:
    return state.randao_mixes[epoch % state.preset.EPOCHS_PER_HISTORICAL_VECTOR].tobytes()


def get_balance_churn_limit(state: BeaconState) -> int:
    p = state.preset
    churn = max(p.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, get_total_active_balance(state) // p.CHURN_LIMIT_QUOTIENT)
    return churn - churn % p.EFFECTIVE_BALANCE_INCREMENT


def get_activation_exit_churn_limit(state: BeaconState) -> int:
    return min(state.preset.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT, get_balance_churn_limit(state))


# -- mutators -------------------------------------------------------------------------------------------------
def increase_balance(state: BeaconState, index: int, delta: int) -> None:
    balances = state.validators.balances
    balances[index] = _u64(int(balances[index]) + delta)


def decrease_balance(state: BeaconState, index: int, delta: int) -> None:
    balances = state.validators.balances
    current = int(balances[index])
    balances[index] = 0 if delta > current else current - delta


def compute_exit_epoch_and_update_churn(state: BeaconState, exit_balance: int) -> int:
    earliest_exit_epoch = max(state.earliest_exit_epoch, compute_activation_exit_epoch(state, get_current_epoch(state)))
    per_epoch_churn = get_activation_exit_churn_limit(state)
    # New epoch for exits.
    if state.earliest_exit_epoch < earliest_exit_epoch:
        exit_balance_to_consume = per_epoch_churn
    else:
        exit_balance_to_consume = state.exit_balance_to_consume
    # Exit doesn't fit in the current earliest epoch.
    if exit_balance > exit_balance_to_consume:
        balance_to_process = exit_balance - exit_balance_to_consume
        additional_epochs = (balance_to_process - 1) // per_epoch_churn + 1
        earliest_exit_epoch += additional_epochs
        exit_balance_to_consume += additional_epochs * per_epoch_churn
    # Consume the balance and update state variables.
    state.exit_balance_to_consume = exit_balance_to_consume - exit_balance
    state.earliest_exit_epoch = earliest_exit_epoch
    return earliest_exit_epoch


def initiate_validator_exit(state: BeaconState, index: int) -> None:
    v = state.validators
    # Return if validator already initiated exit
    if int(v.exit_epoch[index]) != FAR_FUTURE_EPOCH:
        return
    # Compute exit queue epoch [Modified in Electra:EIP7251]
    exit_queue_epoch = compute_exit_epoch_and_update_churn(state, int(v.effective_balance[index]))
    # Set validator exit epoch and withdrawable epoch
    v.exit_epoch[index] = exit_queue_epoch
    v.withdrawable_epoch[index] = _u64(exit_queue_epoch + state.preset.MIN_VALIDATOR_WITHDRAWABILITY_DELAY)


# -- SSZ roots needed by deposits and historical summaries (hashed here, independently) -------------------------
def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _merkleize(chunks: list[bytes]) -> bytes:
    width = 1
    while width < len(chunks):
        width *= 2
    layer = chunks + [b"\x00" * 32] * (width - len(chunks))
    while len(layer) > 1:
        layer = [_sha(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def _roots_vector_root(rows: object) -> bytes:
    return _merkleize([bytes(r) for r in rows])  # type: ignore[attr-defined]


def _deposit_signing_root(state: BeaconState, pubkey: bytes, withdrawal_credentials: bytes, amount: int) -> bytes:
    pubkey_root = _sha(pubkey[:32] + pubkey[32:48] + b"\x00" * 16)
    amount_chunk = amount.to_bytes(8, "little") + b"\x00" * 24
    message_root = _merkleize([pubkey_root, withdrawal_credentials, amount_chunk])
    # compute_domain(DOMAIN_DEPOSIT): fork version = GENESIS_FORK_VERSION, genesis_validators_root = zero
    fork_data_root = _sha(state.preset.GENESIS_FORK_VERSION + b"\x00" * 28 + b"\x00" * 32)
    domain = DOMAIN_DEPOSIT + fork_data_root[:28]
    return _sha(message_root + domain)


def is_valid_deposit_signature(
    state: BeaconState, pubkey: bytes, withdrawal_credentials: bytes, amount: int, signature: bytes
) -> bool:
    from eth_consensus_specs.utils import bls

    signing_root = _deposit_signing_root(state, pubkey, withdrawal_credentials, amount)
    return bool(bls.Verify(pubkey, signing_root, signature))


def add_validator_to_registry(state: BeaconState, pubkey: bytes, withdrawal_credentials: bytes, amount: int) -> None:
    # get_validator_from_deposit
    p = state.preset
    max_effective_balance = (
        p.MAX_EFFECTIVE_BALANCE_ELECTRA
        if withdrawal_credentials[0] == COMPOUNDING_WITHDRAWAL_PREFIX
        else p.MIN_ACTIVATION_BALANCE
    )
    effective_balance = min(amount - amount % p.EFFECTIVE_BALANCE_INCREMENT, max_effective_balance)
    # appends validator, balance, participation (0), inactivity score (0); epochs FAR_FUTURE_EPOCH
    state.validators.append(pubkey, withdrawal_credentials, effective_balance, amount)


def apply_pending_deposit(state: BeaconState, deposit: PendingDeposit) -> None:
    validator_pubkeys = [bytes(pk) for pk in state.validators.pubkey]
    if deposit.pubkey not in validator_pubkeys:
        # Verify the deposit signature (proof of possession) which is not checked by the deposit contract
        if is_valid_deposit_signature(
            state, deposit.pubkey, deposit.withdrawal_credentials, deposit.amount, deposit.signature
        ):
            add_validator_to_registry(state, deposit.pubkey, deposit.withdrawal_credentials, deposit.amount)
    else:
        validator_index = validator_pubkeys.index(deposit.pubkey)
        increase_balance(state, validator_index, deposit.amount)


# -- the steps -------------------------------------------------------------------------------------------------
def weigh_justification_and_finalization(
    state: BeaconState,
    total_active_balance: int,
    previous_epoch_target_balance: int,
    current_epoch_target_balance: int,
) -> None:
    previous_epoch = get_previous_epoch(state)
    current_epoch = get_current_epoch(state)
    old_previous_justified_checkpoint = state.previous_justified_checkpoint
    old_current_justified_checkpoint = state.current_justified_checkpoint

    # Process justifications
    state.previous_justified_checkpoint = state.current_justified_checkpoint
    bits = list(state.justification_bits)
    bits[1:] = bits[: JUSTIFICATION_BITS_LENGTH - 1]
    bits[0] = False
    if previous_epoch_target_balance * 3 >= total_active_balance * 2:
        state.current_justified_checkpoint = Checkpoint(previous_epoch, get_block_root(state, previous_epoch))
        bits[1] = True
    if current_epoch_target_balance * 3 >= total_active_balance * 2:
        state.current_justified_checkpoint = Checkpoint(current_epoch, get_block_root(state, current_epoch))
        bits[0] = True
    state.justification_bits = bits

    # Process finalizations
    # The 2nd/3rd/4th most recent epochs are justified, the 2nd using the 4th as source
    if all(bits[1:4]) and old_previous_justified_checkpoint.epoch + 3 == current_epoch:
        state.finalized_checkpoint = old_previous_justified_checkpoint
    # The 2nd/3rd most recent epochs are justified, the 2nd using the 3rd as source
    if all(bits[1:3]) and old_previous_justified_checkpoint.epoch + 2 == current_epoch:
        state.finalized_checkpoint = old_previous_justified_checkpoint
    # The 1st/2nd/3rd most recent epochs are justified, the 1st using the 3rd as source
    if all(bits[0:3]) and old_current_justified_checkpoint.epoch + 2 == current_epoch:
        state.finalized_checkpoint = old_current_justified_checkpoint
    # The 1st/2nd most recent epochs are justified, the 1st using the 2nd as source
    if all(bits[0:2]) and old_current_justified_checkpoint.epoch + 1 == current_epoch:
        state.finalized_checkpoint = old_current_justified_checkpoint


def process_justification_and_finalization(state: BeaconState) -> None:
    # Initial FFG checkpoint values have a `0x00` stub for `root`.
    # Skip FFG updates in the first two epochs to avoid corner cases that might result in modifying this stub.
    if get_current_epoch(state) <= GENESIS_EPOCH + 1:
        return
    previous_indices = get_unslashed_participating_indices(state, TIMELY_TARGET_FLAG_INDEX, get_previous_epoch(state))
    current_indices = get_unslashed_participating_indices(state, TIMELY_TARGET_FLAG_INDEX, get_current_epoch(state))
    total_active_balance = get_total_active_balance(state)
    previous_target_balance = get_total_balance(state, previous_indices)
    current_target_balance = get_total_balance(state, current_indices)
    weigh_justification_and_finalization(state, total_active_balance, previous_target_balance, current_target_balance)


def process_inactivity_updates(state: BeaconState) -> None:
    p = state.preset
    # Skip the genesis epoch as score updates are based on the previous epoch participation
    if get_current_epoch(state) == GENESIS_EPOCH:
        return
    scores = state.validators.inactivity_scores
    participating = get_unslashed_participating_indices(state, TIMELY_TARGET_FLAG_INDEX, get_previous_epoch(state))
    leak = is_in_inactivity_leak(state)
    for index in get_eligible_validator_indices(state):
        score = int(scores[index])
        # Increase the inactivity score of inactive validators
        if index in participating:
            score -= min(1, score)
        else:
            score = _u64(score + p.INACTIVITY_SCORE_BIAS)
        # Decrease the inactivity score of all eligible validators during a leak-free epoch
        if not leak:
            score -= min(p.INACTIVITY_SCORE_RECOVERY_RATE, score)
        scores[index] = score


def get_flag_index_deltas(state: BeaconState, flag_index: int) -> tuple[list[int], list[int]]:
    """Return the deltas for a given ``flag_index`` by scanning through the participation flags."""
    p = state.preset
    n = len(state.validators)
    rewards = [0] * n
    penalties = [0] * n
    previous_epoch = get_previous_epoch(state)
    unslashed_participating_indices = get_unslashed_participating_indices(state, flag_index, previous_epoch)
    weight = PARTICIPATION_FLAG_WEIGHTS[flag_index]
    unslashed_participating_balance = get_total_balance(state, unslashed_participating_indices)
    unslashed_participating_increments = unslashed_participating_balance // p.EFFECTIVE_BALANCE_INCREMENT
    active_increments = get_total_active_balance(state) // p.EFFECTIVE_BALANCE_INCREMENT
    base_reward_per_increment = get_base_reward_per_increment(state)
    leak = is_in_inactivity_leak(state)
    for index in get_eligible_validator_indices(state):
        base_reward = get_base_reward(state, index, base_reward_per_increment)
        if index in unslashed_participating_indices:
            if not leak:
                reward_numerator = _u64(_u64(base_reward * weight) * unslashed_participating_increments)
                rewards[index] += reward_numerator // (active_increments * WEIGHT_DENOMINATOR)
        elif flag_index != TIMELY_HEAD_FLAG_INDEX:
            penalties[index] += _u64(base_reward * weight) // WEIGHT_DENOMINATOR
    return rewards, penalties


def get_inactivity_penalty_deltas(state: BeaconState) -> tuple[list[int], list[int]]:
    """[Modified in Bellatrix] INACTIVITY_PENALTY_QUOTIENT_BELLATRIX."""
    p = state.preset
    n = len(state.validators)
    rewards = [0] * n
    penalties = [0] * n
    previous_epoch = get_previous_epoch(state)
    matching_target_indices = get_unslashed_participating_indices(state, TIMELY_TARGET_FLAG_INDEX, previous_epoch)
    v = state.validators
    for index in get_eligible_validator_indices(state):
        if index not in matching_target_indices:
            penalty_numerator = _u64(int(v.effective_balance[index]) * int(v.inactivity_scores[index]))
            penalty_denominator = p.INACTIVITY_SCORE_BIAS * p.INACTIVITY_PENALTY_QUOTIENT_BELLATRIX
            penalties[index] += penalty_numerator // penalty_denominator
    return rewards, penalties


def process_rewards_and_penalties(state: BeaconState) -> None:
    # No rewards are applied at the end of `GENESIS_EPOCH` because rewards are for work done in the previous epoch
    if get_current_epoch(state) == GENESIS_EPOCH:
        return
    flag_deltas = [get_flag_index_deltas(state, flag_index) for flag_index in range(len(PARTICIPATION_FLAG_WEIGHTS))]
    deltas = [*flag_deltas, get_inactivity_penalty_deltas(state)]
    for rewards, penalties in deltas:
        for index in range(len(state.validators)):
            increase_balance(state, index, rewards[index])
            decrease_balance(state, index, penalties[index])


def process_registry_updates(state: BeaconState) -> None:
    """[Modified in Electra:EIP7251] As written: an ejection's exit sticks (no aliased write-back)."""
    current_epoch = get_current_epoch(state)
    activation_epoch = compute_activation_exit_epoch(state, current_epoch)
    v = state.validators
    # Process activation eligibility, ejections, and activations
    for index in range(len(v)):
        if is_eligible_for_activation_queue(state, index):
            v.activation_eligibility_epoch[index] = current_epoch + 1
        elif (
            is_active_validator(state, index, current_epoch)
            and int(v.effective_balance[index]) <= state.preset.EJECTION_BALANCE
        ):
            initiate_validator_exit(state, index)
        elif is_eligible_for_activation(state, index):
            v.activation_epoch[index] = activation_epoch


def process_slashings(state: BeaconState) -> None:
    """[Modified in Electra:EIP7251]"""
    p = state.preset
    epoch = get_current_epoch(state)
    total_balance = get_total_active_balance(state)
    adjusted_total_slashing_balance = min(
        _u64(_u64(sum(int(s) for s in state.slashings)) * p.PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX),
        total_balance,
    )
    increment = p.EFFECTIVE_BALANCE_INCREMENT  # Factored out from total balance to avoid uint64 overflow
    penalty_per_effective_balance_increment = adjusted_total_slashing_balance // (total_balance // increment)
    v = state.validators
    for index in range(len(v)):
        if bool(v.slashed[index]) and epoch + p.EPOCHS_PER_SLASHINGS_VECTOR // 2 == int(v.withdrawable_epoch[index]):
            effective_balance_increments = int(v.effective_balance[index]) // increment
            # [Modified in Electra:EIP7251]
            penalty = _u64(penalty_per_effective_balance_increment * effective_balance_increments)
            decrease_balance(state, index, penalty)


def process_eth1_data_reset(state: BeaconState) -> None:
    """[Differs from Electra: stakework has no eth1 data votes.]"""


def process_pending_deposits(state: BeaconState) -> None:
    p = state.preset
    next_epoch = get_current_epoch(state) + 1
    available_for_processing = state.deposit_balance_to_consume + get_activation_exit_churn_limit(state)
    processed_amount = 0
    next_deposit_index = 0
    deposits_to_postpone = []
    is_churn_limit_reached = False
    finalized_slot = compute_start_slot_at_epoch(state, state.finalized_checkpoint.epoch)

    for deposit in state.pending_deposits:
        # Do not process deposit requests if Eth1 bridge deposits are not yet applied.
        if (
            # Is deposit request
            deposit.slot > GENESIS_SLOT
            # There are pending Eth1 bridge deposits
            and state.eth1_deposit_index < state.deposit_requests_start_index
        ):
            break
        # Check if deposit has been finalized, otherwise, stop processing.
        if deposit.slot > finalized_slot:
            break
        # Check if number of processed deposits has not reached the limit, otherwise, stop processing.
        if next_deposit_index >= p.MAX_PENDING_DEPOSITS_PER_EPOCH:
            break
        # Read validator state
        is_validator_exited = False
        is_validator_withdrawn = False
        validator_pubkeys = [bytes(pk) for pk in state.validators.pubkey]
        if deposit.pubkey in validator_pubkeys:
            index = validator_pubkeys.index(deposit.pubkey)
            is_validator_exited = int(state.validators.exit_epoch[index]) < FAR_FUTURE_EPOCH
            is_validator_withdrawn = int(state.validators.withdrawable_epoch[index]) < next_epoch

        if is_validator_withdrawn:
            # Deposited balance will never become active. Increase balance but do not consume churn
            apply_pending_deposit(state, deposit)
        elif is_validator_exited:
            # Validator is exiting, postpone the deposit until after withdrawable epoch
            deposits_to_postpone.append(deposit)
        else:
            # Check if deposit fits in the churn, otherwise, do no more deposit processing in this epoch.
            is_churn_limit_reached = processed_amount + deposit.amount > available_for_processing
            if is_churn_limit_reached:
                break
            # Consume churn and apply deposit.
            processed_amount += deposit.amount
            apply_pending_deposit(state, deposit)
        # Regardless of how the deposit was handled, we move on in the queue.
        next_deposit_index += 1

    state.pending_deposits = state.pending_deposits[next_deposit_index:] + deposits_to_postpone
    # Accumulate churn only if the churn limit has been hit.
    if is_churn_limit_reached:
        state.deposit_balance_to_consume = available_for_processing - processed_amount
    else:
        state.deposit_balance_to_consume = 0


def process_pending_consolidations(state: BeaconState) -> None:
    next_epoch = get_current_epoch(state) + 1
    next_pending_consolidation = 0
    v = state.validators
    for pending_consolidation in state.pending_consolidations:
        source = pending_consolidation.source_index
        if bool(v.slashed[source]):
            next_pending_consolidation += 1
            continue
        if int(v.withdrawable_epoch[source]) > next_epoch:
            break
        # Calculate the consolidated balance
        source_effective_balance = min(int(v.balances[source]), int(v.effective_balance[source]))
        # Move active balance to target. Excess balance is withdrawable.
        decrease_balance(state, source, source_effective_balance)
        increase_balance(state, pending_consolidation.target_index, source_effective_balance)
        next_pending_consolidation += 1
    state.pending_consolidations = state.pending_consolidations[next_pending_consolidation:]


def process_effective_balance_updates(state: BeaconState) -> None:
    """[Modified in Electra:EIP7251]"""
    p = state.preset
    v = state.validators
    # Update effective balances with hysteresis
    for index in range(len(v)):
        balance = int(v.balances[index])
        effective_balance = int(v.effective_balance[index])
        hysteresis_increment = p.EFFECTIVE_BALANCE_INCREMENT // p.HYSTERESIS_QUOTIENT
        downward_threshold = hysteresis_increment * p.HYSTERESIS_DOWNWARD_MULTIPLIER
        upward_threshold = hysteresis_increment * p.HYSTERESIS_UPWARD_MULTIPLIER
        # [Modified in Electra:EIP7251]
        max_effective_balance = get_max_effective_balance(state, index)
        if (
            _u64(balance + downward_threshold) < effective_balance
            or _u64(effective_balance + upward_threshold) < balance
        ):
            v.effective_balance[index] = min(balance - balance % p.EFFECTIVE_BALANCE_INCREMENT, max_effective_balance)


def process_slashings_reset(state: BeaconState) -> None:
    next_epoch = get_current_epoch(state) + 1
    # Reset slashings
    state.slashings[next_epoch % state.preset.EPOCHS_PER_SLASHINGS_VECTOR] = 0


def process_randao_mixes_reset(state: BeaconState) -> None:
    current_epoch = get_current_epoch(state)
    next_epoch = current_epoch + 1
    # Set randao mix
    mix = get_randao_mix(state, current_epoch)
    state.randao_mixes[next_epoch % state.preset.EPOCHS_PER_HISTORICAL_VECTOR] = list(mix)


def process_historical_summaries_update(state: BeaconState) -> None:
    p = state.preset
    # Set historical block root accumulator.
    next_epoch = get_current_epoch(state) + 1
    if next_epoch % (p.SLOTS_PER_HISTORICAL_ROOT // p.SLOTS_PER_EPOCH) == 0:
        historical_summary = HistoricalSummary(
            block_summary_root=_roots_vector_root(state.block_roots),
            state_summary_root=_roots_vector_root(state.state_roots),
        )
        state.historical_summaries.append(historical_summary)


def process_participation_flag_updates(state: BeaconState) -> None:
    v = state.validators
    for index in range(len(v)):
        v.previous_epoch_participation[index] = int(v.current_epoch_participation[index])
        v.current_epoch_participation[index] = 0


def process_sync_committee_updates(state: BeaconState) -> None:
    """[Differs from Electra: stakework has no sync committees.]"""


EPOCH_STEPS = (
    ("process_justification_and_finalization", process_justification_and_finalization),
    ("process_inactivity_updates", process_inactivity_updates),
    ("process_rewards_and_penalties", process_rewards_and_penalties),
    ("process_registry_updates", process_registry_updates),
    ("process_slashings", process_slashings),
    ("process_eth1_data_reset", process_eth1_data_reset),
    ("process_pending_deposits", process_pending_deposits),
    ("process_pending_consolidations", process_pending_consolidations),
    ("process_effective_balance_updates", process_effective_balance_updates),
    ("process_slashings_reset", process_slashings_reset),
    ("process_randao_mixes_reset", process_randao_mixes_reset),
    ("process_historical_summaries_update", process_historical_summaries_update),
    ("process_participation_flag_updates", process_participation_flag_updates),
    ("process_sync_committee_updates", process_sync_committee_updates),
)


def process_epoch(state: BeaconState) -> None:
    for _, step in EPOCH_STEPS:
        step(state)
