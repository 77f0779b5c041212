"""Merkle proofs against the state root: an account's balance (or its absence) and a validator's record verify
with state/proofs.py alone; tampered proofs, proofs for another root or another index do not; the API serves
them and `stakework proof ... --verify` checks them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stakework.bench.workloads import realistic_state
from stakework.cli.proof import app as proof_app
from stakework.spec.presets import MINIMAL
from stakework.state.beacon_state import BeaconState
from stakework.state.proofs import (
    ProofError,
    StateProof,
    account_bucket,
    proof_from_json,
    proof_to_json,
    verify_account,
    verify_validator,
)
from stakework.state.root import hash_state, prove_account, prove_validator

ALICE = bytes.fromhex("11" * 20)
NEIGHBOUR = bytes.fromhex("11" * 19 + "12")  # same bucket as ALICE
STRANGER = bytes.fromhex("77" * 20)


@pytest.fixture(scope="module")
def state() -> BeaconState:
    s = realistic_state(3000, preset=MINIMAL, epoch=600)
    s.accounts.credit(ALICE, 123_456)
    s.accounts.increment_nonce(ALICE)
    s.accounts.credit(NEIGHBOUR, 5)
    for i in range(200):
        s.accounts.credit(bytes([i, 3]) + bytes(18), 1_000 + i)
    return s


def test_account_proof__stored_account__verifies_its_balance_and_nonce(state: BeaconState) -> None:
    proof = prove_account(state, ALICE)
    assert verify_account(proof, hash_state(state), ALICE) == (123_456, 1)
    assert account_bucket(NEIGHBOUR) == account_bucket(ALICE)
    assert verify_account(proof, hash_state(state), NEIGHBOUR) == (5, 0)  # same bucket, same proof


def test_account_proof__unused_address__proves_absence(state: BeaconState) -> None:
    proof = prove_account(state, STRANGER)
    assert verify_account(proof, hash_state(state), STRANGER) == (0, 0)


def test_validator_proof__first_middle_last__verifies_the_record_and_balance(state: BeaconState) -> None:
    root = hash_state(state)
    for index in (0, 1234, len(state.validators) - 1):
        record = verify_validator(prove_validator(state, index), root, index)
        v = state.validators.validator(index)
        assert record == {
            "pubkey": v.pubkey,
            "withdrawal_credentials": v.withdrawal_credentials,
            "effective_balance": v.effective_balance,
            "slashed": v.slashed,
            "activation_eligibility_epoch": v.activation_eligibility_epoch,
            "activation_epoch": v.activation_epoch,
            "exit_epoch": v.exit_epoch,
            "withdrawable_epoch": v.withdrawable_epoch,
            "balances": v.balance,
        }


def test_validator_proof__out_of_range__index_error(state: BeaconState) -> None:
    with pytest.raises(IndexError, match="out of range"):
        prove_validator(state, len(state.validators))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def test_account_proof__tampered_balance__refused(state: BeaconState) -> None:
    proof = prove_account(state, ALICE)
    path = proof.paths[0]
    offset = path.chunk.index(ALICE) + 20  # ALICE's balance
    forged = dataclasses.replace(proof, paths=[dataclasses.replace(path, chunk=_flip(path.chunk, offset))])
    with pytest.raises(ProofError, match="do not lead to the field's leaf"):
        verify_account(forged, hash_state(state), ALICE)


def test_account_proof__entry_removed_to_fake_absence__refused(state: BeaconState) -> None:
    proof = prove_account(state, ALICE)
    path = proof.paths[0]
    start = path.chunk.index(ALICE)
    forged_chunk = path.chunk[:start] + path.chunk[start + 36 :]
    forged = dataclasses.replace(proof, paths=[dataclasses.replace(path, chunk=forged_chunk)])
    with pytest.raises(ProofError):
        verify_account(forged, hash_state(state), ALICE)


def test_proofs__tampered_sibling_field_leaf_or_root__refused(state: BeaconState) -> None:
    root = hash_state(state)
    proof = prove_validator(state, 42)
    path = proof.paths[-1]
    branch = [list(level) for level in path.branch]
    branch[0][3] = _flip(branch[0][3], 0)
    cases: list[StateProof] = [
        dataclasses.replace(proof, paths=[*proof.paths[:-1], dataclasses.replace(path, branch=branch)]),
        dataclasses.replace(proof, field_leaves=[*proof.field_leaves[:-1], ("modules", b"\x00" * 32)]),
        dataclasses.replace(proof, paths=[*proof.paths[:-1], dataclasses.replace(path, count=path.count + 1)]),
    ]
    for forged in cases:
        with pytest.raises(ProofError):
            verify_validator(forged, root, 42)
    with pytest.raises(ProofError, match="is for state root"):
        verify_validator(proof, b"\x01" * 32, 42)
    with pytest.raises(ProofError, match="does not hold row"):
        verify_validator(proof, root, 42 + 1024)


def test_proof__after_the_state_changes__refused_for_the_new_root(state: BeaconState) -> None:
    s = state.copy()
    proof = prove_account(s, ALICE)
    s.accounts.credit(ALICE, 1)
    with pytest.raises(ProofError):
        verify_account(dataclasses.replace(proof, state_root=hash_state(s)), hash_state(s), ALICE)
    assert verify_account(prove_account(s, ALICE), hash_state(s), ALICE) == (123_457, 1)


def test_proof_json__round_trip_verifies_and_garbage_is_refused(state: BeaconState) -> None:
    proof = prove_validator(state, 7)
    again = proof_from_json(json.loads(json.dumps(proof_to_json(proof))))
    assert verify_validator(again, hash_state(state), 7)["balances"] == int(state.validators.balances[7])
    for bad in ({}, [], {"state_root": "zz"}, {**proof_to_json(proof), "paths": [{"field": "x"}]}):
        with pytest.raises(ProofError):
            proof_from_json(bad)


# -- the API and the CLI on a running devnet -------------------------------------------------------------------
@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from api.api_support import make_node

    n = make_node(tmp_path_factory.mktemp("devnet"))
    yield n
    n.close()


def test_api_account_proof__verifies_against_the_head_state_root(node) -> None:  # type: ignore[no-untyped-def]
    with node.view.lock:
        state = node.view.chain.head_state
        address, account = next(iter(state.accounts.items()))
    r = node.http.get(f"/v1/proof/account/0x{address.hex()}")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    root = node.http.get("/eth/v1/beacon/states/head/root").json()["data"]["root"]
    assert data["state_root"] == root
    proof = proof_from_json(data["proof"])
    assert verify_account(proof, bytes.fromhex(root[2:]), address) == (account.balance, account.nonce)


def test_api_validator_proof__verifies_and_bad_ids_are_refused(node) -> None:  # type: ignore[no-untyped-def]
    r = node.http.get("/v1/proof/validator/3", params={"state_id": "finalized"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    record = verify_validator(proof_from_json(data["proof"]), bytes.fromhex(data["state_root"][2:]), 3)
    assert data["validator"]["effective_balance"] == str(record["effective_balance"])
    assert node.http.get("/v1/proof/validator/99").status_code == 404
    assert node.http.get("/v1/proof/validator/x").status_code == 400
    assert node.http.get("/v1/proof/account/0x12").status_code == 400


def test_cli_proof__verify_and_a_tampered_saved_proof(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{node.http.port}"
    runner = CliRunner()
    ok = runner.invoke(proof_app, ["validator", "2", "--node", url, "--verify"])
    assert ok.exit_code == 0, ok.output
    assert "proof verified against state root" in ok.output
    saved = runner.invoke(proof_app, ["validator", "2", "--node", url, "--state", "finalized", "--json"])
    assert saved.exit_code == 0, saved.output
    doc = json.loads(saved.output)
    root = doc["data"]["state_root"]
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(doc))
    offline = runner.invoke(proof_app, ["validator", "2", "--from", str(path), "--root", root])
    assert offline.exit_code == 0, offline.output
    doc["data"]["proof"]["paths"][-1]["chunk"] = "0x" + "00" * (
        len(doc["data"]["proof"]["paths"][-1]["chunk"]) // 2 - 1
    )
    path.write_text(json.dumps(doc))
    forged = runner.invoke(proof_app, ["validator", "2", "--from", str(path), "--root", root])
    assert forged.exit_code == 2 and "does NOT verify" in forged.output
    no_root = runner.invoke(proof_app, ["validator", "2", "--from", str(path)])
    assert no_root.exit_code == 2 and "--root" in no_root.output
