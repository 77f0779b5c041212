"""scripts/mutate itself: the mutants it makes, the equivalence notes it honours, the docs section it rewrites.
(Running mutants is exercised by using the script; these tests only check its pure parts, quickly.)"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mutate"


@pytest.fixture(scope="module")
def mutate() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("stakework_mutate_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up while the class is built
    loader.exec_module(module)
    return module


SOURCE = '''"""Docstring with 1 < 2 in it."""

from x import Rounding, mul_div

LIMIT = 10


def cap(a: int, b: int) -> int:
    """Not mutated: 3 + 4."""
    if a > LIMIT:
        raise ValueError("too big")
    return min(a, b) + mul_div(a, b, 3, Rounding.DOWN)
'''


def test_make_mutants__small_function__one_change_each_with_real_line_numbers(mutate: ModuleType) -> None:
    mutants = mutate.make_mutants(SOURCE)
    labels = {(m.line, m.label) for m in mutants}
    assert {
        (5, "const 10 to 11"),
        (5, "const 10 to 9"),
        (10, "cmp > to >="),
        (10, "negate if"),
        (11, "delete raise"),
        (12, "return 0"),
        (12, "op + to -"),
        (12, "drop min() keeping argument 1"),
        (12, "drop min() keeping argument 2"),
        (12, "rounding DOWN to UP"),
        (12, "const 3 to 4"),
    } <= labels
    assert not any(m.line in (1, 3, 9) for m in mutants)  # docstrings and imports are left alone
    for m in mutants:
        changed = [
            (old, new) for old, new in zip(SOURCE.splitlines(), m.source.splitlines(), strict=True) if old != new
        ]
        assert len(changed) == 1, m.label  # one line differs, everything else is the file as it was
        compile(m.source, "<mutant>", "exec")
    raise_deleted = next(m for m in mutants if m.label == "delete raise")
    assert "        pass\n" in raise_deleted.source
    assert "-        raise ValueError" in raise_deleted.diff(SOURCE)


def test_make_mutants__call_replaced_inside_an_expression__keeps_precedence(mutate: ModuleType) -> None:
    mutants = mutate.make_mutants("def f(a: int, b: int) -> int:\n    return 2 * min(a - b, 0)\n")
    dropped = next(m for m in mutants if m.label == "drop min() keeping argument 1")
    assert "2 * (a - b)" in dropped.source


def test_equivalence_notes__on_the_line_or_in_comments_above__apply_to_that_code_line(mutate: ModuleType) -> None:
    source = (
        "x = 1\n"
        "# equivalent mutant (cmp < to <=): same at equality\n"
        "# an ordinary comment\n"
        "y = a < b\n"
        "z = c > d  # equivalent mutant (const 0 to|keeping argument 1): reason two\n"
    )
    notes = mutate.equivalence_notes(source)
    assert notes == {4: [("cmp < to <=", "same at equality")], 5: [("const 0 to|keeping argument 1", "reason two")]}
    assert mutate._matches("drop max() keeping argument 1", "const 0 to|keeping argument 1")
    assert mutate._matches("const 0 to -1", "const 0 to|keeping argument 1")
    assert not mutate._matches("const 1 to 2", "const 0 to|keeping argument 1")


def test_update_docs__second_file_then_rerun__rows_kept_and_replaced(
    mutate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "testing.md"
    doc.write_text("# Testing\n\nHand-written text stays.\n")
    monkeypatch.setattr(mutate, "DOC", doc)
    source = "x = a < b\n"

    def run(status: str) -> list[object]:
        mutants = mutate.make_mutants(source)
        for m in mutants:
            m.status, m.reason = status, "why" if status == "equivalent" else ""
        return list(mutants)

    mutate.update_docs("src/b.py", ["tests/test_b.py"], run("survived"), source, 3.0)
    mutate.update_docs("src/a.py", ["tests/test_a.py"], run("killed"), source, 2.0)
    mutate.update_docs("src/b.py", ["tests/test_b.py"], run("equivalent"), source, 4.0)
    text = doc.read_text()
    assert text.startswith("# Testing\n\nHand-written text stays.\n")
    assert text.count("### `src/b.py`") == 1 and text.count("### `src/a.py`") == 1
    assert "| `src/a.py` | 1 | 1 | 0 | 0 | 100 % |" in text
    assert "| `src/b.py` | 1 | 0 | 1 | 0 | 100 % |" in text
    assert "**survived**" not in text  # the rerun replaced b's section
    assert "- equivalent, line 1:5, cmp < to <=: why" in text
