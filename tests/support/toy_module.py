"""A toy module for the registry tests: a counter anyone bumps, an epoch counter, and its edges (an API router
and a CLI sub-app). It lives in tests only; registering it touches no file of stakework."""

from __future__ import annotations

from typing import Any

import msgspec
import typer
from fastapi import APIRouter

from stakework.modules.definition import ModuleDef, Param, base_fee
from stakework.modules.errors import ModuleError
from stakework.modules.host import ModuleHost
from stakework.spec.presets import Preset
from stakework.spec.types import U64

TOY_EXTRA_FEE_KEYS = 7
"""The toy's per-kind extra: `toy.bump` costs the base fee plus this many MODULE_KEY_FEEs (read from the preset)."""


class ToyState(msgspec.Struct, kw_only=True):
    counter: int = 0
    epochs: int = 0
    step: int = 1
    by_sender: dict[bytes, int] = msgspec.field(default_factory=dict)


class Bump(msgspec.Struct, tag="toy.bump", kw_only=True):
    amount: U64


def dispatch(state: ToyState, host: ModuleHost, sender: bytes, msg: Any) -> None:
    if msg.amount == 0:
        raise ModuleError("the amount must be positive")
    state.counter += msg.amount
    state.by_sender[sender] = state.by_sender.get(sender, 0) + msg.amount


def on_epoch(state: ToyState, host: ModuleHost) -> None:
    state.epochs += state.step


def invariants(state: ToyState, host: ModuleHost) -> list[str]:
    return [] if state.counter == sum(state.by_sender.values()) else ["counter != sum of bumps"]


def genesis(preset: Preset, admin: bytes) -> ToyState:
    return ToyState()


def fee(preset: Preset, message: Any) -> int:
    return base_fee(preset, 0) + TOY_EXTRA_FEE_KEYS * preset.MODULE_KEY_FEE


def summary(state: ToyState) -> dict[str, int]:
    return {"counter": state.counter, "epochs": state.epochs}


router = APIRouter(prefix="/v1", tags=["modules"])


@router.get("/toy")
def toy_view() -> dict[str, Any]:
    return {"data": "toy"}


app = typer.Typer(help="The toy module.", no_args_is_help=True)


@app.command("hello")
def hello() -> None:
    """Say hello."""
    typer.echo("hello from toy")


TOY = ModuleDef(
    name="toy",
    state_type=ToyState,
    messages=(Bump,),
    dispatch=dispatch,
    on_epoch=on_epoch,
    invariants=invariants,
    genesis=genesis,
    fee=fee,
    summary=summary,
    params=(Param("step", 1, 10, "epochs counted per epoch"),),
    api_router="support.toy_module:router",
    cli_app="support.toy_module:app",
)
