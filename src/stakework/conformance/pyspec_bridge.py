"""Convert stakework's BeaconState to the reference specification's Electra BeaconState and back.

The reference is `eth_consensus_specs.electra.{mainnet,minimal}` (the `eth-consensus-specs` package, a test-only
dependency). The spec module is chosen by `state.preset.PRESET_BASE`; a preset whose constants differ from the
reference's (e.g. `devnet`) is refused, since the reference would then compute different numbers.

Speed: the registry goes through SSZ bytes (one numpy structured array -> `decode_bytes`), and the long root
vectors (block_roots, state_roots, randao_mixes, slashings) are built as sparse Merkle trees that share the
zero subtrees, so a mostly-zero 65,536-entry randao vector costs a handful of nodes, not 65,536 objects.
Reading back walks the same trees and skips zero subtrees.

Fields stakework does not have (eth1 data and votes, historical_roots, sync committees, the execution payload
header) get the reference's defaults and are dropped on the way back.
"""

from __future__ import annotations

import importlib
from dataclasses import fields as dataclass_fields
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt
from remerkleable.settings import zero_hashes
from remerkleable.tree import Node, PairNode, RootNode, zero_node

from stakework.spec.presets import STAKEWORK_ONLY_FIELDS, Preset
from stakework.state import (
    BeaconBlockHeader,
    BeaconState,
    Checkpoint,
    HistoricalSummary,
    PendingConsolidation,
    PendingDeposit,
    PendingPartialWithdrawal,
    Registry,
)
from stakework.state.fields import COLUMN_FIELDS, VALIDATOR_CONTAINER_FIELDS, Field, of_kind

# SSZ layout of one Validator (fixed size, 121 bytes), field order as in the spec's container.
# Derived from the field table (state/fields.py): the columns whose spec name is `validators.<field>`.
VALIDATOR_DTYPE = np.dtype([(f.name, "u1" if f.dtype == "?" else f.dtype, f.shape) for f in VALIDATOR_CONTAINER_FIELDS])
assert VALIDATOR_DTYPE.itemsize == 121

# Preset fields that are not protocol constants of the reference (names, timing, or stakework-only).
_NOT_IN_SPEC = {"SLOT_DURATION_MS"} | STAKEWORK_ONLY_FIELDS

_SPEC_CACHE: dict[str, ModuleType] = {}


def spec_module(base: str) -> ModuleType:
    """The reference Electra module for a preset base (`mainnet` or `minimal`)."""
    if base not in _SPEC_CACHE:
        if base not in ("mainnet", "minimal"):
            raise ValueError(f"no reference spec for preset base {base!r} (only mainnet and minimal)")
        _SPEC_CACHE[base] = importlib.import_module(f"eth_consensus_specs.electra.{base}")
    return _SPEC_CACHE[base]


def spec_value(spec: ModuleType, name: str) -> Any:
    """A constant as the reference defines it: a preset variable (module level) or a config variable."""
    if hasattr(spec, name):
        return getattr(spec, name)
    return getattr(spec.config, name)


def preset_mismatches(preset: Preset) -> list[tuple[str, Any, Any]]:
    """(name, stakework value, reference value) for every preset constant that differs from the reference."""
    spec = spec_module(preset.PRESET_BASE)
    out = []
    for f in dataclass_fields(preset):
        if f.name in _NOT_IN_SPEC:
            continue
        ours = getattr(preset, f.name)
        theirs = spec_value(spec, f.name)
        theirs = bytes(theirs) if isinstance(ours, bytes) else int(theirs)
        if ours != theirs:
            out.append((f.name, ours, theirs))
    return out


def spec_for(preset: Preset) -> ModuleType:
    """The reference module matching `preset`; refuses presets whose constants differ from the reference."""
    spec = spec_module(preset.PRESET_BASE)
    mismatches = preset_mismatches(preset)
    if mismatches:
        name, ours, theirs = mismatches[0]
        raise ValueError(
            f"preset {preset.PRESET_NAME!r} differs from the reference {preset.PRESET_BASE} preset "
            f"({name}: {ours!r} vs {theirs!r}); the reference cannot check it"
        )
    return spec


# -- sparse Merkle trees for long fixed vectors -------------------------------------------------------------
# remerkleable cannot navigate through a summary RootNode, so zero subtrees are full PairNode towers whose
# levels share one child (depth nodes per tower, built once).
_ZERO_TREES: list[Node] = [zero_node(0)]


def _zero_tree(depth: int) -> Node:
    while len(_ZERO_TREES) <= depth:
        below = _ZERO_TREES[-1]
        _ZERO_TREES.append(PairNode(below, below))
    return _ZERO_TREES[depth]


def _is_zero_subtree(node: Node, depth: int) -> bool:
    if depth < len(_ZERO_TREES) and node is _ZERO_TREES[depth]:
        return True
    cached = node.merkle_root() if node.is_leaf() else getattr(node, "_root", None)
    return cached is not None and depth > 0 and cached == zero_hashes[depth]


def _sparse_tree(chunks: npt.NDArray[np.uint8], depth: int) -> Node:
    """A tree of depth `depth` whose leaves are the rows of `chunks` ((m, 32) uint8, m <= 2**depth), sharing
    zero subtrees wherever the chunks are zero."""
    nonzero = np.flatnonzero(chunks.any(axis=1))

    def build(start: int, d: int, nz: npt.NDArray[np.intp]) -> Node:
        if len(nz) == 0:
            return _zero_tree(d)
        if d == 0:
            return RootNode(chunks[start].tobytes())
        half = 1 << (d - 1)
        split = int(np.searchsorted(nz, start + half))
        return PairNode(build(start, d - 1, nz[:split]), build(start + half, d - 1, nz[split:]))

    return build(0, depth, nonzero)


def _read_chunks(node: Node, depth: int, count: int) -> npt.NDArray[np.uint8]:
    """The first `count` 32-byte leaves of a tree of depth `depth`, skipping all-zero subtrees."""
    out = np.zeros((1 << depth, 32), dtype=np.uint8)

    def walk(n: Node, d: int, start: int) -> None:
        if start >= count or _is_zero_subtree(n, d):
            return
        if n.is_leaf():
            if d != 0:
                raise ValueError("unexpected non-zero summary node in a vector tree")
            out[start] = np.frombuffer(n.merkle_root(), dtype=np.uint8)
            return
        walk(n.get_left(), d - 1, start)
        walk(n.get_right(), d - 1, start + (1 << (d - 1)))

    walk(node, depth, 0)
    return out[:count]


def _vector_from_rows(typ: Any, rows: npt.NDArray[np.uint8]) -> Any:
    """A Vector[Root/Bytes32, N] view from an (N, 32) uint8 array."""
    return typ.view_from_backing(_sparse_tree(np.ascontiguousarray(rows), typ.tree_depth()))


def _rows_from_vector(view: Any, length: int) -> npt.NDArray[np.uint8]:
    return _read_chunks(view.get_backing(), view.__class__.tree_depth(), length).copy()


def _uint64_vector(typ: Any, values: npt.NDArray[np.uint64]) -> Any:
    """A Vector[uint64, N] view (4 values packed per chunk)."""
    raw = np.ascontiguousarray(values, dtype="<u8").view(np.uint8).reshape(-1, 32)
    return typ.view_from_backing(_sparse_tree(raw, typ.tree_depth()))


def _uint64s_from_vector(view: Any, length: int) -> npt.NDArray[np.uint64]:
    chunks = _read_chunks(view.get_backing(), view.__class__.tree_depth(), (length + 3) // 4)
    return chunks.reshape(-1).view("<u8")[:length].astype(np.uint64)


# -- the field table's scalars and registry lists ------------------------------------------------------------
SCALAR_SPEC_FIELDS = tuple(f for f in of_kind("uint64", "bytes") if f.spec)
"""The uint64 and bytes fields, by the reference's (dotted) names: `fork.epoch` is `state.fork.epoch`."""
REGISTRY_LIST_FIELDS = tuple(f for f in COLUMN_FIELDS if f not in VALIDATOR_CONTAINER_FIELDS)
"""The registry columns that are lists of the reference state (balances, participation, inactivity scores)."""


def _scalars_to_spec(F: Any, state: BeaconState) -> dict[str, Any]:
    """Keyword arguments of the reference BeaconState for the table's scalar fields (containers such as `fork`
    built from their dotted members)."""
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for f in SCALAR_SPEC_FIELDS:
        value = getattr(state, f.name)
        head, _, member = (f.spec or "").partition(".")
        if member:
            groups.setdefault(head, {})[member] = value
        else:
            out[head] = F[head](value)
    for head, members in groups.items():
        out[head] = F[head](**members)
    return out


def _scalars_from_spec(ps: Any) -> dict[str, Any]:
    """The table's scalar fields read from a reference state (or the same fields as attributes)."""
    out: dict[str, Any] = {}
    for f in SCALAR_SPEC_FIELDS:
        value = ps
        for part in (f.spec or "").split("."):
            value = getattr(value, part)
        out[f.name] = int(value) if f.kind == "uint64" else bytes(value)
    return out


def _column_bytes(reg: Registry, f: Field) -> bytes:
    """A registry column's SSZ bytes (little-endian, bools as one byte)."""
    return np.ascontiguousarray(getattr(reg, f.name), dtype="u1" if f.dtype == "?" else f.dtype).tobytes()


# -- stakework -> reference ----------------------------------------------------------------------------------
def _checkpoint(spec: ModuleType, cp: Checkpoint) -> Any:
    return spec.Checkpoint(epoch=cp.epoch, root=spec.Root(cp.root))


def validators_to_ssz(reg: Registry) -> bytes:
    """The SSZ serialisation of the registry's validator records (List[Validator] body)."""
    arr = np.zeros(len(reg), dtype=VALIDATOR_DTYPE)
    for name in VALIDATOR_DTYPE.names or ():
        arr[name] = getattr(reg, name)
    return arr.tobytes()


def _light_pyspec(spec: ModuleType, state: BeaconState) -> Any:
    """A reference BeaconState with every field of `state` but the registry columns and the long vectors
    (`HEAVY_FIELDS`), which stay at their defaults."""
    T = spec.BeaconState
    F = T.fields()
    return T(
        **_scalars_to_spec(F, state),
        latest_block_header=spec.BeaconBlockHeader(
            slot=state.latest_block_header.slot,
            proposer_index=state.latest_block_header.proposer_index,
            parent_root=spec.Root(state.latest_block_header.parent_root),
            state_root=spec.Root(state.latest_block_header.state_root),
            body_root=spec.Root(state.latest_block_header.body_root),
        ),
        justification_bits=F["justification_bits"](*[bool(b) for b in state.justification_bits]),
        previous_justified_checkpoint=_checkpoint(spec, state.previous_justified_checkpoint),
        current_justified_checkpoint=_checkpoint(spec, state.current_justified_checkpoint),
        finalized_checkpoint=_checkpoint(spec, state.finalized_checkpoint),
        historical_summaries=[
            spec.HistoricalSummary(
                block_summary_root=spec.Root(h.block_summary_root),
                state_summary_root=spec.Root(h.state_summary_root),
            )
            for h in state.historical_summaries
        ],
        pending_deposits=[
            spec.PendingDeposit(
                pubkey=spec.BLSPubkey(d.pubkey),
                withdrawal_credentials=spec.Bytes32(d.withdrawal_credentials),
                amount=d.amount,
                signature=spec.BLSSignature(d.signature),
                slot=d.slot,
            )
            for d in state.pending_deposits
        ],
        pending_partial_withdrawals=[
            spec.PendingPartialWithdrawal(
                validator_index=w.validator_index, amount=w.amount, withdrawable_epoch=w.withdrawable_epoch
            )
            for w in state.pending_partial_withdrawals
        ],
        pending_consolidations=[
            spec.PendingConsolidation(source_index=c.source_index, target_index=c.target_index)
            for c in state.pending_consolidations
        ],
    )


def to_pyspec(state: BeaconState) -> Any:
    """The reference BeaconState holding the same values as `state` (which is not modified)."""
    spec = spec_for(state.preset)
    F = spec.BeaconState.fields()
    reg = state.validators
    ps = _light_pyspec(spec, state)
    ps.validators = F["validators"].decode_bytes(validators_to_ssz(reg))
    for f in REGISTRY_LIST_FIELDS:
        setattr(ps, f.spec or "", F[f.spec].decode_bytes(_column_bytes(reg, f)))
    ps.block_roots = _vector_from_rows(F["block_roots"], state.block_roots)
    ps.state_roots = _vector_from_rows(F["state_roots"], state.state_roots)
    ps.randao_mixes = _vector_from_rows(F["randao_mixes"], state.randao_mixes)
    ps.slashings = _uint64_vector(F["slashings"], state.slashings)
    return ps


# -- reference -> stakework ----------------------------------------------------------------------------------
def _cp_back(cp: Any) -> Checkpoint:
    return Checkpoint(int(cp.epoch), bytes(cp.root))


def registry_from_pyspec(ps: Any) -> Registry:
    """The columnar registry (validators, balances, participation, inactivity scores) of a reference state."""
    arr = np.frombuffer(ps.validators.encode_bytes(), dtype=VALIDATOR_DTYPE)
    columns: dict[str, Any] = {name: arr[name] for name in VALIDATOR_DTYPE.names or ()}
    columns["slashed"] = arr["slashed"].astype(np.bool_)
    for f in REGISTRY_LIST_FIELDS:
        columns[f.name] = np.frombuffer(getattr(ps, f.spec or "").encode_bytes(), dtype=f.dtype)
    return Registry.from_columns(columns)


def _assemble(
    ps: Any,
    preset: Preset,
    registry: Registry,
    vectors: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint64]],
) -> BeaconState:
    """The stakework BeaconState from the registry, the long vectors (block_roots, state_roots, randao_mixes,
    slashings) and the other fields read as attributes of `ps` (a reference state, or the same fields decoded
    one by one)."""
    block_roots, state_roots, randao_mixes, slashings = vectors
    header = ps.latest_block_header
    return BeaconState(
        preset=preset,
        validators=registry,
        **_scalars_from_spec(ps),
        latest_block_header=BeaconBlockHeader(
            slot=int(header.slot),
            proposer_index=int(header.proposer_index),
            parent_root=bytes(header.parent_root),
            state_root=bytes(header.state_root),
            body_root=bytes(header.body_root),
        ),
        block_roots=block_roots,
        state_roots=state_roots,
        randao_mixes=randao_mixes,
        slashings=slashings,
        justification_bits=[bool(b) for b in ps.justification_bits],
        previous_justified_checkpoint=_cp_back(ps.previous_justified_checkpoint),
        current_justified_checkpoint=_cp_back(ps.current_justified_checkpoint),
        finalized_checkpoint=_cp_back(ps.finalized_checkpoint),
        pending_deposits=[
            PendingDeposit(
                pubkey=bytes(d.pubkey),
                withdrawal_credentials=bytes(d.withdrawal_credentials),
                amount=int(d.amount),
                signature=bytes(d.signature),
                slot=int(d.slot),
            )
            for d in ps.pending_deposits
        ],
        pending_partial_withdrawals=[
            PendingPartialWithdrawal(
                validator_index=int(w.validator_index),
                amount=int(w.amount),
                withdrawable_epoch=int(w.withdrawable_epoch),
            )
            for w in ps.pending_partial_withdrawals
        ],
        pending_consolidations=[
            PendingConsolidation(source_index=int(c.source_index), target_index=int(c.target_index))
            for c in ps.pending_consolidations
        ],
        historical_summaries=[
            HistoricalSummary(
                block_summary_root=bytes(h.block_summary_root), state_summary_root=bytes(h.state_summary_root)
            )
            for h in ps.historical_summaries
        ],
    )


def from_pyspec(ps: Any, preset: Preset) -> BeaconState:
    """The stakework BeaconState holding the values of the reference state `ps` (fields stakework lacks are
    dropped)."""
    spec = spec_for(preset)
    vectors = (
        _rows_from_vector(ps.block_roots, spec.SLOTS_PER_HISTORICAL_ROOT),
        _rows_from_vector(ps.state_roots, spec.SLOTS_PER_HISTORICAL_ROOT),
        _rows_from_vector(ps.randao_mixes, spec.EPOCHS_PER_HISTORICAL_VECTOR),
        _uint64s_from_vector(ps.slashings, spec.EPOCHS_PER_SLASHINGS_VECTOR),
    )
    return _assemble(ps, preset, registry_from_pyspec(ps), vectors)


# -- SSZ bytes <-> stakework, without building the reference's tree ------------------------------------------
# remerkleable decodes and encodes a state element by element (about 1 ms per validator on Python 3.11); the
# official test files are SSZ bytes, so the registry columns and the long vectors are read and written with
# numpy, and only the small fields go through the reference's types.
HEAVY_FIELDS = frozenset(
    {"validators"}
    | {f.spec or "" for f in REGISTRY_LIST_FIELDS}
    | {f.spec or "" for f in of_kind("roots", "u64vector")}
)
"""Reference BeaconState fields read and written as numpy arrays by from_ssz_bytes / to_ssz_bytes."""

DROPPED_FIELDS: tuple[str, ...] = (
    "eth1_data",
    "eth1_data_votes",
    "historical_roots",
    "current_sync_committee",
    "next_sync_committee",
    "latest_execution_payload_header",
)
"""Fields of the reference Electra BeaconState that stakework's state does not keep (no eth1 bridge, no
pre-Capella history, no sync committees, no execution layer): from_pyspec / from_ssz_bytes drop them, and
to_pyspec / to_ssz_bytes write the reference's defaults. Every other field survives the round trip."""


class SszError(ValueError):
    """Bytes that are not the SSZ serialisation of the expected reference container."""


def ssz_field_bytes(typ: Any, data: bytes) -> dict[str, bytes]:
    """The serialisation of each field of the SSZ container type `typ` inside `data` (the container's bytes):
    fixed-size fields in place, variable-size ones between their offsets. Raises SszError on bad offsets."""
    out: dict[str, bytes] = {}
    offsets: list[tuple[str, int]] = []
    pos = 0
    for name, ftyp in typ.fields().items():
        if ftyp.is_fixed_byte_length():
            size = ftyp.type_byte_length()
            out[name] = data[pos : pos + size]
            if len(out[name]) != size:
                raise SszError(f"{typ.__name__}: {len(data)} bytes end inside the fixed part ({name})")
            pos += size
        else:
            if pos + 4 > len(data):
                raise SszError(f"{typ.__name__}: {len(data)} bytes end inside the fixed part ({name})")
            offsets.append((name, int.from_bytes(data[pos : pos + 4], "little")))
            pos += 4
    if offsets and offsets[0][1] != pos:
        raise SszError(f"{typ.__name__}: first offset {offsets[0][1]} is not the fixed-part size {pos}")
    if not offsets and pos != len(data):
        raise SszError(f"{typ.__name__}: {len(data)} bytes, expected {pos}")
    for i, (name, start) in enumerate(offsets):
        end = offsets[i + 1][1] if i + 1 < len(offsets) else len(data)
        if not start <= end <= len(data):
            raise SszError(f"{typ.__name__}: offsets of {name} out of order or past the end")
        out[name] = data[start:end]
    return out


def ssz_join(typ: Any, parts: dict[str, bytes]) -> bytes:
    """The container's SSZ bytes from each field's serialisation (the inverse of ssz_field_bytes)."""
    fields = typ.fields()
    fixed_size = sum(f.type_byte_length() if f.is_fixed_byte_length() else 4 for f in fields.values())
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = fixed_size
    for name, ftyp in fields.items():
        if ftyp.is_fixed_byte_length():
            head.append(parts[name])
        else:
            head.append(offset.to_bytes(4, "little"))
            tail.append(parts[name])
            offset += len(parts[name])
    return b"".join(head + tail)


def _array(raw: bytes, dtype: Any, name: str, count: int | None = None) -> npt.NDArray[Any]:
    size = np.dtype(dtype).itemsize
    if len(raw) % size or (count is not None and len(raw) != count * size):
        want = f"{count} x {size}" if count is not None else f"a multiple of {size}"
        raise SszError(f"BeaconState.{name}: {len(raw)} bytes, expected {want}")
    return np.frombuffer(raw, dtype=dtype)


def from_ssz_bytes(data: bytes, preset: Preset) -> BeaconState:
    """The stakework BeaconState of the reference BeaconState serialised in `data` (same result as
    `from_pyspec(spec.BeaconState.decode_bytes(data), preset)`, much faster). Raises SszError on bad bytes."""
    spec = spec_for(preset)
    T = spec.BeaconState
    F = T.fields()
    raw = ssz_field_bytes(T, data)
    try:
        light = {
            name: F[name].decode_bytes(raw[name])
            for name in F
            if name not in HEAVY_FIELDS and name not in DROPPED_FIELDS
        }
    except Exception as exc:  # remerkleable raises plain Exception / ValueError / AssertionError
        raise SszError(f"BeaconState: {exc}") from exc
    arr = _array(raw["validators"], VALIDATOR_DTYPE, "validators")
    columns: dict[str, Any] = {name: arr[name].copy() for name in VALIDATOR_DTYPE.names or ()}
    columns["slashed"] = arr["slashed"].astype(np.bool_)
    n = len(arr)
    for f in REGISTRY_LIST_FIELDS:
        columns[f.name] = _array(raw[f.spec or ""], f.dtype, f.spec or "", n).astype(f.np_dtype.newbyteorder("="))
    roots = spec.SLOTS_PER_HISTORICAL_ROOT
    vectors = (
        _array(raw["block_roots"], np.uint8, "block_roots", roots * 32).reshape(roots, 32).copy(),
        _array(raw["state_roots"], np.uint8, "state_roots", roots * 32).reshape(roots, 32).copy(),
        _array(raw["randao_mixes"], np.uint8, "randao_mixes", spec.EPOCHS_PER_HISTORICAL_VECTOR * 32)
        .reshape(-1, 32)
        .copy(),
        _array(raw["slashings"], "<u8", "slashings", spec.EPOCHS_PER_SLASHINGS_VECTOR).astype(np.uint64),
    )
    return _assemble(SimpleNamespace(**light), preset, Registry.from_columns(columns), vectors)


_DEFAULT_BYTES: dict[str, dict[str, bytes]] = {}


def to_ssz_bytes(state: BeaconState) -> bytes:
    """The SSZ serialisation of `to_pyspec(state)` (same bytes, much faster): the fields stakework keeps, and
    the reference's defaults for DROPPED_FIELDS."""
    spec = spec_for(state.preset)
    T = spec.BeaconState
    F = T.fields()
    if spec.__name__ not in _DEFAULT_BYTES:
        _DEFAULT_BYTES[spec.__name__] = {name: F[name]().encode_bytes() for name in DROPPED_FIELDS}
    light = _light_pyspec(spec, state)
    parts = {name: getattr(light, name).encode_bytes() for name in F if name not in HEAVY_FIELDS}
    parts.update(_DEFAULT_BYTES[spec.__name__])
    reg = state.validators
    parts["validators"] = validators_to_ssz(reg)
    for f in REGISTRY_LIST_FIELDS:
        parts[f.spec or ""] = _column_bytes(reg, f)
    for name in ("block_roots", "state_roots", "randao_mixes"):
        parts[name] = np.ascontiguousarray(getattr(state, name), dtype=np.uint8).tobytes()
    parts["slashings"] = np.ascontiguousarray(state.slashings, dtype="<u8").tobytes()
    return ssz_join(T, parts)


# -- comparison ----------------------------------------------------------------------------------------------
_STATE_FIELDS = (
    "genesis_time",
    "genesis_validators_root",
    "slot",
    "fork_previous_version",
    "fork_current_version",
    "fork_epoch",
    "latest_block_header",
    "block_roots",
    "state_roots",
    "randao_mixes",
    "slashings",
    "justification_bits",
    "previous_justified_checkpoint",
    "current_justified_checkpoint",
    "finalized_checkpoint",
    "eth1_deposit_index",
    "deposit_requests_start_index",
    "deposit_balance_to_consume",
    "exit_balance_to_consume",
    "earliest_exit_epoch",
    "consolidation_balance_to_consume",
    "earliest_consolidation_epoch",
    "pending_deposits",
    "pending_partial_withdrawals",
    "pending_consolidations",
    "next_withdrawal_index",
    "next_withdrawal_validator_index",
    "historical_summaries",
)


def first_difference(expected: BeaconState, actual: BeaconState) -> str | None:
    """None when the states hold the same values, else a message naming the first differing field (and, for a
    registry column or a vector, the first differing index with both values)."""
    n_exp, n_act = len(expected.validators), len(actual.validators)
    if n_exp != n_act:
        return f"validator count: expected {n_exp}, got {n_act}"
    for name, col in expected.validators.columns():
        other = getattr(actual.validators, name)
        if not np.array_equal(col, other):
            diff = col != other
            if diff.ndim > 1:
                diff = diff.any(axis=tuple(range(1, diff.ndim)))
            i = int(np.flatnonzero(diff)[0])
            return (
                f"validators.{name}[{i}]: expected {_show(col[i])}, got {_show(other[i])} "
                f"({int(diff.sum())} validators differ)"
            )
    for name in _STATE_FIELDS:
        a, b = getattr(expected, name), getattr(actual, name)
        if isinstance(a, np.ndarray):
            if a.shape != b.shape:
                return f"{name}: shape {a.shape} vs {b.shape}"
            if not np.array_equal(a, b):
                diff = a != b
                if diff.ndim > 1:
                    diff = diff.any(axis=tuple(range(1, diff.ndim)))
                i = int(np.flatnonzero(diff)[0])
                return f"{name}[{i}]: expected {_show(a[i])}, got {_show(b[i])}"
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return f"{name}: expected {len(a)} entries, got {len(b)}"
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    return f"{name}[{i}]: expected {x!r}, got {y!r}"
        elif a != b:
            return f"{name}: expected {a!r}, got {b!r}"
    return None


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return "0x" + value.tobytes().hex()
    return repr(value.item() if isinstance(value, np.generic) else value)


# -- running the reference ------------------------------------------------------------------------------------
EPOCH_STEP_NAMES = (
    "process_justification_and_finalization",
    "process_inactivity_updates",
    "process_rewards_and_penalties",
    "process_registry_updates",
    "process_slashings",
    "process_eth1_data_reset",
    "process_pending_deposits",
    "process_pending_consolidations",
    "process_effective_balance_updates",
    "process_slashings_reset",
    "process_randao_mixes_reset",
    "process_historical_summaries_update",
    "process_participation_flag_updates",
    "process_sync_committee_updates",
)
"""The 14 sub-steps of Electra's `process_epoch`, in the spec's order."""

# stakework has no eth1 data votes and no sync committees: the reference's versions of these steps only touch
# fields stakework does not have (and the sync-committee one needs real validator pubkeys), so they are skipped.
SKIPPED_STEPS = frozenset({"process_eth1_data_reset", "process_sync_committee_updates"})


def process_registry_updates_alias_fixed(spec: ModuleType, state: Any) -> None:
    """The reference `process_registry_updates` with the aliasing bug of the Python build fixed.

    consensus-specs issue 3925: the Python build iterates `for index, validator in enumerate(state.validators)`;
    when an ejection calls `initiate_validator_exit(state, index)`, that writes the exit through
    `state.validators[index]`, but the loop's `validator` view is a stale copy, and the Python build writes it
    back afterwards, reverting exit_epoch / withdrawable_epoch while the exit churn stays consumed. The written
    specification (and every production client, and stakework, and the vectors with
    `meta.registry_updates_alias_fix = true`) makes the ejection stick. This version is the spec text with every
    write going through `state.validators[index]`, as the vector generator did.
    """
    current_epoch = spec.get_current_epoch(state)
    activation_epoch = spec.compute_activation_exit_epoch(current_epoch)
    for index in range(len(state.validators)):
        validator = state.validators[index]
        if spec.is_eligible_for_activation_queue(validator):
            state.validators[index].activation_eligibility_epoch = current_epoch + 1
        elif (
            spec.is_active_validator(validator, current_epoch)
            and validator.effective_balance <= spec.config.EJECTION_BALANCE
        ):
            spec.initiate_validator_exit(state, spec.ValidatorIndex(index))
        elif spec.is_eligible_for_activation(state, validator):
            state.validators[index].activation_epoch = activation_epoch


class _ParticipationCache:
    """Memoises the reference's `get_unslashed_participating_indices` the way the reference build memoises
    `get_total_active_balance` and `get_base_reward` (keyed by hash_tree_roots of what it reads), so that
    `process_inactivity_updates` — which calls it once per validator — is not quadratic. Installed only for the
    duration of a reference call."""

    def __init__(self, spec: ModuleType) -> None:
        self.spec: Any = spec
        self.original = spec.get_unslashed_participating_indices
        self.cache: dict[tuple[Any, ...], frozenset[int]] = {}

    def __call__(self, state: Any, flag_index: int, epoch: int) -> set[Any]:
        participation = (
            state.current_epoch_participation
            if epoch == self.spec.get_current_epoch(state)
            else state.previous_epoch_participation
        )
        key = (
            state.validators.hash_tree_root(),
            participation.hash_tree_root(),
            int(state.slot),
            int(flag_index),
            int(epoch),
        )
        if key not in self.cache:
            self.cache[key] = frozenset(self.original(state, flag_index, epoch))
        return set(self.cache[key])

    def __enter__(self) -> _ParticipationCache:
        self.spec.get_unslashed_participating_indices = self
        return self

    def __exit__(self, *exc: object) -> None:
        self.spec.get_unslashed_participating_indices = self.original


def run_pyspec_step(spec: ModuleType, name: str, state: Any) -> None:
    """Run one reference epoch sub-step on `state` (in place), with the alias fix and the skips above."""
    if name in SKIPPED_STEPS:
        return
    with _ParticipationCache(spec):
        if name == "process_registry_updates":
            process_registry_updates_alias_fixed(spec, state)
        else:
            getattr(spec, name)(state)


def run_pyspec_epoch(spec: ModuleType, state: Any) -> None:
    """The reference `process_epoch` (same steps in the same order as `spec.process_epoch`), in place."""
    for name in EPOCH_STEP_NAMES:
        run_pyspec_step(spec, name, state)


def pyspec_process_epoch(state: BeaconState) -> BeaconState:
    """The stakework state the reference's epoch processing makes from `state` (which is not modified)."""
    ps = to_pyspec(state)
    run_pyspec_epoch(spec_for(state.preset), ps)
    return from_pyspec(ps, state.preset)
