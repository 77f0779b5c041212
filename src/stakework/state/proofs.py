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
  state as builtins with each share ledger's holder table (``shares``) replaced by the table's root, every mapping
  sorted by key, msgpack-encoded (`modules/store.py: part_summary`). A holder table is shaped like the accounts:
  ``2**16`` buckets by the holder's first 16 bits (zero-padded), a bucket's leaf ``sha256`` of its entries
  ``len(holder) (1 byte) || holder || shares (8 LE)`` sorted by holder (an empty bucket: 32 zero bytes), a tree of
  height 4, ``table_root = sha256(tree_root || holder count as 8 bytes LE)``.
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
class StateProof:
    """A proof that some fields' chunks are in the state with root `state_root`."""

    state_root: bytes
    preset: str
    field_leaves: list[tuple[str, bytes]]
    """Every top-level leaf (name, leaf hash), in the state tree's order, preset first."""
    paths: list[FieldPath]


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
    }


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
        return StateProof(_unhex(doc["state_root"], "state_root"), str(doc["preset"]), leaves, paths)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProofError):
            raise
        raise ProofError(f"malformed proof: {exc!r}") from None
