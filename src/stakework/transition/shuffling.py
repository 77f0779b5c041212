"""Spec: the swap-or-not shuffle (compute_shuffled_index, compute_committee), scalar and vectorized.

The spec defines the shuffle one index at a time: `compute_shuffled_index(i, n, seed)` runs SHUFFLE_ROUND_COUNT
rounds, each of which maps a position `x` to its mirror `flip = (pivot - x) mod n` or leaves it, depending on one
bit of `hash(seed || round || (max(x, flip) // 256))`. Every position is independent of the others, so a round
can be applied to a whole array of positions at once: compute `flip` for all of them, look the decision bits up
in one bit array built from the round's bucket hashes, and select. That is how production clients shuffle whole
committees (one pass per round over the list instead of one hash chain per index); the result is, position for
position, the spec's `compute_shuffled_index`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.codec.hashing import sha256
from stakework.transition.errors import TransitionError

IndexArray = npt.NDArray[np.int64]


def _pivot(seed: bytes, round_bytes: bytes, index_count: int) -> int:
    return int.from_bytes(sha256(seed + round_bytes)[0:8], "little") % index_count


def compute_shuffled_index(index: int, index_count: int, seed: bytes, rounds: int) -> int:
    """Spec: compute_shuffled_index — the position `index` moves to under the swap-or-not shuffle of
    `index_count` positions seeded by `seed`, in `rounds` rounds (the preset's SHUFFLE_ROUND_COUNT).

    Precondition (the spec asserts it): 0 <= index < index_count. This is the plain per-index algorithm
    (phase0 text; Electra computes the same values through `compute_shuffled_permutation`), kept as the
    readable reference for `compute_shuffled_indices`.
    """
    if not 0 <= index < index_count:
        raise TransitionError(f"compute_shuffled_index: index {index} is not below index_count {index_count}")
    for current_round in range(rounds):
        round_bytes = current_round.to_bytes(1, "little")
        pivot = _pivot(seed, round_bytes, index_count)
        flip = (pivot + index_count - index) % index_count
        position = max(index, flip)
        source = sha256(seed + round_bytes + (position // 256).to_bytes(4, "little"))
        byte = source[(position % 256) // 8]
        bit = (byte >> (position % 8)) % 2
        index = flip if bit else index
    return index


def _bucket_keys(buckets: int) -> list[bytes]:
    return [k.to_bytes(4, "little") for k in range(buckets)]


def _round_bits_all(seed: bytes, round_bytes: bytes, keys: list[bytes]) -> npt.NDArray[np.uint8]:
    """The decision bit of every position for one round: bit p is bit (p % 8) of byte (p % 256) // 8 of
    hash(seed || round || p // 256), i.e. little-endian bit order over the concatenated bucket hashes.
    `keys` are the 4-byte little-endian bucket numbers 0..ceil(n / 256) - 1."""
    prefix = seed + round_bytes
    new = hashlib.sha256
    blob = b"".join([new(prefix + key).digest() for key in keys])
    return np.unpackbits(np.frombuffer(blob, dtype=np.uint8), bitorder="little")


def compute_shuffled_indices(positions: npt.ArrayLike, index_count: int, seed: bytes, rounds: int) -> IndexArray:
    """Spec: compute_shuffled_index applied to every entry of `positions` at once (vectorized swap-or-not).

    Returns an int64 array `out` with `out[k] == compute_shuffled_index(positions[k], index_count, seed, rounds)`.
    Precondition: every position is in [0, index_count). Cost per round: a few branch-free passes over
    `positions`, plus one SHA-256 per 256-position bucket the round touches (all buckets when `positions` is
    at least as long as the number of buckets, only the touched ones otherwise, so a short batch on a large
    list stays cheap).
    """
    requested = np.asarray(positions).reshape(-1)
    n = int(index_count)
    if requested.size == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= 0 or int(requested.min()) < 0 or int(requested.max()) >= n:
        raise TransitionError(f"compute_shuffled_indices: positions must lie in [0, {n})")
    if n == 1:
        return requested.astype(np.int64)  # a single position never moves (flip == 0 == position)
    # int32 halves the memory traffic; every intermediate lies in (-n, n).
    dtype: np.dtype[Any] = np.dtype(np.int32) if n < 2**31 else np.dtype(np.int64)
    sign_shift = 8 * dtype.itemsize - 1
    x = requested.astype(dtype)
    flip = np.empty_like(x)
    position = np.empty_like(x)
    scratch = np.empty_like(x)
    buckets = (n + 255) // 256
    keys = _bucket_keys(buckets) if x.size >= buckets else None
    bits_out = np.empty(x.shape, dtype=np.uint8)
    for current_round in range(rounds):
        round_bytes = current_round.to_bytes(1, "little")
        pivot = _pivot(seed, round_bytes, n)
        # flip = (pivot + n - x) % n without a division or a branch: pivot - x lies in (-n, n), and
        # (d >> sign) & n is n exactly when d is negative.
        np.subtract(pivot, x, out=flip)
        np.right_shift(flip, sign_shift, out=scratch)
        np.bitwise_and(scratch, n, out=scratch)
        np.add(flip, scratch, out=flip)
        np.maximum(x, flip, out=position)
        if keys is not None:
            np.take(_round_bits_all(seed, round_bytes, keys), position, out=bits_out)
        else:
            bits_out[:] = _round_bits_sparse(seed, round_bytes, position)
        # x = flip where the bit is set, else x: x ^= (x ^ flip) & -bit  (branch-free select)
        np.bitwise_xor(x, flip, out=scratch)
        mask = bits_out.astype(dtype)
        np.negative(mask, out=mask)
        np.bitwise_and(scratch, mask, out=scratch)
        np.bitwise_xor(x, scratch, out=x)
    return x.astype(np.int64)


def _round_bits_sparse(
    seed: bytes, round_bytes: bytes, position: npt.NDArray[np.signedinteger[npt.NBitBase]]
) -> npt.NDArray[np.uint8]:
    """The decision bits for the given positions, hashing only the buckets they fall in (one hash per position:
    a short batch on a large list rarely repeats a bucket, and skipping the dedup is cheaper than doing it)."""
    prefix = seed + round_bytes
    new = hashlib.sha256
    bucket = (position >> 8).tolist()
    blob = b"".join([new(prefix + k.to_bytes(4, "little")).digest() for k in bucket])
    table = np.frombuffer(blob, dtype=np.uint8).reshape(len(bucket), 32)
    within = position & 255
    byte = table[np.arange(len(bucket)), within >> 3]
    bits: npt.NDArray[np.uint8] = (byte >> (within & 7).astype(np.uint8)) & np.uint8(1)
    return bits


def shuffle_permutation(index_count: int, seed: bytes, rounds: int) -> IndexArray:
    """The whole shuffle as a permutation: `out[i] = compute_shuffled_index(i, index_count, seed, rounds)`
    (Spec: compute_shuffled_permutation).

    Works on the list rather than on tracked positions, as production clients do: a round of swap-or-not pairs
    each position `x` with its mirror `flip = (pivot - x) mod n`; the pairs are `(i, pivot - i)` below the
    pivot and `(pivot + 1 + k, n - 1 - k)` above it, and a pair swaps when the bit of its upper position is
    set. Both halves are contiguous (one of them reversed) slices, so a round is a few branch-free passes over
    slices of the list and of the round's bit table, with no gather. Applying the rounds from last to first to
    the list `0..n-1` leaves `out[i] = f_last(...f_0(i))`, which is compute_shuffled_index.
    """
    n = int(index_count)
    dtype: np.dtype[Any] = np.dtype(np.int32) if n < 2**31 else np.dtype(np.int64)
    out = np.arange(n, dtype=dtype)
    if n <= 1:
        return out.astype(np.int64)
    keys = _bucket_keys((n + 255) // 256)
    for current_round in range(rounds - 1, -1, -1):
        round_bytes = current_round.to_bytes(1, "little")
        pivot = _pivot(seed, round_bytes, n)
        bits = _round_bits_all(seed, round_bytes, keys)
        # (first position of the lower run, one past the last position of the upper run, number of pairs)
        for low, high_end, pairs in ((0, pivot + 1, (pivot + 1) // 2), (pivot + 1, n, (n - 1 - pivot) // 2)):
            if pairs == 0:
                continue
            lower = out[low : low + pairs]
            upper = out[high_end - pairs : high_end][::-1]  # the mirror of lower[k] is upper[k]
            mask = bits[high_end - pairs : high_end][::-1].astype(dtype)  # bit of max(x, flip) = the upper one
            np.negative(mask, out=mask)
            diff = lower ^ upper
            diff &= mask
            lower ^= diff  # branch-free conditional swap through views of `out`
            upper ^= diff
    return out.astype(np.int64)


def shuffle_indices(indices: npt.ArrayLike, seed: bytes, rounds: int) -> IndexArray:
    """The whole shuffled list: `out[i] = indices[compute_shuffled_index(i, len(indices), seed, rounds)]`.

    This is the order the spec's `compute_committee` draws from, so committee `k` of `count` is the slice
    `out[len * k // count : len * (k + 1) // count]`. Vectorized (`shuffle_permutation`): SHUFFLE_ROUND_COUNT
    rounds of slice operations over the list.
    """
    arr = np.asarray(indices, dtype=np.int64).reshape(-1)
    if arr.size == 0:
        return arr.copy()
    return arr[shuffle_permutation(arr.size, seed, rounds)]


def compute_committee(
    indices: Sequence[int] | npt.NDArray[np.integer], seed: bytes, index: int, count: int, rounds: int
) -> IndexArray:
    """Spec: compute_committee — committee `index` of `count` drawn from the shuffled `indices`.

    Shuffles only the committee's own positions (vectorized), not the whole list.
    Precondition: 0 <= index < count.
    """
    if not 0 <= index < count:
        raise TransitionError(f"compute_committee: committee index {index} is not below count {count}")
    arr = np.asarray(indices, dtype=np.int64).reshape(-1)
    n = arr.size
    start = n * index // count
    end = n * (index + 1) // count
    if end <= start:
        return np.zeros(0, dtype=np.int64)
    return arr[compute_shuffled_indices(np.arange(start, end, dtype=np.int64), n, seed, rounds)]
