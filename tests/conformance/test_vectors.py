"""Every reference vector through stakework's epoch processing, compared field by field."""

from pathlib import Path

import msgspec
import pytest

from stakework.conformance.vectors import compare_with_vector_state, run_vector
from stakework.state.snapshot import load_vector

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.json.gz"))


def test_vectors__all_twenty__are_present() -> None:
    assert len(VECTORS) == 20


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.name.split(".")[0])
def test_process_epoch__reference_vector__reproduces_post_state(path: Path) -> None:
    result = run_vector(path)
    assert result.passed, result.describe()


@pytest.mark.parametrize("path", VECTORS[:6], ids=lambda p: p.name.split(".")[0])
def test_compare__unprocessed_pre_state__reports_a_difference(path: Path) -> None:
    vector = load_vector(path)
    assert compare_with_vector_state(vector.pre, msgspec.to_builtins(vector.post_json)) is not None


def test_run_vector__corrupted_post__names_field_index_and_step(tmp_path: Path) -> None:
    import gzip
    import json

    doc = json.loads(gzip.decompress(VECTORS[0].read_bytes()))
    doc["post"]["balances"][5] += 1
    for step in doc["steps"]:
        if "balances" in step["changed"]:
            step["changed"]["balances"][5] += 1
            break
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = run_vector(bad)
    assert not result.passed
    assert result.mismatch is not None and result.mismatch.field == "balances" and result.mismatch.index == 5
    assert result.first_bad_step is not None
