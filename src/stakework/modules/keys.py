"""Validator keys a module may stake: a BLS public key with its deposit signature, checked once on submission.

A module's validators use the module's withdrawal credentials and ``MIN_ACTIVATION_BALANCE``, both fixed, so an
operator can sign each key's deposit message ahead of time (Lido's ``NodeOperatorsRegistry`` stores keys with
their pre-signed 32 ETH deposit signatures the same way). The host checks the signature when the key is
submitted (:meth:`~stakework.modules.host.ModuleHost.is_valid_deposit_key`), so a key the module stakes later
never loses its deposit to a bad signature.
"""

from __future__ import annotations

import msgspec

from stakework.modules.errors import AboveMaximum, BelowMinimum, DuplicateKey
from stakework.modules.host import ModuleHost
from stakework.spec.types import Bytes48, Bytes96

PUBKEY_LENGTH = 48
SIGNATURE_LENGTH = 96
MAX_KEYS_PER_MESSAGE = 20
"""Keys one message may submit: each costs every node a BLS signature check when the message is processed (20 keys
with their signatures also fit a node's 4096-byte transaction limit)."""


class DepositKey(msgspec.Struct, frozen=True, kw_only=True):
    pubkey: Bytes48
    """The validator's 48-byte BLS public key."""
    signature: Bytes96
    """96-byte BLS signature of the DepositMessage (pubkey, the module's credentials, MIN_ACTIVATION_BALANCE)."""


def check_new_keys(host: ModuleHost, module: str, keys: list[DepositKey], taken: dict[bytes, int]) -> None:
    """Refuse (changing nothing) a key listed twice, already in ``taken``, malformed or badly signed."""
    if len(keys) > MAX_KEYS_PER_MESSAGE:
        raise AboveMaximum(f"at most {MAX_KEYS_PER_MESSAGE} keys per message, got {len(keys)}")
    pubkeys = [k.pubkey for k in keys]
    if len(set(pubkeys)) != len(pubkeys):
        raise DuplicateKey("the same key is listed twice")
    for key in keys:
        if len(key.pubkey) != PUBKEY_LENGTH or len(key.signature) != SIGNATURE_LENGTH:
            raise BelowMinimum(
                f"a validator key is {PUBKEY_LENGTH} bytes and its deposit signature {SIGNATURE_LENGTH}, got "
                f"{len(key.pubkey)} and {len(key.signature)}"
            )
        if key.pubkey in taken:
            raise DuplicateKey(f"key 0x{key.pubkey.hex()[:16]}... is already registered")
    for key in keys:
        if not host.is_valid_deposit_key(module, key):
            raise BelowMinimum(
                f"key 0x{key.pubkey.hex()[:16]}...: the deposit signature does not verify for this module's "
                "withdrawal credentials and MIN_ACTIVATION_BALANCE on this chain (`stakework pool add-keys` and "
                "`stakework liquid submit-keys` sign keys for the module with --generate-keys or --key-file)"
            )
