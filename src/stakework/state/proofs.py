"""The state commitment's shape and Merkle proofs against a state root, verified with nothing but hashlib.

A light client (or anyone holding a state root from a block it trusts) can check what a node tells it about an
account or a validator with this module alone: it imports only the standard library (and stakework's base error
class, a ValueError).

The shape (built incrementally by `state/commitment.py`):

- The **state root** is the binary Merkle root (SHA-256, zero-padded to a power of two, as SSZ's `merkleize`)
  of one leaf per field of `state/fields.py`, in table order, after a first leaf naming the preset:
  ``leaf = sha256(b"swk:field" || len(name) as one byte || name || field_root)``.
- Below the fields, trees are **16-ary** (`ARITY`): a node is ``sha256`` of its 16 children's hashes
  concatenated; a missing child is the root of an all-zero subtree of its height (`ZERO_NODES`). Sixteen
  children per node make a tree a quarter as tall as a binary one: an update re-hashes about a quarter as many
  nodes (each 512 bytes instead of 64: hashing is mostly per-call cost here), and a branch carries 15 siblings
  per level.
- A **column** (a registry column, or a ring buffer of roots) is cut into chunks of `rows_per_chunk(row_bytes)`
  rows (about `LEAF_BYTES` bytes, little-endian); ``chunk_leaf = sha256(chunk bytes)``; the chunk leaves form a
  tree of height `column_height(chunks)` (the least h with 16**h >= chunks; one chunk: the leaf is the root;
  none: 32 zero bytes); ``field_root = sha256(tree_root || row count as 8 bytes LE)``.
- The **accounts** are spread over ``2**ACCOUNT_BUCKET_BITS`` buckets by the address's first 16 bits; a bucket's
  leaf is ``sha256`` of its entries ``address || balance (8 LE) || nonce (8 LE)`` sorted by address (an empty
  bucket: 32 zero bytes); the buckets form a tree of height 4; ``field_root = sha256(tree_root || account count
  as 8 bytes LE)``. A bucket proof also proves absence: an address that is not in its bucket's entries has
  balance 0 and nonce 0.
- The **module store**: a leaf per part (each enabled module, then ``withdrawn`` if not empty),
  ``sha256(b"swk:module" || len(name) as one byte || name || sha256(canonical summary))``, a binary Merkle root
  over them (as the state root), ``field_root = sha256(root || part count as 8 bytes LE)``. A part's summary is its
  state as builtins with each holder table replaced by the table's root, every mapping sorted by key,
  msgpack-encoded (`modules/store.py: part_summary`). The holder tables are the per-holder integer maps a module
  state names in ``holder_tables`` (`modules/shares.py: HolderTables`): every share ledger's ``shares``, liquid's
  ``wrapped``, lending's ``supply`` and ``debt`` per market, governance's ``balances`` and ``latest_proposal``, a
  safety vault's ``user_index``, ``accrued`` and ``cooldowns``. A holder table is shaped like the accounts:
  ``2**16`` buckets by the holder's first 16 bits (zero-padded), a bucket's leaf ``sha256`` of its entries
  ``len(holder) (1 byte) || holder || value (8 LE)`` sorted by holder (an empty bucket: 32 zero bytes), a tree of
  height 4, ``table_root = sha256(tree_root || holder count as 8 bytes LE)``. The **record tables** (the per-holder
  maps of immutable records a module state names in ``record_tables``: governance's ``delegates`` and
  ``checkpoints``, each proposal's ``receipts``, lending's ``users``) are shaped the same, with the entry
  ``len(holder) (1 byte) || holder || len(value) (4 LE) || value``, ``value`` the record's canonical bytes (its
  builtins with every mapping sorted by key, msgpack-encoded: `modules/store.py: record_bytes`). `verify_holder`
  reads integer tables only: no proof is made for a record table.
- Every other field's root is a SHA-256 of its canonical bytes (`state/commitment.py`), given in a proof as
  the leaf itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stakework.spec.errors import StakeworkError

LEAF_BYTES = 1024
"""Target bytes per column chunk: rows_per_chunk = max(1, LEAF_BYTES // row_bytes)."""
ARITY = 16
"""Children per node in the column and account trees."""
ACCOUNT_BUCKET_BITS = 16
"""The accounts tree has 2**16 buckets (a leaf each), chosen by the address's first 16 bits."""
ACCOUNT_HEIGHT = 4
"""16**4 = 2**16 buckets."""
ACCOUNT_RECORD = 20 + 8 + 8
"""Bytes of one account entry in a bucket: address, balance, nonce."""
ZERO32 = b"\x00" * 32


class ProofError(StakeworkError):
    """A proof that is malformed or does not lead to the state root it claims (the message says which)."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _zero_hashes(depth: int, arity: int) -> list[bytes]:
    out = [ZERO32]
    for _ in range(depth):
        out.append(sha256(out[-1] * arity))
    return out


ZERO_HASHES = _zero_hashes(64, 2)
"""ZERO_HASHES[d]: the root of a binary tree of depth d whose leaves are all 32 zero bytes (the field tree)."""
ZERO_NODES = _zero_hashes(16, ARITY)
"""ZERO_NODES[h]: the root of a 16-ary tree of height h whose leaves are all 32 zero bytes."""


def column_height(chunks: int) -> int:
    """The height of a column tree over `chunks` leaves: the least h with 16**h >= chunks."""
    height = 0
    while ARITY**height < chunks:
        height += 1
    return height


def node_hash(children: list[bytes]) -> bytes:
    """A 16-ary node: sha256 of its children's hashes (exactly ARITY of them)."""
    return sha256(b"".join(children))


def rows_per_chunk(row_bytes: int) -> int:
    """Rows of a column in one chunk leaf."""
    return max(1, LEAF_BYTES // row_bytes)


def field_leaf(name: str, field_root: bytes) -> bytes:
    """The state tree's leaf for field `name`."""
    encoded = name.encode()
    return sha256(b"swk:field" + bytes([len(encoded)]) + encoded + field_root)


def preset_root(preset_name: str) -> bytes:
    """The root of the preset's leaf (named `preset`, first in the state tree)."""
    return sha256(preset_name.encode())


def mix_in_count(tree_root: bytes, count: int) -> bytes:
    return sha256(tree_root + count.to_bytes(8, "little"))


def merkle_root(leaves: list[bytes]) -> bytes:
    """SSZ `merkleize`: the leaves padded with zero hashes to a power of two."""
    layer = list(leaves) or [ZERO32]
    depth = 0
    while len(layer) > 1:
        if len(layer) % 2:
            layer.append(ZERO_HASHES[depth])
        layer = [sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
        depth += 1
    return layer[0]


def branch_root(leaf: bytes, index: int, branch: list[list[bytes]]) -> bytes:
    """The root of a 16-ary tree reached from `leaf` at position `index` through `branch`: for each level, bottom
    first, the ARITY - 1 siblings in order (the path's own node left out)."""
    node = leaf
    for siblings in branch:
        if len(siblings) != ARITY - 1:
            raise ProofError(f"a branch level holds {ARITY - 1} siblings, got {len(siblings)}")
        position = index % ARITY
        node = node_hash([*siblings[:position], node, *siblings[position:]])
        index //= ARITY
    return node


def account_bucket(address: bytes) -> int:
    """The accounts tree's bucket of `address`."""
    return int.from_bytes(address[:4], "big") >> (32 - ACCOUNT_BUCKET_BITS)


def account_entries(bucket: bytes) -> dict[bytes, tuple[int, int]]:
    """A bucket's entries: address -> (balance, nonce); refuses bytes that are not sorted entries."""
    if len(bucket) % ACCOUNT_RECORD:
        raise ProofError(f"an account bucket is a multiple of {ACCOUNT_RECORD} bytes, got {len(bucket)}")
    out: dict[bytes, tuple[int, int]] = {}
    previous = b""
    for i in range(0, len(bucket), ACCOUNT_RECORD):
        address = bucket[i : i + 20]
        if address <= previous:
            raise ProofError("the bucket's entries are not sorted by address (or repeat one)")
        previous = address
        out[address] = (
            int.from_bytes(bucket[i + 20 : i + 28], "little"),
            int.from_bytes(bucket[i + 28 : i + 36], "little"),
        )
    return out


@dataclass(frozen=True)
class FieldPath:
    """One column's or the accounts' part of a proof: the chunk (or bucket) bytes, its index, its siblings."""

    field: str
    index: int
    chunk: bytes
    branch: list[list[bytes]]
    count: int
    """Rows in the column, or accounts in the ledger (mixed into the field's root)."""


@dataclass(frozen=True)
class ModulePath:
    """A holder table's bucket in the module store: the store's parts, the module's summary, where in it the
    table's root sits, and the bucket with its branch up to that root."""

    module: str
    parts: list[tuple[str, bytes]]
    """Every part of the store (name, part root), in store order (the store's field root is built from them)."""
    summary: bytes
    """The module's summary, canonical msgpack (its SHA-256 is the module's part root)."""
    table: list[tuple[str, str | int]]
    """The steps from the summary down to the table's 32-byte root: ``("key", k)`` (in the canonical encoding a
    mapping is a list of [key, value] pairs sorted by key: the pair whose key is k) or ``("at", i)`` (a list's
    item i). The liquid module's stSWK: ``[("key", "ledger"), ("key", "shares")]``."""
    bucket: int
    chunk: bytes
    """The bucket's entries: len(holder) (1 byte) || holder || shares (8 LE), sorted by holder."""
    branch: list[list[bytes]]
    count: int
    """Holders in the table (mixed into the table's root)."""


@dataclass(frozen=True)
class StateProof:
    """A proof that some fields' chunks (or a module's holder-table bucket) are in the state with root
    `state_root`."""

    state_root: bytes
    preset: str
    field_leaves: list[tuple[str, bytes]]
    """Every top-level leaf (name, leaf hash), in the state tree's order, preset first."""
    paths: list[FieldPath]
    module: ModulePath | None = None


def _check_state_root(proof: StateProof, expected_root: bytes) -> dict[str, bytes]:
    if proof.state_root != expected_root:
        raise ProofError(f"the proof is for state root 0x{proof.state_root.hex()}, not 0x{expected_root.hex()}")
    leaves = dict(proof.field_leaves)
    if len(leaves) != len(proof.field_leaves):
        raise ProofError("the proof names a field twice")
    if proof.field_leaves[:1] != [("preset", field_leaf("preset", preset_root(proof.preset)))]:
        raise ProofError("the proof's first leaf is not its preset's")
    if merkle_root([leaf for _, leaf in proof.field_leaves]) != expected_root:
        raise ProofError("the field leaves do not hash to the state root")
    return leaves


def _check_path(path: FieldPath, leaves: dict[str, bytes], height: int) -> None:
    if len(path.branch) != height:
        raise ProofError(f"{path.field}: a branch of {len(path.branch)} levels, expected {height}")
    if path.field not in leaves:
        raise ProofError(f"{path.field}: not a field of the proven state")
    root = mix_in_count(branch_root(sha256(path.chunk) if path.chunk else ZERO32, path.index, path.branch), path.count)
    if field_leaf(path.field, root) != leaves[path.field]:
        raise ProofError(f"{path.field}: the chunk and its branch do not lead to the field's leaf (tampered?)")


def verify_account(proof: StateProof, state_root: bytes, address: bytes) -> tuple[int, int]:
    """(balance, nonce) of `address` in the state with root `state_root`; ProofError if the proof does not
    show it."""
    if len(address) != 20:
        raise ProofError(f"an address has 20 bytes, got {len(address)}")
    leaves = _check_state_root(proof, state_root)
    paths = [p for p in proof.paths if p.field == "accounts"]
    if len(paths) != 1:
        raise ProofError("an account proof holds exactly one accounts bucket")
    path = paths[0]
    if path.index != account_bucket(address):
        raise ProofError(f"the bucket is {path.index}, but 0x{address.hex()} belongs in {account_bucket(address)}")
    _check_path(path, leaves, ACCOUNT_HEIGHT)
    entries = account_entries(path.chunk)
    if any(account_bucket(a) != path.index for a in entries):
        raise ProofError("the bucket holds an address that does not belong in it")
    return entries.get(address, (0, 0))


def verify_rows(proof: StateProof, state_root: bytes, index: int, widths: dict[str, int]) -> dict[str, bytes]:
    """The raw bytes of row `index` of each proven column (`widths`: column name -> bytes per row) in the state
    with root `state_root`; ProofError if the proof does not show them."""
    leaves = _check_state_root(proof, state_root)
    out: dict[str, bytes] = {}
    for path in proof.paths:
        width = widths.get(path.field)
        if width is None:
            continue
        per = rows_per_chunk(width)
        if path.index != index // per:
            raise ProofError(f"{path.field}: chunk {path.index} does not hold row {index}")
        if not 0 <= index < path.count:
            raise ProofError(f"{path.field}: row {index} is beyond the column's {path.count} rows")
        rows_in_chunk = min(per, path.count - path.index * per)
        if len(path.chunk) != rows_in_chunk * width:
            raise ProofError(f"{path.field}: the chunk has {len(path.chunk)} bytes, expected {rows_in_chunk * width}")
        _check_path(path, leaves, column_height(-(-path.count // per)))
        start = (index - path.index * per) * width
        out[path.field] = path.chunk[start : start + width]
    missing = set(widths) - set(out)
    if missing:
        raise ProofError(f"the proof lacks the column(s) {', '.join(sorted(missing))}")
    return out


VALIDATOR_WIDTHS = {
    "pubkey": 48,
    "withdrawal_credentials": 32,
    "effective_balance": 8,
    "slashed": 1,
    "activation_eligibility_epoch": 8,
    "activation_epoch": 8,
    "exit_epoch": 8,
    "withdrawable_epoch": 8,
    "balances": 8,
}
"""The columns a validator proof covers (its record and its balance), bytes per row."""


def verify_validator(proof: StateProof, state_root: bytes, index: int) -> dict[str, int | bool | bytes]:
    """Validator `index`'s record and balance in the state with root `state_root`; ProofError otherwise."""
    rows = verify_rows(proof, state_root, index, VALIDATOR_WIDTHS)
    out: dict[str, int | bool | bytes] = {}
    for name, raw in rows.items():
        if name in ("pubkey", "withdrawal_credentials"):
            out[name] = raw
        elif name == "slashed":
            out[name] = raw != b"\x00"
        else:
            out[name] = int.from_bytes(raw, "little")
    return out


def holder_bucket(holder: bytes) -> int:
    """A holder table's bucket of `holder`: its first 16 bits (zero-padded)."""
    return int.from_bytes(holder[:2].ljust(2, b"\x00"), "big")


def holder_entries(bucket: bytes) -> dict[bytes, int]:
    """A holder-table bucket's entries: holder -> shares; refuses bytes that are not sorted entries."""
    out: dict[bytes, int] = {}
    previous: bytes | None = None
    i = 0
    while i < len(bucket):
        width = bucket[i]
        end = i + 1 + width + 8
        if end > len(bucket):
            raise ProofError("a holder-table bucket ends inside an entry")
        holder = bucket[i + 1 : i + 1 + width]
        if previous is not None and holder <= previous:
            raise ProofError("the bucket's entries are not sorted by holder (or repeat one)")
        previous = holder
        out[holder] = int.from_bytes(bucket[end - 8 : end], "little")
        i = end
    return out


_MSGPACK_DEPTH = 64


def _length(data: bytes, at: int, tag: int, fixed: int, wide16: int) -> tuple[int, int]:
    """An array's or a map's item count (a fix type: in the tag's low 4 bits; else 2 or 4 bytes after the tag)
    and where its items start."""
    if fixed <= tag <= fixed + 0x0F:
        return tag & 0x0F, at
    size = 2 if tag == wide16 else 4
    if at + size > len(data):
        raise ProofError("the module summary ends inside a value")
    return int.from_bytes(data[at : at + size], "big"), at + size


def _msgpack(data: bytes, at: int, depth: int) -> tuple[object, int]:
    """One msgpack value at `at` (the subset a module summary uses: nil, booleans, integers, floats, strings, bin,
    arrays, maps) and where it ends."""
    if depth > _MSGPACK_DEPTH:
        raise ProofError("the module summary nests too deep")
    if at >= len(data):
        raise ProofError("the module summary ends inside a value")
    tag = data[at]
    at += 1

    def take(n: int) -> bytes:
        if at + n > len(data):
            raise ProofError("the module summary ends inside a value")
        return data[at : at + n]

    def uint(n: int) -> int:
        return int.from_bytes(take(n), "big")

    if tag <= 0x7F:
        return tag, at
    if tag >= 0xE0:
        return tag - 0x100, at
    if tag == 0xC0:
        return None, at
    if tag in (0xC2, 0xC3):
        return tag == 0xC3, at
    if 0xA0 <= tag <= 0xBF or tag in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        if 0xA0 <= tag <= 0xBF:
            n, size = tag & 0x1F, 0
        else:
            size = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}[tag]
            n = uint(size)
        at += size
        raw = take(n)
        if tag in (0xC4, 0xC5, 0xC6):
            return raw, at + n
        try:
            return raw.decode(), at + n
        except UnicodeDecodeError:
            raise ProofError("the module summary holds a string that is not UTF-8") from None
    if tag in (0xCC, 0xCD, 0xCE, 0xCF):
        size = 1 << (tag - 0xCC)
        return uint(size), at + size
    if tag in (0xD0, 0xD1, 0xD2, 0xD3):
        size = 1 << (tag - 0xD0)
        return int.from_bytes(take(size), "big", signed=True), at + size
    if tag in (0xCA, 0xCB):
        import struct

        size = 4 if tag == 0xCA else 8
        return struct.unpack(">f" if size == 4 else ">d", take(size))[0], at + size
    if 0x90 <= tag <= 0x9F or tag in (0xDC, 0xDD):
        n, at = _length(data, at, tag, 0x90, 0xDC)
        items = []
        for _ in range(n):
            item, at = _msgpack(data, at, depth + 1)
            items.append(item)
        return items, at
    if 0x80 <= tag <= 0x8F or tag in (0xDE, 0xDF):
        n, at = _length(data, at, tag, 0x80, 0xDE)
        mapping: dict[object, object] = {}
        for _ in range(n):
            key, at = _msgpack(data, at, depth + 1)
            if isinstance(key, (list, dict)):
                raise ProofError("the module summary has a map key that is not a scalar")
            value, at = _msgpack(data, at, depth + 1)
            mapping[key] = value
        return mapping, at
    raise ProofError(f"the module summary holds a msgpack type this reader does not know (0x{tag:02x})")


def read_summary(data: bytes) -> object:
    """A module summary's canonical msgpack bytes, decoded (standard library only)."""
    value, end = _msgpack(data, 0, 0)
    if end != len(data):
        raise ProofError("the module summary has bytes after its value")
    return value


def module_leaf(name: str, part_root: bytes) -> bytes:
    """The module store's leaf for part `name` (a module, or ``withdrawn``)."""
    encoded = name.encode()
    return sha256(b"swk:module" + bytes([len(encoded)]) + encoded + part_root)


def modules_root(parts: list[tuple[str, bytes]]) -> bytes:
    """The module store's field root over its parts' (name, root): a binary Merkle root of their leaves, in store
    order, mixed with their count."""
    return mix_in_count(merkle_root([module_leaf(name, root) for name, root in parts]), len(parts))


def _step(node: object, step: tuple[str, str | int]) -> object:
    """One step down a decoded canonical summary (see ModulePath.table); ProofError if there is nothing there."""
    kind, key = step
    if isinstance(node, list):
        if kind == "at" and isinstance(key, int) and 0 <= key < len(node):
            return node[key]
        if kind == "key":
            for item in node:
                if isinstance(item, list) and len(item) == 2 and type(item[0]) is type(key) and item[0] == key:
                    return item[1]
    raise ProofError(f"the module summary has nothing at {kind} {key!r}")


def verify_holder(
    proof: StateProof, state_root: bytes, module: str, table: list[tuple[str, str | int]], holder: bytes
) -> int:
    """The shares `holder` holds in module `module`'s holder table at `table` (ModulePath.table: the steps from
    the module's summary down to the table's root) in the state with root `state_root`: 0 for a holder not in the
    table (the bucket shows its absence). ProofError if the proof does not show it."""
    if not 1 <= len(holder) <= 255:
        raise ProofError(f"a holder has 1 to 255 bytes, got {len(holder)}")
    leaves = _check_state_root(proof, state_root)
    path = proof.module
    if path is None:
        raise ProofError("the proof holds no module path")
    if path.module != module or [tuple(t) for t in path.table] != [tuple(t) for t in table]:
        raise ProofError(f"the proof is of {path.module} at {path.table}, not {module} at {table}")
    names = [name for name, _ in path.parts]
    if len(set(names)) != len(names) or module not in names:
        raise ProofError(f"the store's parts {names} do not name {module} exactly once")
    if "modules" not in leaves or field_leaf("modules", modules_root(path.parts)) != leaves["modules"]:
        raise ProofError("the module store's parts do not lead to its field leaf (tampered?)")
    if sha256(path.summary) != dict(path.parts)[module]:
        raise ProofError(f"the summary is not {module}'s (its hash is not the part's root)")
    node = read_summary(path.summary)
    for step in table:
        node = _step(node, step)
    if not isinstance(node, bytes) or len(node) != 32:
        raise ProofError(f"{module}'s summary holds no table root at {table}")
    if path.bucket != holder_bucket(holder):
        raise ProofError(f"the bucket is {path.bucket}, but 0x{holder.hex()} belongs in {holder_bucket(holder)}")
    if len(path.branch) != ACCOUNT_HEIGHT:
        raise ProofError(f"a holder-table branch has {ACCOUNT_HEIGHT} levels, got {len(path.branch)}")
    leaf = sha256(path.chunk) if path.chunk else ZERO32
    if mix_in_count(branch_root(leaf, path.bucket, path.branch), path.count) != node:
        raise ProofError("the bucket and its branch do not lead to the table's root (tampered?)")
    entries = holder_entries(path.chunk)
    if any(holder_bucket(h) != path.bucket for h in entries):
        raise ProofError("the bucket holds a holder that does not belong in it")
    return entries.get(holder, 0)


def proof_to_json(proof: StateProof) -> dict[str, object]:
    """The proof as JSON-able values (hex strings)."""
    return {
        "state_root": "0x" + proof.state_root.hex(),
        "preset": proof.preset,
        "field_leaves": [[name, "0x" + leaf.hex()] for name, leaf in proof.field_leaves],
        "paths": [
            {
                "field": p.field,
                "index": p.index,
                "chunk": "0x" + p.chunk.hex(),
                "branch": [["0x" + b.hex() for b in level] for level in p.branch],
                "count": p.count,
            }
            for p in proof.paths
        ],
        **({"module": _module_to_json(proof.module)} if proof.module is not None else {}),
    }


def parse_table(doc: object) -> list[tuple[str, str | int]]:
    """ModulePath.table from JSON: a list of ["key", k] or ["at", i] (k a string or an integer, i an integer)."""
    steps: list[tuple[str, str | int]] = []
    if not isinstance(doc, list):
        raise ProofError("a module path's table is a list of steps")
    for step in doc:
        if not isinstance(step, list | tuple) or len(step) != 2 or step[0] not in ("key", "at"):
            raise ProofError(f'a table step is ["key", k] or ["at", i], got {step!r}')
        kind, key = step
        if isinstance(key, bool) or not isinstance(key, str | int) or (kind == "at" and not isinstance(key, int)):
            raise ProofError(f"a table step's key is a string or an integer (a position: an integer), got {key!r}")
        steps.append((kind, key))
    return steps


def table_name(steps: list[tuple[str, str | int]]) -> str:
    """A table path as people write it: keys joined by dots, a list position as #i (``ledger.shares``)."""
    return ".".join(f"#{key}" if kind == "at" else str(key) for kind, key in steps)


def parse_table_name(text: str) -> list[tuple[str, str | int]]:
    """`table_name`'s inverse: ``swk.ledger.shares`` -> key steps; a part of digits is an integer key (a pool's
    id), #i a list position."""
    steps: list[tuple[str, str | int]] = []
    for part in text.split("."):
        if not part:
            raise ProofError(f"table {text!r}: an empty step (write keys joined by dots, e.g. ledger.shares)")
        if part.startswith("#") and part[1:].isdigit():
            steps.append(("at", int(part[1:])))
        elif part.isdigit():
            steps.append(("key", int(part)))
        else:
            steps.append(("key", part))
    return steps


def _module_to_json(m: ModulePath) -> dict[str, object]:
    return {
        "module": m.module,
        "parts": [[name, "0x" + root.hex()] for name, root in m.parts],
        "summary": "0x" + m.summary.hex(),
        "table": [[kind, key] for kind, key in m.table],
        "bucket": m.bucket,
        "chunk": "0x" + m.chunk.hex(),
        "branch": [["0x" + b.hex() for b in level] for level in m.branch],
        "count": m.count,
    }


def _module_from_json(doc: object) -> ModulePath:
    if not isinstance(doc, dict):
        raise ProofError("a proof's module path is a JSON object")
    table = parse_table(doc["table"])
    return ModulePath(
        module=str(doc["module"]),
        parts=[(str(n), _unhex(r, f"parts[{n}]")) for n, r in doc["parts"]],
        summary=_unhex(doc["summary"], "summary"),
        table=list(table),
        bucket=int(doc["bucket"]),
        chunk=_unhex(doc["chunk"], "chunk"),
        branch=[[_unhex(b, "branch") for b in level] for level in doc["branch"]],
        count=int(doc["count"]),
    )


def _unhex(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ProofError(f"{what}: expected a 0x-prefixed hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ProofError(f"{what}: not hex") from None


def proof_from_json(doc: object) -> StateProof:
    """A proof from `proof_to_json`'s output; ProofError names what is malformed."""
    if not isinstance(doc, dict):
        raise ProofError("a proof is a JSON object")
    try:
        leaves = [(str(n), _unhex(leaf, f"field_leaves[{n}]")) for n, leaf in doc["field_leaves"]]
        paths = [
            FieldPath(
                field=str(p["field"]),
                index=int(p["index"]),
                chunk=_unhex(p["chunk"], "chunk"),
                branch=[[_unhex(b, "branch") for b in level] for level in p["branch"]],
                count=int(p["count"]),
            )
            for p in doc["paths"]
        ]
        module = _module_from_json(doc["module"]) if doc.get("module") is not None else None
        return StateProof(_unhex(doc["state_root"], "state_root"), str(doc["preset"]), leaves, paths, module)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProofError):
            raise
        raise ProofError(f"malformed proof: {exc!r}") from None
