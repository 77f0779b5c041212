import numpy as np
import pytest

from stakework.state.registry import Registry, RegistryError


def _key(i: int) -> bytes:
    return i.to_bytes(48, "little")


def test_append__many_validators__grows_amortised() -> None:
    reg = Registry()
    reallocations = 0
    capacity = reg.capacity
    for i in range(5000):
        reg.append(_key(i), b"\x01" + b"\x00" * 31, 32 * 10**9, 32 * 10**9)
        if reg.capacity != capacity:
            reallocations += 1
            capacity = reg.capacity
    assert len(reg) == 5000
    assert reallocations <= 14  # doubling: log2(5000 / 16) + 1
    assert reg.balances.shape == (5000,) and int(reg.balances.sum()) == 5000 * 32 * 10**9


def test_index_of_pubkey__after_appends__finds_each_and_first_wins() -> None:
    reg = Registry()
    for i in range(10):
        reg.append(_key(i), b"\x00" * 32, 0, 0)
    assert reg.index_of_pubkey(_key(7)) == 7
    reg.append(_key(3), b"\x00" * 32, 0, 0)
    assert reg.index_of_pubkey(_key(3)) == 3
    assert reg.index_of_pubkey(_key(99)) is None
    reg.append(_key(99), b"\x00" * 32, 0, 0)
    assert reg.index_of_pubkey(_key(99)) == 11


def test_from_columns__different_lengths__names_the_column() -> None:
    reg = Registry()
    reg.append(_key(1), b"\x00" * 32, 0, 0)
    cols = {name: col.copy() for name, col in reg.columns()}
    cols["balances"] = np.zeros(2, dtype=np.uint64)
    with pytest.raises(RegistryError, match="balances"):
        Registry.from_columns(cols)


def test_copy__then_mutate__original_unchanged() -> None:
    reg = Registry()
    reg.append(_key(1), b"\x00" * 32, 5, 5)
    other = reg.copy()
    other.balances[0] = 1
    other.append(_key(2), b"\x00" * 32, 0, 0)
    assert int(reg.balances[0]) == 5 and len(reg) == 1 and not reg.equals(other)
