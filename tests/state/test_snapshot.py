import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from stakework.bench.workloads import realistic_state
from stakework.spec.presets import MINIMAL
from stakework.state.root import hash_state
from stakework.state.snapshot import SnapshotError, load_state, load_vector, save_state
from stakework.transition.genesis import devnet_genesis

VECTORS = Path(__file__).parent.parent / "conformance" / "vectors"


@pytest.fixture(scope="module")
def state():  # type: ignore[no-untyped-def]
    s = realistic_state(300, preset=MINIMAL, epoch=500)
    s.validators.balances[3] = 2**63 + 5  # large values survive
    s.accounts.credit(b"\x05" * 20, 123)
    s.accounts.increment_nonce(b"\x06" * 20)
    return s


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".swk"])
def test_save_load__each_format__round_trips_with_same_root(tmp_path: Path, state, suffix: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"s{suffix}"
    save_state(state, path)
    loaded = load_state(path)
    assert hash_state(loaded) == hash_state(state)
    assert loaded.validators.equals(state.validators)
    assert loaded.pending_deposits == state.pending_deposits
    assert loaded.accounts == state.accounts and len(loaded.accounts) == 2


def test_state_root__same_state_twice__identical_and_sensitive() -> None:
    a = devnet_genesis(MINIMAL, 8)
    b = devnet_genesis(MINIMAL, 8)
    assert hash_state(a) == hash_state(b)
    b.validators.inactivity_scores[5] = 1
    assert hash_state(a) != hash_state(b)


def test_load__truncated_binary__refused(tmp_path: Path, state) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.swk"
    save_state(state, path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(SnapshotError, match="truncated or corrupted"):
        load_state(path)


def test_load__truncated_gzip__refused(tmp_path: Path, state) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.json.gz"
    save_state(state, path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(SnapshotError, match="truncated"):
        load_state(path)


def _vector_doc() -> dict:  # type: ignore[type-arg]
    return json.loads(gzip.decompress((VECTORS / "epoch_000_normal_n64.json.gz").read_bytes()))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["pre"]["balances"].pop(), "balances: has 63 entries"),
        (lambda d: d["pre"]["balances"].__setitem__(3, -5), r"balances\[3\]"),
        (lambda d: d["pre"]["balances"].__setitem__(3, "32"), r"Expected `int`, got `str`.*balances\[3\]"),
        (lambda d: d["pre"]["validators"]["slashed"].__setitem__(0, 1), r"slashed\[0\]"),
        (lambda d: d["pre"]["validators"]["pubkey"].__setitem__(2, "0x12"), r"pubkey\[2\]"),
        (lambda d: d["meta"].__setitem__("preset", "testnet"), "unknown preset 'testnet'"),
        (lambda d: d["pre"].__setitem__("slashings", [0] * 10), "slashings: expected 8192"),
        (lambda d: d["pre"]["inactivity_scores"].__setitem__(0, 2**64), r"inactivity_scores\[0\]"),
        (lambda d: d["pre"].__setitem__("surprise", 1), "surprise"),
    ],
)
def test_load_vector__malformed__clear_error(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = _vector_doc()
    mutate(doc)
    path = tmp_path / "v.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match=message):
        load_vector(path)


def test_load_json__edited_snapshot__root_mismatch_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    save_state(devnet_genesis(MINIMAL, 4), path)
    doc = json.loads(path.read_text())
    doc["balances"][0] += 1
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match="state_root does not match"):
        load_state(path)


def test_load__missing_file__says_so(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no such file"):
        load_state(tmp_path / "nope.swk")


def test_binary__columns__are_writable_copies(tmp_path: Path, state) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.swk"
    save_state(state, path)
    loaded = load_state(path)
    loaded.validators.balances[0] = np.uint64(1)
    loaded.validators.append(b"\x09" * 48, b"\x00" * 32, 0, 0)
    assert len(loaded.validators) == len(state.validators) + 1
