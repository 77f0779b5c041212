"""`/eth/v1/events`: server-sent events (head, block, finalized_checkpoint, and stakework's transaction)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from stakework.api.errors import bad_request
from stakework.api.routes.deps import get_view
from stakework.api.view import TOPICS, NodeView

router = APIRouter(tags=["events"])
KEEPALIVE_SECONDS = 10.0


@router.get("/eth/v1/events", summary="Event stream (SSE)")
async def events(
    request: Request,
    topics: list[str] = Query(..., description="head, block, finalized_checkpoint, transaction"),
    view: NodeView = Depends(get_view),
) -> StreamingResponse:
    """`event: <topic>` / `data: <json>` frames as they happen; a comment line every 10 s keeps idle connections
    open."""
    wanted = frozenset(t.strip() for v in topics for t in v.split(",") if t.strip())
    unknown = sorted(wanted - TOPICS)
    if unknown or not wanted:
        raise bad_request(f"unknown topic(s) {unknown}: choose from {sorted(TOPICS)}")
    sub = view.subscribe(wanted, asyncio.get_running_loop())

    async def stream() -> AsyncIterator[str]:
        try:
            yield ": stakework event stream\n\n"
            while True:
                try:
                    topic, data = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    continue
                yield f"event: {topic}\ndata: {json.dumps(data)}\n\n"
        finally:
            view.unsubscribe(sub)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
