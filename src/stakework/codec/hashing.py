"""SHA-256 helpers and the canonical field hasher.

The state root is not SSZ (stakework's state has fields Ethereum's does not), but it is just as canonical: every
field is hashed in a fixed order as `name, dtype, shape, little-endian bytes`, so the root is the same on every
run and every machine, and any change to any field changes it.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import numpy.typing as npt

ZERO_CHUNK = b"\x00" * 32


def sha256(data: bytes) -> bytes:
    """Spec: hash."""
    return hashlib.sha256(data).digest()


def merkleize_chunks(chunks: list[bytes], limit: int | None = None) -> bytes:
    """Spec (SSZ): merkleize — the binary Merkle root of 32-byte chunks, padded with zero chunks to the next power
    of two (or to `limit`)."""
    count = len(chunks) if limit is None else limit
    if limit is not None and len(chunks) > limit:
        raise ValueError(f"{len(chunks)} chunks exceed the limit {limit}")
    width = 1
    while width < max(count, 1):
        width *= 2
    layer = list(chunks)
    zero = ZERO_CHUNK
    size = width
    while size > 1:
        if len(layer) % 2:
            layer.append(zero)
        layer = [sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
        zero = sha256(zero + zero)
        size //= 2
    return layer[0] if layer else zero


def hash_tree_root_roots(roots: npt.NDArray[np.uint8]) -> bytes:
    """Spec (SSZ): hash_tree_root of a Vector[Root, N] given as an (N, 32) uint8 array."""
    return merkleize_chunks([bytes(r) for r in roots])


def pack_uint64(value: int) -> bytes:
    """SSZ uint64 as a 32-byte chunk."""
    return value.to_bytes(8, "little") + b"\x00" * 24


def bytes_chunks(data: bytes) -> list[bytes]:
    """SSZ: pack a fixed byte vector into right-padded 32-byte chunks."""
    padded = data + b"\x00" * (-len(data) % 32)
    return [padded[i : i + 32] for i in range(0, len(padded), 32)] or [ZERO_CHUNK]


class CanonicalHasher:
    """Incremental SHA-256 over named, typed fields in a fixed order."""

    __slots__ = ("_h",)

    def __init__(self, domain: bytes) -> None:
        self._h = hashlib.sha256()
        self._h.update(struct.pack("<I", len(domain)) + domain)

    def _tag(self, name: str, kind: bytes, length: int) -> None:
        encoded = name.encode()
        self._h.update(struct.pack("<I", len(encoded)) + encoded + kind + struct.pack("<Q", length))

    def int(self, name: str, value: int) -> None:
        if value < 0:
            raise ValueError(f"{name}: canonical integers are unsigned")
        raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "little")
        self._tag(name, b"i", len(raw))
        self._h.update(raw)

    def raw(self, name: str, value: bytes) -> None:
        self._tag(name, b"b", len(value))
        self._h.update(value)

    def array(self, name: str, value: npt.NDArray[np.generic]) -> None:
        arr = np.ascontiguousarray(value)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        descr = arr.dtype.str.encode() + b"|" + ",".join(map(str, arr.shape)).encode()
        self._tag(name, b"a" + struct.pack("<I", len(descr)) + descr, arr.nbytes)
        self._h.update(arr.tobytes() if not arr.flags.c_contiguous else arr.data.cast("B"))

    def digest(self) -> bytes:
        return self._h.digest()
