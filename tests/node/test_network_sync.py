"""Sync's range import (`Chain.import_blocks`): one signature batch for a range of blocks, with the same
verdicts as importing them one by one; a bad signature anywhere is refused and the block at fault is named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from blspy import G2Element

from stakework.crypto import bls
from stakework.node.chain import BlockRangeError, Chain
from stakework.node.metrics import BLOCK_IMPORT_BUCKETS, Histogram, time_imports
from stakework.node.node import GENESIS_FILENAME, NetworkGenesis, NodeConfig, NodeRunner, prepare_network
from stakework.node.storage import ChainStore
from stakework.node.storage.db import anchor_root
from stakework.node.storage.errors import StorageError
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.state.snapshot import load_binary
from stakework.transition.block.block import (
    Attestation,
    BeaconBlock,
    BeaconBlockBody,
    SignedBeaconBlock,
    header_root,
)
from stakework.transition.block.header import randao_signing_root
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.committees import get_beacon_proposer_index
from stakework.transition.errors import TransitionError
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import (
    block_signing_root,
    process_block,
    process_slots,
    state_transition,
)
from support.chain import attestations_for_slot, build_block, key

VALIDATORS = 64
Tamper = Callable[[BeaconBlockBody], BeaconBlockBody]


def _block(state: BeaconState, slot: int, attestations: list[Attestation], tamper: Tamper | None) -> SignedBeaconBlock:
    """support.chain.build_block, with the body changed by `tamper` before the state root and the proposer's
    signature are made (so only the tampered signatures are wrong)."""
    work = state.copy()
    process_slots(work, slot)
    proposer = int(get_beacon_proposer_index(work))
    body = BeaconBlockBody(
        randao_reveal=key(proposer).sign(randao_signing_root(work, work.current_epoch())),
        attestations=attestations,
        withdrawals=get_expected_withdrawals(work).withdrawals,
    )
    if tamper is not None:
        body = tamper(body)
    block = BeaconBlock(slot, proposer, header_root(work.latest_block_header), b"\x00" * 32, body)
    process_block(work, block, verify_signatures=False)
    block = BeaconBlock(slot, proposer, block.parent_root, hash_state(work), body)
    return SignedBeaconBlock(block, key(proposer).sign(block_signing_root(work, block)))


def _chain(n: int, tampered: dict[int, Tamper] | None = None) -> tuple[BeaconState, list[SignedBeaconBlock]]:
    genesis = devnet_genesis(DEVNET, VALIDATORS)
    work = genesis.copy()
    blocks: list[SignedBeaconBlock] = []
    atts: list[Attestation] = []
    for slot in range(1, n + 1):
        block = _block(work, slot, atts, (tampered or {}).get(slot))
        state_transition(work, block, verify_signatures=False)
        blocks.append(block)
        atts = attestations_for_slot(work, block.message.hash_tree_root())
    return genesis, blocks


def _other_signature(body: BeaconBlockBody) -> BeaconBlockBody:
    """The first aggregate attestation carries a valid signature of another message."""
    att = body.attestations[0]
    wrong = msgspec.structs.replace(att, signature=key(0).sign(b"\x11" * 32))
    return msgspec.structs.replace(body, attestations=[wrong, *body.attestations[1:]])


def _shifted(body: BeaconBlockBody) -> BeaconBlockBody:
    """X added to the RANDAO reveal and taken from the attestation: both are wrong, their sum is right (what a
    batch that merely adds signatures up would accept)."""
    x = G2Element.from_bytes(bytes(key(1).sign(b"\x22" * 32)))
    reveal = G2Element.from_bytes(bytes(body.randao_reveal)) + x
    att = body.attestations[0]
    signature = G2Element.from_bytes(bytes(att.signature)) + x.negate()
    return msgspec.structs.replace(
        body,
        randao_reveal=bytes(reveal),
        attestations=[msgspec.structs.replace(att, signature=bytes(signature)), *body.attestations[1:]],
    )


def test_import_blocks__valid_range__same_head_and_states_as_one_by_one() -> None:
    genesis, blocks = _chain(20)
    ranged, single = Chain(genesis.copy()), Chain(genesis.copy())
    roots = ranged.import_blocks(blocks, current_slot=20)
    for block in blocks:
        single.import_block(block, current_slot=20, timely=False)
    assert roots == [b.message.hash_tree_root() for b in blocks]
    assert ranged.head_root == single.head_root == roots[-1]
    assert hash_state(ranged.head_state) == hash_state(single.head_state) == blocks[-1].message.state_root


@pytest.mark.parametrize("tamper", [_other_signature, _shifted], ids=["wrong_aggregate", "shifted_between_two"])
def test_import_blocks__one_bad_signature_in_block_7__refused_naming_block_7_blocks_before_imported(
    tamper: Tamper,
) -> None:
    genesis, blocks = _chain(12, {7: tamper})
    bad = blocks[6].message.hash_tree_root()
    alone = Chain(genesis.copy())  # the individual checks refuse it too
    for block in blocks[:6]:
        alone.import_block(block, current_slot=12, timely=False)
    with pytest.raises(TransitionError):
        alone.import_block(blocks[6], current_slot=12, timely=False)

    chain = Chain(genesis.copy())
    with pytest.raises(BlockRangeError) as refused:
        chain.import_blocks(blocks, current_slot=12)
    assert refused.value.root == bad
    assert refused.value.imported == [b.message.hash_tree_root() for b in blocks[:6]]  # what sync counts
    assert f"0x{bad.hex()[:16]} at slot 7 refused" in str(refused.value)
    assert bad not in chain.states
    assert chain.head_root == blocks[5].message.hash_tree_root()


def test_signature_batch__valid_sets__verifies_and_one_bad_set_or_shift__does_not() -> None:
    sets = [([key(i).public_key(), key(i + 1).public_key()], bytes([i]) * 32) for i in range(4)]
    signed = [(pks, m, bls.aggregate([key(i).sign(m), key(i + 1).sign(m)])) for i, (pks, m) in enumerate(sets)]

    def batch(items: list[tuple[list[bytes], bytes, bytes]]) -> bool:
        b = bls.SignatureBatch()
        for pks, m, sig in items:
            b.add(pks, m, sig)
        return b.verify()

    assert batch(signed)
    assert not batch([*signed[:3], (signed[3][0], signed[3][1], signed[0][2])])
    x = G2Element.from_bytes(bytes(key(9).sign(b"x" * 32)))
    s0 = bytes(G2Element.from_bytes(bytes(signed[0][2])) + x)
    s1 = bytes(G2Element.from_bytes(bytes(signed[1][2])) + x.negate())
    assert bls.aggregate([s0, s1]) == bls.aggregate([signed[0][2], signed[1][2]])  # the sum is unchanged
    assert not batch([(signed[0][0], signed[0][1], s0), (signed[1][0], signed[1][1], s1), *signed[2:]])
    assert not batch([])
    assert not batch([([bytes([0xC0]) + bytes(47)], b"m" * 32, signed[0][2])])  # the infinity key (KeyValidate)
    assert not batch([([], b"m" * 32, signed[0][2])])


def test_import_blocks__range_with_a_store__one_commit_and_one_snapshot_then_reopens_at_the_head(
    tmp_path: Path,
) -> None:
    genesis, blocks = _chain(40)
    store = ChainStore(tmp_path, genesis=genesis)
    chain = Chain(genesis.copy(), store=store)
    chain.import_blocks(blocks[:8], current_slot=40)
    statements: list[str] = []
    store._db().set_trace_callback(statements.append)
    snapshots: list[int] = []
    save = store.save_finalized_state
    store.save_finalized_state = lambda state, cp=None: snapshots.append(int(cp.epoch)) or save(state, cp)  # type: ignore[method-assign,misc]
    chain.import_blocks(blocks[8:], current_slot=40)  # 32 blocks: finality advances over several epochs
    store._db().set_trace_callback(None)
    finalized = chain.forkchoice.finalized_checkpoint
    assert finalized.epoch >= 2
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert snapshots == [finalized.epoch]  # the newest finalized state only, not one per epoch
    store.close()
    with ChainStore(tmp_path, genesis=genesis) as reopened:
        assert reopened.head().root == blocks[-1].message.hash_tree_root()
        assert reopened.finalized_checkpoint() == finalized
        assert reopened.snapshots()[0][0] == finalized.root


def test_store_batch__a_write_fails_inside__every_write_of_the_batch_rolled_back(tmp_path: Path) -> None:
    genesis, blocks = _chain(3)
    store = ChainStore(tmp_path, genesis=genesis)
    with pytest.raises(StorageError), store.batch("import two blocks and a bad one"):
        store.import_block(blocks[0], blocks[0].message.state_root)
        store.import_block(blocks[1], blocks[1].message.state_root)
        assert store.block_count() == 2  # reads inside the batch see its writes
        store.import_block(blocks[2], b"\x00" * 31)  # not a root
    assert store.block_count() == 0
    store.import_block(blocks[0], blocks[0].message.state_root)  # the store goes on
    assert store.block_count() == 1
    store.close()


def test_block_import_histogram__synced_range__every_block_counted_once() -> None:
    genesis, blocks = _chain(20, {15: _other_signature})
    chain = Chain(genesis.copy())
    histogram = Histogram(BLOCK_IMPORT_BUCKETS)
    time_imports(chain, histogram)
    chain.import_blocks(blocks[:10], current_slot=20)  # one batch
    assert histogram.count == 10
    assert histogram.total > 0
    with pytest.raises(BlockRangeError):  # batch fails: one by one, blocks 11-14 imported, 15 refused
        chain.import_blocks(blocks[10:], current_slot=20)
    assert histogram.count == 14
    chain.import_block(blocks[13], current_slot=20, timely=False)  # known already: an import all the same
    assert histogram.count == 15


def test_finalized_state__asked_for_an_older_finalized_root__served_from_the_kept_snapshot(tmp_path: Path) -> None:
    """Checkpoint sync's serving side: a new node asks for the state of the root its user trusts; the serving node
    may have finalized past it meanwhile, and still serves it while its store keeps that snapshot."""
    prepare_network(tmp_path, nodes=1, validators=16, preset=DEVNET, slot_seconds=1.0, now=1_000)
    genesis = NetworkGenesis.read(tmp_path / GENESIS_FILENAME)
    runner = NodeRunner(NodeConfig(tmp_path / "node-0", genesis), clock=lambda: genesis.genesis_time + 1_000.0)
    try:
        work = runner.chain.genesis.copy()
        blocks: list[SignedBeaconBlock] = []
        atts: list[Attestation] = []
        for slot in range(1, 49):
            block = build_block(work, slot, attestations=atts)
            state_transition(work, block, verify_signatures=False)
            blocks.append(block)
            atts = attestations_for_slot(work, block.message.hash_tree_root())
        for i in range(0, 48, 8):  # a range per epoch: a snapshot each time finality advances
            runner.chain.import_blocks(blocks[i : i + 8], current_slot=48)
        assert runner.chain.store is not None
        kept = runner.chain.store.snapshots()
        latest = runner.chain.forkchoice.finalized_checkpoint
        older, older_epoch = next((r, e) for r, _, e in kept if r != latest.root and e > 0)
        epoch, root, data = runner.finalized_state(older)
        assert (epoch, root) == (older_epoch, older)
        assert anchor_root(load_binary("served", raw=data)) == older
        assert runner.finalized_state()[1] == latest.root  # no root asked: the newest
        assert runner.finalized_state(b"\x13" * 32)[1] == latest.root  # not kept: the newest (the asker refuses it)
    finally:
        runner.client.protection.close()
        assert runner.chain.store is not None
        runner.chain.store.close()
