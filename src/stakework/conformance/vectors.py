"""Runs epoch-processing vectors (`../shared/vectors/README.md` format): pre-state → process_epoch → compare
every vector field with the post-state; on a mismatch, replays the steps to name the first step that went wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from stakework.state.snapshot import SnapshotError, Vector, load_vector, state_to_json
from stakework.transition.epoch import EPOCH_STEPS, EpochContext, process_epoch

# Derived or reference-only fields: the README says state_root hashes the full reference BeaconState.
NOT_COMPARED = frozenset({"state_root"})


@dataclass(frozen=True)
class Mismatch:
    field: str
    index: int | None
    got: Any
    expected: Any

    def __str__(self) -> str:
        where = self.field if self.index is None else f"{self.field}[{self.index}]"
        return f"{where}: got {_short(self.got)}, expected {_short(self.expected)}"


@dataclass(frozen=True)
class VectorResult:
    path: Path
    mismatch: Mismatch | None = None
    first_bad_step: str | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.mismatch is None and self.error is None

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.path.name}: error: {self.error}"
        if self.mismatch is None:
            return f"{self.path.name}: ok"
        step = f" (first wrong after {self.first_bad_step})" if self.first_bad_step else ""
        return f"{self.path.name}: {self.mismatch}{step}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def first_difference(got: dict[str, Any], expected: dict[str, Any], *, prefix: str = "") -> Mismatch | None:
    """The first field (in the expected document's order) where `got` differs, with the list index if any."""
    for key, want in expected.items():
        if not prefix and key in NOT_COMPARED:
            continue
        have = got.get(key)
        name = f"{prefix}{key}"
        if have == want:
            continue
        if isinstance(want, dict) and isinstance(have, dict):
            found = first_difference(have, want, prefix=f"{name}.")
            if found is not None:
                return found
            continue
        if isinstance(want, list) and isinstance(have, list):
            for i, (a, b) in enumerate(zip(have, want, strict=False)):
                if a != b:
                    return Mismatch(name, i, a, b)
            return Mismatch(f"{name} (length)", None, len(have), len(want))
        return Mismatch(name, None, have, want)
    return None


def compare_with_vector_state(state: Any, expected: dict[str, Any]) -> Mismatch | None:
    """Compare a BeaconState with a vector STATE document."""
    got = msgspec.to_builtins(state_to_json(state, snapshot=False))
    return first_difference(got, expected)


def _first_bad_step(vector: Vector) -> str | None:
    """Replay the steps on a copy of pre; after each, the expected document is pre plus the `changed` fields of
    the steps so far (README: applying all `changed` dicts in order to pre gives post). The first step after
    which the two differ is the one that went wrong."""
    state = vector.pre.copy()
    expected = msgspec.to_builtins(state_to_json(vector.pre, snapshot=False))
    changes = {s.get("step"): s.get("changed", {}) for s in vector.steps}
    for name, step in EPOCH_STEPS:
        step(state, EpochContext.build(state))
        for key, value in changes.get(name, {}).items():
            if key.startswith("validators."):
                expected["validators"][key.split(".", 1)[1]] = value
            else:
                expected[key] = value
        got = msgspec.to_builtins(state_to_json(state, snapshot=False))
        got.pop("total_active_balance")  # derived, and not listed among a step's changes
        expected.pop("total_active_balance", None)
        if first_difference(got, expected) is not None:
            return name
    return None


def run_vector(path: Path) -> VectorResult:
    """Load, process and compare one vector file."""
    try:
        vector = load_vector(path)
    except SnapshotError as exc:
        return VectorResult(path, error=str(exc))
    state = vector.pre.copy()
    process_epoch(state)
    mismatch = compare_with_vector_state(state, msgspec.to_builtins(vector.post_json))
    if mismatch is None:
        return VectorResult(path)
    return VectorResult(path, mismatch, _first_bad_step(vector))


def find_vectors(paths: Iterable[Path]) -> Iterator[Path]:
    """Vector files under the given files or directories (`*.json`, `*.json.gz`), sorted, each once."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = sorted([*path.rglob("*.json.gz"), *path.rglob("*.json")])
        elif path.exists():
            candidates = [path]
        else:
            raise SnapshotError(f"{path}: no such file or directory")
        for c in candidates:
            if c not in seen:
                seen.add(c)
                yield c
