"""Block operation messages (Spec: VoluntaryExit, SignedVoluntaryExit, DepositRequest, WithdrawalRequest,
ConsolidationRequest, Withdrawal), as immutable msgspec structs with the spec's field names.

Byte fields hold raw bytes of the spec's fixed sizes (pubkey 48, signature 96, credentials 32, address 20);
the processing functions check the sizes they rely on.
"""

from __future__ import annotations

import msgspec

from stakework.codec.hashing import pack_uint64
from stakework.codec.ssz import hash_tree_root_container


class VoluntaryExit(msgspec.Struct, frozen=True):
    """Spec: VoluntaryExit — the validator may exit from `epoch` on."""

    epoch: int
    validator_index: int

    def hash_tree_root(self) -> bytes:
        """SSZ hash_tree_root (the signed object root)."""
        return hash_tree_root_container([pack_uint64(self.epoch), pack_uint64(self.validator_index)])


class SignedVoluntaryExit(msgspec.Struct, frozen=True):
    """Spec: SignedVoluntaryExit — signed by the validator's BLS key."""

    message: VoluntaryExit
    signature: bytes


class DepositRequest(msgspec.Struct, frozen=True):
    """Spec: DepositRequest (EIP-6110). `index` is the deposit's position in the deposit contract's log."""

    pubkey: bytes
    withdrawal_credentials: bytes
    amount: int
    signature: bytes
    index: int


class WithdrawalRequest(msgspec.Struct, frozen=True):
    """Spec: WithdrawalRequest (EIP-7002). `amount` 0 (FULL_EXIT_REQUEST_AMOUNT) asks for a full exit;
    `source_address` is the 20-byte address in the validator's withdrawal credentials."""

    source_address: bytes
    validator_pubkey: bytes
    amount: int


class ConsolidationRequest(msgspec.Struct, frozen=True):
    """Spec: ConsolidationRequest (EIP-7251). Source == target asks to switch the source to compounding (0x02)
    credentials; otherwise the source's balance moves to the target after the source exits."""

    source_address: bytes
    source_pubkey: bytes
    target_pubkey: bytes


class Withdrawal(msgspec.Struct, frozen=True):
    """Spec: Withdrawal (Capella) — `amount` Gwei paid from `validator_index` to `address` (20 bytes)."""

    index: int
    validator_index: int
    address: bytes
    amount: int
