"""`stakework wallet`: account keys in encrypted files, talking to a node over its HTTP API.

Keys live in the wallet directory (`--wallet-dir`, `$STAKEWORK_WALLET`, default `~/.stakework/wallet`), one
EIP-2335 container per account (`<name>.json`, the Ed25519 seed encrypted; docs/keys.md). The node is found by
`--node`, `$STAKEWORK_API`, or the devnet's `--data-dir` (its `api-address` file; default
http://127.0.0.1:5052); the bearer token for sending by `--token` /
`$STAKEWORK_TOKEN` or the devnet's `--data-dir` (its `api-token` file). Amounts are in SWK (1 SWK = 10**9 base
units) and may have decimals.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail, node_url
from stakework.cli.keys import PASSWORD_FILE_HELP, read_password

app = typer.Typer(help="Accounts: create, import, balance, send, stake, exit, rewards, watch.", no_args_is_help=True)

BASE_UNITS = 10**9
DEFAULT_WALLET = Path.home() / ".stakework" / "wallet"

WalletDir = typer.Option(
    None, "--wallet-dir", "-w", help="Where account key files live (default $STAKEWORK_WALLET or ~/.stakework/wallet)."
)
NodeUrl = typer.Option(
    None, "--node", help="Node API URL (default $STAKEWORK_API, else DATA/api-address, else http://127.0.0.1:5052)."
)
Token = typer.Option(None, "--token", help="API bearer token (default $STAKEWORK_TOKEN or DATA/api-token).")
DataDir = typer.Option(
    None, "--data-dir", "-d", help="The devnet's data directory (its api-token, and api-address: where its API is)."
)
PasswordFile = typer.Option(
    None,
    "--password-file",
    envvar="STAKEWORK_PASSWORD_FILE",
    show_envvar=False,
    help=PASSWORD_FILE_HELP + " Default $STAKEWORK_PASSWORD_FILE (one file for a devnet session's many prompts).",
)


def _wallet_dir(value: Path | None) -> Path:
    return value or Path(os.environ.get("STAKEWORK_WALLET", DEFAULT_WALLET))


def _client(node: str | None, token: str | None = None, data_dir: Path | None = None) -> Any:
    from stakework.api.client import ApiClient

    if token is None:
        token = os.environ.get("STAKEWORK_TOKEN")
    if token is None and data_dir is not None:
        path = data_dir / "api-token"
        try:
            token = path.read_text().strip()
        except OSError as exc:
            fail(f"{path}: cannot read the API token ({exc.strerror or exc}); has the devnet started?")
    return ApiClient(node_url(node, data_dir), token)


def parse_amount(text: str) -> int:
    """SWK (decimals allowed, up to 9 places) → base units."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"amount {text!r} is not a number of SWK")
    units = value * BASE_UNITS
    if not value.is_finite() or units != units.to_integral_value() or units <= 0:
        fail(f"amount {text!r}: a positive number of SWK with at most 9 decimals")
    return int(units)


def swk(units: int | str) -> str:
    """Base units → `1,234.5 SWK` (exact)."""
    value = Decimal(int(units)) / BASE_UNITS
    text = f"{value:,.9f}".rstrip("0").rstrip(".")
    return f"{text} SWK"


def _key_path(wallet: Path, name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        fail(f"invalid account name {name!r}: use letters, digits, - and _")
    return wallet / f"{name}.json"


def _save(wallet: Path, name: str, key: Any, password: str, *, insecure: bool = False) -> Path:
    from stakework.crypto.ed25519 import encrypt_account_key
    from stakework.crypto.keystore import FAST_INSECURE_KDF, SCRYPT_DEFAULT, save_keystore

    path = _key_path(wallet, name)
    if path.exists():
        fail(f"{path} exists already; choose another name")
    wallet.mkdir(parents=True, exist_ok=True)
    kdf = FAST_INSECURE_KDF if insecure else SCRYPT_DEFAULT
    save_keystore(encrypt_account_key(key, password, kdf=kdf), path)
    return path


def _address(wallet: Path, name_or_address: str) -> bytes:
    """An address given as 0x… or as the name of an account in the wallet."""
    from stakework.crypto.ed25519 import AddressError, address_of, parse_address
    from stakework.crypto.keystore import KeystoreError, load_keystore

    if name_or_address.startswith("0x"):
        try:
            return parse_address(name_or_address)
        except AddressError as exc:
            fail(str(exc))
    path = _key_path(wallet, name_or_address)
    if not path.exists():
        fail(f"no account {name_or_address!r} in {wallet} (and not a 0x address)")
    try:
        return address_of(load_keystore(path).pubkey)
    except KeystoreError as exc:
        fail(str(exc))


def _unlock(wallet: Path, name: str, password_file: Path | None) -> Any:
    from stakework.crypto.ed25519 import decrypt_account_key
    from stakework.crypto.keystore import KeystoreError, load_keystore

    path = _key_path(wallet, name)
    if not path.exists():
        fail(f"no account {name!r} in {wallet}; see `stakework wallet list`")
    password = read_password(password_file, confirm=False, new=False)
    try:
        return decrypt_account_key(load_keystore(path), password)
    except KeystoreError as exc:
        fail(str(exc))


@app.command("new")
def new(
    name: str = typer.Argument(..., help="A name for the account (its file is <name>.json)."),
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
) -> None:
    """Create an account key (random), encrypted with a password; prints its address."""
    from stakework.crypto.ed25519 import AccountKey, to_hex

    password = read_password(password_file, confirm=True, new=True)
    key = AccountKey.generate()
    path = _save(_wallet_dir(wallet_dir), name, key, password)
    console.print(f"{name}: {to_hex(key.address)}  ({path})", highlight=False, soft_wrap=True)


@app.command("import-devnet")
def import_devnet(
    index: int = typer.Argument(..., min=0, help="Devnet account number (0..7 are funded at genesis)."),
    name: str | None = typer.Option(None, "--name", help="Account name (default devnet-<index>)."),
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
) -> None:
    """Import devnet account INDEX. INSECURE: its key is derived from the public index; for devnets only."""
    from stakework.crypto.ed25519 import devnet_account_key, to_hex

    password = read_password(password_file, confirm=True, new=False)
    key = devnet_account_key(index)
    account = name or f"devnet-{index}"
    _save(_wallet_dir(wallet_dir), account, key, password, insecure=True)
    console.print(
        f"{account}: {to_hex(key.address)}  [yellow](INSECURE devnet key)[/]", highlight=False, soft_wrap=True
    )


@app.command("list")
def list_accounts(wallet_dir: Path | None = WalletDir) -> None:
    """Accounts in the wallet and their addresses (no password needed)."""
    from stakework.crypto.ed25519 import address_of, to_hex
    from stakework.crypto.keystore import KeystoreError, load_keystore

    wallet = _wallet_dir(wallet_dir)
    paths = sorted(wallet.glob("*.json")) if wallet.is_dir() else []
    if not paths:
        console.print(
            f"no accounts in {wallet}; create one with `stakework wallet new NAME`", highlight=False, soft_wrap=True
        )
        return
    for path in paths:
        try:
            console.print(
                f"{path.stem}: {to_hex(address_of(load_keystore(path).pubkey))}", highlight=False, soft_wrap=True
            )
        except KeystoreError as exc:
            console.print(f"{path.stem}: unreadable ({exc})", highlight=False, soft_wrap=True)


@app.command("balance")
def balance(
    account: str | None = typer.Argument(None, help="Account name or 0x address (default: every account)."),
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Balance, next nonce and validators of accounts, from the node's head."""
    wallet = _wallet_dir(wallet_dir)
    names = [account] if account else sorted(p.stem for p in wallet.glob("*.json"))
    if not names:
        fail(f"no accounts in {wallet}")
    client = _client(node, None, data_dir)
    for name in names:
        data = client.account(_address(wallet, name))
        validators = ", ".join(data["validators"]) or "none"
        console.print(
            f"{name}: {swk(data['balance'])}  nonce {data['nonce']}  validators {validators}", highlight=False
        )


@app.command("send")
def send(
    account: str = typer.Argument(..., help="The sending account (name in the wallet)."),
    to: str = typer.Argument(..., help="Recipient: 0x address or account name."),
    amount: str = typer.Argument(..., help="SWK to send."),
    fee: str = typer.Option("0.000001", "--fee", help="Fee in SWK (paid to the block's proposer)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until a block includes it."),
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Send SWK; prints the transaction hash and (with --wait) the block that includes it."""
    from stakework.transition.block.transaction import Transaction, Transfer

    wallet = _wallet_dir(wallet_dir)
    recipient = _address(wallet, to)
    units, fee_units = parse_amount(amount), parse_amount(fee) if Decimal(fee) != 0 else 0
    key = _unlock(wallet, account, password_file)
    client = _client(node, token, data_dir)
    nonce = int(client.account(key.address)["nonce"])
    tx_hash = client.submit(client.sign(Transaction(key.public_key, nonce, fee_units, Transfer(recipient, units)), key))
    console.print(f"sent {swk(units)} to 0x{recipient.hex()}: transaction {tx_hash}", highlight=False, soft_wrap=True)
    if wait:
        _wait(client, tx_hash)


def _devnet_password(data_dir: Path) -> str:
    path = data_dir / "keys.password"
    try:
        return path.read_text().strip()
    except OSError as exc:
        fail(f"{path}: cannot read the devnet's keystore password ({exc.strerror or exc}); is {data_dir} a devnet?")


def save_staked_key(data_dir: Path, sk: Any, password: str, description: str) -> Path:
    """Write validator key `sk` as an EIP-2335 keystore into the devnet's keys/staked/ (encrypted with `password`,
    its keys.password), where its validator client loads it once the validator is in the registry."""
    from stakework.crypto.keystore import encrypt_bls_key, kdf_by_name, save_keystore

    folder = data_dir / "keys" / "staked"
    folder.mkdir(parents=True, exist_ok=True)
    return save_keystore(
        encrypt_bls_key(sk, password, kdf=kdf_by_name("pbkdf2"), description=description),
        folder / f"{sk.public_key().hex()}.json",
    )


def _spec_int(spec: dict[str, str], name: str) -> int:
    return int(spec[name])


def stake_amount_problem(units: int, compounding: bool, spec: dict[str, str]) -> str | None:
    """Why a new validator of `units` base units would not work as the staker expects (None when it would),
    from the node's constants (`/eth/v1/config/spec`).

    Spec (Electra): a validator enters the activation queue only with an effective balance of at least
    MIN_ACTIVATION_BALANCE (is_eligible_for_activation_queue), and a deposit below it to a fresh key stays pending
    for good; the effective balance stops at MIN_ACTIVATION_BALANCE for 0x01 credentials and at
    MAX_EFFECTIVE_BALANCE_ELECTRA for 0x02 (get_max_effective_balance), the rest being swept back later."""
    least = _spec_int(spec, "MIN_ACTIVATION_BALANCE")
    most = _spec_int(spec, "MAX_EFFECTIVE_BALANCE_ELECTRA")
    if units < least:
        return (
            f"{swk(units)} is below the minimum activation balance ({swk(least)}, MIN_ACTIVATION_BALANCE): "
            "such a validator would stay pending for good and its stake could not be exited; stake at least "
            f"{swk(least)}"
        )
    if not compounding and units > least:
        hint = f", or up to {swk(most)} with --compounding (0x02 credentials)" if units <= most else ""
        return (
            f"{swk(units)} is above what a validator with 0x01 credentials counts ({swk(least)}: its effective "
            f"balance stops at MIN_ACTIVATION_BALANCE, and the excess would only come back through the withdrawal "
            f"sweep after the deposit queue took it); stake {swk(least)}{hint}"
        )
    if units > most:
        return (
            f"{swk(units)} is above the maximum effective balance ({swk(most)}, MAX_EFFECTIVE_BALANCE_ELECTRA): "
            f"the excess would earn nothing and only come back through the withdrawal sweep; stake at most {swk(most)}"
        )
    return None


def deposit_queue_note(units: int, total_active: int, spec: dict[str, str]) -> str:
    """What happens to a stake after its transaction is included: it leaves the account at once and reaches the
    validator only as the pending-deposit queue processes it, at most the activation churn per epoch.

    Spec (Electra): process_pending_deposits spends get_activation_exit_churn_limit per epoch, that is
    min(MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT, max(MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA,
    total_active_balance // CHURN_LIMIT_QUOTIENT)) rounded down to EFFECTIVE_BALANCE_INCREMENT."""
    increment = _spec_int(spec, "EFFECTIVE_BALANCE_INCREMENT")
    churn = max(
        _spec_int(spec, "MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA"), total_active // _spec_int(spec, "CHURN_LIMIT_QUOTIENT")
    )
    churn = min(_spec_int(spec, "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT"), churn - churn % increment)
    epochs = max(1, -(-units // churn))
    seconds = epochs * _spec_int(spec, "SLOTS_PER_EPOCH") * float(spec.get("SECONDS_PER_SLOT", "0"))
    when = f" (about {seconds:.0f} s)" if seconds else ""
    return (
        f"the {swk(units)} left the account and wait in the pending-deposit queue, which credits at most "
        f"{swk(churn)} per epoch: at least {epochs} epoch(s){when} before the validator holds them, more if other "
        "deposits are ahead; then activation follows finality. Follow it with `stakework wallet watch`"
    )


@app.command("stake")
def stake(
    account: str = typer.Argument(..., help="The account that pays and receives the withdrawals."),
    amount: str = typer.Argument("32", help="SWK to stake (32 for a full validator)."),
    data_dir: Path = typer.Option(..., "--data-dir", "-d", help="The devnet whose validator client runs it."),
    compounding: bool = typer.Option(False, "--compounding", help="0x02 credentials (balance above 32 compounds)."),
    fee: str = typer.Option("0.000001", "--fee", help="Fee in SWK."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until a block includes the deposit."),
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
) -> None:
    """Make a new validator from the account's funds: a fresh BLS key (EIP-2335 keystore in the devnet's
    keys/staked/, which its validator client loads once the deposit reaches the registry), withdrawal
    credentials naming the account, and a stake transaction with the proof of possession."""
    from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
    from stakework.crypto.bls import SecretKey
    from stakework.spec.constants import DOMAIN_DEPOSIT
    from stakework.transition.block.transaction import Stake, Transaction
    from stakework.transition.genesis import withdrawal_credentials_for

    wallet = _wallet_dir(wallet_dir)
    units, fee_units = parse_amount(amount), parse_amount(fee) if Decimal(fee) != 0 else 0
    devnet_password = _devnet_password(data_dir)
    client = _client(node, token, data_dir)
    spec = client.get("/eth/v1/config/spec")["data"]
    problem = stake_amount_problem(units, compounding, spec)
    if problem:
        fail(problem)
    key = _unlock(wallet, account, password_file)
    fork_version = bytes.fromhex(client.get("/eth/v1/beacon/genesis")["data"]["genesis_fork_version"][2:])
    sk = SecretKey.from_seed(os.urandom(32))
    pubkey = sk.public_key()
    creds = withdrawal_credentials_for(key.address, compounding=compounding)
    domain = compute_domain(DOMAIN_DEPOSIT, fork_version)
    signature = sk.sign(compute_signing_root(deposit_message_root(pubkey, creds, units), domain))
    path = save_staked_key(data_dir, sk, devnet_password, f"staked by {account}")
    nonce = int(client.account(key.address)["nonce"])
    tx = Transaction(key.public_key, nonce, fee_units, Stake(pubkey, creds, units, signature))
    tx_hash = client.submit(client.sign(tx, key))
    console.print(
        f"staking {swk(units)} into validator 0x{pubkey.hex()}: transaction {tx_hash} (keystore {path})",
        highlight=False,
        soft_wrap=True,
    )
    if wait:
        _wait(client, tx_hash)
        active = client.get("/eth/v1/beacon/states/head/validators?status=active")["data"]
        total_active = sum(int(v["validator"]["effective_balance"]) for v in active)
        console.print(deposit_queue_note(units, total_active, spec), highlight=False, soft_wrap=True)


@app.command("exit")
def exit_validator(
    account: str = typer.Argument(..., help="The account that sends the exit (pays the fee)."),
    validator: str = typer.Argument(..., help="Validator index."),
    data_dir: Path = typer.Option(..., "--data-dir", "-d", help="The devnet holding the validator's keystore."),
    fee: str = typer.Option("0.000001", "--fee", help="Fee in SWK."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until a block includes it."),
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
) -> None:
    """Voluntarily exit a validator staked with `stake` (signed by its BLS key from the devnet's keys/staked/);
    after the exit queue and the withdrawability delay the sweep pays its balance to the account."""
    from typing import cast

    from stakework.crypto.keystore import KeystoreError, decrypt_bls_key, load_keystore
    from stakework.state.beacon_state import BeaconState
    from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
    from stakework.transition.block.transaction import Exit, Transaction
    from stakework.transition.block.voluntary_exit import voluntary_exit_signing_root

    if not validator.isdigit():
        fail(f"validator {validator!r}: give its index")
    wallet = _wallet_dir(wallet_dir)
    fee_units = parse_amount(fee) if Decimal(fee) != 0 else 0
    from stakework.api.client import ApiClientError

    client = _client(node, token, data_dir)
    try:
        v = client.get(f"/eth/v1/beacon/states/head/validators/{validator}")["data"]
    except ApiClientError as exc:
        if "(404)" not in str(exc):
            raise
        fail(
            f"no validator {validator} in the registry yet: a new stake waits in the pending-deposit queue until "
            "an epoch's processing adds it (`stakework wallet balance` lists an account's validators)"
        )
    spec = client.get("/eth/v1/config/spec")["data"]
    head_slot = int(client.get("/eth/v1/beacon/headers/head")["data"]["header"]["message"]["slot"])
    epoch = head_slot // int(spec["SLOTS_PER_EPOCH"])
    problem = exit_problem(v, epoch, spec)
    if problem:
        fail(problem)
    pubkey = v["validator"]["pubkey"][2:]
    path = data_dir / "keys" / "staked" / f"{pubkey}.json"
    if not path.exists():
        fail(f"{path}: no keystore for validator {validator} (only validators made by `wallet stake` can exit here)")
    try:
        sk = decrypt_bls_key(load_keystore(path), _devnet_password(data_dir))
    except KeystoreError as exc:
        fail(str(exc))
    key = _unlock(wallet, account, password_file)
    genesis = client.get("/eth/v1/beacon/genesis")["data"]
    chain = cast(BeaconState, _ExitChain(genesis))
    message = VoluntaryExit(epoch, int(validator))
    signed_exit = SignedVoluntaryExit(message, sk.sign(voluntary_exit_signing_root(chain, message)))
    nonce = int(client.account(key.address)["nonce"])
    tx_hash = client.submit(client.sign(Transaction(key.public_key, nonce, fee_units, Exit(signed_exit)), key))
    console.print(f"exit of validator {validator}: transaction {tx_hash}", highlight=False, soft_wrap=True)
    if wait:
        _wait(client, tx_hash)


FAR_FUTURE = str(2**64 - 1)


def exit_problem(v: dict[str, Any], epoch: int, spec: dict[str, str]) -> str | None:
    """Why validator `v` (the beacon-API's validator JSON) cannot exit at `epoch`, and when it can (None when it
    can now).

    Spec: process_voluntary_exit needs an active validator, not exiting yet, that has been active
    SHARD_COMMITTEE_PERIOD epochs (current_epoch >= activation_epoch + SHARD_COMMITTEE_PERIOD)."""
    index, status, record = v["index"], v["status"], v["validator"]
    period = int(spec["SHARD_COMMITTEE_PERIOD"])
    epoch_seconds = int(spec["SLOTS_PER_EPOCH"]) * float(spec.get("SECONDS_PER_SLOT", "0"))

    def wait(epochs: int) -> str:
        return f"{epochs} epoch(s)" + (f", about {epochs * epoch_seconds:.0f} s" if epoch_seconds else "")

    if record["exit_epoch"] != FAR_FUTURE:
        return f"validator {index} is exiting already ({status}, exit epoch {record['exit_epoch']})"
    if record["activation_epoch"] == FAR_FUTURE:
        return (
            f"validator {index} is not active yet ({status}): a validator can exit {period} epochs "
            f"(SHARD_COMMITTEE_PERIOD) after it activates, and its activation epoch is not set yet; follow it with "
            "`stakework wallet watch` and try again then"
        )
    exitable = int(record["activation_epoch"]) + period
    if epoch < exitable:
        state = "activates" if epoch < int(record["activation_epoch"]) else "activated"
        return (
            f"validator {index} {state} at epoch {record['activation_epoch']} and can exit from epoch {exitable} "
            f"(SHARD_COMMITTEE_PERIOD = {period} epochs later); it is epoch {epoch} now: try again in "
            f"{wait(exitable - epoch)}"
        )
    return None


class _ExitChain:
    """What voluntary_exit_signing_root reads from a state: the genesis fork version and validators root."""

    def __init__(self, genesis: dict[str, str]) -> None:
        class _Preset:
            GENESIS_FORK_VERSION = bytes.fromhex(genesis["genesis_fork_version"][2:])

        self.preset = _Preset()
        self.genesis_validators_root = bytes.fromhex(genesis["genesis_validators_root"][2:])


def _wait(client: Any, tx_hash: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.transaction(tx_hash)
        if status["status"] in ("included", "finalized"):
            console.print(
                f"{status['status']} in block {status['block']} at slot {status['slot']}",
                highlight=False,
                soft_wrap=True,
            )
            return
        if status["status"] == "rejected":
            fail(f"rejected: {status.get('reason')}")
        time.sleep(0.25)
    fail(f"not included within {timeout:g} s; check later with the API: /v1/transactions/{tx_hash}")


def _validator_rows(client: Any, indices: list[str]) -> list[tuple[str, str, str, int]]:
    """(index, status, balance, last epoch's change) per validator."""
    rows = []
    for index in indices:
        v = client.get(f"/eth/v1/beacon/states/head/validators/{index}")["data"]
        history = client.get(f"/v1/validators/{index}/rewards")["data"]
        rows.append((index, v["status"], v["balance"], int(history[-1]["change"]) if history else 0))
    return rows


@app.command("rewards")
def rewards(
    account: str = typer.Argument(..., help="Account name or 0x address."),
    epochs: int = typer.Option(10, "--epochs", min=1, help="How many recent epochs to show."),
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Per-epoch reward history of the validators that withdraw to the account."""
    from rich.table import Table

    client = _client(node, None, data_dir)
    data = client.account(_address(_wallet_dir(wallet_dir), account))
    if not data["validators"]:
        console.print(
            f"{account} has no validators (stake with `stakework wallet stake`)", highlight=False, soft_wrap=True
        )
        return
    table = Table("validator", "epoch", "balance", "change")
    for index in data["validators"]:
        for row in client.get(f"/v1/validators/{index}/rewards")["data"][-epochs:]:
            change = int(row["change"])
            table.add_row(index, row["epoch"], swk(row["balance"]), ("+" if change >= 0 else "-") + swk(abs(change)))
    console.print(table)


@app.command("watch")
def watch(
    accounts: list[str] = typer.Argument(None, help="Account names or 0x addresses (default: every account)."),
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between refreshes."),
    count: int | None = typer.Option(None, "--count", min=1, help="Stop after this many refreshes."),
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """Follow balances, validators and their latest rewards live (Ctrl-C stops)."""
    from rich.live import Live
    from rich.table import Table

    wallet = _wallet_dir(wallet_dir)
    names = accounts or sorted(p.stem for p in wallet.glob("*.json"))
    if not names:
        fail(f"no accounts in {wallet}")
    addresses = {name: _address(wallet, name) for name in names}
    client = _client(node, None, data_dir)

    def render() -> Table:
        head = client.get("/eth/v1/beacon/headers/head")["data"]["header"]["message"]["slot"]
        fin = client.get("/eth/v1/beacon/states/head/finality_checkpoints")["data"]["finalized"]["epoch"]
        table = Table(
            "account",
            "balance",
            "validator",
            "status",
            "stake",
            "last epoch",
            title=f"slot {head}, finalized epoch {fin}",
        )
        for name, address in addresses.items():
            data = client.account(address)
            rows = _validator_rows(client, data["validators"]) or [("-", "", "0", 0)]
            for i, (index, status, bal, change) in enumerate(rows):
                table.add_row(
                    name if i == 0 else "",
                    swk(data["balance"]) if i == 0 else "",
                    index,
                    status,
                    swk(bal) if index != "-" else "",
                    (("+" if change >= 0 else "-") + swk(abs(change))) if index != "-" else "",
                )
        return table

    done = 0
    try:
        with Live(render(), console=console, auto_refresh=False) as live:
            done = 1
            while count is None or done < count:
                time.sleep(interval)
                live.update(render(), refresh=True)
                done += 1
    except KeyboardInterrupt:
        pass
