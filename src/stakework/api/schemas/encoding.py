"""Beacon-API JSON encoding: integers as decimal strings, bytes as `0x` hex, and back (for transactions)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from stakework.api.errors import bad_request
from stakework.spec.types import out_of_uint64

T = TypeVar("T")
_HEX = re.compile(r"0x[0-9a-fA-F]*")
_UINT = re.compile(r"[0-9]{1,20}")
UINT64_MAX = 2**64 - 1


def hexify(value: Any) -> Any:
    """Builtins (from `msgspec.to_builtins(..., builtin_types=(bytes,))`) → beacon-API JSON."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: hexify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hexify(v) for v in value]
    return value


def to_json(struct: object) -> Any:
    """A msgspec struct in beacon-API JSON."""
    return hexify(msgspec.to_builtins(struct, builtin_types=(bytes,)))


def _unhex(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x"):
        if not _HEX.fullmatch(value) or len(value) % 2:
            raise bad_request(f"malformed hex string {value[:80]!r}")
        return bytes.fromhex(value[2:])
    if isinstance(value, dict):
        return {k: _unhex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unhex(v) for v in value]
    return value


def from_json(value: Any, kind: type[T]) -> T:
    """Beacon-API JSON → a msgspec struct of type `kind`; 400 with msgspec's message when the shape is wrong."""
    try:
        result = msgspec.convert(_unhex(value), kind, strict=False, builtin_types=(bytes,))
    except msgspec.ValidationError as exc:
        raise bad_request(f"malformed {kind.__name__}: {exc}") from None
    try:
        msgspec.msgpack.encode(result)  # the canonical encoding (hashes, signatures) needs 64-bit integers
    except (OverflowError, msgspec.EncodeError) as exc:
        where = out_of_uint64(msgspec.to_builtins(result, builtin_types=(bytes,)))
        problem = f"integer {where} is outside 0 .. 2**64-1 (every integer is a uint64)" if where else str(exc)
        raise bad_request(f"malformed {kind.__name__}: {problem}") from None
    return result


def parse_uint(text: str, what: str) -> int:
    """A decimal uint64 path or query parameter; 400 otherwise."""
    if not _UINT.fullmatch(text) or int(text) > UINT64_MAX:
        raise bad_request(f"invalid {what} {text[:80]!r}: expected a decimal uint64")
    return int(text)


def parse_bytes(text: str, length: int, what: str) -> bytes:
    """`0x` hex of exactly `length` bytes; 400 otherwise."""
    if not _HEX.fullmatch(text) or len(text) != 2 + 2 * length:
        raise bad_request(f"invalid {what} {text[:80]!r}: expected 0x and {2 * length} hex digits")
    return bytes.fromhex(text[2:])
