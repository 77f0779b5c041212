"""The chain's state cache (node/state_cache.py): a chain holds every known block's post-state, but only the epoch
openers and a few recent ones in memory; any other is rebuilt from the blocks, equal to the state the import
made, also across pruning at finality and for a fork on an evicted parent."""

from __future__ import annotations

import pytest

from stakework.node.chain import Chain
from stakework.node.state_cache import StateCache
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition.block.block import Attestation, SignedBeaconBlock
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block

SPE = MINIMAL.SLOTS_PER_EPOCH


def _grow(
    chain: Chain, upto: int, *, skip: frozenset[int] = frozenset()
) -> tuple[dict[bytes, bytes], dict[bytes, SignedBeaconBlock]]:
    """Blocks on the head for slots 1..upto (not those in `skip`), every validator attesting; returns each block's
    post-state root as computed apart from the chain, and the blocks."""
    roots: dict[bytes, bytes] = {}
    blocks: dict[bytes, SignedBeaconBlock] = {}
    state: BeaconState = chain.head_state.copy()
    atts: list[Attestation] = []
    for slot in range(1, upto + 1):
        chain.tick(slot)
        if slot in skip:
            continue
        block = build_block(state, slot, attestations=atts)
        state = state.copy()
        state_transition(state, block)
        root = chain.import_block(block, current_slot=slot)
        roots[root], blocks[root] = hash_state(state), block
        atts = attestations_for_slot(state, root)
    return roots, blocks


@pytest.fixture
def chain() -> Chain:
    chain = Chain(devnet_genesis(MINIMAL, 64))
    assert isinstance(chain.states, StateCache)
    chain.states.recent_limit = 2
    return chain


def test_state_cache__five_epochs__few_held_every_state_rebuilt_equal(chain: Chain) -> None:
    roots, _ = _grow(chain, 5 * SPE)
    cache = chain.states
    assert isinstance(cache, StateCache)
    assert chain.forkchoice.finalized_checkpoint.epoch >= 2  # pruning ran
    known = list(cache)
    assert len(known) > 2 * SPE  # every block since finality is still known...
    openers = {r for r in known if cache[r].slot % SPE == 0}
    assert cache.held <= len(openers) + 2 + 1  # ...but only the epoch openers and two recent ones are held
    before = cache.rebuilt
    for root in known:
        assert hash_state(cache[root]) == roots[root]
    assert cache.rebuilt > before


def test_state_cache__epoch_starts_missed__finalized_root_rebuilt_when_ancestors_pruned(chain: Chain) -> None:
    # The epochs' first slots are empty: each checkpoint is the previous epoch's last block, which no cache
    # keeps as an opener; when finality reaches it, its state must be rebuilt before its ancestors go.
    roots, _ = _grow(chain, 6 * SPE, skip=frozenset(range(SPE, 6 * SPE, SPE)))
    cache = chain.states
    assert isinstance(cache, StateCache)
    finalized = chain.forkchoice.finalized_checkpoint
    assert finalized.epoch >= 2 and chain.blocks[finalized.root].message.slot % SPE == SPE - 1
    for root in list(cache):
        assert hash_state(cache[root]) == roots[root]


def test_state_cache__fork_on_an_evicted_parent__imported(chain: Chain) -> None:
    _, blocks = _grow(chain, SPE + 6)
    cache = chain.states
    assert isinstance(cache, StateCache)
    parent = next(r for r, b in blocks.items() if b.message.slot == SPE + 2)  # neither an opener nor recent
    assert cache.held < len(cache)
    fork = build_block(cache[parent], SPE + 7, graffiti=b"\x01" * 32)
    root = chain.import_block(fork, current_slot=SPE + 7)
    assert root in cache and cache[root].slot == SPE + 7
    assert hash_state(cache[root]) == fork.message.state_root


def test_state_cache__recent_below_one__refused() -> None:
    with pytest.raises(ValueError, match="at least one recent state"):
        StateCache({}, recent=0)
