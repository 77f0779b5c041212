"""Latest messages as columns: one entry per validator index, the way the registry is stored.

The spec keeps `store.latest_messages: Dict[ValidatorIndex, LatestMessage]` and `store.equivocating_indices`
and recomputes every weight from them (`get_attestation_score`). A proto-array instead keeps each node's
weight and moves it by *deltas*: when a validator's vote moves from node `a` to node `b`, or its balance changes,
`a` loses the balance that was counted for it and `b` gains the new one (Lighthouse's `compute_deltas`).

Here the votes are numpy arrays indexed by validator, so that applying an epoch of attestations from a million
validators, and turning them into per-node deltas, is whole-array work with no Python loop over validators:

- `current[i]`: proto-array index of the node whose weight includes validator `i`'s balance (-1: none);
- `next[i]`: index of the node its latest message names (-1: none, or equivocating);
- `epoch[i]`: target epoch of its latest message (-1: no message yet);
- `equivocating[i]`: validator `i` is in `store.equivocating_indices`, its votes never count again;
- `applied_balances`: the balances the weights were last computed with (the justified state's, then).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.forkchoice.errors import InvalidAttestationError

IndexArray = npt.NDArray[np.int64]
ValidatorIndices = Iterable[int] | npt.NDArray[np.integer[Any]]
"""Validator indices as any iterable of ints, or (fastest) an integer numpy array."""
BalanceArray = npt.NDArray[np.uint64]

NONE = -1
"""No node (a validator without a vote, or whose vote names a pruned block)."""

_FLOAT_EXACT = 2**53
"""float64 adds integers exactly while every partial sum stays below this."""


def grouped_sum(groups: IndexArray, values: BalanceArray, size: int) -> IndexArray:
    """`out[g] = sum(values[groups == g])` as exact int64, for `g` in `range(size)`.

    `np.bincount` is the fast grouped sum but adds in float64, exact only below 2**53 Gwei (about nine million
    SWK): a million validators of 32 SWK already exceed it. Balances are therefore split into a high and a low
    32-bit half, each summed exactly while fewer than 2**21 values are added; past that, `np.add.at` on int64
    (slower, always exact). Totals must stay below 2**63 Gwei, far above any supply.
    """
    out = np.zeros(size, dtype=np.int64)
    count = int(groups.size)
    if count == 0:
        return out
    top = int(values.max())
    if top * count < _FLOAT_EXACT:
        out += np.bincount(groups, weights=values.astype(np.float64), minlength=size).astype(np.int64)
    elif count < 2**21:
        low = (values & np.uint64(0xFFFFFFFF)).astype(np.float64)
        high = (values >> np.uint64(32)).astype(np.float64)
        out += np.bincount(groups, weights=low, minlength=size).astype(np.int64)
        out += np.bincount(groups, weights=high, minlength=size).astype(np.int64) << np.int64(32)
    else:
        np.add.at(out, groups, values.astype(np.int64))
    return out


def _padded(balances: BalanceArray, size: int) -> BalanceArray:
    """`balances` cut or zero-extended to `size` (validators beyond the justified registry weigh nothing)."""
    if balances.size >= size:
        return balances[:size]
    out = np.zeros(size, dtype=np.uint64)
    out[: balances.size] = balances
    return out


class VoteTracker:
    """Latest messages and equivocations of every validator, as columns (see the module docstring)."""

    def __init__(self, capacity: int = 0) -> None:
        self.size = 0
        """Validator indices below this have a row."""
        self.current: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.next: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.epoch: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.equivocating: npt.NDArray[np.bool_] = np.zeros(capacity, dtype=np.bool_)
        self.applied_balances: BalanceArray = np.zeros(0, dtype=np.uint64)

    def _ensure(self, size: int) -> None:
        """Give validator indices below `size` a row (amortised doubling)."""
        if size <= self.size:
            return
        if size > self.current.size:
            capacity = max(size, 2 * self.current.size, 1024)
            grow = capacity - self.current.size
            self.current = np.concatenate([self.current, np.full(grow, NONE, dtype=np.int64)])
            self.next = np.concatenate([self.next, np.full(grow, NONE, dtype=np.int64)])
            self.epoch = np.concatenate([self.epoch, np.full(grow, NONE, dtype=np.int64)])
            self.equivocating = np.concatenate([self.equivocating, np.zeros(grow, dtype=np.bool_)])
        self.size = size

    @staticmethod
    def as_indices(validator_indices: ValidatorIndices) -> IndexArray:
        """Validator indices as an int64 array; a negative index is an `InvalidAttestationError`."""
        if isinstance(validator_indices, np.ndarray):
            if validator_indices.dtype.kind not in "iu" and validator_indices.size:
                raise InvalidAttestationError("validator indices must be integers")
            indices = validator_indices.astype(np.int64, copy=False).reshape(-1)
        else:
            indices = np.fromiter(validator_indices, dtype=np.int64)
        if indices.size and int(indices.min()) < 0:
            raise InvalidAttestationError("validator indices must be non-negative")
        return indices

    def update_latest_messages(self, indices: IndexArray, node: int, target_epoch: int) -> int:
        """Spec `update_latest_messages`: each non-equivocating validator's message is replaced when it has none
        or `target_epoch` is newer than its message's. Returns how many entries changed."""
        if target_epoch < 0:
            raise InvalidAttestationError("target epoch must be non-negative")
        if indices.size == 0:
            return 0
        self._ensure(int(indices.max()) + 1)
        newer = ~self.equivocating[indices] & (self.epoch[indices] < target_epoch)
        chosen = indices[newer]
        self.next[chosen] = node
        self.epoch[chosen] = target_epoch
        return int(chosen.size)

    def mark_equivocating(self, indices: IndexArray) -> int:
        """Spec `on_attester_slashing`: add to `equivocating_indices`; their vote is withdrawn at the next delta
        computation and no later message counts. Returns how many were not already equivocating."""
        if indices.size == 0:
            return 0
        self._ensure(int(indices.max()) + 1)
        fresh = int(np.count_nonzero(~self.equivocating[np.unique(indices)]))
        self.equivocating[indices] = True
        self.next[indices] = NONE
        return fresh

    def compute_deltas(self, node_count: int, balances: BalanceArray) -> IndexArray:
        """Per-node weight changes since the last call, then mark every vote as applied.

        For each validator whose vote target or balance changed: its node loses the balance counted before
        (`applied_balances`), its new node gains the current one (`balances`). Whole-array operations only.
        """
        size = self.size
        current = self.current[:size]
        target = self.next[:size]
        old = _padded(self.applied_balances, size)
        new = _padded(balances, size)
        changed = np.flatnonzero((current != target) | (old != new))
        deltas = np.zeros(node_count, dtype=np.int64)
        if changed.size:
            was = current[changed]
            removed = was >= 0
            deltas -= grouped_sum(was[removed], old[changed][removed], node_count)
            now = target[changed]
            added = now >= 0
            deltas += grouped_sum(now[added], new[changed][added], node_count)
            current[changed] = now
        self.applied_balances = balances
        return deltas

    def remap(self, new_index: IndexArray) -> None:
        """After pruning: node `i` is now `new_index[i]` (-1: removed), for both applied and pending votes."""
        for column in (self.current[: self.size], self.next[: self.size]):
            live = column >= 0
            column[live] = new_index[column[live]]

    def latest_message(self, validator_index: int) -> tuple[int, int] | None:
        """`(target_epoch, node index)` of a validator's latest message, node -1 if it was pruned or the
        validator equivocated; None without a message."""
        if validator_index >= self.size or self.epoch[validator_index] < 0:
            return None
        return int(self.epoch[validator_index]), int(self.next[validator_index])
