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
- `applied`: the balances the weights were last computed with (the justified state's, then).

A node's delta is then simply `sum(new balance of validators whose vote names it) - sum(old balance of
validators whose applied vote names it)`: two grouped sums over all validators, in which every validator whose
vote and balance did not change cancels out exactly. Grouped sums are `np.bincount` with float64 weights, exact
because the balances are first divided by their greatest common divisor (effective balances are multiples of
EFFECTIVE_BALANCE_INCREMENT, so a million validators sum to a few billion increments, far below 2**53); see
`Balances` for the general case.
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


class Balances:
    """Validator balances prepared once for exact, fast grouped sums (`grouped`).

    The balances are divided by their greatest common divisor; if the scaled total stays below 2**53 a single
    float64 `np.bincount` is exact, and the result is multiplied back. Otherwise `grouped_sum` (split halves
    or `np.add.at`) is used. Preparing costs one pass (a few milliseconds for a million validators) and happens
    only when the justified balances change."""

    def __init__(self, balances: BalanceArray) -> None:
        self.values = balances
        self.scale = 1
        self.scaled: npt.NDArray[np.float64] | None = None
        if balances.size:
            divisor = max(int(np.gcd.reduce(balances)), 1)
            top = int(balances.max()) // divisor
            if top * balances.size < _FLOAT_EXACT:
                self.scale = divisor
                self.scaled = (balances // np.uint64(divisor)).astype(np.float64)

    def __len__(self) -> int:
        return int(self.values.size)

    def grouped(self, bins: IndexArray, size: int) -> IndexArray:
        """`out[g] = sum(balance[i] for i with bins[i] == g)` for `i < len(bins)`, exact int64; `bins` may be
        shorter or longer than the balances (validators without a balance weigh nothing)."""
        count = min(int(bins.size), len(self))
        bins = bins[:count]
        if self.scaled is not None:
            sums = np.bincount(bins, weights=self.scaled[:count], minlength=size).astype(np.int64)
            return sums * np.int64(self.scale) if self.scale != 1 else sums
        return grouped_sum(bins, self.values[:count], size)


class VoteTracker:
    """Latest messages and equivocations of every validator, as columns (see the module docstring)."""

    def __init__(self, capacity: int = 0) -> None:
        self.size = 0
        """Validator indices below this have a row."""
        self.current: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.next: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.epoch: IndexArray = np.full(capacity, NONE, dtype=np.int64)
        self.equivocating: npt.NDArray[np.bool_] = np.zeros(capacity, dtype=np.bool_)
        self.applied = Balances(np.zeros(0, dtype=np.uint64))

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

    def compute_deltas(self, node_count: int, balances: Balances) -> IndexArray:
        """Per-node weight changes since the last call, then mark every vote as applied.

        `deltas = grouped(next, new balances) - grouped(current, applied balances)`, over all validators at once
        (bin 0 collects "no node" and is dropped). Validators whose vote and balance are unchanged cancel. With
        nothing changed (the usual call between attestations) this is one array comparison.
        """
        size = self.size
        current = self.current[:size]
        target = self.next[:size]
        if balances is self.applied and np.array_equal(current, target):
            return np.zeros(node_count, dtype=np.int64)
        gained = balances.grouped(target + 1, node_count + 1)
        lost = self.applied.grouped(current + 1, node_count + 1)
        np.copyto(current, target)
        self.applied = balances
        return (gained - lost)[1:]

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
