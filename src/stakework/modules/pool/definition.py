"""The pool module's definition: what the registry (:mod:`stakework.modules.registry`) knows about it."""

from __future__ import annotations

from typing import Any

from stakework.modules.definition import ModuleDef, base_fee
from stakework.modules.pool import MODULE, epoch, handlers, invariants, queries
from stakework.modules.pool.messages import AddKeys, Deposit, RegisterPool
from stakework.modules.pool.state import PoolModuleState, new_state
from stakework.spec.presets import Preset


def keys(message: Any) -> int:
    """Validator keys a pool message submits (``pool.register``, ``pool.add_keys``)."""
    return len(message.keys) if isinstance(message, RegisterPool | AddKeys) else 0


def fee(preset: Preset, message: Any) -> int:
    """The least fee: the base and per-key fee, plus ``POOL_REGISTRATION_FEE`` for ``pool.register`` (a pool's
    state, its price history, lives on every node for good)."""
    extra = preset.POOL_REGISTRATION_FEE if isinstance(message, RegisterPool) else 0
    return base_fee(preset, keys(message)) + extra


def spends(message: Any) -> int:
    """``pool.deposit`` takes its amount from the sender; other pool messages move shares, not SWK."""
    return message.amount if isinstance(message, Deposit) else 0


def genesis(preset: Preset, admin: bytes) -> PoolModuleState:
    """An empty pool module (anyone may register a pool; there is no admin)."""
    return new_state(preset)


def summary(state: PoolModuleState) -> dict[str, int]:
    pools = state.pools.values()
    return {
        "pools": len(state.pools),
        "total_assets": sum(p.ledger.total_assets for p in pools),
        "validators": sum(len(p.validators) for p in pools),
        "open_requests": sum(1 for p in pools for r in p.requests.values() if not r.finalized),
    }


def describe(s: dict[str, int]) -> str:
    return (
        f"pool module: {s['pools']} pools holding {s['total_assets'] / 1e9:,.3f} SWK, {s['validators']} "
        f"validators, {s['open_requests']} open withdrawal requests"
    )


POOL = ModuleDef(
    name=MODULE,
    state_type=PoolModuleState,
    messages=tuple(handlers.HANDLERS),
    dispatch=handlers.dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    keys=keys,
    fee=fee,
    spends=spends,
    queries=queries,
    summary=summary,
    describe=describe,
    api_router="stakework.api.modules.pool:router",
    cli_app="stakework.cli.modules.pool:app",
    web_page="stakework.web.modules.pool:PAGE",
)
