"""The validators' public keys decoded once (Lighthouse's ValidatorPubkeyCache): an aggregate verification
gathers its keys from here instead of decoding them.

Decoding a compressed G1 key with its subgroup check costs ~70-170 µs; a mainnet slot's aggregates hold ~30,000
keys and an epoch's hold every active validator, so a bounded LRU of decoded keys (crypto/bls.py keeps 2**18)
misses on nearly every key at a million validators. This table keeps one decoded key per validator index for
as long as the process runs, as a blst point (`bls.validated_key`, pyblst: ~180 bytes a key, ~180 MB at a
million; blspy's keys took ~280), which `bls.fast_aggregate_verify_keys` sums at ~0.8 µs a key.

Pure memo, never stale: row `i` holds the 48 bytes it was decoded from, and a lookup compares the state's rows
with them (one vectorized compare of the gathered rows) and re-decodes any row that differs — another chain's
registry, a test's, or a state of this chain all get their own keys. The compare is skipped for a row last
found equal in a registry whose `pubkey` column has the same version (`Registry.versions`: equal versions,
equal columns; the column changes only by appends, which give it a new version). A key failing KeyValidate is
remembered as invalid and makes the aggregate invalid, as in `bls.fast_aggregate_verify`.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.crypto import bls
from stakework.state.beacon_state import BeaconState

IndexArray = npt.NDArray[np.int64]


class _KeyTable:
    __slots__ = ("decoded", "invalid", "points", "raw", "verified")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.raw = np.zeros((0, bls.PUBKEY_SIZE), dtype=np.uint8)
        self.decoded = np.zeros(0, dtype=np.bool_)
        self.invalid = np.zeros(0, dtype=np.bool_)
        self.verified = np.zeros(0, dtype=np.int64)
        """Per row, the pubkey-column version of the registry whose row was last found equal to `raw` (0: none)."""
        self.points: list[Any] = []

    def grow(self, n: int) -> None:
        have = len(self.points)
        if n <= have:
            return
        size = max(n, 2 * have)
        raw = np.zeros((size, bls.PUBKEY_SIZE), dtype=np.uint8)
        raw[:have] = self.raw[:have]
        decoded = np.zeros(size, dtype=np.bool_)
        decoded[:have] = self.decoded[:have]
        invalid = np.zeros(size, dtype=np.bool_)
        invalid[:have] = self.invalid[:have]
        verified = np.zeros(size, dtype=np.int64)
        verified[:have] = self.verified[:have]
        self.raw, self.decoded, self.invalid, self.verified = raw, decoded, invalid, verified
        self.points.extend([None] * (size - have))


_table = _KeyTable()
_lock = threading.Lock()


def validated_keys(state: BeaconState, indices: IndexArray) -> tuple[Any, ...] | None:
    """The decoded public keys of validators `indices` (each in range), each through bls.KeyValidate; None if
    any of them fails it."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    registry = state.validators
    version = registry.versions(("pubkey",))
    with _lock:
        table = _table
        table.grow(len(registry))
        check = idx if version is None else idx[table.verified[idx] != version[0]]
        if check.size:
            stale = check[np.any(table.raw[check] != registry.pubkey[check], axis=1)]
            if stale.size:
                table.raw[stale] = registry.pubkey[stale]
                table.decoded[stale] = False
                table.verified[stale] = 0
            if version is not None and registry.versions(("pubkey",)) == version:  # no append overlapped
                table.verified[check] = version[0]
        missing = np.unique(idx[~table.decoded[idx]])
        for i in missing.tolist():
            try:
                table.points[i] = bls.validated_key(table.raw[i].tobytes())
                table.invalid[i] = False
            except bls.BLSError:
                table.points[i] = None
                table.invalid[i] = True
            table.decoded[i] = True
        if bool(table.invalid[idx].any()):
            return None
        if idx.size == 1:
            return (table.points[int(idx[0])],)
        keys: tuple[Any, ...] = operator.itemgetter(*idx.tolist())(table.points)
        return keys


def clear() -> None:
    """Forget every decoded key (tests)."""
    with _lock:
        _table.reset()
