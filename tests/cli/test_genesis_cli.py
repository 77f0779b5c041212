"""`stakework genesis --out`: the extension picks the format; a name that says no format is refused up front."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from stakework.state.snapshot import MAGIC
from support.module_cli import cli


@pytest.mark.parametrize("name", ["g.txt", "genesis", "g.JSON", "g.gz"])
def test_genesis__unknown_extension__refused_with_the_supported_list(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    code, text = cli("genesis", "--out", str(out), "--validators", "4")
    assert code == 2, text
    assert ".json, .json.gz, .swk" in text
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "opens_as"),
    [("g.json", b"{"), ("g.json.gz", b"\x1f\x8b"), ("g.swk", MAGIC[:2])],
)
def test_genesis__known_extension__writes_that_format(tmp_path: Path, name: str, opens_as: bytes) -> None:
    out = tmp_path / name
    code, text = cli("genesis", "--out", str(out), "--validators", "4")
    assert code == 0, text
    raw = out.read_bytes()
    assert raw.lstrip().startswith(opens_as)
    if name.endswith(".gz"):
        assert gzip.decompress(raw).lstrip().startswith(b"{")
