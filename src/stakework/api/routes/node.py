"""`/eth/v1/node/*`: health, version, syncing, identity."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Depends, Response

from stakework import __version__
from stakework.api.routes.deps import get_view
from stakework.api.view import NodeView

router = APIRouter(prefix="/eth/v1/node", tags=["node"])


@router.get("/health", summary="Node health (200 ready, 206 syncing)")
def health(view: NodeView = Depends(get_view)) -> Response:
    """200 when the head is within two slots of the clock, 206 while catching up."""
    with view.lock:
        head_slot = view.chain.head_state.slot
    return Response(status_code=200 if view.current_slot() - head_slot <= 2 else 206)


@router.get("/version", summary="Node version")
def version() -> dict[str, Any]:
    """Spec: `{"data": {"version": "stakework/<version>"}}`."""
    return {"data": {"version": f"stakework/v{__version__}"}}


@router.get("/syncing", summary="Sync status")
def syncing(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """Head slot and distance to the wall-clock slot."""
    with view.lock:
        head_slot = view.chain.head_state.slot
    distance = max(0, view.current_slot() - head_slot)
    return {
        "data": {
            "head_slot": str(head_slot),
            "sync_distance": str(distance),
            "is_syncing": distance > 2,
            "is_optimistic": False,
            "el_offline": False,
        }
    }


@router.get("/identity", summary="Node identity")
def identity(view: NodeView = Depends(get_view)) -> dict[str, Any]:
    """A peer id derived from the chain (the single-process devnet has no p2p key)."""
    peer = hashlib.sha256(b"stakework/peer" + view.genesis.genesis_validators_root).hexdigest()[:52]
    return {
        "data": {
            "peer_id": f"sw{peer}",
            "enr": "",
            "p2p_addresses": [],
            "discovery_addresses": [],
            "metadata": {"seq_number": "0", "attnets": "0x0000000000000000", "syncnets": "0x00"},
        }
    }
