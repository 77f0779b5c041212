"""Block operation messages (Spec: VoluntaryExit, SignedVoluntaryExit, DepositRequest, WithdrawalRequest,
ConsolidationRequest, Withdrawal), as immutable msgspec structs with the spec's field names.

Byte fields hold raw bytes of the spec's fixed sizes (pubkey 48, signature 96, credentials 32, address 20) and
integers are uint64: the wire types (`stakework.spec.types`) make the decoder refuse anything else; the processing
functions check the sizes they rely on too.
"""

from __future__ import annotations

import msgspec

from stakework.codec.hashing import pack_uint64
from stakework.codec.ssz import hash_tree_root_container
from stakework.spec.types import U64, Bytes20, Bytes32, Bytes48, Bytes96


class VoluntaryExit(msgspec.Struct, frozen=True):
    """Spec: VoluntaryExit — the validator may exit from `epoch` on."""

    epoch: U64
    validator_index: U64

    def hash_tree_root(self) -> bytes:
        """SSZ hash_tree_root (the signed object root)."""
        return hash_tree_root_container([pack_uint64(self.epoch), pack_uint64(self.validator_index)])


class SignedVoluntaryExit(msgspec.Struct, frozen=True):
    """Spec: SignedVoluntaryExit — signed by the validator's BLS key."""

    message: VoluntaryExit
    signature: Bytes96


class DepositRequest(msgspec.Struct, frozen=True):
    """Spec: DepositRequest (EIP-6110). `index` is the deposit's position in the deposit contract's log."""

    pubkey: Bytes48
    withdrawal_credentials: Bytes32
    amount: U64
    signature: Bytes96
    index: U64


class WithdrawalRequest(msgspec.Struct, frozen=True):
    """Spec: WithdrawalRequest (EIP-7002). `amount` 0 (FULL_EXIT_REQUEST_AMOUNT) asks for a full exit;
    `source_address` is the 20-byte address in the validator's withdrawal credentials."""

    source_address: Bytes20
    validator_pubkey: Bytes48
    amount: U64


class ConsolidationRequest(msgspec.Struct, frozen=True):
    """Spec: ConsolidationRequest (EIP-7251). Source == target asks to switch the source to compounding (0x02)
    credentials; otherwise the source's balance moves to the target after the source exits."""

    source_address: Bytes20
    source_pubkey: Bytes48
    target_pubkey: Bytes48


class Withdrawal(msgspec.Struct, frozen=True):
    """Spec: Withdrawal (Capella) — `amount` Gwei paid from `validator_index` to `address` (20 bytes)."""

    index: U64
    validator_index: U64
    address: Bytes20
    amount: U64
