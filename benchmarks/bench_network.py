"""The p2p network's figures (issue #15): gossip latency, sync speed and validation rate.

1. Gossip latency, 4 and 16 nodes: `Network` hosts on loopback in one process (one asyncio loop: the hops share
   one core, as on a busy machine), node i dialing up to 3 nodes before it (4 nodes: a full mesh; 16: a multi-hop
   graph). A node publishes a real signed block (64 validators, a slot's aggregate attestation) every 20 ms; the
   latency is publish → arrival at each other node (framing, snappy, decode, de-duplication and relay per hop;
   block validation is not included: see 3).
2. Sync speed: a late joiner at 64 validators fetches a chain of real blocks by range (128 per request) from a
   peer over loopback and verifies each in full (proposer and RANDAO signatures, the aggregate attestations, the
   state root). Target ≥ 200 blocks/s. Measured three ways: the node itself (`NodeRunner.sync` into a new data
   directory: storage, fork choice, mempool, as a late joiner does), the chain alone in memory with one
   signature batch per `SYNC_BATCH` blocks, and the chain alone block by block (the gossip path).
3. Messages one node validates per second: aggregates (committee resolution and the aggregate BLS signature,
   what `NodeRunner._on_aggregate` does) and blocks (the import of 2).

    .venv/bin/python benchmarks/bench_network.py [SYNC_BLOCKS]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from stakework.node.chain import Chain
from stakework.node.node import SYNC_BATCH, NetworkGenesis, NodeConfig, NodeRunner
from stakework.node.p2p import messages
from stakework.node.p2p.gossip import Verdict
from stakework.node.p2p.network import Network
from stakework.node.p2p.peer import Peer
from stakework.node.storage.db import anchor_root
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.attestation import get_attesting_indices, is_valid_indexed_attestation
from stakework.transition.block.block import Attestation, IndexedAttestation, SignedBeaconBlock
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block

VALIDATORS = 64


class _Handler:
    """A node for the network layer alone: accepts every gossip message, serves blocks from a list."""

    def __init__(self, genesis_root: bytes, blocks: list[SignedBeaconBlock] | None = None) -> None:
        self.genesis_root = genesis_root
        self.blocks = [msgspec.msgpack.encode(b) for b in blocks or []]
        self.slots = [b.message.slot for b in blocks or []]
        self.arrivals: dict[bytes, float] = {}

    def status(self) -> messages.Status:
        head = self.slots[-1] if self.slots else 0
        root = b"\x01" * 32
        return messages.Status(self.genesis_root, b"SW\x00\x00", 0, root, head, root, b"\x00" * 16)

    def on_gossip(self, topic: str, payload: object, peer: Peer) -> Verdict:
        assert isinstance(payload, SignedBeaconBlock)
        self.arrivals[payload.signature] = time.perf_counter()
        return Verdict.ACCEPT

    def blocks_by_range(self, start_slot: int, count: int) -> list[bytes]:
        return [b for b, s in zip(self.blocks, self.slots, strict=True) if start_slot <= s < start_slot + count]

    def blocks_by_root(self, roots: list[bytes]) -> list[bytes]:
        return []

    def on_peer_status(self, peer: Peer, status: messages.Status) -> None:
        pass

    def finalized_state(self, root: bytes = b"") -> tuple[int, bytes, bytes]:
        return 0, b"\x00" * 32, b""


SLOT_SECONDS = 1.0
GENESIS = NetworkGenesis(
    genesis_time=int(time.time()) - 100_000, preset=DEVNET.PRESET_NAME, validators=VALIDATORS, slot_seconds=SLOT_SECONDS
)
"""A network whose clock is far enough ahead for any chain built here (a node does not follow a head from the
future)."""


def build_chain(n: int) -> tuple[BeaconState, list[SignedBeaconBlock]]:
    """`n` blocks, one per slot, each with the previous slot's aggregate, on the genesis a node of `GENESIS`
    has (modules, funded accounts)."""
    g = GENESIS
    genesis = devnet_genesis(
        DEVNET, VALIDATORS, genesis_time=g.genesis_time, funded_accounts=g.funded_accounts, modules=g.modules
    )
    work = genesis.copy()
    blocks: list[SignedBeaconBlock] = []
    atts: list[Attestation] = []
    for slot in range(1, n + 1):
        block = build_block(work, slot, attestations=atts)
        state_transition(work, block, verify_signatures=False)
        blocks.append(block)
        atts = attestations_for_slot(work, block.message.hash_tree_root())
    return genesis, blocks


async def gossip_latency(nodes: int, block: SignedBeaconBlock, messages_count: int = 100) -> list[float]:
    handlers = [_Handler(b"\x00" * 32) for _ in range(nodes)]
    hosts: list[Network] = []
    for i in range(nodes):
        dial = [("127.0.0.1", hosts[j].listen[1]) for j in range(max(0, i - 3), i)]
        host = Network(handlers[i], listen=("127.0.0.1", 0), peers_to_dial=dial)
        await host.start()
        hosts.append(host)
    while sum(len(h.peers) for h in hosts) < 2 * sum(min(i, 3) for i in range(nodes)):
        await asyncio.sleep(0.05)
    latencies: list[float] = []
    for k in range(messages_count):
        signature = k.to_bytes(4, "big") + block.signature[4:]  # a distinct message each time
        sent = time.perf_counter()
        hosts[k % nodes].publish(messages.TOPIC_BLOCK, msgspec.structs.replace(block, signature=signature))
        await asyncio.sleep(0.02)
        for i, h in enumerate(handlers):
            if i != k % nodes and signature in h.arrivals:
                latencies.append(h.arrivals[signature] - sent)
    await asyncio.sleep(0.2)
    for host in hosts:
        await host.stop()
    return latencies


async def sync_speed(
    genesis: BeaconState, blocks: list[SignedBeaconBlock], *, batched: bool = True
) -> tuple[int, float]:
    server = Network(_Handler(b"\x00" * 32, blocks), listen=("127.0.0.1", 0))
    await server.start()
    client = Network(_Handler(b"\x00" * 32), listen=("127.0.0.1", 0), peers_to_dial=[server.listen])
    await client.start()
    while not client.peers:
        await asyncio.sleep(0.01)
    peer = next(iter(client.peers.values()))
    chain = Chain(genesis.copy())
    start = time.perf_counter()
    imported = 0
    slot = 1
    while slot <= blocks[-1].message.slot:
        got = await client.request_blocks(peer, start_slot=slot, count=messages.MAX_REQUEST_BLOCKS)
        if batched:  # as NodeRunner.sync does: one signature batch per SYNC_BATCH blocks
            for i in range(0, len(got), SYNC_BATCH):
                part = got[i : i + SYNC_BATCH]
                imported += len(chain.import_blocks(part, current_slot=part[-1].message.slot))
        else:  # the gossip path, block by block
            for block in got:
                chain.import_block(block, current_slot=block.message.slot, timely=False)
                imported += 1
        slot += messages.MAX_REQUEST_BLOCKS
    seconds = time.perf_counter() - start
    await client.stop()
    await server.stop()
    return imported, seconds


async def node_sync_speed(genesis: BeaconState, blocks: list[SignedBeaconBlock], data_dir: Path) -> tuple[int, float]:
    """A late joiner: a `NodeRunner` with a new data directory and no keys syncs from a peer serving `blocks`."""
    root = anchor_root(genesis)
    head = blocks[-1].message
    server_node = _Handler(root, blocks)
    server_node.status = lambda: messages.Status(  # type: ignore[method-assign]
        root, bytes(genesis.fork_current_version), 0, root, head.slot, head.hash_tree_root(), b"\x00" * 16
    )
    server = Network(server_node, listen=("127.0.0.1", 0))
    await server.start()
    runner = NodeRunner(NodeConfig(data_dir, GENESIS, peers=(server.listen,), keys_dir=data_dir / "no-keys"))
    await runner.network.start()
    while not any(p.status is not None for p in runner.network.peers.values()):
        await asyncio.sleep(0.01)
    start = time.perf_counter()
    imported = await runner.sync()
    seconds = time.perf_counter() - start
    assert runner.chain.head_root == head.hash_tree_root(), "the node did not reach the served head"
    await runner.network.stop()
    await server.stop()
    runner.client.protection.close()
    if runner.chain.store is not None:
        runner.chain.store.close()
    return imported, seconds


def aggregates_per_second(genesis: BeaconState, blocks: list[SignedBeaconBlock]) -> float:
    state = genesis.copy()
    pairs: list[tuple[BeaconState, Attestation]] = []
    for block in blocks[:64]:
        state_transition(state, block, verify_signatures=False)
        pairs += [(state.copy(), a) for a in block.message.body.attestations]
    start = time.perf_counter()
    for s, a in pairs:
        indices = [int(i) for i in get_attesting_indices(s, a)]
        assert is_valid_indexed_attestation(s, IndexedAttestation(indices, a.data, a.signature))
    return len(pairs) / (time.perf_counter() - start)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(sync_blocks: int = 512) -> None:
    t0 = time.perf_counter()
    genesis, blocks = build_chain(sync_blocks)
    print(f"built {len(blocks)} blocks at {VALIDATORS} validators in {time.perf_counter() - t0:.1f} s")
    for nodes in (4, 16):
        lat = asyncio.run(gossip_latency(nodes, blocks[-1]))
        print(
            f"gossip latency, {nodes} nodes: p50 {statistics.median(lat) * 1000:.2f} ms, p99 "
            f"{_pct(lat, 0.99) * 1000:.2f} ms ({len(lat)} deliveries; block of "
            f"{len(msgspec.msgpack.encode(blocks[-1]))} bytes)"
        )
    print(f"load average before the sync runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp:
        n, seconds = asyncio.run(node_sync_speed(genesis, blocks, Path(tmp) / "late-joiner"))
    print(
        f"sync, the node (NodeRunner.sync into a new data directory): {n} blocks in {seconds:.2f} s = "
        f"{n / seconds:.0f} blocks/s"
    )
    n, seconds = asyncio.run(sync_speed(genesis, blocks, batched=False))
    one_by_one = n / seconds
    print(f"sync by range, chain in memory, block by block: {n} blocks in {seconds:.2f} s = {one_by_one:.0f} blocks/s")
    n, seconds = asyncio.run(sync_speed(genesis, blocks))
    print(
        f"sync by range, chain in memory, one signature batch per {SYNC_BATCH} blocks: {n} blocks in "
        f"{seconds:.2f} s = {n / seconds:.0f} blocks/s (x{n / seconds / one_by_one:.2f})"
    )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    chain = Chain(genesis.copy())
    start = time.perf_counter()
    for block in blocks:
        chain.import_block(block, current_slot=block.message.slot, timely=False)
    seconds = time.perf_counter() - start
    print(f"baseline, the same blocks imported without the network: {len(blocks) / seconds:.0f} blocks/s")
    print(f"aggregates validated: {aggregates_per_second(genesis, blocks):.0f}/s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
