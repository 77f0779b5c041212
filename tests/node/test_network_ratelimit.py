"""Request rate limits per peer (`node.p2p.ratelimit`, as Lighthouse's RPC rate limiter): a request over the
quota gets an error answer and costs the peer score; a peer that keeps asking is banned. The limiter's clock is
scripted (no timed assertions)."""

from __future__ import annotations

import asyncio

import pytest

from stakework.node.p2p import messages
from stakework.node.p2p.frames import encode_frame, read_frame
from stakework.node.p2p.gossip import Verdict
from stakework.node.p2p.network import Network
from stakework.node.p2p.peer import Peer
from stakework.node.p2p.ratelimit import BLOCKS_BY_RANGE_REQUESTS, RateLimiter
from stakework.node.p2p.reqresp import RateLimited, RequestError
from stakework.node.p2p.scoring import PENALTIES

GENESIS = b"\x07" * 32


class _Node:
    """A network handler that serves no blocks (the limiter counts what is asked for, not what is found)."""

    def status(self) -> messages.Status:
        return messages.Status(GENESIS, b"SW\x00\x00", 0, GENESIS, 0, GENESIS, b"\x00" * 16)

    def on_gossip(self, topic: str, payload: object, peer: Peer) -> Verdict:
        return Verdict.IGNORE

    def blocks_by_range(self, start_slot: int, count: int) -> list[bytes]:
        return []

    def blocks_by_root(self, roots: list[bytes]) -> list[bytes]:
        return []

    def on_peer_status(self, peer: Peer, status: messages.Status) -> None:
        pass

    def finalized_state(self, root: bytes = b"") -> tuple[int, bytes, bytes]:
        return 1, GENESIS, b"state"


def test_rate_limiter__requests_and_blocks_buckets__refused_when_either_is_empty_and_served_after_the_wait() -> None:
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    peer, other = b"a" * 16, b"b" * 16
    for _ in range(40):  # 40 × 128 blocks: the blocks bucket (5,120 per 10 s) is empty, the requests one is not
        assert limiter.allow(peer, "blocks_by_range", 128) == 0.0
    wait = limiter.allow(peer, "blocks_by_range", 128)
    assert wait == pytest.approx(0.25)  # 128 blocks at 512 per second
    assert limiter.allow(peer, "blocks_by_range", 1) > 0  # nothing was taken by the refusal, nothing is left
    assert limiter.allow(other, "blocks_by_range", 128) == 0.0  # per peer
    now[0] += wait
    assert limiter.allow(peer, "blocks_by_range", 128) == 0.0

    fresh = b"c" * 16
    for _ in range(int(BLOCKS_BY_RANGE_REQUESTS.amount)):  # the requests bucket: 50 per 10 s
        assert limiter.allow(fresh, "blocks_by_range", 1) == 0.0
    assert limiter.allow(fresh, "blocks_by_range", 1) == pytest.approx(0.2)
    assert limiter.allow(fresh, "finalized_state") == 0.0  # each protocol its own buckets


def test_blocks_by_range__peer_over_its_quota__error_answer_penalty_then_banned() -> None:
    async def scenario() -> None:
        frozen = RateLimiter(clock=lambda: 0.0)  # no refill: the quota is all there is
        server = Network(_Node(), listen=("127.0.0.1", 0), limiter=frozen)
        await server.start()
        client = Network(_Node(), listen=("127.0.0.1", 0), peers_to_dial=[server.listen])
        await client.start()
        try:
            for _ in range(200):
                if client.peers and server.peers:
                    break
                await asyncio.sleep(0.02)
            peer = next(iter(client.peers.values()))
            for _ in range(40):  # within the quota: served
                assert await client.request_blocks(peer, start_slot=1, count=128) == []
            with pytest.raises(RateLimited) as refused:
                await client.request_blocks(peer, start_slot=1, count=128, patient=False)
            assert "rate limited" in str(refused.value)
            assert refused.value.retry_after > 0
            assert server.stats.rate_limited == {"blocks_by_range": 1}
            assert server.scores.score(client.node_id) == pytest.approx(PENALTIES["rate_limited"], abs=1.0)
            assert client.peers  # one refusal: still connected

            for _ in range(20):  # asking on regardless: banned and disconnected
                if peer.closed:
                    break
                try:
                    await client.request_blocks(peer, start_slot=1, count=128, patient=False)
                except RateLimited:
                    continue
                except RequestError:  # the connection was closed
                    break
            assert server.scores.is_banned(client.node_id)
            for _ in range(200):
                if not server.peers:
                    break
                await asyncio.sleep(0.02)
            assert not server.peers
            # -10 each: at -100 the peer is banned (scores recover 1 point a second meanwhile)
            assert 10 <= server.stats.rate_limited["blocks_by_range"] <= 12
        finally:
            await client.stop()
            await server.stop()

    asyncio.run(scenario())


def test_finalized_state__asked_over_its_quota__refused_with_rate_limited() -> None:
    async def scenario() -> None:
        server = Network(_Node(), listen=("127.0.0.1", 0), limiter=RateLimiter(clock=lambda: 0.0))
        await server.start()
        client = Network(_Node(), listen=("127.0.0.1", 0), peers_to_dial=[server.listen])
        await client.start()
        try:
            for _ in range(200):
                if client.peers:
                    break
                await asyncio.sleep(0.02)
            peer = next(iter(client.peers.values()))
            for _ in range(4):
                assert (await client.request_finalized_state(peer)).state == b"state"
            with pytest.raises(RateLimited):
                await client.request_finalized_state(peer)
        finally:
            await client.stop()
            await server.stop()

    asyncio.run(scenario())


def test_request_blocks__refused_as_over_the_limit__waits_the_time_it_is_told_and_is_served() -> None:
    async def scenario() -> None:
        now = [0.0]
        server = Network(_Node(), listen=("127.0.0.1", 0), limiter=RateLimiter(clock=lambda: now[0]))
        await server.start()
        client = Network(_Node(), listen=("127.0.0.1", 0), peers_to_dial=[server.listen])
        await client.start()
        try:
            for _ in range(200):
                if client.peers:
                    break
                await asyncio.sleep(0.02)
            peer = next(iter(client.peers.values()))
            for _ in range(40):
                await client.request_blocks(peer, start_slot=1, count=128)
            asking = asyncio.create_task(client.request_blocks(peer, start_slot=1, count=128))
            for _ in range(500):  # refused once (the blocks bucket is empty) ...
                if server.stats.rate_limited.get("blocks_by_range"):
                    break
                await asyncio.sleep(0.01)
            assert server.stats.rate_limited["blocks_by_range"] >= 1
            now[0] += 10.0  # ... the time it was told (0.25 s) passes on the server's clock ...
            assert await asyncio.wait_for(asking, 30) == []  # ... and the request sent again is served
            assert not server.scores.is_banned(client.node_id)
        finally:
            await client.stop()
            await server.stop()

    asyncio.run(scenario())


class _AlwaysRefusing(RateLimiter):
    """A peer's limiter that refuses every request for a millisecond: a peer that never serves."""

    def allow(self, peer: bytes, protocol: str, blocks: int = 0) -> float:
        return 0.001


def test_request_blocks__peer_refusing_on_and_on__rate_limited_after_three_retries_not_a_loop() -> None:
    async def scenario() -> None:
        server = Network(_Node(), listen=("127.0.0.1", 0), limiter=_AlwaysRefusing())
        await server.start()
        client = Network(_Node(), listen=("127.0.0.1", 0), peers_to_dial=[server.listen])
        await client.start()
        try:
            for _ in range(200):
                if client.peers:
                    break
                await asyncio.sleep(0.02)
            peer = next(iter(client.peers.values()))
            with pytest.raises(RateLimited):
                await asyncio.wait_for(client.request_blocks(peer, start_slot=1, count=8), 30)
            assert server.stats.rate_limited == {"blocks_by_range": 4}  # the request and three retries
        finally:
            await client.stop()
            await server.stop()

    asyncio.run(scenario())


def test_request_blocks__peer_answers_with_another_kind__request_error_and_penalty_not_a_crash() -> None:
    async def scenario() -> None:
        async def liar(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            status = messages.Status(GENESIS, b"SW\x00\x00", 0, GENESIS, 0, GENESIS, b"\x09" * 16, 1)
            writer.write(encode_frame(messages.encode(status)))
            while True:
                try:
                    message = messages.decode(await read_frame(reader))
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                if isinstance(message, messages.BlocksByRange):  # answered with a Pong of the same id
                    writer.write(encode_frame(messages.encode(messages.Pong(message.request_id))))
                    await writer.drain()

        server = await asyncio.start_server(liar, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Network(_Node(), listen=("127.0.0.1", 0), peers_to_dial=[("127.0.0.1", port)])
        await client.start()
        try:
            for _ in range(200):
                if client.peers:
                    break
                await asyncio.sleep(0.02)
            peer = next(iter(client.peers.values()))
            with pytest.raises(RequestError, match="answered a Blocks request with a Pong"):
                await client.request_blocks(peer, start_slot=1, count=8)
            assert client.scores.score(b"\x09" * 16) < 0
        finally:
            await client.stop()
            server.close()

    asyncio.run(scenario())
