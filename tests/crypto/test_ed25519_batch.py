"""`ed25519.verify_batch`: a batch's verdicts, spread over threads, are exactly `verify`'s, item by item and in
order, over valid, mutated and edge-case signatures (small-order keys and R, non-canonical encodings, S >= L,
wrong lengths) — the transaction signature rule (RFC 8032 as libsodium applies it) is the same either way."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.crypto import ed25519
from stakework.crypto.ed25519 import MIN_PARALLEL_BATCH, AccountKey, verify, verify_batch

L = 2**252 + 27742317777372353535851937790883648493
"""The order of the Ed25519 base point: a canonical S is below it."""
P = 2**255 - 19

SMALL_ORDER = [
    bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000"),  # identity, order 1
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # order 2
    bytes.fromhex("0000000000000000000000000000000000000000000000000000000000000000"),  # order 4
    bytes.fromhex("0000000000000000000000000000000000000000000000000000000000000080"),  # order 4, sign bit set
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
]
"""Encodings of points of small order: libsodium refuses them as a key and as R; a cofactored batch equation
(ZIP-215) would accept signatures made of them."""


def _key(i: int) -> AccountKey:
    return AccountKey.from_seed(hashlib.sha256(b"batch test key " + i.to_bytes(4, "little")).digest())


def _valid(i: int) -> tuple[bytes, bytes, bytes]:
    k = _key(i % 7)
    message = b"message %d" % i
    return k.public_key, message, k.sign(message)


def _le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def _edge_cases() -> list[tuple[bytes, bytes, bytes]]:
    pk, message, sig = _valid(0)
    r, s = sig[:32], int.from_bytes(sig[32:], "little")
    cases = [
        (pk, message, sig),  # valid
        (pk, message, r + _le(s + L)),  # the same signature with S + L: not canonical
        (pk, message, r + _le(L)),  # S = L
        (pk, message, r + b"\xff" * 32),  # S far above L
        (pk, message, bytes(64)),  # all zero
        (pk, message, sig[:63]),  # short signature
        (pk, message, sig + b"\x00"),  # long signature
        (pk[:31], message, sig),  # short key
        (pk + b"\x00", message, sig),  # long key
        (pk, b"", sig),  # another message
        (_le(P + 1), message, sig),  # key with y >= p (non-canonical encoding of y = 1)
        (_le(P), message, sig),  # key with y = p
        (pk, message, _le(P + 1) + sig[32:]),  # R with y >= p
        (b"\xff" * 32, message, sig),  # not a point
    ]
    for small in SMALL_ORDER:
        cases.append((small, message, small + bytes(32)))  # small-order key and R, S = 0: [S]B = R + [k]A holds
        cases.append((small, message, sig))
        cases.append((pk, message, small + sig[32:]))
        cases.append((small, b"", _le(1) + bytes(32)))
    return cases


def test_verify_batch__edge_cases__same_verdicts_as_verify_one_by_one() -> None:
    cases = _edge_cases() * 4  # past MIN_PARALLEL_BATCH: the threads take part
    assert len(cases) > MIN_PARALLEL_BATCH
    expected = [verify(*c) for c in cases]
    for threads in (1, 2, 3):
        assert verify_batch(cases, threads=threads) == expected


def test_verify_batch__edge_cases__refused_as_the_transaction_rule_says() -> None:
    """The rule itself: only the untouched signature verifies; a small-order key or R and a non-canonical S are
    refused even where the bare equation [S]B = R + [k]A holds."""
    verdicts = verify_batch(_edge_cases() * 4, threads=2)
    assert verdicts[0] is True
    assert not any(verdicts[1 : len(_edge_cases())])


def test_verify_batch__bad_signatures_scattered__each_verdict_in_its_place() -> None:
    items = [_valid(i) for i in range(300)]
    bad = {3, 64, 65, 150, 299}
    for i in bad:
        pk, message, sig = items[i]
        items[i] = (pk, message, sig[:40] + bytes([sig[40] ^ 1]) + sig[41:])
    assert verify_batch(items, threads=2) == [i not in bad for i in range(300)]


def test_verify_batch__small_batch_or_one_thread__verified_in_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_pool(threads: int) -> None:
        raise AssertionError("no worker thread for this batch")

    monkeypatch.setattr(ed25519, "_executor", no_pool)
    assert verify_batch([_valid(i) for i in range(MIN_PARALLEL_BATCH - 1)], threads=2) == [True] * 63
    assert verify_batch([_valid(i) for i in range(100)], threads=1) == [True] * 100
    assert verify_batch([], threads=2) == []


def test_verify_batch__zero_threads__refused() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        verify_batch([_valid(0)], threads=0)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.binary(max_size=80),
            st.sampled_from(["none", "sig", "pk", "message"]),
            st.integers(0, 511),
        ),
        min_size=MIN_PARALLEL_BATCH,
        max_size=MIN_PARALLEL_BATCH + 40,
    )
)
def test_verify_batch__random_mutations__same_verdicts_as_verify(
    specs: list[tuple[int, bytes, str, int]],
) -> None:
    items = []
    for key_index, text, where, bit in specs:
        message = text
        k = _key(key_index)
        pk, sig = k.public_key, k.sign(message)
        if where == "sig":
            sig = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(sig))
        elif where == "pk":
            pk = bytes(b ^ (1 << (bit % 8)) if j == (bit // 8) % 32 else b for j, b in enumerate(pk))
        elif where == "message":
            message = message + bytes([bit % 256])
        items.append((pk, message, sig))
    assert verify_batch(items, threads=2) == [verify(*item) for item in items]
