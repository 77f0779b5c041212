"""Gossip naming old blocks (issue #16): a block on a parent whose state the node does not hold, or a vote for such
a block, must not make the node rebuild that state (up to an epoch of replays) unless a proposer signed it. One
node, in process (`NodeRunner.on_gossip`), a scripted clock; replays are counted (`StateCache.replayed`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest
from tests.support.chain import attestations_for_slot, build_block, key

from stakework.node.node import GENESIS_FILENAME, NetworkGenesis, NodeConfig, NodeRunner, prepare_network
from stakework.node.p2p import messages
from stakework.node.p2p.gossip import Verdict
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import Attestation, SignedBeaconBlock
from stakework.transition.state_transition import block_signing_root, state_transition

PEER = SimpleNamespace(name="test peer")
SPE = DEVNET.SLOTS_PER_EPOCH


@pytest.fixture
def grown(tmp_path: Path) -> Iterator[tuple[NodeRunner, dict[int, tuple[bytes, BeaconState]]]]:
    """A node whose chain has blocks at slots 1..SPE+6 (every validator voting), its clock early in slot SPE+7;
    with each slot's block root and post-state."""
    prepare_network(tmp_path, nodes=2, validators=16, preset=DEVNET, slot_seconds=1.0, now=1_000)
    genesis = NetworkGenesis.read(tmp_path / GENESIS_FILENAME)
    now = [genesis.genesis_time + SPE + 7.1]
    node = NodeRunner(
        NodeConfig(tmp_path / "node-0", genesis, keys_dir=tmp_path / "node-0" / "keys"), clock=lambda: now[0]
    )
    out: dict[int, tuple[bytes, BeaconState]] = {}
    state = node.chain.genesis.copy()
    atts: list[Attestation] = []
    for slot in range(1, SPE + 7):
        block = build_block(state, slot, attestations=atts)
        state = state.copy()
        state_transition(state, block)
        root = node.chain.import_block(block, current_slot=slot)
        out[slot] = (root, state)
        atts = attestations_for_slot(state, root)
    yield node, out
    node.client.protection.close()
    assert node.chain.store is not None
    node.chain.store.close()


def _gossip(runner: NodeRunner, payload: object) -> Verdict:
    topic = messages.TOPIC_BLOCK if isinstance(payload, SignedBeaconBlock) else messages.TOPIC_AGGREGATE
    return runner.on_gossip(topic, payload, PEER)  # type: ignore[arg-type]


def _changed(block: SignedBeaconBlock, n: int, state: BeaconState, *, signed: bool) -> SignedBeaconBlock:
    """The block with another state root, signed by its proposer (`signed`) or by another validator."""
    message = msgspec.structs.replace(block.message, state_root=n.to_bytes(32, "big"))
    signer = message.proposer_index if signed else (message.proposer_index + 1) % 16
    return SignedBeaconBlock(message, key(signer).sign(block_signing_root(state, message)))


def test_block_on_an_old_parent__unsigned_flood_free__one_signed_bad_block_one_rebuild__a_real_fork_imports(
    grown: tuple[NodeRunner, dict[int, tuple[bytes, BeaconState]]],
) -> None:
    runner, out = grown
    cache = runner.chain.cache
    parent_root, parent_state = out[SPE + 2]
    assert not cache.holds(parent_root)
    honest = build_block(parent_state, SPE + 7, graffiti=b"\x01" * 32)
    parents = [out[s] for s in range(SPE + 1, SPE + 5)]  # four old blocks whose states are not held
    on_each = [build_block(state, SPE + 7, graffiti=b"\x03" * 32) for _, state in parents]
    replayed = cache.replayed
    for n in range(20):  # anyone can make these
        (_, state), block = parents[n % 4], on_each[n % 4]
        assert _gossip(runner, _changed(block, n, state, signed=False)) is Verdict.REJECT
    assert cache.replayed == replayed  # was a rebuild each (1-4 replays), the signature checked after it
    assert _gossip(runner, _changed(honest, 99, parent_state, signed=True)) is Verdict.REJECT  # signed, invalid
    spent = cache.replayed - replayed
    assert 0 < spent <= SPE
    for n in range(10):  # the same proposer and slot again: its first block was seen, no more rebuilds
        assert _gossip(runner, _changed(honest, 100 + n, parent_state, signed=True)) is Verdict.IGNORE
    assert cache.replayed - replayed == spent
    assert runner.slasher.found_proposer  # (two signed blocks for one slot: a double proposal)
    fork = build_block(parent_state, SPE + 8, graffiti=b"\x02" * 32)  # a real fork on the old block
    runner.clock = lambda: runner.origin + SPE + 8.1
    assert _gossip(runner, fork) is Verdict.ACCEPT
    assert fork.message.hash_tree_root() in runner.chain.states


def test_aggregate_for_an_old_block__accepted_and_counted_without_a_rebuild(
    grown: tuple[NodeRunner, dict[int, tuple[bytes, BeaconState]]],
) -> None:
    runner, out = grown
    cache = runner.chain.cache
    replayed = cache.replayed
    for slot in (SPE + 1, SPE + 2, SPE + 3):  # late votes for blocks whose states are not held
        root, state = out[slot]
        assert not cache.holds(root)
        (vote,) = attestations_for_slot(state, root)
        assert _gossip(runner, vote) is Verdict.ACCEPT
        assert vote in runner.chain.pool[slot]
    assert cache.replayed == replayed  # was a rebuild per vote: the voted block's state, for its committees
