"""The in-process validator client: proposes blocks and makes attestations for the keys it holds, consulting
EIP-3076 slashing protection before every signature (the record is durable before the signature exists)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import msgspec
import numpy as np

from stakework.codec.hashing import sha256
from stakework.codec.ssz import compute_signing_root
from stakework.crypto import bls
from stakework.crypto.slashing_protection import SlashableError, SlashingProtection
from stakework.modules.registry import message_keys
from stakework.spec.constants import DOMAIN_BEACON_ATTESTER
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.accessors import get_block_root
from stakework.transition.block.attestation import process_attestation
from stakework.transition.block.block import (
    Attestation,
    AttestationData,
    AttesterSlashing,
    BeaconBlock,
    BeaconBlockBody,
    ProposerSlashing,
    SignedBeaconBlock,
    header_root,
    pack_bits,
)
from stakework.transition.block.header import randao_signing_root
from stakework.transition.block.transaction import SignedTransaction, process_transaction
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.committees import get_beacon_proposer_index, get_epoch_shuffling
from stakework.transition.errors import TransitionError
from stakework.transition.signing import get_domain
from stakework.transition.state_transition import block_signing_root, process_block

log = logging.getLogger(__name__)


class ValidatorClient:
    """Signs for the validators whose secret keys it holds (validator index → key)."""

    def __init__(
        self,
        keys: Mapping[int, bls.SecretKey],
        protection: SlashingProtection,
        *,
        equivocators: frozenset[int] = frozenset(),
    ) -> None:
        self.keys = dict(keys)
        self.equivocators = equivocators
        """TEST HOOK (`stakework devnet --equivocate K`): validators that also sign a conflicting vote each slot,
        bypassing slashing protection, so that detection, inclusion and penalties can be watched."""
        self.pubkeys = {i: k.public_key() for i, k in self.keys.items()}
        self.protection = protection
        self.refused = 0
        """Signatures slashing protection refused (should stay 0 for an honest node)."""
        self.rejected_transactions: list[tuple[SignedTransaction, str]] = []
        """Transactions left out of our blocks because they no longer apply, with the rule that refused them (the
        node drops them from its pool)."""
        self.dropped_slashings = 0
        """Slashings left out of a block because they no longer apply."""

    def add_key(self, index: int, key: bls.SecretKey) -> None:
        """Start signing for validator `index` (a validator staked while the node runs)."""
        self.keys[index] = key
        self.pubkeys[index] = key.public_key()

    def propose(
        self,
        state: BeaconState,
        attestations: list[Attestation],
        transactions: Sequence[SignedTransaction] = (),
        attester_slashings: Sequence[AttesterSlashing] = (),
        proposer_slashings: Sequence[ProposerSlashing] = (),
    ) -> SignedBeaconBlock | None:
        """A signed block for `state.slot` (state already advanced to the slot) if one of our validators is the
        proposer; attestations that would not apply are dropped."""
        proposer = int(get_beacon_proposer_index(state))
        key = self.keys.get(proposer)
        if key is None or state.validators.slashed[proposer]:
            return None  # not ours, or slashed: the spec refuses a slashed proposer's block (a missed slot)
        usable = []
        if attestations:  # a copy to try them on (issue #16: a full copy is ~210 MiB at a million validators)
            probe = state.copy()
            for attestation in attestations:
                try:
                    process_attestation(probe, attestation, verify_signature=False, proposer_index=proposer)
                except Exception:  # no longer applies (or a bug nobody foresaw): the block goes without it
                    continue
                usable.append(attestation)
            del probe  # released before the block's working copy is made: two full copies alive at most
        randao_reveal = key.sign(randao_signing_root(state, state.current_epoch()))
        withdrawals = get_expected_withdrawals(state).withdrawals
        parent_root = header_root(state.latest_block_header)

        def apply_without_transactions(
            attester: Sequence[AttesterSlashing], proposer_: Sequence[ProposerSlashing]
        ) -> tuple[BeaconBlockBody, BeaconState]:
            body = BeaconBlockBody(
                randao_reveal=randao_reveal,
                attestations=usable,
                attester_slashings=list(attester),
                proposer_slashings=list(proposer_),
                withdrawals=withdrawals,
            )
            work = state.copy()
            # Our own block: its operations were verified on admission; only the post-state is needed here.
            process_block(
                work, BeaconBlock(state.slot, proposer, parent_root, b"\x00" * 32, body), verify_signatures=False
            )
            return body, work

        try:
            body, work = apply_without_transactions(attester_slashings, proposer_slashings)
        except Exception:  # a slashing that no longer applies (its validator was slashed meanwhile), or worse
            log.warning("proposal at slot %d: slashings left out", state.slot, exc_info=True)
            self.dropped_slashings += len(attester_slashings) + len(proposer_slashings)
            attester_slashings, proposer_slashings = (), ()
            body, work = apply_without_transactions((), ())
        # Transactions come last in a block: apply them one by one on the post-state of everything else, so
        # one that became invalid since the mempool admitted it is left out instead of spoiling the block.
        included: list[SignedTransaction] = []
        keys = 0
        deferred: set[bytes] = set()  # senders with a transaction left for a later block: their next wait too
        for tx in transactions:
            sender = tx.transaction.sender
            wants = message_keys(tx.transaction.payload)
            if sender in deferred or keys + wants > state.preset.MAX_MODULE_KEYS_PER_BLOCK:
                deferred.add(sender)  # the block's key budget is spent: still valid, for a later block
                continue
            try:
                process_transaction(work, tx, proposer, verify_signature=False)
            except TransitionError as exc:  # checks come first: `work` is unchanged
                self.rejected_transactions.append((tx, str(exc)))
                continue
            except Exception as exc:  # a bug or an input nobody foresaw: leave it out, keep the block
                log.exception(
                    "proposal at slot %d: a transaction of 0x%s (nonce %s) failed unexpectedly",
                    state.slot,
                    bytes(sender).hex(),
                    tx.transaction.nonce,
                )
                self.rejected_transactions.append((tx, f"refused: it failed unexpectedly ({type(exc).__name__})"))
                # It may have changed `work` half-way: rebuild the post-state from what is included so far.
                _, work = apply_without_transactions(attester_slashings, proposer_slashings)
                for kept in included:
                    process_transaction(work, kept, proposer, verify_signature=False)
                continue
            keys += wants
            included.append(tx)
        body = msgspec.structs.replace(body, transactions=included)
        # The header cached in the post-state names the body's root: make it the final body's.
        work.latest_block_header = msgspec.structs.replace(work.latest_block_header, body_root=body.hash_tree_root())
        block = BeaconBlock(state.slot, proposer, parent_root, hash_state(work), body)
        signing_root = block_signing_root(state, block)
        try:
            self.protection.check_and_record_block(self.pubkeys[proposer], block.slot, signing_root)
        except SlashableError:
            self.refused += 1
            return None
        return SignedBeaconBlock(block, key.sign(signing_root))

    def attest(self, state: BeaconState, head_root: bytes) -> Attestation | None:
        """One aggregate of our validators' votes in the committees of `state.slot`, for `head_root` (the head
        block, whose post-state advanced to the slot is `state`). Electra aggregates all committees in one."""
        p = state.preset
        slot = state.slot
        epoch = slot // p.SLOTS_PER_EPOCH
        start = epoch * p.SLOTS_PER_EPOCH
        # The target is the block at the epoch's first slot: the head itself when that slot is now.
        target_root = head_root if start == slot else get_block_root(state, epoch)
        data = AttestationData(slot, 0, head_root, state.current_justified_checkpoint, Checkpoint(epoch, target_root))
        signing_root = compute_signing_root(data.hash_tree_root(), get_domain(state, DOMAIN_BEACON_ATTESTER, epoch))
        shuffling = get_epoch_shuffling(state, epoch)
        bits: list[bool] = []
        committee_bits = [False] * p.MAX_COMMITTEES_PER_SLOT
        signatures: list[bytes] = []
        for index in range(shuffling.committees_per_slot):
            committee = shuffling.committee(slot, index)
            member_bits = []
            for validator in (int(i) for i in committee):
                signed = False
                key = self.keys.get(validator)
                if key is not None:
                    try:
                        self.protection.check_and_record_attestation(
                            self.pubkeys[validator], data.source.epoch, data.target.epoch, signing_root
                        )
                        signatures.append(key.sign(signing_root))
                        signed = True
                    except SlashableError:
                        self.refused += 1
                member_bits.append(signed)
            if any(member_bits):  # committees without one of our signatures stay out of the aggregate
                committee_bits[index] = True
                bits.extend(member_bits)
        if not signatures:
            return None
        return Attestation(
            pack_bits(np.array(bits)), len(bits), data, bls.aggregate(signatures), pack_bits(committee_bits)
        )

    def equivocate(self, state: BeaconState, honest: Attestation) -> Attestation | None:
        """TEST HOOK: the equivocators among `honest`'s committees sign a second vote for the same target with a
        different head (a double vote), WITHOUT slashing protection. None when none of them is in the slot."""
        if not self.equivocators:
            return None
        p = state.preset
        data = honest.data
        conflicting = AttestationData(
            data.slot, 0, sha256(b"equivocation" + data.beacon_block_root), data.source, data.target
        )
        signing_root = compute_signing_root(
            conflicting.hash_tree_root(), get_domain(state, DOMAIN_BEACON_ATTESTER, data.target.epoch)
        )
        shuffling = get_epoch_shuffling(state, data.slot // p.SLOTS_PER_EPOCH)
        bits: list[bool] = []
        committee_bits = [False] * p.MAX_COMMITTEES_PER_SLOT
        signatures: list[bytes] = []
        for index in range(shuffling.committees_per_slot):
            members = [int(i) for i in shuffling.committee(data.slot, index)]
            member_bits = [v in self.equivocators and v in self.keys for v in members]
            if any(member_bits):
                committee_bits[index] = True
                bits.extend(member_bits)
                signatures += [self.keys[v].sign(signing_root) for v, b in zip(members, member_bits, strict=True) if b]
        if not signatures:
            return None
        return Attestation(
            pack_bits(np.array(bits)), len(bits), conflicting, bls.aggregate(signatures), pack_bits(committee_bits)
        )
