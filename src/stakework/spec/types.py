"""Unit types. Every amount is an integer number of base units (Gwei); epochs and slots are unsigned 64-bit."""

from typing import Annotated, NewType

from msgspec import Meta

Gwei = NewType("Gwei", int)
"""Base units: 1 SWK (or 1 ETH in the reference spec) = 10**9 Gwei."""
Epoch = NewType("Epoch", int)
Slot = NewType("Slot", int)
ValidatorIndex = NewType("ValidatorIndex", int)
Root = NewType("Root", bytes)
"""A 32-byte hash."""
BLSPubkey = NewType("BLSPubkey", bytes)
"""48-byte compressed G1 point."""
BLSSignature = NewType("BLSSignature", bytes)
"""96-byte compressed G2 point."""
Version = NewType("Version", bytes)
"""4-byte fork version."""
DomainType = NewType("DomainType", bytes)
Domain = NewType("Domain", bytes)

UINT64_MAX = 2**64 - 1
FAR_FUTURE_EPOCH = Epoch(UINT64_MAX)
GENESIS_SLOT = Slot(0)
GENESIS_EPOCH = Epoch(0)
GWEI_PER_SWK = 10**9
ZERO_ROOT = Root(b"\x00" * 32)


# -- Wire types --------------------------------------------------------------------------------------------------
# What the decoders (msgspec: msgpack from peers and storage, JSON via `msgspec.convert` at the API) accept for each
# field of a transaction, a block or a module message. Annotating a struct field with one of these makes the
# decoder refuse a negative or too large integer, or a key of the wrong length, with a message naming the field
# ("Expected `int` >= 0 - at `$.transaction.payload.amount`"). They constrain decoding only: the transition checks
# what it relies on again (it trusts nothing, including a struct built in Python).

U64 = Annotated[int, Meta(ge=0)]
"""An unsigned 64-bit integer (Spec: uint64): amounts in Gwei, slots, epochs, indices, nonces, fees."""
Bytes4 = Annotated[bytes, Meta(min_length=4, max_length=4)]
"""A 4-byte fork version."""
Bytes20 = Annotated[bytes, Meta(min_length=20, max_length=20)]
"""A 20-byte account address (Spec: ExecutionAddress)."""
Bytes32 = Annotated[bytes, Meta(min_length=32, max_length=32)]
"""A 32-byte root, withdrawal credentials, graffiti or Ed25519 public key."""
Bytes48 = Annotated[bytes, Meta(min_length=48, max_length=48)]
"""A 48-byte BLS public key (compressed G1 point)."""
Bytes64 = Annotated[bytes, Meta(min_length=64, max_length=64)]
"""A 64-byte Ed25519 signature."""
Bytes96 = Annotated[bytes, Meta(min_length=96, max_length=96)]
"""A 96-byte BLS signature (compressed G2 point)."""


def out_of_uint64(value: object, path: str = "$") -> str | None:
    """The first integer outside 0 .. 2**64-1 in `value` (builtins: dicts, lists, scalars) with its path, as
    ``"-1 at `$.payload.amount`"``; None if there is none. For the error message when an encoder refuses it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if 0 <= value <= UINT64_MAX else f"{value} at `{path}`"
    if isinstance(value, dict):
        for k, v in value.items():
            if (found := out_of_uint64(v, f"{path}.{k}")) is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            if (found := out_of_uint64(v, f"{path}[{i}]")) is not None:
                return found
    return None
