"""Fault tests of nodes that run apart (issue #15): real `stakework node` processes on loopback, short slots
(0.5 s, the devnet preset's 8-slot epochs), 16 validators. Each test is bounded: it waits for what it checks with a
safety net in slots, and stops its nodes by itself."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support.network import SPE, Line, NodeNetwork, parse

from stakework.transition.block.block import SignedBeaconBlock

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time


def _finalized_never_reverts(lines: list[Line]) -> None:
    finalized = [line.finalized for line in lines]
    assert finalized == sorted(finalized), f"finalized epoch went back: {finalized}"


def test_devnet_nodes__four_nodes_online__finalize_two_epochs_behind_with_a_block_almost_every_slot(
    tmp_path: Path,
) -> None:
    """Fault test 1: `stakework devnet --nodes 4`: finalized epoch >= 2 by epoch 4, then finalized = current - 2;
    a block in almost every slot; every node on one head."""
    from tests.support.network import free_ports

    (p2p,) = free_ports(1)
    slots = 6 * SPE
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "devnet",
            "--nodes",
            "4",
            "-n",
            "16",
            "--slot-seconds",
            "0.5",
            "--slots",
            str(slots),
            "-d",
            str(tmp_path / "net"),
            "--p2p-port",
            str(p2p),
            "--no-http",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,  # a safety net: the run ends by itself after --slots
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines: dict[int, list[Line]] = {i: [] for i in range(4)}
    for text in proc.stdout.splitlines():
        if text.startswith("[node-"):
            node = int(text[6 : text.index("]")])
            line = parse(node, text)
            if line is not None:
                lines[node].append(line)
    for i in range(4):
        assert lines[i], f"node-{i} printed no slot line"
        _finalized_never_reverts(lines[i])
        for line in lines[i]:
            if line.epoch >= 4:
                assert line.finalized >= 2, line
            if line.epoch >= 4 and line.slot % SPE >= 1:  # after the epoch's first block has been processed
                assert line.finalized == line.epoch - 2, line
    # Which slots got a block: every node's head follows the chain; the proposer's node says "proposed".
    proposed = {line.slot for i in range(4) for line in lines[i] if line.proposed}
    run = {line.slot for i in range(4) for line in lines[i]}
    assert len(proposed) >= 0.9 * len(run), f"blocks in {len(proposed)} of {len(run)} slots"
    ends = {lines[i][-1].slot: set() for i in range(4)}
    last_common = min(lines[i][-1].slot for i in range(4)) - 1
    heads = {line.root for i in range(4) for line in lines[i] if line.slot == last_common}
    assert len(heads) == 1, f"heads at slot {last_common}: {heads} ({ends})"


class _RawPeer:
    """A hand-driven connection to a node (the test plays a bad peer)."""

    def __init__(self, port: int) -> None:
        import socket

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> object:
        """The next message, or None when the node closed the connection."""
        from stakework.node.p2p import messages
        from stakework.node.p2p.frames import decode_payload

        header = self._exactly(5)
        if header is None:
            return None
        body = self._exactly(int.from_bytes(header[:4], "big"))
        if body is None:
            return None
        return messages.decode(decode_payload(header[4], body))

    def _exactly(self, n: int) -> bytes | None:
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except (ConnectionResetError, TimeoutError):
                return None
            if not chunk:
                return None
            out += chunk
        return out

    def closed_by_node(self) -> bool:
        """Whether the node closes the connection (reads until it does; a safety net of 10 s of silence, and of
        60 s in all while the node keeps sending)."""
        import time

        from stakework.node.p2p import messages

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = self.receive()
            if message is None:
                return True
            if isinstance(message, messages.Goodbye):
                continue
        return False

    def close(self) -> None:
        self.sock.close()


def _bad_signature_blocks(net: NodeNetwork, status: object, count: int) -> tuple[list[bytes], int]:
    """`count` blocks for the current slots by validators of node-1 (not running), valid but for their signature:
    the chain is replayed from node-0's blocks (by range, as a syncing node would). Returns them and their slot."""
    import msgspec

    from stakework.crypto.slashing_protection import SlashingProtection
    from stakework.node.chain import Chain
    from stakework.node.devnet import load_node_keys
    from stakework.node.node import NetworkGenesis
    from stakework.node.p2p import messages
    from stakework.node.validator import ValidatorClient
    from stakework.spec.presets import DEVNET
    from stakework.transition.genesis import devnet_genesis

    g = NetworkGenesis.read(net.data / "genesis.json")
    genesis = devnet_genesis(
        DEVNET, g.validators, genesis_time=g.genesis_time, funded_accounts=g.funded_accounts, modules=g.modules
    )
    chain = Chain(genesis)
    peer = _RawPeer(net.ports[0])
    peer.receive()  # its status
    peer.send(_frame(_as_peer(status, b"\x07" * 16)))  # type: ignore[type-var]
    # The node's chain, replayed; again from the replayed head until nothing is new (on a loaded machine the first
    # replay takes long enough for the node to move on, and a forged block on a parent it has since pruned below
    # finality would be IGNOREd, its parent fetched, and never penalised).
    for request in range(2, 6):
        peer.send(_frame(messages.BlocksByRange(request, chain.head_state.slot + 1, 128)))
        while not isinstance(reply := peer.receive(), messages.Blocks):
            assert reply is not None, "node-0 closed the connection of an honest peer"
        for data in reply.blocks:
            chain.import_block(msgspec.msgpack.decode(data, type=SignedBeaconBlock), current_slot=10**6)
        if not reply.blocks:
            break
    peer.close()
    client = ValidatorClient(
        load_node_keys(net.data / "node-1" / "keys"),
        SlashingProtection(net.data / "test-protection.sqlite", genesis.genesis_validators_root),
    )
    out: list[bytes] = []
    # Not before the wall clock's slot: on a loaded machine the replay above takes long enough for the node to move
    # on, and blocks for slots at or below its finalized slot are IGNOREd (not penalised), so the ban never came.
    wall_slot = int((time.time() - g.genesis_time) // g.slot_seconds)
    slot = max(chain.head_state.slot + 1, wall_slot + 1)
    while len(out) < count:
        block = client.propose(chain.state_at_slot(slot), [])
        slot += 1
        if block is None:
            continue
        for k in range(count - len(out)):
            forged = msgspec.structs.replace(block, signature=bytes([0xA0 + k]) + block.signature[1:])
            out.append(msgspec.msgpack.encode(forged))
    return out, slot - 1


def _as_peer(status: object, node_id: bytes) -> object:
    """Another node's Status for the same chain (the node's own, with another id and no listen port)."""
    import msgspec

    return msgspec.structs.replace(status, node_id=node_id, listen_port=0)  # type: ignore[type-var]


def _frame(message: object) -> bytes:
    from stakework.node.p2p import messages
    from stakework.node.p2p.frames import encode_frame

    return encode_frame(messages.encode(message))  # type: ignore[arg-type]


def test_bad_peer__oversized_frame_garbage_wrong_genesis_bad_signature__dropped_and_the_node_goes_on(
    tmp_path: Path,
) -> None:
    """Fault test 6: a peer that sends an oversized frame, random bytes, a Status of another chain, or blocks with
    bad signatures is disconnected (the last one banned once its score is spent); the node keeps running its slots
    and still takes an honest peer."""
    import os

    import msgspec

    from stakework.node.p2p import messages
    from stakework.node.p2p.frames import MAX_PAYLOAD_SIZE

    net = NodeNetwork(tmp_path / "net", nodes=2)
    net.start(0)
    try:
        net.wait_for("node-0's first slots", lambda: len(net.lines[0]) >= 2, 20)
        # 1. an oversized frame: the length alone gets it dropped
        peer = _RawPeer(net.ports[0])
        status = peer.receive()
        assert isinstance(status, messages.Status)
        peer.send((MAX_PAYLOAD_SIZE + 1).to_bytes(4, "big") + b"\x00")
        assert peer.closed_by_node()
        # 2. random bytes
        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(os.urandom(64))
        assert peer.closed_by_node()
        # 2b. a message nested past the decoder's recursion (an unknown field): refused as undecodable, and the
        # peer's read loop goes on (it died of the RecursionError before)
        from stakework.node.p2p.frames import encode_frame

        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(_frame(_as_peer(status, b"\x05" * 16)))
        peer.send(encode_frame(b"\x81\xa1a" + b"\x91" * 100_000 + b"\x01"))
        peer.send(_frame(messages.Ping(7)))
        while (reply := peer.receive()) != messages.Pong(7):
            assert reply is not None and not isinstance(reply, messages.Goodbye), reply
        peer.close()
        # 3. another chain's Status: goodbye (irrelevant network), then closed
        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(_frame(msgspec.structs.replace(_as_peer(status, b"\x02" * 16), genesis_root=b"\x01" * 32)))
        assert peer.receive() == messages.Goodbye(messages.GOODBYE_IRRELEVANT_NETWORK)
        assert peer.closed_by_node()
        # 4. blocks with bad signatures: each rejected and penalised, the fourth gets the peer banned
        forged, forged_slot = _bad_signature_blocks(net, status, 4)
        # A block from the future is IGNOREd, not rejected (gossip's clock-disparity rule): send them in their slot.
        net.wait_for("the forged blocks' slot", lambda: (net.last(0) or _NONE).slot >= forged_slot, 40)
        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(_frame(_as_peer(status, b"\x03" * 16)))
        for data in forged:
            peer.send(_frame(messages.Gossip(messages.TOPIC_BLOCK, data)))
        log_path = net.data / "node-0" / "node.log"
        assert peer.closed_by_node(), f"forged blocks at slot {forged_slot}: not banned\n{log_path.read_text()[-3000:]}"
        log = log_path.read_text()
        assert log.count("invalid beacon_block message") == 4, log[-2000:]
        assert "banned (invalid_message)" in log
        # the banned node id is turned away at the handshake
        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(_frame(_as_peer(status, b"\x03" * 16)))
        assert peer.receive() == messages.Goodbye(messages.GOODBYE_BANNED)
        # the node goes on: more slots, and an honest peer is served
        seen = len(net.lines[0])
        net.wait_for("node-0's next slots", lambda: len(net.lines[0]) >= seen + 2, 20)
        peer = _RawPeer(net.ports[0])
        peer.receive()
        peer.send(_frame(_as_peer(status, b"\x04" * 16)))
        peer.send(_frame(messages.Ping(9)))
        while (reply := peer.receive()) != messages.Pong(9):
            assert reply is not None and not isinstance(reply, messages.Goodbye), reply
        peer.close()
        assert net.procs[0].poll() is None
    finally:
        net.stop_all()


def _stored_chain(node_dir: Path, up_to_slot: int) -> list[tuple[int, bytes, int]]:
    """(slot, root, transactions) of the blocks a stopped node's store holds on its head chain up to a slot."""
    from stakework.node.storage import ChainStore

    store = ChainStore.open_readonly(node_dir)
    try:
        blocks = store.blocks_by_range(0, up_to_slot + 1)
    finally:
        store.close()
    return [(b.message.slot, b.message.hash_tree_root(), len(b.message.body.transactions)) for b in blocks]


def test_kill9_one_of_four_under_load__others_finalize__it_restarts_syncs_and_follows(tmp_path: Path) -> None:
    """Fault test 2: node-3 is killed with SIGKILL while node-0 submits transfers; the other three keep
    finalizing; node-3 restarts from its data directory, syncs and follows the head again. No node's finalized
    epoch ever goes back, and every node ends with the same finalized blocks (no committed transaction lost)."""
    net = NodeNetwork(tmp_path / "net", nodes=4)
    for i in range(4):
        net.start(i, *(["--load", "4"] if i == 0 else []))
    try:
        net.wait_for(
            "finality before the kill", lambda: all((net.last(i) or _NONE).finalized >= 1 for i in range(4)), 48
        )
        net.kill(3)
        at_kill = net.last(0).finalized  # type: ignore[union-attr]
        net.wait_for("the three finalizing on", lambda: (net.last(0) or _NONE).finalized >= at_kill + 2, 40)
        seen = len(net.lines[3])
        net.start(3)

        def follows() -> bool:
            after = net.lines[3][seen:]
            return len(after) >= 3 and all(line.head >= line.slot - 1 for line in after[-2:])

        net.wait_for("node-3 following the head after its restart", follows, 60)
        restarted = net.lines[3][seen]
        assert restarted.head >= restarted.slot - 1, f"node-3 acted before it synced: {restarted}"
    finally:
        net.stop_all()
    for i in range(4):
        _finalized_never_reverts(net.lines[i])
    finalized_slot = min(net.lines[i][-1].finalized for i in range(4)) * SPE
    chains = [_stored_chain(net.data / f"node-{i}", finalized_slot) for i in range(4)]
    assert all(chain == chains[0] for chain in chains), "the nodes' finalized blocks differ"
    assert sum(txs for _, _, txs in chains[0]) > 0, "no transaction was committed under the load"


_NONE = Line(-1, -1, -1, False, -1, "", -1, -1, 0.0, 0, 0, 0, 0)


def test_late_joiner__empty_data_dir_at_epoch_8__syncs_then_attests(tmp_path: Path) -> None:
    """Fault test 5: three of four nodes run (75 % of the validators: they finalize); node-3 starts at epoch 8 with
    an empty data directory, syncs every block before its validators act, then attests (participation 100 %)."""
    net = NodeNetwork(tmp_path / "net", nodes=4)
    for i in range(3):
        net.start(i)
    try:
        net.wait_for("epoch 8", lambda: (net.last(0) or _NONE).epoch >= 8, 8 * SPE + 16)
        assert not (net.data / "node-3" / "chain.sqlite").exists()
        assert 70 <= net.last(0).participation <= 80  # type: ignore[union-attr]
        join_slot = net.last(0).slot  # type: ignore[union-attr]
        net.start(3)
        net.wait_for("node-3's first slot", lambda: len(net.lines[3]) >= 1, 40)
        first = net.lines[3][0]
        assert first.head >= join_slot - 1, f"node-3 acted before syncing: {first}"
        net.wait_for(
            "node-3's votes in the others' chain",
            lambda: (net.last(0) or _NONE).participation >= 99.9 and (net.last(3) or _NONE).finalized >= 6,
            4 * SPE,
        )
    finally:
        net.stop_all()
    finalized_slot = min(net.lines[i][-1].finalized for i in (0, 3)) * SPE
    stored = [_stored_chain(net.data / f"node-{i}", finalized_slot) for i in (0, 3)]
    assert stored[0] == stored[1], "node-3's finalized blocks differ from node-0's"
    # the same head as node-0 at one of the last slots both printed (a loaded machine can print a slot's line
    # before that slot's block arrived, on one node and not the other)
    last = min(net.lines[0][-1].slot, net.lines[3][-1].slot)

    def roots(i: int, slot: int) -> set[str]:
        return {line.root for line in net.lines[i] if line.slot == slot}

    agree = [slot for slot in range(last - 4, last + 1) if roots(0, slot) and roots(0, slot) == roots(3, slot)]
    assert agree, f"node-3 is not on node-0's head at any of slots {last - 4}..{last}: {net.lines[3][-8:]}"


def test_partition_two_two__finality_stops_heads_diverge__after_heal_one_head_and_finality(tmp_path: Path) -> None:
    """Fault test 3: a 2 | 2 partition (each node's link switch): neither side holds 2/3, finality stops and the
    heads diverge; after the heal every node converges on one head and finality resumes. No honest validator is
    slashed."""
    net = NodeNetwork(tmp_path / "net", nodes=4)
    for i in range(4):
        net.start(i)
    try:
        net.wait_for("finality", lambda: all((net.last(i) or _NONE).finalized >= 1 for i in range(4)), 48)
        net.partition({0, 1}, {2, 3})
        cut = max(net.last(i).finalized for i in range(4))  # type: ignore[union-attr]
        start = net.last(0).slot  # type: ignore[union-attr]
        net.wait_for("3 epochs of partition", lambda: (net.last(0) or _NONE).slot >= start + 3 * SPE, 3 * SPE)
        during = [line for i in range(4) for line in net.lines[i] if line.slot > start + SPE]
        assert max(line.finalized for line in during) <= cut + 1, "finality went on without 2/3"
        slot = min(net.last(i).slot for i in range(4)) - 1  # type: ignore[union-attr]
        roots = {i: {line.root for line in net.lines[i] if line.slot == slot} for i in range(4)}
        assert roots[0] != roots[2], f"the heads did not diverge: {roots}"
        net.heal()
        healed = net.last(0).slot  # type: ignore[union-attr]

        def one_head_and_finality() -> bool:
            last = [net.last(i) or _NONE for i in range(4)]
            common = min(line.slot for line in last) - 1
            heads = {line.root for i in range(4) for line in net.lines[i] if line.slot == common}
            return common > healed and len(heads) == 1 and min(line.finalized for line in last) >= cut + 2

        net.wait_for("one head and finality after the heal", one_head_and_finality, 6 * SPE)
    finally:
        net.stop_all()
    # (slashing protection may refuse a vote after the heal: a validator that voted for a target of the epoch on
    # its side's fork is asked for the other fork's target of the same epoch; refusing it is what keeps it safe)
    slashed = [line for i in range(4) for line in net.lines[i] if line.slashed]
    assert not slashed, f"an honest validator was slashed: {slashed[:4]}"
    for i in range(4):
        _finalized_never_reverts(net.lines[i])


def test_equivocating_node__its_double_votes_gossiped__slashed_by_the_others(tmp_path: Path) -> None:
    """Fault test 4: node-3 runs with --equivocate 2 (its last two validators double-vote); the others see both
    votes by gossip, their proposers include the slashing, and every node's head state has the two slashed."""
    net = NodeNetwork(tmp_path / "net", nodes=4)
    for i in range(4):
        net.start(i, *(["--equivocate", "2"] if i == 3 else []))
    try:
        net.wait_for(
            "two validators slashed on every node",
            lambda: all((net.last(i) or _NONE).slashed >= 2 for i in range(4)),
            6 * SPE,
        )
    finally:
        net.stop_all()
    assert max(line.slashed for i in range(4) for line in net.lines[i]) == 2, "an honest validator was slashed"
    assert any(line.proposed and line.node != 3 for line in net.lines[0]), "node-0 proposed nothing"


def test_checkpoint_sync__root_from_a_trusted_source__starts_from_the_finalized_state_backfills_and_follows(
    tmp_path: Path,
) -> None:
    """Checkpoint sync: node-3 starts with an empty data directory and `--checkpoint-root` (the finalized block
    root, read from node-0's store as a user would from a source they trust). A wrong root is refused with a
    clear error and nothing written; the right one gives the peer's finalized state, the blocks below it
    backfilled (the same as node-0's), and a node that follows the head."""
    from stakework.node.storage import ChainStore

    net = NodeNetwork(tmp_path / "net", nodes=4)
    for i in range(3):
        net.start(i)
    try:
        net.wait_for("finalized epoch 3", lambda: (net.last(0) or _NONE).finalized >= 3, 7 * SPE)
        store = ChainStore.open_readonly(net.data / "node-0", check=False)
        try:
            root = store.finalized_checkpoint().root
        finally:
            store.close()
        net.start(3, "--checkpoint-root", "0x" + "ab" * 32)
        assert net.procs[3].wait(60) == 2
        log = (net.data / "node-3" / "node.log").read_text()
        assert "not the --checkpoint-root 0x" + "ab" * 32 in log, log[-2000:]
        assert "Traceback" not in log
        assert not (net.data / "node-3" / "chain.sqlite").exists()
        del net.procs[3]
        net.start(3, "--checkpoint-root", "0x" + root.hex())
        net.wait_for("node-3's first slots", lambda: len(net.lines[3]) >= 3, 60)
        assert all(line.head >= line.slot - 1 for line in net.lines[3][-2:]), net.lines[3]
    finally:
        net.stop_all()
    said = "".join(net.extra.get(3, []))
    assert "checkpoint sync: finalized state of epoch" in said and "backfilled down to genesis" in said, said
    finalized_slot = min(net.lines[0][-1].finalized, net.lines[3][-1].finalized) * SPE
    assert _stored_chain(net.data / "node-3", finalized_slot) == _stored_chain(net.data / "node-0", finalized_slot)
