"""EIP-2335 keystores: a secret encrypted under a password, as a JSON file.

EIP-2335 (BLS12-381 Keystore, version 4): the password is NFKD-normalised, stripped of the C0, C1 and Delete
control codes and UTF-8 encoded; a KDF module (scrypt or PBKDF2-HMAC-SHA256) derives a 32-byte decryption key;
the checksum module is SHA-256(decryption_key[16:32] | cipher.message); the cipher module is AES-128-CTR keyed by
decryption_key[0:16]. The same container holds Ed25519 account keys (see `stakework.crypto.ed25519` and
docs/keys.md): the kind of key is told by the length of `pubkey` (48 bytes BLS, 32 bytes Ed25519).

Every problem a user can cause (wrong password, truncated or hand-edited file, unsupported module) raises
`KeystoreError`, whose message names the file and what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import unicodedata
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from stakework.crypto.bls import SecretKey, devnet_secret_key
from stakework.spec.errors import StakeworkError

KEYSTORE_VERSION = 4
"""EIP-2335: `version` is 4."""
DKLEN = 32
"""Decryption key length: 16 bytes of AES-128 key, 16 bytes for the checksum (EIP-2335)."""
MAX_KDF_MEMORY = 2**31
"""Refuse scrypt parameters needing more than 2 GiB: a hostile file must not exhaust the machine."""
MAX_PBKDF2_ROUNDS = 2**26

KeyKind = Literal["bls", "ed25519"]


class KeystoreError(StakeworkError):
    """A keystore cannot be read, decrypted or written. The message names the file and what to do."""


@dataclass(frozen=True)
class Scrypt:
    """EIP-2335 scrypt KDF module (RFC 7914). The defaults are EIP-2335's: n=2**18, r=8, p=1, dklen=32."""

    n: int = 262144
    r: int = 8
    p: int = 1
    dklen: int = DKLEN

    @property
    def function(self) -> str:
        return "scrypt"


@dataclass(frozen=True)
class Pbkdf2:
    """EIP-2335 PBKDF2-HMAC-SHA256 KDF module (RFC 2898). Default c=2**18 as in EIP-2335's test vector."""

    c: int = 262144
    dklen: int = DKLEN

    @property
    def function(self) -> str:
        return "pbkdf2"


Kdf = Scrypt | Pbkdf2

SCRYPT_DEFAULT = Scrypt()
"""EIP-2335 scrypt parameters (about 256 MiB and a second per key): the default for real keys."""
PBKDF2_DEFAULT = Pbkdf2()
"""EIP-2335 PBKDF2 parameters: faster to open, weaker against password guessing than scrypt."""
FAST_INSECURE_KDF = Pbkdf2(c=2**12)
"""A cheap KDF for devnet keys (whose secrets are public anyway) and tests. Never for keys that hold value."""


def kdf_by_name(name: str) -> Kdf:
    """`scrypt` or `pbkdf2` with EIP-2335's parameters; `insecure-fast` for devnets and tests."""
    table: dict[str, Kdf] = {"scrypt": SCRYPT_DEFAULT, "pbkdf2": PBKDF2_DEFAULT, "insecure-fast": FAST_INSECURE_KDF}
    try:
        return table[name]
    except KeyError:
        raise KeystoreError(f"unknown kdf {name!r}: use one of {', '.join(table)}") from None


def normalize_password(password: str) -> bytes:
    """EIP-2335 password processing: NFKD, strip C0 (0x00-0x1F), C1 (0x80-0x9F) and Delete (0x7F), UTF-8.

    A trailing newline in a password file is therefore ignored, as are tabs; spaces are kept.
    """
    decomposed = unicodedata.normalize("NFKD", password)
    kept = "".join(ch for ch in decomposed if not (ord(ch) <= 0x1F or 0x7F <= ord(ch) <= 0x9F))
    return kept.encode("utf-8")


def _derive_key(kdf: Kdf, password: bytes, salt: bytes) -> bytes:
    """EIP-2335 decryption key: the KDF module applied to the processed password."""
    if isinstance(kdf, Scrypt):
        maxmem = 128 * kdf.r * (kdf.n + kdf.p + 2) + 1024 * 1024
        return hashlib.scrypt(password, salt=salt, n=kdf.n, r=kdf.r, p=kdf.p, dklen=kdf.dklen, maxmem=maxmem)
    return hashlib.pbkdf2_hmac("sha256", password, salt, kdf.c, dklen=kdf.dklen)


def _aes_128_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    """EIP-2335 cipher module `aes-128-ctr` (encryption and decryption are the same operation)."""
    ctx = Cipher(algorithms.AES(key[:16]), modes.CTR(iv)).encryptor()
    return ctx.update(data) + ctx.finalize()


def _checksum(decryption_key: bytes, cipher_message: bytes) -> bytes:
    """EIP-2335 checksum module `sha256`: SHA256(decryption_key[16:32] | cipher_message)."""
    return hashlib.sha256(decryption_key[16:32] + cipher_message).digest()


def _validate_kdf(kdf: Kdf, source: str) -> None:
    if kdf.dklen < DKLEN or kdf.dklen > 1024:
        raise KeystoreError(f"{source}: kdf dklen {kdf.dklen} unsupported (need 32 to 1024 bytes)")
    if isinstance(kdf, Scrypt):
        if kdf.n < 2 or kdf.n & (kdf.n - 1) or kdf.r < 1 or kdf.p < 1:
            raise KeystoreError(
                f"{source}: invalid scrypt parameters n={kdf.n} r={kdf.r} p={kdf.p} (n must be a power of two > 1)"
            )
        if 128 * kdf.r * (kdf.n + kdf.p) > MAX_KDF_MEMORY:
            raise KeystoreError(f"{source}: scrypt parameters need more than 2 GiB of memory; refusing to open it")
    elif kdf.c < 1 or kdf.c > MAX_PBKDF2_ROUNDS:
        raise KeystoreError(f"{source}: pbkdf2 iteration count {kdf.c} out of range (1 to {MAX_PBKDF2_ROUNDS})")


@dataclass(frozen=True)
class Keystore:
    """An EIP-2335 version-4 keystore. `source` (the file it came from) only labels error messages."""

    kdf: Kdf
    salt: bytes
    checksum: bytes
    iv: bytes
    ciphertext: bytes
    pubkey: bytes
    path: str
    uuid: str
    description: str = ""
    version: int = KEYSTORE_VERSION
    source: str = field(default="<keystore>", compare=False)

    @property
    def kind(self) -> KeyKind | None:
        """`bls` for a 48-byte pubkey (EIP-2335's own use), `ed25519` for a 32-byte one (account keys)."""
        if len(self.pubkey) == 48:
            return "bls"
        if len(self.pubkey) == 32:
            return "ed25519"
        return None

    @property
    def pubkey_hex(self) -> str:
        return "0x" + self.pubkey.hex()

    # -- EIP-2335 encryption and decryption -------------------------------------------------------------------
    @classmethod
    def encrypt(
        cls,
        secret: bytes,
        password: str,
        *,
        pubkey: bytes,
        kdf: Kdf = SCRYPT_DEFAULT,
        path: str = "",
        description: str = "",
        salt: bytes | None = None,
        iv: bytes | None = None,
        uuid: str | None = None,
    ) -> Keystore:
        """EIP-2335 encryption: random 32-byte salt, random 16-byte IV and a random (version 4) UUID by default."""
        _validate_kdf(kdf, "<new keystore>")
        salt = secrets.token_bytes(32) if salt is None else salt
        iv = secrets.token_bytes(16) if iv is None else iv
        if len(iv) != 16:
            raise KeystoreError("aes-128-ctr needs a 16-byte iv")
        key = _derive_key(kdf, normalize_password(password), salt)
        ciphertext = _aes_128_ctr(key, iv, secret)
        return cls(
            kdf=kdf,
            salt=salt,
            checksum=_checksum(key, ciphertext),
            iv=iv,
            ciphertext=ciphertext,
            pubkey=pubkey,
            path=path,
            uuid=str(uuid_module.uuid4()) if uuid is None else uuid,
            description=description,
        )

    def decrypt(self, password: str) -> bytes:
        """EIP-2335 decryption: derive the key, verify the checksum (a mismatch means a wrong password), decrypt."""
        _validate_kdf(self.kdf, self.source)
        key = _derive_key(self.kdf, normalize_password(password), self.salt)
        if not hmac.compare_digest(_checksum(key, self.ciphertext), self.checksum):
            raise KeystoreError(
                f"checksum mismatch: wrong password for {self.source} "
                "(check the password or password file; the keystore itself is left untouched)"
            )
        return _aes_128_ctr(key, self.iv, self.ciphertext)

    # -- JSON form ---------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, object]:
        """The EIP-2335 JSON object (hex without 0x prefix, as in the EIP's test vectors)."""
        kdf_params: dict[str, object]
        if isinstance(self.kdf, Scrypt):
            kdf_params = {"dklen": self.kdf.dklen, "n": self.kdf.n, "p": self.kdf.p, "r": self.kdf.r}
        else:
            kdf_params = {"dklen": self.kdf.dklen, "c": self.kdf.c, "prf": "hmac-sha256"}
        kdf_params["salt"] = self.salt.hex()
        return {
            "crypto": {
                "kdf": {"function": self.kdf.function, "params": kdf_params, "message": ""},
                "checksum": {"function": "sha256", "params": {}, "message": self.checksum.hex()},
                "cipher": {
                    "function": "aes-128-ctr",
                    "params": {"iv": self.iv.hex()},
                    "message": self.ciphertext.hex(),
                },
            },
            "description": self.description,
            "pubkey": self.pubkey.hex(),
            "path": self.path,
            "uuid": self.uuid,
            "version": self.version,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=4) + "\n"

    @classmethod
    def from_dict(cls, obj: object, source: str = "<keystore>") -> Keystore:
        """Parse and validate an EIP-2335 object; any deviation is a `KeystoreError` naming `source`."""
        p = _Parser(source)
        top = p.obj(obj, "keystore")
        version = p.int_(top.get("version"), "version")
        if version != KEYSTORE_VERSION:
            raise KeystoreError(
                f"{source}: keystore version {version} is not supported (only EIP-2335 version 4); "
                "re-export the key from its wallet as an EIP-2335 keystore"
            )
        crypto = p.obj(top.get("crypto"), "crypto")
        kdf_mod = p.obj(crypto.get("kdf"), "crypto.kdf")
        checksum_mod = p.obj(crypto.get("checksum"), "crypto.checksum")
        cipher_mod = p.obj(crypto.get("cipher"), "crypto.cipher")

        kdf_fn = p.str_(kdf_mod.get("function"), "crypto.kdf.function")
        kparams = p.obj(kdf_mod.get("params"), "crypto.kdf.params")
        kdf: Kdf
        if kdf_fn == "scrypt":
            kdf = Scrypt(
                n=p.int_(kparams.get("n"), "crypto.kdf.params.n"),
                r=p.int_(kparams.get("r"), "crypto.kdf.params.r"),
                p=p.int_(kparams.get("p"), "crypto.kdf.params.p"),
                dklen=p.int_(kparams.get("dklen"), "crypto.kdf.params.dklen"),
            )
        elif kdf_fn == "pbkdf2":
            prf = p.str_(kparams.get("prf"), "crypto.kdf.params.prf")
            if prf != "hmac-sha256":
                raise KeystoreError(f"{source}: unsupported pbkdf2 prf {prf!r} (EIP-2335 allows only hmac-sha256)")
            kdf = Pbkdf2(
                c=p.int_(kparams.get("c"), "crypto.kdf.params.c"),
                dklen=p.int_(kparams.get("dklen"), "crypto.kdf.params.dklen"),
            )
        else:
            raise KeystoreError(
                f"{source}: unsupported kdf {kdf_fn!r} (EIP-2335 defines scrypt and pbkdf2); "
                "re-export the key with one of them"
            )
        _validate_kdf(kdf, source)
        salt = p.hex_(kparams.get("salt"), "crypto.kdf.params.salt")

        checksum_fn = p.str_(checksum_mod.get("function"), "crypto.checksum.function")
        if checksum_fn != "sha256":
            raise KeystoreError(f"{source}: unsupported checksum {checksum_fn!r} (EIP-2335 defines sha256)")
        checksum = p.hex_(checksum_mod.get("message"), "crypto.checksum.message", 32)

        cipher_fn = p.str_(cipher_mod.get("function"), "crypto.cipher.function")
        if cipher_fn != "aes-128-ctr":
            raise KeystoreError(f"{source}: unsupported cipher {cipher_fn!r} (EIP-2335 defines aes-128-ctr)")
        cparams = p.obj(cipher_mod.get("params"), "crypto.cipher.params")
        iv = p.hex_(cparams.get("iv"), "crypto.cipher.params.iv", 16)
        ciphertext = p.hex_(cipher_mod.get("message"), "crypto.cipher.message")

        uuid = p.str_(top.get("uuid"), "uuid")
        try:
            uuid_module.UUID(uuid)
        except ValueError:
            raise KeystoreError(f"{source}: field uuid {uuid!r} is not a UUID; the file looks hand-edited") from None
        description = top.get("description", "")
        return cls(
            kdf=kdf,
            salt=salt,
            checksum=checksum,
            iv=iv,
            ciphertext=ciphertext,
            pubkey=p.hex_(top.get("pubkey"), "pubkey"),
            path=p.str_(top.get("path"), "path"),
            uuid=uuid,
            description=p.str_(description, "description"),
            version=version,
            source=source,
        )

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "<keystore>") -> Keystore:
        try:
            obj: object = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KeystoreError(
                f"{source}: not valid JSON ({exc}); the file is truncated or corrupt — restore it from a backup"
            ) from None
        except RecursionError:
            raise KeystoreError(
                f"{source}: not a keystore (JSON nested too deep to read); the file is corrupt — restore it from a "
                "backup"
            ) from None
        return cls.from_dict(obj, source)


class _Parser:
    """Typed access to untrusted JSON, with errors naming the file and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _bad(self, where: str, what: str) -> KeystoreError:
        return KeystoreError(
            f"{self.source}: field {where} {what}; the file is not a valid EIP-2335 keystore "
            "(truncated or hand-edited) — restore it from a backup"
        )

    def obj(self, value: object, where: str) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self._bad(where, "is missing or not an object")
        return {str(k): v for k, v in value.items()}

    def str_(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self._bad(where, "is missing or not a string")
        return value

    def int_(self, value: object, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._bad(where, "is missing or not an integer")
        return value

    def hex_(self, value: object, where: str, length: int | None = None) -> bytes:
        text = self.str_(value, where)
        digits = text[2:] if text[:2] in ("0x", "0X") else text
        try:
            data = bytes.fromhex(digits)
        except ValueError:
            raise self._bad(where, f"is not hex ({text[:20]!r}...)") from None
        if length is not None and len(data) != length:
            raise self._bad(where, f"has {len(data)} bytes, expected {length}")
        return data


# -- files --------------------------------------------------------------------------------------------------------
def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600: a temporary file in the same folder, fsync, rename,
    fsync the folder. A crash leaves either the old file or the new one, never a truncated mix."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_keystore(keystore: Keystore, path: Path, *, overwrite: bool = False) -> Path:
    """Write `keystore` to `path` (mode 0600, atomic). Refuses to replace an existing file unless `overwrite`."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise KeystoreError(f"{path}: already exists; refusing to overwrite a keystore (move it away first)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private_file(path, keystore.to_json().encode())
    except OSError as exc:
        raise KeystoreError(f"{path}: cannot write keystore ({exc.strerror or exc})") from None
    return path


def load_keystore(path: Path) -> Keystore:
    """Read and validate an EIP-2335 keystore file (no password needed: pubkey and path are in clear)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeystoreError(f"{path}: no such keystore file") from None
    except IsADirectoryError:
        raise KeystoreError(f"{path}: is a folder, not a keystore file") from None
    except OSError as exc:
        raise KeystoreError(f"{path}: cannot read keystore ({exc.strerror or exc})") from None
    return Keystore.from_json(data, str(path))


def keystore_files(folder: Path) -> list[Path]:
    """The `*.json` files directly in `folder`, sorted by name (hidden temporary files excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KeystoreError(f"{folder}: not a folder of keystores")
    return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".") and p.is_file())


# -- BLS validator keys ---------------------------------------------------------------------------------------------
def encrypt_bls_key(
    sk: SecretKey, password: str, *, kdf: Kdf = SCRYPT_DEFAULT, path: str = "", description: str = ""
) -> Keystore:
    """EIP-2335 keystore for a BLS12-381 validator key (secret: 32-byte big-endian scalar; pubkey: 48 bytes)."""
    return Keystore.encrypt(
        sk.to_bytes(), password, pubkey=sk.public_key(), kdf=kdf, path=path, description=description
    )


def decrypt_bls_key(keystore: Keystore, password: str) -> SecretKey:
    """Decrypt a BLS keystore and check that the secret matches the `pubkey` the file claims."""
    if keystore.kind != "bls":
        raise KeystoreError(
            f"{keystore.source}: holds a {len(keystore.pubkey)}-byte public key, not a BLS validator key (48 bytes)"
        )
    secret = keystore.decrypt(password)
    try:
        if len(secret) != 32:
            raise ValueError("wrong length")
        sk = SecretKey.from_bytes(secret)
    except (ValueError, RuntimeError):
        raise KeystoreError(f"{keystore.source}: decrypted secret is not a BLS12-381 secret key") from None
    if sk.public_key() != keystore.pubkey:
        raise KeystoreError(
            f"{keystore.source}: the decrypted key does not match the file's pubkey; the file was tampered with"
        )
    return sk


def devnet_keystore_name(index: int, pubkey: bytes) -> str:
    return f"keystore-{index:05d}-{pubkey.hex()[:12]}.json"


def generate_devnet_keystores(
    out_dir: Path, indices: Iterable[int], password: str, *, kdf: Kdf = FAST_INSECURE_KDF
) -> list[Path]:
    """Write EIP-2335 keystores for `devnet_secret_key(i)` for each index into `out_dir`.

    INSECURE: devnet keys are derived from their index, so anyone can recompute them; the encryption only
    exercises the same code path as real keys. Use for devnets and tests, never for a key that holds value.
    """
    out = Path(out_dir)
    written = []
    for index in indices:
        sk = devnet_secret_key(index)
        ks = encrypt_bls_key(
            sk, password, kdf=kdf, description=f"INSECURE stakework devnet validator key {index} (publicly derivable)"
        )
        written.append(save_keystore(ks, out / devnet_keystore_name(index, ks.pubkey)))
    return written
