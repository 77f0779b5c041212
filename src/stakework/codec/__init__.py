"""Canonical encoding and hashing: SHA-256, SSZ-style merkleization of fixed vectors, the canonical field
hasher behind the state root."""
