"""Keys decoded once for aggregates (`bls.validated_key`, blst points through pyblst) and their verification
(`bls.fast_aggregate_verify_keys`) give exactly what the encodings give through blspy: KeyValidate accepts the
same encodings (every key of Ethereum's BLS vectors, random and mutated bytes), every fast_aggregate_verify
vector has its expected result, and the sum of keys is blspy's sum."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from blspy import G1Element
from hypothesis import given
from hypothesis import strategies as st

from stakework.crypto import bls

VECTORS = Path(__file__).resolve().parent / "vectors" / "bls12-381-tests"
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


def _b(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _vector_keys() -> list[bytes]:
    keys = set()
    for f in sorted(VECTORS.glob("deserialization_G1/*.json")):
        keys.add(_b(json.loads(f.read_text())["input"]["pubkey"]))
    for handler in ("verify", "fast_aggregate_verify", "aggregate_verify"):
        for f in sorted(VECTORS.glob(f"{handler}/*.json")):
            inp = json.loads(f.read_text())["input"]
            keys.update(_b(k) for k in ([inp["pubkey"]] if "pubkey" in inp else inp["pubkeys"]))
    return sorted(keys)


def _accepts(pubkey: bytes) -> bool:
    try:
        bls.validated_key(pubkey)
    except bls.BLSError:
        return False
    return True


@pytest.mark.parametrize("pubkey", _vector_keys(), ids=lambda k: k.hex()[:16])
def test_validated_key__every_vector_key__accepted_iff_key_validate(pubkey):
    assert _accepts(pubkey) is bls.key_validate(pubkey)


def _real_key(i: int) -> bytes:
    return bytes(bls.SecretKey.from_bytes((i + 1).to_bytes(32, "big")).public_key())


@given(st.integers(0, 50), st.integers(0, 47), st.integers(0, 255), st.sampled_from([0, 0x20, 0x40, 0x80, 0xE0]))
def test_validated_key__mutated_real_keys__accepted_iff_key_validate(i, position, value, flags):
    key = bytearray(_real_key(i))
    key[position] = value
    key[0] ^= flags
    assert _accepts(bytes(key)) is bls.key_validate(bytes(key))


@given(st.binary(min_size=0, max_size=97))
def test_validated_key__random_bytes__accepted_iff_key_validate(data):
    assert _accepts(data) is bls.key_validate(data)


@pytest.mark.parametrize(
    "case",
    [json.loads(f.read_text()) for f in sorted(VECTORS.glob("fast_aggregate_verify/*.json"))],
)
def test_fast_aggregate_verify_keys__vector__expected_result(case):
    inp = case["input"]
    pubkeys = [_b(p) for p in inp["pubkeys"]]
    if not all(_accepts(p) for p in pubkeys):
        assert case["output"] is False  # a key failing KeyValidate: the caller's table reports the set invalid
        return
    keys = [bls.validated_key(p) for p in pubkeys]
    assert bls.fast_aggregate_verify_keys(keys, _b(inp["message"]), _b(inp["signature"])) is case["output"]


@given(st.lists(st.integers(1, R - 1), min_size=1, max_size=12), st.binary(min_size=32, max_size=32))
def test_fast_aggregate_verify_keys__random_sets__same_as_encodings_and_blspy_sum(secrets, message):
    pubkeys = [bls.SecretKey.from_bytes(s.to_bytes(32, "big")).public_key() for s in secrets]
    keys = [bls.validated_key(p) for p in pubkeys]
    expected = G1Element()
    for p in pubkeys:
        expected = expected + G1Element.from_bytes(p)
    assert bls.aggregate_keys(keys).compress() == bytes(expected)
    good = bls.SecretKey.from_bytes((sum(secrets) % R or 1).to_bytes(32, "big")).sign(message)
    other = bls.SecretKey.from_bytes(((sum(secrets) + 1) % R or 2).to_bytes(32, "big")).sign(message)
    for signature in (good, other, b"\xc0" + bytes(95), b"\x00" * 96):
        assert bls.fast_aggregate_verify_keys(keys, message, signature) is bls.fast_aggregate_verify(
            pubkeys, message, signature
        )


def test_fast_aggregate_verify_keys__keys_summing_to_identity__false_as_the_encodings():
    """pk and -pk (the sign bit flipped) are both valid keys; their sum is the identity, which CoreVerify's
    KeyValidate of the aggregate refuses (py_ecc's FastAggregateVerify), even with the identity signature."""
    pk = bls.devnet_secret_key(0).public_key()
    negated = bytes([pk[0] ^ 0x20]) + pk[1:]
    assert bls.key_validate(negated)
    keys = [bls.validated_key(pk), bls.validated_key(negated)]
    for signature in (b"\xc0" + bytes(95), bls.devnet_secret_key(0).sign(b"\x01" * 32)):
        assert not bls.fast_aggregate_verify_keys(keys, b"\x01" * 32, signature)
        assert not bls.fast_aggregate_verify([pk, negated], b"\x01" * 32, signature)


def test_fast_aggregate_verify_keys__no_keys__false():
    assert not bls.fast_aggregate_verify_keys([], b"\x01" * 32, b"\xc0" + bytes(95))


def _aggregate_or_none(pubkeys: list[bytes]) -> object:
    try:
        return bls.aggregate_keys([bls.validated_key(p) for p in pubkeys])
    except bls.BLSError:
        return None


@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(1, 40), min_size=1, max_size=5),
            st.sampled_from(["good", "other", "infinity_key", "negated_pair"]),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_signature_batch__add_aggregate__same_verdict_as_add_with_the_encodings(sets):
    """A batch of sets added as decoded aggregates (the block import's path) verifies exactly when the same sets
    added as key encodings do (and when each set verifies on its own): invalid keys, keys summing to the
    identity, wrong signatures."""
    by_keys, by_aggregate = bls.SignatureBatch(), bls.SignatureBatch()
    alone = []
    for secrets, kind, message in sets:
        pubkeys = [_real_key(s - 1) for s in secrets]
        signature = bls.SecretKey.from_bytes((sum(secrets) % R).to_bytes(32, "big")).sign(message)
        if kind == "other":
            signature = bls.SecretKey.from_bytes(((sum(secrets) + 1) % R or 2).to_bytes(32, "big")).sign(message)
        elif kind == "infinity_key":
            pubkeys.append(b"\xc0" + bytes(47))
        elif kind == "negated_pair":
            pubkeys = [pubkeys[0], bytes([pubkeys[0][0] ^ 0x20]) + pubkeys[0][1:]]
            signature = b"\xc0" + bytes(95)
        by_keys.add(pubkeys, message, signature)
        by_aggregate.add_aggregate(_aggregate_or_none(pubkeys), message, signature)
        alone.append(bls.fast_aggregate_verify(pubkeys, message, signature))
    assert by_aggregate.verify() is by_keys.verify() is all(alone)
