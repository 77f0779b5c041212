"""Per-epoch caches of what block processing derives from the registry: the active validator indices of an
epoch, the total active balance, and memos for the committee shuffling and the proposer of a slot (the
committees.py functions keep those), as Ethereum's clients keep them (Lighthouse's and Teku's committee,
proposer and total-active-balance caches).

Pure: a memo of pure functions of the state, never a source of truth. An entry can never be stale because it is
found by the *content* it was computed from, not by a state's identity: an `EpochView` holds the set of
validators active in its epoch (a copy of the mask `activation_epoch <= epoch < exit_epoch`, which is all the
committees and the proposer candidates depend on), and a state uses it only when its own mask for that epoch is
equal (computing and comparing the mask: ~2 ms at a million validators). An exit a block initiates lands at
compute_activation_exit_epoch, after the epochs whose committees are fixed, so it leaves these views valid.
Results that also read effective balances are kept with a copy of the `effective_balance` column (the total
active balance: compared whole) or with the effective balances they actually read (the proposer: only the
candidates examined). A copied state, a fork, or a state a test rewrote therefore finds the entry that matches
it or computes a new one; nothing a state does afterwards can change an entry (entries hold copies and
read-only arrays).

A registry write generation in `state/registry.py` (a counter every column write bumps) would let a state skip
the mask: this module would then key by (registry identity, generation) first and fall back to the compare.
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
BoolArray = npt.NDArray[np.bool_]

MAX_VIEWS = 6
"""Epoch views remembered at once: the previous, current and next epochs of the head and of a fork."""
MAX_MEMO = 256
"""Memo entries kept per view (proposers of every slot of the epoch, shufflings, totals)."""


def _readonly_copy(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.array(column, copy=True).view(np.ndarray)
    out.setflags(write=False)
    return out


def active_mask(state: BeaconState, epoch: int) -> BoolArray:
    """Spec: is_active_validator for every validator: activation_epoch <= epoch < exit_epoch."""
    v = state.validators
    e = np.uint64(epoch)
    mask: BoolArray = (v.activation_epoch <= e) & (e < v.exit_epoch)
    return mask


class EpochView:
    """What is derived from the set of validators active in one epoch (kept as a mask to recognise it): the
    active indices, plus a memo for results derived from them."""

    __slots__ = ("_effective", "_lock", "_memo", "active", "epoch", "mask")

    def __init__(self, epoch: int, mask: BoolArray) -> None:
        self.epoch = epoch
        self.mask = _readonly_copy(mask)
        self.active: IndexArray = np.flatnonzero(self.mask).astype(np.int64, copy=False)
        self.active.setflags(write=False)
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._effective: tuple[npt.NDArray[np.uint64], dict[Hashable, int]] | None = None
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The memo entry for `key`, or None."""
        with self._lock:
            value = self._memo.get(key)
            if value is not None:
                self._memo.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Remember `value` (derived only from this view's active set, the key, and what the value itself
        checks)."""
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > MAX_MEMO:
                self._memo.popitem(last=False)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The memoized `compute()` for `key` (a value derived only from this view's active set and the key)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def total_active_balance(self, state: BeaconState) -> int:
        """Spec: get_total_balance(active validators of this epoch): at least one EFFECTIVE_BALANCE_INCREMENT.
        Kept with a copy of the effective balances it summed; a state with other ones recomputes."""
        effective = state.validators.effective_balance
        increment = state.preset.EFFECTIVE_BALANCE_INCREMENT
        held = self._effective
        if held is not None and held[0].shape == effective.shape and np.array_equal(effective, held[0]):
            total = held[1].get(increment)
            if total is not None:
                return total
        else:
            held = (_readonly_copy(effective), {})
        total = max(increment, exact_sum(held[0][self.active]))
        held[1][increment] = total
        self._effective = held
        return total


_views: list[EpochView] = []
_views_lock = threading.Lock()


def epoch_view(state: BeaconState, epoch: int) -> EpochView:
    """The view of the validators active in `epoch` in this state (made, and remembered, if none matches)."""
    mask = active_mask(state, epoch)
    with _views_lock:
        views = list(_views)
    for view in views:
        if view.epoch == epoch and view.mask.shape == mask.shape and np.array_equal(view.mask, mask):
            with _views_lock:
                if view in _views:  # most recently used first
                    _views.remove(view)
                    _views.insert(0, view)
            return view
    view = EpochView(epoch, mask)
    with _views_lock:
        _views.insert(0, view)
        del _views[MAX_VIEWS:]
    return view


def active_validator_indices(state: BeaconState, epoch: int) -> IndexArray:
    """Spec: get_active_validator_indices, from the cache (a read-only array)."""
    return epoch_view(state, epoch).active


def total_active_balance(state: BeaconState, epoch: int | None = None) -> int:
    """Spec: get_total_active_balance (of `epoch`, the current one by default), from the cache."""
    return epoch_view(state, state.current_epoch() if epoch is None else epoch).total_active_balance(state)


def clear() -> None:
    """Forget every entry (tests comparing cached and uncached results start from nothing)."""
    with _views_lock:
        _views.clear()
