"""Snapshots carry the module store: both formats round-trip it with the same state root, and a JSON snapshot
whose module state was edited or mangled is refused with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stakework.crypto.bls import SecretKey
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import AddOperator, Wrap
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Deposit, RegisterPool, RequestWithdrawal
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.state.snapshot import SnapshotError, load_state, save_state
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import process_module_message, sign_module_key
from stakework.transition.state_transition import process_slots

SWK = 10**9


@pytest.fixture(scope="module")
def state() -> BeaconState:
    """A state whose pool and liquid modules hold shares, wrapped shares, a request and a staked validator."""
    s = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    admin, op, alice = (devnet_account_key(i).address for i in range(3))
    keys = [sign_module_key(DEVNET, "pool", SecretKey.from_seed(b"snapshot-key" + bytes(32)))]
    process_module_message(s, op, RegisterPool(commission_bps=1000, keys=keys))
    process_module_message(s, alice, Deposit(pool_id=1, amount=40 * SWK))
    process_module_message(s, alice, RequestWithdrawal(pool_id=1, shares=SWK))
    process_module_message(s, admin, AddOperator(address=op))
    process_module_message(s, alice, LiquidStake(amount=5 * SWK))
    process_module_message(s, alice, Wrap(amount=2 * SWK))
    process_slots(s, DEVNET.SLOTS_PER_EPOCH)  # the epoch hooks stake, record history
    return s


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".swk"])
def test_save_load__module_state__round_trips_with_the_same_root(
    tmp_path: Path, state: BeaconState, suffix: str
) -> None:
    path = tmp_path / f"s{suffix}"
    save_state(state, path)
    loaded = load_state(path)
    assert loaded.modules == state.modules
    assert hash_state(loaded) == hash_state(state)


def test_load_json__module_balance_edited__root_mismatch_refused(tmp_path: Path, state: BeaconState) -> None:
    path = tmp_path / "s.json"
    save_state(state, path)
    doc = json.loads(path.read_text())
    doc["modules"]["pool"]["pools"]["1"]["buffer"] += 1
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match="state_root does not match"):
        load_state(path)


def test_load_json__module_state_malformed__names_the_field(tmp_path: Path, state: BeaconState) -> None:
    path = tmp_path / "s.json"
    save_state(state, path)
    doc = json.loads(path.read_text())
    doc["modules"]["liquid"]["buffer"] = "lots"
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match=r"modules.*buffer"):
        load_state(path)
