"""`stakework devnet`: a whole chain in one process — genesis, a slot clock, the validator client proposing and
attesting for every validator, the fork choice choosing the head — with its data directory on disk."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stakework.crypto.bls import SecretKey
from stakework.crypto.keystore import decrypt_bls_key, generate_devnet_keystores, load_keystore, write_private_file
from stakework.crypto.slashing_protection import SlashingProtection
from stakework.forkchoice import ForkChoiceError
from stakework.node.chain import Chain, GenesisInfo
from stakework.node.mempool import Mempool, MempoolError
from stakework.node.slasher import Slasher
from stakework.node.storage import DB_FILENAME, ChainStore
from stakework.node.validator import ValidatorClient
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import Preset
from stakework.spec.types import FAR_FUTURE_EPOCH, GWEI_PER_SWK
from stakework.state.beacon_state import BeaconState
from stakework.transition.accessors import is_active_validator
from stakework.transition.block.block import Attestation, SignedBeaconBlock
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer, sign_transaction
from stakework.transition.errors import TransitionError
from stakework.transition.genesis import devnet_genesis
from stakework.transition.state_transition import process_slots

_log = logging.getLogger(__name__)


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
    catch_up: str = "shift"
    """What a restart does about a gap that would put the chain in the inactivity leak: `shift` or `leak` (see
    `catch_up`)."""
    keys_dir: Path | None = None
    """A node of a network (`stakework node --keys DIR`): sign only for the keystores in this directory, decrypted
    with the password in `DIR/password` (None: the devnet's own keys for every validator, made at first start)."""

    @property
    def seconds_per_slot(self) -> float:
        return self.slot_seconds if self.slot_seconds is not None else self.preset.SLOT_DURATION_MS / 1000


NODE_PASSWORD_FILE = "password"


def load_node_keys(key_dir: Path) -> dict[int, SecretKey]:
    """The validator keys of one node: every `keystore-<index>-*.json` in `key_dir`, decrypted with the password
    in `key_dir/password`. An empty or missing directory: no keys (the node follows the chain)."""
    if not key_dir.is_dir() or not any(key_dir.glob("keystore-*.json")):
        return {}
    password_file = key_dir / NODE_PASSWORD_FILE
    if not password_file.exists():
        raise DevnetError(f"{key_dir} holds keystores but no {NODE_PASSWORD_FILE} file with their password")
    password = password_file.read_text().strip()
    keys: dict[int, SecretKey] = {}
    for path in sorted(key_dir.glob("keystore-*.json")):
        try:
            index = int(path.name.split("-")[1])
            keys[index] = decrypt_bls_key(load_keystore(path), password)
        except (ValueError, IndexError):
            raise DevnetError(f"{path}: not named keystore-<validator index>-....json") from None
    return keys


def _load_or_create_keys(config: DevnetConfig) -> dict[int, SecretKey]:
    if config.keys_dir is not None:
        return load_node_keys(config.keys_dir)
    key_dir = config.data_dir / "keys"
    password_file = config.data_dir / "keys.password"
    if not password_file.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        write_private_file(password_file, password.encode())
        generate_devnet_keystores(key_dir, range(config.validators), password)
    password = password_file.read_text().strip()
    found = {int(path.name.split("-")[1]) for path in key_dir.glob("keystore-*.json")}
    missing = set(range(config.validators)) - found
    if missing and found <= set(range(config.validators)):
        # A first start killed while writing the keystores (devnet.json matched --validators already): devnet keys
        # are derived from the index, so the missing keystores are written again, holding the same keys.
        generate_devnet_keystores(key_dir, sorted(missing), password)
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


CATCH_UP_MODES = ("shift", "leak")
"""How a restarted devnet treats the time it was away, when that gap would put the chain in the inactivity leak
(see `resume_devnet`): `shift` moves the devnet's slot clock forward (devnet only), `leak` is the spec's rule."""

PROTECTION_FILENAME = "slashing_protection.sqlite"
META_FILENAME = "devnet.json"


@dataclass
class OpenedDevnet:
    """A devnet data directory, opened: what `open_devnet` returns, with what a restart has to report."""

    chain: Chain
    client: ValidatorClient
    genesis: GenesisInfo
    """What is needed of the genesis state (not the state: the chain holds that, as its anchor, until finality
    lets it go)."""
    meta: dict[str, object]
    """devnet.json as read (or written on the first start)."""
    restarted: bool
    """The data directory held a devnet already (False on the first start)."""
    last_signed_slot: int
    """The newest slot this node signed a block at, or whose epoch it signed a target vote in (slashing
    protection's record); the genesis slot when it has signed nothing."""
    warnings: list[str]
    """What went wrong while it was stopped (a head that went back): to be shown to the user."""


@dataclass(frozen=True)
class _Signed:
    """The newest things a slashing-protection database says were signed (-1: nothing)."""

    block_slot: int
    target_epoch: int
    source_epoch: int


def _last_signed(path: Path) -> _Signed:
    """The newest signed block slot, target epoch and source epoch in a slashing-protection database
    (watermarks from imported interchange files included), read with a read-only connection of its own."""
    import sqlite3

    queries = (
        "SELECT max(slot) FROM signed_blocks",
        "SELECT max(block_watermark) FROM validators",
        "SELECT max(target_epoch) FROM signed_attestations",
        "SELECT max(target_watermark) FROM validators",
        "SELECT max(source_epoch) FROM signed_attestations",
        "SELECT max(source_watermark) FROM validators",
    )
    values: list[int] = []
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            for query in queries:
                row = conn.execute(query).fetchone()
                values.append(-1 if row is None or row[0] is None else int(row[0]))
        finally:
            conn.close()
    except sqlite3.Error:
        return _Signed(-1, -1, -1)
    return _Signed(max(values[0], values[1]), max(values[2], values[3]), max(values[4], values[5]))


def _wal_state(path: Path) -> str | None:
    """What is wrong with a WAL file as found before the database opened (None: nothing seen). A WAL is a
    32-byte header and frames of 24 bytes plus a page; an empty one after a kill -9 means its uncheckpointed
    commits are gone, a partial frame means the last ones are. A missing one is also what a clean stop leaves,
    so it is no evidence and not reported."""
    if not path.exists():  # also what a clean stop leaves: not evidence of anything
        return None
    size = path.stat().st_size
    if size == 0:
        return f"{path.name} was empty"
    if size < 32:
        return f"{path.name} was truncated ({size} bytes)"
    with path.open("rb") as f:
        header = f.read(32)
    page_size = int.from_bytes(header[8:12], "big")
    if page_size == 1:
        page_size = 65536
    if page_size < 512 or (size - 32) % (24 + page_size):
        return f"{path.name} was truncated ({size} bytes, not a whole number of frames)"
    return None


def open_devnet(config: DevnetConfig, *, now: float | None = None) -> tuple[Chain, ValidatorClient, GenesisInfo]:
    """Create (first start) or reopen a devnet's data directory; returns the chain, the validator client and
    what is needed of the genesis state (`GenesisInfo`). See `open_devnet_dir` for what a restart checks."""
    opened = open_devnet_dir(config, now=now)
    return opened.chain, opened.client, opened.genesis


def open_devnet_dir(config: DevnetConfig, *, now: float | None = None) -> OpenedDevnet:
    """Create (first start) or reopen a devnet's data directory.

    A restart refuses to sign without the validators' history: when `slashing_protection.sqlite` is gone but the
    chain shows they have signed, it raises DevnetError naming `stakework slashing-protection import` (EIP-3076:
    a validator client must never sign without its slashing-protection record). It also compares the chain
    database's head with the newest block slashing protection says this node signed: when the head is older,
    blocks were lost (a kill between signing and storing loses one; a truncated or deleted WAL loses many) and
    `warnings` says how far the head went back."""
    if config.catch_up not in CATCH_UP_MODES:
        raise DevnetError(f"catch-up mode must be one of {', '.join(CATCH_UP_MODES)}, not {config.catch_up!r}")
    data = config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    meta_path = data / META_FILENAME
    restarted = meta_path.exists()
    if restarted:
        try:
            meta = json.loads(meta_path.read_text())
            genesis_time = int(meta["genesis_time"])
            preset_name = str(meta["preset"])
            validators = int(meta["validators"])
            modules = bool(meta.get("modules", False))  # directories made before modules existed have none
            float(meta.get("clock_shift_seconds", 0))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
            raise DevnetError(
                f"{meta_path}: unreadable ({type(exc).__name__}: {str(exc)[:200]}); move the data directory away to "
                "start afresh"
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
    equivocators = frozenset(range(config.validators - config.equivocate, config.validators))
    if config.keys_dir is not None:  # a node of a network: its own last K validators
        equivocators = frozenset(sorted(keys)[len(keys) - config.equivocate :] if config.equivocate else ())
    wal = _wal_state(data / (DB_FILENAME + "-wal")) if (data / DB_FILENAME).exists() else None
    store = ChainStore(data, genesis=genesis)
    try:
        stored = store.load_latest()
        protection_path = data / PROTECTION_FILENAME
        if restarted and not protection_path.exists() and stored.head.slot > genesis.slot:
            raise DevnetError(
                f"{protection_path} is missing, but this devnet's validators have signed blocks and votes up to "
                f"slot {stored.head.slot} at least; signing again without that record could sign a slashable "
                "message, so the devnet will not start. Restore the file from a backup, or import your latest "
                f"EIP-3076 interchange export: stakework slashing-protection import FILE --db {protection_path} "
                f"--genesis-validators-root 0x{genesis.genesis_validators_root.hex()} ; or move {data} away to "
                "start a new devnet"
            )
        if stored.anchor_root == store.identity.genesis_root:
            # The anchor read back is the genesis state built above: keep one of the two (issue #16: a state is
            # ~0.4 GiB at a million validators). States the chain holds are never changed in place.
            genesis = stored.anchor_state
        chain = Chain(stored.anchor_state, anchor_epoch=stored.anchor_epoch)
        for signed in stored.blocks:  # replay what was stored after the newest finalized snapshot
            try:
                chain.import_block(signed, current_slot=max(signed.message.slot, stored.head.slot))
            except (TransitionError, ForkChoiceError) as exc:
                raise DevnetError(
                    f"{data / DB_FILENAME}: the stored block at slot {signed.message.slot} cannot be replayed "
                    f"({exc}). This is a bug in stakework, please report it; meanwhile move {data} away to start "
                    "a new devnet"
                ) from None
    except BaseException:
        store.close()
        raise
    chain.store = store
    protection = SlashingProtection(protection_path, genesis.genesis_validators_root)
    record = _last_signed(protection_path)
    head = chain.head_state
    warnings = []
    if record.block_slot > head.slot:
        lost = record.block_slot - head.slot
        why = f" ({wal} when it opened)" if wal is not None else ""
        went_back = (
            f"the chain database went back: its head is at slot {head.slot}, but this node signed a block at slot "
            f"{record.block_slot}; the blocks of the last {lost} slot{'s' if lost != 1 else ''} were not stored "
            f"or were lost{why}"
        )
        # The source of the next votes: the head state's justified checkpoint once advanced past what was signed.
        ahead = head.copy()
        spe = config.preset.SLOTS_PER_EPOCH
        process_slots(ahead, max(head.slot, record.block_slot, record.target_epoch * spe) + 1)
        justified = ahead.current_justified_checkpoint.epoch
        if record.source_epoch > justified:
            chain.store.close()
            protection.close()
            raise DevnetError(
                f"{went_back}. The validators have already voted with source epoch {record.source_epoch}, after the "
                f"justified epoch {justified} the database now holds: slashing protection (rightly) refuses every "
                "vote they would make on this chain (surround votes), so it could never justify again. Restore "
                f"{data / DB_FILENAME} with its -wal file from a backup, or move {data} away and start a new devnet"
            )
        warnings.append(
            f"{went_back}. The devnet goes on from the head at slot {head.slot}; slashing protection keeps every "
            "validator from signing anything that conflicts with what it signed before"
        )
    return OpenedDevnet(
        chain=chain,
        client=ValidatorClient(keys, protection, equivocators=equivocators),
        genesis=GenesisInfo.of(genesis),  # (the state itself is let go here unless the chain holds it)
        meta=meta,
        restarted=restarted,
        last_signed_slot=max(genesis.slot, record.block_slot, record.target_epoch * config.preset.SLOTS_PER_EPOCH),
        warnings=warnings,
    )


@dataclass(frozen=True)
class ResumeReport:
    """What a restarted devnet tells its user: how long it was away, what it did about the gap, and what the
    validators lost over it."""

    head_slot: int
    finalized_epoch: int
    last_slot: int
    """The last slot the node acted in before the gap (its head, or the newest slot it signed in)."""
    wall_slot: int
    """The slot the devnet's clock showed after the gap, before any shift."""
    resume_slot: int
    """The first slot the node runs after the gap (the devnet clock's slot once shifted)."""
    seconds_per_slot: float
    slots_per_epoch: int
    catch_up: str
    """`shift` (the devnet clock moved forward over the gap), `leak` (the spec: the gap's empty epochs run
    through the inactivity leak) or `none` (a short gap: its slots are simply missed)."""
    shift_seconds: float
    """Seconds the devnet clock moved forward now (0 unless `catch_up` is shift)."""
    clock_shift_seconds: float
    """All the shifts since genesis: the devnet clock's slot is (now - genesis_time - this) // seconds."""
    balance_before: int
    """The validators' total balance at the head, in base units."""
    balance_lost: int
    """What the gap costs them (missed-duty penalties, the inactivity leak), in base units; 0 after a shift."""
    ejected: int
    """Validators the gap's inactivity leak ejected."""
    warnings: tuple[str, ...] = ()

    @property
    def away_slots(self) -> int:
        return max(0, self.wall_slot - self.last_slot)

    def lines(self) -> list[str]:
        """The report, one line per fact, in plain words."""
        epochs = self.away_slots // self.slots_per_epoch
        out = [
            f"resuming: head at slot {self.head_slot}, finalized epoch {self.finalized_epoch}; away "
            f"{_duration(self.away_slots * self.seconds_per_slot)} ({self.away_slots} slots, {epochs} epochs) "
            f"since slot {self.last_slot}"
        ]
        out += [f"warning: {w}" for w in self.warnings]
        if self.catch_up == "shift" and self.shift_seconds < 0:
            out.append(
                f"devnet clock set back by {_duration(-self.shift_seconds)}: it showed slot {self.wall_slot}, before "
                f"the last slot run ({self.last_slot}; were the slots longer than before?); the chain resumes at "
                f"slot {self.resume_slot}"
            )
        elif self.catch_up == "shift":
            out.append(
                f"devnet clock moved forward by {_duration(self.shift_seconds)}: the chain resumes at slot "
                f"{self.resume_slot} instead of running {epochs} empty epochs through the inactivity leak, and "
                "the validators lose nothing for the gap (devnet only; --catch-up=leak applies the spec's leak)"
            )
        if self.balance_lost > 0:
            share = 100 * self.balance_lost / max(1, self.balance_before)
            cause = "the inactivity leak over the gap" if self.catch_up == "leak" else "the duties missed in the gap"
            text = f"the validators lose {_swk(self.balance_lost)} SWK ({share:.2f} % of their balance) to {cause}"
            if self.ejected:
                text += f"; {self.ejected} validator{'s are' if self.ejected != 1 else ' is'} ejected"
            out.append(text)
        return out


def _duration(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s} s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m} min"
    return f"{h // 24} days {h % 24} h"


def _swk(amount: int) -> str:
    return f"{amount // GWEI_PER_SWK:,}.{amount % GWEI_PER_SWK:09d}".rstrip("0").rstrip(".")


def _active_count(state: BeaconState) -> int:
    return int(is_active_validator(state, state.current_epoch()).sum())


def catch_up(
    opened: OpenedDevnet, config: DevnetConfig, *, now: float, last_slot: int, warnings: tuple[str, ...] = ()
) -> ResumeReport:
    """Decide what the devnet does about the time since `last_slot` (a restart, or a clock that jumped while
    it ran, e.g. a suspended laptop) and do it.

    Spec: with no blocks for more than MIN_EPOCHS_TO_INACTIVITY_PENALTY epochs since finality the chain is in the
    inactivity leak (`is_in_inactivity_leak`); replayed over a long gap it drains and ejects every validator (then
    `compute_proposer_index` has no candidate left). When the gap would put the chain in the leak:

    - `shift` (default, devnet only): the devnet clock moves forward so that the next slot is `last_slot + 1`;
      `clock_shift_seconds` (and a `clock_shifts` history) in devnet.json record it. Slots only move forward, so
      slashing protection stays sound: no validator signs at or below a slot or epoch it signed.
    - `leak` (the spec): the gap's empty epochs run through the leak. What the validators lose is computed first;
      if the leak would leave no active validator, a DevnetError names `--catch-up=shift` and nothing is written.

    A shorter gap is the spec's in both modes: its slots are missed (small penalties, reported). A clock behind
    `last_slot` (longer slots than before) is shifted back in both modes, so the chain resumes at once."""
    chain, genesis, p = opened.chain, opened.genesis, opened.genesis.preset
    seconds = config.seconds_per_slot
    shift_total = float(opened.meta.get("clock_shift_seconds", 0))  # type: ignore[arg-type]
    origin = genesis.genesis_time + shift_total
    wall = int((now - origin) // seconds) if now >= origin else 0
    head = chain.head_state
    finalized_epoch = chain.forkchoice.finalized_checkpoint.epoch
    spe = p.SLOTS_PER_EPOCH
    n = len(head.validators)
    balance_before = int(head.validators.balances.sum(dtype=np.uint64))
    gap = wall - last_slot
    leaking = gap >= spe and wall // spe - 1 - finalized_epoch > p.MIN_EPOCHS_TO_INACTIVITY_PENALTY
    common = {
        "head_slot": head.slot,
        "finalized_epoch": finalized_epoch,
        "last_slot": last_slot,
        "wall_slot": wall,
        "seconds_per_slot": seconds,
        "slots_per_epoch": spe,
        "balance_before": balance_before,
        "warnings": warnings,
    }
    behind = gap < 0  # the clock shows a slot before the last one run: longer --slot-seconds than before
    if behind or (leaking and config.catch_up == "shift"):
        resume = last_slot + 1
        shift = (wall - resume) * seconds
        meta = dict(opened.meta)
        meta["clock_shift_seconds"] = shift_total + shift
        history = meta.get("clock_shifts")
        meta["clock_shifts"] = [
            *(history if isinstance(history, list) else []),
            {"at": int(now), "from_slot": wall, "to_slot": resume, "seconds": shift},
        ]
        write_private_file(config.data_dir / META_FILENAME, json.dumps(meta).encode())
        opened.meta = meta
        return ResumeReport(
            **common,  # type: ignore[arg-type]
            resume_slot=resume,
            catch_up="shift",
            shift_seconds=shift,
            clock_shift_seconds=shift_total + shift,
            balance_lost=0,
            ejected=0,
        )
    lost = ejected = 0
    if gap > 0:
        state = head.copy()
        try:
            while state.slot < wall:
                process_slots(state, min(wall, (state.slot // spe + 1) * spe))
                if _active_count(state) == 0:
                    raise TransitionError(f"no active validator is left at epoch {state.current_epoch()}")
        except TransitionError as exc:
            raise DevnetError(
                f"the devnet was away {_duration(gap * seconds)} ({gap // spe} epochs since slot {last_slot}); "
                f"running that gap through the spec's rules{' (--catch-up=leak)' if leaking else ''} leaves the "
                f"chain unable to go on ({exc}). Nothing was written: start it again with --catch-up=shift (the "
                "default) to resume where it stopped"
            ) from None
        lost = max(0, balance_before - int(state.validators.balances[:n].sum(dtype=np.uint64)))
        far = np.uint64(FAR_FUTURE_EPOCH)
        ejected = int(((head.validators.exit_epoch == far) & (state.validators.exit_epoch[:n] != far)).sum())
    return ResumeReport(
        **common,  # type: ignore[arg-type]
        resume_slot=max(wall, last_slot + 1),
        catch_up="leak" if leaking else "none",
        shift_seconds=0.0,
        clock_shift_seconds=shift_total,
        balance_lost=lost,
        ejected=ejected,
    )


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


def propose_step(
    chain: Chain,
    client: ValidatorClient,
    slot: int,
    mempool: Mempool | None = None,
    slasher: Slasher | None = None,
) -> tuple[SignedBeaconBlock | None, int]:
    """The first half of a slot: tick the fork choice and, if one of our validators proposes, build the block with
    the mempool's best transactions and the slasher's findings and import it. Returns the imported block (None:
    not ours, or it failed) and how many transactions it includes."""
    chain.tick(slot)
    state = chain.state_at_slot(slot)
    p = state.preset
    txs = mempool.select(state, p.MAX_TRANSACTIONS_PER_BLOCK) if mempool is not None else []
    attester_slashings, proposer_slashings = (
        slasher.take(p.MAX_ATTESTER_SLASHINGS_ELECTRA, p.MAX_PROPOSER_SLASHINGS) if slasher else ([], [])
    )
    try:
        block = client.propose(state, chain.attestations_for_block(slot), txs, attester_slashings, proposer_slashings)
    except Exception:  # a bug or an input nobody foresaw: this slot goes without our block, the node goes on
        _log.exception("slot %d: building the block failed; the slot is skipped", slot)
        block = None
    if mempool is not None:  # transactions that no longer apply leave the pool
        for tx, reason in client.rejected_transactions:
            mempool.remove(tx.hash(), reason)
    client.rejected_transactions.clear()
    del state  # the proposer's working copy: not needed by the import, which copies the parent (issue #16)
    included = 0
    imported: SignedBeaconBlock | None = None
    if block is not None:
        try:
            verified = mempool.verified if mempool is not None else frozenset()
            chain.import_block(block, current_slot=slot, verified_transactions=verified)
            imported = block
            included = len(block.message.body.transactions)
            attester_slashings, proposer_slashings = [], []
        except TransitionError:
            pass
        except Exception:  # not a rule the block broke: a bug nobody foresaw; skip the block, keep the node
            _log.exception("slot %d: importing our block failed; the block is skipped", slot)
    if slasher is not None:
        slasher.restore(attester_slashings, proposer_slashings)
    if mempool is not None:
        mempool.prune(chain.head_state, slot)
    return imported, included


def attest_step(
    chain: Chain, client: ValidatorClient, slot: int, slasher: Slasher | None = None
) -> tuple[BeaconState, list[Attestation]]:
    """The second half of a slot: our validators vote for the head; the fork choice counts the votes, the pool
    keeps them and the slasher sees them. Returns the state the votes were made on and the aggregates made (the
    honest one, and the TEST HOOK's conflicting one when equivocating)."""
    p = chain.preset
    head_root = chain.head_root
    head = chain.states[head_root]
    attest_state = chain.state_at_slot(slot) if head.slot < slot else head
    made: list[Attestation] = []
    attestation = client.attest(attest_state, head_root)
    if attestation is not None:
        made.append(attestation)
        chain.on_attestation(attestation, attest_state)
        if slasher is not None:
            slasher.on_attestation(attest_state, attestation)
        conflicting = client.equivocate(attest_state, attestation)
        if conflicting is not None:
            made.append(conflicting)
            if slasher is not None:
                slasher.on_attestation(attest_state, conflicting)
        if slasher is not None:
            slasher.prune(chain.forkchoice.finalized_checkpoint.epoch, p.SLOTS_PER_EPOCH)
    return attest_state, made


def slot_report(
    chain: Chain, client: ValidatorClient, slot: int, mempool: Mempool | None, proposed: bool, included: int
) -> SlotReport:
    """What a slot ends with (the head, the checkpoints, participation), for the slot's log line."""
    head = chain.states[chain.head_root]
    return SlotReport(
        slot=slot,
        epoch=slot // chain.preset.SLOTS_PER_EPOCH,
        proposed=proposed,
        transactions=included,
        mempool=len(mempool) if mempool is not None else 0,
        slashed=int(head.validators.slashed.sum()),
        refused=client.refused,
        head_slot=head.slot,
        head_root=chain.head_root,
        justified_epoch=chain.forkchoice.justified_checkpoint.epoch,
        finalized_epoch=chain.forkchoice.finalized_checkpoint.epoch,
        participation=_participation(head) if head.slot >= chain.preset.SLOTS_PER_EPOCH else 0.0,
    )


def run_slot(
    chain: Chain,
    client: ValidatorClient,
    slot: int,
    mempool: Mempool | None = None,
    slasher: Slasher | None = None,
) -> SlotReport:
    """Everything one slot does: tick the fork choice, propose (if ours) with the mempool's best transactions
    and the slasher's findings, attest to the head (and let the slasher see every vote)."""
    block, included = propose_step(chain, client, slot, mempool, slasher)
    attest_step(chain, client, slot, slasher)
    return slot_report(chain, client, slot, mempool, block is not None, included)


def run_devnet(
    config: DevnetConfig,
    *,
    on_slot: Callable[[SlotReport], None],
    stop: threading.Event,
    max_slots: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], object] = time.sleep,
    lock: AbstractContextManager[object] | None = None,
    on_open: Callable[[Chain, Mempool, ValidatorClient, GenesisInfo], object] | None = None,
    on_resume: Callable[[ResumeReport], object] | None = None,
) -> None:
    """Run slots on the devnet clock until `stop` is set (or `max_slots` slots have run). `lock` is held while a
    slot mutates the chain and the mempool (the API server reads them from another thread); `on_open` sees the
    opened chain, mempool, validator client and `GenesisInfo` before the first slot; `on_resume` gets the
    `ResumeReport` of a restart (before `on_open`) and of every later jump of the clock by more than an epoch
    (see `catch_up`).

    The devnet clock is the wall clock (`clock`) minus the shifts recorded in devnet.json: slot =
    (now - genesis_time - clock_shift_seconds) // seconds. A slot is run at most once, across restarts too."""
    opened = open_devnet_dir(config)
    chain, client, genesis = opened.chain, opened.client, opened.genesis
    try:
        spe = genesis.preset.SLOTS_PER_EPOCH
        last = max(genesis.slot, chain.head_state.slot, opened.last_signed_slot)
        now: float | None = None
        if opened.restarted:
            now = clock()  # one instant for the decision and the first slot
            report = catch_up(opened, config, now=now, last_slot=last, warnings=tuple(opened.warnings))
            if on_resume is not None:
                on_resume(report)
            last = max(last, report.resume_slot - 1)
        _run_slots(config, opened, on_slot, stop, max_slots, clock, lock, on_open, on_resume, last, spe, now)
    finally:
        guard = lock if lock is not None else nullcontext()
        with guard:
            client.protection.close()
            if chain.store is not None:
                chain.store.close()


def _run_slots(
    config: DevnetConfig,
    opened: OpenedDevnet,
    on_slot: Callable[[SlotReport], None],
    stop: threading.Event,
    max_slots: int | None,
    clock: Callable[[], float],
    lock: AbstractContextManager[object] | None,
    on_open: Callable[[Chain, Mempool, ValidatorClient, GenesisInfo], object] | None,
    on_resume: Callable[[ResumeReport], object] | None,
    last: int,
    spe: int,
    now: float | None,
) -> None:
    """The slot loop of `run_devnet`, from the slot after `last`; `now`: the first instant, if already read."""
    chain, client, genesis = opened.chain, opened.client, opened.genesis
    seconds = config.seconds_per_slot
    mempool = Mempool()
    slasher = Slasher()
    guard = lock if lock is not None else nullcontext()
    if on_open is not None:
        on_open(chain, mempool, client, genesis)
    load = LoadGenerator(config.funded_accounts) if config.load > 0 and config.funded_accounts > 1 else None
    done = 0
    while not stop.is_set() and (max_slots is None or done < max_slots):
        now = clock() if now is None else now
        origin = genesis.genesis_time + float(opened.meta.get("clock_shift_seconds", 0))  # type: ignore[arg-type]
        slot = int((now - origin) // seconds) if now >= origin else 0
        if slot <= last:
            wait = origin + (last + 1) * seconds - now
            now = None
            stop.wait(max(0.0, min(wait, 0.5)))
            continue
        if slot - last > spe:  # the clock jumped (a suspended machine): the same choice as at a restart
            with guard:
                report = catch_up(opened, config, now=now, last_slot=last)
            if on_resume is not None:
                on_resume(report)
            if report.catch_up == "shift":
                origin = genesis.genesis_time + report.clock_shift_seconds
                slot = int((now - origin) // seconds)
        now = None
        last = slot
        with guard:
            if slot % spe == 0 or done == 0:
                load_staked_keys(config.data_dir, chain.head_state, client)
            if load is not None:
                head = chain.head_state
                for tx in load.make(head, max(1, round(config.load * seconds))):
                    try:
                        mempool.add(tx, head)
                    except MempoolError:
                        load.next_nonce.clear()  # resynchronise nonces with the chain next time
            report_slot = run_slot(chain, client, slot, mempool, slasher)
        on_slot(report_slot)
        done += 1
