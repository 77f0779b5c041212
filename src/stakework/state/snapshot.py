"""Reading and writing states: the reference vectors' JSON, stakework's JSON snapshot (for people) and its
binary snapshot (for large states).

- JSON snapshot: the vector STATE fields (same names, `../shared/vectors/README.md`) plus what a complete state
  needs (full withdrawal credentials, every randao mix and block/state root, the preset...). `.json` or
  `.json.gz`.
- Binary snapshot (`.swk`): `MAGIC`, a msgpack header (preset, scalars, queues, and the dtype/shape/offset of
  every column), the raw little-endian columns, and a SHA-256 of everything before it, so a truncated or
  corrupted file is refused rather than half-read. A million validators save and load in about a second.

Every malformed input raises SnapshotError with the path of the offending value.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from stakework.modules.store import ModuleStoreError, decode_store, encode_store, store_from_builtins, store_to_builtins
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import PRESETS, Preset, PresetError, get_preset, preset_from_mapping
from stakework.state.accounts import Account, Accounts
from stakework.state.beacon_state import ARRAY_FIELDS, BYTES_FIELDS, CHECKPOINT_FIELDS, SCALAR_FIELDS, BeaconState
from stakework.state.containers import (
    BeaconBlockHeader,
    Checkpoint,
    HistoricalSummary,
    PendingConsolidation,
    PendingDeposit,
    PendingPartialWithdrawal,
)
from stakework.state.fields import of_kind
from stakework.state.registry import COLUMNS, Registry, RegistryError
from stakework.state.root import hash_state
from stakework.state.snapshot_schema import (
    AccountJSON,
    BlockHeaderJSON,
    CheckpointJSON,
    ForkJSON,
    HistoricalSummaryJSON,
    PendingConsolidationJSON,
    PendingDepositJSON,
    PendingPartialWithdrawalJSON,
    StateJSON,
    ValidatorsJSON,
    VectorJSON,
)

SNAPSHOT_FORMAT = "stakework-snapshot"
SNAPSHOT_VERSION = 2
"""2: the state root is the Merkle commitment (state/proofs.py). Version 1 files (whose root was a flat SHA-256
of every field) still load: their checksum (binary) is verified, their old root is not compared."""
READABLE_VERSIONS = (1, 2)
MAGIC = b"SWKSNAP\x01"


class SnapshotError(StakeworkError):
    """A snapshot or vector file that cannot be read as a state; the message names the file and the field."""


# -- hex helpers --------------------------------------------------------------------------------------------
def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _hex_rows(rows: list[str], width: int) -> npt.NDArray[np.uint8]:
    if not rows:
        return np.zeros((0, width), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(r[2:] for r in rows)), dtype=np.uint8).reshape(len(rows), width).copy()


def _rows_hex(arr: npt.NDArray[np.uint8]) -> list[str]:
    width = arr.shape[1] * 2
    text = arr.tobytes().hex()
    return ["0x" + text[i : i + width] for i in range(0, len(text), width)]


_JSON_SCALARS = tuple(f for f in of_kind("uint64", "bytes") if "." not in f.json_name)
"""The uint64 and bytes fields that are top-level JSON values (the fork's are inside `fork`)."""
_JSON_REQUIRED = frozenset(
    StateJSON.__struct_fields__[: len(StateJSON.__struct_fields__) - len(StateJSON.__struct_defaults__)]
)
"""The vector format's fields (required in every JSON state); the others are snapshot-only."""


# -- JSON state <-> BeaconState -----------------------------------------------------------------------------
def _u64(values: list[int], name: str) -> npt.NDArray[np.uint64]:
    try:
        return np.array(values, dtype=np.uint64)
    except OverflowError:
        i = next(i for i, x in enumerate(values) if x > 2**64 - 1)
        raise SnapshotError(f"{name}[{i}]: {values[i]} does not fit in an unsigned 64-bit integer") from None


def _check_scalars(doc: StateJSON, where: str) -> None:
    for name in StateJSON.__struct_fields__:
        value = getattr(doc, name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 2**64 - 1:
            raise SnapshotError(f"{where}.{name}: {value} does not fit in an unsigned 64-bit integer")


def state_from_json(doc: StateJSON, preset: Preset, *, where: str = "state") -> BeaconState:
    """Build a BeaconState from a decoded JSON state, checking what the schema cannot."""
    _check_scalars(doc, where)
    p = preset
    n = len(doc.validators.effective_balance)
    vj = doc.validators
    if vj.withdrawal_credentials is not None:
        credentials = _hex_rows(vj.withdrawal_credentials, 32)
    elif vj.withdrawal_prefix is not None:
        credentials = np.zeros((len(vj.withdrawal_prefix), 32), dtype=np.uint8)
        credentials[:, 0] = vj.withdrawal_prefix
    else:
        raise SnapshotError(f"{where}.validators: needs withdrawal_credentials or withdrawal_prefix")
    columns: dict[str, Any] = {
        "pubkey": _hex_rows(vj.pubkey, 48),
        "withdrawal_credentials": credentials,
        "effective_balance": _u64(vj.effective_balance, f"{where}.validators.effective_balance"),
        "slashed": np.array(vj.slashed, dtype=np.bool_),
        "activation_eligibility_epoch": _u64(
            vj.activation_eligibility_epoch, f"{where}.validators.activation_eligibility_epoch"
        ),
        "activation_epoch": _u64(vj.activation_epoch, f"{where}.validators.activation_epoch"),
        "exit_epoch": _u64(vj.exit_epoch, f"{where}.validators.exit_epoch"),
        "withdrawable_epoch": _u64(vj.withdrawable_epoch, f"{where}.validators.withdrawable_epoch"),
        "balances": _u64(doc.balances, f"{where}.balances"),
        "previous_epoch_participation": np.array(doc.previous_epoch_participation, dtype=np.uint8),
        "current_epoch_participation": np.array(doc.current_epoch_participation, dtype=np.uint8),
        "inactivity_scores": _u64(doc.inactivity_scores, f"{where}.inactivity_scores"),
    }
    for name, column in columns.items():
        if len(column) != n:
            label = f"validators.{name}" if name in ValidatorsJSON.__struct_fields__ else name
            raise SnapshotError(f"{where}.{label}: has {len(column)} entries but there are {n} validators")
    try:
        registry = Registry.from_columns(columns)
    except RegistryError as exc:
        raise SnapshotError(f"{where}: {exc}") from None

    if doc.epoch != doc.slot // p.SLOTS_PER_EPOCH:
        raise SnapshotError(
            f"{where}.epoch: {doc.epoch} is not slot {doc.slot} // SLOTS_PER_EPOCH ({p.SLOTS_PER_EPOCH})"
        )
    if len(doc.justification_bits) != 4:
        raise SnapshotError(f"{where}.justification_bits: expected 4 bits, got {len(doc.justification_bits)}")
    if len(doc.slashings) != p.EPOCHS_PER_SLASHINGS_VECTOR:
        raise SnapshotError(
            f"{where}.slashings: expected {p.EPOCHS_PER_SLASHINGS_VECTOR} entries (EPOCHS_PER_SLASHINGS_VECTOR of "
            f"preset {p.PRESET_NAME}), got {len(doc.slashings)}"
        )

    def cp(c: CheckpointJSON) -> Checkpoint:
        return Checkpoint(c.epoch, _unhex(c.root))

    state = BeaconState(
        preset=p,
        validators=registry,
        slot=doc.slot,
        justification_bits=list(doc.justification_bits),
        previous_justified_checkpoint=cp(doc.previous_justified_checkpoint),
        current_justified_checkpoint=cp(doc.current_justified_checkpoint),
        finalized_checkpoint=cp(doc.finalized_checkpoint),
        slashings=_u64(doc.slashings, f"{where}.slashings"),
        pending_deposits=[
            PendingDeposit(_unhex(d.pubkey), _unhex(d.withdrawal_credentials), d.amount, _unhex(d.signature), d.slot)
            for d in doc.pending_deposits
        ],
        pending_consolidations=[
            PendingConsolidation(c.source_index, c.target_index) for c in doc.pending_consolidations
        ],
        fork_previous_version=p.ELECTRA_FORK_VERSION,
        fork_current_version=p.ELECTRA_FORK_VERSION,
    )
    for i, c in enumerate(state.pending_consolidations):
        if c.source_index >= n or c.target_index >= n:
            raise SnapshotError(f"{where}.pending_consolidations[{i}]: validator index out of range (n = {n})")

    # Ring buffers: complete in a snapshot; in a vector only the entries epoch processing reads.
    def ring(name: str, rows: list[str] | None, length: int) -> npt.NDArray[np.uint8] | None:
        if rows is None:
            return None
        if len(rows) != length:
            raise SnapshotError(f"{where}.{name}: expected {length} roots, got {len(rows)}")
        return _hex_rows(rows, 32)

    block_roots = ring("block_roots", doc.block_roots, p.SLOTS_PER_HISTORICAL_ROOT)
    if block_roots is not None:
        state.block_roots = block_roots
    else:
        epoch = state.current_epoch()
        previous = state.previous_epoch()
        if doc.block_root_at_previous_epoch_start is not None:
            state.block_roots[(previous * p.SLOTS_PER_EPOCH) % p.SLOTS_PER_HISTORICAL_ROOT] = list(
                _unhex(doc.block_root_at_previous_epoch_start)
            )
        if doc.block_root_at_current_epoch_start is not None:
            state.block_roots[(epoch * p.SLOTS_PER_EPOCH) % p.SLOTS_PER_HISTORICAL_ROOT] = list(
                _unhex(doc.block_root_at_current_epoch_start)
            )
    state_roots = ring("state_roots", doc.state_roots, p.SLOTS_PER_HISTORICAL_ROOT)
    if state_roots is not None:
        state.state_roots = state_roots
    mixes = ring("randao_mixes", doc.randao_mixes, p.EPOCHS_PER_HISTORICAL_VECTOR)
    if mixes is not None:
        state.randao_mixes = mixes
    else:
        epoch = state.current_epoch()
        for offset, mix in ((0, doc.randao_mix_current), (1, doc.randao_mix_next)):
            if mix is not None:
                state.randao_mixes[(epoch + offset) % p.EPOCHS_PER_HISTORICAL_VECTOR] = list(_unhex(mix))

    for f in _JSON_SCALARS:  # the table's top-level uint64 and bytes fields (absent: the state's default)
        value = getattr(doc, f.json_name)
        if value is not None:
            setattr(state, f.name, value if f.kind == "uint64" else _unhex(value))
    if doc.fork is not None:
        state.fork_previous_version = _unhex(doc.fork.previous_version)
        state.fork_current_version = _unhex(doc.fork.current_version)
        state.fork_epoch = doc.fork.epoch
    if doc.latest_block_header is not None:
        h = doc.latest_block_header
        state.latest_block_header = BeaconBlockHeader(
            h.slot, h.proposer_index, _unhex(h.parent_root), _unhex(h.state_root), _unhex(h.body_root)
        )
    if doc.pending_partial_withdrawals is not None:
        state.pending_partial_withdrawals = [
            PendingPartialWithdrawal(w.validator_index, w.amount, w.withdrawable_epoch)
            for w in doc.pending_partial_withdrawals
        ]
    elif doc.pending_partial_withdrawals_count:
        raise SnapshotError(
            f"{where}.pending_partial_withdrawals_count: {doc.pending_partial_withdrawals_count} withdrawals are "
            "counted but not listed; a state needs the list (pending_partial_withdrawals)"
        )
    if doc.accounts is not None:
        state.accounts = _accounts_from([(_unhex(a.address), a.balance, a.nonce) for a in doc.accounts], where)
    if doc.modules is not None:
        try:
            state.modules = store_from_builtins(doc.modules)
        except ModuleStoreError as exc:
            raise SnapshotError(f"{where}.modules: {exc}") from None
    if doc.historical_summaries is not None:
        state.historical_summaries = [
            HistoricalSummary(_unhex(h.block_summary_root), _unhex(h.state_summary_root))
            for h in doc.historical_summaries
        ]
    check_state(state, where=where)
    return state


def _accounts_from(rows: list[tuple[bytes, int, int]], where: str) -> Accounts:
    accounts: dict[bytes, Account] = {}
    for i, (address, balance, nonce) in enumerate(rows):
        if address in accounts:
            raise SnapshotError(f"{where}.accounts[{i}]: address 0x{address.hex()} appears twice")
        if balance > 2**64 - 1 or nonce > 2**64 - 1:
            raise SnapshotError(f"{where}.accounts[{i}]: balance or nonce does not fit in 64 bits")
        accounts[address] = Account(balance, nonce)
    return Accounts(accounts)


def check_state(state: BeaconState, *, where: str = "state") -> None:
    """Refuse states no rule could have produced and the vectorized transition relies on never seeing."""
    p = state.preset
    v = state.validators
    if len(v):
        over = np.flatnonzero(v.effective_balance > np.uint64(p.MAX_EFFECTIVE_BALANCE_ELECTRA))
        if over.size:
            i = int(over[0])
            raise SnapshotError(
                f"{where}.validators.effective_balance[{i}]: {int(v.effective_balance[i])} exceeds "
                f"MAX_EFFECTIVE_BALANCE_ELECTRA ({p.MAX_EFFECTIVE_BALANCE_ELECTRA})"
            )
        from stakework.spec.arith import exact_sum

        if exact_sum(v.balances) >= 2**64:
            raise SnapshotError(f"{where}.balances: the total exceeds 2**64 - 1 Gwei; no chain holds that much")
    if state.next_withdrawal_validator_index > max(len(v), 1):
        raise SnapshotError(f"{where}.next_withdrawal_validator_index: beyond the registry ({len(v)} validators)")


def u64(values: npt.NDArray[np.uint64]) -> list[int]:
    """A uint64 column as Python ints."""
    result: list[int] = values.tolist()
    return result


def _total_active_balance(state: BeaconState) -> int:
    """Spec: get_total_active_balance — derived, written for readers of the vector format."""
    v = state.validators
    e = np.uint64(state.current_epoch())
    active = (v.activation_epoch <= e) & (e < v.exit_epoch)
    return max(state.preset.EFFECTIVE_BALANCE_INCREMENT, int(v.effective_balance[active].sum(dtype=np.uint64)))


def state_to_json(state: BeaconState, *, snapshot: bool = True) -> StateJSON:
    """The JSON form. `snapshot=False` gives exactly the vector STATE fields (for comparing with vectors)."""
    p = state.preset
    v = state.validators
    epoch = state.current_epoch()
    previous = state.previous_epoch()
    sphr = p.SLOTS_PER_HISTORICAL_ROOT

    def cp(c: Checkpoint) -> CheckpointJSON:
        return CheckpointJSON(c.epoch, _hex(c.root))

    def deposit(d: PendingDeposit) -> PendingDepositJSON:
        return PendingDepositJSON(
            _hex(d.pubkey),
            _hex(d.withdrawal_credentials),
            d.amount,
            _hex(d.signature),
            d.slot,
            v.index_of_pubkey(d.pubkey),
        )

    scalars: dict[str, Any] = {
        f.json_name: getattr(state, f.name) if f.kind == "uint64" else _hex(getattr(state, f.name))
        for f in _JSON_SCALARS
    }
    doc = StateJSON(
        epoch=epoch,
        validators=ValidatorsJSON(
            pubkey=_rows_hex(v.pubkey),
            effective_balance=u64(v.effective_balance),
            slashed=v.slashed.tolist(),
            activation_eligibility_epoch=u64(v.activation_eligibility_epoch),
            activation_epoch=u64(v.activation_epoch),
            exit_epoch=u64(v.exit_epoch),
            withdrawable_epoch=u64(v.withdrawable_epoch),
            withdrawal_prefix=None if snapshot else v.withdrawal_credentials[:, 0].tolist(),
            withdrawal_credentials=_rows_hex(v.withdrawal_credentials) if snapshot else None,
        ),
        balances=u64(v.balances),
        previous_epoch_participation=v.previous_epoch_participation.tolist(),
        current_epoch_participation=v.current_epoch_participation.tolist(),
        inactivity_scores=u64(v.inactivity_scores),
        justification_bits=list(state.justification_bits),
        previous_justified_checkpoint=cp(state.previous_justified_checkpoint),
        current_justified_checkpoint=cp(state.current_justified_checkpoint),
        finalized_checkpoint=cp(state.finalized_checkpoint),
        slashings=u64(state.slashings),
        **{k: v for k, v in scalars.items() if k in _JSON_REQUIRED},
        pending_deposits=[deposit(d) for d in state.pending_deposits],
        pending_consolidations=[
            PendingConsolidationJSON(c.source_index, c.target_index) for c in state.pending_consolidations
        ],
        pending_partial_withdrawals_count=len(state.pending_partial_withdrawals),
        block_root_at_previous_epoch_start=_hex(state.block_roots[(previous * p.SLOTS_PER_EPOCH) % sphr].tobytes()),
        block_root_at_current_epoch_start=_hex(state.block_roots[(epoch * p.SLOTS_PER_EPOCH) % sphr].tobytes()),
        randao_mix_current=_hex(state.randao_mixes[epoch % p.EPOCHS_PER_HISTORICAL_VECTOR].tobytes()),
        randao_mix_next=_hex(state.randao_mixes[(epoch + 1) % p.EPOCHS_PER_HISTORICAL_VECTOR].tobytes()),
        total_active_balance=_total_active_balance(state),
    )
    if not snapshot:
        return doc
    doc.state_root = _hex(hash_state(state))
    doc.format = SNAPSHOT_FORMAT
    doc.version = SNAPSHOT_VERSION
    doc.preset = _preset_to_json(p)
    for name, value in scalars.items():
        if name not in _JSON_REQUIRED:
            setattr(doc, name, value)
    doc.fork = ForkJSON(_hex(state.fork_previous_version), _hex(state.fork_current_version), state.fork_epoch)
    h = state.latest_block_header
    doc.latest_block_header = BlockHeaderJSON(
        h.slot, h.proposer_index, _hex(h.parent_root), _hex(h.state_root), _hex(h.body_root)
    )
    doc.block_roots = _rows_hex(state.block_roots)
    doc.state_roots = _rows_hex(state.state_roots)
    doc.randao_mixes = _rows_hex(state.randao_mixes)
    doc.pending_partial_withdrawals = [
        PendingPartialWithdrawalJSON(w.validator_index, w.amount, w.withdrawable_epoch)
        for w in state.pending_partial_withdrawals
    ]
    doc.accounts = [AccountJSON(_hex(addr), a.balance, a.nonce) for addr, a in state.accounts.items()]
    doc.modules = None if state.modules.is_empty() else store_to_builtins(state.modules)
    doc.historical_summaries = [
        HistoricalSummaryJSON(_hex(h.block_summary_root), _hex(h.state_summary_root))
        for h in state.historical_summaries
    ]
    return doc


def _preset_to_json(preset: Preset) -> str | dict[str, Any]:
    if PRESETS.get(preset.PRESET_NAME) == preset:
        return preset.PRESET_NAME
    out: dict[str, Any] = {}
    for f in fields(preset):
        value = getattr(preset, f.name)
        out[f.name] = _hex(value) if isinstance(value, bytes) else value
    out["base"] = preset.PRESET_BASE if preset.PRESET_BASE in PRESETS else "minimal"
    return out


def _preset_from_json(value: str | dict[str, Any] | None, *, where: str) -> Preset:
    try:
        if value is None:
            raise SnapshotError(f"{where}.preset: missing; name the preset (mainnet, minimal, devnet) or embed it")
        if isinstance(value, str):
            return get_preset(value)
        return preset_from_mapping(value, source=f"{where}.preset")
    except PresetError as exc:
        raise SnapshotError(f"{where}: {exc}") from None


# -- files --------------------------------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a directory, expected a snapshot file") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read ({exc.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise SnapshotError(f"{path}: truncated or corrupt gzip data ({exc}); copy the file again") from None
    return raw


def _decode_json(raw: bytes, kind: type[Any], path: Path) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise SnapshotError(f"{path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise SnapshotError(f"{path}: not valid JSON, the file may be truncated ({exc})") from None
    except RecursionError:
        raise SnapshotError(f"{path}: not a stakework snapshot (JSON nested too deep to read)") from None


@dataclass(frozen=True)
class Vector:
    """A reference epoch-processing vector: pre and post states and the per-step changes."""

    path: Path
    meta: dict[str, Any]
    pre: BeaconState
    post: BeaconState
    post_json: StateJSON
    steps: list[dict[str, Any]]


def load_vector(path: str | Path) -> Vector:
    """Read a vector file (`.json` or `.json.gz`) in the format of `../shared/vectors/README.md`."""
    path = Path(path)
    doc: VectorJSON = _decode_json(_read_bytes(path), VectorJSON, path)
    preset_name = doc.meta.get("preset")
    if not isinstance(preset_name, str):
        raise SnapshotError(f"{path}: meta.preset must name a preset")
    preset = _preset_from_json(preset_name, where=f"{path}: meta")
    pre = state_from_json(doc.pre, preset, where="pre")
    post = state_from_json(doc.post, preset, where="post")
    return Vector(path, doc.meta, pre, post, doc.post, doc.steps)


def save_json(state: BeaconState, path: str | Path) -> None:
    """Write a JSON snapshot (gzip-compressed when the name ends in `.gz`)."""
    path = Path(path)
    data = msgspec.json.format(msgspec.json.encode(state_to_json(state)), indent=1)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6)
    _write_atomic(path, data)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot write ({exc.strerror})") from None


def load_json(path: str | Path, raw: bytes | None = None) -> BeaconState:
    """Read a JSON snapshot; its `state_root`, when present, must match the state read."""
    path = Path(path)
    doc: StateJSON = _decode_json(_read_bytes(path) if raw is None else raw, StateJSON, path)
    if doc.format not in (None, SNAPSHOT_FORMAT):
        raise SnapshotError(f"{path}: format {doc.format!r} is not {SNAPSHOT_FORMAT!r}")
    if doc.version not in (None, *READABLE_VERSIONS):
        raise SnapshotError(
            f"{path}: snapshot version {doc.version} is not supported (this build reads {READABLE_VERSIONS})"
        )
    state = state_from_json(doc, _preset_from_json(doc.preset, where=str(path)), where=str(path))
    checked = doc.format == SNAPSHOT_FORMAT and doc.version == SNAPSHOT_VERSION
    if doc.state_root is not None and checked and _unhex(doc.state_root) != hash_state(state):
        raise SnapshotError(
            f"{path}: state_root does not match the state: the file was edited or corrupted, or written by a "
            "stakework whose state commitment differs (read it with that version)"
        )
    return state


# -- binary -------------------------------------------------------------------------------------------------


def save_binary(state: BeaconState, path: str | Path) -> None:
    """Write a binary snapshot (see the module docstring)."""
    path = Path(path)
    arrays: list[tuple[str, npt.NDArray[Any]]] = [(f"validators.{n}", a) for n, a in state.validators.columns()]
    arrays += [(n, getattr(state, n)) for n in ARRAY_FIELDS]
    layout = []
    offset = 0
    for name, column in arrays:
        arr = np.ascontiguousarray(column)
        layout.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset})
        offset += (arr.nbytes + 7) // 8 * 8
    header = {
        "version": SNAPSHOT_VERSION,
        "preset": _preset_to_json(state.preset),
        "scalars": {n: getattr(state, n) for n in SCALAR_FIELDS},
        "bytes": {n: getattr(state, n) for n in BYTES_FIELDS},
        "justification_bits": list(state.justification_bits),
        "checkpoints": {n: getattr(state, n) for n in CHECKPOINT_FIELDS},
        "latest_block_header": state.latest_block_header,
        "pending_deposits": state.pending_deposits,
        "pending_partial_withdrawals": state.pending_partial_withdrawals,
        "pending_consolidations": state.pending_consolidations,
        "historical_summaries": state.historical_summaries,
        "accounts": [(addr, a.balance, a.nonce) for addr, a in state.accounts.items()],
        "modules": encode_store(state.modules),
        "validator_count": len(state.validators),
        "arrays": layout,
        "state_root": hash_state(state),
    }
    head = msgspec.msgpack.encode(header)
    digest = hashlib.sha256()
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as f:
            for chunk in (MAGIC, struct.pack("<Q", len(head)), head):
                f.write(chunk)
                digest.update(chunk)
            for _, arr in arrays:
                data = np.ascontiguousarray(arr).tobytes()
                pad = b"\x00" * (-len(data) % 8)
                f.write(data)
                f.write(pad)
                digest.update(data)
                digest.update(pad)
            f.write(digest.digest())
        tmp.replace(path)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot write ({exc.strerror})") from None


class _BinHeader(msgspec.Struct):
    version: int
    bytes_fields: dict[str, bytes] = msgspec.field(name="bytes")
    preset: str | dict[str, Any]
    scalars: dict[str, int]
    justification_bits: list[bool]
    checkpoints: dict[str, Checkpoint]
    latest_block_header: BeaconBlockHeader
    pending_deposits: list[PendingDeposit]
    pending_partial_withdrawals: list[PendingPartialWithdrawal]
    pending_consolidations: list[PendingConsolidation]
    historical_summaries: list[HistoricalSummary]
    accounts: list[tuple[bytes, int, int]]
    validator_count: int
    arrays: list[dict[str, Any]]
    state_root: bytes
    modules: bytes = b""
    """msgpack of the ModuleStore (absent in snapshots written before modules existed)."""


def load_binary(path: str | Path, raw: bytes | None = None) -> BeaconState:
    """Read a binary snapshot, verifying its checksum and state root."""
    path = Path(path)
    if raw is None:
        raw = _read_bytes(path)
    if not raw.startswith(MAGIC):
        raise SnapshotError(f"{path}: not a stakework binary snapshot (bad magic bytes)")
    if len(raw) < len(MAGIC) + 8 + 32:
        raise SnapshotError(f"{path}: truncated ({len(raw)} bytes)")
    if hashlib.sha256(memoryview(raw)[:-32]).digest() != raw[-32:]:
        raise SnapshotError(f"{path}: checksum mismatch: the file is truncated or corrupted")
    (head_len,) = struct.unpack_from("<Q", raw, len(MAGIC))
    start = len(MAGIC) + 8
    try:
        header = msgspec.msgpack.decode(raw[start : start + head_len], type=_BinHeader)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise SnapshotError(f"{path}: bad header: {exc}") from None
    except RecursionError:
        raise SnapshotError(f"{path}: bad header: nested too deep") from None
    if header.version not in READABLE_VERSIONS:
        raise SnapshotError(f"{path}: snapshot version {header.version} is not supported")
    preset = _preset_from_json(header.preset, where=str(path))
    body = memoryview(raw)[start + head_len : len(raw) - 32]
    arrays: dict[str, npt.NDArray[Any]] = {}
    try:
        for item in header.arrays:
            dtype = np.dtype(item["dtype"])
            shape = tuple(item["shape"])
            count = int(np.prod(shape)) if shape else 1
            view = np.frombuffer(body, dtype=dtype, count=count, offset=item["offset"]).reshape(shape)
            arrays[item["name"]] = view.astype(dtype.newbyteorder("="), copy=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise SnapshotError(f"{path}: bad array layout: {exc}") from None
    try:
        registry = Registry.from_columns({n: arrays[f"validators.{n}"] for n in COLUMNS})
    except (KeyError, RegistryError) as exc:
        raise SnapshotError(f"{path}: {exc}") from None
    state = BeaconState(preset=preset, validators=registry)
    for n in SCALAR_FIELDS:
        setattr(state, n, header.scalars[n])
    for n in BYTES_FIELDS:
        setattr(state, n, header.bytes_fields[n])
    for n in ARRAY_FIELDS:
        setattr(state, n, arrays[n])
    for n, c in header.checkpoints.items():
        setattr(state, n, c)
    state.justification_bits = header.justification_bits
    state.latest_block_header = header.latest_block_header
    state.pending_deposits = header.pending_deposits
    state.pending_partial_withdrawals = header.pending_partial_withdrawals
    state.pending_consolidations = header.pending_consolidations
    state.historical_summaries = header.historical_summaries
    state.accounts = _accounts_from(header.accounts, str(path))
    if header.modules:
        try:
            state.modules = decode_store(header.modules)
        except ModuleStoreError as exc:
            raise SnapshotError(f"{path}: {exc}") from None
    check_state(state, where=str(path))
    if hash_state(state) != header.state_root and header.version == SNAPSHOT_VERSION:
        raise SnapshotError(
            f"{path}: state root mismatch: its checksum holds, so it was written by a stakework whose state commitment "
            "differs (read it with that version; a node's data directory: start with a new --data-dir) or edited"
        )
    return state


def save_state(state: BeaconState, path: str | Path) -> None:
    """Write by extension: `.json` / `.json.gz` for people, anything else (`.swk`) binary."""
    name = str(path)
    if name.endswith((".json", ".json.gz")):
        save_json(state, path)
    else:
        save_binary(state, path)


def load_state(path: str | Path) -> BeaconState:
    """Read a snapshot of either format (detected from the content, not the name)."""
    path = Path(path)
    raw = _read_bytes(path)
    if raw.startswith(MAGIC):
        return load_binary(path, raw)
    if raw.lstrip()[:1] == b"{":
        return load_json(path, raw)
    raise SnapshotError(f"{path}: neither a JSON nor a binary stakework snapshot")
