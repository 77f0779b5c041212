"""One connection to a peer: framed messages in and out, a bounded outbound queue and its requests in flight."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from stakework.node.p2p import messages
from stakework.node.p2p.frames import encode_frame, read_frame
from stakework.node.p2p.reqresp import Requests

log = logging.getLogger(__name__)
OUTBOUND_QUEUE = 1024
"""Frames queued to one peer. A block that does not fit disconnects the peer (logged): a block is never dropped
silently; other gossip that does not fit is dropped and counted (`dropped`)."""


class PeerOverflow(Exception):
    """An essential message (a block) did not fit in the peer's outbound queue."""


class Peer:
    """A connected stream. `status` is the peer's handshake (None before it); `node_id` its id once known."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        inbound: bool,
        snappy: bool = True,
        dialed: tuple[str, int] | None = None,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.inbound = inbound
        self.snappy = snappy
        self.dialed = dialed
        """The address this node dialed (outbound connections)."""
        peername = writer.get_extra_info("peername")
        self.remote = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername)
        self.status: messages.Status | None = None
        self.requests = Requests()
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(OUTBOUND_QUEUE)
        self.dropped = 0
        self.closed = False
        self._writer_task: asyncio.Task[None] | None = None

    @property
    def node_id(self) -> bytes:
        return self.status.node_id if self.status is not None else b""

    @property
    def name(self) -> str:
        port = self.status.listen_port if self.status is not None else 0
        return f"{self.remote} (port {port}, {self.node_id.hex()[:8]})" if self.status is not None else self.remote

    def start_writer(self) -> None:
        self._writer_task = asyncio.get_running_loop().create_task(self._write_loop())

    async def _write_loop(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                if frame is None:
                    break
                self.writer.write(frame)
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.closed = True
            self.writer.close()

    def send(self, message: messages.Message, *, essential: bool = False) -> bool:
        """Queue `message`; False when the queue is full and it was dropped. PeerOverflow for an essential one."""
        return self.send_encoded(messages.encode(message), essential=essential)

    def send_encoded(self, data: bytes, *, essential: bool = False) -> bool:
        if self.closed:
            return False
        try:
            self.queue.put_nowait(encode_frame(data, snappy=self.snappy))
        except asyncio.QueueFull:
            if essential:
                raise PeerOverflow(f"outbound queue to {self.name} is full ({OUTBOUND_QUEUE} frames)") from None
            self.dropped += 1
            return False
        return True

    async def send_now(self, message: messages.Message) -> None:
        """Write `message` directly (the handshake, before the writer task runs)."""
        self.writer.write(encode_frame(messages.encode(message), snappy=self.snappy))
        await self.writer.drain()

    async def receive(self) -> messages.Message:
        """The next message. FrameError / MessageError for a faulty peer, IncompleteReadError when it closed."""
        return messages.decode(await read_frame(self.reader))

    async def close(self, goodbye: int | None = None) -> None:
        """Say goodbye (if asked), flush and close. Requests in flight fail at once (RequestError), also when the
        writer found the connection closed first."""
        self.requests.fail_all(f"connection to {self.name} closed")
        if self.closed:
            return
        if self._writer_task is None:  # before the handshake completed: write the goodbye directly
            if goodbye is not None:
                with contextlib.suppress(Exception):
                    self.writer.write(encode_frame(messages.encode(messages.Goodbye(goodbye))))
                    await asyncio.wait_for(self.writer.drain(), 1.0)
        else:
            if goodbye is not None:
                with contextlib.suppress(asyncio.QueueFull):
                    self.queue.put_nowait(encode_frame(messages.encode(messages.Goodbye(goodbye))))
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._writer_task), 1.0)
            self._writer_task.cancel()
        self.closed = True
        self.writer.close()
