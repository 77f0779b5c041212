"""What `stakework pool` and `stakework liquid` share: the signing account, sending a module transaction as
`wallet send` does (sign for the node's chain, submit, wait for inclusion), validator keys for a module (fresh
ones stored where the devnet's validator client runs them, or existing keystores), reading the module endpoints,
and formatting amounts, shares and basis points.

Shares and wrapped tokens are counted like SWK: 10**9 base units to one (at a pool's or the liquid module's
start one share is worth one SWK), and given with the same decimal format as amounts.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import typer

from stakework.cli.common import console, fail
from stakework.cli.wallet import (
    BASE_UNITS,
    NodeUrl,
    PasswordFile,
    Token,
    WalletDir,
    _address,
    _client,
    _unlock,
    _wallet_dir,
    parse_amount,
    swk,
)
from stakework.modules.keys import MAX_KEYS_PER_MESSAGE

From = typer.Option(
    None,
    "--from",
    "-f",
    help="The signing account (a name in the wallet; default $STAKEWORK_ACCOUNT, or the wallet's only account).",
)
Fee = typer.Option("0.000001", "--fee", help="Fee in SWK (paid to the block's proposer).")
Wait = typer.Option(True, "--wait/--no-wait", help="Wait until a block includes it.")
DataDir = typer.Option(
    None,
    "--data-dir",
    "-d",
    help="The devnet's data directory (its api-token, api-address: where its API is; keys/staked/ for new keys).",
)
GenerateKeys = typer.Option(
    0,
    "--generate-keys",
    min=0,
    help="Generate N fresh validator keys, stored (EIP-2335) in DATA/keys/staked/ where the devnet runs them.",
)
KeyFiles = typer.Option(
    None, "--key-file", help="An existing EIP-2335 validator keystore to use (repeatable; you run the validator)."
)
KeyPasswordFile = typer.Option(
    None, "--key-password-file", help="Password of the --key-file keystores (default: prompt)."
)


@dataclass(frozen=True)
class Signer:
    """Who signs a module transaction and how it reaches the node (the wallet's options)."""

    account: str | None = None
    fee: str = "0.000001"
    wait: bool = True
    wallet_dir: Path | None = None
    password_file: Path | None = None
    node: str | None = None
    token: str | None = None
    data_dir: Path | None = None

    @property
    def wallet(self) -> Path:
        return _wallet_dir(self.wallet_dir)

    def name(self) -> str:
        """The account's name: --from, $STAKEWORK_ACCOUNT, or the wallet's only account."""
        return account_name(self.wallet, self.account)

    @cached_property
    def me(self) -> bytes:
        return _address(self.wallet, self.name())

    def address(self) -> bytes:
        """The signing account's address (resolved once)."""
        return self.me

    def resolved(self) -> Signer:
        """Self, with the fee checked and the account resolved: a mistake there is reported before the node is
        asked anything."""
        parse_fee(self.fee)
        self.address()
        return self

    @cached_property
    def key(self) -> Any:
        """The account key, unlocked once (asks for the password unless --password-file)."""
        return _unlock(self.wallet, self.name(), self.password_file)

    def reader(self) -> Any:
        """A client for reads (no token needed; with --data-dir the devnet's token goes along all the same)."""
        return _client(self.node, None, self.data_dir)


SIGNER_OPTIONS: dict[str, tuple[Any, Any]] = {
    "account": (str | None, From),
    "fee": (str, Fee),
    "wait": (bool, Wait),
    "wallet_dir": (Path | None, WalletDir),
    "password_file": (Path | None, PasswordFile),
    "node": (str | None, NodeUrl),
    "token": (str | None, Token),
    "data_dir": (Path | None, DataDir),
}
"""The signer's options, declared once: name -> (type, typer option), in the order of :class:`Signer`'s fields."""

_Command = TypeVar("_Command", bound=Callable[..., Any])


def with_signer(command: _Command) -> _Command:
    """A command taking ``signer: Signer`` gets the signer's options (``--from``, ``--fee``, ``--wait/--no-wait``,
    ``--wallet-dir``, ``--password-file``, ``--node``, ``--token``, ``--data-dir``) after its own, and receives them
    as one (unresolved) :class:`Signer`: the options are declared once (:data:`SIGNER_OPTIONS`) for every command
    of an app instead of being repeated in each."""
    hints = get_type_hints(command)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(command).parameters.values()
        if p.name != "signer"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, (kind, option) in SIGNER_OPTIONS.items()
    ]

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        signer = Signer(*(kwargs.pop(name) for name in SIGNER_OPTIONS))
        return command(*args, signer=signer, **kwargs)

    run.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
    del run.__wrapped__
    return run  # type: ignore[return-value]


def account_name(wallet: Path, name: str | None) -> str:
    if name:
        return name
    env = os.environ.get("STAKEWORK_ACCOUNT")
    if env:
        return env
    names = sorted(p.stem for p in wallet.glob("*.json")) if wallet.is_dir() else []
    if len(names) == 1:
        return names[0]
    if not names:
        fail(f"no accounts in {wallet}; create one with `stakework wallet new NAME` (or import-devnet)")
    fail(f"{len(names)} accounts in {wallet} ({', '.join(names)}): choose one with --from NAME")


def address_of(signer: Signer, name_or_address: str | None) -> bytes:
    """A 0x address, an account name in the wallet, or (None) the signing account's address."""
    if name_or_address is None:
        return signer.address()
    return _address(signer.wallet, name_or_address)


def parse_fee(text: str) -> int:
    try:
        if Decimal(text) == 0:
            return 0
    except InvalidOperation:
        fail(f"fee {text!r} is not a number of SWK")
    return parse_amount(text)


def parse_shares(text: str, what: str = "shares") -> int:
    """Shares (or wstSWK) in the amount format: 10**9 base units to one, up to 9 decimals."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{text!r} is not a number of {what}")
    units = value * BASE_UNITS
    if not value.is_finite() or units != units.to_integral_value() or units <= 0:
        fail(f"{text!r}: a positive number of {what} with at most 9 decimals")
    return int(units)


def parse_id(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**64:
        fail(f"{what} {text!r}: give its number")
    return int(text)


def parse_commission(text: str) -> int:
    """`10%`, `10` (percent) or `1000bps` -> basis points (0..10_000)."""
    raw = text.strip().lower()
    try:
        bps = Decimal(raw[:-3]) if raw.endswith("bps") else Decimal(raw.removesuffix("%")) * 100
    except InvalidOperation:
        fail(f"commission {text!r}: a percentage such as 10% (or basis points: 1000bps)")
    if not bps.is_finite() or bps != bps.to_integral_value() or not 0 <= bps <= 10_000:
        fail(f"commission {text!r}: between 0% and 100%, in steps of 0.01%")
    return int(bps)


def shares(units: int | str) -> str:
    """Share base units -> `1,234.5 shares`."""
    return swk(units).removesuffix(" SWK") + " shares"


def tokens(units: int | str, symbol: str) -> str:
    return swk(units).removesuffix(" SWK") + f" {symbol}"


def percent(bps: int | str | None) -> str:
    if bps is None:
        return "n/a"
    return f"{Decimal(int(bps)) / 100:.2f}%"


MAINNET_EPOCHS_PER_YEAR = 365 * 86_400 // (12 * 32)
"""Ethereum's: 82,125 epochs of 32 twelve-second slots."""


def apr_text(view: dict[str, Any], epochs: int) -> str:
    """`APR 12.34% (last 32 epochs, annualised)`, with a warning when the chain's epochs are much shorter than
    Ethereum's: the API annualises the growth of the last epochs over the chain's epochs per year, and a devnet's
    16-second epochs (and small total stake, whose reward per epoch grows as 1/sqrt(total)) give rates in the
    thousands of percent that no real chain pays."""
    text = f"APR {percent(view.get('apr_bps'))} (last {epochs} epochs, annualised"
    per_year = int(view.get("epochs_per_year") or 0)
    if per_year > 2 * MAINNET_EPOCHS_PER_YEAR:
        text += (
            f" over this chain's {per_year:,} epochs a year: a devnet's short epochs and small stake make it far "
            f"higher than a real chain's; Ethereum's year has {MAINNET_EPOCHS_PER_YEAR:,} epochs"
        )
    return text + ")"


def price(value: int | str) -> str:
    """A price quoted per 10**9 (SWK per share, stSWK per wstSWK)."""
    return f"{Decimal(int(value)) / BASE_UNITS:.9f}"


def get(client: Any, path: str) -> Any:
    """GET a module endpoint's `data`; a 404 (no such pool or request, module not enabled) is the node's message
    as a one-line error."""
    from stakework.api.client import ApiClientError

    try:
        return client.get(path)["data"]
    except ApiClientError as exc:
        text = str(exc)
        if "(404): " in text:
            fail(text.split("(404): ", 1)[1])
        raise


def send(signer: Signer, payload: Any, what: str) -> dict[str, Any] | None:
    """Sign `payload` from the signer's account, submit it, print its hash and (with wait) the block including it;
    the transaction's final status (None with --no-wait). A refused transaction is a one-line error (exit 2)."""
    from stakework.transition.block.transaction import Transaction
    from stakework.transition.modules import module_message_min_fee

    fee_units = parse_fee(signer.fee)
    least = module_message_min_fee(payload)
    if fee_units < least:
        console.print(f"fee raised to {swk(least)}: what this message pays at least", highlight=False)
        fee_units = least
    key = signer.key
    client = _client(signer.node, signer.token, signer.data_dir)
    nonce = int(client.account(key.address)["nonce"])
    tx_hash = client.submit(client.sign(Transaction(key.public_key, nonce, fee_units, payload), key))
    console.print(f"{what}: transaction {tx_hash}", highlight=False, soft_wrap=True)
    if not signer.wait:
        return None
    return wait_included(client, tx_hash)


def wait_included(client: Any, tx_hash: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.transaction(tx_hash)
        if status["status"] in ("included", "finalized"):
            console.print(
                f"{status['status']} in block {status['block']} at slot {status['slot']}",
                highlight=False,
                soft_wrap=True,
            )
            return status
        if status["status"] == "rejected":
            reason = str(status.get("reason"))
            if reason.startswith("dropped from the pool unincluded"):
                fail(
                    f"transaction {tx_hash} was dropped without being included (replaced by a higher fee for "
                    "the same nonce, or evicted from a full pool); nothing was charged"
                )
            fail(f"the chain refused transaction {tx_hash}: {reason}")
        time.sleep(0.2)
    fail(f"not included within {timeout:g} s; check later with the API: /v1/transactions/{tx_hash}")


MAX_KEYS_PER_TRANSACTION = MAX_KEYS_PER_MESSAGE
"""The module's limit per message (which also keeps a transaction under the node's 4096-byte limit)."""


@dataclass(frozen=True)
class _DepositPreset:
    """What `sign_module_key` reads from a preset, taken from the node's /eth/v1/config/spec."""

    GENESIS_FORK_VERSION: bytes
    MIN_ACTIVATION_BALANCE: int


def _deposit_preset(client: Any) -> Any:
    spec = get(client, "/eth/v1/config/spec")
    return _DepositPreset(bytes.fromhex(spec["GENESIS_FORK_VERSION"][2:]), int(spec["MIN_ACTIVATION_BALANCE"]))


def check_key_options(signer: Signer, generate: int, key_files: list[Path] | None, *, required: bool = True) -> None:
    """Refuse key options that cannot work before anything is read, written or prompted for."""
    if generate == 0 and not key_files and required:
        fail("no validator keys: give --generate-keys N (with --data-dir) or --key-file KEYSTORE")
    if generate + len(key_files or []) > MAX_KEYS_PER_TRANSACTION:
        fail(f"at most {MAX_KEYS_PER_TRANSACTION} keys per transaction (the node's transaction size limit)")
    if generate and signer.data_dir is None:
        fail("--generate-keys needs --data-dir: the devnet whose validator client runs the new keys")
    for path in key_files or []:
        if not path.is_file():
            fail(f"{path}: no such keystore file")


def module_keys(
    signer: Signer,
    module: str,
    generate: int,
    key_files: list[Path] | None,
    key_password_file: Path | None,
    *,
    required: bool = True,
) -> list[Any]:
    """Validator keys for `module` with their deposit signatures (`sign_module_key`): `generate` fresh ones
    (secure randomness; each written as an EIP-2335 keystore into DATA/keys/staked/, encrypted with
    DATA/keys.password, so the devnet's validator client runs it once the module stakes it) and the keys of
    `key_files` (decrypted with the password of `key_password_file`; their operator runs them)."""
    from stakework.cli.keys import read_password
    from stakework.cli.wallet import _devnet_password, save_staked_key
    from stakework.crypto.bls import SecretKey
    from stakework.crypto.keystore import KeystoreError, decrypt_bls_key, load_keystore
    from stakework.transition.modules import sign_module_key

    files = list(key_files or [])
    check_key_options(signer, generate, files, required=required)
    secrets: list[Any] = []
    if files:
        password = read_password(key_password_file, confirm=False, new=False)
        for path in files:
            try:
                secrets.append(decrypt_bls_key(load_keystore(path), password))
            except KeystoreError as exc:
                fail(str(exc))
    signer.key  # noqa: B018  (the account's password before any keystore is written)
    preset = _deposit_preset(signer.reader())
    keys = [sign_module_key(preset, module, sk) for sk in secrets]
    if generate and signer.data_dir is not None:
        data_dir = signer.data_dir
        devnet_password = _devnet_password(data_dir)
        for _ in range(generate):
            sk = SecretKey.from_seed(os.urandom(32))
            path = save_staked_key(data_dir, sk, devnet_password, f"{module} validator of {signer.name()}")
            keys.append(sign_module_key(preset, module, sk))
            console.print(
                f"new validator key 0x{sk.public_key().hex()} (keystore {path})", highlight=False, soft_wrap=True
            )
    return keys
