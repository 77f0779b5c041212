"""The AMM's definition: what the registry (:mod:`stakework.modules.registry`) knows about it.

It provides the host service ``amm_oracle`` (:class:`~stakework.modules.amm.oracle.AmmOracle`: ``spot_price()`` and
``twap_price()``, SWK per one stSWK share times 10**18) and reads ``staked_token_ledger`` (the liquid module's).
Governable (``Param``s, read and set through :func:`read_param` / :func:`write_param`): the swap fee, the admin
fee, the time-weighted price's window, and A: setting ``future_a`` asks for a ramp, which the next touch starts
under Curve's rules (``handlers.start_pending_ramp``), over ``ramp_epochs``."""

from __future__ import annotations

from typing import Any

from stakework.modules.amm import MODULE, epoch, handlers, invariants, queries
from stakework.modules.amm.messages import AddLiquidity, Exchange, ExchangeExactOut
from stakework.modules.amm.oracle import AmmOracle
from stakework.modules.amm.stableswap import A_PRECISION, FEE_DENOMINATOR, MAX_A, PRECISION
from stakework.modules.amm.state import MAX_FEE, MAX_RAMP_EPOCHS, MAX_TWAP_WINDOW, MIN_FEE, AmmState, new_state
from stakework.modules.definition import ModuleDef, Param
from stakework.spec.presets import Preset

DEVNET_TWAP_WINDOW = 8
"""A devnet's time-weighted price window, in epochs (a day of 16-second epochs would be 5,400)."""
DEVNET_MIN_RAMP_EPOCHS = 4
"""A devnet's shortest ramp of A (Curve: one day)."""

PARAMS = (
    Param("fee", MIN_FEE, MAX_FEE, "swap fee in 1e-10 (Curve's 4,000,000 = 0.04 %; at least 1e-10, at most 1 %)"),
    Param("admin_fee", 0, FEE_DENOMINATOR, "part of every fee paid to the treasury, in 1e-10 (Curve: half)"),
    Param("twap_window", 1, MAX_TWAP_WINDOW, "epochs the time-weighted price (amm_oracle.twap_price) averages"),
    Param("future_a", 1, MAX_A - 1, "amplification A to ramp to (the next touch starts the ramp; at most 10x)"),
    Param("ramp_epochs", 1, MAX_RAMP_EPOCHS, "epochs a governance ramp of A takes (at least the minimum ramp)"),
)


def read_param(state: AmmState, name: str) -> int:
    if name == "future_a":
        return state.pending_future_a or state.future_a // A_PRECISION
    value: int = getattr(state, name)
    return value


def write_param(state: AmmState, name: str, value: int) -> None:
    """Set a parameter (a value within its ``Param``'s bounds); ``future_a`` is kept as a pending ramp."""
    if name == "future_a":
        state.pending_future_a = value
    elif name in ("fee", "admin_fee", "twap_window", "ramp_epochs"):
        setattr(state, name, value)
    else:
        raise KeyError(name)


def spends(message: Any) -> int:
    """SWK a message takes from the sender: sold SWK (at most ``max_dx`` for an exact-out), deposited SWK."""
    if isinstance(message, Exchange) and message.sell == "swk":
        return int(message.dx)
    if isinstance(message, ExchangeExactOut) and message.sell == "swk":
        return int(message.max_dx)
    if isinstance(message, AddLiquidity):
        return int(message.swk)
    return 0


def genesis(preset: Preset, admin: bytes) -> AmmState:
    """An empty pool whose governance executor and treasury is ``admin`` (devnet account 0), Curve's A, fee and admin
    fee, an 8-epoch time-weighted price and a 4-epoch minimum ramp."""
    return new_state(
        preset,
        governance=admin,
        treasury=admin,
        twap_window=DEVNET_TWAP_WINDOW,
        min_ramp_epochs=DEVNET_MIN_RAMP_EPOCHS,
    )


def summary(state: AmmState) -> dict[str, int]:
    return {
        "swk": state.swk_balance,
        "stswk": state.stswk_balance,
        "lp_shares": state.lp.total_shares,
        "a": state.future_a // A_PRECISION,
        "swaps": state.swaps,
        "price": state.price_last,
    }


def describe(s: dict[str, int]) -> str:
    price = f"{s['price'] / PRECISION:.6f} SWK per stSWK share" if s["price"] else "no price yet"
    return (
        f"amm pool: {s['swk'] / 1e9:,.3f} SWK and {s['stswk'] / 1e9:,.3f} stSWK shares, A {s['a']}, "
        f"{s['swaps']} swaps, last price {price}"
    )


AMM = ModuleDef(
    name=MODULE,
    state_type=AmmState,
    messages=tuple(handlers.HANDLERS),
    dispatch=handlers.dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    spends=spends,
    queries=queries,
    summary=summary,
    describe=describe,
    params=PARAMS,
    read_param=read_param,
    write_param=write_param,
    api_router="stakework.api.modules.amm:router",
    cli_app="stakework.cli.modules.amm:app",
    web_page="stakework.web.modules.amm:PAGE",
    services={"amm_oracle": AmmOracle},
)
