"""Block import at mainnet size (issue #16): a realistic block on a realistic state, timed phase by phase.

The state is `realistic_state(validators)` (a mainnet registry mid-life) with *real* BLS keys and `accounts`
funded accounts; the block, at the slot after the state's (or, with `cross_epoch`, at the first slot of the
next epoch), carries:

- a full slot of attestations: every committee of the previous slot in one Electra aggregate (EIP-7549), 98% of
  the members attesting, with a valid aggregate signature;
- `transfers` signed transfers between the funded accounts (real Ed25519 keys for the senders);
- `deposits` signed `stake` transactions (EIP-6110 deposit requests of new validators with a valid proof of
  possession);
- `exits` voluntary exits signed by their validators;
- the withdrawals the sweep owes (the realistic state has exited validators).

Keys: validator `i`'s secret key is `i + 1` (INSECURE: benchmark keys), so its public key is `(i + 1)·G`, one
point addition from the previous one: a million public keys take seconds instead of minutes. An aggregate
signature of one message by many validators is one signature by the *sum* of their secret keys, so a full slot's
aggregate costs one signing. Nothing is faked on the verifying side: the import verifies every signature with
the same code a node runs.

Each timed run imports the block on a fresh copy of the pre-state (the copy is timed apart, as `state_copy`; a
node copies the parent's post-state before applying a block). Three whole imports through `state_transition`:
every signature checked; the transactions' Ed25519 signatures taken as verified (a node's mempool verified them
on admission: `verified_transactions`); no signature checked. Then the same import step by step with the
public functions `process_block` runs, in its order, to time the phases (its post-state root must equal the
block's: the phases cannot drift from the real import). The state root is `stakework.state.root.hash_state`.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from blspy import G1Element, PopSchemeMPL, PrivateKey

from stakework.bench.workloads import realistic_state
from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto import bls, ed25519
from stakework.crypto.ed25519 import AccountKey
from stakework.spec.constants import DOMAIN_BEACON_ATTESTER, DOMAIN_DEPOSIT
from stakework.spec.presets import MAINNET, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.accessors import get_block_root, get_block_root_at_slot, get_total_active_balance
from stakework.transition.block.attestation import is_valid_attestation_signature, process_attestation
from stakework.transition.block.block import (
    Attestation,
    AttestationData,
    BeaconBlock,
    BeaconBlockBody,
    SignedBeaconBlock,
    header_root,
    pack_bits,
)
from stakework.transition.block.header import process_block_header, process_randao, randao_signing_root
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.block.transaction import (
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
    chain_least_fee,
    process_transaction,
    sign_transaction,
    transaction_signing_message,
)
from stakework.transition.block.voluntary_exit import process_voluntary_exit, voluntary_exit_signing_root
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.committees import get_beacon_proposer_index, get_epoch_shuffling
from stakework.transition.signing import get_domain
from stakework.transition.state_transition import (
    block_signing_root,
    process_block,
    process_slots,
    process_withdrawals_to_accounts,
    state_transition,
    verify_block_signature,
)

GWEI = 10**9
ACCOUNT_BALANCE = 1_000 * GWEI
"""Every funded account starts with 1,000 SWK."""
ONLINE = 0.98
"""Share of each committee whose vote is in the aggregate."""
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""The order of the BLS12-381 groups: secret keys are integers modulo R."""

Progress = Callable[[str, int, int], None]
"""`progress(step, done, total)`: set-up progress for a caller's progress bar."""


class BenchError(ValueError):
    """Arguments a block benchmark cannot run with (the message says which and why)."""


def bench_secret_key(index: int) -> bls.SecretKey:
    """Validator `index`'s benchmark key: the integer `index + 1` (INSECURE)."""
    return bls.SecretKey.from_bytes((index + 1).to_bytes(32, "big"))


def bench_pubkeys(count: int, progress: Progress | None = None) -> np.ndarray:
    """The public keys of benchmark keys 0 .. count-1 as a (count, 48) uint8 array: (i + 1)·G, each one point
    addition after the previous."""
    out = np.empty((count, 48), dtype=np.uint8)
    g = PrivateKey.from_bytes((1).to_bytes(32, "big")).get_g1()
    point = G1Element()
    chunk = max(1, count // 100)
    buf = bytearray()
    start = 0
    for i in range(count):
        point = point + g
        buf += bytes(point)
        if (i + 1) % chunk == 0 or i + 1 == count:
            rows = (i + 1) - start
            out[start : i + 1] = np.frombuffer(bytes(buf), dtype=np.uint8).reshape(rows, 48)
            buf.clear()
            start = i + 1
            if progress is not None:
                progress("validator keys", i + 1, count)
    return out


def _sign_by_sum(indices: np.ndarray, message: bytes) -> bytes:
    """The aggregate signature of `message` by the benchmark keys `indices`: one signature by the sum of their
    secret keys (Σ sk_i · H(m) = Σ (sk_i · H(m)))."""
    total = int((indices.astype(np.int64) + 1).sum()) % R
    return bytes(PopSchemeMPL.sign(PrivateKey.from_bytes(total.to_bytes(32, "big")), message))


def _account_address(index: int) -> bytes:
    return hashlib.sha256(b"stakework bench account " + index.to_bytes(8, "little")).digest()[-20:]


def _account_key(index: int) -> AccountKey:
    return AccountKey.from_seed(hashlib.sha256(b"stakework bench account key " + index.to_bytes(8, "little")).digest())


@dataclass
class BlockWorkload:
    """A pre-state and one valid signed block on it (see the module docstring)."""

    validators: int
    accounts: int
    pre_state: BeaconState
    pre_state_root: bytes
    block: SignedBeaconBlock
    transaction_hashes: frozenset[bytes]
    attesters: int
    transfers: int
    deposits: int
    exits: int
    withdrawals: int
    cross_epoch: bool
    setup_seconds: dict[str, float] = field(default_factory=dict)


def build_block_workload(
    validators: int,
    accounts: int,
    *,
    transfers: int = 512,
    deposits: int = 4,
    exits: int = 4,
    cross_epoch: bool = False,
    preset: Preset = MAINNET,
    progress: Progress | None = None,
) -> BlockWorkload:
    """Build the pre-state and the block (see the module docstring). Raises BenchError for arguments it cannot
    build a valid block from."""
    if validators < 1024:
        raise BenchError(f"--validators must be at least 1024 (a mainnet slot's committees), not {validators}")
    if accounts < 2:
        raise BenchError(f"--accounts must be at least 2 (transfers go between funded accounts), not {accounts}")
    if transfers < 0 or deposits < 0 or exits < 0:
        raise BenchError("--transfers, --deposits and --exits cannot be negative")
    senders = transfers + deposits
    if senders > accounts:
        raise BenchError(
            f"{transfers} transfers and {deposits} deposits need {senders} sending accounts, but only "
            f"{accounts} are funded: raise --accounts or lower --transfers"
        )
    if senders > preset.MAX_TRANSACTIONS_PER_BLOCK:
        raise BenchError(
            f"{senders} transactions exceed the block limit MAX_TRANSACTIONS_PER_BLOCK "
            f"({preset.MAX_TRANSACTIONS_PER_BLOCK})"
        )
    if exits > preset.MAX_VOLUNTARY_EXITS:
        raise BenchError(f"--exits {exits} exceeds MAX_VOLUNTARY_EXITS ({preset.MAX_VOLUNTARY_EXITS})")
    setup: dict[str, float] = {}
    t0 = time.perf_counter()
    pubkeys = bench_pubkeys(validators, progress)
    setup["validator keys"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    state = realistic_state(validators, preset=preset, pubkeys=pubkeys)
    state.validators.index_of_pubkey(b"\x00" * 48)  # the pubkey index, built once as a node keeps it
    setup["registry"] = time.perf_counter() - t0
    if progress is not None:
        progress("registry", 1, 1)

    t0 = time.perf_counter()
    keys = [_account_key(i) for i in range(senders)]
    chunk = max(1, accounts // 100)
    for i in range(accounts):
        address = keys[i].address if i < senders else _account_address(i)
        state.accounts.credit(address, ACCOUNT_BALANCE)
        if progress is not None and ((i + 1) % chunk == 0 or i + 1 == accounts):
            progress("accounts", i + 1, accounts)
    setup["accounts"] = time.perf_counter() - t0

    # The pre-state: the epoch boundary crossed in the set-up (the block then lands at the epoch's second
    # slot), or not yet (the block lands at the first slot and its import runs the epoch).
    t0 = time.perf_counter()
    if not cross_epoch:
        process_slots(state, state.slot + 1)
    pre_root = hash_state(state)
    setup["pre-state"] = time.perf_counter() - t0
    if progress is not None:
        progress("pre-state", 1, 1)

    t0 = time.perf_counter()
    slot = state.slot + 1
    work = state.copy()
    process_slots(work, slot, state_root=pre_root)
    epoch = work.current_epoch()
    proposer = int(get_beacon_proposer_index(work))
    attestation, attesters = _full_slot_attestation(work, slot - 1)
    exit_ops = _voluntary_exits(work, exits, proposer)
    rng = np.random.default_rng(11)
    txs: list[SignedTransaction] = []
    for s in range(transfers):
        to = int(rng.integers(0, accounts))
        to_address = keys[to].address if to < senders else _account_address(to)
        payload = Transfer(to_address, int(rng.integers(1, 10 * GWEI)))
        k = keys[s]
        txs.append(sign_transaction(work, Transaction(k.public_key, 0, chain_least_fee(work, payload), payload), k))
    for d in range(deposits):
        k = keys[transfers + d]
        stake = _deposit(work, validators + d, k.address)
        txs.append(sign_transaction(work, Transaction(k.public_key, 0, chain_least_fee(work, stake), stake), k))
        if progress is not None:
            progress("block", d + 1, deposits)
    withdrawals = get_expected_withdrawals(work).withdrawals
    body = BeaconBlockBody(
        randao_reveal=bench_secret_key(proposer).sign(randao_signing_root(work, epoch)),
        attestations=[attestation],
        voluntary_exits=exit_ops,
        transactions=txs,
        withdrawals=withdrawals,
    )
    block = BeaconBlock(slot, proposer, header_root(work.latest_block_header), b"\x00" * 32, body)
    process_block(work, block, verify_signatures=False)
    block = BeaconBlock(slot, proposer, block.parent_root, hash_state(work), body)
    signed = SignedBeaconBlock(block, bench_secret_key(proposer).sign(block_signing_root(work, block)))
    setup["block"] = time.perf_counter() - t0
    if progress is not None:
        progress("block", 1, 1)
    return BlockWorkload(
        validators=validators,
        accounts=accounts,
        pre_state=state,
        pre_state_root=pre_root,
        block=signed,
        transaction_hashes=frozenset(tx.hash() for tx in txs),
        attesters=attesters,
        transfers=transfers,
        deposits=deposits,
        exits=len(exit_ops),
        withdrawals=len(withdrawals),
        cross_epoch=cross_epoch,
        setup_seconds=setup,
    )


def _full_slot_attestation(state: BeaconState, slot: int) -> tuple[Attestation, int]:
    """Every committee of `slot` (before `state.slot`) in one aggregate, ONLINE of each committee attesting to
    the block at `slot` (timely source, target and head)."""
    p = state.preset
    epoch = slot // p.SLOTS_PER_EPOCH
    shuffling = get_epoch_shuffling(state, epoch)
    target_root = get_block_root(state, epoch)
    source = (
        state.current_justified_checkpoint if epoch == state.current_epoch() else state.previous_justified_checkpoint
    )
    data = AttestationData(
        slot=slot,
        index=0,
        beacon_block_root=get_block_root_at_slot(state, slot),
        source=source,
        target=Checkpoint(epoch, target_root),
    )
    signing_root = compute_signing_root(data.hash_tree_root(), get_domain(state, DOMAIN_BEACON_ATTESTER, epoch))
    rng = np.random.default_rng(slot)
    bits: list[np.ndarray] = []
    attesting: list[np.ndarray] = []
    committee_bits = np.zeros(p.MAX_COMMITTEES_PER_SLOT, dtype=np.bool_)
    for index in range(shuffling.committees_per_slot):
        committee = shuffling.committee(slot, index)
        online = rng.random(len(committee)) < ONLINE
        online[0] = True  # at least one attester per committee
        committee_bits[index] = True
        bits.append(online)
        attesting.append(committee[online])
    members = np.concatenate(attesting)
    signature = _sign_by_sum(members, signing_root)
    all_bits = np.concatenate(bits)
    attestation = Attestation(pack_bits(all_bits), len(all_bits), data, signature, pack_bits(committee_bits))
    return attestation, int(members.size)


def _voluntary_exits(state: BeaconState, count: int, proposer: int) -> list[SignedVoluntaryExit]:
    """`count` signed exits of active validators that may exit now (not the proposer)."""
    v = state.validators
    epoch = state.current_epoch()
    eligible = np.flatnonzero(
        (v.activation_epoch + np.uint64(state.preset.SHARD_COMMITTEE_PERIOD) <= np.uint64(epoch))
        & (v.exit_epoch == np.uint64(FAR_FUTURE_EPOCH))
        & ~v.slashed
    )
    out = []
    for index in eligible[1 : count + 1]:
        if int(index) == proposer or any(w.validator_index == index for w in state.pending_partial_withdrawals):
            continue
        message = VoluntaryExit(epoch, int(index))
        signature = bench_secret_key(int(index)).sign(voluntary_exit_signing_root(state, message))
        out.append(SignedVoluntaryExit(message, signature))
    return out


def _deposit(state: BeaconState, key_index: int, address: bytes) -> Stake:
    """A deposit of MIN_ACTIVATION_BALANCE for a new validator (benchmark key `key_index`), 0x01 credentials naming
    `address`, with its proof of possession."""
    p = state.preset
    sk = bench_secret_key(key_index)
    pubkey = sk.public_key()
    credentials = b"\x01" + b"\x00" * 11 + address
    amount = p.MIN_ACTIVATION_BALANCE
    domain = compute_domain(DOMAIN_DEPOSIT, p.GENESIS_FORK_VERSION)
    signature = sk.sign(compute_signing_root(deposit_message_root(pubkey, credentials, amount), domain))
    return Stake(pubkey, credentials, amount, signature)


PHASES = (
    "state_copy",
    "slots",
    "bls",
    "ed25519",
    "header_withdrawals_randao",
    "attestations",
    "exits",
    "transactions",
    "state_root",
)
"""The step-by-step import's phases, in order. `slots` is process_slots: the epoch transition when the block
crosses one, else one slot's bookkeeping. `bls`: the block's BLS checks as `state_transition` makes them (the
proposer's signature, the RANDAO reveal, each aggregate with its attesting indices, each voluntary exit's);
`ed25519`: the transactions' signatures. The steps after them check no signature."""


@dataclass
class BlockBenchResult:
    """Per-run timings in seconds: the whole imports and the phases."""

    workload: BlockWorkload
    full: list[float] = field(default_factory=list)
    """state_transition, every signature checked (BLS and Ed25519)."""
    mempool_verified: list[float] = field(default_factory=list)
    """state_transition with the transactions' signatures taken as verified on admission (a node's path)."""
    no_signatures: list[float] = field(default_factory=list)
    """state_transition, no signature checked."""
    phases: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in PHASES})

    @staticmethod
    def _ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    def medians_ms(self) -> dict[str, float]:
        """Every median in ms: `median_ms` (whole import, every signature), `mempool_verified_ms`,
        `no_signatures_ms`, and one per phase (`bls_ms`, `state_root_ms`, ...)."""
        full, mv, ns = self._ms(self.full), self._ms(self.mempool_verified), self._ms(self.no_signatures)
        out = {
            "median_ms": full,
            "min_ms": min(self.full) * 1000,
            "max_ms": max(self.full) * 1000,
            "mempool_verified_ms": mv,
            "no_signatures_ms": ns,
        }
        for name, values in self.phases.items():
            out[f"{name}_ms"] = self._ms(values)
        return out


def run_block_bench(
    workload: BlockWorkload, runs: int, *, on_run: Callable[[int], None] | None = None
) -> BlockBenchResult:
    """Import the workload's block `runs` times each way (plus one untimed warm-up: a node has seen the
    validators' keys and the epoch's committees before a block arrives), each on a fresh copy of the pre-state.
    Raises BenchError if the step-by-step import does not reach the block's state root."""
    if runs < 1:
        raise BenchError(f"--runs must be at least 1, not {runs}")
    result = BlockBenchResult(workload)
    pre, signed, root = workload.pre_state, workload.block, workload.pre_state_root
    for run in range(runs + 1):
        timed = run > 0
        imports: tuple[tuple[dict[str, Any], list[float]], ...] = (
            ({}, result.full),
            ({"verified_transactions": workload.transaction_hashes}, result.mempool_verified),
            ({"verify_signatures": False}, result.no_signatures),
        )
        for kwargs, into in imports:
            state = pre.copy()
            t0 = time.perf_counter()
            state_transition(state, signed, pre_state_root=root, **kwargs)
            if timed:
                into.append(time.perf_counter() - t0)
        phases = _phased_import(pre, signed, root)
        if timed:
            for name, seconds in phases.items():
                result.phases[name].append(seconds)
        if on_run is not None:
            on_run(run)
    return result


def _phased_import(pre: BeaconState, signed: SignedBeaconBlock, pre_root: bytes) -> dict[str, float]:
    """The import without signatures, step by step in `process_block`'s order, each step timed."""
    out: dict[str, float] = {}
    t = time.perf_counter()
    state = pre.copy()
    now = time.perf_counter()
    out["state_copy"], t = now - t, now
    block = signed.message
    body = block.body
    process_slots(state, block.slot, state_root=pre_root)
    now = time.perf_counter()
    out["slots"], t = now - t, now
    proposer_key = state.validators.pubkey[block.proposer_index].tobytes()
    ok = verify_block_signature(state, signed)
    ok &= bls.verify(proposer_key, randao_signing_root(state, state.current_epoch()), body.randao_reveal)
    for attestation in body.attestations:
        ok &= is_valid_attestation_signature(state, attestation)
    for exit_ in body.voluntary_exits:
        exit_key = state.validators.pubkey[exit_.message.validator_index].tobytes()
        ok &= bls.verify(exit_key, voluntary_exit_signing_root(state, exit_.message), exit_.signature)
    now = time.perf_counter()
    out["bls"], t = now - t, now
    for tx in body.transactions:
        ok &= ed25519.verify(tx.transaction.sender, transaction_signing_message(state, tx.transaction), tx.signature)
    now = time.perf_counter()
    out["ed25519"], t = now - t, now
    if not ok:
        raise BenchError("a signature of the benchmark block does not verify")
    proposer = int(get_beacon_proposer_index(state))
    process_block_header(state, block, proposer)
    process_withdrawals_to_accounts(state, body.withdrawals)
    process_randao(state, body, proposer, verify_signature=False)
    now = time.perf_counter()
    out["header_withdrawals_randao"], t = now - t, now
    total = get_total_active_balance(state)
    for attestation in body.attestations:
        process_attestation(
            state, attestation, verify_signature=False, total_active_balance=total, proposer_index=proposer
        )
    now = time.perf_counter()
    out["attestations"], t = now - t, now
    for exit_ in body.voluntary_exits:
        process_voluntary_exit(state, exit_, total_active_balance=total, verify_signature=False)
    now = time.perf_counter()
    out["exits"], t = now - t, now
    for tx in body.transactions:
        process_transaction(state, tx, proposer, verify_signature=False)
    now = time.perf_counter()
    out["transactions"], t = now - t, now
    state_root = hash_state(state)
    out["state_root"] = time.perf_counter() - t
    if state_root != block.state_root:
        raise BenchError("the step-by-step import did not reach the block's state root (the phases drifted)")
    return out
