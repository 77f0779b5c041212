"""Ed25519 account keys: RFC 8032 vectors, verification never raises, addresses, encrypted key files."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import (
    AccountKey,
    AddressError,
    address_of,
    decrypt_account_key,
    devnet_account_key,
    encrypt_account_key,
    parse_address,
    to_hex,
    verify,
)
from stakework.crypto.keystore import FAST_INSECURE_KDF, Keystore, KeystoreError, encrypt_bls_key
from stakework.spec.errors import StakeworkError

# RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "pub", "msg", "sig"), RFC8032)
def test_sign__rfc8032_vectors__exact(seed: str, pub: str, msg: str, sig: str) -> None:
    key = AccountKey.from_seed(bytes.fromhex(seed))
    assert key.public_key.hex() == pub
    assert key.sign(bytes.fromhex(msg)).hex() == sig
    assert verify(bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig))


def test_verify__other_message_or_key__false() -> None:
    a, b = AccountKey.generate(), AccountKey.generate()
    sig = a.sign(b"transfer 5")
    assert verify(a.public_key, b"transfer 5", sig)
    assert not verify(a.public_key, b"transfer 6", sig)
    assert not verify(b.public_key, b"transfer 5", sig)


@given(pubkey=st.binary(max_size=40), message=st.binary(max_size=64), signature=st.binary(max_size=80))
def test_verify__arbitrary_bytes__never_raises(pubkey: bytes, message: bytes, signature: bytes) -> None:
    assert verify(pubkey, message, signature) in (True, False)


@given(index=st.integers(0, 2**16), flip=st.integers(0, 64 * 8 - 1))
def test_verify__any_flipped_signature_bit__false(index: int, flip: int) -> None:
    key = devnet_account_key(index)
    sig = bytearray(key.sign(b"m"))
    sig[flip // 8] ^= 1 << (flip % 8)
    assert not verify(key.public_key, b"m", bytes(sig))


def test_address__last_20_bytes_of_sha256_pubkey() -> None:
    key = devnet_account_key(0)
    assert address_of(key.public_key) == hashlib.sha256(key.public_key).digest()[12:]
    assert key.address == address_of(key.public_key)
    assert len(key.address) == 20
    text = to_hex(key.address)
    assert text.startswith("0x") and len(text) == 42
    assert parse_address(text) == key.address


@pytest.mark.parametrize("bad", ["", "0x", "abcd", "0x" + "g" * 40, "0x" + "00" * 19, "0x" + "00" * 32])
def test_parse_address__malformed__address_error(bad: str) -> None:
    with pytest.raises(AddressError):
        parse_address(bad)


def test_address_of__wrong_length__address_error() -> None:
    with pytest.raises(AddressError):
        address_of(b"\x00" * 31)


def test_devnet_account_key__deterministic_and_distinct() -> None:
    assert devnet_account_key(3).seed == devnet_account_key(3).seed
    assert len({devnet_account_key(i).address for i in range(50)}) == 50


def test_from_seed__wrong_length__stakework_error() -> None:
    with pytest.raises(StakeworkError):
        AccountKey.from_seed(b"short")


def test_repr__never_shows_seed() -> None:
    key = devnet_account_key(1)
    assert key.seed.hex() not in repr(key)


def test_account_key_file__round_trip_in_eip2335_container() -> None:
    key = devnet_account_key(7)
    ks = encrypt_account_key(key, "pw", kdf=FAST_INSECURE_KDF)
    back = Keystore.from_json(ks.to_json(), "acct.json")
    assert back.kind == "ed25519"
    assert back.description.startswith("stakework ed25519 account key 0x")
    assert decrypt_account_key(back, "pw").seed == key.seed
    with pytest.raises(KeystoreError, match=r"wrong password for acct\.json"):
        decrypt_account_key(back, "nope")


def test_account_key_file__bls_keystore__refused() -> None:
    ks = encrypt_bls_key(devnet_secret_key(0), "pw", kdf=FAST_INSECURE_KDF)
    with pytest.raises(KeystoreError, match="not an Ed25519 account key"):
        decrypt_account_key(ks, "pw")
