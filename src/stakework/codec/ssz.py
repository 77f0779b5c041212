"""The few SSZ hash_tree_root computations consensus needs for signing (Spec: ssz/simple-serialize.md).

stakework's own state root is not SSZ, but signatures must be over the same signing roots Ethereum uses, so that
deposits signed by Ethereum tooling (and the reference vectors' deposits) verify here.
"""

from __future__ import annotations

from stakework.codec.hashing import bytes_chunks, merkleize_chunks, pack_uint64, sha256


def hash_tree_root_bytes(data: bytes) -> bytes:
    """hash_tree_root of a fixed-length ByteVector (Bytes32, Bytes48, Bytes96, Version...)."""
    return merkleize_chunks(bytes_chunks(data))


def hash_tree_root_container(field_roots: list[bytes]) -> bytes:
    """hash_tree_root of a container given the roots of its fields in order."""
    return merkleize_chunks(field_roots)


def hash_tree_root_uint64(value: int) -> bytes:
    return pack_uint64(value)


def deposit_message_root(pubkey: bytes, withdrawal_credentials: bytes, amount: int) -> bytes:
    """Spec: hash_tree_root(DepositMessage(pubkey, withdrawal_credentials, amount))."""
    return hash_tree_root_container(
        [hash_tree_root_bytes(pubkey), hash_tree_root_bytes(withdrawal_credentials), pack_uint64(amount)]
    )


def fork_data_root(current_version: bytes, genesis_validators_root: bytes) -> bytes:
    """Spec: compute_fork_data_root."""
    return hash_tree_root_container([hash_tree_root_bytes(current_version), genesis_validators_root])


def compute_domain(domain_type: bytes, fork_version: bytes, genesis_validators_root: bytes = b"\x00" * 32) -> bytes:
    """Spec: compute_domain — 4-byte domain type + first 28 bytes of the fork data root."""
    return domain_type + fork_data_root(fork_version, genesis_validators_root)[:28]


def compute_signing_root(object_root: bytes, domain: bytes) -> bytes:
    """Spec: compute_signing_root — hash_tree_root(SigningData(object_root, domain))."""
    return sha256(object_root + domain)


def checkpoint_root(epoch: int, root: bytes) -> bytes:
    """Spec: hash_tree_root(Checkpoint(epoch, root))."""
    return hash_tree_root_container([pack_uint64(epoch), root])


def attestation_data_root(
    slot: int, index: int, beacon_block_root: bytes, source: tuple[int, bytes], target: tuple[int, bytes]
) -> bytes:
    """Spec: hash_tree_root(AttestationData(slot, index, beacon_block_root, source, target))."""
    return hash_tree_root_container(
        [pack_uint64(slot), pack_uint64(index), beacon_block_root, checkpoint_root(*source), checkpoint_root(*target)]
    )


def block_header_root(slot: int, proposer_index: int, parent_root: bytes, state_root: bytes, body_root: bytes) -> bytes:
    """Spec: hash_tree_root(BeaconBlockHeader(...)) — the block root."""
    return hash_tree_root_container(
        [pack_uint64(slot), pack_uint64(proposer_index), parent_root, state_root, body_root]
    )
