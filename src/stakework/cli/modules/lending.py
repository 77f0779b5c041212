"""`stakework lend`: the lending module through a node's API (docs/modules.md, "Lending module").

Supply SWK or stSWK shares (`--market stswk`), borrow against them, repay, withdraw; turn a supply's collateral
use on or off; enter or leave e-mode (SWK and stSWK as correlated assets: LTV 93 %, threshold 95 %); liquidate an
unhealthy position; `markets` and `position` show the markets and a position with its health factor. Every signing
command takes the same signer options (--from, --fee, --no-wait, --wallet-dir, --password-file, --node, --token,
--data-dir), declared once (`cli.modtx.with_signer`). SWK amounts take the SWK decimal format; stSWK shares count
10**9 to one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail
from stakework.cli.modtx import (
    DataDir,
    From,
    Signer,
    address_of,
    get,
    parse_shares,
    percent,
    send,
    tokens,
    with_signer,
)
from stakework.cli.wallet import NodeUrl, WalletDir, parse_amount, swk

app = typer.Typer(
    help="Lending module: supply, borrow, repay, withdraw, liquidate; e-mode; show the markets and a position.",
    no_args_is_help=True,
)

MarketOption = typer.Option("swk", "--market", "-m", help="The market: swk (SWK) or stswk (stSWK shares).")
WAD = 10**18


def _market(name: str) -> str:
    if name not in ("swk", "stswk"):
        fail(f"market {name!r}: choose swk or stswk")
    return name


def _units(market: str, text: str) -> int:
    return parse_amount(text) if market == "swk" else parse_shares(text, "stSWK shares")


def _asset(market: str, units: int | str) -> str:
    return swk(units) if market == "swk" else tokens(units, "stSWK shares")


def _hf(value: str | None) -> str:
    return "none (no debt)" if value is None else f"{Decimal(int(value)) / WAD:.4f}"


def _position(client: Any, address: bytes) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/lending/accounts/0x{address.hex()}")
    return data


def _held(client: Any, market: str, address: bytes) -> int:
    if market == "swk":
        return int(client.account(address)["balance"])
    return int(get(client, f"/v1/liquid/accounts/0x{address.hex()}")["shares"])


@app.command("supply")
@with_signer
def supply(
    amount: str = typer.Argument(..., help="SWK to supply (stSWK shares with --market stswk)."),
    market: str = MarketOption,
    *,
    signer: Signer,
) -> None:
    """Supply to a market: it earns the supply rate and counts as collateral (unless turned off)."""
    from stakework.modules.lending.messages import Supply

    m = _market(market)
    units = _units(m, amount)
    signer = signer.resolved()
    held = _held(signer.reader(), m, signer.address())
    if held < units:
        fail(f"{signer.name()} holds {_asset(m, held)}, less than {_asset(m, units)}")
    send(signer, Supply(market=m, amount=units), f"supplying {_asset(m, units)} to the {m} market")  # type: ignore[arg-type]


@app.command("withdraw")
@with_signer
def withdraw(
    amount: str | None = typer.Argument(None, help="How much to withdraw (default: all your supply)."),
    market: str = MarketOption,
    *,
    signer: Signer,
) -> None:
    """Withdraw supply; refused beyond the market's cash or if your health factor would fall below 1."""
    from stakework.modules.lending.messages import Withdraw

    m = _market(market)
    units = None if amount is None else _units(m, amount)
    signer = signer.resolved()
    supplied = int(_position(signer.reader(), signer.address())["markets"][m]["supplied"])
    if supplied == 0 or (units is not None and units > supplied):
        fail(f"{signer.name()} has {_asset(m, supplied)} supplied to the {m} market")
    what = "all" if units is None else _asset(m, units)
    send(signer, Withdraw(market=m, amount=units), f"withdrawing {what} from the {m} market")  # type: ignore[arg-type]


@app.command("borrow")
@with_signer
def borrow(
    amount: str = typer.Argument(..., help="SWK to borrow (stSWK shares with --market stswk)."),
    market: str = MarketOption,
    *,
    signer: Signer,
) -> None:
    """Borrow at the market's variable rate, within your collateral's borrowing power (LTV)."""
    from stakework.modules.lending.messages import Borrow

    m = _market(market)
    units = _units(m, amount)
    signer = signer.resolved()
    pos = _position(signer.reader(), signer.address())
    if int(pos["collateral_value"]) == 0:
        fail(f"{signer.name()} has no collateral: supply first (`stakework lend supply`)")
    send(signer, Borrow(market=m, amount=units), f"borrowing {_asset(m, units)} from the {m} market")  # type: ignore[arg-type]


@app.command("repay")
@with_signer
def repay(
    amount: str | None = typer.Argument(None, help="How much to repay (default: all of the debt)."),
    market: str = MarketOption,
    on_behalf_of: str | None = typer.Option(None, "--for", help="Repay this 0x address's (or account's) debt."),
    *,
    signer: Signer,
) -> None:
    """Repay debt (yours, or another's with --for); more than owed repays the debt only."""
    from stakework.modules.lending.messages import Repay

    m = _market(market)
    signer = signer.resolved()
    debtor = address_of(signer, on_behalf_of)
    owed = int(_position(signer.reader(), debtor)["markets"][m]["borrowed"])
    if owed == 0:
        fail(f"0x{debtor.hex()} owes nothing in the {m} market")
    # all: a little more than owed now (interest accrues until inclusion; only the debt is taken)
    units = owed + owed // 1000 + 1 if amount is None else _units(m, amount)
    held = _held(signer.reader(), m, signer.address())
    if held < min(units, owed):
        fail(f"{signer.name()} holds {_asset(m, held)}, less than the {_asset(m, min(units, owed))} to repay")
    units = min(units, held)
    recipient = None if on_behalf_of is None else debtor
    payload = Repay(market=m, amount=units, on_behalf_of=recipient)  # type: ignore[arg-type]
    send(signer, payload, f"repaying up to {_asset(m, units)} in the {m} market")


@app.command("collateral")
@with_signer
def collateral(
    state: str = typer.Argument(..., help="on or off."),
    market: str = MarketOption,
    *,
    signer: Signer,
) -> None:
    """Count your supply in a market as collateral, or not (off is refused if your health factor would fall below
    1)."""
    from stakework.modules.lending.messages import SetCollateral

    m = _market(market)
    if state not in ("on", "off"):
        fail(f"{state!r}: give on or off")
    signer = signer.resolved()
    payload = SetCollateral(market=m, enabled=state == "on")  # type: ignore[arg-type]
    send(signer, payload, f"turning {m} collateral {state}")


@app.command("emode")
@with_signer
def emode(state: str = typer.Argument(..., help="on or off."), *, signer: Signer) -> None:
    """Enter (on) or leave (off) the correlated-asset mode: SWK and stSWK at LTV 93 %, threshold 95 %, bonus 1 %
    (Aave's wstETH e-mode)."""
    from stakework.modules.lending.messages import SetEmode

    if state not in ("on", "off"):
        fail(f"{state!r}: give on or off")
    signer = signer.resolved()
    send(signer, SetEmode(enabled=state == "on"), f"e-mode {state}")


@app.command("liquidate")
@with_signer
def liquidate(
    borrower: str = typer.Argument(..., help="The borrower's 0x address (or an account name in the wallet)."),
    amount: str | None = typer.Argument(None, help="Debt to repay (default: the most the close factor allows)."),
    debt_market: str = typer.Option("swk", "--debt", help="The market of the debt you repay."),
    collateral_market: str = typer.Option("stswk", "--collateral", help="The market of the collateral you seize."),
    receive_supply: bool = typer.Option(False, "--as-supply", help="Take the collateral as supply in its market."),
    *,
    signer: Signer,
) -> None:
    """Repay part of an unhealthy position's debt (health factor below 1) for its collateral plus the bonus."""
    from stakework.modules.lending.messages import Liquidate

    dm, cm = _market(debt_market), _market(collateral_market)
    units = None if amount is None else _units(dm, amount)
    signer = signer.resolved()
    target = address_of(signer, borrower)
    query = f"?debt_market={dm}&collateral_market={cm}" + ("" if units is None else f"&amount={units}")
    quote = get(signer.reader(), f"/v1/lending/accounts/0x{target.hex()}/liquidation{query}")
    if "error" in quote:
        fail(quote["error"])
    held = _held(signer.reader(), dm, signer.address())
    if held < int(quote["debt_repaid"]):
        fail(f"{signer.name()} holds {_asset(dm, held)}, less than the {_asset(dm, quote['debt_repaid'])} to repay")
    payload = Liquidate(
        borrower=target,
        debt_market=dm,  # type: ignore[arg-type]
        collateral_market=cm,  # type: ignore[arg-type]
        amount=units,
        receive_supply=receive_supply,
    )
    send(
        signer,
        payload,
        f"liquidating 0x{target.hex()}: repaying {_asset(dm, quote['debt_repaid'])} for "
        f"{_asset(cm, quote['collateral_seized'])}",
    )


@app.command("enable-cover")
@with_signer
def enable_cover(*, signer: Signer) -> None:
    """The safety module's governance executor (devnet account 0): let the lending module report bad debt to the
    safety module, whose slashing then covers it (`safety.authorize_slasher` for the lending module's account)."""
    from stakework.modules.safety.messages import AuthorizeSlasher

    signer = signer.resolved()
    data = get(signer.reader(), "/v1/lending")
    if not data["cover"]["safety_module"]:
        fail("this chain runs no safety module: bad debt stays recorded as the markets' deficit")
    if data["cover"]["authorised"]:
        fail("the lending module is already an authorised shortfall reporter of the safety module")
    address = bytes.fromhex(data["address"][2:])
    send(signer, AuthorizeSlasher(address=address), f"authorising the lending module ({data['address']}) to report")


@app.command("markets")
def markets(node: str | None = NodeUrl, data_dir: Path | None = DataDir) -> None:
    """Both markets: supplied, borrowed, cash, usage, rates, indices, price, deficit; e-mode and the oracle."""
    from stakework.cli.wallet import _client

    data = get(_client(node, None, data_dir), "/v1/lending")
    for name, m in data["markets"].items():
        console.print(
            f"{name} market: supplied {_asset(name, m['total_supply'])}  borrowed {_asset(name, m['total_debt'])}  "
            f"cash {_asset(name, m['cash'])}  usage {percent(m['usage_bps'])}  borrow APR "
            f"{percent(m['borrow_apr_bps'])}  supply APR {percent(m['supply_apr_bps'])}  price "
            f"{Decimal(int(m['price'])) / WAD:.6f} SWK  LTV {percent(m['ltv_bps'])}  threshold "
            f"{percent(m['liquidation_threshold_bps'])}  deficit {_asset(name, m['deficit'])}",
            highlight=False,
            soft_wrap=True,
        )
    e, o = data["emode"], data["oracle"]
    console.print(
        f"e-mode: LTV {percent(e['ltv_bps'])}, threshold {percent(e['liquidation_threshold_bps'])}, bonus "
        f"{percent(e['liquidation_bonus_bps'])}; oracle: {Decimal(int(o['price'])) / WAD:.6f} SWK per stSWK share "
        f"({o['source']}); bad debts {data['bad_debts']}; safety cover "
        f"{'authorised' if data['cover']['authorised'] else 'not authorised (`stakework lend enable-cover`)'}",
        highlight=False,
        soft_wrap=True,
    )


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
    """A position: supply and debt per market, collateral and debt values, borrowing power, health factor."""
    signer = Signer(account=account, wallet_dir=wallet_dir, node=node, data_dir=data_dir)
    address = address_of(signer, account_or_address)
    pos = get(signer.reader(), f"/v1/lending/accounts/0x{address.hex()}")
    for name, p in pos["markets"].items():
        console.print(
            f"{name}: supplied {_asset(name, p['supplied'])}{'' if p['collateral'] else ' (not collateral)'}, "
            f"borrowed {_asset(name, p['borrowed'])}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"e-mode {'on' if pos['emode'] else 'off'}; collateral {swk(pos['collateral_value'])}, debt "
        f"{swk(pos['debt_value'])}, may borrow {swk(pos['available_to_borrow'])} more; health factor "
        f"{_hf(pos['health_factor'])}" + ("  LIQUIDATABLE" if pos["liquidatable"] else ""),
        highlight=False,
        soft_wrap=True,
    )
