"""`check_wire_shape` runs at admission, when the proposer applies a transaction and when the block is imported:
a transaction object of a core kind is encoded and decoded once, not three times (issue #16), and the check still
refuses every malformed transaction, however often it is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.pool.messages import Deposit
from stakework.transition.block.transaction import (
    InvalidTransaction,
    SignedTransaction,
    Transaction,
    Transfer,
    check_wire_shape,
)

KEY = devnet_account_key(0)


def _tx(amount: int = 5, payload: Any = None) -> SignedTransaction:
    body = Transfer(b"\x02" * 20, amount) if payload is None else payload
    return SignedTransaction(Transaction(KEY.public_key, 0, 1000, body), b"\x00" * 64)


@pytest.fixture()
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records each decode of a signed transaction (the check's costly half)."""
    seen: list[object] = []
    real: Callable[..., Any] = msgspec.msgpack.decode

    def counting(data: bytes, **kwargs: Any) -> Any:
        if kwargs.get("type") is SignedTransaction:
            seen.append(data)
        return real(data, **kwargs)

    monkeypatch.setattr(msgspec.msgpack, "decode", counting)
    return seen


def test_check_wire_shape__same_transfer_object_three_times__decoded_once(decodes: list[object]) -> None:
    tx = _tx()
    for _ in range(3):
        check_wire_shape(tx)
    assert len(decodes) == 1


def test_check_wire_shape__an_equal_but_distinct_object__checked_again(decodes: list[object]) -> None:
    check_wire_shape(_tx())
    check_wire_shape(_tx())
    assert len(decodes) == 2


def test_check_wire_shape__amount_above_uint64__refused_every_time() -> None:
    check_wire_shape(_tx(5))
    bad = _tx(2**64)
    for _ in range(2):
        with pytest.raises(InvalidTransaction, match=r"outside 0 \.\. 2\*\*64-1"):
            check_wire_shape(bad)


def test_check_wire_shape__recipient_of_wrong_length__refused_every_time() -> None:
    bad = SignedTransaction(Transaction(KEY.public_key, 0, 1000, Transfer(b"\x02" * 19, 5)), b"\x00" * 64)
    for _ in range(2):
        with pytest.raises(InvalidTransaction, match="malformed transaction"):
            check_wire_shape(bad)


def test_check_wire_shape__module_message__checked_every_time(decodes: list[object]) -> None:
    tx = _tx(payload=Deposit(pool_id=0, amount=10**9))
    check_wire_shape(tx)
    check_wire_shape(tx)
    assert len(decodes) == 2  # a module message is a mutable struct: never taken on trust
