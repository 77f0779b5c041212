"""EIP-2335 keystores: the EIP's published vectors exactly, round trips, wrong passwords, corrupt files, modes."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stakework.crypto.bls import SecretKey, devnet_secret_key
from stakework.crypto.keystore import (
    FAST_INSECURE_KDF,
    Keystore,
    KeystoreError,
    Pbkdf2,
    Scrypt,
    decrypt_bls_key,
    encrypt_bls_key,
    generate_devnet_keystores,
    kdf_by_name,
    keystore_files,
    load_keystore,
    normalize_password,
    save_keystore,
)

# EIP-2335 "Test Cases" (ethereum/ERCs ERCS/erc-2335.md)
PASSWORD = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑"
SECRET = bytes.fromhex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
PUBKEY = "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07"
SALT = "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
IV = "264daa3f303d7259501c93d997d84fe6"

SCRYPT_VECTOR = {
    "crypto": {
        "kdf": {
            "function": "scrypt",
            "params": {"dklen": 32, "n": 262144, "p": 1, "r": 8, "salt": SALT},
            "message": "",
        },
        "checksum": {
            "function": "sha256",
            "params": {},
            "message": "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484",
        },
        "cipher": {
            "function": "aes-128-ctr",
            "params": {"iv": IV},
            "message": "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f",
        },
    },
    "description": "This is a test keystore that uses scrypt to secure the secret.",
    "pubkey": PUBKEY,
    "path": "m/12381/60/3141592653/589793238",
    "uuid": "1d85ae20-35c5-4611-98e8-aa14a633906f",
    "version": 4,
}

PBKDF2_VECTOR = {
    "crypto": {
        "kdf": {
            "function": "pbkdf2",
            "params": {"dklen": 32, "c": 262144, "prf": "hmac-sha256", "salt": SALT},
            "message": "",
        },
        "checksum": {
            "function": "sha256",
            "params": {},
            "message": "8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1",
        },
        "cipher": {
            "function": "aes-128-ctr",
            "params": {"iv": IV},
            "message": "cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad",
        },
    },
    "description": "This is a test keystore that uses PBKDF2 to secure the secret.",
    "pubkey": PUBKEY,
    "path": "m/12381/60/0/0",
    "uuid": "64625def-3331-4eea-ab6f-782f3ed16a83",
    "version": 4,
}

FAST = FAST_INSECURE_KDF


def test_password__eip2335_vector__encodes_to_published_bytes() -> None:
    assert normalize_password(PASSWORD).hex() == "7465737470617373776f7264f09f9491"


@pytest.mark.parametrize(
    ("password", "processed"),
    [
        ("\a", b""),
        ("\b", b""),
        ("\t", b""),
        ("a", b"a"),
        ("abc", b"abc"),
        ("a\bc", b"ac"),
        ("pass word\n", b"pass word"),
        ("a\x7fb\x85c\x9f", b"abc"),
        ("ﬁ", b"fi"),  # NFKD compatibility decomposition
    ],
)
def test_password__control_codes_stripped_after_nfkd(password: str, processed: bytes) -> None:
    assert normalize_password(password) == processed


@pytest.mark.parametrize("vector", [SCRYPT_VECTOR, PBKDF2_VECTOR], ids=["scrypt", "pbkdf2"])
def test_vector__decrypts_to_published_secret_and_pubkey(vector: dict[str, object]) -> None:
    ks = Keystore.from_json(json.dumps(vector), "vector.json")
    sk = decrypt_bls_key(ks, PASSWORD)  # one KDF run: the scrypt vector costs about a second
    assert sk.to_bytes() == SECRET
    assert sk.public_key().hex() == PUBKEY
    assert ks.to_dict() == vector


@pytest.mark.parametrize(
    ("vector", "kdf"), [(SCRYPT_VECTOR, Scrypt()), (PBKDF2_VECTOR, Pbkdf2())], ids=["scrypt", "pbkdf2"]
)
def test_vector__encrypting_with_its_salt_and_iv__reproduces_it_exactly(vector: dict[str, object], kdf: object) -> None:
    assert isinstance(kdf, Scrypt | Pbkdf2)
    meta = vector
    ks = Keystore.encrypt(
        SECRET,
        PASSWORD,
        pubkey=bytes.fromhex(PUBKEY),
        kdf=kdf,
        path=str(meta["path"]),
        description=str(meta["description"]),
        salt=bytes.fromhex(SALT),
        iv=bytes.fromhex(IV),
        uuid=str(meta["uuid"]),
    )
    assert ks.to_dict() == vector


def test_vector__wrong_password__checksum_mismatch_names_file() -> None:
    ks = Keystore.from_json(json.dumps(PBKDF2_VECTOR), "/keys/vector.json")
    with pytest.raises(KeystoreError, match=r"checksum mismatch: wrong password for /keys/vector\.json"):
        ks.decrypt("testpassword")  # the emoji is part of the password


@pytest.mark.parametrize("kdf", [FAST, Scrypt(n=2**10)], ids=["pbkdf2", "scrypt"])
def test_round_trip__bls_key__same_secret_back(kdf: Scrypt | Pbkdf2) -> None:
    sk = SecretKey.from_seed(bytes(range(32)))
    ks = encrypt_bls_key(sk, "correct horse", kdf=kdf, path="m/12381/3600/0/0/0")
    back = Keystore.from_json(ks.to_json())
    assert back == ks
    assert decrypt_bls_key(back, "correct horse").to_bytes() == sk.to_bytes()
    assert back.kind == "bls" and back.pubkey == sk.public_key()


def test_encrypt__random_salt_iv_uuid__differ_each_time() -> None:
    sk = devnet_secret_key(1)
    a, b = encrypt_bls_key(sk, "pw", kdf=FAST), encrypt_bls_key(sk, "pw", kdf=FAST)
    assert a.salt != b.salt and a.iv != b.iv and a.uuid != b.uuid and a.ciphertext != b.ciphertext


def test_save__file_mode_0600_and_load_round_trip(tmp_path: Path) -> None:
    ks = encrypt_bls_key(devnet_secret_key(3), "pw", kdf=FAST)
    path = save_keystore(ks, tmp_path / "sub" / "k.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keystore(path) == ks
    assert load_keystore(path).source == str(path)
    assert [p.name for p in tmp_path.joinpath("sub").iterdir()] == ["k.json"]  # no temporary file left


def test_save__existing_file__refused_unless_overwrite(tmp_path: Path) -> None:
    ks = encrypt_bls_key(devnet_secret_key(3), "pw", kdf=FAST)
    save_keystore(ks, tmp_path / "k.json")
    with pytest.raises(KeystoreError, match="already exists"):
        save_keystore(ks, tmp_path / "k.json")
    save_keystore(ks, tmp_path / "k.json", overwrite=True)


def test_generate_devnet_keystores__decrypt_to_devnet_keys(tmp_path: Path) -> None:
    paths = generate_devnet_keystores(tmp_path, [0, 5], "devnet")
    assert [p.name[:14] for p in paths] == ["keystore-00000", "keystore-00005"]
    assert keystore_files(tmp_path) == paths
    for index, path in zip([0, 5], paths, strict=True):
        ks = load_keystore(path)
        assert "INSECURE" in ks.description
        assert decrypt_bls_key(ks, "devnet").to_bytes() == devnet_secret_key(index).to_bytes()


# -- bad input: each a KeystoreError naming the file ---------------------------------------------------------------
def _mutated(change: str) -> str:
    doc = copy.deepcopy(PBKDF2_VECTOR)
    crypto = doc["crypto"]
    assert isinstance(crypto, dict)
    if change == "kdf":
        crypto["kdf"]["function"] = "argon2id"
    elif change == "cipher":
        crypto["cipher"]["function"] = "aes-128-gcm"
    elif change == "checksum":
        crypto["checksum"]["function"] = "keccak256"
    elif change == "version":
        doc["version"] = 3
    elif change == "hex":
        crypto["cipher"]["message"] = "zz" + crypto["cipher"]["message"][2:]
    elif change == "iv":
        crypto["cipher"]["params"]["iv"] = "00"
    elif change == "missing":
        del crypto["checksum"]
    elif change == "prf":
        crypto["kdf"]["params"]["prf"] = "hmac-sha512"
    elif change == "scrypt_n":
        crypto["kdf"] = {"function": "scrypt", "params": {"dklen": 32, "n": 1000, "p": 1, "r": 8, "salt": SALT}}
    elif change == "scrypt_huge":
        crypto["kdf"] = {"function": "scrypt", "params": {"dklen": 32, "n": 2**30, "p": 1, "r": 8, "salt": SALT}}
    elif change == "uuid":
        doc["uuid"] = "not-a-uuid"
    elif change == "type":
        doc["version"] = "4"
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("kdf", "unsupported kdf 'argon2id'"),
        ("cipher", "unsupported cipher 'aes-128-gcm'"),
        ("checksum", "unsupported checksum 'keccak256'"),
        ("version", "version 3 is not supported"),
        ("hex", r"crypto\.cipher\.message is not hex"),
        ("iv", r"crypto\.cipher\.params\.iv has 1 bytes, expected 16"),
        ("missing", r"crypto\.checksum is missing"),
        ("prf", "unsupported pbkdf2 prf"),
        ("scrypt_n", "power of two"),
        ("scrypt_huge", "more than 2 GiB"),
        ("uuid", "is not a UUID"),
        ("type", "version is missing or not an integer"),
    ],
)
def test_from_json__bad_field__keystore_error_names_file_and_field(change: str, message: str) -> None:
    with pytest.raises(KeystoreError, match=message) as info:
        Keystore.from_json(_mutated(change), "/keys/bad.json")
    assert str(info.value).startswith("/keys/bad.json:")


@pytest.mark.parametrize("text", ["", "{", '{"crypto": ', "[]", "null", "\xff\xfe"])
def test_load__truncated_or_not_json__keystore_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "k.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(KeystoreError, match=str(path)):
        load_keystore(path)


def test_load__truncated_real_keystore__restore_hint(tmp_path: Path) -> None:
    text = encrypt_bls_key(devnet_secret_key(0), "pw", kdf=FAST).to_json()
    path = tmp_path / "k.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(KeystoreError, match="truncated or corrupt"):
        load_keystore(path)


def test_load__missing_file__keystore_error(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="no such keystore file"):
        load_keystore(tmp_path / "nope.json")


def test_decrypt_bls__pubkey_swapped__tamper_detected() -> None:
    ks = encrypt_bls_key(devnet_secret_key(0), "pw", kdf=FAST)
    forged = Keystore.from_dict({**ks.to_dict(), "pubkey": devnet_secret_key(1).public_key().hex()}, "f.json")
    with pytest.raises(KeystoreError, match="does not match the file's pubkey"):
        decrypt_bls_key(forged, "pw")


def test_decrypt__flipped_ciphertext_bit__checksum_mismatch() -> None:
    ks = encrypt_bls_key(devnet_secret_key(0), "pw", kdf=FAST)
    doc = ks.to_dict()
    crypto = doc["crypto"]
    assert isinstance(crypto, dict)
    msg = bytearray(bytes.fromhex(crypto["cipher"]["message"]))
    msg[0] ^= 1
    crypto["cipher"]["message"] = msg.hex()
    with pytest.raises(KeystoreError, match="checksum mismatch"):
        Keystore.from_dict(doc).decrypt("pw")


def test_kdf_by_name__unknown__keystore_error() -> None:
    assert kdf_by_name("scrypt") == Scrypt()
    with pytest.raises(KeystoreError, match="unknown kdf"):
        kdf_by_name("md5")


def test_keystore_files__not_a_folder__keystore_error(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="not a folder"):
        keystore_files(tmp_path / "missing")


@settings(max_examples=50)
@given(password=st.text(max_size=40), secret=st.binary(min_size=32, max_size=32))
def test_round_trip__any_password__same_secret_and_control_chars_irrelevant(password: str, secret: bytes) -> None:
    ks = Keystore.encrypt(secret, password, pubkey=b"\x00" * 48, kdf=Pbkdf2(c=2))
    assert Keystore.from_json(ks.to_json()).decrypt(password) == secret
    assert ks.decrypt("\t" + password + "\n\x7f") == secret  # EIP-2335 strips control codes
    processed = normalize_password(password)
    assert not any(b < 0x20 or b == 0x7F for b in processed)


def test_decrypt_bls_key__zero_secret_with_infinity_pubkey__refused() -> None:
    # the zero key's public key is the point at infinity: a file that claims it is consistent, but not a key
    ks = Keystore.encrypt(bytes(32), "pw", pubkey=b"\xc0" + bytes(47), kdf=FAST_INSECURE_KDF)
    with pytest.raises(KeystoreError, match="not a BLS12-381 secret key"):
        decrypt_bls_key(ks, "pw")
