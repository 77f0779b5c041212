"""Old states on request (issue #16): a state the cache does not hold costs up to an epoch of block replays to
rebuild, so what a peer names (a block on an old parent, a vote for an old block, a range starting on one) must
not choose a rebuild freely. Counted in replays (`StateCache.replayed`), never timed."""

from __future__ import annotations

import msgspec
import pytest

from stakework.node.chain import BlockRangeError, Chain, ProposerSignatureError
from stakework.node.state_cache import StateCache
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition.block.attestation import get_attesting_indices
from stakework.transition.block.block import Attestation, SignedBeaconBlock
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block, key

SPE = MINIMAL.SLOTS_PER_EPOCH


def _grow(chain: Chain, upto: int) -> dict[int, tuple[bytes, BeaconState]]:
    """Blocks on the head for slots 1..upto, every validator attesting; each slot's root and post-state (copies
    kept by the test, apart from the chain)."""
    out: dict[int, tuple[bytes, BeaconState]] = {}
    state = chain.head_state.copy()
    atts: list[Attestation] = []
    for slot in range(1, upto + 1):
        chain.tick(slot)
        block = build_block(state, slot, attestations=atts)
        state = state.copy()
        state_transition(state, block)
        root = chain.import_block(block, current_slot=slot)
        out[slot] = (root, state)
        atts = attestations_for_slot(state, root)
    return out


@pytest.fixture
def chain() -> Chain:
    return Chain(devnet_genesis(MINIMAL, 64))


def _cache(chain: Chain) -> StateCache:
    assert isinstance(chain.states, StateCache)
    return chain.states


def _forged(block: SignedBeaconBlock, n: int) -> SignedBeaconBlock:
    """Another block with the same proposer and slot, signed by a key that is not the proposer's."""
    message = msgspec.structs.replace(block.message, state_root=n.to_bytes(32, "big"))
    return SignedBeaconBlock(message, key(message.proposer_index + 1).sign(b"\x00" * 32))


def test_state_cache__replays_peek_build__cost_told_and_nothing_held_changes(chain: Chain) -> None:
    grown = _grow(chain, SPE + 6)
    cache = _cache(chain)
    old_root, old_state = grown[SPE + 2]  # neither an epoch opener nor one of the two recent
    head_root = chain.head_root
    assert not cache.holds(old_root) and cache.peek(old_root) is None
    assert cache.replays(old_root) == 2  # from the opener at slot SPE
    assert cache.replays(head_root) == 0 and cache.peek(head_root) is chain.head_state
    held_before, replayed = cache.held, cache.replayed
    built = cache.build(old_root)
    assert hash_state(built) == hash_state(old_state)
    assert cache.replayed == replayed + 2 and cache.held == held_before and not cache.holds(old_root)
    with pytest.raises(KeyError):
        cache.replays(b"\x07" * 32)


def test_import_block__flood_of_unsigned_blocks_on_an_old_parent__refused_without_a_replay(chain: Chain) -> None:
    grown = _grow(chain, SPE + 6)
    cache = _cache(chain)
    parent_root, parent_state = grown[SPE + 2]
    assert not cache.holds(parent_root)
    honest = build_block(parent_state, SPE + 7, graffiti=b"\x01" * 32)
    replayed = cache.replayed
    for n in range(20):
        with pytest.raises(ProposerSignatureError, match="does not verify"):
            chain.import_block(_forged(honest, n), current_slot=SPE + 7)
    assert cache.replayed == replayed  # was 20 rebuilds of 2 replays: the signature was checked after them
    root = chain.import_block(honest, current_slot=SPE + 7)  # a real fork on that block still imports
    assert cache.replayed == replayed + 2 and hash_state(cache[root]) == honest.message.state_root


def test_import_blocks__range_starting_on_an_old_parent_with_a_forged_first_block__refused_without_a_replay(
    chain: Chain,
) -> None:
    grown = _grow(chain, SPE + 6)
    cache = _cache(chain)
    _, parent_state = grown[SPE + 2]
    first = build_block(parent_state, SPE + 7, graffiti=b"\x02" * 32)
    replayed = cache.replayed
    with pytest.raises(BlockRangeError) as refused:
        chain.import_blocks([_forged(first, 1)], current_slot=SPE + 7)
    assert refused.value.imported == [] and cache.replayed == replayed


def test_on_attestation__votes_for_old_blocks__counted_as_before_without_a_replay(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = _grow(chain, SPE + 6)
    cache = _cache(chain)
    counted: list[tuple[list[int], bytes]] = []
    count = chain.forkchoice.on_attestation

    def spy(indices: object, root: bytes, epoch: int) -> int:
        counted.append((sorted(int(i) for i in indices), root))  # type: ignore[attr-defined]
        return count(indices, root, epoch)  # type: ignore[arg-type]

    monkeypatch.setattr(chain.forkchoice, "on_attestation", spy)
    replayed = cache.replayed
    for slot in range(SPE + 1, SPE + 5):  # late votes for blocks the cache does not hold
        root, state = grown[slot]
        assert not cache.holds(root)
        (vote,) = attestations_for_slot(state, root)
        chain.on_attestation(vote)
        assert vote in chain.pool[slot]
        voters = sorted(int(i) for i in get_attesting_indices(state, vote))  # as the voted block's state gives
        assert counted[-1] == (voters, root)
    assert cache.replayed == replayed  # was one rebuild per vote (the voted block's state, for its committees)
    assert chain.forkchoice.get_head() == chain.head_root  # (votes for ancestors: the head stays)


def test_on_attestation__vote_for_an_unknown_block__not_counted_nor_pooled(chain: Chain) -> None:
    grown = _grow(chain, 3)
    _, state = grown[3]
    (vote,) = attestations_for_slot(state, b"\x09" * 32)
    chain.on_attestation(vote)
    assert vote not in chain.pool.get(3, [])
