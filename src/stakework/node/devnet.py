"""`stakework devnet`: a whole chain in one process — genesis, a slot clock, the validator client proposing and
attesting for every validator, the fork choice choosing the head — with its data directory on disk."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from stakework.crypto.bls import SecretKey
from stakework.crypto.keystore import decrypt_bls_key, generate_devnet_keystores, load_keystore, write_private_file
from stakework.crypto.slashing_protection import SlashingProtection
from stakework.node.chain import Chain
from stakework.node.mempool import Mempool, MempoolError
from stakework.node.slasher import Slasher
from stakework.node.storage import ChainStore
from stakework.node.validator import ValidatorClient
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import Preset
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer, sign_transaction
from stakework.transition.errors import TransitionError
from stakework.transition.genesis import devnet_genesis


class DevnetError(StakeworkError):
    """A devnet data directory that cannot be used as asked."""


@dataclass(frozen=True)
class SlotReport:
    slot: int
    epoch: int
    proposed: bool
    transactions: int
    """Transactions in the slot's block."""
    mempool: int
    slashed: int
    """Validators slashed in the head state."""
    refused: int
    """Signatures slashing protection has refused since start (0 for an honest node)."""
    head_slot: int
    head_root: bytes
    justified_epoch: int
    finalized_epoch: int
    participation: float
    """Share of the active balance whose previous-epoch target votes are in the head state."""


@dataclass(frozen=True)
class DevnetConfig:
    data_dir: Path
    preset: Preset
    validators: int = 64
    slot_seconds: float | None = None
    """Seconds per slot; default the preset's SLOT_DURATION_MS."""
    funded_accounts: int = 8
    """Devnet accounts (`crypto.ed25519.devnet_account_key(i)`, INSECURE) funded at genesis."""
    load: float = 0.0
    """Transfers per second the built-in load generator submits (0: none)."""
    equivocate: int = 0
    """TEST HOOK: the last `equivocate` validators double-vote every slot (see ValidatorClient.equivocate)."""
    modules: bool = True
    """Enable the pool and liquid modules at genesis (a data directory keeps what it was created with)."""

    @property
    def seconds_per_slot(self) -> float:
        return self.slot_seconds if self.slot_seconds is not None else self.preset.SLOT_DURATION_MS / 1000


def _load_or_create_keys(config: DevnetConfig) -> dict[int, SecretKey]:
    key_dir = config.data_dir / "keys"
    password_file = config.data_dir / "keys.password"
    if not password_file.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        write_private_file(password_file, password.encode())
        generate_devnet_keystores(key_dir, range(config.validators), password)
    password = password_file.read_text().strip()
    keys: dict[int, SecretKey] = {}
    for path in sorted(key_dir.glob("keystore-*.json")):
        index = int(path.name.split("-")[1])
        keys[index] = decrypt_bls_key(load_keystore(path), password)
    if len(keys) != config.validators:
        raise DevnetError(
            f"{key_dir} holds {len(keys)} validator keystores but --validators is {config.validators}; "
            "use the same number as when the data directory was created, or a new --data-dir"
        )
    return keys


STAKED_KEYS_DIR = "staked"
"""DATA/keys/staked/: keystores of validators staked while the devnet runs (`stakework wallet stake` writes them,
encrypted with DATA/keys.password); the validator client picks each up once its deposit is in the registry."""


def load_staked_keys(data_dir: Path, state: BeaconState, client: ValidatorClient) -> int:
    """Give the validator client the staked keys whose validators `state` holds and it lacks; returns how many.
    An unreadable keystore is skipped (it must never stop the chain)."""
    folder = data_dir / "keys" / STAKED_KEYS_DIR
    if not folder.is_dir():
        return 0
    known = set(client.pubkeys.values())
    password: str | None = None
    added = 0
    for path in sorted(folder.glob("*.json")):
        try:
            keystore = load_keystore(path)
            if keystore.pubkey in known:
                continue
            index = state.validators.index_of_pubkey(keystore.pubkey)
            if index is None:
                continue
            if password is None:
                password = (data_dir / "keys.password").read_text().strip()
            client.add_key(int(index), decrypt_bls_key(keystore, password))
        except (StakeworkError, OSError):
            continue
        added += 1
    return added


def open_devnet(config: DevnetConfig, *, now: float | None = None) -> tuple[Chain, ValidatorClient, BeaconState]:
    """Create (first start) or reopen a devnet's data directory; returns the chain, the validator client and
    the genesis state."""
    data = config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    meta_path = data / "devnet.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            genesis_time = int(meta["genesis_time"])
            preset_name = str(meta["preset"])
            validators = int(meta["validators"])
            modules = bool(meta.get("modules", False))  # directories made before modules existed have none
        except (ValueError, KeyError, TypeError) as exc:
            raise DevnetError(
                f"{meta_path}: unreadable ({exc}); move the data directory away to start afresh"
            ) from None
        if preset_name != config.preset.PRESET_NAME or validators != config.validators:
            raise DevnetError(
                f"{data} holds a devnet of {validators} validators on preset {preset_name}; start it with the same "
                "settings or use a new --data-dir"
            )
    else:
        genesis_time = int(time.time() if now is None else now) + 1
        modules = config.modules
        meta = {
            "genesis_time": genesis_time,
            "preset": config.preset.PRESET_NAME,
            "validators": config.validators,
            "modules": modules,
        }
        write_private_file(meta_path, json.dumps(meta).encode())
    genesis = devnet_genesis(
        config.preset,
        config.validators,
        genesis_time=genesis_time,
        funded_accounts=config.funded_accounts,
        modules=modules,
    )
    keys = _load_or_create_keys(config)
    protection = SlashingProtection(data / "slashing_protection.sqlite", genesis.genesis_validators_root)
    equivocators = frozenset(range(config.validators - config.equivocate, config.validators))
    store = ChainStore(data, genesis=genesis)
    stored = store.load_latest()
    chain = Chain(stored.anchor_state, anchor_epoch=stored.anchor_epoch)
    for signed in stored.blocks:  # replay what was stored after the newest finalized snapshot
        chain.import_block(signed, current_slot=max(signed.message.slot, stored.head.slot))
    chain.store = store
    return chain, ValidatorClient(keys, protection, equivocators=equivocators), genesis


def _participation(state: BeaconState) -> float:
    from stakework.transition.epoch.context import EpochContext

    ctx = EpochContext.build(state)
    return ctx.participating_balance(state, ctx.previous_participating[1]) / ctx.total_active_balance


class LoadGenerator:
    """Signed transfers between the funded devnet accounts, at a steady rate (for demos and load tests)."""

    def __init__(self, accounts: int, seed: int = 0) -> None:
        from stakework.crypto.ed25519 import devnet_account_key

        self.keys = [devnet_account_key(i) for i in range(accounts)]
        self.next_nonce: dict[bytes, int] = {}
        self.count = seed

    def make(self, state: BeaconState, n: int) -> list[SignedTransaction]:
        out = []
        for _ in range(n):
            key = self.keys[self.count % len(self.keys)]
            to = self.keys[(self.count + 1) % len(self.keys)].address
            nonce = max(self.next_nonce.get(key.address, 0), state.accounts.nonce(key.address))
            tx = Transaction(key.public_key, nonce, 1_000, Transfer(to, 1_000_000 + self.count % 1000))
            out.append(sign_transaction(state, tx, key))
            self.next_nonce[key.address] = nonce + 1
            self.count += 1
        return out


def run_slot(
    chain: Chain,
    client: ValidatorClient,
    slot: int,
    mempool: Mempool | None = None,
    slasher: Slasher | None = None,
) -> SlotReport:
    """Everything one slot does: tick the fork choice, propose (if ours) with the mempool's best transactions
    and the slasher's findings, attest to the head (and let the slasher see every vote)."""
    chain.tick(slot)
    state = chain.state_at_slot(slot)
    p = state.preset
    proposed = False
    txs = mempool.select(state, p.MAX_TRANSACTIONS_PER_BLOCK) if mempool is not None else []
    attester_slashings, proposer_slashings = (
        slasher.take(p.MAX_ATTESTER_SLASHINGS_ELECTRA, p.MAX_PROPOSER_SLASHINGS) if slasher else ([], [])
    )
    block = client.propose(state, chain.attestations_for_block(slot), txs, attester_slashings, proposer_slashings)
    if mempool is not None:  # transactions that no longer apply leave the pool
        for tx, reason in client.rejected_transactions:
            mempool.remove(tx.hash(), reason)
    client.rejected_transactions.clear()
    included = 0
    if block is not None:
        try:
            verified = mempool.verified if mempool is not None else frozenset()
            chain.import_block(block, current_slot=slot, verified_transactions=verified)
            proposed = True
            included = len(block.message.body.transactions)
            attester_slashings, proposer_slashings = [], []
        except TransitionError:
            proposed = False
    if slasher is not None:
        slasher.restore(attester_slashings, proposer_slashings)
    if mempool is not None:
        mempool.prune(chain.head_state)
    head_root = chain.head_root
    head = chain.states[head_root]
    attest_state = chain.state_at_slot(slot) if head.slot < slot else head
    attestation = client.attest(attest_state, head_root)
    if attestation is not None:
        chain.on_attestation(attestation)
        if slasher is not None:
            slasher.on_attestation(attest_state, attestation)
            conflicting = client.equivocate(attest_state, attestation)
            if conflicting is not None:
                slasher.on_attestation(attest_state, conflicting)
            slasher.prune(chain.forkchoice.finalized_checkpoint.epoch, p.SLOTS_PER_EPOCH)
    head = chain.states[chain.head_root]
    return SlotReport(
        slot=slot,
        epoch=slot // chain.genesis.preset.SLOTS_PER_EPOCH,
        proposed=proposed,
        transactions=included,
        mempool=len(mempool) if mempool is not None else 0,
        slashed=int(head.validators.slashed.sum()),
        refused=client.refused,
        head_slot=head.slot,
        head_root=chain.head_root,
        justified_epoch=chain.forkchoice.justified_checkpoint.epoch,
        finalized_epoch=chain.forkchoice.finalized_checkpoint.epoch,
        participation=_participation(head) if head.slot >= chain.genesis.preset.SLOTS_PER_EPOCH else 0.0,
    )


def run_devnet(
    config: DevnetConfig,
    *,
    on_slot: Callable[[SlotReport], None],
    stop: threading.Event,
    max_slots: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], object] = time.sleep,
    lock: AbstractContextManager[object] | None = None,
    on_open: Callable[[Chain, Mempool, ValidatorClient, BeaconState], object] | None = None,
) -> None:
    """Run slots on the wall clock until `stop` is set (or `max_slots` slots have run). `lock` is held while a
    slot mutates the chain and the mempool (the API server reads them from another thread); `on_open` sees the
    opened chain, mempool, validator client and genesis state before the first slot."""
    chain, client, genesis = open_devnet(config)
    seconds = config.seconds_per_slot
    mempool = Mempool()
    slasher = Slasher()
    guard = lock if lock is not None else nullcontext()
    if on_open is not None:
        on_open(chain, mempool, client, genesis)
    load = LoadGenerator(config.funded_accounts) if config.load > 0 and config.funded_accounts > 1 else None
    done = 0
    last = max(genesis.slot, chain.head_state.slot)  # a slot is run once: never again after a restart
    while not stop.is_set() and (max_slots is None or done < max_slots):
        now = clock()
        slot = int((now - genesis.genesis_time) // seconds) if now >= genesis.genesis_time else 0
        if slot <= last:
            wait = genesis.genesis_time + (last + 1) * seconds - now
            stop.wait(max(0.0, min(wait, 0.5)))
            continue
        last = slot
        with guard:
            if slot % genesis.preset.SLOTS_PER_EPOCH == 0 or done == 0:
                load_staked_keys(config.data_dir, chain.head_state, client)
            if load is not None:
                head = chain.head_state
                for tx in load.make(head, max(1, round(config.load * seconds))):
                    try:
                        mempool.add(tx, head)
                    except MempoolError:
                        load.next_nonce.clear()  # resynchronise nonces with the chain next time
            report = run_slot(chain, client, slot, mempool, slasher)
        on_slot(report)
        done += 1
    with guard:
        client.protection.close()
        if chain.store is not None:
            chain.store.close()
