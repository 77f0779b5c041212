"""`stakework node`: one node of a network, in its own process — the chain, fork choice, mempool, slasher, storage
and (optionally) the API of the devnet, a validator client for the keys in its own keys directory, and the p2p
network (`node.p2p`) to its peers.

Threads: the slot loop, the network and every chain mutation run on one asyncio loop in the main thread. The
chain work (block import, signatures) is CPU-bound and synchronous; a second thread would not run it any faster
under the GIL, but would need a lock around every chain access from the network. The API server has its own
thread and reads the chain under the view's lock, which this loop holds (the SlotGate) while it mutates the chain.

A node that is behind its peers (a fresh data directory, or back after downtime) syncs by range from the peer with
the highest head, verifying every block, before its validators act (`NodeRunner.sync`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from stakework.crypto.keystore import write_private_file
from stakework.forkchoice import ForkChoiceError
from stakework.node.admission import admit
from stakework.node.chain import BlockRangeError, GenesisInfo
from stakework.node.devnet import (
    META_FILENAME,
    DevnetConfig,
    DevnetError,
    LoadGenerator,
    SlotReport,
    attest_step,
    open_devnet_dir,
    propose_step,
    slot_report,
)
from stakework.node.mempool import Mempool, MempoolError
from stakework.node.p2p import messages
from stakework.node.p2p.gossip import Verdict
from stakework.node.p2p.network import Network
from stakework.node.p2p.peer import Peer
from stakework.node.p2p.reqresp import RequestError
from stakework.node.slasher import Slasher
from stakework.node.storage.db import anchor_root
from stakework.node.txindex import TransactionIndex
from stakework.spec.presets import Preset, load_preset
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.attestation import is_valid_attestation_signature
from stakework.transition.block.attester_slashing import process_attester_slashing
from stakework.transition.block.block import (
    Attestation,
    AttesterSlashing,
    ProposerSlashing,
    SignedBeaconBlock,
    SignedBeaconBlockHeader,
    pack_bits,
)
from stakework.transition.block.proposer_slashing import process_proposer_slashing
from stakework.transition.block.transaction import SignedTransaction
from stakework.transition.errors import TransitionError
from stakework.transition.state_transition import verify_block_signature

log = logging.getLogger(__name__)

MAXIMUM_GOSSIP_CLOCK_DISPARITY = 0.5
"""Spec (p2p-interface.md): MAXIMUM_GOSSIP_CLOCK_DISPARITY = 500 ms, the clock error a gossiped block's slot may
show."""
MAX_PARENT_FETCH = 32
"""A gossiped block whose unknown ancestry is deeper than this starts a range sync instead of fetching by root."""
SYNC_SLACK = 1
"""A node whose best peer's head is more than this many slots ahead syncs before its validators act."""
SYNC_BATCH = 32
"""Blocks of a range response imported with one signature batch before gossip and the API get a turn."""
MAX_CHECKPOINT_STATE_BYTES = 1 << 30
"""The largest finalized state `--checkpoint-url` accepts (a binary snapshot)."""
GENESIS_FILENAME = "genesis.json"
BLOCKED_PEERS_FILE = "p2p-blocked"


class NodeError(DevnetError):
    """A node that cannot start as asked."""


@dataclass(frozen=True)
class NetworkGenesis:
    """What every node of one network shares (the `--genesis FILE`, JSON): the deterministic devnet genesis and
    the slot clock."""

    genesis_time: int
    preset: str
    validators: int
    slot_seconds: float
    modules: bool = True
    funded_accounts: int = 8
    clock_shift_seconds: float = 0.0
    """Seconds the network's slot clock was moved forward (a whole devnet restarted after a long stop)."""

    @classmethod
    def read(cls, path: Path) -> NetworkGenesis:
        try:
            return msgspec.json.decode(path.read_bytes(), type=cls)
        except OSError as exc:
            raise NodeError(f"{path}: cannot read the genesis file ({exc.strerror or exc})") from None
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise NodeError(f"{path}: not a stakework network genesis file ({exc})") from None
        except RecursionError:
            raise NodeError(f"{path}: not a stakework network genesis file (JSON nested too deep to read)") from None

    def write(self, path: Path) -> None:
        write_private_file(path, msgspec.json.encode(self))

    def meta(self) -> dict[str, object]:
        """The devnet.json a node's data directory holds."""
        return {
            "genesis_time": self.genesis_time,
            "preset": self.preset,
            "validators": self.validators,
            "modules": self.modules,
        }


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    genesis: NetworkGenesis
    listen: tuple[str, int] = ("127.0.0.1", 0)
    peers: tuple[tuple[str, int], ...] = ()
    keys_dir: Path | None = None
    """Keystores (and their `password` file) of the validators this node runs; default DATA/keys."""
    equivocate: int = 0
    load: float = 0.0
    snappy: bool = True
    sync_wait_seconds: float = 2.0
    """At start, how long to wait for a first peer before acting alone (a node with peers to dial)."""
    checkpoint_root: bytes | None = None
    """Checkpoint sync: a new data directory starts from a peer's finalized state whose block root is this."""
    checkpoint_url: str | None = None
    """Checkpoint sync: the API (http://HOST:PORT) of a node to fetch the finalized state from; without it (or
    when it does not answer) the state is asked of the p2p peers."""


@dataclass
class NodeStats:
    blocks_imported: int = 0
    blocks_synced: int = 0
    gossip_blocks: int = 0
    attestations: int = 0
    sync_seconds: float = 0.0
    gossip_delays: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    """Seconds from a block's slot start to its arrival here (gossip latency, for the benchmark)."""


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT → (host, port); NodeError naming the problem otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise NodeError(f"{text!r} is not HOST:PORT (for example 127.0.0.1:9000)")
    return host, int(port)


def merge_into_pool(pool: list[Attestation], attestation: Attestation) -> None:
    """Aggregate `attestation` into a pooled one with the same data and committees when their voters are disjoint
    (the aggregate's signature is the sum of both): a block holds at most MAX_ATTESTATIONS_ELECTRA aggregates,
    and each node of a network makes its own."""
    import numpy as np

    from stakework.crypto import bls
    from stakework.transition.block.block import unpack_bits

    if attestation not in pool:
        return
    for i, other in enumerate(pool):
        if other is attestation or other == attestation:
            continue
        if (
            other.data != attestation.data
            or other.committee_bits != attestation.committee_bits
            or other.aggregation_bits_length != attestation.aggregation_bits_length
        ):
            continue
        a = unpack_bits(attestation.aggregation_bits, attestation.aggregation_bits_length)
        b = unpack_bits(other.aggregation_bits, other.aggregation_bits_length)
        if np.any(a & b):
            continue
        merged = msgspec.structs.replace(
            other,
            aggregation_bits=pack_bits(a | b),
            signature=bls.aggregate([other.signature, attestation.signature]),
        )
        pool[i] = merged
        pool.remove(attestation)
        return


class NodeRunner:
    """One node: see the module docstring. `on_slot` gets each slot's report; `lock` is held while the chain
    changes (the API's SlotGate); `on_open` sees the opened chain, mempool, validator client and `GenesisInfo`."""

    def __init__(
        self,
        config: NodeConfig,
        *,
        on_slot: Callable[[SlotReport], object] = lambda r: None,
        lock: AbstractContextManager[object] | None = None,
        on_open: Callable[[object, Mempool, object, GenesisInfo], object] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.on_slot = on_slot
        self.guard = lock if lock is not None else nullcontext()
        self.clock = clock
        g = config.genesis
        try:
            self.preset: Preset = load_preset(g.preset)
        except Exception as exc:
            raise NodeError(f"genesis file names preset {g.preset!r}, which cannot be loaded ({exc})") from None
        data = config.data_dir
        data.mkdir(parents=True, exist_ok=True)
        meta_path = data / META_FILENAME
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
                known = (int(meta.get("genesis_time", -1)), int(meta.get("validators", -1)))
            except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
                raise NodeError(
                    f"{meta_path}: unreadable ({type(exc).__name__}: {str(exc)[:200]}); the data directory is damaged: "
                    "move it away and start with a new --data-dir"
                ) from None
            if known != (g.genesis_time, g.validators):
                raise NodeError(
                    f"{data} holds a chain of another genesis (genesis time {meta.get('genesis_time')}, "
                    f"{meta.get('validators')} validators); use a new --data-dir for this network"
                )
        else:
            write_private_file(meta_path, json.dumps(g.meta()).encode())
        self.opened = open_devnet_dir(
            DevnetConfig(
                data_dir=data,
                preset=self.preset,
                validators=g.validators,
                slot_seconds=g.slot_seconds,
                funded_accounts=g.funded_accounts,
                equivocate=config.equivocate,
                modules=g.modules,
                keys_dir=config.keys_dir if config.keys_dir is not None else data / "keys",
            )
        )
        self.chain = self.opened.chain
        self.client = self.opened.client
        self.genesis = self.opened.genesis
        """What is needed of the genesis state (`GenesisInfo`); the state itself goes with finality (issue #16)."""
        self.genesis_root = self.genesis.root
        self.mempool = Mempool()
        self.slasher = Slasher()
        self.stats = NodeStats()
        self.network = Network(self, listen=config.listen, peers_to_dial=config.peers, snappy=config.snappy)
        self.last_slot = max(self.genesis.slot, self.chain.head_state.slot, self.opened.last_signed_slot)
        self._seen_proposals: dict[tuple[int, int], bytes] = {}
        self._published_txs: set[bytes] = set()
        self.txindex = TransactionIndex()
        """The transaction index gossip's admissions are recorded in (the API's, when it serves one)."""
        self._published_slashings: set[bytes] = set()
        self._unhelpful: dict[bytes, bytes] = {}
        """Peers (node id) whose announced head (root) a sync from them could not reach."""
        self._sync_needed = asyncio.Event()
        self._fetching: set[bytes] = set()
        self._attest_states: dict[tuple[bytes, int], BeaconState] = {}
        self.load = LoadGenerator(g.funded_accounts) if config.load > 0 and g.funded_accounts > 1 else None
        if on_open is not None:
            on_open(self.chain, self.mempool, self.client, self.genesis)

    # -- the clock ----------------------------------------------------------------------------------------
    @property
    def origin(self) -> float:
        return self.config.genesis.genesis_time + self.config.genesis.clock_shift_seconds

    @property
    def seconds(self) -> float:
        return self.config.genesis.slot_seconds

    def wall_slot(self, now: float | None = None) -> int:
        now = self.clock() if now is None else now
        return int((now - self.origin) // self.seconds) if now >= self.origin else 0

    # -- NodeHandler (called by the network) --------------------------------------------------------------
    def status(self) -> messages.Status:
        fc = self.chain.forkchoice
        head = self.chain.head_root
        return messages.Status(
            genesis_root=self.genesis_root,
            fork_version=self.genesis.fork_current_version,
            finalized_epoch=fc.finalized_checkpoint.epoch,
            finalized_root=fc.finalized_checkpoint.root,
            head_slot=self.chain.states[head].slot,
            head_root=head,
            node_id=b"\x00" * 16,
        )

    def on_peer_status(self, peer: Peer, status: messages.Status) -> None:
        """A peer ahead of us, or on a head we do not know (the other side of a healed partition): sync."""
        head_slot = self.chain.head_state.slot
        if status.head_slot > head_slot + SYNC_SLACK or (
            status.head_root not in self.chain.states and status.head_slot + MAX_PARENT_FETCH >= head_slot
        ):
            self._sync_needed.set()

    def blocks_by_range(self, start_slot: int, count: int) -> list[bytes]:
        store = self.chain.store
        if store is None:
            return []
        with self.guard:
            blocks = store.blocks_by_range(start_slot, min(count, messages.MAX_REQUEST_BLOCKS))
        return [msgspec.msgpack.encode(b) for b in blocks]

    def blocks_by_root(self, roots: list[bytes]) -> list[bytes]:
        out = []
        with self.guard:
            for root in roots[: messages.MAX_REQUEST_BLOCKS]:
                block = self.chain.blocks.get(root)
                if block is None and self.chain.store is not None:
                    block = self.chain.store.get_block(root)
                if block is not None:
                    out.append(msgspec.msgpack.encode(block))
        return out

    def finalized_state(self, root: bytes = b"") -> tuple[int, bytes, bytes]:
        """Checkpoint sync, serving side: the finalized checkpoint and its block's post-state (binary snapshot);
        with `root`, the finalized state of that block when it is one of the snapshots the store keeps (a user's
        trusted root may be an epoch or two behind by the time the new node asks), else the newest (whose root the
        asking node then finds is not the one it trusts, and says so)."""
        import tempfile

        from stakework.state.snapshot import save_binary

        with self.guard:
            checkpoint = self.chain.forkchoice.finalized_checkpoint
            if root and root != checkpoint.root and self.chain.store is not None:
                kept = self.chain.store.snapshot_data(root)
                if kept is not None:
                    return kept[0], root, kept[1]
            state = self.chain.cache.peek(checkpoint.root)  # (held: the tree root; never rebuilt for a peer)
            if state is None:
                return 0, b"\x00" * 32, b""
            with tempfile.TemporaryDirectory(dir=self.config.data_dir, prefix=".checkpoint-") as tmp:
                path = Path(tmp) / "state.swk"
                save_binary(state, path)
                data = path.read_bytes()
        return checkpoint.epoch, checkpoint.root, data

    def on_gossip(self, topic: str, payload: object, peer: Peer) -> Verdict:
        try:
            if isinstance(payload, SignedBeaconBlock):
                return self._on_block(payload, peer)
            if isinstance(payload, Attestation):
                return self._on_aggregate(payload)
            if isinstance(payload, SignedTransaction):
                return self._on_transaction(payload)
            if isinstance(payload, AttesterSlashing | ProposerSlashing):
                return self._on_slashing(payload)
        except Exception:  # a bug or an input nobody foresaw: the message is dropped, the node goes on
            log.exception("gossip %s from %s: validation failed unexpectedly; ignored", topic, peer.name)
        return Verdict.IGNORE

    def _import(self, signed: SignedBeaconBlock, *, timely: bool = False) -> bool:
        """Import a block (full verification); False when it is invalid. `timely`: it arrived in the first third
        of its own slot (Spec: proposer boost)."""
        with self.guard:
            try:
                self.chain.import_block(signed, current_slot=max(self.wall_slot(), signed.message.slot), timely=timely)
            except (TransitionError, ForkChoiceError) as exc:
                log.info("block at slot %d refused: %s", signed.message.slot, exc)
                return False
            self.stats.blocks_imported += 1
            self.mempool.prune(self.chain.head_state, self.wall_slot())
        return True

    def _import_range(self, blocks: list[SignedBeaconBlock]) -> tuple[int, bool]:
        """Import blocks fetched by range (one signature batch: `Chain.import_blocks`); returns how many were
        imported and whether one was refused (the import stops there; logged with its root)."""
        if not blocks:
            return 0, False
        with self.guard:
            refused = False
            current = max(self.wall_slot(), blocks[-1].message.slot)
            try:
                roots = self.chain.import_blocks(blocks, current_slot=current)  # (blocks held already: skipped)
            except BlockRangeError as exc:
                log.info("sync: %s", exc)
                roots, refused = exc.imported, True
            except ForkChoiceError as exc:  # (the blocks before it are imported; not counted)
                log.info("sync: %s", exc)
                roots, refused = [], True
            self.stats.blocks_imported += len(roots)
            if roots:
                self.mempool.prune(self.chain.head_state, self.wall_slot())
        return len(roots), refused

    def _on_block(self, signed: SignedBeaconBlock, peer: Peer) -> Verdict:
        """Spec (beacon_block): IGNORE a block from the future (beyond MAXIMUM_GOSSIP_CLOCK_DISPARITY), at or
        below the finalized slot, seen already, or not the first of its proposer for its slot; fetch an unknown
        parent; REJECT a block whose import fails (bad proposer signature, any invalid content)."""
        block = signed.message
        arrival = self.clock()
        if self.origin + block.slot * self.seconds > arrival + MAXIMUM_GOSSIP_CLOCK_DISPARITY:
            return Verdict.IGNORE
        finalized = self.chain.forkchoice.finalized_checkpoint
        if block.slot <= finalized.epoch * self.preset.SLOTS_PER_EPOCH:
            return Verdict.IGNORE
        root = block.hash_tree_root()
        if root in self.chain.states:
            return Verdict.IGNORE
        first = self._seen_proposals.get((block.proposer_index, block.slot))
        if first == root:  # (seen, and not imported: refused before)
            return Verdict.IGNORE
        if first is not None:
            self._double_proposal(signed)
            return Verdict.IGNORE
        if block.parent_root not in self.chain.states:
            if block.slot - self.chain.head_state.slot > MAX_PARENT_FETCH:
                self._sync_needed.set()
            else:
                self._spawn_fetch(peer, signed)
            return Verdict.IGNORE
        if not self.chain.cache.holds(block.parent_root):
            # A fork on an older block: its parent's state is rebuilt (up to an epoch of replays), so the proposer's
            # signature is checked first, and the block counts as its proposer's first for the slot from here on
            # (Spec, beacon_block: "the first block with valid signature received for the proposer for the slot"),
            # whatever the import then finds: one rebuild per proposer and slot at most.
            with self.guard:
                if not self.chain.proposer_signature_valid(signed):
                    return Verdict.REJECT
            self._seen_proposals[(block.proposer_index, block.slot)] = root
            self.slasher.on_block_header(SignedBeaconBlockHeader(block.header(), signed.signature))
        self.stats.gossip_blocks += 1
        self.stats.gossip_delays.append(arrival - (self.origin + block.slot * self.seconds))
        slot_start = self.origin + block.slot * self.seconds
        if not self._import(signed, timely=arrival < slot_start + self.seconds / 3):
            return Verdict.REJECT
        self._seen_proposals[(block.proposer_index, block.slot)] = root
        self.slasher.on_block_header(SignedBeaconBlockHeader(block.header(), signed.signature))
        return Verdict.ACCEPT

    def _double_proposal(self, signed: SignedBeaconBlock) -> None:
        """A second block of a proposer for a slot (IGNOREd by gossip): when its signature is the proposer's, the
        slasher gets its header, next to the first one's, and finds the double proposal (a proposer slashing for
        our next block)."""
        with self.guard:
            if verify_block_signature(self.chain.head_state, signed):
                self.slasher.on_block_header(SignedBeaconBlockHeader(signed.message.header(), signed.signature))

    def _spawn_fetch(self, peer: Peer, signed: SignedBeaconBlock) -> None:
        root = signed.message.parent_root
        if root in self._fetching:
            return
        self._fetching.add(root)
        task = asyncio.get_running_loop().create_task(self._fetch_ancestors(peer, signed))
        task.add_done_callback(lambda _: self._fetching.discard(root))

    async def _fetch_ancestors(self, peer: Peer, signed: SignedBeaconBlock) -> None:
        """Blocks by root from `peer`: the unknown ancestors of `signed`, then import them and it."""
        chain = [signed]
        want = signed.message.parent_root
        try:
            while want not in self.chain.states and len(chain) <= MAX_PARENT_FETCH:
                got = await self.network.request_blocks(peer, roots=[want])
                if not got or got[0].message.hash_tree_root() != want:
                    return
                chain.append(got[0])
                want = got[0].message.parent_root
        except RequestError as exc:
            log.info("fetching the ancestors of a block from %s: %s", peer.name, exc)
            return
        if want not in self.chain.states:
            self._sync_needed.set()
            return
        for block in reversed(chain):
            if block.message.hash_tree_root() not in self.chain.states and not self._import(block):
                return
            await asyncio.sleep(0)

    def _attest_state(self, attestation: Attestation) -> BeaconState | None:
        """A state to resolve `attestation`'s committees and check its signature on: the head state advanced to
        the attestation's epoch (shufflings are fixed an epoch ahead), cached per (head, epoch)."""
        spe = self.preset.SLOTS_PER_EPOCH
        epoch = attestation.data.slot // spe
        head_root = self.chain.head_root
        key = (head_root, epoch)
        state = self._attest_states.get(key)
        if state is None:
            head = self.chain.states[head_root]
            if head.current_epoch() > epoch + 1 or epoch > head.current_epoch() + 1:
                return None
            state = head if head.current_epoch() >= epoch else self.chain.state_at_slot(epoch * spe)
            # Only the current head's: an older head's state (or its advanced copy, ~210 MiB at a million
            # validators) kept here would outlive the state cache letting it go (issue #16).
            for old in [k for k in self._attest_states if k[0] != head_root]:
                del self._attest_states[old]
            self._attest_states[key] = state
        return state

    def _on_aggregate(self, attestation: Attestation) -> Verdict:
        """Spec (beacon_aggregate_and_proof, simplified): IGNORE unless for the current or previous epoch and not
        from the future; REJECT an aggregate whose committees do not resolve or whose aggregate signature does not
        verify. Accepted votes go to the fork choice, the pool and the slasher (a vote for an unknown block too:
        the slasher needs every vote)."""
        data = attestation.data
        spe = self.preset.SLOTS_PER_EPOCH
        now_slot = int((self.clock() + MAXIMUM_GOSSIP_CLOCK_DISPARITY - self.origin) // self.seconds)
        current = now_slot // spe
        if data.slot > now_slot or data.target.epoch not in (current, current - 1):
            return Verdict.IGNORE
        if data.target.epoch != data.slot // spe:
            return Verdict.REJECT
        with self.guard:
            state = self._attest_state(attestation)
            if state is None:
                return Verdict.IGNORE
            try:  # the check process_attestation makes: it keeps the committees' key sums for the block's import
                valid = is_valid_attestation_signature(state, attestation)
            except TransitionError:
                return Verdict.REJECT
            if not valid:
                return Verdict.REJECT
            self.stats.attestations += 1
            self.slasher.on_attestation(state, attestation)
            self._add_vote(attestation, state)
        return Verdict.ACCEPT

    def _add_vote(self, attestation: Attestation, state: BeaconState | None = None) -> None:
        """Count a vote (its committees as resolved on `state`, where its signature was checked) and pool it."""
        self.chain.on_attestation(attestation, state)
        pooled = self.chain.pool.get(attestation.data.slot)
        if pooled:
            merge_into_pool(pooled, attestation)

    def _on_transaction(self, tx: SignedTransaction) -> Verdict:
        """The one admission path (`node.admission.admit`), as for the API. A transaction refused here is
        IGNOREd, not rejected: it may only be stale (a nonce used meanwhile) where its sender's node saw it valid."""
        with self.guard:
            try:
                tx_hash = self.txindex.admit(self.mempool, tx, self.chain.head_state)
            except MempoolError:
                return Verdict.IGNORE
        self._published_txs.add(tx_hash)
        return Verdict.ACCEPT

    def _on_slashing(self, slashing: AttesterSlashing | ProposerSlashing) -> Verdict:
        """A slashing about validators our slasher has not reported yet, valid against the head state (tried on a
        copy): kept for our next block. One that no longer applies (its validators slashed meanwhile) or that does
        not verify is IGNOREd: the two cannot be told apart without re-running the checks."""
        if isinstance(slashing, AttesterSlashing):
            offenders = set(slashing.attestation_1.attesting_indices) & set(slashing.attestation_2.attesting_indices)
        else:
            offenders = {slashing.signed_header_1.message.proposer_index}
        reported = self.slasher._reported  # the slasher reports each offender once: so does gossip
        if offenders <= reported:
            return Verdict.IGNORE
        with self.guard:
            work = self.chain.head_state.copy()
            try:
                if isinstance(slashing, AttesterSlashing):
                    process_attester_slashing(work, slashing)
                else:
                    process_proposer_slashing(work, slashing)
            except TransitionError:
                return Verdict.IGNORE
            reported.update(offenders)
            if isinstance(slashing, AttesterSlashing):
                self.slasher.restore([slashing], [])
            else:
                self.slasher.restore([], [slashing])
        return Verdict.ACCEPT

    # -- sync ---------------------------------------------------------------------------------------------
    def best_peer(self, *, unknown_head: bool = False) -> Peer | None:
        """The peer with the highest head (`unknown_head`: among those whose head block we do not have)."""
        now = self.wall_slot() + 1
        peers = [
            p
            for p in self.network.peers.values()
            if p.status is not None
            and p.status.head_slot <= now  # a head from the future is a lie (or a clock far off): not followed
            and self._unhelpful.get(p.node_id) != p.status.head_root  # it could not give us its head before
            and not (unknown_head and p.status.head_root in self.chain.states)
        ]
        return max(peers, key=lambda p: p.status.head_slot if p.status else 0, default=None)

    def behind(self) -> bool:
        peer = self.best_peer()
        return (
            peer is not None
            and peer.status is not None
            and (peer.status.head_slot > self.chain.head_state.slot + SYNC_SLACK)
        )

    async def sync(self) -> int:
        """Blocks by range from the best peer, from our finalized slot up to its head, every block verified by
        the full state transition; returns how many blocks were imported."""
        imported = 0
        started = time.perf_counter()
        while True:
            self._sync_needed.clear()
            peer = self.best_peer(unknown_head=True)
            if peer is None or peer.status is None:
                break
            target = min(peer.status.head_slot, self.wall_slot() + 1)
            spe = self.preset.SLOTS_PER_EPOCH
            start = self.chain.forkchoice.finalized_checkpoint.epoch * spe + 1
            progressed = False
            while start <= target:
                try:
                    blocks = await self.network.request_blocks(
                        peer, start_slot=start, count=messages.MAX_REQUEST_BLOCKS
                    )
                except RequestError as exc:
                    log.info("sync from %s: %s", peer.name, exc)
                    break
                asked = []
                for block in blocks:
                    if not start <= block.message.slot < start + messages.MAX_REQUEST_BLOCKS:
                        break  # not what was asked: the rest of the batch is not trusted
                    asked.append(block)
                for i in range(0, len(asked), SYNC_BATCH):
                    n, refused = self._import_range(asked[i : i + SYNC_BATCH])
                    imported += n
                    progressed = progressed or n > 0
                    if refused:
                        break
                    await asyncio.sleep(0)  # gossip and the API in between
                start += messages.MAX_REQUEST_BLOCKS
            if not progressed:  # it claims a head it cannot give us: not followed until its head changes
                self._unhelpful[peer.node_id] = peer.status.head_root
                break
            with contextlib.suppress(RequestError):
                await self.network.refresh_status(peer)
        self.stats.blocks_synced += imported
        self.stats.sync_seconds += time.perf_counter() - started
        return imported

    # -- the slot loop ------------------------------------------------------------------------------------
    def publish_transactions(self) -> None:
        """Gossip what our mempool took (over the API, or the load generator) and was not sent yet."""
        fresh = []
        with self.guard:
            for tx in self.mempool.pending():
                h = tx.hash()
                if h not in self._published_txs:
                    fresh.append((h, tx))
        for h, tx in fresh:
            self._published_txs.add(h)
            self.network.publish(messages.TOPIC_TRANSACTION, tx)
        if len(self._published_txs) > 200_000:
            self._published_txs.clear()

    def publish_slashings(self) -> None:
        """Gossip the slashings our slasher found (once each): a peer that missed one of the two votes can then
        include the slashing too."""
        found: list[tuple[str, AttesterSlashing | ProposerSlashing]] = [
            *((messages.TOPIC_ATTESTER_SLASHING, s) for s in self.slasher.found_attester),
            *((messages.TOPIC_PROPOSER_SLASHING, s) for s in self.slasher.found_proposer),
        ]
        for topic, slashing in found:
            key = msgspec.msgpack.encode(slashing)
            if key not in self._published_slashings:
                self._published_slashings.add(key)
                self.network.publish(topic, slashing)

    async def _sleep_until(self, when: float, stop: asyncio.Event) -> None:
        delay = when - self.clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def run(self, stop: asyncio.Event, max_slots: int | None = None) -> None:
        """Run the node until `stop` is set (or `max_slots` slots have run)."""
        await self.network.start()
        try:
            if self.config.peers:  # give the peers a moment, so that a node behind syncs before it acts
                deadline = self.clock() + self.config.sync_wait_seconds
                while not self.network.peers and self.clock() < deadline and not stop.is_set():
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.1)  # the handshakes' statuses
            done = 0
            while not stop.is_set() and (max_slots is None or done < max_slots):
                if self.behind() or self._sync_needed.is_set():
                    n = await self.sync()
                    if n:
                        log.info("synced %d blocks; head at slot %d", n, self.chain.head_state.slot)
                    if self.behind():
                        await asyncio.sleep(0.05)
                        continue
                slot = self.wall_slot()
                if slot <= self.last_slot:
                    await self._sleep_until(self.origin + (self.last_slot + 1) * self.seconds, stop)
                    continue
                self.last_slot = slot
                await self._run_slot(slot, stop)
                done += 1
        finally:
            await self.network.stop()
            with self.guard:
                self.client.protection.close()
                if self.chain.store is not None:
                    self.chain.store.close()

    def _check_link_switch(self) -> None:
        """TEST HOOK (fault tests' partition): DATA/p2p-blocked, when present, lists the p2p ports of peers this
        node must not talk to (one per line); the links come back when the file is gone."""
        path = self.config.data_dir / BLOCKED_PEERS_FILE
        try:
            ports = {int(line) for line in path.read_text().split() if line.strip().isdigit()}
        except OSError:
            ports = set()
        if ports != self.network.blocked_ports:
            log.warning("link switch: blocking peers on ports %s", sorted(ports) or "none")
            self.network.block_peers(ports)

    async def _run_slot(self, slot: int, stop: asyncio.Event) -> None:
        start = self.origin + slot * self.seconds
        self._check_link_switch()
        with self.guard:
            if self.load is not None:
                head = self.chain.head_state
                for tx in self.load.make(head, max(1, round(self.config.load * self.seconds))):
                    try:
                        admit(self.mempool, tx, head)
                    except MempoolError:
                        self.load.next_nonce.clear()
            block, included = propose_step(self.chain, self.client, slot, self.mempool, self.slasher)
        if block is not None:
            self._seen_proposals[(block.message.proposer_index, block.message.slot)] = block.message.hash_tree_root()
            self.slasher.on_block_header(SignedBeaconBlockHeader(block.message.header(), block.signature))
            self.network.publish(messages.TOPIC_BLOCK, block)
        self.publish_transactions()
        await self._sleep_until(start + self.seconds / 3, stop)  # Spec: attest a third into the slot
        with self.guard:
            _, made = attest_step(self.chain, self.client, slot, self.slasher)
            pooled = self.chain.pool.get(slot)
            if pooled and made:
                merge_into_pool(pooled, made[0])
        for attestation in made:
            self.network.publish(messages.TOPIC_AGGREGATE, attestation)
        self.publish_transactions()
        self.publish_slashings()
        with self.guard:
            report = slot_report(self.chain, self.client, slot, self.mempool, block is not None, included)
        self._seen_proposals = {k: v for k, v in self._seen_proposals.items() if k[1] > slot - 64}
        self.on_slot(report)


def node_key_range(validators: int, nodes: int, i: int) -> range:
    """The validators node `i` of `nodes` runs: an even split, in index order."""
    return range(i * validators // nodes, (i + 1) * validators // nodes)


def prepare_network(
    data_dir: Path,
    *,
    nodes: int,
    validators: int,
    preset: Preset,
    slot_seconds: float,
    modules: bool = True,
    funded_accounts: int = 8,
    now: float | None = None,
) -> tuple[NetworkGenesis, bool]:
    """The data directory of `stakework devnet --nodes N`: DATA/genesis.json shared by the nodes and DATA/node-i
    with node i's keystores (an even split of the validators) in DATA/node-i/keys. Returns the genesis and
    whether it existed already (a restart). NodeError when DATA holds a network of another shape."""
    import secrets

    from stakework.crypto.keystore import generate_devnet_keystores

    path = data_dir / GENESIS_FILENAME
    if path.exists():
        genesis = NetworkGenesis.read(path)
        existing = sorted(p.name for p in data_dir.glob("node-*") if p.is_dir())
        if genesis.validators != validators or genesis.preset != preset.PRESET_NAME or len(existing) != nodes:
            raise NodeError(
                f"{data_dir} holds a network of {len(existing)} nodes and {genesis.validators} validators on preset "
                f"{genesis.preset}; start it with the same --nodes, --validators and --preset, or use a new "
                "--data-dir"
            )
        return genesis, True
    if nodes < 1 or nodes > validators:
        raise NodeError(f"--nodes {nodes}: give between 1 and the {validators} validators")
    data_dir.mkdir(parents=True, exist_ok=True)
    genesis = NetworkGenesis(
        genesis_time=int(time.time() if now is None else now) + 2,
        preset=preset.PRESET_NAME,
        validators=validators,
        slot_seconds=slot_seconds,
        modules=modules,
        funded_accounts=funded_accounts,
    )
    for i in range(nodes):
        key_dir = data_dir / f"node-{i}" / "keys"
        key_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        write_private_file(key_dir / "password", password.encode())
        generate_devnet_keystores(key_dir, node_key_range(validators, nodes, i), password)
    genesis.write(path)  # last: a directory without it is a first start that did not finish
    return genesis, False


def shift_network_clock(data_dir: Path, genesis: NetworkGenesis, *, nodes: int, now: float) -> float:
    """A whole network restarted after a stop long enough for the inactivity leak (see `devnet.catch_up`, mode
    `shift`): move the network's clock forward in DATA/genesis.json so that it resumes after the newest head of
    its nodes. Returns the seconds shifted (0: no shift)."""
    from stakework.node.storage import ChainStore

    preset = load_preset(genesis.preset)
    last = 0
    for i in range(nodes):
        try:
            store = ChainStore.open_readonly(data_dir / f"node-{i}", check=False)
        except Exception:  # a node that never stored anything
            continue
        try:
            last = max(last, store.head().slot)
        finally:
            store.close()
    origin = genesis.genesis_time + genesis.clock_shift_seconds
    wall = int((now - origin) // genesis.slot_seconds) if now >= origin else 0
    spe = preset.SLOTS_PER_EPOCH
    if wall - last < spe * (preset.MIN_EPOCHS_TO_INACTIVITY_PENALTY + 1):
        return 0.0
    shift = (wall - last - 1) * genesis.slot_seconds
    dataclasses.replace(genesis, clock_shift_seconds=genesis.clock_shift_seconds + shift).write(
        data_dir / GENESIS_FILENAME
    )
    return shift


class _GenesisOnly:
    """The network handler of a node that has nothing yet but its genesis (checkpoint sync's first step)."""

    def __init__(self, genesis: BeaconState) -> None:
        self.root = anchor_root(genesis)
        self.fork_version = bytes(genesis.fork_current_version)

    def status(self) -> messages.Status:
        return messages.Status(self.root, self.fork_version, 0, self.root, 0, self.root, b"\x00" * 16)

    def on_gossip(self, topic: str, payload: object, peer: Peer) -> Verdict:
        return Verdict.IGNORE

    def blocks_by_range(self, start_slot: int, count: int) -> list[bytes]:
        return []

    def blocks_by_root(self, roots: list[bytes]) -> list[bytes]:
        return []

    def on_peer_status(self, peer: Peer, status: messages.Status) -> None:
        pass

    def finalized_state(self, root: bytes = b"") -> tuple[int, bytes, bytes]:
        return 0, b"\x00" * 32, b""


def fetch_finalized_state(url: str, *, timeout: float = 30.0) -> messages.FinalizedState:
    """Checkpoint sync from an API: GET {url}/eth/v2/debug/beacon/states/finalized as a binary snapshot
    (`Accept: application/octet-stream`), with the checkpoint's epoch and block root from the answer's headers.
    NodeError when the URL does not answer so; nothing in the answer is trusted yet (the caller checks the
    state's block root against --checkpoint-root)."""
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise NodeError(f"checkpoint sync: --checkpoint-url {url!r} is not an http:// or https:// URL")
    request = urllib.request.Request(
        url.rstrip("/") + "/eth/v2/debug/beacon/states/finalized", headers={"Accept": "application/octet-stream"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_CHECKPOINT_STATE_BYTES + 1)
            epoch_header = response.headers.get("Stakework-Finalized-Epoch")
            root_header = response.headers.get("Stakework-Block-Root", "")
    except urllib.error.HTTPError as exc:
        raise NodeError(f"checkpoint sync: {url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise NodeError(f"checkpoint sync: {url} did not answer ({exc})") from None
    if len(data) > MAX_CHECKPOINT_STATE_BYTES:
        raise NodeError(f"checkpoint sync: {url} sent a state over {MAX_CHECKPOINT_STATE_BYTES} bytes")
    try:
        epoch = int(epoch_header or "")
        root = bytes.fromhex(root_header.removeprefix("0x"))
    except ValueError:
        raise NodeError(
            f"checkpoint sync: {url} did not name the finalized checkpoint (headers Stakework-Finalized-Epoch and "
            "Stakework-Block-Root); is it a stakework node's API?"
        ) from None
    return messages.FinalizedState(0, epoch, root, data)


async def checkpoint_sync(config: NodeConfig, *, say: Callable[[str], object] = log.info) -> bool:
    """Checkpoint sync: give a new data directory the finalized state of a peer, checked against the block root
    the user gave (`--checkpoint-root`), and backfill the blocks below it (by range, each linked by its parent
    root to the trusted block, back to genesis). False when the data directory holds a chain already (then
    nothing is done: a restart goes on from what it has). NodeError when no peer serves that checkpoint.

    Spec (weak subjectivity, checkpoint sync): the state is trusted because its block root is the one the user
    got out of band; the blocks below it are checked by their hash chain to that root, not re-executed."""
    from stakework.node.storage import DB_FILENAME, ChainStore
    from stakework.state.containers import Checkpoint
    from stakework.state.snapshot import SnapshotError, load_binary
    from stakework.transition.genesis import devnet_genesis

    data = config.data_dir
    want = config.checkpoint_root
    if want is None or (data / DB_FILENAME).exists():
        return False
    g = config.genesis
    preset = load_preset(g.preset)
    genesis = devnet_genesis(
        preset, g.validators, genesis_time=g.genesis_time, funded_accounts=g.funded_accounts, modules=g.modules
    )
    fetched_state: messages.FinalizedState | None = None
    if config.checkpoint_url is not None:
        try:
            fetched_state = await asyncio.to_thread(fetch_finalized_state, config.checkpoint_url)
        except NodeError as exc:
            say(f"{exc}; asking the p2p peers instead")
    network = Network(_GenesisOnly(genesis), listen=(config.listen[0], 0), peers_to_dial=config.peers)
    await network.start()
    try:
        deadline = time.monotonic() + 30
        while not network.peers:
            if time.monotonic() > deadline:
                raise NodeError("checkpoint sync: no peer answered within 30 s; check --peer")
            await asyncio.sleep(0.05)
        peer = next(iter(network.peers.values()))
        if fetched_state is None:
            try:
                answer = await network.request_finalized_state(peer, want)
            except RequestError as exc:
                raise NodeError(f"checkpoint sync: {exc}") from None
            source = peer.name
        else:
            answer = fetched_state
            source = f"{config.checkpoint_url}"
        try:
            state = load_binary("checkpoint state", raw=answer.state)
        except SnapshotError as exc:
            raise NodeError(f"checkpoint sync: {source} sent a state that does not load ({exc})") from None
        root = anchor_root(state)
        if root != want or answer.root != want:
            raise NodeError(
                f"checkpoint sync: {source}'s finalized block is 0x{answer.root.hex()} (its state's block "
                f"0x{root.hex()}), not the --checkpoint-root 0x{want.hex()}; check the root, or wait until the "
                "peers have finalized it"
            )
        say(
            f"checkpoint sync: finalized state of epoch {answer.epoch} from {source}, block 0x{root.hex()[:16]} "
            f"(slot {state.slot})"
        )
        # Backfill: the blocks from genesis up to the checkpoint block, linked to it by parent roots.
        anchor_slot = state.latest_block_header.slot
        fetched: dict[bytes, SignedBeaconBlock] = {}
        start = 1
        while start <= anchor_slot:
            try:
                blocks = await network.request_blocks(peer, start_slot=start, count=messages.MAX_REQUEST_BLOCKS)
            except RequestError as exc:
                raise NodeError(f"checkpoint sync: backfill from {peer.name}: {exc}") from None
            for block in blocks:
                if block.message.slot <= anchor_slot:
                    fetched[block.message.hash_tree_root()] = block
            start += messages.MAX_REQUEST_BLOCKS
        genesis_root = anchor_root(genesis)
        chain: list[SignedBeaconBlock] = []
        cursor = root
        while cursor != genesis_root:
            found = fetched.get(cursor)
            if found is None:
                raise NodeError(
                    f"checkpoint sync: backfill from {peer.name} lacks block 0x{cursor.hex()[:16]} of the chain "
                    "below the checkpoint"
                )
            chain.append(found)
            cursor = found.message.parent_root
        chain.reverse()
    finally:
        await network.stop()
    data.mkdir(parents=True, exist_ok=True)
    meta_path = data / META_FILENAME
    if not meta_path.exists():
        write_private_file(meta_path, json.dumps(g.meta()).encode())
    store = ChainStore(data, genesis=genesis)
    try:
        for block in chain:
            store.import_block(block, block.message.state_root)
        store.save_finalized_state(state, Checkpoint(answer.epoch, root))
    finally:
        store.close()
    say(f"checkpoint sync: {len(chain)} blocks backfilled down to genesis")
    return True
