"""`stakework safety`: the safety module through a node's API (docs/modules.md, "Safety module").

Stake SWK (or, with --vault stswk, stSWK shares) for stkSWK, which earns the module's emission and covers
shortfalls by being slashed; start the cooldown, redeem inside the unstake window, claim rewards; `show` the vaults
and, with --account, a position. Every signing command takes the same signer options (--from, --fee, --no-wait,
--wallet-dir, --password-file, --node, --token, --data-dir), declared once (`cli.modtx.with_signer`). Amounts take
the SWK decimal format; stkSWK and stSWK shares count 10**9 to one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail
from stakework.cli.modtx import (
    DataDir,
    Signer,
    address_of,
    get,
    parse_shares,
    percent,
    price,
    send,
    shares,
    tokens,
    with_signer,
)
from stakework.cli.wallet import NodeUrl, WalletDir, parse_amount, swk

app = typer.Typer(
    help="Safety module (stkSWK): stake, cooldown, redeem, claim; show the vaults and a position.",
    no_args_is_help=True,
)

VaultOption = typer.Option("swk", "--vault", help="The vault: swk (stake SWK) or stswk (stake stSWK shares).")


def _vault(name: str) -> str:
    if name not in ("swk", "stswk"):
        fail(f"vault {name!r}: choose swk or stswk")
    return name


def _asset(vault: str, units: int | str) -> str:
    return swk(units) if vault == "swk" else tokens(units, "stSWK shares")


def _position(client: Any, address: bytes) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/safety/accounts/0x{address.hex()}")
    return data


@app.command("stake")
@with_signer
def stake(
    amount: str = typer.Argument(..., help="SWK to stake (stSWK shares with --vault stswk)."),
    vault: str = VaultOption,
    *,
    signer: Signer,
) -> None:
    """Stake for stkSWK shares (rounded down); refused during a post-slash window."""
    from stakework.modules.safety.messages import Stake

    v = _vault(vault)
    units = parse_amount(amount) if v == "swk" else parse_shares(amount, "stSWK shares")
    signer = signer.resolved()
    client = signer.reader()
    if v == "swk":
        held = int(client.account(signer.address())["balance"])
    else:
        held = int(get(client, f"/v1/liquid/accounts/0x{signer.address().hex()}")["shares"])
    if held < units:
        fail(f"{signer.name()} holds {_asset(v, held)}, less than {_asset(v, units)}")
    send(signer, Stake(vault=v, amount=units), f"staking {_asset(v, units)} in the safety module")  # type: ignore[arg-type]


@app.command("cooldown")
@with_signer
def cooldown(vault: str = VaultOption, *, signer: Signer) -> None:
    """Start (or restart) the cooldown of all your stkSWK in the vault; redeem once it ends, inside the window."""
    from stakework.modules.safety.messages import Cooldown

    v = _vault(vault)
    signer = signer.resolved()
    pos = _position(signer.reader(), signer.address())["vaults"][v]
    if int(pos["shares"]) == 0:
        fail(f"{signer.name()} holds no stkSWK in the {v} vault")
    send(signer, Cooldown(vault=v), f"starting the cooldown of the {v} vault")  # type: ignore[arg-type]


@app.command("redeem")
@with_signer
def redeem(
    amount: str | None = typer.Argument(None, help="stkSWK shares to redeem (default: all)."),
    vault: str = VaultOption,
    *,
    signer: Signer,
) -> None:
    """Burn stkSWK for what it is worth now, inside the unstake window (or any time after a slashing)."""
    from stakework.modules.safety.messages import Redeem

    v = _vault(vault)
    signer = signer.resolved()
    pos = _position(signer.reader(), signer.address())["vaults"][v]
    held = int(pos["shares"])
    units = held if amount is None else parse_shares(amount, "stkSWK shares")
    if held == 0 or units > held:
        fail(f"{signer.name()} holds {shares(held)} stkSWK in the {v} vault, fewer than {shares(units)}")
    if not pos["can_redeem"]:
        if pos["cooldown"] == "cooling":
            fail(f"the cooldown ends at epoch {pos['window_opens']}; redeem from then until {pos['window_closes']}")
        fail("start the cooldown first (`stakework safety cooldown`), then redeem inside its window")
    send(signer, Redeem(vault=v, shares=units), f"redeeming {shares(units)} stkSWK of the {v} vault")  # type: ignore[arg-type]


@app.command("claim")
@with_signer
def claim(
    amount: str | None = typer.Argument(None, help="SWK of rewards to claim (default: all)."),
    vault: str = VaultOption,
    to: str | None = typer.Option(None, "--to", help="Pay to this 0x address or account name (default: you)."),
    *,
    signer: Signer,
) -> None:
    """Claim the SWK rewards your stkSWK earned in the vault."""
    from stakework.modules.safety.messages import ClaimRewards

    v = _vault(vault)
    signer = signer.resolved()
    owed = int(_position(signer.reader(), signer.address())["vaults"][v]["rewards"])
    units = None if amount is None else parse_amount(amount)
    if owed == 0:
        fail(f"{signer.name()} has no rewards to claim in the {v} vault")
    recipient = None if to is None else address_of(signer, to)
    payload = ClaimRewards(vault=v, amount=units, to=recipient)  # type: ignore[arg-type]
    send(signer, payload, f"claiming {swk(owed if units is None else min(units, owed))} of rewards")


@app.command("show")
def show(
    account: str | None = typer.Option(
        None, "--account", "-a", help="Also show this account's position (a name in the wallet or a 0x address)."
    ),
    wallet_dir: Path | None = WalletDir,
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """The vaults (staked, price, emission and APR, slashable now), and with --account a position."""
    signer = Signer(wallet_dir=wallet_dir, node=node, data_dir=data_dir)
    address = None if account is None else address_of(signer, account)
    client = signer.reader()
    m = get(client, "/v1/safety")
    for name, v in m["vaults"].items():
        apr = m["apr"][name]
        paid = "paid" if v["emitting"] else v["emission_status"]
        console.print(
            f"{name} vault: staked {_asset(name, v['total_assets'])}  stkSWK {shares(v['total_shares'])}  "
            f"price {price(v['price'])}  emission {swk(v['emission_per_epoch'])}/epoch ({paid})  "
            f"APR {percent(apr.get('apr_bps'))}  slashable {_asset(name, v['max_slashable'])}"
            + (f"  post-slash until epoch {v['post_slash_until']}" if v["in_post_slash"] else ""),
            highlight=False,
            soft_wrap=True,
        )
    p = m["parameters"]
    console.print(
        f"cooldown {p['cooldown_epochs']['value']} epochs, window {p['unstake_window_epochs']['value']} epochs, "
        f"max slash {percent(p['max_slash_bps']['value'])}, slashings {m['slashings']}",
        highlight=False,
    )
    if address is not None:
        data = get(client, f"/v1/safety/accounts/0x{address.hex()}")
        for name, pos in data["vaults"].items():
            window = f" (window {pos['window_opens']}..{pos['window_closes']})" if pos["cooldown_start"] else ""
            console.print(
                f"0x{address.hex()} {name}: {shares(pos['shares'])} stkSWK worth {_asset(name, pos['assets'])}, "
                f"rewards {swk(pos['rewards'])}, cooldown {pos['cooldown']}{window}, can redeem: {pos['can_redeem']}",
                highlight=False,
                soft_wrap=True,
            )
