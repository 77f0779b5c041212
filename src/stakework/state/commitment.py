"""The incremental state commitment: a Merkle tree over the state that re-hashes only what changed.

The tree's shape is `state/proofs.py`'s (which verifies proofs with hashlib alone); this module builds it and
keeps it up to date:

- **Columns** (the registry's, and the ring buffers of roots and slashings): each keeps its chunk-leaf layers
  and a shadow copy of the column as it was last hashed. An update compares the column with its shadow a chunk
  at a time (a vectorised compare, memory speed), re-hashes only the chunks that differ, then only their
  ancestors, level by level (the pairs of a level are contiguous bytes, so a level is one `tobytes` and one
  `sha256` per dirty parent).
- **Accounts**: `Accounts` records the addresses its mutators touch; an update rewrites those addresses'
  buckets (each bucket's entries are one immutable byte string, shared by copies) and re-hashes them and their
  ancestors.
- The **module store**: one part per enabled module (and the withdrawals it has not taken), each part's root the
  SHA-256 of its summary's canonical bytes (every mapping sorted by key), the summary being the part with each
  share ledger's holder table replaced by the root of the table's own bucket tree (`ShareTree`: the table, a
  `ShareMap`, notes the holders written to it, and only their buckets are re-hashed; a record table, a `RecordMap`
  of immutable records, likewise through a `RecordTree`); a part whose summary's plain
  msgpack encoding (C speed, no sorting) is the one last hashed is not encoded canonically again (`ModuleTree`).
- Every **other field** (scalars, checkpoints, the header, the queues) is hashed whole on every root: they are
  small next to the registry.

The cache lives on the state (`BeaconState._root_cache`), is copied with it (`BeaconState.copy`, so fork
choice's copies keep their own; copy-on-write: a copy shares the trees' arrays until either side writes one), and
is built from scratch the first time a state is hashed (a snapshot just loaded, a state built by hand).
`hash_state_from_scratch` builds a fresh one: the root must always be the same.
"""

from __future__ import annotations

import bisect
import hashlib
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from stakework.modules.shares import ShareMap
from stakework.modules.store import (
    ModuleStore,
    canonical_summary_bytes,
    part_summary,
    record_bytes,
    share_tables,
    store_parts,
)
from stakework.state.accounts import AccountEntry, Accounts
from stakework.state.beacon_state import BeaconState
from stakework.state.fields import STATE_FIELDS, Field
from stakework.state.proofs import (
    ACCOUNT_BUCKET_BITS,
    ACCOUNT_HEIGHT,
    ACCOUNT_RECORD,
    ARITY,
    VALIDATOR_WIDTHS,
    ZERO32,
    ZERO_NODES,
    FieldPath,
    ModulePath,
    StateProof,
    field_leaf,
    holder_bucket,
    merkle_root,
    mix_in_count,
    modules_root,
    preset_root,
    rows_per_chunk,
)
from stakework.state.registry import Registry, WriteLog

_sha = hashlib.sha256
_COLUMN_KINDS = ("column", "roots", "u64vector")


def _hash_rows(data: bytes, count: int, width: int) -> npt.NDArray[np.uint8]:
    """sha256 of each `width`-byte slice of `data` (count slices), as a (count, 32) array."""
    mv = memoryview(data)
    out = b"".join([_sha(mv[i : i + width]).digest() for i in range(0, count * width, width)])
    return np.frombuffer(out, dtype=np.uint8).reshape(count, 32)


def _parents(layer: npt.NDArray[np.uint8], height: int, idx: npt.NDArray[np.intp]) -> npt.NDArray[np.uint8]:
    """The 16-ary parent hashes at positions `idx` over `layer` (nodes of height `height`; missing children are
    zero subtrees): a parent's children are 512 contiguous bytes of the layer."""
    missing = -len(layer) % ARITY
    if missing:
        pad = np.tile(np.frombuffer(ZERO_NODES[height], dtype=np.uint8), (missing, 1))
        layer = np.concatenate([layer, pad])
    groups = layer.reshape(-1, 32 * ARITY)[idx]
    return _hash_rows(groups.tobytes(), len(idx), 32 * ARITY)


def _unique_sorted(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The distinct values of an ascending array, in order (np.unique would sort or hash them again: a few
    hundred calls per root made that a tenth of a block's root)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=np.bool_)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _raw(column: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """The column's little-endian bytes as a flat uint8 array (no copy when it is contiguous)."""
    arr = np.ascontiguousarray(column)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr.reshape(-1).view(np.uint8) if arr.size else np.zeros(0, dtype=np.uint8)


class ChunkTree:
    """One column's chunk tree, with the shadow it was last compared with.

    The shadow is what a compare needs (a column whose writes were not noted: a ring buffer, a registry some
    other tree followed, a column written whole): the column's bytes as of the last compare, chunk for chunk,
    except the chunks `stale` marks (and any past the shadow's end). A column whose writes were noted (a
    block's handful of rows) is re-hashed at those rows and its shadow is left as it was, those chunks marked
    stale: no copy of the shadow per block (at a million validators each 8-byte column's is 8 MB, shared with
    the parent state until written). The next compare takes the stale chunks as changed and refreshes them."""

    __slots__ = (
        "append_only",
        "count",
        "layers",
        "per",
        "row_bytes",
        "shadow",
        "shared_layers",
        "shared_shadow",
        "stale",
    )

    def __init__(self, row_bytes: int, *, append_only: bool = False) -> None:
        self.append_only = append_only
        """Rows never change once written (a read-only view): no shadow; only appended rows are hashed."""
        self.row_bytes = row_bytes
        self.per = rows_per_chunk(row_bytes)
        self.count = 0
        self.layers: list[npt.NDArray[np.uint8]] = []
        self.shadow: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self.stale: npt.NDArray[np.bool_] | None = None
        """Chunks (of those the shadow covers) re-hashed since the shadow was last brought up to date: their
        shadow bytes are old. None: none. Never written in place (copies share it)."""
        self.shared_layers = False
        """The layer arrays may be another tree's too (a copy): copied before they are written in place."""
        self.shared_shadow = False
        """The same for the shadow."""

    def copy(self) -> ChunkTree:
        """A tree of its own that shares the arrays until either side writes one (copy-on-write: a state copied
        for a block copies only the columns the block changes)."""
        new = ChunkTree(self.row_bytes, append_only=self.append_only)
        new.count = self.count
        new.layers = list(self.layers)
        new.shadow = self.shadow
        new.stale = self.stale
        self.shared_layers = self.shared_shadow = new.shared_layers = new.shared_shadow = True
        return new

    def _resize(self, chunks: int) -> None:
        sizes = [chunks] if chunks else []
        while sizes and sizes[-1] > 1:
            sizes.append(-(-sizes[-1] // ARITY))
        layers = []
        for k, size in enumerate(sizes):
            layer = np.zeros((size, 32), dtype=np.uint8)
            if k < len(self.layers):
                keep = min(size, len(self.layers[k]))
                layer[:keep] = self.layers[k][:keep]
            layers.append(layer)
        self.layers = layers

    def _changed_chunks(self, raw: npt.NDArray[np.uint8], rows: int) -> npt.NDArray[np.intp]:
        """Chunks among the first `rows` rows whose bytes differ from the shadow (or whose shadow is stale, or
        missing: past its end)."""
        chunk_bytes = self.per * self.row_bytes
        common = min(rows * self.row_bytes, len(self.shadow))
        full = common // chunk_bytes
        a, b = raw[: full * chunk_bytes], self.shadow[: full * chunk_bytes]
        if chunk_bytes % 8 == 0 and full:
            a, b = a.view(np.uint64), b.view(np.uint64)
        if full:
            differ = np.flatnonzero(a != b)  # the usual case: few or no differences, found at memory speed
            per_chunk = len(a) // full
            if len(differ) > full:  # many: one test per chunk is cheaper than one division per difference
                changed = np.flatnonzero((a != b).reshape(full, per_chunk).any(axis=1))
            else:
                changed = _unique_sorted(differ // per_chunk)
        else:
            changed = np.zeros(0, dtype=np.intp)
        tail = slice(full * chunk_bytes, common)
        if common > full * chunk_bytes and not np.array_equal(raw[tail], self.shadow[tail]):
            changed = np.append(changed, full)
        if self.stale is None and common == rows * self.row_bytes:
            return changed.astype(np.intp)
        mask = np.zeros(-(-rows // self.per), dtype=np.bool_)
        mask[changed] = True
        if self.stale is not None:
            mask[: len(self.stale)] |= self.stale[: len(mask)]
        if common < rows * self.row_bytes:
            mask[common // chunk_bytes :] = True  # past the shadow's end (its last whole chunk)
        return np.flatnonzero(mask).astype(np.intp)

    def _noted_chunks(self, log: WriteLog, rows: int) -> npt.NDArray[np.intp]:
        """The chunks holding the rows `log` noted (among the first `rows`): marked in a mask of the chunks (a
        slot's participation flags note ~31,000 rows: no sort of them)."""
        if not log.rows:
            return np.zeros(0, dtype=np.intp)
        mask = np.zeros(-(-rows // self.per), dtype=np.bool_)
        for noted in log.rows:
            if isinstance(noted, tuple):
                start, stop = max(noted[0], 0), min(noted[1], rows)
                if stop > start:
                    mask[start // self.per : (stop - 1) // self.per + 1] = True
            else:
                inside = noted[(noted >= 0) & (noted < rows)]
                mask[inside // self.per] = True
        return np.flatnonzero(mask).astype(np.intp)

    def _mark_stale(self, dirty: npt.NDArray[np.intp]) -> None:
        """The shadow is left as it was at chunks `dirty` (re-hashed from the column, not copied to the shadow)."""
        covered = -(-len(self.shadow) // (self.per * self.row_bytes))
        inside = dirty[dirty < covered]
        if not len(inside):
            return
        stale = np.zeros(covered, dtype=np.bool_) if self.stale is None else self.stale.copy()
        stale[inside] = True
        self.stale = stale

    def _refresh_shadow(self, raw: npt.NDArray[np.uint8], rows: int, dirty: npt.NDArray[np.intp]) -> None:
        """The shadow to the column's bytes (after a compare found `dirty`, which holds every stale chunk)."""
        chunks = -(-rows // self.per)
        if len(self.shadow) != len(raw) or len(dirty) * 4 > chunks:
            self.shadow = raw.copy()
            self.shared_shadow = False
        elif len(dirty):
            if self.shared_shadow:
                self.shadow, self.shared_shadow = self.shadow.copy(), False
            chunk_bytes = self.per * self.row_bytes
            for i in dirty.tolist():
                self.shadow[i * chunk_bytes : (i + 1) * chunk_bytes] = raw[i * chunk_bytes : (i + 1) * chunk_bytes]
        self.stale = None

    def update(self, column: npt.NDArray[Any], *, same_source: bool = False, writes: WriteLog | None = None) -> None:
        """Bring the tree to `column`'s content, re-hashing only the chunks that changed since the last update.
        `same_source`: `column` is (a longer view of) the column this tree last hashed (an append-only tree
        rebuilds otherwise). `writes`: what the registry noted was written to it since (then nothing is compared
        and the shadow is left alone, those chunks marked stale; None, or a log saying `whole`: the column is
        compared with the shadow, which is then brought up to date)."""
        raw = _raw(column)
        rows = len(column)
        if rows < self.count or self.row_bytes * rows != len(raw) or (self.append_only and not same_source):
            self.count, self.layers, self.shadow = 0, [], np.zeros(0, dtype=np.uint8)  # start over
            self.stale = None
            self.shared_layers = self.shared_shadow = False
        old = self.count
        noted = writes is not None and not writes.whole and rows >= old
        if self.append_only:
            dirty = np.zeros(0, dtype=np.intp)
        elif noted and writes is not None:
            dirty = self._noted_chunks(writes, old)
        else:
            dirty = self._changed_chunks(raw, old)
        chunks = -(-rows // self.per)
        if rows != old:
            dirty = np.union1d(dirty, np.arange(old // self.per, chunks)).astype(np.intp)
            self._resize(chunks)
            self.shared_layers = False  # (new arrays)
        if self.append_only:
            pass
        elif noted:
            self._mark_stale(dirty)
        else:
            self._refresh_shadow(raw, rows, dirty)
        self.count = rows
        if not len(dirty):
            return
        if self.shared_layers:
            self.layers, self.shared_layers = [layer.copy() for layer in self.layers], False
        self._rehash(raw, dirty.astype(np.intp))

    def _rehash(self, raw: npt.NDArray[np.uint8], dirty: npt.NDArray[np.intp]) -> None:
        chunk_bytes = self.per * self.row_bytes
        mv = raw.data  # (a slice past the end stops at the end: the last chunk may be short)
        leaves = b"".join([_sha(mv[i * chunk_bytes : (i + 1) * chunk_bytes]).digest() for i in dirty.tolist()])
        self.layers[0][dirty] = np.frombuffer(leaves, dtype=np.uint8).reshape(-1, 32)
        for height in range(len(self.layers) - 1):
            dirty = _unique_sorted(dirty // ARITY)
            self.layers[height + 1][dirty] = _parents(self.layers[height], height, dirty)

    def root(self) -> bytes:
        """The field root: the chunk tree's root mixed with the row count."""
        return mix_in_count(self.layers[-1][0].tobytes() if self.layers else ZERO32, self.count)

    def branch(self, index: int) -> list[list[bytes]]:
        """The siblings of chunk `index`, level by level, bottom first."""
        return _branch(self.layers, index)

    def chunk(self, column: npt.NDArray[Any], index: int) -> bytes:
        """Chunk `index` of `column` (the column this tree has just hashed)."""
        chunk_bytes = self.per * self.row_bytes
        return _raw(column)[index * chunk_bytes : min((index + 1) * chunk_bytes, self.count * self.row_bytes)].tobytes()


_BUCKETS = 1 << ACCOUNT_BUCKET_BITS


_RECORD = np.dtype([("address", "S20"), ("balance", "<u8"), ("nonce", "<u8")])
"""One account entry as the tree hashes it (ACCOUNT_RECORD bytes: address, balance LE, nonce LE)."""


def _buckets_of(keys: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """The bucket of each address in an 'S20' array (its first 32 bits, big-endian, shifted)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    head = np.ascontiguousarray(keys).view(np.uint8).reshape(-1, 20)[:, :4].copy().view(">u4").reshape(-1)
    return (head.astype(np.int64) >> (32 - ACCOUNT_BUCKET_BITS)).astype(np.int64)


def _empty_layers() -> list[npt.NDArray[np.uint8]]:
    """The layers of an empty accounts tree: every leaf 32 zero bytes, every node a zero subtree's root."""
    return [
        np.tile(np.frombuffer(ZERO_NODES[h], dtype=np.uint8), (_BUCKETS // ARITY**h, 1))
        for h in range(ACCOUNT_HEIGHT + 1)
    ]


def _branch(layers: list[npt.NDArray[np.uint8]], index: int) -> list[list[bytes]]:
    """The siblings of leaf `index`, level by level, bottom first (ARITY - 1 per level; missing ones are zero
    subtrees)."""
    out = []
    for height in range(len(layers) - 1):
        layer = layers[height]
        first = index - index % ARITY
        out.append(
            [
                layer[j].tobytes() if j < len(layer) else ZERO_NODES[height]
                for j in range(first, first + ARITY)
                if j != index
            ]
        )
        index //= ARITY
    return out


class AccountTree:
    """The accounts' bucket tree: each bucket's entries as one immutable byte string (address || balance ||
    nonce, sorted by address: the bytes its leaf hashes) and the tree's layers (depth ACCOUNT_BUCKET_BITS, all
    levels stored).

    A bucket is its own object so that a block rewrites only the buckets it touched, and a copy shares them all:
    copying is copying a list of 2**16 references, and writing one bucket never copies another. (One sorted table
    of every entry would be cheaper to build, but a block that opens a single account would shift the whole table:
    an insert into 36 MB at a million accounts cost 11 ms a block, and a copy's first write copied it all.)"""

    __slots__ = ("buckets", "count", "followed", "layers", "shared_buckets", "shared_layers", "token")

    def __init__(self) -> None:
        self.buckets: list[bytes] = [b""] * _BUCKETS
        """Bucket -> its entries, ACCOUNT_RECORD bytes each, sorted by address (b"": an empty bucket)."""
        self.count = 0
        """Accounts in the ledger (every bucket's entries)."""
        self.layers = _empty_layers()
        self.token = object()
        """This tree's mark on the ledger it follows (Accounts.take_touched)."""
        self.followed: Accounts | None = None
        """The ledger this tree holds (a different one is hashed from scratch)."""
        self.shared_buckets = self.shared_layers = False
        """`buckets` (`layers`) may be another tree's too (a copy): copied before it is written in place (the
        byte strings themselves are immutable: always shared)."""

    def copy(self) -> AccountTree:
        """A tree of its own that shares the arrays until either side writes (copy-on-write: a copy whose ledger
        does not change, such as the head state advanced to a slot, copies nothing)."""
        new = AccountTree.__new__(AccountTree)
        new.buckets = self.buckets
        new.count = self.count
        new.layers = list(self.layers)
        new.token = object()
        new.followed = None
        self.shared_buckets = self.shared_layers = new.shared_buckets = new.shared_layers = True
        return new

    def bucket_bytes(self, bucket: int) -> bytes:
        """The bucket's entries, address || balance || nonce, sorted by address."""
        return self.buckets[bucket]

    def _rebuild(self, accounts: Accounts) -> tuple[npt.NDArray[np.int64], bytes]:
        addresses, balances, nonces = accounts.entries()
        table = np.empty(len(addresses), dtype=_RECORD)
        table["address"] = np.array(addresses, dtype="S20") if addresses else table["address"]
        table["balance"] = balances
        table["nonce"] = nonces
        table = table[np.argsort(table["address"], kind="stable")]
        buckets = _buckets_of(np.ascontiguousarray(table["address"]))
        present = _unique_sorted(buckets)
        self.buckets = [b""] * _BUCKETS
        self.count = len(table)
        self.layers = _empty_layers()
        self.shared_buckets = self.shared_layers = False
        lows = np.searchsorted(buckets, present, side="left")
        highs = np.searchsorted(buckets, present, side="right")
        return present, self._store(table, present, lows, highs)

    def _store(
        self, rows: npt.NDArray[Any], dirty: npt.NDArray[np.int64], lows: npt.NDArray[Any], highs: npt.NDArray[Any]
    ) -> bytes:
        """Set each bucket of `dirty` to its entries, rows lows[k] to highs[k] of `rows` (sorted by address), as one
        byte string; returns their leaves (sha256 of each, or the zero leaf of an empty bucket), concatenated."""
        data = rows.tobytes()
        r = ACCOUNT_RECORD
        store = self.buckets
        leaves = []
        for bucket, lo, hi in zip(dirty.tolist(), lows.tolist(), highs.tolist(), strict=True):
            piece = store[bucket] = data[lo * r : hi * r]
            leaves.append(_sha(piece).digest() if piece else ZERO32)
        return b"".join(leaves)

    def _apply(self, touched: dict[bytes, AccountEntry | None]) -> tuple[npt.NDArray[np.int64], bytes]:
        """Rewrite the buckets of the touched addresses; returns those buckets and their new leaves. Vectorised over
        every touched bucket at once: their entries as one sorted array (buckets in order, each sorted), the
        touched addresses found in it by binary search and their entries written in place (the usual case: every
        touched account exists before and after), emptied ones deleted, new ones inserted; then cut back into
        buckets."""
        addresses = sorted(touched)
        cand = np.array(addresses, dtype="S20")
        cand_buckets = _buckets_of(cand)
        dirty = _unique_sorted(cand_buckets)
        if self.shared_buckets:
            self.buckets, self.shared_buckets = list(self.buckets), False
        store = self.buckets
        pieces = [store[b] for b in dirty.tolist()]
        counts = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)) // ACCOUNT_RECORD
        rows = np.frombuffer(bytearray(b"".join(pieces)), dtype=_RECORD)  # (writable)
        found = [touched[k] for k in addresses]
        present = np.fromiter((f is not None for f in found), dtype=np.bool_, count=len(found))
        known = np.zeros(len(cand), dtype=np.bool_)
        pos = np.zeros(len(cand), dtype=np.intp)
        if len(rows):
            pos = np.searchsorted(rows["address"], cand)
            inside = pos < len(rows)
            known[inside] = rows["address"][pos[inside]] == cand[inside]
        stay = known & present
        if stay.any():
            values = [f for f, s in zip(found, stay.tolist(), strict=True) if s and f is not None]
            at = pos[stay]
            rows["balance"][at] = [v[0] for v in values]
            rows["nonce"][at] = [v[1] for v in values]
        gone = known & ~present
        new = present & ~known
        if gone.any() or new.any():  # accounts leaving (emptied) or joining the ledger
            slot = np.searchsorted(dirty, cand_buckets)  # each touched address's bucket, as a position in `dirty`
            counts += np.bincount(slot[new], minlength=len(dirty)) - np.bincount(slot[gone], minlength=len(dirty))
            rows = np.delete(rows, pos[gone])
            values = [f for f, s in zip(found, new.tolist(), strict=True) if s and f is not None]
            added = np.empty(len(values), dtype=_RECORD)
            added["address"] = cand[new]
            added["balance"] = [v[0] for v in values]
            added["nonce"] = [v[1] for v in values]
            rows = np.insert(rows, np.searchsorted(rows["address"], added["address"]), added)
            self.count += len(values) - int(np.count_nonzero(gone))
        highs = np.cumsum(counts)
        return dirty, self._store(rows, dirty, highs - counts, highs)

    def update(self, accounts: Accounts, *, follow: bool = True) -> None:
        """Bring the tree to `accounts`. `follow=False`: rebuild it whole and leave the ledger alone (its noted
        writes stay for the tree that follows it)."""
        if follow:
            touched = accounts.take_touched(self.token)  # None unless this tree follows the ledger: rebuild
            if accounts is not self.followed:
                touched = None
            self.followed = accounts
            accounts.follow(self.token)
        else:
            touched, self.followed = None, None
        if touched is not None and not touched:
            return
        dirty, leaves = self._rebuild(accounts) if touched is None else self._apply(touched)
        if self.shared_layers:  # about to write them in place: our own first
            self.layers, self.shared_layers = [layer.copy() for layer in self.layers], False
        if len(dirty):
            self.layers[0][dirty] = np.frombuffer(leaves, dtype=np.uint8).reshape(-1, 32)
        for height in range(ACCOUNT_HEIGHT):
            dirty = _unique_sorted(dirty // ARITY)
            if len(dirty):
                self.layers[height + 1][dirty] = _parents(self.layers[height], height, dirty)

    def root(self) -> bytes:
        return mix_in_count(self.layers[-1][0].tobytes(), self.count)

    def branch(self, bucket: int) -> list[list[bytes]]:
        return _branch(self.layers, bucket)


def _uint(value: int, name: str) -> bytes:
    if not 0 <= value < 2**256:
        raise ValueError(f"{name}: {value} is not an unsigned integer of at most 256 bits")
    return value.to_bytes(32, "little")


def _small_root(f: Field, value: Any) -> bytes:
    """The root of a field hashed whole."""
    kind = f.kind
    if kind == "uint64":
        return _uint(value, f.name)
    if kind == "bytes":
        return bytes(value).ljust(32, b"\x00") if len(value) <= 32 else _sha(value).digest()
    if kind == "bits":
        return _sha(bytes(bool(b) for b in value)).digest()
    if kind == "checkpoint":
        return _sha(value.epoch.to_bytes(8, "little") + value.root).digest()
    if kind in ("header", "queue"):
        return _sha(msgspec.msgpack.encode(value)).digest()
    raise ValueError(f"{f.name}: kind {kind} is not hashed whole")


def _column_of(state: BeaconState, f: Field) -> npt.NDArray[Any]:
    column: npt.NDArray[Any] = getattr(state.validators if f.kind == "column" else state, f.name)
    return column


def _row_bytes(f: Field, column: npt.NDArray[Any]) -> int:
    return int(column.dtype.itemsize * int(np.prod(column.shape[1:], dtype=np.int64)))


def _holder_entry(holder: Any, shares: Any) -> bytes:
    """One holder's entry in its bucket: len(holder) (1 byte) || holder || shares (8 bytes LE)."""
    if not isinstance(holder, bytes) or len(holder) > 255:
        raise ValueError(f"a share ledger's holder is at most 255 bytes, got {holder!r}")
    if not isinstance(shares, int) or not 0 <= shares < 2**64:
        raise ValueError(f"holder 0x{holder.hex()} holds {shares!r} shares: not an unsigned 64-bit integer")
    return bytes([len(holder)]) + holder + shares.to_bytes(8, "little")


def _bucket_leaf(table: dict[bytes, int], holders: list[bytes]) -> bytes:
    return _sha(b"".join([_holder_entry(h, table[h]) for h in holders])).digest()


def _record_entry(holder: Any, value: Any) -> bytes:
    """One holder's entry in a record table's bucket: len(holder) (1 byte) || holder || len(value bytes) (4 bytes
    LE) || value bytes, the value bytes the record's canonical msgpack (`modules/store.py: record_bytes`)."""
    if not isinstance(holder, bytes) or len(holder) > 255:
        raise ValueError(f"a record table's holder is at most 255 bytes, got {holder!r}")
    body = record_bytes(value)
    return bytes([len(holder)]) + holder + len(body).to_bytes(4, "little") + body


def _record_leaf(table: dict[bytes, Any], holders: list[bytes]) -> bytes:
    return _sha(b"".join([_record_entry(h, table[h]) for h in holders])).digest()


def _sorted_holders(
    holders: list[bytes], width: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Holders all of `width` bytes sorted with numpy: (the order that sorts them, their bytes in that order as rows,
    bucket b's holders are rows offsets[b] to offsets[b + 1])."""
    n = len(holders)
    raw = np.frombuffer(b"".join(holders), dtype=np.uint8).reshape(n, width)
    padded = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    padded[:, :width] = raw
    words = padded.view(">u8")  # byte order is the order of these big-endian words, first word first
    order = np.argsort(words[:, 0], kind="stable")
    first = words[order, 0]
    if words.shape[1] > 1 and bool((first[1:] == first[:-1]).any()):
        order = np.lexsort(words.T[::-1])  # holders sharing their first 8 bytes: sort on every word
    ordered = raw[order]
    buckets = (ordered[:, 0].astype(np.int64) << 8) | ordered[:, 1]
    offsets = np.searchsorted(buckets, np.arange(_BUCKETS + 1, dtype=np.int64)).astype(np.int64)
    return order, ordered, offsets


class ShareTree:
    """One share ledger's holder table as a tree (shaped like the accounts'): 2**16 buckets by the holder's first
    16 bits, a bucket's leaf the SHA-256 of its entries sorted by holder (`_holder_entry`), a 16-ary tree of height
    4 over the buckets, the holder count mixed in. Sparse: only non-empty buckets and the nodes above them are
    stored (a chain has many small ledgers). The table (a `ShareMap`) notes the holders written to it; an update
    re-hashes their buckets and those buckets' ancestors. A table that notes nothing (a dict that is not a
    ShareMap) is hashed whole each time. A record table's tree is a `RecordTree`: the same but for its entries.

    A bucket's holders are read from `base` (every holder, sorted, as the last rebuild found them: one immutable
    blob, shared by copies) until the bucket first changes; from then on from `members` (a sorted list)."""

    __slots__ = ("base", "count", "followed", "layers", "members", "token")

    def __init__(self) -> None:
        self.base: tuple[bytes, int, npt.NDArray[np.int64]] | None = None
        """(the holders of the last rebuild, sorted, concatenated; their width; bucket b's holders are the
        b-th to (b+1)-th offsets' slice), when they all had one width; None: `members` holds every bucket."""
        self.members: dict[int, list[bytes]] = {}
        """Bucket -> its holders, sorted, for the buckets changed since the last rebuild (no entry: see `base`)."""
        self.layers: list[dict[int, bytes]] = [{} for _ in range(ACCOUNT_HEIGHT + 1)]
        """Height -> node index -> hash (no entry: an all-zero subtree's root, ZERO_NODES[height])."""
        self.count = 0
        self.token = object()
        """This tree's mark on the table it follows (ShareMap.take_touched)."""
        self.followed: dict[bytes, int] | None = None

    def copy(self) -> ShareTree:
        new = type(self).__new__(type(self))
        new.base = self.base  # immutable: shared
        new.members = {bucket: list(holders) for bucket, holders in self.members.items()}
        new.layers = [dict(layer) for layer in self.layers]
        new.count = self.count
        new.token = object()
        new.followed = None
        return new

    def _holders(self, bucket: int) -> list[bytes]:
        """The bucket's holders, sorted, as a list of its own (taken from `base` the first time)."""
        holders = self.members.get(bucket)
        if holders is None:
            holders = self.members[bucket] = []
            if self.base is not None:
                blob, width, offsets = self.base
                lo, hi = int(offsets[bucket]) * width, int(offsets[bucket + 1]) * width
                holders.extend(blob[i : i + width] for i in range(lo, hi, width))
        return holders

    @staticmethod
    def _entry(holder: Any, value: Any) -> bytes:
        return _holder_entry(holder, value)

    @staticmethod
    def _leaf(table: dict[bytes, Any], holders: list[bytes]) -> bytes:
        return _bucket_leaf(table, holders)

    def _rebuild(self, table: dict[bytes, Any]) -> set[int]:
        """Every bucket from the whole table; returns the buckets whose leaves were set."""
        self.layers = [{} for _ in range(ACCOUNT_HEIGHT + 1)]
        self.members, self.base = {}, None
        self.count = len(table)
        holders = list(table)
        width = len(holders[0]) if holders else 0
        values: npt.NDArray[np.uint64] | None = None
        if (
            not isinstance(self, RecordTree)
            and 2 <= width <= 255
            and set(map(type, holders)) == {bytes}
            and set(map(len, holders)) == {width}
        ):
            shares = list(table.values())
            if set(map(type, shares)) == {int}:
                try:
                    values = np.array(shares, dtype="<u8")
                except OverflowError:
                    values = None  # the slow path below names the bad entry
        leaf = self.layers[0]
        if values is None:
            for holder in holders:
                self._entry(holder, table[holder])
                self.members.setdefault(holder_bucket(holder), []).append(holder)
            for bucket, bucket_holders in self.members.items():
                bucket_holders.sort()
                leaf[bucket] = self._leaf(table, bucket_holders)
            return set(self.members)
        # All holders of one width (addresses): sorted and hashed with numpy, one SHA-256 call per bucket.
        n = len(holders)
        order, ordered, offsets = _sorted_holders(holders, width)
        self.base = (ordered.tobytes(), width, offsets)
        record = 1 + width + 8
        entries = np.empty((n, record), dtype=np.uint8)
        entries[:, 0] = width
        entries[:, 1 : 1 + width] = ordered
        entries[:, 1 + width :] = values[order].view(np.uint8).reshape(n, 8)
        mv = memoryview(entries.reshape(-1).data)
        present = np.flatnonzero(offsets[1:] > offsets[:-1])
        for bucket, lo, hi in zip(
            present.tolist(), offsets[present].tolist(), offsets[present + 1].tolist(), strict=True
        ):
            leaf[bucket] = _sha(mv[lo * record : hi * record]).digest()
        return set(present.tolist())

    def _apply(self, table: dict[bytes, int], touched: set[bytes]) -> set[int]:
        """Bring the touched holders' buckets up to date; returns those buckets."""
        dirty: set[int] = set()
        for holder in touched:
            if holder in table:
                self._entry(holder, table[holder])
            else:
                _holder_entry(holder, 0)  # the holder's own check
            bucket = holder_bucket(holder)
            dirty.add(bucket)
            holders = self._holders(bucket)
            at = bisect.bisect_left(holders, holder)
            known = at < len(holders) and holders[at] == holder
            if holder in table:
                if not known:
                    holders.insert(at, holder)
                    self.count += 1
            elif known:
                del holders[at]
                self.count -= 1
        leaf = self.layers[0]
        for bucket in dirty:
            holders = self.members[bucket]
            if holders:
                leaf[bucket] = self._leaf(table, holders)
            else:
                leaf.pop(bucket, None)
        return dirty

    def update(self, table: dict[bytes, int], *, follow: bool = True) -> None:
        """Bring the tree to `table`. `follow=False`: rebuild it whole and leave the table alone."""
        touched = table.take_touched(self.token) if follow and isinstance(table, ShareMap) else None
        if table is not self.followed:
            touched = None
        self.followed = table if follow and isinstance(table, ShareMap) else None
        if touched is not None and not touched:
            return
        dirty = self._rebuild(table) if touched is None else self._apply(table, touched)
        for height in range(ACCOUNT_HEIGHT):
            below, above, zero = self.layers[height], self.layers[height + 1], ZERO_NODES[height]
            dirty = {i // ARITY for i in dirty}
            for parent in dirty:
                first = parent * ARITY
                children = [below.get(first + j, zero) for j in range(ARITY)]
                if all(child is zero for child in children):
                    above.pop(parent, None)
                else:
                    above[parent] = _sha(b"".join(children)).digest()

    def bucket_bytes(self, table: dict[bytes, int], bucket: int) -> bytes:
        """The bucket's entries as its leaf hashes them (the table this tree has just hashed); reads only."""
        holders = self.members.get(bucket)
        if holders is None and self.base is not None:
            blob, width, offsets = self.base
            lo, hi = int(offsets[bucket]) * width, int(offsets[bucket + 1]) * width
            holders = [blob[i : i + width] for i in range(lo, hi, width)]
        return b"".join([self._entry(h, table[h]) for h in holders or []])

    def branch(self, bucket: int) -> list[list[bytes]]:
        """The siblings of bucket `bucket`, level by level, bottom first."""
        out = []
        index = bucket
        for height in range(ACCOUNT_HEIGHT):
            layer, first = self.layers[height], index - index % ARITY
            out.append([layer.get(j, ZERO_NODES[height]) for j in range(first, first + ARITY) if j != index])
            index //= ARITY
        return out

    def root(self) -> bytes:
        """The table's root: the bucket tree's root mixed with the holder count."""
        return mix_in_count(self.layers[ACCOUNT_HEIGHT].get(0, ZERO_NODES[ACCOUNT_HEIGHT]), self.count)


class RecordTree(ShareTree):
    """A record table's tree (holder -> an immutable record: `modules/shares.py: RecordMap`): a `ShareTree` whose
    bucket entries are `_record_entry` (the record's canonical msgpack, length-prefixed) instead of an 8-byte
    integer. The table refuses values that could change in place, so every change to a record is a write it notes.
    """

    __slots__ = ()

    @staticmethod
    def _entry(holder: Any, value: Any) -> bytes:
        return _record_entry(holder, value)

    def _rebuild(self, table: dict[bytes, Any]) -> set[int]:
        """Every bucket from the whole table (each record encoded once); returns the buckets whose leaves were set."""
        holders = list(table)
        width = len(holders[0]) if holders else 0
        if not (2 <= width <= 255 and set(map(type, holders)) == {bytes} and set(map(len, holders)) == {width}):
            return super()._rebuild(table)  # holders of several widths (or none): bucket by bucket
        self.layers = [{} for _ in range(ACCOUNT_HEIGHT + 1)]
        self.members, self.count = {}, len(table)
        order, ordered, offsets = _sorted_holders(holders, width)
        blob = ordered.tobytes()
        self.base = (blob, width, offsets)
        values = list(table.values())
        entries = [_record_entry(blob[i * width : (i + 1) * width], values[j]) for i, j in enumerate(order.tolist())]
        leaf = self.layers[0]
        present = np.flatnonzero(offsets[1:] > offsets[:-1])
        for bucket, lo, hi in zip(
            present.tolist(), offsets[present].tolist(), offsets[present + 1].tolist(), strict=True
        ):
            leaf[bucket] = _sha(b"".join(entries[lo:hi])).digest()
        return set(present.tolist())

    @staticmethod
    def _leaf(table: dict[bytes, Any], holders: list[bytes]) -> bytes:
        return _record_leaf(table, holders)


class ModuleTree:
    """The module store's part roots (one per enabled module, and ``withdrawn``). A part is committed as its
    summary (`part_summary`): its state as builtins with each share ledger's holder table replaced by that table's
    root (a `ShareTree`, kept per table and brought up to date from the holders the table noted). The summary's
    plain msgpack encoding (C speed) is kept with the part's root: a part whose summary encodes byte for byte as
    the one last hashed holds the same content, and is not encoded canonically (its mappings sorted in Python)
    again. Nothing relies on a module reporting what it touched: handlers, host services reaching into another
    module, epoch hooks and direct writes all go through the tables (which note them) or the summary (compared)."""

    __slots__ = ("parts", "tables")

    def __init__(self) -> None:
        self.parts: dict[str, tuple[bytes, bytes]] = {}
        """Part name -> (its summary's plain encoding, its root: sha256 of the summary's canonical bytes)."""
        self.tables: dict[int, tuple[dict[bytes, Any], ShareTree]] = {}
        """id(holder table) -> (the table, its tree: a RecordTree for a record table), for the tables of the store
        last hashed."""

    def copy(self, source: ModuleStore | None = None, target: ModuleStore | None = None) -> ModuleTree:
        """A copy; with `source` (the store this tree hashed) and `target` (a fresh copy of it, `ModuleStore.copy`),
        the copy's trees follow the target's holder tables, which are paired with the source's in the order the
        summary meets them (else the copy rebuilds every table when next hashed)."""
        new = ModuleTree()
        new.parts = dict(self.parts)  # immutable entries: shared
        if source is None or target is None:
            return new
        theirs = [table for _, value in store_parts(source) for table in share_tables(value)]
        ours = [table for _, value in store_parts(target) for table in share_tables(value)]
        if len(theirs) != len(ours):
            return new
        for old, fresh in zip(theirs, ours, strict=True):
            known = self.tables.get(id(old))
            if known is None or known[0] is not old or not isinstance(old, ShareMap) or not isinstance(fresh, ShareMap):
                continue
            if not old.followed_by(known[1].token):
                continue
            tree = known[1].copy()
            tree.followed = fresh
            fresh.follow(tree.token, old.pending())
            new.tables[id(fresh)] = (fresh, tree)
        return new

    def update(self, store: ModuleStore, *, follow: bool = True) -> bytes:
        """The module store's root. `follow=False`: every holder table hashed whole, none taken over."""
        tables: dict[int, tuple[dict[bytes, Any], ShareTree]] = {}

        def table_root(table: dict[bytes, Any], records: bool) -> bytes:
            found = tables.get(id(table))
            if found is None:  # each table once per update, even if two ledgers share it
                known = self.tables.get(id(table))
                kind = RecordTree if records else ShareTree
                tree = known[1] if known is not None and known[0] is table and type(known[1]) is kind else kind()
                tree.update(table, follow=follow)
                found = tables[id(table)] = (table, tree)
            return found[1].root()

        parts = []
        seen = {}
        for name, value in store_parts(store):
            summary = part_summary(value, table_root)
            plain = msgspec.msgpack.encode(summary)
            known = self.parts.get(name)
            root = (
                known[1] if known is not None and known[0] == plain else _sha(canonical_summary_bytes(summary)).digest()
            )
            seen[name] = (plain, root)
            parts.append((name, root))
        self.parts = seen
        self.tables = tables
        return modules_root(parts)


class StateCommitment:
    """The cached Merkle tree of one state (see the module docstring)."""

    __slots__ = ("accounts", "columns", "detached", "leaves", "modules", "registry", "token")

    def __init__(self, *, detached: bool = False) -> None:
        self.detached = detached
        """Follows nothing: every update builds the tree anew from the state alone and leaves the state's registry,
        ledger and holder tables (their write logs, and which tree follows them) as they were, so the state's own
        tree stays incremental (`hash_state_from_scratch`)."""
        self.columns: dict[str, ChunkTree] = {}
        self.accounts = AccountTree()
        self.modules = ModuleTree()
        self.leaves: list[tuple[str, bytes]] = []
        self.registry: Registry | None = None
        """The registry last hashed (its append-only columns are trusted to have kept their rows)."""
        self.token = object()
        """This tree's mark on the registry it follows (Registry.take_writes)."""

    def copy(self, source: BeaconState, target: BeaconState) -> StateCommitment:
        """The cache of `target`, a fresh `source.copy()`: the copy's trees follow the copy's registry and
        ledger when this one followed `source`'s (else they rebuild when next hashed)."""
        new = StateCommitment.__new__(StateCommitment)
        new.detached = self.detached
        new.columns = {name: tree.copy() for name, tree in self.columns.items()}
        new.accounts = self.accounts.copy()
        new.modules = self.modules.copy(source.modules, target.modules)
        new.leaves = list(self.leaves)
        new.registry = target.validators if source.validators is self.registry else None
        new.token = object()
        if new.registry is not None and source.validators.followed_by(self.token):
            target.validators.follow(new.token)  # the copy's write logs are copies of the source's
        ledger = source.accounts
        if ledger is self.accounts.followed and ledger.followed_by(self.accounts.token):
            new.accounts.followed = target.accounts
            target.accounts.follow(new.accounts.token)
        return new

    def update(self, state: BeaconState) -> bytes:
        """Bring the tree to `state` and return the state root."""
        leaves = [("preset", field_leaf("preset", preset_root(state.preset.PRESET_NAME)))]
        follow = not self.detached
        same = follow and state.validators is self.registry and state.validators.intact()
        # None unless this tree follows the registry (a detached tree leaves its write logs alone)
        writes = state.validators.take_writes(self.token) if follow else None
        if not same:  # another registry, or one whose columns were replaced: compare (and rebuild the pubkeys)
            writes = None
        for f in STATE_FIELDS:
            if f.kind in _COLUMN_KINDS:
                column = _column_of(state, f)
                tree = self.columns.get(f.name)
                width = _row_bytes(f, column)
                if tree is None or tree.row_bytes != width:
                    tree = self.columns[f.name] = ChunkTree(width, append_only=f.append_only)
                tree.update(
                    column,
                    same_source=same,
                    writes=writes.get(f.name) if writes is not None and f.kind == "column" else None,
                )
                root = tree.root()
            elif f.kind == "accounts":
                self.accounts.update(state.accounts, follow=follow)
                root = self.accounts.root()
            elif f.kind == "modules":
                root = self.modules.update(getattr(state, f.name), follow=follow)
            else:
                root = _small_root(f, getattr(state, f.name))
            leaves.append((f.name, field_leaf(f.name, root)))
        self.leaves = leaves
        self.registry = state.validators
        return merkle_root([leaf for _, leaf in leaves])

    # -- proofs -----------------------------------------------------------------------------------------------
    def _proof(self, state: BeaconState, paths: list[FieldPath]) -> StateProof:
        root = merkle_root([leaf for _, leaf in self.leaves])
        return StateProof(root, state.preset.PRESET_NAME, list(self.leaves), paths)

    def prove_account(self, state: BeaconState, address: bytes) -> StateProof:
        """A proof of `address`'s balance and nonce (or absence) in the state last hashed (call update first)."""
        from stakework.state.proofs import account_bucket

        bucket = account_bucket(address)
        path = FieldPath(
            "accounts",
            bucket,
            self.accounts.bucket_bytes(bucket),
            self.accounts.branch(bucket),
            self.accounts.count,
        )
        return self._proof(state, [path])

    def prove_validator(self, state: BeaconState, index: int) -> StateProof:
        """A proof of validator `index`'s record and balance in the state last hashed (call update first)."""
        paths = []
        for name in VALIDATOR_WIDTHS:
            tree = self.columns[name]
            if not 0 <= index < tree.count:
                raise IndexError(f"validator index {index} out of range (registry has {tree.count})")
            chunk = index // tree.per
            paths.append(
                FieldPath(
                    name, chunk, tree.chunk(getattr(state.validators, name), chunk), tree.branch(chunk), tree.count
                )
            )
        return self._proof(state, paths)


TableStep = tuple[str, str | int]


def table_paths(value: Any) -> list[tuple[list[TableStep], dict[bytes, int]]]:
    """Where each integer holder table of a module's state (a part) sits in its summary: (the steps from the
    summary to the table's root, as `proofs.ModulePath.table`; the table), in the order the summary meets them: the
    tables a holder proof covers (record tables are left out: `_all_table_paths`). A table under a mapping key that
    is neither a string nor an integer is left out (a proof path cannot name it)."""
    return [(steps, table) for steps, table, records in _all_table_paths(value) if not records]


def _all_table_paths(value: Any) -> list[tuple[list[TableStep], dict[bytes, Any], bool]]:
    """`table_paths` with the record tables too: (steps, table, whether it is a record table)."""
    marks: dict[bytes, tuple[dict[bytes, Any], bool]] = {}

    def mark(table: dict[bytes, Any], records: bool) -> bytes:
        sentinel = _sha(b"swk:table path " + len(marks).to_bytes(8, "big")).digest()
        marks[sentinel] = (table, records)
        return sentinel

    summary = part_summary(value, mark)
    out: list[tuple[list[TableStep], dict[bytes, Any], bool]] = []

    def walk(node: Any, path: list[TableStep]) -> None:
        if isinstance(node, bytes) and node in marks:
            out.append((path, *marks[node]))
        elif isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
                    walk(item, [*path, ("key", key)])
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, [*path, ("at", i)])

    walk(summary, [])
    return out


def prove_holder(
    commitment: StateCommitment, state: BeaconState, module: str, table: list[TableStep], holder: bytes
) -> StateProof:
    """A proof of `holder`'s shares (or absence) in module `module`'s holder table at `table` (see `table_paths`)
    in the state last hashed by `commitment` (call update first). KeyError: no such module or table, or a record
    table (its entries are records, not the integers `proofs.verify_holder` reads: no proof is made for it)."""
    parts = dict(store_parts(state.modules))
    if module not in parts:
        raise KeyError(f"module {module!r} is not enabled (enabled: {', '.join(parts) or 'none'})")
    matches = [(t, records) for steps, t, records in _all_table_paths(parts[module]) if steps == list(table)]
    if matches and matches[0][1]:
        raise KeyError(
            f"{module}'s table at {table} is a record table (its values are records, not integers): holder proofs "
            f"cover the integer tables only ({', '.join(str(steps) for steps, _ in table_paths(parts[module]))})"
        )
    found = [t for t, _ in matches]
    if not found:
        raise KeyError(f"{module} has no holder table at {table}")
    known = commitment.modules.tables.get(id(found[0]))
    if known is None or known[0] is not found[0]:
        raise KeyError(f"{module}'s table at {table} was not hashed with the state (call update first)")
    tree = known[1]

    def root_of(t: dict[bytes, Any], records: bool) -> bytes:
        entry = commitment.modules.tables.get(id(t))
        if entry is None or entry[0] is not t:
            raise KeyError("a holder table was not hashed with the state (call update first)")
        return entry[1].root()

    summary = canonical_summary_bytes(part_summary(parts[module], root_of))
    part_roots = [(name, commitment.modules.parts[name][1]) for name in parts]
    bucket = holder_bucket(holder)
    path = ModulePath(
        module,
        part_roots,
        summary,
        list(table),
        bucket,
        tree.bucket_bytes(found[0], bucket),
        tree.branch(bucket),
        tree.count,
    )
    root = merkle_root([leaf for _, leaf in commitment.leaves])
    return StateProof(root, state.preset.PRESET_NAME, list(commitment.leaves), [], path)


def commitment_of(state: BeaconState) -> StateCommitment:
    """The state's cached commitment (created empty the first time: the next update builds it whole)."""
    cache = state._root_cache
    if not isinstance(cache, StateCommitment):
        cache = state._root_cache = StateCommitment()
    return cache
