"""`stakework liquid`: liquid staking through a node's API (the liquid module, docs/modules.md).

stSWK is a rebasing token (its balance grows with the module's rewards), wstSWK the same shares wrapped (a fixed
count whose stSWK value grows). Stake SWK for stSWK, send either token, wrap and unwrap, queue withdrawals (FIFO,
transferable requests) and claim them once finalized. The admin adds operators; operators submit validator keys
(`submit-keys --generate-keys N --data-dir DATA` stores fresh keys where the devnet's validator client runs them).
Signing, the node and the token work as for `stakework wallet` (--from, --wallet-dir, --node, --token or
--data-dir, --password-file, --fee, --no-wait). Amounts of SWK, stSWK and wstSWK take the same decimal format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail, wide_console
from stakework.cli.modtx import (
    DataDir,
    Fee,
    From,
    GenerateKeys,
    KeyFiles,
    KeyPasswordFile,
    Signer,
    Wait,
    address_of,
    apr_text,
    check_key_options,
    get,
    module_keys,
    parse_commission,
    parse_id,
    parse_shares,
    percent,
    price,
    send,
    shares,
    tokens,
)
from stakework.cli.wallet import NodeUrl, PasswordFile, Token, WalletDir, parse_amount, swk

app = typer.Typer(
    help="Liquid staking (stSWK, wstSWK): stake, transfer, wrap, unwrap, withdraw, claim; balance, show, queue; "
    "admin and operators: add-operator, submit-keys.",
    no_args_is_help=True,
)


def st(units: int | str) -> str:
    return tokens(units, "stSWK")


def wst(units: int | str) -> str:
    return tokens(units, "wstSWK")


def _account(client: Any, address: bytes) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/liquid/accounts/0x{address.hex()}")
    return data


def _request(client: Any, request_id: int) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/liquid/requests/{request_id}")
    return data


def _need(held: int, wanted: int, who: str, fmt: Any) -> None:
    if held < wanted:
        fail(f"{who} holds {fmt(held)}, less than {fmt(wanted)}")


def _print_request_id(client: Any, me: bytes, first: int, prefix: str) -> None:
    ids = [int(r["id"]) for r in _account(client, me).get("requests", []) if int(r["id"]) >= first]
    if ids:
        console.print(
            f"{prefix} request {max(ids)}: claim it once finalized with `stakework liquid claim {max(ids)}`",
            highlight=False,
            soft_wrap=True,
        )


# -- holders ------------------------------------------------------------------------------------------------------


@app.command("stake")
def stake(
    amount: str = typer.Argument(..., help="SWK to stake."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Stake SWK for stSWK at the current rate."""
    from stakework.modules.liquid.messages import Stake

    units = parse_amount(amount)
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    client = signer.reader()
    module = get(client, "/v1/liquid")
    limit = module["stake_limit"]
    if limit is not None and int(limit) < units:
        fail(f"the stake limit allows {swk(limit)} now, less than {swk(units)}; try later or stake less")
    balance = int(client.account(signer.address())["balance"])
    _need(balance, units, signer.name(), swk)
    send(signer, Stake(amount=units), f"staking {swk(units)} for stSWK")


@app.command("transfer")
def transfer(
    to: str = typer.Argument(..., help="Recipient: 0x address or account name."),
    amount: str = typer.Argument(..., help="stSWK to send (wstSWK with --wrapped)."),
    wrapped: bool = typer.Option(False, "--wrapped", help="Send wstSWK instead of stSWK."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Send stSWK (moves the shares worth the amount, rounded down) or, with --wrapped, wstSWK."""
    from stakework.modules.liquid.messages import Transfer, TransferWrapped

    units = parse_shares(amount, "wstSWK" if wrapped else "stSWK")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    recipient = address_of(signer, to)
    data = _account(signer.reader(), signer.address())
    if wrapped:
        _need(int(data["wrapped"]), units, signer.name(), wst)
        payload: Any = TransferWrapped(to=recipient, amount=units)
    else:
        _need(int(data["balance"]), units, signer.name(), st)
        payload = Transfer(to=recipient, amount=units)
    send(signer, payload, f"sending {(wst if wrapped else st)(units)} to 0x{recipient.hex()}")


@app.command("wrap")
def wrap(
    amount: str = typer.Argument(..., help="stSWK to wrap."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Turn stSWK into wstSWK (a fixed count of shares)."""
    from stakework.modules.liquid.messages import Wrap

    units = parse_shares(amount, "stSWK")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    _need(int(_account(signer.reader(), signer.address())["balance"]), units, signer.name(), st)
    send(signer, Wrap(amount=units), f"wrapping {st(units)}")


@app.command("unwrap")
def unwrap(
    amount: str = typer.Argument(..., help="wstSWK to unwrap."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Turn wstSWK back into stSWK."""
    from stakework.modules.liquid.messages import Unwrap

    units = parse_shares(amount, "wstSWK")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    _need(int(_account(signer.reader(), signer.address())["wrapped"]), units, signer.name(), wst)
    send(signer, Unwrap(amount=units), f"unwrapping {wst(units)}")


@app.command("withdraw")
def withdraw(
    amount: str = typer.Argument(..., help="stSWK to withdraw (wstSWK with --wrapped)."),
    wrapped: bool = typer.Option(False, "--wrapped", help="Withdraw wstSWK instead of stSWK."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Queue a withdrawal request (FIFO; the request is transferable). Its payout is fixed now (less if the
    module loses before it is finalized). Prints the request id to `claim` later."""
    from stakework.modules.liquid.messages import RequestWithdrawal, RequestWithdrawalWrapped

    units = parse_shares(amount, "wstSWK" if wrapped else "stSWK")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    client = signer.reader()
    me = signer.address()
    data = _account(client, me)
    if wrapped:
        _need(int(data["wrapped"]), units, signer.name(), wst)
        payload: Any = RequestWithdrawalWrapped(amount=units)
    else:
        _need(int(data["balance"]), units, signer.name(), st)
        payload = RequestWithdrawal(amount=units)
    module = get(client, "/v1/liquid")
    value = units * int(module["price"]) // 10**9 if wrapped else units
    if not int(module["min_request"]) <= value <= int(module["max_request"]):
        fail(
            f"a withdrawal request is worth {swk(module['min_request'])} to {swk(module['max_request'])}, this one "
            f"{swk(value)}" + ("; split it" if value > int(module["max_request"]) else "")
        )
    first = int(module["queue"]["next_request_id"])
    status = send(signer, payload, f"withdrawing {(wst if wrapped else st)(units)}")
    if status is not None:
        _print_request_id(client, me, first, "withdrawal")


@app.command("claim")
def claim(
    request: str = typer.Argument(..., help="The withdrawal request's id."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Collect a finalized withdrawal request (its payout goes to the account)."""
    from stakework.modules.liquid.messages import Claim

    request_id = parse_id(request, "request")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    r = _request(signer.reader(), request_id)
    me = "0x" + signer.address().hex()
    if r["owner"] != me:
        fail(f"request {request_id} belongs to {r['owner']}, not to {signer.name()}")
    if not r.get("finalized"):
        fail(f"request {request_id} is not finalized yet; see `stakework liquid queue` and try again later")
    send(signer, Claim(request_id=request_id), f"claiming request {request_id} ({swk(r.get('paid', 0))})")


@app.command("transfer-request")
def transfer_request(
    request: str = typer.Argument(..., help="The withdrawal request's id."),
    to: str = typer.Argument(..., help="The new owner: 0x address or account name."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Give a withdrawal request (and the right to claim it) to another account."""
    from stakework.modules.liquid.messages import TransferRequest

    request_id = parse_id(request, "request")
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    recipient = address_of(signer, to)
    r = _request(signer.reader(), request_id)
    if r["owner"] != "0x" + signer.address().hex():
        fail(f"request {request_id} belongs to {r['owner']}, not to {signer.name()}")
    send(
        signer,
        TransferRequest(request_id=request_id, to=recipient),
        f"giving request {request_id} to 0x{recipient.hex()}",
    )


# -- admin and operators ------------------------------------------------------------------------------------------


@app.command("add-operator")
def add_operator(
    address: str = typer.Argument(..., help="The operator: 0x address or account name."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Admin only: add a node operator (it may then submit keys, and earns part of the fee)."""
    from stakework.modules.liquid.messages import AddOperator

    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    operator = address_of(signer, address)
    module = get(signer.reader(), "/v1/liquid")
    admin = module["admin"]
    if admin != "0x" + signer.address().hex():
        fail(f"only the liquid module's admin ({admin}) adds operators, not {signer.name()}")
    operators = [o["address"] for o in module["operators"]]
    if "0x" + operator.hex() in operators:
        fail(f"0x{operator.hex()} is an operator already")
    send(signer, AddOperator(address=operator), f"adding operator 0x{operator.hex()}")


def _amount_or_zero(text: str) -> int:
    return 0 if text.strip() in ("0", "0.0") else parse_amount(text)


@app.command("set-params")
def set_params(
    fee_pct: str | None = typer.Option(None, "--fee-rate", help="Protocol fee on rewards, e.g. 10%."),
    treasury_share: str | None = typer.Option(None, "--treasury-share", help="The treasury's part of the fee."),
    max_rebase: int | None = typer.Option(
        None, "--max-rebase", min=1, max=10**9, help="Largest positive rebase per epoch, in 1e-9 of pooled SWK."
    ),
    stake_limit: str | None = typer.Option(None, "--stake-limit", help="Largest stake window in SWK (0: none)."),
    refill: str | None = typer.Option(None, "--stake-limit-per-epoch", help="SWK the stake limit refills per epoch."),
    pause: bool | None = typer.Option(None, "--pause/--resume", help="Refuse new stakes / take them again."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Admin only: the protocol fee and its split, the positive-rebase bound, the stake limit, pausing stakes."""
    from stakework.modules.liquid.messages import SetParameters

    msg = SetParameters(
        fee_bps=None if fee_pct is None else parse_commission(fee_pct),
        treasury_share_bps=None if treasury_share is None else parse_commission(treasury_share),
        max_positive_rebase=max_rebase,
        max_stake_limit=None if stake_limit is None else _amount_or_zero(stake_limit),
        stake_limit_increase_per_epoch=None if refill is None else _amount_or_zero(refill),
        staking_paused=pause,
    )
    if msg == SetParameters():
        fail(
            "nothing to set: give at least one of --fee-rate, --treasury-share, --max-rebase, --stake-limit, "
            "--stake-limit-per-epoch, --pause/--resume"
        )
    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir).resolved()
    admin = get(signer.reader(), "/v1/liquid")["admin"]
    if admin != "0x" + signer.address().hex():
        fail(f"only the liquid module's admin ({admin}) sets its parameters, not {signer.name()}")
    send(signer, msg, "setting the liquid module's parameters")


@app.command("submit-keys")
def submit_keys(
    generate_keys: int = GenerateKeys,
    key_file: list[Path] = KeyFiles,
    key_password_file: Path | None = KeyPasswordFile,
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Operator only: validator keys the module may stake (32 SWK each, operators with fewest active first)."""
    from stakework.modules.liquid.messages import SubmitKeys

    signer = Signer(account, fee, wait, wallet_dir, password_file, node, token, data_dir)
    check_key_options(signer, generate_keys, key_file)
    signer.resolved()
    module = get(signer.reader(), "/v1/liquid")
    if "0x" + signer.address().hex() not in [o["address"] for o in module["operators"]]:
        fail(f"{signer.name()} is not an operator of the liquid module; the admin adds it with add-operator")
    keys = module_keys(signer, "liquid", generate_keys, key_file, key_password_file)
    send(signer, SubmitKeys(keys=keys), f"submitting {len(keys)} key(s)")


# -- reads --------------------------------------------------------------------------------------------------------


@app.command("balance")
def balance(
    account_or_address: str | None = typer.Argument(
        None, metavar="ACCOUNT", help="Name or 0x address (default: the --from account)."
    ),
    account: str | None = From,
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """stSWK, wstSWK (and its stSWK value) of an account, and its withdrawal requests."""
    from rich.table import Table

    signer = Signer(account, wallet_dir=wallet_dir, node=node, data_dir=data_dir)
    address = address_of(signer, account_or_address)
    data = _account(signer.reader(), address)
    rate = int(get(signer.reader(), "/v1/liquid")["price"])
    line = (
        f"0x{address.hex()}: {st(data['balance'])} ({shares(data['shares'])}), {wst(data['wrapped'])} "
        f"worth {st(int(data['wrapped']) * rate // 10**9)}"
    )
    console.print(line, highlight=False, soft_wrap=True)
    requests = data.get("requests", [])
    if requests:
        table = Table("request", "amount", "status", title="withdrawal requests")
        for r in requests:
            done = r.get("finalized")
            table.add_row(
                str(r["id"]),
                swk(r.get("paid") if done else r.get("amount", 0)),
                "finalized: claim it" if done else "queued",
            )
        wide_console().print(table)


@app.command("show")
def show(
    epochs: int = typer.Option(32, "--epochs", min=1, help="Epochs for the APR and the history table."),
    rows: int = typer.Option(8, "--rows", min=0, help="History rows to show."),
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """The liquid module: pooled SWK, stSWK per share, wstSWK rate, APR, fee, stake limit, buffer, validators."""
    from rich.table import Table

    from stakework.cli.wallet import _client

    client = _client(node, None, data_dir)
    m = get(client, f"/v1/liquid?epochs={epochs}")
    limit = m["stake_limit"]
    lines = [
        f"pooled {swk(m['total_assets'])}  shares {shares(m['total_shares'])}  "
        f"stSWK per wstSWK {price(m['price'])}  wstSWK supply {wst(m['wrapped_supply'])}",
        f"{apr_text(m, epochs)}  fee {percent(m['fee_bps'])}  stake limit {'none' if limit is None else swk(limit)}",
        f"buffer {swk(m['buffer'])}  validators {m['validators']} (exiting {m['exiting']})  "
        f"operators {len(m['operators'])}  unrecognised reward {swk(m['unrecognised'])}",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
    if rows:
        history = get(client, f"/v1/liquid/history?epochs={epochs}")
        if history:
            table = Table("epoch", "pooled", "shares", "stSWK per wstSWK", title="history")
            for s in history[-rows:]:
                total = int(s["total_shares"])
                table.add_row(str(s["epoch"]), swk(s["total_assets"]), shares(total), price(s["price"]))
            wide_console().print(table)


@app.command("queue")
def queue(node: str | None = NodeUrl, data_dir: Path | None = DataDir) -> None:
    """The withdrawal queue: requests waiting, what they need, what awaits claims."""
    from stakework.cli.modules.pool import _print_queue
    from stakework.cli.wallet import _client

    _print_queue(get(_client(node, None, data_dir), "/v1/liquid/queue"), "liquid")
