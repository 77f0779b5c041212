"""BLS12-381 signatures with Ethereum's proof-of-possession ciphersuite (Spec: `bls` = IETF BLS draft,
`BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`), via blspy's PopSchemeMPL.

blspy follows the IETF draft's core operations but leaves out some of the checks Ethereum's consensus specs
add (ethereum/bls12-381-tests, run in tests/crypto/test_bls_vectors.py); this module adds them:

- blspy accepts the zero secret key (its public key is the point at infinity, and it "signs" with it): refused
  here with `InvalidSecretKey` (Spec: a secret key is an integer in 1..r-1, KeyGen / SkToPk);
- blspy's `fast_aggregate_verify` and `aggregate_verify` accept the point at infinity among the public keys (it
  adds nothing to the aggregate): every key here must pass KeyValidate (not the identity, in G1);
- blspy's `aggregate_verify([], [], infinity)` is True and `aggregate([])` is the infinity point: an empty
  key list verifies nothing here (False), and aggregating no signature raises `BLSError`.

Keys kept decoded for aggregates (`validated_key`, `fast_aggregate_verify_keys`: transition/pubkey_cache.py) are
blst points through pyblst: summed from Python (`aggregate_keys`, for the committee sums the key table keeps) at
the speed of blspy's own FastAggregateVerify loop (30,000 decoded keys: 52 against 48 ms, where a Python loop of
blspy additions takes 67 ms, same process), and ~190 bytes a key against blspy's ~280. Both libraries are blst
underneath; the sum goes to blspy as one key for the pairing.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable, Sequence

from blspy import AugSchemeMPL, G1Element, G2Element, PopSchemeMPL, PrivateKey
from pyblst import BlstP1Element

from stakework.spec.errors import StakeworkError
from stakework.spec.types import BLSPubkey, BLSSignature

SECRET_KEY_SIZE = 32
PUBKEY_SIZE = 48
SIGNATURE_SIZE = 96


class BLSError(StakeworkError):
    """A BLS operation was given input it cannot use: a malformed point, or nothing to aggregate."""


class InvalidSecretKey(BLSError):
    """Bytes that are not a BLS12-381 secret key: not 32 bytes, zero, or not below the group order r."""


_ZERO_KEY = bytes(SECRET_KEY_SIZE)


class SecretKey:
    """A BLS secret key: an integer in 1..r-1 (never zero: zero's public key is the point at infinity and its
    "signature" verifies for nobody). `from_seed` derives one deterministically (EIP-2333 key_gen)."""

    __slots__ = ("_sk",)

    def __init__(self, sk: PrivateKey) -> None:
        if bytes(sk) == _ZERO_KEY:
            raise InvalidSecretKey("the BLS secret key is zero; a secret key must be from 1 to r-1")
        self._sk = sk

    @classmethod
    def from_seed(cls, seed: bytes) -> SecretKey:
        if len(seed) < 32:
            raise InvalidSecretKey("a BLS key seed needs at least 32 bytes")
        return cls(AugSchemeMPL.key_gen(seed))

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretKey:
        """Spec: a big-endian 32-byte integer in 1..r-1; anything else raises InvalidSecretKey."""
        data = bytes(data)
        if len(data) != SECRET_KEY_SIZE:
            raise InvalidSecretKey(f"a BLS secret key is {SECRET_KEY_SIZE} bytes, not {len(data)}")
        if data == _ZERO_KEY:
            raise InvalidSecretKey("the BLS secret key is zero; a secret key must be from 1 to r-1")
        try:
            sk = PrivateKey.from_bytes(data)
        except (ValueError, RuntimeError):
            raise InvalidSecretKey("the BLS secret key is not below the group order r") from None
        return cls(sk)

    def to_bytes(self) -> bytes:
        return bytes(self._sk)

    def public_key(self) -> BLSPubkey:
        """Spec: bls.SkToPk."""
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


def decode_pubkey(data: bytes) -> G1Element:
    """Spec: the ZCash compressed G1 encoding, checked to be on the curve and in G1 (blspy's from_bytes). The
    point at infinity decodes (it is a valid encoding); `key_validate` is what refuses it as a public key."""
    data = bytes(data)
    if len(data) != PUBKEY_SIZE:
        raise BLSError(f"a BLS public key is {PUBKEY_SIZE} bytes, not {len(data)}")
    try:
        return _public_key(data)
    except (ValueError, RuntimeError) as exc:
        raise BLSError(f"not a valid compressed G1 point ({exc})") from None


def decode_signature(data: bytes) -> G2Element:
    """Spec: the ZCash compressed G2 encoding, checked to be on the curve and in G2 (blspy's from_bytes)."""
    data = bytes(data)
    if len(data) != SIGNATURE_SIZE:
        raise BLSError(f"a BLS signature is {SIGNATURE_SIZE} bytes, not {len(data)}")
    try:
        return G2Element.from_bytes(data)
    except (ValueError, RuntimeError) as exc:
        raise BLSError(f"not a valid compressed G2 point ({exc})") from None


_INFINITY_G1 = G1Element()


_INFINITY_FLAG = 0x40
"""Bit 6 of a compressed point's first byte (ZCash encoding): set exactly when the encoding is of the point at
infinity; a point decoded from an encoding without it has an x-coordinate and is never the identity."""


def _validated_key(pubkey: bytes) -> G1Element:
    """Spec: bls.KeyValidate — decodes, is in G1 and is not the identity; raises BLSError otherwise. The identity
    test compares points only for an encoding with the infinity flag (comparing a point, ~3 µs, was most of an
    aggregate's cost over cached keys: 30,000 keys in a mainnet slot)."""
    pk = decode_pubkey(pubkey)
    if pubkey[0] & _INFINITY_FLAG and pk == _INFINITY_G1:
        raise BLSError("the point at infinity is not a valid public key (KeyValidate)")
    return pk


_IDENTITY_P1 = BlstP1Element()
"""blst's G1 point at infinity (a new BlstP1Element is the identity)."""


def validated_key(pubkey: bytes) -> BlstP1Element:
    """Spec: bls.KeyValidate, returning the decoded key as a blst point; raises BLSError when the key fails it.
    For callers that keep decoded keys (transition/pubkey_cache.py) and pass them to `fast_aggregate_verify_keys`.
    The same rule as `key_validate`: a 48-byte ZCash compressed encoding of a point on the curve, in G1 (blst's
    uncompress checks both), and not the identity (with the infinity flag set, the identity is all that
    decodes)."""
    data = bytes(pubkey)
    if len(data) != PUBKEY_SIZE:
        raise BLSError(f"a BLS public key is {PUBKEY_SIZE} bytes, not {len(data)}")
    try:
        point = BlstP1Element().uncompress(data)
    except ValueError as exc:
        raise BLSError(f"not a valid compressed G1 point ({exc})") from None
    if data[0] & _INFINITY_FLAG:
        raise BLSError("the point at infinity is not a valid public key (KeyValidate)")
    return point


def key_validate(pubkey: bytes) -> bool:
    """Spec: bls.KeyValidate."""
    try:
        _validated_key(pubkey)
    except BLSError:
        return False
    return True


def verify(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Spec: bls.Verify. False for malformed or invalid keys (KeyValidate) and signatures (never raises)."""
    try:
        pk = _validated_key(pubkey)
        sig = decode_signature(signature)
        return bool(PopSchemeMPL.verify(pk, bytes(message), sig))
    except (ValueError, RuntimeError):
        return False


def aggregate(signatures: Sequence[bytes]) -> BLSSignature:
    """Spec: bls.Aggregate. Raises BLSError for an empty list (blspy would return the infinity point) or a
    malformed signature."""
    if not signatures:
        raise BLSError("cannot aggregate zero signatures")
    return BLSSignature(bytes(PopSchemeMPL.aggregate([decode_signature(s) for s in signatures])))


def fast_aggregate_verify(pubkeys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    """Spec: bls.FastAggregateVerify — one message signed by every key. False for no keys, any key failing
    KeyValidate (blspy alone accepts the point at infinity among them) and malformed input."""
    if not pubkeys:
        return False
    try:
        pks = [_validated_key(p) for p in pubkeys]
        sig = decode_signature(signature)
        return bool(PopSchemeMPL.fast_aggregate_verify(pks, bytes(message), sig))
    except (ValueError, RuntimeError):
        return False


def aggregate_keys(keys: Iterable[BlstP1Element]) -> BlstP1Element:
    """The sum of decoded keys (Spec: FastAggregateVerify's `aggregate = pubkey_to_point(PK_1) + ...`), one blst
    addition each, looped in C (`sum`)."""
    return sum(keys, _IDENTITY_P1)


def verify_aggregate_key(aggregate: BlstP1Element, message: bytes, signature: bytes) -> bool:
    """Spec: FastAggregateVerify's last step, CoreVerify(point_to_pubkey(aggregate), message, signature), for a
    sum of KeyValidated keys: False when the sum is the identity (CoreVerify's KeyValidate of the aggregate,
    as the reference py_ecc) or the signature is malformed."""
    if aggregate == _IDENTITY_P1:
        return False
    try:
        key = G1Element.from_bytes(aggregate.compress())
        sig = decode_signature(signature)
        return bool(PopSchemeMPL.verify(key, bytes(message), sig))
    except (ValueError, RuntimeError):
        return False


def fast_aggregate_verify_keys(keys: Sequence[BlstP1Element], message: bytes, signature: bytes) -> bool:
    """Spec: bls.FastAggregateVerify over keys already decoded and KeyValidated (each from `validated_key`): the
    same result as `fast_aggregate_verify` on their encodings, without decoding them again. False for no keys,
    keys summing to the identity and a malformed signature."""
    if not keys:
        return False
    return verify_aggregate_key(aggregate_keys(keys), message, signature)


def aggregate_verify(pubkeys: Sequence[bytes], messages: Sequence[bytes], signature: bytes) -> bool:
    """Spec: bls.AggregateVerify — message i signed by key i. False for no keys (blspy alone says True for
    no keys and the infinity signature), unequal lengths, any key failing KeyValidate and malformed input."""
    if not pubkeys or len(pubkeys) != len(messages):
        return False
    try:
        pks = [_validated_key(p) for p in pubkeys]
        sig = decode_signature(signature)
        return bool(PopSchemeMPL.aggregate_verify(pks, [bytes(m) for m in messages], sig))
    except (ValueError, RuntimeError):
        return False


_RANDOMIZER_BITS = 64
"""Each signature set's random weight: a forged batch passes with probability about 2**-64 (as in Lighthouse's
and Prysm's batch verification)."""


def _times(point: G1Element | G2Element, scalar: int) -> G1Element | G2Element:
    """`scalar` × `point` by double-and-add (blspy exposes no scalar multiplication of points)."""
    acc = point
    for bit in bin(scalar)[3:]:
        acc = acc + acc
        if bit == "1":
            acc = acc + point
    return acc


def _window_bits(n: int, bits: int) -> int:
    """The window width (2..8) that costs `_sum_of_multiples` the fewest point additions for n points."""
    return min(range(2, 9), key=lambda c: -(-bits // c) * (n + (1 << c)) + bits)


def _sum_of_multiples(points: Sequence[G2Element], scalars: Sequence[int], bits: int) -> G2Element:
    """Σ scalar_i × point_i (scalars below 2**bits, not all zero) by Pippenger's bucket method: about
    bits/c × (n + 2**c) additions instead of n × 1.5 × bits for n double-and-adds."""
    c = _window_bits(len(points), bits)
    mask = (1 << c) - 1
    total: G2Element | None = None
    for shift in reversed(range(0, bits, c)):
        if total is not None:
            for _ in range(c):
                total = total + total
        buckets: list[G2Element | None] = [None] * (mask + 1)
        for point, scalar in zip(points, scalars, strict=True):
            i = (scalar >> shift) & mask
            if i:
                held = buckets[i]
                buckets[i] = point if held is None else held + point
        running: G2Element | None = None
        window: G2Element | None = None
        for i in range(mask, 0, -1):  # Σ i × bucket_i as a sum of running sums
            held = buckets[i]
            if held is not None:
                running = held if running is None else running + held
            if running is not None:
                window = running if window is None else window + running
        if window is not None:
            total = window if total is None else total + window
    if total is None:
        raise BLSError("no nonzero scalar to sum")
    return total


class SignatureBatch:
    """Signature sets (keys, one message, a signature: FastAggregateVerify's input) checked together.

    `verify` is True only if every set would pass `fast_aggregate_verify` (up to a 2**-64 chance, per call): each
    set gets a random nonzero 64-bit weight r_i, and one aggregate verification checks
    e(g1, Σ r_i·sig_i) = Π e(r_i·Σpk, H(m_i)). Plain aggregation (all r_i = 1) would not do: whoever makes two
    of the signatures could add X to one and −X to the other, and the sum would still verify. A set that could
    not pass on its own (no keys, a key failing KeyValidate, a malformed signature, keys summing to the point at
    infinity) makes `verify` False. On False the caller verifies one by one to learn which set is bad.
    """

    __slots__ = ("_failed", "_keys", "_signatures", "_weights")

    def __init__(self) -> None:
        self._keys: dict[bytes, G1Element] = {}
        """Per distinct message, Σ r_i·pk_i of its sets (one pairing per message: e(Σ r_i·pk_i, H(m)))."""
        self._signatures: list[G2Element] = []
        self._weights: list[int] = []
        self._failed = False

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, pubkeys: Sequence[bytes], message: bytes, signature: bytes) -> None:
        """Defer `fast_aggregate_verify(pubkeys, message, signature)` to `verify`."""
        if self._failed:
            return
        try:
            if not pubkeys:
                raise BLSError("no keys")
            keys = [_validated_key(p) for p in pubkeys]
            sig = decode_signature(signature)
        except (BLSError, ValueError, RuntimeError):
            self._failed = True
            return
        key = keys[0]
        for k in keys[1:]:
            key = key + k
        self._add_key(key, message, sig)

    def add_aggregate(self, aggregate: BlstP1Element | None, message: bytes, signature: bytes) -> None:
        """Defer `verify_aggregate_key(aggregate, message, signature)` to `verify`: the same as `add` with keys
        whose sum is `aggregate` (from `aggregate_keys` over `validated_key`s; None when a key failed KeyValidate,
        which makes the batch fail as `add` would)."""
        if self._failed:
            return
        try:
            if aggregate is None:
                raise BLSError("a key failed KeyValidate")
            key = _INFINITY_G1 if aggregate == _IDENTITY_P1 else G1Element.from_bytes(aggregate.compress())
            sig = decode_signature(signature)
        except (BLSError, ValueError, RuntimeError):
            self._failed = True
            return
        self._add_key(key, message, sig)

    def _add_key(self, key: G1Element, message: bytes, sig: G2Element) -> None:
        if key == _INFINITY_G1:
            self._failed = True
            return
        weight = 0
        while weight == 0:
            weight = secrets.randbits(_RANDOMIZER_BITS)
        weighted = _times(key, weight)
        message = bytes(message)
        held = self._keys.get(message)
        self._keys[message] = weighted if held is None else held + weighted
        self._signatures.append(sig)
        self._weights.append(weight)

    def verify(self) -> bool:
        """True when every set added is valid (see the class); False for an empty batch."""
        if self._failed or not self._signatures:
            return False
        try:
            signature = _sum_of_multiples(self._signatures, self._weights, _RANDOMIZER_BITS)
            keys = list(self._keys.values())
            if any(k == _INFINITY_G1 for k in keys):  # weighted keys of one message cancelled out: decide one by one
                return False
            return bool(PopSchemeMPL.aggregate_verify(keys, list(self._keys), signature))
        except (BLSError, ValueError, RuntimeError):
            return False
