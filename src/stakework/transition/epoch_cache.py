"""Per-epoch caches of what block processing derives from the registry: the active validator indices of an
epoch, the total active balance, and memos for the committee shuffling and the proposer of a slot (the
committees.py functions keep those), as Ethereum's clients keep them (Lighthouse's and Teku's committee,
proposer and total-active-balance caches).

Pure: a memo of pure functions of the state, never a source of truth. An entry can never be stale because it is
found by the *content* it was computed from, not by a state's identity: a `RegistryView` holds its own copies
of the columns `activation_epoch` and `exit_epoch` (which alone decide who is active in any epoch), and a state
uses it only when its columns are equal to those copies (`np.array_equal`, ~1 ms a column at a million
validators). Results that also read effective balances are kept with a copy of the `effective_balance` column
(the total active balance: compared whole) or with the effective balances they actually read (the proposer:
only the candidates examined). A copied state, a fork, or a state a test rewrote therefore finds the entry that
matches it or computes a new one; nothing a state does afterwards can change an entry (entries hold copies and
read-only arrays).

A registry write generation in `state/registry.py` (a counter every column write bumps) would let a state skip
the compares; this module would then key by (registry identity, generation) first and fall back to the compare.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import numpy.typing as npt

from stakework.spec.arith import exact_sum
from stakework.state.beacon_state import BeaconState

IndexArray = npt.NDArray[np.int64]

MAX_VIEWS = 3
"""Registries (distinct activation/exit columns) remembered at once: the head, a fork, the next epoch's."""
MAX_MEMO = 256
"""Memo entries kept per registry view (proposers of ~8 epochs of slots, shufflings, totals)."""
_SAMPLE_STRIDE = 4099
"""Rows compared first (a cheap rejection of a view of another registry before the whole compare)."""


def _readonly_copy(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.array(column, copy=True).view(np.ndarray)
    out.setflags(write=False)
    return out


def _equal(column: npt.NDArray[Any], copy: npt.NDArray[Any]) -> bool:
    """Whether a state's column holds exactly the values of a view's copy (same length, same values)."""
    if column.shape != copy.shape:
        return False
    if not np.array_equal(column[::_SAMPLE_STRIDE], copy[::_SAMPLE_STRIDE]):
        return False
    return bool(np.array_equal(column, copy))


class RegistryView:
    """What is derived from one registry's activation and exit epochs (copies of them are kept to recognise it):
    the active indices of each epoch asked for, plus a memo for results derived from them."""

    __slots__ = ("_effective", "_lock", "_memo", "activation_epoch", "active", "exit_epoch")

    def __init__(self, activation_epoch: npt.NDArray[np.uint64], exit_epoch: npt.NDArray[np.uint64]) -> None:
        self.activation_epoch = _readonly_copy(activation_epoch)
        self.exit_epoch = _readonly_copy(exit_epoch)
        self.active: dict[int, IndexArray] = {}
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._effective: tuple[npt.NDArray[np.uint64], dict[Hashable, int]] | None = None
        self._lock = threading.Lock()

    def matches(self, state: BeaconState) -> bool:
        v = state.validators
        return _equal(v.exit_epoch, self.exit_epoch) and _equal(v.activation_epoch, self.activation_epoch)

    def active_indices(self, epoch: int) -> IndexArray:
        """Spec: get_active_validator_indices(epoch) of the registry this view was made from (read-only)."""
        hit = self.active.get(epoch)
        if hit is None:
            e = np.uint64(epoch)
            hit = np.flatnonzero((self.activation_epoch <= e) & (e < self.exit_epoch)).astype(np.int64, copy=False)
            hit.setflags(write=False)
            self.active[epoch] = hit
        return hit

    def get(self, key: Hashable) -> Any:
        """The memo entry for `key`, or None."""
        with self._lock:
            value = self._memo.get(key)
            if value is not None:
                self._memo.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Remember `value` (derived only from this view's columns, the key, and what the value itself checks)."""
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > MAX_MEMO:
                self._memo.popitem(last=False)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The memoized `compute()` for `key` (a value derived only from this view's columns and the key)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def total_active_balance(self, state: BeaconState, epoch: int) -> int:
        """Spec: get_total_balance(active validators of `epoch`): at least one EFFECTIVE_BALANCE_INCREMENT.
        Kept with a copy of the effective balances it summed; a state with other ones recomputes."""
        effective = state.validators.effective_balance
        increment = state.preset.EFFECTIVE_BALANCE_INCREMENT
        key = (epoch, increment)
        held = self._effective
        if held is not None and _equal(effective, held[0]):
            total = held[1].get(key)
            if total is not None:
                return total
        else:
            held = (_readonly_copy(effective), {})
        total = max(increment, exact_sum(held[0][self.active_indices(epoch)]))
        held[1][key] = total
        self._effective = held
        return total


_views: list[RegistryView] = []
_views_lock = threading.Lock()


def registry_view(state: BeaconState) -> RegistryView:
    """The view whose activation and exit epochs equal the state's (made, and remembered, if none does)."""
    with _views_lock:
        views = list(_views)
    for view in views:
        if view.matches(state):
            with _views_lock:
                if view in _views:  # most recently used first
                    _views.remove(view)
                    _views.insert(0, view)
            return view
    v = state.validators
    view = RegistryView(v.activation_epoch, v.exit_epoch)
    with _views_lock:
        _views.insert(0, view)
        del _views[MAX_VIEWS:]
    return view


def active_validator_indices(state: BeaconState, epoch: int) -> IndexArray:
    """Spec: get_active_validator_indices, from the cache (a read-only array)."""
    return registry_view(state).active_indices(epoch)


def total_active_balance(state: BeaconState, epoch: int | None = None) -> int:
    """Spec: get_total_active_balance (of `epoch`, the current one by default), from the cache."""
    return registry_view(state).total_active_balance(state, state.current_epoch() if epoch is None else epoch)


def clear() -> None:
    """Forget every entry (tests comparing cached and uncached results start from nothing)."""
    with _views_lock:
        _views.clear()
