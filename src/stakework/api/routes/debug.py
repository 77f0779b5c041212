"""The beacon-API's debug state route: a whole state, for checkpoint sync (`stakework node --checkpoint-url`).

Ethereum: `GET /eth/v2/debug/beacon/states/{state_id}` answers SSZ (`Accept: application/octet-stream`) or JSON.
stakework serves its binary snapshot (`state.snapshot`, the format `stakework snapshot` writes) for
`application/octet-stream`; the JSON form of a whole state is not served (406, naming what to ask for). A read
route: a GET, no token, like the other state routes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response

from stakework.api.errors import ApiError
from stakework.api.resolve import resolve_state
from stakework.api.routes.deps import get_view
from stakework.api.view import NodeView
from stakework.state.snapshot import save_binary

router = APIRouter(tags=["debug"])

OCTET_STREAM = "application/octet-stream"
FINALIZED_EPOCH_HEADER = "Stakework-Finalized-Epoch"
"""For state_id `finalized`: the epoch of the finalized checkpoint whose block's post-state is served (it can be
after the state's own epoch, when the epoch's first slots had no block)."""
BLOCK_ROOT_HEADER = "Stakework-Block-Root"
"""The root of the block whose post-state is served (0x-hex)."""


@router.get(
    "/eth/v2/debug/beacon/states/{state_id}",
    summary="Whole state (binary snapshot; Accept: application/octet-stream)",
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
def debug_state(state_id: str, request: Request, view: NodeView = Depends(get_view)) -> Response:
    accept = request.headers.get("accept", "")
    if OCTET_STREAM not in accept:
        raise ApiError(
            406,
            f"the whole state is served as stakework's binary snapshot only: send 'Accept: {OCTET_STREAM}' "
            "(the JSON form is not served)",
        )
    with view.lock:  # states are not changed once made: the snapshot is written outside the lock
        resolved = resolve_state(view, state_id)
        finalized = view.chain.forkchoice.finalized_checkpoint
    headers = {"Eth-Consensus-Version": "electra", BLOCK_ROOT_HEADER: "0x" + resolved.root.hex()}
    if state_id == "finalized" and resolved.root == finalized.root:
        headers[FINALIZED_EPOCH_HEADER] = str(finalized.epoch)
    with tempfile.TemporaryDirectory(prefix="stakework-state-") as tmp:
        path = Path(tmp) / "state.swk"
        save_binary(resolved.state, path)
        data = path.read_bytes()
    return Response(content=data, media_type=OCTET_STREAM, headers=headers)
