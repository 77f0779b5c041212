"""The validator registry as a struct of numpy columns (Spec: BeaconState.validators, balances, participation,
inactivity_scores). One row per validator; epoch processing works on whole columns.

Columns live in over-allocated buffers that double when full, so appending a validator is amortised O(1); the
public attributes are views of the first `len(registry)` rows and are re-sliced after every growth. Assigning a
column attribute a whole array (`registry.balances = array`) writes it into the registry's own column (a write like
any other: noted for the state commitment, a new version), so copies and appends keep it.

A copy (`Registry.copy`, before every block a node imports or builds) does not copy what never changes: the
append-only `pubkey` column's buffer is shared (made read-only; a registry appending to a shared buffer first takes
its own), and so is the pubkey -> index dict, as an immutable base under a small per-registry overlay of the
validators appended since (folded into a new base past `pubkey_overlay_limit`). At 1,000,000 validators a copy went
from ~50 ms and ~173 MiB to ~8 ms and ~87 MiB, a copy's first append from ~45 ms (every column doubled) to ~5 ms
(`benchmarks/bench_registry_copy.py`; docs/performance.md, issue #16).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.errors import StakeworkError
from stakework.spec.types import FAR_FUTURE_EPOCH, BLSPubkey, ValidatorIndex
from stakework.state.fields import COLUMN_FIELDS, VALIDATOR_CONTAINER_FIELDS

U64: Final = np.uint64

# name -> (dtype, trailing shape, value of a new row), from the field table. Order is the canonical order.
COLUMNS: Final[dict[str, tuple[type[np.generic], tuple[int, ...], int]]] = {
    f.name: (f.np_dtype.type, f.shape, f.fill) for f in COLUMN_FIELDS
}
VALIDATOR_FIELDS: Final = tuple(f.name for f in VALIDATOR_CONTAINER_FIELDS)
_APPEND_ONLY: Final = frozenset(f.name for f in COLUMN_FIELDS if f.append_only)


class RegistryError(StakeworkError):
    """Columns that cannot form a registry (different lengths, wrong shapes)."""


@dataclass(frozen=True, slots=True)
class Validator:
    """One validator's record, for the API edge and tests. Epoch processing never builds these."""

    index: ValidatorIndex
    pubkey: BLSPubkey
    withdrawal_credentials: bytes
    effective_balance: int
    slashed: bool
    activation_eligibility_epoch: int
    activation_epoch: int
    exit_epoch: int
    withdrawable_epoch: int
    balance: int
    inactivity_score: int


MAX_NOTED_WRITES: Final = 4096
"""Writes a column notes one by one before it just says "all of it" (the commitment then compares it whole)."""

PUBKEY_OVERLAY_MIN: Final = 1024
"""A pubkey index overlay up to this many entries is never folded into the base (see `pubkey_overlay_limit`)."""


def pubkey_overlay_limit(base_size: int) -> int:
    """Entries a registry's pubkey index overlay may hold before it is folded into a new base: a 32nd of the base,
    at least PUBKEY_OVERLAY_MIN. A copy copies the overlay, so a copy's share of the index costs at most a 32nd of
    copying it whole (~0.6 ms at 1M validators, against ~20 ms); a fold copies the base once (~20-30 ms at 1M), that
    is once per 31,250 appends on one line of copies at 1M: a few microseconds an append. A lookup is at most two
    dict probes."""
    return max(PUBKEY_OVERLAY_MIN, base_size >> 5)


def copy_room(n: int) -> int:
    """Spare rows a copy of an `n`-row registry gets in every column: the first appends on a copy (a block's new
    validators) then write in place instead of doubling every column (~45 ms and twice the columns' memory at 1M).
    A 1024th of the rows, at least 16: ~0.1 % more memory a copy."""
    return max(16, n >> 10)


_VERSIONS: Final = itertools.count(1)
"""Column content versions, unique in the process (`next` on an itertools.count is atomic under the GIL)."""


class WriteLog:
    """What was written through one column since the state commitment last looked: row ranges, or `whole`; and
    the column's content `version`.

    `version` names the column's content: a number taken fresh from a process-wide counter when the column is
    made and before and after every write through it (and every append to the registry), and kept by a copy
    of the registry (whose column is then equal). So two columns with the same version hold equal contents,
    and a per-epoch cache that checked a column's content once can recognise it again in O(1)
    (`Registry.versions`). Bumped on both sides of a write, a version read before and after a computation is
    unchanged only if no write overlapped it."""

    __slots__ = ("rows", "version", "whole")

    def __init__(self) -> None:
        self.rows: list[tuple[int, int] | npt.NDArray[np.intp]] = []
        self.whole = False
        self.version = next(_VERSIONS)

    def copy(self) -> WriteLog:
        new = WriteLog()
        new.rows = list(self.rows)
        new.whole = self.whole
        new.version = self.version
        return new

    def bump(self) -> None:
        """The column's content changes (or just changed): give it a new version."""
        self.version = next(_VERSIONS)

    def note(self, key: Any, n: int) -> None:
        """Note a write at index `key` (its row part) of a column of `n` rows (and give it a new version: the
        writer bumps it again once the write is done)."""
        self.version = next(_VERSIONS)
        if self.whole:
            return
        if isinstance(key, tuple):
            key = key[0] if key else Ellipsis
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            i = int(key) + n if key < 0 else int(key)
            self.rows.append((i, i + 1))
        elif isinstance(key, slice):
            start, stop, _ = key.indices(n)
            self.rows.append((start, max(start, stop)))
        else:
            arr = np.asarray(key) if not isinstance(key, type(Ellipsis)) and key is not None else None
            if arr is None or arr.ndim != 1:
                self.whole = True
            elif arr.dtype == np.bool_:
                self.rows.append(np.flatnonzero(arr))
            elif np.issubdtype(arr.dtype, np.integer):
                self.rows.append(np.where(arr < 0, arr + n, arr).astype(np.intp))
            else:
                self.whole = True
        if len(self.rows) > MAX_NOTED_WRITES:
            self.whole, self.rows = True, []


class Column(np.ndarray):
    """A registry column as the registry hands it out: read-only, except through indexing assignment, in-place
    operators and ufuncs writing `out=` it, which write and note what they wrote in the column's WriteLog (so
    the state commitment re-hashes only those rows). Any other write (`np.copyto`, `.fill`, a write through a
    slice taken from it) fails loudly: the array is read-only. Reading gives plain arrays."""

    _log: WriteLog | None

    def __array_finalize__(self, obj: Any) -> None:
        self._log = None  # only the registry's own views write through (it sets the log)

    def _writable(self) -> npt.NDArray[Any]:
        view: npt.NDArray[Any] = self.view(np.ndarray)
        view.flags.writeable = True
        return view

    def __getitem__(self, key: Any) -> Any:
        result = super().__getitem__(key)
        return result.view(np.ndarray) if isinstance(result, np.ndarray) else result

    def __setitem__(self, key: Any, value: Any) -> None:
        log = self._log
        if log is None:
            super().__setitem__(key, value)
            return
        log.note(key, len(self))
        try:
            self._writable()[key] = value
        finally:
            log.bump()

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        args = [x.view(np.ndarray) if isinstance(x, Column) else x for x in inputs]
        out = kwargs.get("out")
        written: list[WriteLog] = []
        if out is not None:
            outs = []
            for o in out:
                if isinstance(o, Column) and o._log is not None:
                    o._log.note(Ellipsis, len(o))
                    written.append(o._log)
                    outs.append(o._writable())
                else:
                    outs.append(o.view(np.ndarray) if isinstance(o, Column) else o)
            kwargs["out"] = tuple(outs)
        if method == "at" and isinstance(inputs[0], Column) and inputs[0]._log is not None:
            inputs[0]._log.note(inputs[1] if len(inputs) > 1 else Ellipsis, len(inputs[0]))
            written.append(inputs[0]._log)
            args[0] = inputs[0]._writable()
        try:
            result = getattr(ufunc, method)(*args, **kwargs)
        finally:
            for log in written:
                log.bump()
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result


class Registry:
    """Columnar validators. Attribute names are the spec's field names."""

    pubkey: npt.NDArray[np.uint8]
    withdrawal_credentials: npt.NDArray[np.uint8]
    effective_balance: npt.NDArray[np.uint64]
    slashed: npt.NDArray[np.bool_]
    activation_eligibility_epoch: npt.NDArray[np.uint64]
    activation_epoch: npt.NDArray[np.uint64]
    exit_epoch: npt.NDArray[np.uint64]
    withdrawable_epoch: npt.NDArray[np.uint64]
    balances: npt.NDArray[np.uint64]
    previous_epoch_participation: npt.NDArray[np.uint8]
    current_epoch_participation: npt.NDArray[np.uint8]
    inactivity_scores: npt.NDArray[np.uint64]

    def __init__(self, capacity: int = 0) -> None:
        self._n = 0
        self._buffers: dict[str, npt.NDArray[Any]] = {
            name: np.full((capacity, *shape), fill, dtype=dtype) for name, (dtype, shape, fill) in COLUMNS.items()
        }
        self._pubkey_index: dict[bytes, int] | None = None
        """pubkey -> lowest index, for the rows there were when it was made (None: not built yet). Shared by the
        registry's copies, so never written once made: appends go to the overlay, a fold makes a new dict."""
        self._pubkey_overlay: dict[bytes, int] = {}
        """pubkey -> lowest index of this registry's own appends since its base was made, for keys the base does not
        hold. Copied by `copy` (never shared): two forks appending never see each other's validators."""
        self._logs: dict[str, WriteLog] = {name: WriteLog() for name in COLUMNS}
        self._views: dict[str, Column] = {}
        self._owner: object = None
        """The token of the commitment tree following this registry's write logs."""
        self._reslice()

    # -- construction ---------------------------------------------------------------------------------------
    @classmethod
    def from_columns(cls, columns: dict[str, npt.ArrayLike]) -> Registry:
        """A registry from whole columns (every name in COLUMNS, same length). Copies the data."""
        missing = [name for name in COLUMNS if name not in columns]
        if missing:
            raise RegistryError(f"missing column {missing[0]!r}")
        lengths = {name: len(np.asarray(columns[name])) for name in COLUMNS}
        n = lengths["effective_balance"]
        for name, length in lengths.items():
            if length != n:
                raise RegistryError(f"column {name!r} has {length} rows, expected {n} (as effective_balance)")
        reg = cls(capacity=n)
        for name, (dtype, shape, _) in COLUMNS.items():
            arr = np.asarray(columns[name])
            if arr.shape[1:] != shape:
                raise RegistryError(
                    f"column {name!r} has shape {arr.shape}, expected (n, {', '.join(map(str, shape))})"
                )
            reg._buffers[name][:n] = arr.astype(dtype, copy=False)
        reg._n = n
        for log in reg._logs.values():
            log.bump()
        reg._reslice()
        return reg

    def copy(self) -> Registry:
        """An independent copy: each written column copied (the rows in use, plus `copy_room`); what never changes
        shared. The append-only `pubkey` column's buffer is shared, made read-only (rows below `len` never change,
        and an append to a read-only buffer first takes its own: `_own_pubkey_buffer`); so is the pubkey index's
        base, the copy taking its own copy of the overlay. Writes and appends on either side after the copy are
        never seen by the other."""
        n = self._n
        room = n + copy_room(n)
        reg = Registry(capacity=0)
        buffers: dict[str, npt.NDArray[Any]] = {}
        for name, buf in self._buffers.items():
            if name in _APPEND_ONLY:
                if buf.flags.writeable:  # shared from now on: nobody writes it again
                    buf.flags.writeable = False
                    self._reslice_column(name)  # (a view of a writable array could be made writable again)
                buffers[name] = buf
            else:
                dtype, shape, fill = COLUMNS[name]
                new = np.empty((room, *shape), dtype=dtype)
                new[:n] = buf[:n]
                new[n:] = fill
                buffers[name] = new
        reg._buffers = buffers
        reg._n = n
        reg._pubkey_index = self._pubkey_index
        reg._pubkey_overlay = dict(self._pubkey_overlay)
        reg._logs = {name: log.copy() for name, log in self._logs.items()}
        reg._reslice()
        return reg

    def _reslice(self) -> None:
        self._views = {}
        for name in self._buffers:
            self._reslice_column(name)

    def _reslice_column(self, name: str) -> None:
        view = self._buffers[name][: self._n].view(Column)
        view.flags.writeable = False
        if name not in _APPEND_ONLY:  # rows of an append-only column never change: no write is allowed
            view._log = self._logs[name]
        object.__setattr__(self, name, view)
        self._views[name] = view

    def __setattr__(self, name: str, value: Any) -> None:
        """A column attribute assigned whole (`registry.balances = array`) is written into the registry's own
        column: the rows live in the registry's buffer, so copies and appends keep them, and the write is noted
        like any other (the whole column, a new version). Assigning the column its own view back (what `col += x`
        does after writing in place) changes nothing."""
        if name in COLUMNS and "_views" in self.__dict__:
            view = self._views[name]
            if value is not view:
                self._replace(name, view, value)
            return
        object.__setattr__(self, name, value)

    def _replace(self, name: str, view: Column, value: Any) -> None:
        dtype, shape, _ = COLUMNS[name]
        if name in _APPEND_ONLY:
            raise RegistryError(
                f"column {name!r} is append-only: its rows never change (Registry.from_columns builds a registry "
                "with other rows)"
            )
        arr = np.asarray(value)
        if arr.shape != (self._n, *shape):
            raise RegistryError(
                f"column {name!r} replaced by an array of shape {arr.shape}, expected {(self._n, *shape)} "
                "(one row per validator)"
            )
        target = np.dtype(dtype)
        if not np.can_cast(arr.dtype, target, casting="safe"):
            # Integers of another type are taken when every value fits (`np.array([...])` gives int64).
            fits = arr.dtype.kind in "iu" and target.kind in "iu"
            if fits and arr.size:
                info = np.iinfo(target)
                fits = int(arr.min()) >= int(info.min) and int(arr.max()) <= int(info.max)
            if not fits:
                raise RegistryError(
                    f"column {name!r} holds {target}, cannot take these {arr.dtype} values (out of range or not "
                    "integers)"
                )
        view[...] = arr.astype(dtype, copy=False)  # noted whole, a new version (Column.__setitem__)

    # -- for the per-epoch caches (transition/epoch_cache.py, transition/pubkey_cache.py) --------------------
    def versions(self, names: tuple[str, ...]) -> tuple[int, ...] | None:
        """The content versions of columns `names` (see WriteLog.version): equal versions mean equal contents
        (and equal lengths), in this registry or any other. None when one of them may have been changed without
        a version (its attribute is no longer the read-only view the registry handed out): the caller compares
        contents instead. O(1) per column."""
        out = []
        for name in names:
            view = self._views[name]
            if getattr(self, name) is not view or view.flags.writeable:
                return None
            out.append(self._logs[name].version)
        return tuple(out)

    # -- for the state commitment (state/commitment.py) -------------------------------------------------------
    def take_writes(self, token: object) -> dict[str, WriteLog] | None:
        """Each column's writes since the tree holding `token` last asked, forgetting them; None when another
        tree (or none) followed this registry until now: it must compare every column (and follows it now)."""
        logs = {name: log.copy() for name, log in self._logs.items()}
        for log in self._logs.values():  # cleared in place: views handed out earlier keep noting into them
            log.rows, log.whole = [], False
        if self._owner is not token:
            self._owner = token
            return None
        return logs

    def followed_by(self, token: object) -> bool:
        return self._owner is token

    def intact(self) -> bool:
        """Every column attribute is still the read-only view this registry handed out (nobody assigned another
        array to it): only then do the write logs say everything that changed."""
        for name in COLUMNS:
            column = getattr(self, name)
            if not isinstance(column, Column) or column.flags.writeable or len(column) != self._n:
                return False
            if column._log is not (None if name in _APPEND_ONLY else self._logs[name]):
                return False
            start = column.__array_interface__["data"][0]
            if self._n and start != self._buffers[name].__array_interface__["data"][0]:
                return False
        return True

    def follow(self, token: object) -> None:
        """The tree holding `token` follows this registry from now on (a copy of one its source followed)."""
        self._owner = token

    def _grow(self, need: int) -> None:
        capacity = len(self._buffers["effective_balance"])
        if need <= capacity:
            return
        new_capacity = max(need, 2 * capacity, 16)
        for name, (dtype, shape, fill) in COLUMNS.items():
            buf = np.full((new_capacity, *shape), fill, dtype=dtype)
            buf[: self._n] = self._buffers[name][: self._n]  # (a shared buffer is only read)
            self._buffers[name] = buf

    def _own_buffer(self, name: str) -> npt.NDArray[Any]:
        """Column `name`'s buffer, to write row `len` and beyond: the shared one (read-only, `copy`) is first
        replaced by this registry's own copy of its rows, as large as the other columns' buffers."""
        buf = self._buffers[name]
        if not buf.flags.writeable:
            dtype, shape, fill = COLUMNS[name]
            n = self._n
            own = np.empty((max(self.capacity, n + 1), *shape), dtype=dtype)
            own[:n] = buf[:n]
            own[n:] = fill
            self._buffers[name] = buf = own
        return buf

    def append(
        self,
        pubkey: bytes,
        withdrawal_credentials: bytes,
        effective_balance: int,
        balance: int,
        *,
        slashed: bool = False,
        activation_eligibility_epoch: int = FAR_FUTURE_EPOCH,
        activation_epoch: int = FAR_FUTURE_EPOCH,
        exit_epoch: int = FAR_FUTURE_EPOCH,
        withdrawable_epoch: int = FAR_FUTURE_EPOCH,
    ) -> ValidatorIndex:
        """Add a validator at the end (Spec: add_validator_to_registry's set_or_append_list). Amortised O(1)."""
        if len(pubkey) != 48 or len(withdrawal_credentials) != 32:
            raise RegistryError("pubkey must be 48 bytes and withdrawal_credentials 32 bytes")
        index = self._n
        self._grow(index + 1)
        for name in _APPEND_ONLY:  # a buffer shared with a copy is never written: take our own first
            self._own_buffer(name)
        b = self._buffers
        b["pubkey"][index] = np.frombuffer(pubkey, dtype=np.uint8)
        b["withdrawal_credentials"][index] = np.frombuffer(withdrawal_credentials, dtype=np.uint8)
        b["effective_balance"][index] = effective_balance
        b["slashed"][index] = slashed
        b["activation_eligibility_epoch"][index] = activation_eligibility_epoch
        b["activation_epoch"][index] = activation_epoch
        b["exit_epoch"][index] = exit_epoch
        b["withdrawable_epoch"][index] = withdrawable_epoch
        b["balances"][index] = balance
        b["previous_epoch_participation"][index] = 0
        b["current_epoch_participation"][index] = 0
        b["inactivity_scores"][index] = 0
        for log in self._logs.values():  # every column gets a new row: new versions on both sides of the change
            log.bump()
        self._n = index + 1
        self._reslice()
        for log in self._logs.values():
            log.bump()
        base = self._pubkey_index
        if base is not None:
            key = bytes(pubkey)
            if key not in base:  # (in the base: a lower index holds it already)
                overlay = self._pubkey_overlay
                overlay.setdefault(key, index)
                if len(overlay) > pubkey_overlay_limit(len(base)):
                    # Folded into a new base, the shared one left as it was (copies made earlier read it). The
                    # overlay holds only keys the base does not, so each key keeps its lowest index.
                    folded = dict(base)
                    folded.update(overlay)
                    self._pubkey_index, self._pubkey_overlay = folded, {}
        return ValidatorIndex(index)

    # -- queries --------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return len(self._buffers["effective_balance"])

    def columns(self) -> Iterable[tuple[str, npt.NDArray[Any]]]:
        """(name, view) for every column in canonical order."""
        for name in COLUMNS:
            yield name, getattr(self, name)

    def index_of_pubkey(self, pubkey: bytes) -> ValidatorIndex | None:
        """The first index holding `pubkey`, or None (Spec: `validator_pubkeys.index(pubkey)`). The index is built
        on first use (O(n)), then kept up to date by `append`: the base (shared with copies) first, whose indices are
        all below the overlay's, then this registry's overlay."""
        base = self._pubkey_index
        if base is None:
            base = {}
            raw = self.pubkey.tobytes()
            for i in range(self._n - 1, -1, -1):  # reversed so the lowest index wins
                base[raw[48 * i : 48 * i + 48]] = i
            self._pubkey_index, self._pubkey_overlay = base, {}
        key = bytes(pubkey)
        found = base.get(key)
        if found is None:
            found = self._pubkey_overlay.get(key)
        return None if found is None else ValidatorIndex(found)

    def invalidate_pubkey_index(self) -> None:
        """Forget this registry's pubkey index; the next lookup rebuilds it (copies keep theirs). The pubkey column
        is read-only: rows change only by `append`, which keeps the index up to date."""
        self._pubkey_index, self._pubkey_overlay = None, {}

    def withdrawal_prefix(self) -> npt.NDArray[np.uint8]:
        """First byte of each validator's withdrawal credentials."""
        return self.withdrawal_credentials[:, 0]

    def has_compounding_withdrawal_credential(self) -> npt.NDArray[np.bool_]:
        """Spec: has_compounding_withdrawal_credential (EIP-7251), per validator."""
        result: npt.NDArray[np.bool_] = self.withdrawal_credentials[:, 0] == COMPOUNDING_WITHDRAWAL_PREFIX
        return result

    def has_execution_withdrawal_credential(self) -> npt.NDArray[np.bool_]:
        """Spec: has_execution_withdrawal_credential — 0x01 or 0x02."""
        prefix = self.withdrawal_credentials[:, 0]
        result: npt.NDArray[np.bool_] = (prefix == COMPOUNDING_WITHDRAWAL_PREFIX) | (
            prefix == ETH1_ADDRESS_WITHDRAWAL_PREFIX
        )
        return result

    def validator(self, index: int) -> Validator:
        """One validator as a record (API edge, tests)."""
        if not 0 <= index < self._n:
            raise IndexError(f"validator index {index} out of range (registry has {self._n})")
        return Validator(
            index=ValidatorIndex(index),
            pubkey=BLSPubkey(self.pubkey[index].tobytes()),
            withdrawal_credentials=self.withdrawal_credentials[index].tobytes(),
            effective_balance=int(self.effective_balance[index]),
            slashed=bool(self.slashed[index]),
            activation_eligibility_epoch=int(self.activation_eligibility_epoch[index]),
            activation_epoch=int(self.activation_epoch[index]),
            exit_epoch=int(self.exit_epoch[index]),
            withdrawable_epoch=int(self.withdrawable_epoch[index]),
            balance=int(self.balances[index]),
            inactivity_score=int(self.inactivity_scores[index]),
        )

    def equals(self, other: Registry) -> bool:
        return len(self) == len(other) and all(np.array_equal(a, getattr(other, name)) for name, a in self.columns())
