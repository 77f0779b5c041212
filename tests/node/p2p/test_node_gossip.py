"""Gossip validation of one node (`NodeRunner.on_gossip`), in process: no network, a scripted clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest
from tests.support.chain import build_block, key

from stakework.node.node import GENESIS_FILENAME, NetworkGenesis, NodeConfig, NodeRunner, prepare_network
from stakework.node.p2p import messages
from stakework.node.p2p.gossip import Verdict
from stakework.spec.presets import DEVNET
from stakework.transition.block.block import SignedBeaconBlock
from stakework.transition.state_transition import block_signing_root

PEER = SimpleNamespace(name="test peer")


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[NodeRunner]:
    prepare_network(tmp_path, nodes=2, validators=16, preset=DEVNET, slot_seconds=1.0, now=1_000)
    genesis = NetworkGenesis.read(tmp_path / GENESIS_FILENAME)
    now = [genesis.genesis_time + 1.1]  # early in slot 1
    node = NodeRunner(
        NodeConfig(tmp_path / "node-0", genesis, keys_dir=tmp_path / "node-0" / "keys"), clock=lambda: now[0]
    )
    yield node
    node.client.protection.close()
    assert node.chain.store is not None
    node.chain.store.close()


def _resigned(block: SignedBeaconBlock, runner: NodeRunner, **changes: object) -> SignedBeaconBlock:
    message = msgspec.structs.replace(block.message, **changes)  # type: ignore[arg-type]
    root = block_signing_root(runner.chain.genesis, message)
    return SignedBeaconBlock(message, key(message.proposer_index).sign(root))


def test_block__valid_then_a_second_signed_one_same_proposer_slot__ignored_and_the_slasher_finds_it(
    runner: NodeRunner,
) -> None:
    block = build_block(runner.chain.genesis, 1)
    assert runner.on_gossip(messages.TOPIC_BLOCK, block, PEER) is Verdict.ACCEPT  # type: ignore[arg-type]
    assert runner.chain.head_state.slot == 1
    other = _resigned(block, runner, state_root=b"\x01" * 32)
    assert runner.on_gossip(messages.TOPIC_BLOCK, other, PEER) is Verdict.IGNORE  # type: ignore[arg-type]
    assert len(runner.slasher.found_proposer) == 1
    assert runner.slasher.found_proposer[0].signed_header_1.message.proposer_index == block.message.proposer_index


def test_block__second_one_with_a_bad_signature__no_slashing_made_of_it(runner: NodeRunner) -> None:
    block = build_block(runner.chain.genesis, 1)
    runner.on_gossip(messages.TOPIC_BLOCK, block, PEER)  # type: ignore[arg-type]
    forged = SignedBeaconBlock(msgspec.structs.replace(block.message, state_root=b"\x01" * 32), block.signature)
    assert runner.on_gossip(messages.TOPIC_BLOCK, forged, PEER) is Verdict.IGNORE  # type: ignore[arg-type]
    assert runner.slasher.found_proposer == []


def test_block__bad_signature__rejected_and_not_imported(runner: NodeRunner) -> None:
    block = build_block(runner.chain.genesis, 1)
    forged = SignedBeaconBlock(block.message, key(0 if block.message.proposer_index else 1).sign(b"\x00" * 32))
    assert runner.on_gossip(messages.TOPIC_BLOCK, forged, PEER) is Verdict.REJECT  # type: ignore[arg-type]
    assert runner.chain.head_state.slot == 0


def test_block__from_the_future_beyond_the_clock_disparity__ignored(runner: NodeRunner) -> None:
    block = build_block(runner.chain.genesis, 3)  # slot 3 starts 1.9 s after "now"
    assert runner.on_gossip(messages.TOPIC_BLOCK, block, PEER) is Verdict.IGNORE  # type: ignore[arg-type]
    assert runner.chain.head_state.slot == 0


def test_attester_slashing__gossiped_valid__kept_once_for_our_next_block(runner: NodeRunner) -> None:
    from tests.support.chain import attestations_for_slot

    from stakework.transition.block.attestation import get_attesting_indices
    from stakework.transition.block.block import AttesterSlashing, IndexedAttestation

    state = runner.chain.genesis
    votes = [attestations_for_slot(state, bytes([b]) * 32)[0] for b in (1, 2)]  # same target epoch: a double vote
    indexed = [
        IndexedAttestation(sorted(int(i) for i in get_attesting_indices(state, a)), a.data, a.signature) for a in votes
    ]
    slashing = AttesterSlashing(indexed[0], indexed[1])
    assert runner.on_gossip(messages.TOPIC_ATTESTER_SLASHING, slashing, PEER) is Verdict.ACCEPT  # type: ignore[arg-type]
    assert runner.slasher.found_attester == [slashing]
    assert runner.on_gossip(messages.TOPIC_ATTESTER_SLASHING, slashing, PEER) is Verdict.IGNORE  # type: ignore[arg-type]
    assert runner.slasher.found_attester == [slashing]


def test_attester_slashing__not_slashable__ignored_and_not_kept(runner: NodeRunner) -> None:
    from tests.support.chain import attestations_for_slot

    from stakework.transition.block.attestation import get_attesting_indices
    from stakework.transition.block.block import AttesterSlashing, IndexedAttestation

    state = runner.chain.genesis
    vote = attestations_for_slot(state, b"\x01" * 32)[0]
    indexed = IndexedAttestation(sorted(int(i) for i in get_attesting_indices(state, vote)), vote.data, vote.signature)
    same = AttesterSlashing(indexed, indexed)  # the same vote twice is no offence
    assert runner.on_gossip(messages.TOPIC_ATTESTER_SLASHING, same, PEER) is Verdict.IGNORE  # type: ignore[arg-type]
    assert runner.slasher.found_attester == []


def test_behind__peer_claims_a_head_from_the_future__not_followed(runner: NodeRunner) -> None:
    """A peer announcing a head slot beyond the clock would otherwise keep the node syncing (and its validators
    idle) for ever."""
    liar = SimpleNamespace(
        status=msgspec.structs.replace(runner.status(), head_slot=10**6, head_root=b"\x09" * 32),
        node_id=b"\x09" * 16,
        name="liar",
    )
    runner.network.peers[liar.node_id] = liar  # type: ignore[assignment]
    assert not runner.behind()
    honest = SimpleNamespace(
        status=msgspec.structs.replace(runner.status(), head_slot=1, head_root=b"\x08" * 32),
        node_id=b"\x08" * 16,
        name="ahead",
    )
    runner.network.peers[honest.node_id] = honest  # type: ignore[assignment]
    runner.last_slot = -1
    assert runner.best_peer() is honest
    runner._unhelpful[honest.node_id] = b"\x08" * 32  # a sync from it could not reach that head
    assert runner.best_peer() is None
