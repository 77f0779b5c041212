"""What a node lets go of (issue #16: a node at 1M validators / 1M accounts under 3 GiB, where a state is ~0.4 GiB
and a copy ~210 MiB): the anchor state once finality prunes it, the genesis state built beside the anchor read
back from the store, the proposer's copies once it is done with them."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from stakework.node.chain import AnchorPrunedError, Chain, GenesisInfo
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET, MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import Attestation
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block

SPE = MINIMAL.SLOTS_PER_EPOCH


def test_chain__finality_prunes_the_anchor__anchor_state_freed_preset_kept() -> None:
    genesis = devnet_genesis(MINIMAL, 64)
    freed = weakref.ref(genesis)
    chain = Chain(genesis)
    assert chain.genesis is genesis  # held while the chain still needs it
    state = genesis.copy()
    del genesis
    atts: list[Attestation] = []
    for slot in range(1, 5 * SPE + 1):
        chain.tick(slot)
        block = build_block(state, slot, attestations=atts)
        state_transition(state, block)
        root = chain.import_block(block, current_slot=slot)
        atts = attestations_for_slot(state, root)
    assert chain.forkchoice.finalized_checkpoint.epoch >= 2
    assert chain.anchor not in chain.states
    assert chain.head_state.slot == 5 * SPE  # (the cache lets removed states go at its next access)
    gc.collect()
    assert freed() is None
    assert chain.preset is MINIMAL and chain.anchor_slot == 0
    with pytest.raises(AnchorPrunedError, match="pruned at finality"):
        _ = chain.genesis


def test_open_devnet__first_start_and_restart__genesis_state_held_once_by_the_chain_only(tmp_path: Path) -> None:
    for _ in range(2):  # a first start, then a restart (the anchor read back from the store)
        chain, client, genesis = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
        assert isinstance(genesis, GenesisInfo) and genesis.root == chain.anchor  # what is needed, not the state
        anchor = weakref.ref(chain.genesis)
        client.protection.close()
        assert chain.store is not None
        chain.store.close()
        del chain, client, genesis
        gc.collect()
        assert anchor() is None  # nothing but the chain held it: not a second state built beside it either


def test_run_slot__proposal_with_attestations__at_most_one_earlier_copy_alive_at_each_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, client, _ = open_devnet(DevnetConfig(tmp_path, DEVNET, validators=16))
    pool = Mempool()
    assert run_slot(chain, client, 1, pool).proposed  # its votes go into the pool for slot 2's block
    assert chain.attestations_for_block(2)
    copies: list[weakref.ref[BeaconState]] = []
    alive_at_copy: list[int] = []
    original = BeaconState.copy

    def counted(self: BeaconState) -> BeaconState:
        gc.collect()
        alive_at_copy.append(sum(ref() is not None for ref in copies))
        out = original(self)
        copies.append(weakref.ref(out))
        return out

    monkeypatch.setattr(BeaconState, "copy", counted)
    report = run_slot(chain, client, 2, pool)
    monkeypatch.undo()
    assert report.proposed
    # The head's copy advanced to the slot, the attestations' probe, the block's working copy, the import's copy
    # of the parent: each made once the copies before it that are no longer needed are gone.
    assert len(copies) >= 4
    assert max(alive_at_copy) <= 1, alive_at_copy
    client.protection.close()
    assert chain.store is not None
    chain.store.close()
