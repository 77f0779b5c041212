"""Unit types. Every amount is an integer number of base units (Gwei); epochs and slots are unsigned 64-bit."""

from typing import NewType

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
