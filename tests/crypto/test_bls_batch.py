"""`bls.SignatureBatch` against ethereum/bls12-381-tests' batch_verify vectors (valid sets, a forged set whose
signatures are shifted so that only their plain sum verifies, an infinity signature)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stakework.crypto import bls

VECTORS = Path(__file__).resolve().parent / "vectors" / "bls12-381-tests" / "batch_verify"


def _hex(s: str) -> bytes:
    return bytes.fromhex(s.removeprefix("0x"))


@pytest.mark.parametrize("path", sorted(VECTORS.glob("*.json")), ids=lambda p: p.stem)
def test_batch_verify_vector__signature_batch_gives_the_expected_verdict(path: Path) -> None:
    case = json.loads(path.read_text())
    given = case["input"]
    batch = bls.SignatureBatch()
    for pubkey, message, signature in zip(given["pubkeys"], given["messages"], given["signatures"], strict=True):
        batch.add([_hex(pubkey)], _hex(message), _hex(signature))
    assert batch.verify() is case["output"]


def test_batch_verify_vectors__present() -> None:
    assert len(list(VECTORS.glob("*.json"))) >= 4
