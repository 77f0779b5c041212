"""Ed25519 account keys (RFC 8032, via PyNaCl): accounts sign transactions; validators sign with BLS.

An account's address is the last 20 bytes of SHA-256(public key) — 20 bytes like an Ethereum address, but from
SHA-256 (the hash the rest of stakework uses), not Keccak. Its string form is `0x` followed by 40 lowercase hex
digits. Encrypted account key files reuse the EIP-2335 container (same KDF, cipher and checksum): the secret is
the 32-byte Ed25519 seed and `pubkey` the 32-byte public key (docs/keys.md).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from stakework.crypto.keystore import SCRYPT_DEFAULT, Kdf, Keystore, KeystoreError
from stakework.spec.errors import StakeworkError

PUBKEY_LENGTH = 32
SIGNATURE_LENGTH = 64
SEED_LENGTH = 32
ADDRESS_LENGTH = 20
ACCOUNT_KEY_DESCRIPTION = "stakework ed25519 account key"
"""`description` prefix of an encrypted account key file; the kind is also told by the 32-byte pubkey."""


class AddressError(StakeworkError):
    """A string that is not a `0x`-prefixed 20-byte address or 32-byte public key."""


def address_of(pubkey: bytes) -> bytes:
    """Account address: the last 20 bytes of SHA-256(32-byte Ed25519 public key)."""
    if len(pubkey) != PUBKEY_LENGTH:
        raise AddressError(f"an Ed25519 public key has {PUBKEY_LENGTH} bytes, not {len(pubkey)}")
    return hashlib.sha256(pubkey).digest()[-ADDRESS_LENGTH:]


def to_hex(data: bytes) -> str:
    """`0x` + lowercase hex: the string form of addresses, public keys and signatures."""
    return "0x" + data.hex()


def parse_hex(text: str, length: int, what: str = "address") -> bytes:
    """Parse `0x…` hex of exactly `length` bytes; `AddressError` names what was expected."""
    digits = text[2:] if text[:2] in ("0x", "0X") else None
    if digits is None:
        raise AddressError(f"{what} {text!r} must start with 0x")
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        raise AddressError(f"{what} {text!r} is not hex") from None
    if len(data) != length:
        raise AddressError(f"{what} {text!r} has {len(data)} bytes, expected {length}")
    return data


def parse_address(text: str) -> bytes:
    return parse_hex(text, ADDRESS_LENGTH, "address")


class AccountKey:
    """An Ed25519 signing key. `seed` is the 32-byte RFC 8032 private key."""

    __slots__ = ("_sk",)

    def __init__(self, sk: SigningKey) -> None:
        self._sk = sk

    @classmethod
    def generate(cls) -> AccountKey:
        """A fresh key from the operating system's random source."""
        return cls(SigningKey(secrets.token_bytes(SEED_LENGTH)))

    @classmethod
    def from_seed(cls, seed: bytes) -> AccountKey:
        if len(seed) != SEED_LENGTH:
            raise StakeworkError(f"an Ed25519 seed has {SEED_LENGTH} bytes, not {len(seed)}")
        return cls(SigningKey(bytes(seed)))

    @property
    def seed(self) -> bytes:
        return bytes(self._sk)

    @property
    def public_key(self) -> bytes:
        return bytes(self._sk.verify_key)

    @property
    def address(self) -> bytes:
        return address_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """RFC 8032 Ed25519 signature (64 bytes, detached) over `message`."""
        return bytes(self._sk.sign(bytes(message)).signature)

    def __repr__(self) -> str:  # never print the seed
        return f"AccountKey(address={to_hex(self.address)})"


def verify(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 verification. False for a malformed key or signature, never an exception."""
    if len(pubkey) != PUBKEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        VerifyKey(bytes(pubkey)).verify(bytes(message), bytes(signature))
    except (CryptoError, ValueError, TypeError):
        return False
    return True


VERIFY_THREADS = 1
"""Threads `verify_batch` spreads a batch over unless told otherwise. libsodium's verification runs without the GIL
(PyNaCl calls it through cffi, which releases the GIL around each C call), so on a machine with free cores a batch
verifies up to `threads` times as fast. One by default: on the 2-core machine the node is measured on, shared with
other work, the kernel gives the process a share of the CPU that a second thread does not enlarge (two threads, or
two processes, verified no faster than one; docs/performance.md, "Transfers committed end to end"), and the hand-off
then costs a little. Pass `threads` where cores are free."""
MIN_PARALLEL_BATCH = 64
"""Below this many signatures a batch is verified in the calling thread: handing chunks to a thread costs ~50 µs."""
_pools: dict[int, ThreadPoolExecutor] = {}
"""Worker pools by size, made on first use and kept (their threads sleep between batches)."""
_pools_lock = threading.Lock()


def _executor(threads: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ed25519-verify")
        return pool


def _verify_chunk(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    return [verify(pubkey, message, signature) for pubkey, message, signature in items]


def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]], *, threads: int | None = None) -> list[bool]:
    """`[verify(pubkey, message, signature) for ...]` over `(pubkey, message, signature)` triples, in order,
    spread over `threads` threads (default `VERIFY_THREADS`; 1: in the calling thread).

    Each signature is checked on its own by the same libsodium call as `verify`, so every verdict is the one
    `verify` gives (RFC 8032 as libsodium applies it: canonical S, no small-order key or R, canonical encodings).
    Not a batch verification by random linear combination (one multi-scalar multiplication for the batch, as
    ed25519-dalek's `verify_batch`): libsodium has none, no well-kept Python package offers one, and such a check
    accepts some signatures libsodium refuses (cofactored equation, small-order components) unless it is built to
    the same rules: a batch could then admit a transaction the block's import refuses."""
    n = len(items)
    threads = VERIFY_THREADS if threads is None else threads
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if threads == 1 or n < MIN_PARALLEL_BATCH:
        return _verify_chunk(items)
    step = -(-n // threads)
    chunks = [items[i : i + step] for i in range(0, n, step)]
    pool = _executor(threads - 1)
    futures = [pool.submit(_verify_chunk, chunk) for chunk in chunks[1:]]
    out = _verify_chunk(chunks[0])  # the calling thread takes the first chunk
    for future in futures:
        out.extend(future.result())
    return out


def devnet_account_key(index: int) -> AccountKey:
    """Deterministic account key number `index` for devnets and tests. INSECURE: anyone can derive it."""
    return AccountKey.from_seed(hashlib.sha256(b"stakework devnet account " + index.to_bytes(8, "little")).digest())


def encrypt_account_key(key: AccountKey, password: str, *, kdf: Kdf = SCRYPT_DEFAULT) -> Keystore:
    """An EIP-2335 container for an account key: secret = seed, pubkey = Ed25519 public key, path empty."""
    return Keystore.encrypt(
        key.seed,
        password,
        pubkey=key.public_key,
        kdf=kdf,
        description=f"{ACCOUNT_KEY_DESCRIPTION} {to_hex(key.address)}",
    )


def decrypt_account_key(keystore: Keystore, password: str) -> AccountKey:
    """Decrypt an account key file and check that the seed gives the file's public key."""
    if keystore.kind != "ed25519":
        raise KeystoreError(
            f"{keystore.source}: holds a {len(keystore.pubkey)}-byte public key, not an Ed25519 account key (32 bytes)"
        )
    seed = keystore.decrypt(password)
    if len(seed) != SEED_LENGTH:
        raise KeystoreError(f"{keystore.source}: decrypted secret has {len(seed)} bytes, not a 32-byte Ed25519 seed")
    key = AccountKey.from_seed(seed)
    if key.public_key != keystore.pubkey:
        raise KeystoreError(
            f"{keystore.source}: the decrypted key does not match the file's pubkey; the file was tampered with"
        )
    return key
