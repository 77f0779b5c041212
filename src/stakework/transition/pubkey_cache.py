"""The validators' public keys decoded once (Lighthouse's ValidatorPubkeyCache): an aggregate verification
gathers its keys from here instead of decoding them.

Decoding a compressed G1 key with its subgroup check costs ~70-170 µs; a mainnet slot's aggregates hold ~30,000
keys and an epoch's hold every active validator, so a bounded LRU of decoded keys (crypto/bls.py keeps 2**18)
misses on nearly every key at a million validators. This table keeps one decoded key per validator index for
as long as the process runs, as a blst point (`bls.validated_key`, pyblst: ~190 bytes a key, ~190 MB at a
million; blspy's keys took ~280), which `bls.aggregate_keys` sums from Python as fast as blspy's own loop.

Pure memo, never stale: row `i` holds the 48 bytes it was decoded from, and a lookup compares the state's rows
with them (one vectorized compare of the gathered rows) and re-decodes any row that differs — another chain's
registry, a test's, or a state of this chain all get their own keys. The compare is skipped for a row last
found equal in a registry whose `pubkey` column has the same version (`Registry.versions`: equal versions,
equal columns; the column changes only by appends, which give it a new version). A key failing KeyValidate is
remembered as invalid and makes the aggregate invalid, as in `bls.fast_aggregate_verify`.

`aggregate_key` also keeps each committee's whole sum (committees are fixed for an epoch): the sum of the members
whose bit is set is then the committee's sum minus the few that did not attest (~2 % of a committee online
at 98 %), instead of ~500 additions a committee. Exact group arithmetic, not a guess from repeated bitfields: a
committee seen for the first time costs its full sum once, as before. A kept sum is used only while no decoded
key in the table has changed since it was made (a table generation); the members that attest are checked
against the state's registry as `validated_keys` does, and the absent ones cancel out (the same table points
added and subtracted), so the result is always the sum of the attesters' own keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.crypto import bls
from stakework.state.beacon_state import BeaconState

IndexArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]

MAX_COMMITTEE_SUMS = 4096
"""Committee sums kept: every committee of two epochs at mainnet size (64 a slot)."""


class _KeyTable:
    __slots__ = ("decoded", "generation", "invalid", "points", "raw", "sums", "verified")

    def __init__(self) -> None:
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        self.raw = np.zeros((0, bls.PUBKEY_SIZE), dtype=np.uint8)
        self.decoded = np.zeros(0, dtype=np.bool_)
        self.invalid = np.zeros(0, dtype=np.bool_)
        self.verified = np.zeros(0, dtype=np.int64)
        """Per row, the pubkey-column version of the registry whose row was last found equal to `raw` (0: none)."""
        self.points = np.empty(0, dtype=object)
        self.generation += 1
        """Bumped whenever a decoded row is replaced: committee sums made before it are not used."""
        self.sums: OrderedDict[bytes, tuple[int, Any]] = OrderedDict()
        """Committee members' int64 bytes -> (generation, the sum of their points)."""

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
        points = np.empty(size, dtype=object)
        points[:have] = self.points[:have]
        self.raw, self.decoded, self.invalid, self.verified, self.points = raw, decoded, invalid, verified, points

    def ready(self, registry: Any, idx: IndexArray) -> bool:
        """Rows `idx` of the table hold `registry`'s keys, decoded: compared (unless found equal before under
        the same pubkey version), re-decoded where they differ. False if any of them fails KeyValidate."""
        self.grow(len(registry))
        version = registry.versions(("pubkey",))
        check = idx if version is None else idx[self.verified[idx] != version[0]]
        if check.size:
            stale = check[np.any(self.raw[check] != registry.pubkey[check], axis=1)]
            if stale.size:
                if bool(self.decoded[stale].any()):
                    self.generation += 1
                self.raw[stale] = registry.pubkey[stale]
                self.decoded[stale] = False
                self.verified[stale] = 0
            if version is not None and registry.versions(("pubkey",)) == version:  # no append overlapped
                self.verified[check] = version[0]
        missing = np.unique(idx[~self.decoded[idx]])
        for i in missing.tolist():
            try:
                self.points[i] = bls.validated_key(self.raw[i].tobytes())
                self.invalid[i] = False
            except bls.BLSError:
                self.points[i] = None
                self.invalid[i] = True
            self.decoded[i] = True
        return not bool(self.invalid[idx].any())

    def committee_sum(self, registry: Any, committee: IndexArray) -> Any | None:
        """The sum of every member's point (kept), or None when a member's key fails KeyValidate."""
        key = committee.astype(np.int64, copy=False).tobytes()
        held = self.sums.get(key)
        if held is not None and held[0] == self.generation:
            self.sums.move_to_end(key)
            return held[1]
        if not self.ready(registry, committee):
            return None
        total = bls.aggregate_keys(self.points[committee])
        self.sums[key] = (self.generation, total)
        while len(self.sums) > MAX_COMMITTEE_SUMS:
            self.sums.popitem(last=False)
        return total


_table = _KeyTable()
_lock = threading.Lock()


def validated_keys(state: BeaconState, indices: IndexArray) -> tuple[Any, ...] | None:
    """The decoded public keys of validators `indices` (each in range), each through bls.KeyValidate; None if
    any of them fails it."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    with _lock:
        if not _table.ready(state.validators, idx):
            return None
        return tuple(_table.points[idx])


def aggregate_key(
    state: BeaconState, attesting: IndexArray, committees: Sequence[tuple[IndexArray, BoolArray]]
) -> Any | None:
    """Spec: the aggregate of FastAggregateVerify over `attesting` (in range), given as the members of
    `committees` whose bit is set (each pair a committee and its bits; together exactly `attesting`): the same
    point as `bls.aggregate_keys(validated_keys(state, attesting))`, found from kept committee sums. None if an
    attester's key fails KeyValidate."""
    idx = np.asarray(attesting, dtype=np.int64).reshape(-1)
    registry = state.validators
    with _lock:
        table = _table
        if not table.ready(registry, idx):
            return None
        total = bls.aggregate_keys(())
        for committee, bits in committees:
            absent = committee[~bits]
            whole = table.committee_sum(registry, committee) if 2 * absent.size < committee.size else None
            if whole is None:  # most of the committee absent, or a key of an absent member invalid
                total = total + bls.aggregate_keys(table.points[committee[bits]])
            elif absent.size:
                total = total + whole + -bls.aggregate_keys(table.points[absent])
            else:
                total = total + whole
        return total


def clear_committee_sums() -> None:
    """Forget the kept committee sums only (benchmarks: an aggregate of committees seen for the first time)."""
    with _lock:
        _table.sums.clear()


def clear() -> None:
    """Forget every decoded key and committee sum (tests)."""
    with _lock:
        _table.reset()
