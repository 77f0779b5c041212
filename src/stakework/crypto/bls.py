"""BLS12-381 signatures with Ethereum's proof-of-possession ciphersuite (Spec: `bls` = IETF BLS draft,
`BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`), via blspy's PopSchemeMPL."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

from blspy import AugSchemeMPL, G1Element, G2Element, PopSchemeMPL, PrivateKey

from stakework.spec.types import BLSPubkey, BLSSignature


class SecretKey:
    """A BLS secret key. `from_seed` derives one deterministically (EIP-2333 key_gen from 32+ bytes)."""

    __slots__ = ("_sk",)

    def __init__(self, sk: PrivateKey) -> None:
        self._sk = sk

    @classmethod
    def from_seed(cls, seed: bytes) -> SecretKey:
        if len(seed) < 32:
            raise ValueError("a BLS key seed needs at least 32 bytes")
        return cls(AugSchemeMPL.key_gen(seed))

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretKey:
        return cls(PrivateKey.from_bytes(data))

    def to_bytes(self) -> bytes:
        return bytes(self._sk)

    def public_key(self) -> BLSPubkey:
        return BLSPubkey(bytes(self._sk.get_g1()))

    def sign(self, message: bytes) -> BLSSignature:
        """Spec: bls.Sign."""
        return BLSSignature(bytes(PopSchemeMPL.sign(self._sk, message)))


def devnet_secret_key(index: int) -> SecretKey:
    """Deterministic key number `index` for devnets and tests. INSECURE: anyone can derive it."""
    return SecretKey.from_seed(hashlib.sha256(b"stakework devnet validator " + index.to_bytes(8, "little")).digest())


@functools.lru_cache(maxsize=1 << 18)
def _public_key(data: bytes) -> G1Element:
    """A deserialized (and subgroup-checked) public key, cached: validators' keys are verified against over and
    over, and deserializing one costs more than a pairing's share of an aggregate verification."""
    return G1Element.from_bytes(data)


def verify(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Spec: bls.Verify. False for malformed or invalid keys and signatures (never raises)."""
    try:
        pk = _public_key(bytes(pubkey))
        sig = G2Element.from_bytes(bytes(signature))
    except (ValueError, RuntimeError):
        return False
    if pk == G1Element():  # KeyValidate: the identity is not a valid public key
        return False
    try:
        return bool(PopSchemeMPL.verify(pk, bytes(message), sig))
    except (ValueError, RuntimeError):
        return False


def aggregate(signatures: Sequence[bytes]) -> BLSSignature:
    """Spec: bls.Aggregate."""
    if not signatures:
        raise ValueError("cannot aggregate zero signatures")
    return BLSSignature(bytes(PopSchemeMPL.aggregate([G2Element.from_bytes(bytes(s)) for s in signatures])))


def fast_aggregate_verify(pubkeys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    """Spec: bls.FastAggregateVerify — one message signed by every key. False on malformed input."""
    if not pubkeys:
        return False
    try:
        pks = [_public_key(bytes(p)) for p in pubkeys]
        sig = G2Element.from_bytes(bytes(signature))
        return bool(PopSchemeMPL.fast_aggregate_verify(pks, bytes(message), sig))
    except (ValueError, RuntimeError):
        return False
