"""The network host of one node: listens, dials its peers (and redials them), runs the Status handshake, floods
gossip after validation, serves and makes requests, scores peers and bans bad ones.

Everything runs on one asyncio loop; the node's handlers (`NodeHandler`) are called on it synchronously, so the
chain is only ever touched from that one thread (see docs/network.md, "Threads")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec

from stakework.node.p2p import messages
from stakework.node.p2p.frames import FrameError
from stakework.node.p2p.gossip import SeenCache, Verdict
from stakework.node.p2p.messages import MessageError
from stakework.node.p2p.peer import Peer, PeerOverflow
from stakework.node.p2p.ratelimit import RateLimiter
from stakework.node.p2p.reqresp import RateLimited, RequestError
from stakework.node.p2p.scoring import Scores
from stakework.transition.block.block import SignedBeaconBlock

log = logging.getLogger(__name__)
_R = TypeVar("_R")
HANDSHAKE_SECONDS = 5.0
REDIAL_SECONDS = 1.0
MAX_PEERS = 64
MAX_RATE_LIMIT_WAIT = 10.0
"""The longest a request refused as over a peer's rate limit waits before it is sent again (longer: RateLimited)."""
MAX_RATE_LIMIT_RETRIES = 3
"""How many times a refused request is sent again (the wait a peer names is enough for one honest retry)."""


def _limited(wait: float) -> str:
    return f"rate limited: over this node's request quota for you; retry in {wait:.2f} s"


def _ms(wait: float) -> int:
    return max(1, int(wait * 1000) + 1)


class NodeHandler(Protocol):
    """What the network asks of the node."""

    def status(self) -> messages.Status: ...

    def on_gossip(self, topic: str, payload: object, peer: Peer) -> Verdict: ...

    def blocks_by_range(self, start_slot: int, count: int) -> list[bytes]: ...

    def blocks_by_root(self, roots: list[bytes]) -> list[bytes]: ...

    def on_peer_status(self, peer: Peer, status: messages.Status) -> None: ...

    def finalized_state(self, root: bytes = b"") -> tuple[int, bytes, bytes]: ...


@dataclass
class NetworkStats:
    received: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    banned: int = 0
    dropped_peers: int = 0
    rate_limited: dict[str, int] = field(default_factory=dict)
    """Requests refused per protocol: over the asking peer's rate limit."""


class Network:
    """See the module docstring. `peers_to_dial`: (host, port) of the peers to keep a connection to."""

    def __init__(
        self,
        handler: NodeHandler,
        *,
        listen: tuple[str, int],
        peers_to_dial: Iterable[tuple[str, int]] = (),
        snappy: bool = True,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.handler = handler
        self.listen = listen
        self.to_dial = list(peers_to_dial)
        self.snappy = snappy
        self.node_id = os.urandom(16)
        self.peers: dict[bytes, Peer] = {}
        self.seen = SeenCache()
        self.scores = Scores()
        self.limiter = RateLimiter() if limiter is None else limiter
        """Requests this node serves, per peer (`ratelimit`)."""
        self.stats = NetworkStats()
        self.blocked_ports: set[int] = set()
        """TEST HOOK (partition): peers whose listen port is here are disconnected and not dialed."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._inbound, self.listen[0], self.listen[1])
        sock = self._server.sockets[0].getsockname()
        self.listen = (self.listen[0], int(sock[1]))
        for address in self.to_dial:
            self._spawn(self._dial_loop(address))

    async def stop(self) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for peer in list(self.peers.values()):
            await peer.close(goodbye=messages.GOODBYE_SHUTDOWN)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- connections ---------------------------------------------------------------------------------------
    async def _inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping or len(self.peers) >= MAX_PEERS:
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._run_connection(Peer(reader, writer, inbound=True, snappy=self.snappy))
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _dial_loop(self, address: tuple[str, int]) -> None:
        while not self._stopping:
            if (
                address[1] not in self.blocked_ports
                and not self.scores.is_banned(address)
                and not any(
                    p.dialed == address or (p.status is not None and p.status.listen_port == address[1])
                    for p in self.peers.values()
                )
            ):
                try:
                    reader, writer = await asyncio.open_connection(*address)
                except OSError:
                    pass
                else:
                    await self._run_connection(Peer(reader, writer, inbound=False, snappy=self.snappy, dialed=address))
            await asyncio.sleep(REDIAL_SECONDS)

    def _check_status(self, peer: Peer, status: messages.Status) -> str | None:
        """Why the handshake `status` is refused (None: accepted)."""
        ours = self.handler.status()
        if status.genesis_root != ours.genesis_root or status.fork_version != ours.fork_version:
            return "wrong_chain"
        if status.node_id == self.node_id:
            return "self"
        if self.scores.is_banned(status.node_id) or self.scores.is_banned(("127.0.0.1", status.listen_port)):
            return "banned"
        if status.listen_port in self.blocked_ports:
            return "blocked"
        if status.node_id in self.peers:
            return "duplicate"
        return None

    async def _run_connection(self, peer: Peer) -> None:
        try:
            await peer.send_now(self._our_status())
            first = await asyncio.wait_for(peer.receive(), HANDSHAKE_SECONDS)
        except (FrameError, MessageError):
            self.stats.dropped_peers += 1
            log.info("peer %s: garbage before the handshake; dropped", peer.remote)
            await peer.close()
            return
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            await peer.close()
            return
        if not isinstance(first, messages.Status):
            log.info("peer %s: %s before the handshake; dropped", peer.remote, type(first).__name__)
            self.stats.dropped_peers += 1
            await peer.close(goodbye=messages.GOODBYE_FAULT)
            return
        why = self._check_status(peer, first)
        if why is not None:
            if why == "wrong_chain":
                peer.status = first
                self.stats.dropped_peers += 1
                self._penalize(peer, "wrong_chain")
                log.info("peer %s: another chain (genesis 0x%s); dropped", peer.remote, first.genesis_root.hex()[:8])
                await peer.close(goodbye=messages.GOODBYE_IRRELEVANT_NETWORK)
            else:
                await peer.close(goodbye=messages.GOODBYE_BANNED if why == "banned" else None)
            return
        peer.status = first
        self.peers[first.node_id] = peer
        peer.start_writer()
        log.info("peer %s connected (%s)", peer.name, "inbound" if peer.inbound else "outbound")
        try:
            self.handler.on_peer_status(peer, first)
            await self._read_loop(peer)
        finally:
            if self.peers.get(first.node_id) is peer:
                del self.peers[first.node_id]
            await peer.close()
            log.info("peer %s disconnected", peer.name)

    def _our_status(self) -> messages.Status:
        return msgspec.structs.replace(self.handler.status(), node_id=self.node_id, listen_port=self.listen[1])

    def _penalize(self, peer: Peer, what: str) -> bool:
        """Lower the peer's score; when it falls below the threshold, ban it (True: disconnect now)."""
        if not peer.node_id:
            return True
        if self.scores.penalize(peer.node_id, what) or what in ("bad_frame", "wrong_chain"):
            port = peer.status.listen_port if peer.status is not None else 0
            self.scores.ban(peer.node_id, *([("127.0.0.1", port)] if port else []))
            self.stats.banned += 1
            log.info("peer %s: banned (%s)", peer.name, what)
            return True
        return False

    async def _read_loop(self, peer: Peer) -> None:
        while not self._stopping and not peer.closed:
            try:
                message = await peer.receive()
            except FrameError as exc:
                log.info("peer %s: %s; dropped", peer.name, exc)
                self._penalize(peer, "bad_frame")
                return
            except MessageError as exc:
                log.info("peer %s: %s", peer.name, exc)
                if self._penalize(peer, "undecodable"):
                    return
                continue
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                return
            if peer.status is not None and peer.status.listen_port in self.blocked_ports:
                return
            try:
                if not self._dispatch(peer, message):
                    return
            except PeerOverflow as exc:
                log.warning("%s: disconnected", exc)
                return
            await asyncio.sleep(0)  # let the other peers and the slot loop in between messages

    def _dispatch(self, peer: Peer, message: messages.Message) -> bool:
        """Handle one message; False when the peer is to be disconnected."""
        match message:
            case messages.Gossip(topic=topic, data=data):
                return self._on_gossip(peer, topic, data)
            case messages.Ping(request_id=rid):
                peer.send(messages.Pong(rid))
            case messages.GetStatus(request_id=rid):
                peer.send(messages.StatusResponse(rid, self._our_status()))
            case messages.BlocksByRange(request_id=rid, start_slot=start, count=count):
                wait = self.limiter.allow(peer.node_id, "blocks_by_range", count)
                if wait:
                    peer.send(messages.Blocks(rid, [], _limited(wait), _ms(wait)), essential=True)
                    return self._over_limit(peer, "blocks_by_range")
                peer.send(messages.Blocks(rid, self.handler.blocks_by_range(start, count)), essential=True)
            case messages.BlocksByRoot(request_id=rid, roots=roots):
                wait = self.limiter.allow(peer.node_id, "blocks_by_root", len(roots))
                if wait:
                    peer.send(messages.Blocks(rid, [], _limited(wait), _ms(wait)), essential=True)
                    return self._over_limit(peer, "blocks_by_root")
                peer.send(messages.Blocks(rid, self.handler.blocks_by_root(roots)), essential=True)
            case messages.GetFinalizedState(request_id=rid, root=wanted):
                wait = self.limiter.allow(peer.node_id, "finalized_state")
                if wait:
                    refused = messages.FinalizedState(rid, 0, bytes(32), b"", _limited(wait), _ms(wait))
                    peer.send(refused, essential=True)
                    return self._over_limit(peer, "finalized_state")
                epoch, root, state = self.handler.finalized_state(wanted)
                peer.send(messages.FinalizedState(rid, epoch, root, state), essential=True)
            case (
                messages.Pong(request_id=rid)
                | messages.Blocks(request_id=rid)
                | messages.StatusResponse(request_id=rid)
                | messages.FinalizedState(request_id=rid)
            ):
                if isinstance(message, messages.StatusResponse):
                    if message.status.genesis_root != peer.status.genesis_root:  # type: ignore[union-attr]
                        return not self._penalize(peer, "wrong_chain")
                    peer.status = message.status
                    self.handler.on_peer_status(peer, message.status)
                if not peer.requests.resolve(rid, message):
                    return not self._penalize(peer, "bad_response")
            case messages.Goodbye(reason=reason):
                log.info("peer %s: goodbye (%d)", peer.name, reason)
                return False
            case messages.Status():
                return not self._penalize(peer, "undecodable")  # a second handshake: not a thing peers do
        return True

    def _over_limit(self, peer: Peer, protocol: str) -> bool:
        """A request refused by the rate limiter: the peer is penalised; False when it is now banned."""
        self.stats.rate_limited[protocol] = self.stats.rate_limited.get(protocol, 0) + 1
        log.info("peer %s: %s request over its rate limit; refused", peer.name, protocol)
        return not self._penalize(peer, "rate_limited")

    def _on_gossip(self, peer: Peer, topic: str, data: bytes) -> bool:
        self.stats.received[topic] = self.stats.received.get(topic, 0) + 1
        mid = messages.message_id(topic, data)
        if mid in self.seen:
            self.stats.duplicates += 1
            return True
        try:
            payload = messages.decode_payload(topic, data)
        except MessageError as exc:
            log.info("peer %s: %s", peer.name, exc)
            self.seen.add(mid)
            return not self._penalize(peer, "undecodable")
        verdict = self.handler.on_gossip(topic, payload, peer)
        if verdict is Verdict.IGNORE:
            return True  # not remembered: it may validate later (a parent that arrives)
        self.seen.add(mid)
        if verdict is Verdict.REJECT:
            self.stats.rejected[topic] = self.stats.rejected.get(topic, 0) + 1
            log.info("peer %s: invalid %s message", peer.name, topic)
            return not self._penalize(peer, "invalid_message")
        self.stats.accepted[topic] = self.stats.accepted.get(topic, 0) + 1
        self._flood(topic, data, exclude=peer)
        return True

    # -- publishing and requests ---------------------------------------------------------------------------
    def publish(self, topic: str, payload: object) -> None:
        """Send our own message (already validated: we made it) to every peer."""
        data = msgspec.msgpack.encode(payload)
        self.seen.add(messages.message_id(topic, data))
        self._flood(topic, data, exclude=None)

    def _flood(self, topic: str, data: bytes, *, exclude: Peer | None) -> None:
        encoded = messages.encode(messages.Gossip(topic, data))
        for peer in list(self.peers.values()):
            if peer is exclude:
                continue
            try:
                peer.send_encoded(encoded, essential=topic == messages.TOPIC_BLOCK)
            except PeerOverflow as exc:
                log.warning("%s: a block could not be queued; the peer is disconnected", exc)
                self._spawn(peer.close(goodbye=messages.GOODBYE_FAULT))

    async def request_blocks(
        self,
        peer: Peer,
        *,
        start_slot: int | None = None,
        count: int = 0,
        roots: list[bytes] | None = None,
        patient: bool = True,
    ) -> list[SignedBeaconBlock]:
        """Blocks by range (`start_slot`, `count` ≤ 128) or by root from `peer`. RequestError when it gives no
        usable answer (and the peer is penalised for blocks that do not decode). A request refused as over the
        peer's rate limit is sent again when the peer says it would serve it (at most `MAX_RATE_LIMIT_WAIT`
        seconds later, at most `MAX_RATE_LIMIT_RETRIES` times: a peer that refuses on and on gets RateLimited;
        `patient=False`: RateLimited at once)."""
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            rid, future = peer.requests.new()
            if roots is not None:
                peer.send(messages.BlocksByRoot(rid, roots[: messages.MAX_REQUEST_BLOCKS]))
            else:
                size = max(1, min(count, messages.MAX_REQUEST_BLOCKS))
                peer.send(messages.BlocksByRange(rid, start_slot or 0, size))
            response = self._expect(peer, await peer.requests.wait(rid, future), messages.Blocks)
            if not response.error:
                break
            if response.retry_after_ms:
                wait = response.retry_after_ms / 1000
                if patient and wait <= MAX_RATE_LIMIT_WAIT and attempt < MAX_RATE_LIMIT_RETRIES:
                    await asyncio.sleep(wait)
                    continue
                raise RateLimited(f"{peer.name} refused: {response.error}", retry_after=wait)
            raise RequestError(f"{peer.name} refused: {response.error}")
        try:
            return [msgspec.msgpack.decode(b, type=SignedBeaconBlock) for b in response.blocks]
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            if self._penalize(peer, "bad_response"):
                self._spawn(peer.close(goodbye=messages.GOODBYE_FAULT))
            raise RequestError(f"{peer.name} sent blocks that do not decode") from None

    def _expect(self, peer: Peer, response: object, kind: type[_R]) -> _R:
        """`response` as the kind of answer the request asked for; a peer that answered with another kind is
        penalised and RequestError raised."""
        if isinstance(response, kind):
            return response
        if self._penalize(peer, "bad_response"):
            self._spawn(peer.close(goodbye=messages.GOODBYE_FAULT))
        raise RequestError(f"{peer.name} answered a {kind.__name__} request with a {type(response).__name__}")

    async def request_finalized_state(self, peer: Peer, root: bytes = b"") -> messages.FinalizedState:
        """Checkpoint sync: the peer's finalized checkpoint and state — with `root`, the finalized state of that
        block if the peer still keeps it (RequestError when it has none)."""
        rid, future = peer.requests.new()
        peer.send(messages.GetFinalizedState(rid, root))
        response = self._expect(peer, await peer.requests.wait(rid, future, timeout=30.0), messages.FinalizedState)
        if response.error:
            raise RateLimited(f"{peer.name} refused: {response.error}", retry_after=response.retry_after_ms / 1000)
        if not response.state:
            raise RequestError(f"{peer.name} has no finalized state to serve")
        return response

    async def ping(self, peer: Peer) -> float:
        """Round-trip seconds of a Ping."""
        start = time.perf_counter()
        rid, future = peer.requests.new()
        peer.send(messages.Ping(rid))
        await peer.requests.wait(rid, future)
        return time.perf_counter() - start

    async def refresh_status(self, peer: Peer) -> messages.Status:
        rid, future = peer.requests.new()
        peer.send(messages.GetStatus(rid))
        response = self._expect(peer, await peer.requests.wait(rid, future), messages.StatusResponse)
        return response.status

    def block_peers(self, ports: set[int]) -> None:
        """TEST HOOK (partition switch): cut the links to peers listening on `ports`, until unblocked."""
        self.blocked_ports = set(ports)
        for peer in list(self.peers.values()):
            if peer.status is not None and peer.status.listen_port in ports:
                self._spawn(peer.close())
