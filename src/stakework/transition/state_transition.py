"""Spec: state_transition, process_slots, process_slot, process_block — the whole transition for a block.

Pure: a state and a signed block in, the post-state out (in place), or InvalidOperation naming the first rule
the block breaks. Callers that must keep the pre-state on failure work on `state.copy()`.
"""

from __future__ import annotations

from collections.abc import Container

from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.spec.constants import DOMAIN_BEACON_PROPOSER
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader
from stakework.state.root import hash_state
from stakework.transition.accessors import get_total_active_balance
from stakework.transition.block.attestation import process_attestation
from stakework.transition.block.attester_slashing import process_attester_slashing
from stakework.transition.block.block import BeaconBlock, SignedBeaconBlock, header_root
from stakework.transition.block.header import process_block_header, process_randao
from stakework.transition.block.operations import Withdrawal
from stakework.transition.block.proposer_slashing import process_proposer_slashing
from stakework.transition.block.transaction import process_transaction
from stakework.transition.block.voluntary_exit import process_voluntary_exit
from stakework.transition.block.withdrawals import process_withdrawals
from stakework.transition.committees import get_beacon_proposer_index
from stakework.transition.epoch import process_epoch
from stakework.transition.errors import InvalidOperation
from stakework.transition.modules import message_keys, process_module_epoch, record_module_withdrawals
from stakework.transition.signing import get_domain

ZERO32 = b"\x00" * 32


def process_slot(state: BeaconState, state_root: bytes | None = None) -> None:
    """Spec: process_slot — cache the state root and the latest block root of the slot that ends.
    `state_root`: the state's root when the caller knows it already (see `process_slots`)."""
    p = state.preset
    previous_state_root = hash_state(state) if state_root is None else state_root
    state.state_roots[state.slot % p.SLOTS_PER_HISTORICAL_ROOT] = list(previous_state_root)
    if state.latest_block_header.state_root == ZERO32:
        h = state.latest_block_header
        state.latest_block_header = BeaconBlockHeader(
            h.slot, h.proposer_index, h.parent_root, previous_state_root, h.body_root
        )
    state.block_roots[state.slot % p.SLOTS_PER_HISTORICAL_ROOT] = list(header_root(state.latest_block_header))


def process_slots(state: BeaconState, slot: int, *, state_root: bytes | None = None) -> None:
    """Spec: process_slots — advance to `slot`, running process_epoch at each epoch's last slot.

    `state_root`: hash_tree_root(state) as given, if the caller knows it (a node's post-state of a block whose
    state root it checked): the first slot does not hash the state again. A wrong value makes a wrong state."""
    if slot <= state.slot:
        raise InvalidOperation(f"process_slots: target slot {slot} is not after the state's slot {state.slot}")
    spe = state.preset.SLOTS_PER_EPOCH
    while state.slot < slot:
        process_slot(state, state_root)
        state_root = None
        if (state.slot + 1) % spe == 0:
            process_epoch(state)
            process_module_epoch(state)  # [Differs from Electra: stakework's modules; no-op without them]
        state.slot += 1


def block_signing_root(state: BeaconState, block: BeaconBlock) -> bytes:
    """The root a proposer signs: compute_signing_root(block, DOMAIN_BEACON_PROPOSER at the block's epoch)."""
    epoch = block.slot // state.preset.SLOTS_PER_EPOCH
    return compute_signing_root(block.hash_tree_root(), get_domain(state, DOMAIN_BEACON_PROPOSER, epoch))


def verify_block_signature(state: BeaconState, signed_block: SignedBeaconBlock) -> bool:
    """Spec: verify_block_signature."""
    index = signed_block.message.proposer_index
    if not 0 <= index < len(state.validators):
        return False
    pubkey = state.validators.pubkey[index].tobytes()
    return bls.verify(pubkey, block_signing_root(state, signed_block.message), signed_block.signature)


def process_withdrawals_to_accounts(state: BeaconState, withdrawals: list[Withdrawal]) -> None:
    """Spec: process_withdrawals, then what the execution layer does with them: each amount is credited to the
    account its validator's credentials name (and, for a module's account, noted against the validator)."""
    process_withdrawals(state, withdrawals)
    for withdrawal in withdrawals:
        state.accounts.credit(withdrawal.address, withdrawal.amount)
    record_module_withdrawals(state, withdrawals)


def process_block(
    state: BeaconState,
    block: BeaconBlock,
    *,
    verify_signatures: bool = True,
    verified_transactions: Container[bytes] = frozenset(),
    signature_batch: bls.SignatureBatch | None = None,
) -> None:
    """Spec: process_block, stakework's body: header, withdrawals (credited to accounts), RANDAO, then the
    operations in the spec's order — proposer slashings, attester slashings, attestations, voluntary exits —
    and last the native transactions.

    `verify_signatures=False`: the caller checked the signatures already (its own block from verified pools, a
    replay): the RANDAO reveal's, the attestations', the voluntary exits' and the transactions' are not checked
    (the slashings' still are).

    `verified_transactions` holds hashes of transactions whose signatures the caller has verified on this chain
    (a node's mempool); their signatures are not checked again. Everything else is.

    `signature_batch`: the RANDAO reveal's and the attestations' signatures are added to it rather than checked
    here; the block is valid only if the batch then verifies (the caller's duty)."""
    body = block.body
    proposer = int(get_beacon_proposer_index(state))
    process_block_header(state, block, proposer)
    process_withdrawals_to_accounts(state, body.withdrawals)
    process_randao(state, body, proposer, verify_signature=verify_signatures, signature_batch=signature_batch)
    p = state.preset
    limits = (
        ("proposer_slashings", body.proposer_slashings, p.MAX_PROPOSER_SLASHINGS),
        ("attester_slashings", body.attester_slashings, p.MAX_ATTESTER_SLASHINGS_ELECTRA),
        ("attestations", body.attestations, p.MAX_ATTESTATIONS_ELECTRA),
        ("voluntary_exits", body.voluntary_exits, p.MAX_VOLUNTARY_EXITS),
        ("transactions", body.transactions, p.MAX_TRANSACTIONS_PER_BLOCK),
    )
    for name, items, limit in limits:
        if len(items) > limit:
            raise InvalidOperation(f"process_operations: {len(items)} {name} exceed the limit {limit}")
    keys = sum(message_keys(tx.transaction.payload) for tx in body.transactions)
    if keys > p.MAX_MODULE_KEYS_PER_BLOCK:  # [Differs from Electra: stakework's modules]
        raise InvalidOperation(
            f"process_operations: the transactions submit {keys} validator keys, over the limit "
            f"{p.MAX_MODULE_KEYS_PER_BLOCK} (MAX_MODULE_KEYS_PER_BLOCK)"
        )
    for proposer_slashing in body.proposer_slashings:
        process_proposer_slashing(state, proposer_slashing)
    for attester_slashing in body.attester_slashings:
        process_attester_slashing(state, attester_slashing)
    total = get_total_active_balance(state)
    for attestation in body.attestations:
        process_attestation(
            state,
            attestation,
            verify_signature=verify_signatures,
            total_active_balance=total,
            proposer_index=proposer,
            signature_batch=signature_batch,
        )
    for exit_ in body.voluntary_exits:
        process_voluntary_exit(state, exit_, total_active_balance=total, verify_signature=verify_signatures)
    for tx in body.transactions:
        check = verify_signatures and (not verified_transactions or tx.hash() not in verified_transactions)
        process_transaction(state, tx, proposer, verify_signature=check)


def state_transition(
    state: BeaconState,
    signed_block: SignedBeaconBlock,
    *,
    validate_result: bool = True,
    verify_signatures: bool = True,
    verified_transactions: Container[bytes] = frozenset(),
    signature_batch: bls.SignatureBatch | None = None,
    pre_state_root: bytes | None = None,
) -> None:
    """Spec: state_transition — advance slots, check the proposer's signature, apply the block, check the state
    root the block commits to.

    `signature_batch`: the proposer's, the RANDAO reveal's and the attestations' BLS signatures are added to it
    instead of checked one by one (slashings, exits and transactions are still checked here); the block is valid
    only if the batch verifies afterwards, which the caller must check (`SignatureBatch.verify`). `pre_state_root`:
    hash_tree_root of the pre-state, if the caller knows it (see `process_slots`)."""
    block = signed_block.message
    if block.slot > state.slot:
        process_slots(state, block.slot, state_root=pre_state_root)
    if verify_signatures:
        if signature_batch is not None:
            index = block.proposer_index
            if not 0 <= index < len(state.validators):
                raise InvalidOperation("state_transition: the block signature is not the proposer's")
            pubkey = state.validators.pubkey[index].tobytes()
            signature_batch.add([pubkey], block_signing_root(state, block), signed_block.signature)
        elif not verify_block_signature(state, signed_block):
            raise InvalidOperation("state_transition: the block signature is not the proposer's")
    process_block(
        state,
        block,
        verify_signatures=verify_signatures,
        verified_transactions=verified_transactions,
        signature_batch=signature_batch,
    )
    if validate_result and block.state_root != hash_state(state):
        raise InvalidOperation("state_transition: the block's state root does not match the resulting state")
