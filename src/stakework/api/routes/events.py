"""`/eth/v1/events`: server-sent events (head, block, finalized_checkpoint, and stakework's transaction).

Bounded (issue #12, item 6): at most `max_subscribers` streams at once (503 with Retry-After beyond), and a
stream whose client stops reading is closed once a write has waited `stream_write_seconds` (its queue of 1024
events drops the newest meanwhile, so a stuck client costs a bounded amount of memory, for a bounded time)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from stakework.api.errors import bad_request
from stakework.api.routes.deps import get_view
from stakework.api.view import TOPICS, NodeView, _Subscriber

router = APIRouter(tags=["events"])
KEEPALIVE_SECONDS = 10.0
MAX_SUBSCRIBERS = 256
"""Event streams served at once; the next one gets 503 (Retry-After: RETRY_AFTER_SECONDS)."""
STREAM_WRITE_SECONDS = 30.0
"""A write to an event stream that has not completed after this long (the client stopped reading) ends it."""
RETRY_AFTER_SECONDS = 10


class EventStream(Response):
    """A response streaming one subscriber's events: keep-alive comments when idle, ends on disconnect or on a
    write the client does not take within `write_seconds`; always unsubscribes."""

    def __init__(
        self, view: NodeView, sub: _Subscriber, write_seconds: float, closing: asyncio.Event | None = None
    ) -> None:
        super().__init__(media_type="text/event-stream")
        self.view, self.sub, self.write_seconds = view, sub, write_seconds
        self.closing = closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def write(message: dict[str, Any]) -> None:
            await asyncio.wait_for(send(message), self.write_seconds)

        async def gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        disconnected = asyncio.ensure_future(gone())
        ends: set[asyncio.Future[Any]] = {disconnected}
        if self.closing is not None:
            ends.add(asyncio.ensure_future(self.closing.wait()))
        try:
            await write(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache"),
                    ],
                }
            )
            await write(_body(": stakework event stream\n\n"))
            while True:
                getter = asyncio.ensure_future(self.sub.queue.get())
                done, _ = await asyncio.wait(
                    {getter, *ends}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if getter in done:
                    topic, data = getter.result()
                    await write(_body(f"event: {topic}\ndata: {json.dumps(data)}\n\n"))
                    continue
                getter.cancel()
                if disconnected in done:
                    return
                if done:  # the server is stopping: end the stream cleanly
                    await write({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                await write(_body(": keepalive\n\n"))
        except (TimeoutError, OSError):
            return  # a client that does not read (or a connection gone): the server closes the connection
        finally:
            for end in ends:
                end.cancel()
            self.view.unsubscribe(self.sub)


def _body(text: str) -> dict[str, Any]:
    return {"type": "http.response.body", "body": text.encode(), "more_body": True}


@router.get("/eth/v1/events", summary="Event stream (SSE)", response_model=None)
async def events(
    request: Request,
    topics: list[str] = Query(..., description="head, block, finalized_checkpoint, transaction"),
    view: NodeView = Depends(get_view),
) -> EventStream | JSONResponse:
    """`event: <topic>` / `data: <json>` frames as they happen; a comment line every 10 s keeps idle connections
    open. At most 256 streams at once (503 with Retry-After beyond)."""
    wanted = frozenset(t.strip() for v in topics for t in v.split(",") if t.strip())
    unknown = sorted(wanted - TOPICS)
    if unknown or not wanted:
        raise bad_request(f"unknown topic(s) {unknown}: choose from {sorted(TOPICS)}")
    cap: int = request.app.state.max_subscribers
    if view.subscriber_count >= cap:  # checked and registered on the event loop: no other request in between
        message = f"{cap} event streams are open already (the limit): retry in {RETRY_AFTER_SECONDS} s"
        return JSONResponse(
            {"code": 503, "message": message}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    sub = view.subscribe(wanted, asyncio.get_running_loop())
    closing = getattr(request.app.state, "closing", None)  # set by ApiServer.stop(): streams end at shutdown
    return EventStream(view, sub, request.app.state.stream_write_seconds, closing)
