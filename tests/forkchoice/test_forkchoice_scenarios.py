"""Fork-choice scenarios, each named after what happens and what is expected, on small hand-built trees.

Slots per epoch is 4 here (the numbers stay readable); balances are 32 units per validator unless a test says
otherwise, so the proposer score is (total // 4) * 40 // 100.
"""

from __future__ import annotations

import numpy as np
import pytest

from stakework.forkchoice import (
    ForkChoice,
    ForkChoiceConfig,
    ForkChoiceError,
    FutureBlockError,
    InvalidAttestationError,
    InvalidBlockError,
    UnknownBlockError,
    UnknownParentError,
)
from stakework.forkchoice.votes import grouped_sum
from stakework.spec.errors import StakeworkError
from stakework.state.containers import Checkpoint

SPE = 4


def r(name: str) -> bytes:
    """A readable 32-byte root: the name, zero-padded (so 'b' > 'a' when roots are compared)."""
    return name.encode().ljust(32, b"\x00")


GENESIS = r("genesis")
G0 = Checkpoint(0, GENESIS)


def make(validators: int = 8, balance: int = 32, **kwargs: object) -> ForkChoice:
    return ForkChoice(GENESIS, 0, G0, G0, np.full(validators, balance, dtype=np.uint64), SPE, **kwargs)  # type: ignore[arg-type]


def add(
    fc: ForkChoice,
    name: str,
    parent: str | bytes,
    slot: int,
    justified: Checkpoint = G0,
    finalized: Checkpoint = G0,
    unrealized_justified: Checkpoint | None = None,
    unrealized_finalized: Checkpoint | None = None,
    *,
    current_slot: int | None = None,
    timely: bool = False,
) -> bytes:
    parent_root = parent if isinstance(parent, bytes) else r(parent)
    fc.on_block(
        r(name),
        parent_root,
        slot,
        justified,
        finalized,
        unrealized_justified,
        unrealized_finalized,
        current_slot=max(slot, fc.current_slot) if current_slot is None else current_slot,
        timely=timely,
    )
    return r(name)


def test_get_head__single_chain__head_is_the_tip() -> None:
    """Spec `get_head` on a chain without votes: the only leaf."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", "a", 2)
    assert fc.get_head() == r("b")
    assert fc.node_count == 3


def test_get_head__fork_without_votes__lexicographically_larger_root_wins() -> None:
    """Spec `get_head`: ties broken by favouring the higher root."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 1)
    assert fc.get_head() == r("b")


def test_get_head__heavier_fork_gets_votes__reorgs_to_it() -> None:
    """LMD-GHOST: the head follows the heavier subtree, and moves when latest messages move."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "a2", "a", 2)
    add(fc, "b", GENESIS, 1)
    fc.on_attestation([0, 1, 2], r("a2"), 0)
    assert fc.get_head() == r("a2")
    add(fc, "b2", "b", 3)
    fc.on_attestation([3, 4, 5, 6], r("b2"), 0)
    assert fc.get_head() == r("b2")
    assert fc.weight(r("b")) == 4 * 32
    assert fc.weight(r("a")) == 3 * 32
    # A newer message moves validators back: a reorg to the a-branch.
    fc.on_attestation([3, 4], r("a2"), 1)
    assert fc.get_head() == r("a2")
    assert fc.weight(r("a")) == 5 * 32
    assert fc.weight(GENESIS) == 7 * 32


def test_on_attestation__same_or_older_target_epoch__does_not_replace_latest_message() -> None:
    """Spec `update_latest_messages`: only a strictly newer target epoch replaces a message."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 1)
    assert fc.on_attestation([0], r("a"), 2) == 1
    assert fc.on_attestation([0], r("b"), 2) == 0
    assert fc.on_attestation([0], r("b"), 1) == 0
    assert fc.latest_message(0) == (2, r("a"))
    assert fc.latest_message(7) is None
    assert fc.get_head() == r("a")


def test_on_attestation__unknown_block__raises_unknown_block() -> None:
    fc = make()
    with pytest.raises(UnknownBlockError):
        fc.on_attestation([0], r("nowhere"), 0)
    with pytest.raises(InvalidAttestationError):
        fc.on_attestation([-1], GENESIS, 0)
    with pytest.raises(InvalidAttestationError):
        fc.on_attestation([0], GENESIS, -1)


def test_on_attestation__validator_beyond_justified_balances__counts_nothing_until_it_has_a_balance() -> None:
    """Spec `get_attestation_score` sums balances from the justified state: no balance there, no weight."""
    fc = make(validators=2)
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 1)
    fc.on_attestation(np.array([5, 6, 7]), r("a"), 0)
    assert fc.get_head() == r("b")
    fc.set_justified_balances(np.full(8, 32, dtype=np.uint64))
    assert fc.get_head() == r("a")
    assert fc.weight(r("a")) == 3 * 32


def test_equivocating_validators__votes_removed__head_changes() -> None:
    """Spec `on_attester_slashing`: equivocating validators' weight leaves the tree, and later votes never count."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 1)
    fc.on_attestation([0, 1, 2], r("a"), 0)
    fc.on_attestation([3, 4], r("b"), 0)
    assert fc.get_head() == r("a")
    assert fc.on_attester_slashing([0, 1]) == 2
    assert fc.on_attester_slashing([1]) == 0
    assert fc.get_head() == r("b")
    assert fc.weight(r("a")) == 32
    assert fc.on_attestation([0, 1], r("a"), 5) == 0
    assert fc.get_head() == r("b")
    assert fc.is_equivocating(0) and not fc.is_equivocating(3)


def test_balance_change__justified_balances_replaced__weights_follow() -> None:
    """Spec `get_weight` reads the justified state's balances: new balances reweigh existing votes."""
    fc = make(validators=4)
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 1)
    fc.on_attestation([0, 1], r("a"), 0)
    fc.on_attestation([2], r("b"), 0)
    assert fc.get_head() == r("a")
    fc.set_justified_balances(np.array([1, 1, 64, 0], dtype=np.uint64))
    assert fc.get_head() == r("b")
    assert fc.weight(r("a")) == 2 and fc.weight(r("b")) == 64


def test_proposer_boost__timely_block__wins_tie_then_expires_next_slot() -> None:
    """Spec `update_proposer_boost_root`, `get_proposer_score` and `on_tick_per_slot`: a timely block in its own
    slot is boosted by committee weight x 40%, enough to beat a sibling that would win the tie on its root;
    at the next slot the boost is gone and the root decides again."""
    fc = make()  # total 256: committee weight 64, proposer score 25
    add(fc, "z", GENESIS, 1)
    fc.on_tick(2)
    add(fc, "a", GENESIS, 2, current_slot=2, timely=True)
    assert fc.proposer_boost_root == r("a")
    assert fc.proposer_score() == 25
    assert fc.weight(r("a")) == 25 and fc.weight(GENESIS) == 25
    assert fc.get_head() == r("a")
    fc.on_tick(3)
    assert fc.proposer_boost_root is None
    assert fc.get_head() == r("z")
    assert fc.weight(r("a")) == 0


def test_proposer_boost__late_or_old_block__not_boosted() -> None:
    """Spec `record_block_timeliness`: boosted only if timely *and* received in its own slot."""
    fc = make()
    add(fc, "a", GENESIS, 1, current_slot=1, timely=False)
    assert fc.proposer_boost_root is None
    add(fc, "b", GENESIS, 1, current_slot=2, timely=True)
    assert fc.proposer_boost_root is None


def test_proposer_boost__second_timely_block_in_slot__first_keeps_boost() -> None:
    """Spec `update_proposer_boost_root`: `is_first_block`."""
    fc = make()
    add(fc, "a", GENESIS, 1, current_slot=1, timely=True)
    add(fc, "b", GENESIS, 1, current_slot=1, timely=True)
    assert fc.proposer_boost_root == r("a")
    assert fc.get_head() == r("a")


def test_proposer_boost__block_with_other_proposer_shuffling__not_boosted() -> None:
    """Spec `update_proposer_boost_root` (`is_same_dependent_root`): at epoch 2 the shuffling depends on the
    block at slot 3; a block that skips the head's block at slot 3 is not boosted, one that keeps it is."""
    fc = make()
    add(fc, "a", GENESIS, 3)
    add(fc, "c", "a", 5)
    fc.on_attestation([0], r("c"), 1)  # keeps the head on c, whatever the roots
    fc.on_tick(9)
    add(fc, "x", GENESIS, 9, current_slot=9, timely=True)
    assert fc.proposer_boost_root is None
    add(fc, "y", "a", 9, current_slot=9, timely=True)
    assert fc.proposer_boost_root == r("y")


def test_block_not_descending_from_finalized__rejected() -> None:
    """Spec `on_block`: the finalized checkpoint block must be the block's ancestor at the finalized slot."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 2)
    add(fc, "a2", "a", 5)
    cp = Checkpoint(1, r("a"))
    add(fc, "a3", "a2", 9, justified=cp, finalized=cp)
    assert fc.finalized_checkpoint == cp and fc.justified_checkpoint == cp
    with pytest.raises(InvalidBlockError, match="does not descend from the finalized"):
        add(fc, "b2", "b", 10)
    with pytest.raises(InvalidBlockError, match="not after the finalized epoch's start slot"):
        add(fc, "a1", "a", 4)
    add(fc, "a4", "a2", 10)
    assert fc.contains(r("a4")) and not fc.contains(r("b2"))


def test_block_with_unknown_parent__rejected_then_accepted_once_parent_arrives() -> None:
    fc = make()
    with pytest.raises(UnknownParentError):
        add(fc, "b", "a", 2)
    add(fc, "a", GENESIS, 1)
    add(fc, "b", "a", 2)
    assert fc.get_head() == r("b")


def test_block_from_the_future__rejected_until_its_slot() -> None:
    fc = make()
    with pytest.raises(FutureBlockError):
        add(fc, "a", GENESIS, 3, current_slot=2)
    add(fc, "a", GENESIS, 3, current_slot=3)
    with pytest.raises(InvalidBlockError, match="not after its parent"):
        add(fc, "b", "a", 3)


def test_block_already_known__ignored() -> None:
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "a", GENESIS, 1)
    assert fc.node_count == 2


def test_justified_checkpoint_advances__branch_with_stale_voting_source_filtered_out() -> None:
    """Spec `filter_block_tree`: once the store's justified epoch is 2 and the current epoch is 4, a leaf whose
    voting source is epoch 1 (more than two epochs ago, not the justified epoch) is not viable, whatever its
    weight."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", "a", 2)  # the stale branch
    add(fc, "c", "a", 3)
    j1 = Checkpoint(1, r("c"))
    j2 = Checkpoint(2, r("c2"))
    add(fc, "b2", "b", 14, justified=j1, current_slot=16)
    add(fc, "c2", "c", 8, justified=j1)
    add(fc, "c3", "c2", 15, justified=j2, current_slot=16)
    fc.on_attestation(range(6), r("b2"), 3)
    assert fc.justified_checkpoint == j2
    assert fc.get_head() == r("c3")
    assert fc.weight(r("b2")) > fc.weight(r("c3"))


def test_voting_source_two_epochs_old__still_viable() -> None:
    """Deneb+ `filter_block_tree`: `voting_source.epoch + 2 >= current_epoch` keeps a leaf viable."""
    fc = make()
    j1 = Checkpoint(1, r("a"))
    j2 = Checkpoint(2, r("c"))
    add(fc, "a", GENESIS, 1)
    add(fc, "b", "a", 9, justified=j1)  # voting source epoch 1
    add(fc, "c", "a", 8, justified=j2, current_slot=12)  # the store's justified: epoch 2, root c
    fc.on_attestation(range(5), r("b"), 2)
    # current epoch 3: 1 + 2 >= 3, so b is viable; but b does not descend from the justified root c.
    assert fc.get_head() == r("c")
    add(fc, "d", "c", 13, justified=j1)  # a leaf under c with voting source epoch 1
    add(fc, "e", "c", 13, justified=j2)
    fc.on_attestation([5, 6], r("d"), 3)
    assert fc.get_head() == r("d")
    fc.on_tick(20)  # epoch 5: d's voting source (unrealized = realized = epoch 1) is now too old
    assert fc.get_head() == r("e")


def test_inner_node_with_only_non_viable_children__not_head__head_falls_back_to_justified_root() -> None:
    """Spec `filter_block_tree` judges leaves only: an inner block whose children are all non-viable is left
    out, even if its own checkpoints are good (some clients differ here)."""
    fc = make()
    j2 = Checkpoint(2, r("a"))
    add(fc, "a", GENESIS, 1)
    add(fc, "x", "a", 9, justified=Checkpoint(0, GENESIS), current_slot=9)
    add(fc, "root", "x", 8 + 4, justified=j2, current_slot=20)
    fc.on_tick(24)  # epoch 6
    assert fc.justified_checkpoint == j2
    add(fc, "stale", "root", 21, justified=Checkpoint(1, r("a")), current_slot=24)
    # 'root' itself has voting source 2 (viable if it were a leaf); its only child is stale -> not in the tree.
    assert fc.get_head() == r("a")


def test_pulled_up_tip__block_from_prior_epoch__realizes_unrealized_checkpoints_at_once() -> None:
    """Spec `compute_pulled_up_tip`: a block from an earlier epoch than the current one brings its unrealized
    checkpoints into the store immediately; a current-epoch block only records them until the next epoch."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    uj = Checkpoint(1, r("a"))
    add(fc, "b", "a", 5, unrealized_justified=uj, current_slot=5)
    assert fc.justified_checkpoint == G0
    assert fc.unrealized_justified_checkpoint == uj
    fc.on_tick(7)
    assert fc.justified_checkpoint == G0
    fc.on_tick(8)  # epoch boundary: spec `on_tick_per_slot` pulls up
    assert fc.justified_checkpoint == uj
    uj2 = Checkpoint(2, r("b"))
    uf2 = Checkpoint(1, r("a"))
    add(fc, "c", "b", 9, unrealized_justified=uj2, unrealized_finalized=uf2, current_slot=13)  # epoch 3 now
    assert fc.justified_checkpoint == uj2
    assert fc.finalized_checkpoint == uf2
    assert fc.node(r("c")).unrealized_justified == uj2


def test_prune__finalized_advances__other_branches_dropped_votes_kept() -> None:
    """Pruning keeps the finalized block and its descendants only, re-indexes votes, and changes no head."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 2)
    add(fc, "b2", "b", 3)
    add(fc, "a2", "a", 5)
    add(fc, "a3", "a2", 6)
    add(fc, "a4", "a2", 7)
    fc.on_attestation([0, 1], r("b2"), 0)
    fc.on_attestation([2], r("a3"), 1)
    fc.on_attestation([3, 4], r("a4"), 1)
    cp = Checkpoint(1, r("a"))
    add(fc, "a5", "a4", 9, justified=cp, finalized=cp)
    head = fc.get_head()
    weights = {root: fc.weight(root) for root in (r("a2"), r("a3"), r("a4"))}
    assert fc.prune() == 3  # genesis, b, b2
    assert fc.roots()[0] == r("a")
    assert fc.node_count == 5
    assert not fc.contains(r("b2")) and not fc.contains(GENESIS)
    assert fc.get_head() == head == r("a5")
    assert {root: fc.weight(root) for root in weights} == weights
    assert fc.latest_message(0) == (0, None)
    assert fc.ancestor(r("a5"), 0) is None
    # Votes keep moving after the re-indexing; a pruned block cannot be voted for.
    fc.on_attestation([0, 1, 2, 3, 4], r("a3"), 2)
    assert fc.get_head() == r("a3")
    assert fc.weight(r("a")) == 5 * 32
    with pytest.raises(UnknownBlockError):
        fc.on_attestation([5], r("b2"), 3)
    assert fc.prune() == 0


def test_prune__with_pending_votes_for_pruned_blocks__weights_stay_exact() -> None:
    """Votes not yet applied when pruning runs, some moving into and some out of the pruned part."""
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "b", GENESIS, 2)
    fc.on_attestation([0, 1], r("a"), 0)
    fc.on_attestation([2, 3], r("b"), 0)
    assert fc.get_head() == r("b") or fc.get_head() == r("a")
    fc.on_attestation([0], r("b"), 1)  # pending: out of the kept part
    fc.on_attestation([2], r("a"), 1)  # pending: into the kept part
    add(fc, "a2", "a", 5, justified=Checkpoint(1, r("a")), finalized=Checkpoint(1, r("a")))
    fc.prune()
    assert fc.weight(r("a")) == 2 * 32
    assert fc.get_head() == r("a2")


def test_prune__finalized_root_unknown__raises() -> None:
    fc = make()
    add(fc, "a", GENESIS, 1)
    add(fc, "a2", "a", 5, justified=Checkpoint(1, r("zzz")), finalized=Checkpoint(1, r("zzz")))
    with pytest.raises(ForkChoiceError):
        fc.prune()
    with pytest.raises(ForkChoiceError):
        fc.get_head()


def test_ancestor_and_is_descendant__spec_get_ancestor_semantics() -> None:
    fc = make()
    add(fc, "a", GENESIS, 2)
    add(fc, "b", "a", 5)
    add(fc, "c", GENESIS, 3)
    assert fc.ancestor(r("b"), 4) == r("a")
    assert fc.ancestor(r("b"), 5) == r("b")
    assert fc.ancestor(r("b"), 1) == GENESIS
    assert fc.is_descendant(GENESIS, r("b")) and fc.is_descendant(r("a"), r("b")) and fc.is_descendant(r("b"), r("b"))
    assert not fc.is_descendant(r("c"), r("b")) and not fc.is_descendant(r("b"), r("a"))
    assert not fc.is_descendant(r("nope"), r("b"))
    with pytest.raises(UnknownBlockError):
        fc.ancestor(r("nope"), 0)


def test_grouped_sum__balances_beyond_float_precision__exact() -> None:
    """The vectorized delta sums stay exact where a float64 bincount would round (all three code paths)."""
    rng = np.random.default_rng(7)
    for count in (10, 200_000, 2**21 + 5):
        groups = rng.integers(0, 5, count).astype(np.int64)
        values = rng.integers(0, 2**40, count, dtype=np.uint64) | np.uint64(1)
        got = grouped_sum(groups, values, 6)
        want = [sum(int(v) for v in values[groups == g].tolist()) for g in range(6)] if count < 10**6 else None
        if want is None:
            want = [int(values[groups == g].astype(object).sum()) for g in range(6)]
        assert got.tolist() == want


def test_errors__peer_triggered_errors_are_stakework_errors() -> None:
    for error in (UnknownParentError, InvalidBlockError, FutureBlockError, UnknownBlockError, InvalidAttestationError):
        assert issubclass(error, StakeworkError)


def test_config__spec_values_and_validation() -> None:
    config = ForkChoiceConfig()
    assert (config.PROPOSER_SCORE_BOOST, config.REORG_HEAD_WEIGHT_THRESHOLD) == (40, 20)
    assert (config.REORG_PARENT_WEIGHT_THRESHOLD, config.REORG_MAX_EPOCHS_SINCE_FINALIZATION) == (160, 2)
    with pytest.raises(ValueError):
        ForkChoiceConfig(PROPOSER_SCORE_BOOST=-1)
    fc = make(config=ForkChoiceConfig(PROPOSER_SCORE_BOOST=0))
    assert fc.proposer_score() == 0
    assert make().committee_fraction(20) == 12


def test_anchor__checkpoints_must_name_the_anchor() -> None:
    with pytest.raises(ValueError):
        ForkChoice(GENESIS, 0, Checkpoint(0, r("x")), G0, np.zeros(1, dtype=np.uint64), SPE)
    fc = ForkChoice(r("anchor"), 64, Checkpoint(16, r("anchor")), Checkpoint(15, r("anchor")), [32, 32], SPE)
    assert fc.get_head() == r("anchor") and fc.current_slot == 64


def test_weights__balances_without_common_divisor_beyond_float_precision__exact() -> None:
    """Balances that share no divisor and sum past 2**53 take the exact fallback of the vectorized sums."""
    balances = np.array([2**52 + 1, 2**52 + 3, 2**52 + 7, 5], dtype=np.uint64)
    fc = ForkChoice(GENESIS, 0, G0, G0, balances, SPE)
    add(fc, "a", GENESIS, 1)
    fc.on_attestation([0, 1, 2, 3], r("a"), 0)
    assert fc.weight(r("a")) == 3 * 2**52 + 16
    fc.on_attestation([1], GENESIS, 1)
    assert fc.weight(r("a")) == 2 * 2**52 + 13
    assert fc.weight(GENESIS) == 3 * 2**52 + 16


def test_weights__many_validators_random_votes__equal_a_plain_loop() -> None:
    """The vectorized deltas against a per-validator loop over a random tree, through vote moves, balance
    changes and equivocations."""
    rng = np.random.default_rng(3)
    validators = 20_000
    fc = ForkChoice(GENESIS, 0, G0, G0, rng.integers(0, 65, validators).astype(np.uint64) * 10**9, SPE)
    roots = [GENESIS]
    parents = {GENESIS: b""}
    for k in range(1, 60):
        parent = roots[int(rng.integers(max(0, len(roots) - 8), len(roots)))]
        root = r(f"n{k}")
        add(fc, f"n{k}", parent, fc.node(parent).slot + 1 + int(rng.integers(0, 2)))
        roots.append(root)
        parents[root] = parent
    votes: dict[int, bytes] = {}
    balances = rng.integers(0, 65, validators).astype(np.uint64) * 10**9
    fc.set_justified_balances(balances)
    for step in range(4):
        for _ in range(40):
            chosen = rng.choice(validators, size=int(rng.integers(1, 800)), replace=False)
            root = roots[int(rng.integers(0, len(roots)))]
            fc.on_attestation(chosen, root, step)
            for i in chosen.tolist():
                if fc.latest_message(i) == (step, root):
                    votes[i] = root
        if step == 1:
            balances = rng.integers(0, 2049, validators).astype(np.uint64) * 10**9
            fc.set_justified_balances(balances)
        if step == 2:
            slashed = rng.choice(validators, size=500, replace=False)
            fc.on_attester_slashing(slashed)
            for i in slashed.tolist():
                votes.pop(i, None)
        expected = dict.fromkeys(roots, 0)
        for i, root in votes.items():
            node: bytes = root
            while node:
                expected[node] += int(balances[i])
                node = parents[node]
        assert {root: fc.weight(root) for root in roots} == expected


def test_long_run__finality_every_epoch_and_prune__node_count_stays_bounded() -> None:
    """Fifty epochs of a chain with a fork every other slot, all validators voting for the canonical tip,
    justification one epoch behind and finality two behind, pruned at each new finalized checkpoint: the tree
    never holds more than about three epochs of blocks, and the head is always the canonical tip."""
    fc = make(validators=64)
    tip = GENESIS
    checkpoint_root = {0: GENESIS}
    sizes = []
    for slot in range(1, 50 * SPE + 1):
        epoch = slot // SPE
        justified = Checkpoint(max(0, epoch - 1), checkpoint_root[max(0, epoch - 1)])
        finalized = Checkpoint(max(0, epoch - 2), checkpoint_root[max(0, epoch - 2)])
        if slot % 2 == 0:
            add(fc, f"fork{slot}", tip, slot, justified, finalized)
        tip = add(fc, f"main{slot}", tip, slot, justified, finalized, timely=True)
        if slot % SPE == 0:
            checkpoint_root[epoch] = tip
        fc.on_attestation(np.arange(64), tip, epoch)
        before = fc.finalized_checkpoint
        assert fc.get_head() == tip
        if fc.finalized_checkpoint != before or slot % SPE == 0:
            fc.prune()
        sizes.append(fc.node_count)
        assert all(fc.is_descendant(fc.finalized_checkpoint.root, root) for root in fc.roots())
    assert fc.finalized_checkpoint.epoch == 48
    assert max(sizes) <= 3 * SPE * 2 + 2


def test_on_tick__several_epochs_at_once__pulls_up_and_clears_boost_and_never_goes_back() -> None:
    """Spec `on_tick` runs `on_tick_per_slot` for every slot: crossing any epoch boundary pulls up."""
    fc = make()
    uj = Checkpoint(1, r("a"))
    add(fc, "a", GENESIS, 5, unrealized_justified=uj, current_slot=5, timely=True)
    assert fc.proposer_boost_root == r("a") and fc.justified_checkpoint == G0
    fc.on_tick(17)
    assert fc.proposer_boost_root is None and fc.justified_checkpoint == uj and fc.current_slot == 17
    fc.on_tick(3)
    assert fc.current_slot == 17


def test_proposer_score__total_active_balance_given__used_instead_of_the_sum() -> None:
    """Spec `get_proposer_score` reads `get_total_active_balance`, which counts active slashed validators too."""
    fc = make()
    fc.set_justified_balances(np.full(8, 32, dtype=np.uint64), total_active_balance=400)
    assert fc.proposer_score() == (400 // SPE) * 40 // 100
    with pytest.raises(ValueError):
        fc.set_justified_balances([-1])
    with pytest.raises(ValueError):
        fc.set_justified_balances([[1, 2]])
