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

The compare runs once per registry content: a view also remembers the registry column versions
(`Registry.versions`: a number every write to a column replaces, kept by copies) of the `activation_epoch` and
`exit_epoch` columns it matched, and the total active balance those of `effective_balance`, so a state whose
columns carry a remembered version is recognised in O(1) without computing its mask. Versions are read before
and after a compare and remembered only when unchanged (no write overlapped it); a registry whose column
attribute was replaced gives no version and is compared.
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
MAX_VERSIONS = 64
"""Column versions a view remembers as matching (the registries of recent states and their copies)."""
MASK_COLUMNS = ("activation_epoch", "exit_epoch")
"""What is_active_validator reads: the columns an epoch view depends on."""
BALANCE_COLUMNS = ("effective_balance",)


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

    __slots__ = ("_effective", "_lock", "_memo", "active", "epoch", "mask", "versions")

    def __init__(self, epoch: int, mask: BoolArray) -> None:
        self.epoch = epoch
        self.mask = _readonly_copy(mask)
        self.active: IndexArray = np.flatnonzero(self.mask).astype(np.int64, copy=False)
        self.active.setflags(write=False)
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._effective: tuple[npt.NDArray[np.uint64], dict[Hashable, int], _Versions] | None = None
        self._lock = threading.Lock()
        self.versions = _Versions()
        """Versions of (activation_epoch, exit_epoch) whose mask for this epoch equals `mask`."""

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
        registry = state.validators
        increment = state.preset.EFFECTIVE_BALANCE_INCREMENT
        before = registry.versions(BALANCE_COLUMNS)
        held = self._effective
        if held is None or not (before is not None and before in held[2]):
            effective = registry.effective_balance
            if held is None or held[0].shape != effective.shape or not np.array_equal(effective, held[0]):
                held = (_readonly_copy(effective), {}, _Versions())
            if before is not None and registry.versions(BALANCE_COLUMNS) == before:
                held[2].add(before)
        total = held[1].get(increment)
        if total is None:
            total = max(increment, exact_sum(held[0][self.active]))
            held[1][increment] = total
        self._effective = held
        return total


class _Versions:
    """A bounded set of column-version tuples (the most recent MAX_VERSIONS), safe across threads."""

    __slots__ = ("_lock", "_seen")

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[int, ...], None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, versions: object) -> bool:
        with self._lock:
            return versions in self._seen

    def add(self, versions: tuple[int, ...]) -> None:
        with self._lock:
            self._seen[versions] = None
            self._seen.move_to_end(versions)
            while len(self._seen) > MAX_VERSIONS:
                self._seen.popitem(last=False)


_views: list[EpochView] = []
_views_lock = threading.Lock()


def _first(view: EpochView) -> None:
    with _views_lock:
        if view in _views:  # most recently used first
            _views.remove(view)
            _views.insert(0, view)


def epoch_view(state: BeaconState, epoch: int) -> EpochView:
    """The view of the validators active in `epoch` in this state (made, and remembered, if none matches): found
    by the registry's column versions when a view has seen them, else by comparing the state's mask."""
    registry = state.validators
    before = registry.versions(MASK_COLUMNS)
    with _views_lock:
        views = list(_views)
    if before is not None:
        for view in views:
            if view.epoch == epoch and before in view.versions:
                _first(view)
                return view
    mask = active_mask(state, epoch)
    found = None
    for view in views:
        if view.epoch == epoch and view.mask.shape == mask.shape and np.array_equal(view.mask, mask):
            found = view
            _first(view)
            break
    if found is None:
        found = EpochView(epoch, mask)
        with _views_lock:
            _views.insert(0, found)
            del _views[MAX_VIEWS:]
    if before is not None and registry.versions(MASK_COLUMNS) == before:  # no write overlapped the mask
        found.versions.add(before)
    return found


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
