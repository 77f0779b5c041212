"""`stakework amm`: the SWK/stSWK StableSwap pool through a node's API (docs/modules.md, "AMM").

Swap (sell exactly, or with --exact-out buy exactly), add liquidity (both coins or one), remove it (both coins pro
rata, or one coin), quote a swap, show the pool and an LP position. Every signing command quotes on the node first
and sends the message with its slippage bound: by default the quote less (or, for an exact-out swap's input, plus)
--slippage (0.5 %); --min-out / --max-in / --min-mint / --min-amount set it exactly. Signer options as every module
command (`cli.modtx.with_signer`). SWK amounts take the SWK decimal format; stSWK and LP shares count 10**9 to one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail
from stakework.cli.modtx import DataDir, From, Signer, address_of, get, parse_shares, send, tokens, with_signer
from stakework.cli.wallet import NodeUrl, WalletDir, parse_amount, swk

app = typer.Typer(
    help="AMM (Curve StableSwap, SWK/stSWK): swap, add, remove, remove-one, quote; show the pool and a position.",
    no_args_is_help=True,
)

PRICE = 10**18
SellOption = typer.Option("swk", "--sell", help="The coin you sell: swk or stswk.")
ExactOut = typer.Option(False, "--exact-out", help="AMOUNT is what you buy (of the other coin), not what you sell.")
Slippage = typer.Option("0.5%", "--slippage", help="Worst result accepted, relative to the quote (0%..50%).")


def _coin(name: str, what: str = "--sell") -> str:
    if name not in ("swk", "stswk"):
        fail(f"{what} {name!r}: choose swk or stswk")
    return name


def _other(coin: str) -> str:
    return "stswk" if coin == "swk" else "swk"


def _units(coin: str, text: str) -> int:
    return parse_amount(text) if coin == "swk" else parse_shares(text, "stSWK shares")


def _show(coin: str, units: int | str) -> str:
    return swk(units) if coin == "swk" else tokens(units, "stSWK shares")


def _slippage_bps(text: str) -> int:
    """`0.5%` or `50bps` -> basis points (0..5,000)."""
    raw = text.strip().lower()
    try:
        bps = Decimal(raw[:-3]) if raw.endswith("bps") else Decimal(raw.removesuffix("%")) * 100
    except InvalidOperation:
        fail(f"--slippage {text!r}: a percentage such as 0.5% (or basis points: 50bps)")
    if not bps.is_finite() or bps != bps.to_integral_value() or not 0 <= bps <= 5_000:
        fail(f"--slippage {text!r}: between 0% and 50%, in steps of 0.01%")
    return int(bps)


def _less(units: int, bps: int) -> int:
    return units * (10_000 - bps) // 10_000


def _more(units: int, bps: int) -> int:
    return -(-units * (10_000 + bps) // 10_000)


def _price(value: int | str | None) -> str:
    return "n/a" if value is None else f"{Decimal(int(value)) / PRICE:.9f}"


def _quote(client: Any, coin: str, units: int, exact_out: bool) -> dict[str, Any]:
    key = "dy" if exact_out else "dx"
    data: dict[str, Any] = get(client, f"/v1/amm/quote?sell={coin}&{key}={units}")
    return data


def _lp(client: Any, address: bytes) -> int:
    return int(get(client, f"/v1/amm/accounts/0x{address.hex()}")["shares"])


@app.command("quote")
def quote(
    amount: str = typer.Argument(..., help="What you sell (SWK, or stSWK shares with --sell stswk)."),
    sell: str = SellOption,
    exact_out: bool = ExactOut,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """What a swap gives (or, with --exact-out, costs) now, its price and fee."""
    from stakework.cli.wallet import _client

    coin = _coin(sell)
    units = _units(_other(coin) if exact_out else coin, amount)
    q = _quote(_client(node, None, data_dir), coin, units, exact_out)
    console.print(
        f"sell {_show(coin, q['dx'])} -> buy {_show(_other(coin), q['dy'])}  price {_price(q['price'])} SWK per "
        f"stSWK share  fee {_show(_other(coin), q['fee'])}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("swap")
@with_signer
def swap(
    amount: str = typer.Argument(..., help="What you sell (with --exact-out: what you buy)."),
    sell: str = SellOption,
    exact_out: bool = ExactOut,
    slippage: str = Slippage,
    min_out: str | None = typer.Option(None, "--min-out", help="Least you accept to receive (exact-in)."),
    max_in: str | None = typer.Option(None, "--max-in", help="Most you pay (with --exact-out)."),
    *,
    signer: Signer,
) -> None:
    """Sell AMOUNT of --sell for the other coin (`amm.exchange`), or buy exactly AMOUNT (`amm.exchange_exact_out`)."""
    from stakework.modules.amm.messages import Exchange, ExchangeExactOut

    coin, bps = _coin(sell), _slippage_bps(slippage)
    other = _other(coin)
    units = _units(other if exact_out else coin, amount)
    if (exact_out and min_out is not None) or (not exact_out and max_in is not None):
        fail("--min-out bounds an exact-in swap, --max-in an exact-out one (--exact-out)")
    signer = signer.resolved()
    client = signer.reader()
    q = _quote(client, coin, units, exact_out)
    pay = int(q["dx"])
    held = (
        int(client.account(signer.address())["balance"])
        if coin == "swk"
        else int(get(client, f"/v1/liquid/accounts/0x{signer.address().hex()}")["shares"])
    )
    if exact_out:
        bound = _more(pay, bps) if max_in is None else _units(coin, max_in)
        if held < pay:
            fail(f"{signer.name()} holds {_show(coin, held)}, less than the {_show(coin, pay)} it costs")
        msg: Any = ExchangeExactOut(sell=coin, dy=units, max_dx=bound)  # type: ignore[arg-type]
        what = f"buying {_show(other, units)} for at most {_show(coin, bound)} (quoted {_show(coin, pay)})"
    else:
        if held < units:
            fail(f"{signer.name()} holds {_show(coin, held)}, less than {_show(coin, units)}")
        bound = _less(int(q["dy"]), bps) if min_out is None else _units(other, min_out)
        msg = Exchange(sell=coin, dx=units, min_dy=bound)  # type: ignore[arg-type]
        what = f"selling {_show(coin, units)} for at least {_show(other, bound)} (quoted {_show(other, q['dy'])})"
    send(signer, msg, what)


@app.command("add")
@with_signer
def add(
    swk_amount: str | None = typer.Option(None, "--swk", help="SWK to deposit."),
    stswk_amount: str | None = typer.Option(None, "--stswk", help="stSWK shares to deposit."),
    slippage: str = Slippage,
    min_mint: str | None = typer.Option(None, "--min-mint", help="Least LP shares you accept."),
    *,
    signer: Signer,
) -> None:
    """Deposit SWK and/or stSWK shares for LP shares (`amm.add_liquidity`; a one-sided deposit pays the imbalance
    fee)."""
    from stakework.modules.amm.messages import AddLiquidity

    bps = _slippage_bps(slippage)
    a = 0 if swk_amount is None else parse_amount(swk_amount)
    b = 0 if stswk_amount is None else parse_shares(stswk_amount, "stSWK shares")
    if a == 0 and b == 0:
        fail("give --swk and/or --stswk")
    signer = signer.resolved()
    client = signer.reader()
    if a and int(client.account(signer.address())["balance"]) < a:
        fail(f"{signer.name()} holds less than {swk(a)}")
    if b and int(get(client, f"/v1/liquid/accounts/0x{signer.address().hex()}")["shares"]) < b:
        fail(f"{signer.name()} holds less than {tokens(b, 'stSWK shares')}")
    minted = int(get(client, f"/v1/amm/quote/add?swk={a}&stswk={b}")["mint"])
    bound = _less(minted, bps) if min_mint is None else parse_shares(min_mint, "LP shares")
    what = (
        f"adding {swk(a)} and {tokens(b, 'stSWK shares')} for at least {tokens(bound, 'LP shares')} "
        f"(quoted {tokens(minted, 'LP shares')})"
    )
    send(signer, AddLiquidity(swk=a, stswk=b, min_mint=bound), what)


def _burn(signer: Signer, client: Any, amount: str | None) -> int:
    held = _lp(client, signer.address())
    units = held if amount is None else parse_shares(amount, "LP shares")
    if held == 0 or units > held:
        fail(f"{signer.name()} holds {tokens(held, 'LP shares')}, fewer than {tokens(units, 'LP shares')}")
    return units


@app.command("remove")
@with_signer
def remove(
    amount: str | None = typer.Argument(None, help="LP shares to burn (default: all)."),
    slippage: str = Slippage,
    *,
    signer: Signer,
) -> None:
    """Burn LP shares for both coins pro rata (`amm.remove_liquidity`, no fee)."""
    from stakework.modules.amm.messages import RemoveLiquidity

    bps = _slippage_bps(slippage)
    signer = signer.resolved()
    client = signer.reader()
    units = _burn(signer, client, amount)
    q = get(client, f"/v1/amm/quote/remove?shares={units}")
    a, b = _less(int(q["swk"]), bps), _less(int(q["stswk"]), bps)
    what = f"burning {tokens(units, 'LP shares')} for at least {swk(a)} and {tokens(b, 'stSWK shares')}"
    send(signer, RemoveLiquidity(shares=units, min_swk=a, min_stswk=b), what)


@app.command("remove-one")
@with_signer
def remove_one(
    amount: str | None = typer.Argument(None, help="LP shares to burn (default: all)."),
    coin: str = typer.Option("swk", "--coin", help="The coin to receive: swk or stswk."),
    slippage: str = Slippage,
    min_amount: str | None = typer.Option(None, "--min-amount", help="Least you accept of that coin."),
    *,
    signer: Signer,
) -> None:
    """Burn LP shares for one coin (`amm.remove_liquidity_one_coin`, imbalance fee included)."""
    from stakework.modules.amm.messages import RemoveLiquidityOneCoin

    c, bps = _coin(coin, "--coin"), _slippage_bps(slippage)
    signer = signer.resolved()
    client = signer.reader()
    units = _burn(signer, client, amount)
    q = get(client, f"/v1/amm/quote/remove?shares={units}&coin={c}")
    out = int(q[c])
    bound = _less(out, bps) if min_amount is None else _units(c, min_amount)
    what = f"burning {tokens(units, 'LP shares')} for at least {_show(c, bound)} (quoted {_show(c, out)})"
    send(signer, RemoveLiquidityOneCoin(shares=units, coin=c, min_amount=bound), what)  # type: ignore[arg-type]


@app.command("pool")
def pool(node: str | None = NodeUrl, data_dir: Path | None = DataDir) -> None:
    """The pool: balances, price, A, fees, D and the virtual price, the oracle's prices."""
    from stakework.cli.wallet import _client

    p = get(_client(node, None, data_dir), "/v1/amm")
    ramp = f" (ramping to {p['future_a']} by epoch {p['future_a_epoch']})" if p["ramping"] else ""
    twap = _price(p["twap_price"]) if p["twap_price"] is not None else "n/a (not a full window yet)"
    empty = int(p["lp_supply"]) == 0 or int(p["spot_price"]) == 0  # the API's 0: no liquidity, no price
    spot = "n/a (empty pool)" if empty else f"{_price(p['spot_price'])} SWK per stSWK share"
    vp = "n/a (empty pool)" if int(p["lp_supply"]) == 0 else _price(p["virtual_price"])
    lines = [
        f"pool: {swk(p['swk_balance'])} and {tokens(p['stswk_balance'], 'stSWK shares')} "
        f"(worth {swk(p['stswk_value'])} at the share price {_price(p['rate'])})",
        f"price {spot}, time-weighted {twap} over {p['twap_window']} epochs",
        f"A {p['a']}{ramp}, fee {Decimal(int(p['fee'])) / 10**8:.4f}%, admin fee "
        f"{Decimal(int(p['admin_fee'])) / 10**8:.2f}% of it",
        f"LP shares {tokens(p['lp_supply'], '').strip()}, D {swk(p['d'])}, virtual price {vp}, {p['swaps']} swaps",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


@app.command("position")
def position(
    account_or_address: str | None = typer.Argument(
        None, metavar="ACCOUNT", help="Name or 0x address (default: the --from account)."
    ),
    account: str | None = From,
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """An account's LP shares and what they withdraw now."""
    signer = Signer(account=account, wallet_dir=wallet_dir, node=node, data_dir=data_dir)
    address = address_of(signer, account_or_address)
    d = get(signer.reader(), f"/v1/amm/accounts/0x{address.hex()}")
    console.print(
        f"0x{address.hex()}: {tokens(d['shares'], 'LP shares')} "
        f"({Decimal(int(d['share_bps'])) / 100:.2f}% of the pool), "
        f"withdraw {swk(d['swk'])} and {tokens(d['stswk'], 'stSWK shares')}, worth {swk(d['value'])}",
        highlight=False,
        soft_wrap=True,
    )
