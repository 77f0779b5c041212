"""`/v1/modules`: the modules this chain runs, from the module registry (`stakework.modules.registry`).

Each module's own routes (`/v1/pools...`, `/v1/liquid...`) live with the module's edge files in
`stakework.api.modules` and are mounted from its definition's `api_router` (`api.app.create_app`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from stakework.api.modules.common import epochs_per_year
from stakework.api.routes.deps import get_view
from stakework.api.view import NodeView
from stakework.modules import registry
from stakework.transition.modules import module_address, module_withdrawal_credentials

__all__ = ["epochs_per_year", "router"]

router = APIRouter(prefix="/v1", tags=["modules"])


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@router.get("/modules", summary="Enabled modules")
def modules(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """The modules this chain runs, each with its account (address and balance: buffer plus payouts awaiting
    claims) and the 0x02 withdrawal credentials its validators carry. An empty list when none is enabled."""
    with view.lock:
        state = view.chain.head_state
        enabled = state.modules.enabled()
        balances = {name: state.accounts.balance(module_address(name)) for name in enabled}
    rows = [
        {
            "name": m.name,
            "address": _hex(module_address(m.name)),
            "withdrawal_credentials": _hex(module_withdrawal_credentials(m.name)),
            "balance": str(balances[m.name]),
        }
        for m in registry.modules()
        if m.name in balances
    ]
    return {"data": rows}
