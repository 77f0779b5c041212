"""`stakework pool`: operator pools through a node's API (the pool module, docs/modules.md).

Operators register a pool with a commission and validator keys (`--generate-keys N --data-dir DATA` makes fresh
keys and stores them where the devnet's validator client runs them), delegators deposit SWK for shares, transfer
shares, queue withdrawals (FIFO) and claim them once finalized. Reads: list, show (price, APR, history), position,
queue. Signing, the node and the token work as for `stakework wallet` (--from, --wallet-dir, --node, --token or
--data-dir, --password-file, --fee, --no-wait). Shares are counted like SWK (10**9 base units to one share).
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
)
from stakework.cli.wallet import NodeUrl, PasswordFile, Token, WalletDir, parse_amount, swk

app = typer.Typer(
    help="Operator pools: register, add keys, deposit, transfer, withdraw, claim; list, show, position, queue.",
    no_args_is_help=True,
)

PoolId = typer.Option(..., "--pool", "-p", min=1, help="The pool's id (see `stakework pool list`).")
PoolIdForReads = typer.Option(None, "--pool", "-p", min=1, help="The pool's id (see `stakework pool list`).")
LegacyPoolId = typer.Argument(None, min=1, hidden=True, metavar="POOL", help="The pool's id (older form of --pool).")


def _one_pool_id(option: int | None, positional: int | None) -> int:
    """Every pool command names its pool with --pool; `show` and `queue` also take it as their older positional
    form (`pool show 1`), so both spellings work."""
    if option is not None and positional is not None and option != positional:
        fail(f"two different pools: --pool {option} and {positional}; give one")
    pool_id = option if option is not None else positional
    if pool_id is None:
        fail("which pool? give --pool N (see `stakework pool list`)")
    return pool_id


Epochs = typer.Option(32, "--epochs", min=1, help="Epochs of history for the APR and the price table.")


def _pool(client: Any, pool_id: int, epochs: int | None = None) -> dict[str, Any]:
    """The pool's view (the node's one-line error for a pool that does not exist)."""
    data: dict[str, Any] = get(client, f"/v1/pools/{pool_id}" + (f"?epochs={epochs}" if epochs else ""))
    return data


def _position(client: Any, pool_id: int, address: bytes) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/pools/{pool_id}/positions/0x{address.hex()}")
    return data


# -- operators ----------------------------------------------------------------------------------------------------


@app.command("register")
def register(
    commission: str = typer.Option(..., "--commission", "-c", help="The operator's cut of rewards, e.g. 10%."),
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
    """Register a new pool operated by the signing account, with validator keys for it to stake (each 32 SWK of
    deposits stakes the next key). Prints the new pool's id."""
    from stakework.modules.pool.messages import RegisterPool

    bps = parse_commission(commission)
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    check_key_options(signer, generate_keys, key_file, required=False)
    signer.resolved()
    before = {p["id"] for p in get(signer.reader(), "/v1/pools")}
    keys = module_keys(signer, "pool", generate_keys, key_file, key_password_file, required=False)
    status = send(signer, RegisterPool(commission_bps=bps, keys=keys), f"registering a pool ({percent(bps)})")
    if status is None:
        return
    me = "0x" + signer.address().hex()
    mine = [p for p in get(signer.reader(), "/v1/pools") if p["id"] not in before and p["operator"] == me]
    if mine:
        pool_id = max(int(p["id"]) for p in mine)
        console.print(f"pool {pool_id} registered with {len(keys)} key(s)", highlight=False)


@app.command("add-keys")
def add_keys(
    pool: int = PoolId,
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
    """Operator only: more validator keys for the pool to stake."""
    from stakework.modules.pool.messages import AddKeys

    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    check_key_options(signer, generate_keys, key_file)
    signer.resolved()
    view = _pool(signer.reader(), pool)
    if view["operator"] != "0x" + signer.address().hex():
        fail(f"only pool {pool}'s operator ({view['operator']}) adds keys, not {signer.name()}")
    keys = module_keys(signer, "pool", generate_keys, key_file, key_password_file)
    send(signer, AddKeys(pool_id=pool, keys=keys), f"adding {len(keys)} key(s) to pool {pool}")


@app.command("set-commission")
def set_commission(
    commission: str = typer.Argument(..., help="The new commission, e.g. 7.5%."),
    pool: int = PoolId,
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Operator only: change the pool's commission (applies from the next epoch's rewards)."""
    from stakework.modules.pool.messages import SetCommission

    bps = parse_commission(commission)
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    ).resolved()
    view = _pool(signer.reader(), pool)
    if view["operator"] != "0x" + signer.address().hex():
        fail(f"only pool {pool}'s operator ({view['operator']}) sets its commission, not {signer.name()}")
    send(signer, SetCommission(pool_id=pool, commission_bps=bps), f"pool {pool} commission -> {percent(bps)}")


# -- delegators ---------------------------------------------------------------------------------------------------


@app.command("deposit")
def deposit(
    amount: str = typer.Argument(..., help="SWK to deposit."),
    pool: int = PoolId,
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Deposit SWK into a pool for shares at its current price."""
    from stakework.modules.pool.messages import Deposit

    units = parse_amount(amount)
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    me = signer.resolved().address()
    client = signer.reader()
    _pool(client, pool)
    minimum = int(get(client, "/eth/v1/config/spec")["MIN_DEPOSIT_AMOUNT"])
    if units < minimum:
        fail(f"the pool's minimum deposit is {swk(minimum)}, got {swk(units)}")
    balance = int(client.account(me)["balance"])
    if balance < units:
        fail(f"{signer.name()} holds {swk(balance)}, less than the {swk(units)} to deposit")
    send(signer, Deposit(pool_id=pool, amount=units), f"depositing {swk(units)} into pool {pool}")


@app.command("transfer")
def transfer(
    to: str = typer.Argument(..., help="Recipient: 0x address or account name."),
    amount: str = typer.Argument(..., help="Shares to send."),
    pool: int = PoolId,
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Send pool shares to another account."""
    from stakework.modules.pool.messages import TransferShares

    units = parse_shares(amount)
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    recipient = address_of(signer, to)
    me = signer.resolved().address()
    client = signer.reader()
    _pool(client, pool)
    held = int(_position(client, pool, me)["shares"])
    if held < units:
        fail(f"{signer.name()} holds {shares(held)} of pool {pool}, fewer than {shares(units)}")
    send(
        signer,
        TransferShares(pool_id=pool, to=recipient, shares=units),
        f"sending {shares(units)} of pool {pool} to 0x{recipient.hex()}",
    )


@app.command("withdraw")
def withdraw(
    pool: int = PoolId,
    amount: str | None = typer.Option(None, "--shares", "-s", help="Shares to withdraw."),
    everything: bool = typer.Option(False, "--all", help="Withdraw every share the account holds."),
    account: str | None = From,
    fee: str = Fee,
    wait: bool = Wait,
    wallet_dir: Path | None = WalletDir,
    password_file: Path | None = PasswordFile,
    node: str | None = NodeUrl,
    token: str | None = Token,
    data_dir: Path | None = DataDir,
) -> None:
    """Queue a withdrawal (FIFO): its payout is fixed now at the shares' value (less if the pool loses before it
    is finalized). Prints the request id to `claim` once the queue reaches it (`stakework pool queue`)."""
    from stakework.modules.pool.messages import RequestWithdrawal

    if everything == (amount is not None):
        fail("give either --shares S or --all")
    wanted = None if amount is None else parse_shares(amount)
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    me = signer.resolved().address()
    client = signer.reader()
    _pool(client, pool)
    position = _position(client, pool, me)
    held = int(position["shares"])
    units = held if wanted is None else wanted
    if held == 0:
        fail(f"{signer.name()} holds no shares of pool {pool}")
    if held < units:
        fail(f"{signer.name()} holds {shares(held)} of pool {pool}, fewer than {shares(units)}")
    first = int(get(client, f"/v1/pools/{pool}/queue")["next_request_id"])
    status = send(
        signer,
        RequestWithdrawal(pool_id=pool, shares=units),
        f"withdrawing {shares(units)} (about {swk(int(units) * int(position['assets']) // max(held, 1))}) "
        f"from pool {pool}",
    )
    if status is None:
        return
    ids = [int(r["id"]) for r in _position(client, pool, me).get("requests", []) if int(r["id"]) >= first]
    if ids:
        console.print(
            f"withdrawal request {max(ids)}: claim it once finalized with "
            f"`stakework pool claim --pool {pool} {max(ids)}`",
            highlight=False,
            soft_wrap=True,
        )


@app.command("claim")
def claim(
    request: str = typer.Argument(..., help="The withdrawal request's id."),
    pool: int = PoolId,
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
    from stakework.modules.pool.messages import Claim

    request_id = parse_id(request, "request")
    signer = Signer(
        account=account,
        fee=fee,
        wait=wait,
        wallet_dir=wallet_dir,
        password_file=password_file,
        node=node,
        token=token,
        data_dir=data_dir,
    )
    me = signer.resolved().address()
    client = signer.reader()
    _pool(client, pool)
    queue = get(client, f"/v1/pools/{pool}/queue")
    mine = {int(r["id"]): r for r in _position(client, pool, me)["requests"]}
    if request_id not in mine:
        if 1 <= request_id < int(queue["next_request_id"]):
            fail(f"request {request_id} of pool {pool} is not an open request of {signer.name()} (claimed already?)")
        fail(f"pool {pool} has no withdrawal request {request_id}")
    if not mine[request_id]["finalized"]:
        fail(
            f"request {request_id} of pool {pool} is not finalized yet (the queue has finalized up to request "
            f"{int(queue['next_to_finalize']) - 1}); see `stakework pool queue --pool {pool}` and try again later"
        )
    send(
        signer,
        Claim(pool_id=pool, request_id=request_id),
        f"claiming request {request_id} of pool {pool} ({swk(mine[request_id]['paid'])})",
    )


# -- reads --------------------------------------------------------------------------------------------------------


@app.command("list")
def list_pools(node: str | None = NodeUrl, data_dir: Path | None = DataDir) -> None:
    """Every pool: operator, commission, value, share price, validators."""
    from rich.table import Table

    from stakework.cli.wallet import _client

    pools = get(_client(node, None, data_dir), "/v1/pools")
    if not pools:
        console.print("no pools yet; an operator registers one with `stakework pool register`")
        return
    table = Table("pool", "operator", "commission", "value", "price (SWK/share)", "APR", "validators", "buffer")
    for p in pools:
        table.add_row(
            str(p["id"]),
            p["operator"],
            percent(p["commission_bps"]),
            swk(p["total_assets"]),
            price(p["price"]),
            percent(p["apr_bps"]),
            str(p["validators"]),
            swk(p["buffer"]),
        )
    wide_console().print(table)


@app.command("show")
def show(
    legacy_pool: int | None = LegacyPoolId,
    pool_option: int | None = PoolIdForReads,
    epochs: int = Epochs,
    rows: int = typer.Option(8, "--rows", min=0, help="Price history rows to show."),
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """A pool: operator, commission, value, share price, APR over recent epochs, buffer, validators, and a price
    history table."""
    from rich.table import Table

    from stakework.cli.wallet import _client

    pool = _one_pool_id(pool_option, legacy_pool)
    client = _client(node, None, data_dir)
    view = _pool(client, pool, epochs)
    lines = [
        f"pool {view['id']}  operator {view['operator']}  commission {percent(view['commission_bps'])}",
        f"value {swk(view['total_assets'])}  shares {shares(view['total_shares'])}",
        f"price {price(view['price'])} SWK/share  {apr_text(view, epochs)}",
        f"buffer {swk(view['buffer'])}  validators {view['validators']} (exiting {view['exiting']})  "
        f"spare keys {view['spare_keys']}  awaiting claims {swk(view['reserved'])}",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
    if rows:
        history = get(client, f"/v1/pools/{pool}/history?epochs={epochs}")
        if history:
            table = Table("epoch", "value", "shares", "price (SWK/share)", title="price history")
            for sample in history[-rows:]:
                table.add_row(
                    str(sample["epoch"]),
                    swk(sample["total_assets"]),
                    shares(sample["total_shares"]),
                    price(sample["price"]),
                )
            wide_console().print(table)


@app.command("position")
def position(
    account_or_address: str | None = typer.Argument(
        None, metavar="ACCOUNT", help="Name or 0x address (default: the --from account)."
    ),
    pool: int = PoolId,
    account: str | None = From,
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """An account's shares in a pool, what they are worth, and its withdrawal requests."""
    from rich.table import Table

    signer = Signer(account=account, wallet_dir=wallet_dir, node=node, data_dir=data_dir)
    address = address_of(signer, account_or_address)
    client = signer.reader()
    _pool(client, pool)
    data = _position(client, pool, address)
    console.print(
        f"0x{address.hex()} in pool {pool}: {shares(data['shares'])} worth {swk(data['assets'])}",
        highlight=False,
        soft_wrap=True,
    )
    requests = data.get("requests", [])
    if requests:
        table = Table("request", "shares", "amount", "status", title="withdrawal requests")
        for r in requests:
            status = "finalized: claim it" if r.get("finalized") else "queued"
            amount = r.get("paid") if r.get("finalized") else r.get("amount")
            table.add_row(str(r["id"]), shares(r["shares"]), swk(amount or 0), status)
        wide_console().print(table)


@app.command("queue")
def queue(
    legacy_pool: int | None = LegacyPoolId,
    pool_option: int | None = PoolIdForReads,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """The pool's withdrawal queue: requests waiting, what they need, what awaits claims."""
    from stakework.cli.wallet import _client

    pool = _one_pool_id(pool_option, legacy_pool)
    client = _client(node, None, data_dir)
    _pool(client, pool)
    q = get(client, f"/v1/pools/{pool}/queue")
    _print_queue(q, f"pool {pool}")


def _print_queue(q: dict[str, Any], what: str) -> None:
    last = int(q["next_request_id"]) - 1
    finalized = int(q["next_to_finalize"]) - 1
    console.print(
        f"{what} withdrawal queue: {q['unfinalized']} request(s) waiting ({swk(q['queued_assets'])}); "
        f"finalized up to request {finalized} of {last}; {swk(q['reserved_for_claims'])} awaiting claims; "
        f"buffer {swk(q['buffer'])}",
        highlight=False,
        soft_wrap=True,
    )
    for r in q.get("requests", []):
        console.print(
            f"  request {r['id']}: owner {r['owner']}, {swk(r.get('amount', 0))}"
            + (" (finalized)" if r.get("finalized") else ""),
            highlight=False,
            soft_wrap=True,
        )
