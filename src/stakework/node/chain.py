"""The node's view of the chain: post-states by block root, the fork choice, the attestation pool.

Blocks are validated by the pure transition (`state_transition` on a copy of the parent's post-state); the
fork choice (LMD-GHOST + FFG) picks the head. States below the finalized checkpoint are pruned.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import InitVar, dataclass, field

import numpy as np

from stakework.crypto import bls
from stakework.forkchoice import ForkChoice, ForkChoiceError
from stakework.node.state_cache import StateCache
from stakework.node.storage import ChainStore
from stakework.node.storage.db import anchor_root
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import Preset
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import BeaconBlockHeader, Checkpoint
from stakework.state.root import hash_state
from stakework.transition.accessors import is_active_validator
from stakework.transition.block.attestation import get_attesting_indices
from stakework.transition.block.block import Attestation, SignedBeaconBlock, header_root
from stakework.transition.epoch.context import EpochContext
from stakework.transition.epoch.justification import process_justification_and_finalization
from stakework.transition.errors import TransitionError
from stakework.transition.state_transition import process_slots, state_transition, verify_block_signature


class AnchorPrunedError(StakeworkError):
    """The anchor state was asked for after finality pruned it (read a finalized state from the store)."""


class ProposerSignatureError(TransitionError):
    """A block whose parent's state is not held, refused before the rebuild: its proposer's signature does not
    verify (a rebuild costs up to an epoch of block replays; anyone can make an unsigned block on an old parent)."""


class BlockRangeError(TransitionError):
    """A block of a range (sync) was refused; `root` names it, `imported` the roots imported before it."""

    def __init__(self, message: str, *, root: bytes, imported: Sequence[bytes] = ()) -> None:
        super().__init__(message)
        self.root = root
        self.imported = list(imported)


@dataclass(frozen=True)
class GenesisInfo:
    """What a running node needs of its genesis state once finality has let the state go (issue #16: a state is
    ~0.4 GiB at a million validators, and the node runner, the opened devnet and the API each kept a reference to
    it): the chain's identity, its clock's origin and the genesis block."""

    genesis_time: int
    genesis_validators_root: bytes
    fork_current_version: bytes
    preset: Preset
    slot: int
    header: BeaconBlockHeader
    """The genesis block's header, its state root filled in (what `process_slot` writes)."""
    root: bytes
    """The genesis block root (`storage.db.anchor_root` of the genesis state)."""

    @property
    def state_root(self) -> bytes:
        return self.header.state_root

    @classmethod
    def of(cls, genesis: BeaconState) -> GenesisInfo:
        """Read off a genesis state (its root hashed once), keeping no reference to it."""
        h = genesis.latest_block_header
        if h.state_root == b"\x00" * 32:
            h = BeaconBlockHeader(h.slot, h.proposer_index, h.parent_root, hash_state(genesis), h.body_root)
        return cls(
            genesis_time=int(genesis.genesis_time),
            genesis_validators_root=bytes(genesis.genesis_validators_root),
            fork_current_version=bytes(genesis.fork_current_version),
            preset=genesis.preset,
            slot=int(genesis.slot),
            header=h,
            root=header_root(h),
        )


def justified_balances(state: BeaconState) -> np.ndarray:
    """Effective balances of active, unslashed validators (Spec: get_weight's balance source)."""
    v = state.validators
    active = is_active_validator(state, state.current_epoch()) & ~v.slashed
    return np.where(active, v.effective_balance, np.uint64(0))


def pulled_up_checkpoints(state: BeaconState) -> tuple[Checkpoint, Checkpoint]:
    """Spec: compute_pulled_up_tip — the checkpoints the state would reach if its epoch ended now. Computed on
    `state` itself, whose four justification fields (all that process_justification_and_finalization writes)
    are put back after: a copy of the whole state per block cost more than the computation."""
    saved = (
        state.previous_justified_checkpoint,
        state.current_justified_checkpoint,
        state.justification_bits,
        state.finalized_checkpoint,
    )
    try:
        process_justification_and_finalization(state, EpochContext.build(state))
        return state.current_justified_checkpoint, state.finalized_checkpoint
    finally:
        (
            state.previous_justified_checkpoint,
            state.current_justified_checkpoint,
            state.justification_bits,
            state.finalized_checkpoint,
        ) = saved


@dataclass
class Chain:
    """Block tree, fork choice and attestation pool of one node."""

    anchor_state: InitVar[BeaconState]
    """The anchor: the genesis state, or on restart the newest finalized snapshot. Held (as `states[anchor]`) only
    until finality prunes it; what the chain needs of it later is kept apart (`preset`, `anchor_slot`)."""
    store: ChainStore | None = None
    """Where imported blocks and finalized states are persisted (None: memory only)."""
    states: MutableMapping[bytes, BeaconState] = field(default_factory=dict)
    """Post-states by block root: a `StateCache` (every known root, a few states in memory, the rest rebuilt)."""
    blocks: dict[bytes, SignedBeaconBlock] = field(default_factory=dict)
    pool: dict[int, list[Attestation]] = field(default_factory=dict)
    anchor_epoch: int | None = None
    """The epoch of the checkpoint the anchor state stands for. A finalized checkpoint's block may sit in an
    earlier epoch (the first slots of the checkpoint's epoch were missed): the checkpoint is (epoch, block root),
    and its epoch cannot be read from the block's post-state. None: the anchor state's own epoch (genesis)."""

    def __post_init__(self, anchor_state: BeaconState) -> None:
        if not isinstance(self.states, StateCache):  # memory: a node at 1M validators cannot hold ~96 states
            self.states = StateCache(self.blocks, self.states)
        root = anchor_root(anchor_state)
        self.anchor = root
        self.preset = anchor_state.preset
        self.anchor_slot = int(anchor_state.slot)
        self.states[root] = anchor_state
        epoch = anchor_state.current_epoch() if self.anchor_epoch is None else self.anchor_epoch
        if epoch < anchor_state.current_epoch():
            raise ValueError(
                f"anchor checkpoint epoch {epoch} is before its state's epoch {anchor_state.current_epoch()}"
            )
        # Spec get_forkchoice_store: the anchor is both the justified and the finalized checkpoint, and the
        # justified balances are those of the checkpoint state (the block's post-state advanced to the epoch).
        cp = Checkpoint(epoch, root)
        p = self.preset
        self.forkchoice = ForkChoice(
            root,
            self.anchor_slot,
            cp,
            cp,
            justified_balances(self._checkpoint_state(cp)),
            p.SLOTS_PER_EPOCH,
            min_seed_lookahead=p.MIN_SEED_LOOKAHEAD,
        )
        self._justified_root = root
        self._finalized_epoch = epoch
        self._defer_snapshots = False
        self._snapshot_due = False

    @property
    def genesis(self) -> BeaconState:
        """The anchor state (see `anchor_state`), while the chain holds it: finality prunes it (issue #16: at a
        million validators it is ~0.4 GiB), after which this raises `AnchorPrunedError`."""
        if self.anchor not in self.states:
            raise AnchorPrunedError(
                f"the anchor state (block 0x{self.anchor.hex()[:16]}) was pruned at finality; "
                "read a finalized state from the chain store instead"
            )
        return self.states[self.anchor]

    @property
    def cache(self) -> StateCache:
        """`states`, as the `StateCache` it is (what is held, what a read would cost)."""
        assert isinstance(self.states, StateCache)  # (made one in __post_init__)
        return self.states

    def proposer_signature_valid(self, signed: SignedBeaconBlock) -> bool:
        """Spec: verify_block_signature, on the head state (held) rather than the parent's: a validator's index and
        key are the same on every branch above finality (a proposer is active, so its deposit is finalized), and
        the domain depends on the fork and the genesis validators root only. Checked before a rebuild of the
        parent's state, which an unsigned block must not be able to cause."""
        return verify_block_signature(self.head_state, signed)

    @property
    def head_root(self) -> bytes:
        return self.forkchoice.get_head()

    @property
    def head_state(self) -> BeaconState:
        return self.states[self.head_root]

    def state_at_slot(self, slot: int) -> BeaconState:
        """A copy of the head state advanced (empty slots) to `slot`."""
        state = self.head_state.copy()
        if slot > state.slot:
            process_slots(state, slot)
        return state

    def import_block(
        self,
        signed: SignedBeaconBlock,
        *,
        current_slot: int,
        timely: bool = True,
        verified_transactions: Container[bytes] = frozenset(),
    ) -> bytes:
        """Validate and add a block; returns its root. Raises TransitionError (InvalidOperation) when invalid.
        `verified_transactions`: hashes of transactions whose signatures this node has verified already."""
        block = signed.message
        root = block.hash_tree_root()
        if root in self.states:
            return root
        if block.parent_root not in self.states:
            raise TransitionError(f"block {root.hex()[:16]}: unknown parent {block.parent_root.hex()[:16]}")
        if not self.cache.holds(block.parent_root) and not self.proposer_signature_valid(signed):
            raise ProposerSignatureError(
                f"block {root.hex()[:16]} at slot {block.slot}: the signature of proposer {block.proposer_index} "
                "does not verify (checked before rebuilding the state of its parent, an older block)"
            )
        state = self.states[block.parent_root].copy()
        state_transition(
            state,
            signed,
            verified_transactions=verified_transactions,
            pre_state_root=self._post_state_root(block.parent_root),
        )
        self._add(signed, root, state, current_slot=current_slot, timely=timely)
        return root

    def import_blocks(self, blocks: Sequence[SignedBeaconBlock], *, current_slot: int) -> list[bytes]:
        """Import a range of blocks (sync), each linked to the one before or to a block we have; returns the
        roots imported. The same verdicts as `import_block` one by one, faster: every block's proposer, RANDAO and
        attestation signatures are checked in one batch (`bls.SignatureBatch`). When the batch fails, or a block
        breaks another rule, the blocks are imported one by one, which names the block at fault:
        `BlockRangeError` (the blocks before it stay imported; also for a block the fork choice refuses)."""
        batch = bls.SignatureBatch()
        done: list[tuple[SignedBeaconBlock, bytes, BeaconState]] = []
        staged: dict[bytes, BeaconState] = {}
        staged_blocks: dict[bytes, SignedBeaconBlock] = {}
        for signed in blocks:
            block = signed.message
            root = block.hash_tree_root()
            if root in self.states or root in staged:
                continue
            parent = staged.get(block.parent_root)
            if parent is None:
                if block.parent_root not in self.states:
                    break
                if not self.cache.holds(block.parent_root) and not self.proposer_signature_valid(signed):
                    break  # (no rebuild for it: import_block below names it)
                parent = self.states[block.parent_root]
            state = parent.copy()
            try:
                state_transition(
                    state,
                    signed,
                    signature_batch=batch,
                    pre_state_root=self._post_state_root(block.parent_root, staged_blocks),
                )
            except TransitionError:
                break
            staged[root] = state
            staged_blocks[root] = signed
            done.append((signed, root, state))
        imported: list[bytes] = []
        if done and (len(batch) == 0 or batch.verify()):
            refused: BlockRangeError | None = None
            with self._one_write(f"import {len(done)} blocks from slot {done[0][0].message.slot}"):
                for signed, root, state in done:
                    try:
                        self._add(signed, root, state, current_slot=current_slot, timely=False)
                    except ForkChoiceError as exc:  # the blocks before it are committed, as one by one
                        refused = BlockRangeError(
                            f"block 0x{root.hex()[:16]} at slot {signed.message.slot} refused: {exc}",
                            root=root,
                            imported=imported,
                        )
                        break
                    imported.append(root)
            if refused is not None:
                raise refused
        committed = set(imported)
        roots = {id(signed): root for signed, root, _ in done}
        for signed in blocks:  # the rest (or all, the batch failing): one by one
            root = roots.get(id(signed)) or signed.message.hash_tree_root()
            if root in self.states or root in committed:  # (committed ones may be pruned already: finality)
                continue
            try:
                self.import_block(signed, current_slot=current_slot, timely=False)
            except (TransitionError, ForkChoiceError) as exc:
                raise BlockRangeError(
                    f"block 0x{root.hex()[:16]} at slot {signed.message.slot} refused: {exc}",
                    root=root,
                    imported=imported,
                ) from exc
            imported.append(root)
        return imported

    @contextmanager
    def _one_write(self, doing: str) -> Iterator[None]:
        """The store writes of a range of blocks as one transaction (one fsync, not one per block), with one
        snapshot of the newest finalized state at the end instead of one per finalized epoch."""
        if self.store is None:
            yield
            return
        self._snapshot_due = False
        self._defer_snapshots = True
        try:
            with self.store.batch(doing):
                yield
                self._defer_snapshots = False
                finalized = self.forkchoice.finalized_checkpoint
                if self._snapshot_due and finalized.root in self.states:
                    self.store.save_finalized_state(self.states[finalized.root], finalized)
        finally:
            self._defer_snapshots = False

    def _post_state_root(
        self, block_root: bytes, staged: Mapping[bytes, SignedBeaconBlock] | None = None
    ) -> bytes | None:
        """The root of the post-state of a block held here, as the block committed to it (checked when it was
        imported); None for the anchor (not imported as a block)."""
        signed = self.blocks.get(block_root)
        if signed is None and staged is not None:
            signed = staged.get(block_root)
        return None if signed is None else signed.message.state_root

    def _add(
        self, signed: SignedBeaconBlock, root: bytes, state: BeaconState, *, current_slot: int, timely: bool
    ) -> None:
        """Record a block whose transition succeeded: its post-state, the fork choice, its attestations' votes."""
        block = signed.message
        justified, finalized = pulled_up_checkpoints(state)  # (before the state is reachable: it is put back)
        self.states[root] = state
        self.blocks[root] = signed
        self.forkchoice.on_block(
            root,
            block.parent_root,
            block.slot,
            state.current_justified_checkpoint,
            state.finalized_checkpoint,
            justified,
            finalized,
            current_slot=current_slot,
            timely=timely,
        )
        for attestation in block.body.attestations:
            self._vote(state, attestation)
            pooled = self.pool.get(attestation.data.slot)
            if pooled and attestation in pooled:  # included: no need to include it again
                pooled.remove(attestation)
        self._after_checkpoints_change()
        if self.store is not None:
            fc = self.forkchoice
            self.store.import_block(
                signed,
                block.state_root,
                head=fc.get_head(),
                justified=fc.justified_checkpoint,
                finalized=fc.finalized_checkpoint,
            )

    def _vote(self, state: BeaconState, attestation: Attestation) -> None:
        """Count an attestation's votes; votes for blocks the fork choice no longer holds (pruned below
        finality, or before the anchor) count for nothing."""
        try:
            indices = get_attesting_indices(state, attestation)
            self.forkchoice.on_attestation(indices, attestation.data.beacon_block_root, attestation.data.target.epoch)
        except (TransitionError, ForkChoiceError):
            return

    def on_attestation(self, attestation: Attestation, state: BeaconState | None = None) -> None:
        """A gossiped or locally made aggregate: count its votes, keep it for inclusion in a block. `state`: the
        state its committees were resolved and its signature checked on (the head state, or the head advanced to
        the vote's epoch); None: the head state. Never the state of the block it votes for, which may have to be
        rebuilt (up to an epoch of replays) for any old block a vote names. A vote for a block not known here is
        not counted."""
        if attestation.data.beacon_block_root not in self.states:
            return
        self._vote(self.head_state if state is None else state, attestation)
        self.pool.setdefault(attestation.data.slot, []).append(attestation)

    def attestations_for_block(self, slot: int) -> list[Attestation]:
        """Pooled attestations a block at `slot` may include (Electra: from the current or previous epoch,
        at least MIN_ATTESTATION_INCLUSION_DELAY old), newest first."""
        p = self.preset
        epoch = slot // p.SLOTS_PER_EPOCH
        out: list[Attestation] = []
        for att_slot in sorted(self.pool, reverse=True):
            if att_slot + p.MIN_ATTESTATION_INCLUSION_DELAY <= slot and att_slot // p.SLOTS_PER_EPOCH >= epoch - 1:
                out.extend(self.pool[att_slot])
        return out[: p.MAX_ATTESTATIONS_ELECTRA]

    def _checkpoint_state(self, checkpoint: Checkpoint) -> BeaconState:
        """Spec: the checkpoint state — the block's post-state advanced (empty slots) to the epoch's start."""
        state = self.states[checkpoint.root]
        start = checkpoint.epoch * state.preset.SLOTS_PER_EPOCH
        if state.slot < start:
            state = state.copy()
            process_slots(state, start)
        return state

    def _after_checkpoints_change(self) -> None:
        fc = self.forkchoice
        justified = fc.justified_checkpoint
        if justified.root != self._justified_root and justified.root in self.states:
            self._justified_root = justified.root
            fc.set_justified_balances(justified_balances(self._checkpoint_state(justified)))
        finalized = fc.finalized_checkpoint
        if finalized.epoch > self._finalized_epoch:
            self._finalized_epoch = finalized.epoch
            fc.prune()
            keep = set(fc.roots())
            for root in [r for r in self.states if r not in keep]:
                del self.states[root]
                self.blocks.pop(root, None)
            p = self.preset
            start = finalized.epoch * p.SLOTS_PER_EPOCH
            for att_slot in [s for s in self.pool if s < start - p.SLOTS_PER_EPOCH]:
                del self.pool[att_slot]
            if self.store is not None and finalized.root in self.states:
                if self._defer_snapshots:
                    self._snapshot_due = True
                else:
                    self.store.save_finalized_state(self.states[finalized.root], finalized)

    def tick(self, slot: int) -> None:
        self.forkchoice.on_tick(slot)
        self._after_checkpoints_change()
