"""A plain reference fork choice written from the consensus-specs fork-choice text (`specs/phase0/fork-choice.md`
with the Deneb and Electra changes, as in eth_consensus_specs/electra/mainnet.py): a dict of blocks, a dict of
latest messages, and every weight recomputed from the latest messages on each call. No pruning, no caching.

Each function has the spec's name and follows its text; the spec reads block states and checkpoint states, and
here the few values it reads from them are stored with the block (`justified`, `finalized`, `unrealized_*`) or
in the store (`justified_balances`: the justified state's effective balances, 0 for inactive or slashed
validators, which is what `get_attestation_score` sums; `total_active_balance` for `get_proposer_score`).

Departures, all to take plain values instead of blocks and states:
- time is counted in slots, and the block's timeliness (`record_block_timeliness`) is given as a flag;
  `on_block` first ticks to the caller's current slot;
- `get_ancestor` returns None instead of failing with KeyError when the walk passes the anchor.

Nothing here imports `stakework.forkchoice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stakework.state.containers import Checkpoint

GENESIS_EPOCH = 0
ZERO_ROOT = b"\x00" * 32


class RejectedError(ValueError):
    """A spec `assert` failed in `on_block` / `on_attestation`."""


@dataclass(frozen=True)
class Block:
    slot: int
    parent_root: bytes
    justified: Checkpoint
    """`state.current_justified_checkpoint` of the block's post-state."""
    finalized: Checkpoint


@dataclass(frozen=True)
class LatestMessage:
    epoch: int
    root: bytes


@dataclass
class Store:
    slots_per_epoch: int
    current_slot: int
    justified_checkpoint: Checkpoint
    finalized_checkpoint: Checkpoint
    unrealized_justified_checkpoint: Checkpoint
    unrealized_finalized_checkpoint: Checkpoint
    justified_balances: list[int]
    total_active_balance: int
    proposer_score_boost: int = 40
    min_seed_lookahead: int = 1
    proposer_boost_root: bytes = ZERO_ROOT
    equivocating_indices: set[int] = field(default_factory=set)
    blocks: dict[bytes, Block] = field(default_factory=dict)
    unrealized_justifications: dict[bytes, Checkpoint] = field(default_factory=dict)
    latest_messages: dict[int, LatestMessage] = field(default_factory=dict)


def get_forkchoice_store(
    anchor_root: bytes,
    anchor_slot: int,
    justified: Checkpoint,
    finalized: Checkpoint,
    balances: list[int],
    slots_per_epoch: int,
) -> Store:
    store = Store(
        slots_per_epoch=slots_per_epoch,
        current_slot=anchor_slot,
        justified_checkpoint=justified,
        finalized_checkpoint=finalized,
        unrealized_justified_checkpoint=justified,
        unrealized_finalized_checkpoint=finalized,
        justified_balances=list(balances),
        total_active_balance=sum(balances),
    )
    store.blocks[anchor_root] = Block(anchor_slot, ZERO_ROOT, justified, finalized)
    store.unrealized_justifications[anchor_root] = justified
    return store


def compute_epoch_at_slot(store: Store, slot: int) -> int:
    return slot // store.slots_per_epoch


def compute_start_slot_at_epoch(store: Store, epoch: int) -> int:
    return epoch * store.slots_per_epoch


def get_current_store_epoch(store: Store) -> int:
    return compute_epoch_at_slot(store, store.current_slot)


def get_ancestor(store: Store, root: bytes, slot: int) -> bytes | None:
    block = store.blocks[root]
    if block.slot > slot:
        if block.parent_root not in store.blocks:
            return None
        return get_ancestor(store, block.parent_root, slot)
    return root


def get_checkpoint_block(store: Store, root: bytes, epoch: int) -> bytes | None:
    epoch_first_slot = compute_start_slot_at_epoch(store, epoch)
    return get_ancestor(store, root, epoch_first_slot)


def is_ancestor(store: Store, root: bytes, ancestor: bytes) -> bool:
    return get_ancestor(store, root, store.blocks[ancestor].slot) == ancestor


def get_attestation_score(store: Store, root: bytes) -> int:
    balances = store.justified_balances
    return sum(
        balances[i]
        for i, message in store.latest_messages.items()
        if i < len(balances) and i not in store.equivocating_indices and is_ancestor(store, message.root, root)
    )


def get_proposer_score(store: Store) -> int:
    committee_weight = store.total_active_balance // store.slots_per_epoch
    return (committee_weight * store.proposer_score_boost) // 100


def get_weight(store: Store, root: bytes) -> int:
    attestation_score = get_attestation_score(store, root)
    if store.proposer_boost_root == ZERO_ROOT:
        return attestation_score
    proposer_score = 0
    if is_ancestor(store, store.proposer_boost_root, root):
        proposer_score = get_proposer_score(store)
    return attestation_score + proposer_score


def get_voting_source(store: Store, block_root: bytes) -> Checkpoint:
    block = store.blocks[block_root]
    current_epoch = get_current_store_epoch(store)
    block_epoch = compute_epoch_at_slot(store, block.slot)
    if current_epoch > block_epoch:
        return store.unrealized_justifications[block_root]
    return block.justified


def filter_block_tree(store: Store, block_root: bytes, blocks: dict[bytes, Block]) -> bool:
    block = store.blocks[block_root]
    children = [root for root in store.blocks if store.blocks[root].parent_root == block_root]

    if any(children):
        filter_block_tree_result = [filter_block_tree(store, child, blocks) for child in children]
        if any(filter_block_tree_result):
            blocks[block_root] = block
            return True
        return False

    current_epoch = get_current_store_epoch(store)
    voting_source = get_voting_source(store, block_root)
    # Kept as the spec writes it.
    correct_justified = (
        store.justified_checkpoint.epoch == GENESIS_EPOCH  # noqa: PLR1714
        or voting_source.epoch == store.justified_checkpoint.epoch
        or voting_source.epoch + 2 >= current_epoch
    )
    finalized_checkpoint_block = get_checkpoint_block(store, block_root, store.finalized_checkpoint.epoch)
    correct_finalized = (
        store.finalized_checkpoint.epoch == GENESIS_EPOCH
        or store.finalized_checkpoint.root == finalized_checkpoint_block
    )
    if correct_justified and correct_finalized:
        blocks[block_root] = block
        return True
    return False


def get_filtered_block_tree(store: Store) -> dict[bytes, Block]:
    base = store.justified_checkpoint.root
    blocks: dict[bytes, Block] = {}
    filter_block_tree(store, base, blocks)
    return blocks


def get_head(store: Store) -> bytes:
    blocks = get_filtered_block_tree(store)
    head = store.justified_checkpoint.root
    while True:
        children = [root for root in blocks if blocks[root].parent_root == head]
        if len(children) == 0:
            return head
        head = max(children, key=lambda child: (get_weight(store, child), child))


def update_checkpoints(store: Store, justified_checkpoint: Checkpoint, finalized_checkpoint: Checkpoint) -> None:
    if justified_checkpoint.epoch > store.justified_checkpoint.epoch:
        store.justified_checkpoint = justified_checkpoint
    if finalized_checkpoint.epoch > store.finalized_checkpoint.epoch:
        store.finalized_checkpoint = finalized_checkpoint


def update_unrealized_checkpoints(
    store: Store, unrealized_justified_checkpoint: Checkpoint, unrealized_finalized_checkpoint: Checkpoint
) -> None:
    if unrealized_justified_checkpoint.epoch > store.unrealized_justified_checkpoint.epoch:
        store.unrealized_justified_checkpoint = unrealized_justified_checkpoint
    if unrealized_finalized_checkpoint.epoch > store.unrealized_finalized_checkpoint.epoch:
        store.unrealized_finalized_checkpoint = unrealized_finalized_checkpoint


def compute_pulled_up_tip(store: Store, block_root: bytes, justified: Checkpoint, finalized: Checkpoint) -> None:
    """`justified`/`finalized`: the post-state's checkpoints after `process_justification_and_finalization`."""
    store.unrealized_justifications[block_root] = justified
    update_unrealized_checkpoints(store, justified, finalized)
    block_epoch = compute_epoch_at_slot(store, store.blocks[block_root].slot)
    current_epoch = get_current_store_epoch(store)
    if block_epoch < current_epoch:
        update_checkpoints(store, justified, finalized)


def on_tick_per_slot(store: Store, slot: int) -> None:
    previous_slot = store.current_slot
    store.current_slot = slot
    current_slot = store.current_slot
    if current_slot > previous_slot:
        store.proposer_boost_root = ZERO_ROOT
    if current_slot > previous_slot and current_slot % store.slots_per_epoch == 0:
        update_checkpoints(store, store.unrealized_justified_checkpoint, store.unrealized_finalized_checkpoint)


def on_tick(store: Store, slot: int) -> None:
    if slot <= store.current_slot:
        return
    while store.current_slot < slot:
        on_tick_per_slot(store, store.current_slot + 1)


def get_shuffling_dependent_root(store: Store, root: bytes, epoch: int) -> bytes | None:
    if epoch <= store.min_seed_lookahead:
        return ZERO_ROOT
    dependent_slot = compute_start_slot_at_epoch(store, epoch - store.min_seed_lookahead) - 1
    return get_ancestor(store, root, dependent_slot)


def update_proposer_boost_root(store: Store, head: bytes, root: bytes, is_timely: bool) -> None:
    is_first_block = store.proposer_boost_root == ZERO_ROOT
    epoch = get_current_store_epoch(store)
    head_dependent_root = get_shuffling_dependent_root(store, head, epoch)
    block_dependent_root = get_shuffling_dependent_root(store, root, epoch)
    is_same_dependent_root = head_dependent_root == block_dependent_root
    if is_timely and is_first_block and is_same_dependent_root:
        store.proposer_boost_root = root


def on_block(
    store: Store,
    root: bytes,
    parent_root: bytes,
    slot: int,
    justified: Checkpoint,
    finalized: Checkpoint,
    unrealized_justified: Checkpoint,
    unrealized_finalized: Checkpoint,
    current_slot: int,
    timely: bool,
) -> None:
    if root in store.blocks:
        return
    on_tick(store, current_slot)
    if parent_root not in store.blocks:
        raise RejectedError("unknown parent")
    if not get_current_slot(store) >= slot:
        raise RejectedError("future block")
    if not slot > store.blocks[parent_root].slot:
        raise RejectedError("not after parent")  # the state transition's process_block_header check
    finalized_slot = compute_start_slot_at_epoch(store, store.finalized_checkpoint.epoch)
    if not slot > finalized_slot:
        raise RejectedError("not after finalized slot")
    finalized_checkpoint_block = get_checkpoint_block(store, parent_root, store.finalized_checkpoint.epoch)
    if store.finalized_checkpoint.root != finalized_checkpoint_block:
        raise RejectedError("not descending from finalized")

    head = get_head(store)
    store.blocks[root] = Block(slot, parent_root, justified, finalized)
    # record_block_timeliness
    is_timely = get_current_slot(store) == slot and timely
    update_proposer_boost_root(store, head, root, is_timely)
    update_checkpoints(store, justified, finalized)
    compute_pulled_up_tip(store, root, unrealized_justified, unrealized_finalized)


def get_current_slot(store: Store) -> int:
    return store.current_slot


def update_latest_messages(store: Store, attesting_indices: list[int], epoch: int, beacon_block_root: bytes) -> None:
    non_equivocating_attesting_indices = [i for i in attesting_indices if i not in store.equivocating_indices]
    for i in non_equivocating_attesting_indices:
        if i not in store.latest_messages or epoch > store.latest_messages[i].epoch:
            store.latest_messages[i] = LatestMessage(epoch=epoch, root=beacon_block_root)


def on_attestation(store: Store, attesting_indices: list[int], beacon_block_root: bytes, target_epoch: int) -> None:
    """The fork-choice effect of spec `on_attestation` once `validate_on_attestation` and the signature passed."""
    if beacon_block_root not in store.blocks:
        raise RejectedError("unknown block")
    update_latest_messages(store, attesting_indices, target_epoch, beacon_block_root)


def on_attester_slashing(store: Store, indices: list[int]) -> None:
    for index in indices:
        store.equivocating_indices.add(index)
