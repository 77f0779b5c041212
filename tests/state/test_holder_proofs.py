"""Merkle proofs of a holder's shares in a module (state/proofs.py: verify_holder): every holder table of every
module proves its holders and the absence of others with the standard library alone (the module summary read by
a msgpack reader of its own, checked against msgspec); tampered proofs do not verify; the API serves them and
`stakework proof holder --verify` checks them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stakework.cli.proof import app as proof_app
from stakework.modules.store import store_parts
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import table_paths
from stakework.state.proofs import (
    ProofError,
    holder_bucket,
    parse_table_name,
    proof_from_json,
    proof_to_json,
    read_summary,
    table_name,
    verify_holder,
)
from stakework.state.root import hash_state, prove_holder
from stakework.transition.genesis import devnet_genesis

ALICE = bytes.fromhex("11" * 20)
NEIGHBOUR = bytes.fromhex("11" * 19 + "12")  # same bucket as ALICE
STRANGER = bytes.fromhex("77" * 20)
STSWK = [("key", "ledger"), ("key", "shares")]


@pytest.fixture(scope="module")
def state() -> BeaconState:
    s = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    for _, value in store_parts(s.modules):
        for steps, table in table_paths(value):
            table[ALICE] = 1_000 + len(steps)
            table[NEIGHBOUR] = 7
            for i in range(50):
                table[bytes([i, 9]) + bytes(18)] = i + 1
    return s


def _tables(state: BeaconState) -> list[tuple[str, list[tuple[str, str | int]], dict[bytes, int]]]:
    return [(name, steps, table) for name, value in store_parts(state.modules) for steps, table in table_paths(value)]


def test_holder_proof__every_table_of_every_module__holders_and_absence_verify(state: BeaconState) -> None:
    root = hash_state(state)
    tables = _tables(state)
    assert ("liquid", STSWK) in [(name, steps) for name, steps, _ in tables]
    for module, steps, table in tables:
        proof = prove_holder(state, module, steps, ALICE)
        assert verify_holder(proof, root, module, steps, ALICE) == table[ALICE]
        assert verify_holder(proof, root, module, steps, NEIGHBOUR) == 7  # same bucket, same proof
        absent = prove_holder(state, module, steps, STRANGER)
        assert verify_holder(absent, root, module, steps, STRANGER) == 0


def test_holder_proof__after_a_holder_moves__the_new_root_proves_the_new_shares(state: BeaconState) -> None:
    s = state.copy()
    old = prove_holder(s, "liquid", STSWK, ALICE)
    s.modules.get("liquid").ledger.shares[ALICE] += 5
    root = hash_state(s)
    with pytest.raises(ProofError):
        verify_holder(dataclasses.replace(old, state_root=root), root, "liquid", STSWK, ALICE)
    assert verify_holder(prove_holder(s, "liquid", STSWK, ALICE), root, "liquid", STSWK, ALICE) == 1_007


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def test_holder_proof__tampered_anywhere__refused(state: BeaconState) -> None:
    root = hash_state(state)
    proof = prove_holder(state, "liquid", STSWK, ALICE)
    path = proof.module
    assert path is not None
    entry_end = path.chunk.index(ALICE) + len(ALICE) + 8
    branch = [list(level) for level in path.branch]
    branch[1][2] = _flip(branch[1][2], 5)
    parts = [(name, _flip(r, 0) if name == "pool" else r) for name, r in path.parts]
    forged_paths = {
        "shares": dataclasses.replace(path, chunk=_flip(path.chunk, entry_end - 8)),
        "entry removed": dataclasses.replace(path, chunk=path.chunk.replace(path.chunk[:entry_end], b"", 1)),
        "branch": dataclasses.replace(path, branch=branch),
        "count": dataclasses.replace(path, count=path.count + 1),
        "summary": dataclasses.replace(path, summary=_flip(path.summary, len(path.summary) // 2)),
        "another part": dataclasses.replace(path, parts=parts),
        "bucket": dataclasses.replace(path, bucket=path.bucket + 1),
        "truncated summary": dataclasses.replace(path, summary=path.summary[:-1]),
    }
    for what, forged in forged_paths.items():
        with pytest.raises(ProofError):
            verify_holder(dataclasses.replace(proof, module=forged), root, "liquid", STSWK, ALICE)
            pytest.fail(f"a proof with a tampered {what} verified")
    with pytest.raises(ProofError, match="not liquid at"):
        verify_holder(proof, root, "liquid", [("key", "wrapped")], ALICE)  # the proof is of another table
    with pytest.raises(ProofError, match="not amm"):
        verify_holder(proof, root, "amm", STSWK, ALICE)
    with pytest.raises(ProofError, match="is for state root"):
        verify_holder(proof, b"\x02" * 32, "liquid", STSWK, ALICE)
    with pytest.raises(ProofError, match="no module path"):
        verify_holder(dataclasses.replace(proof, module=None), root, "liquid", STSWK, ALICE)
    # the summary's steps lead somewhere else: the root of liquid's other table is no table of this bucket
    wrapped = dataclasses.replace(path, table=[("key", "wrapped")])
    with pytest.raises(ProofError):
        verify_holder(dataclasses.replace(proof, module=wrapped), root, "liquid", [("key", "wrapped")], ALICE)


def test_holder_proof_json__round_trip_verifies_and_garbage_is_refused(state: BeaconState) -> None:
    proof = prove_holder(state, "liquid", STSWK, ALICE)
    again = proof_from_json(json.loads(json.dumps(proof_to_json(proof))))
    assert verify_holder(again, hash_state(state), "liquid", STSWK, ALICE) == 1_002
    doc = proof_to_json(proof)
    for table in ([["key"]], [["at", "x"]], [["up", 1]], "ledger", [["key", True]]):
        with pytest.raises(ProofError):
            proof_from_json({**doc, "module": {**doc["module"], "table": table}})  # type: ignore[dict-item]


def test_table_names__round_trip() -> None:
    for steps in (STSWK, [("key", "swk"), ("key", "ledger"), ("key", "shares")], [("key", "pools"), ("key", 3)]):
        assert parse_table_name(table_name(steps)) == steps
    assert parse_table_name("#2.shares") == [("at", 2), ("key", "shares")]
    with pytest.raises(ProofError, match="empty step"):
        parse_table_name("ledger..shares")
    assert holder_bucket(b"\x01") == 256 and holder_bucket(ALICE) == 0x1111


SUMMARIES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=20)
        | st.dictionaries(st.text(max_size=8) | st.integers(-5, 2**40) | st.binary(max_size=4), inner, max_size=20)
    ),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None)
@given(value=SUMMARIES)
def test_read_summary__any_msgpack_value__as_msgspec_reads_it(value: object) -> None:
    raw = msgspec.msgpack.encode(value)
    assert read_summary(raw) == msgspec.msgpack.decode(raw)
    if raw:
        with pytest.raises(ProofError):
            read_summary(raw + b"\x00")  # trailing bytes
    for cut in range(len(raw) - 1, max(len(raw) - 4, 0), -1):
        try:
            read_summary(raw[:cut])
        except ProofError:
            continue  # a truncated value is refused (some prefixes are whole values: then extra bytes are refused)


def test_read_summary__long_strings_maps_and_deep_nesting() -> None:
    value = {"s" * 300: ["x" * 70_000, b"\x00" * 70_000, list(range(70_000))], 2**40: {i: i for i in range(20)}}
    raw = msgspec.msgpack.encode(value)
    assert read_summary(raw) == msgspec.msgpack.decode(raw)
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    with pytest.raises(ProofError, match="nests too deep"):
        read_summary(msgspec.msgpack.encode(nested))
    with pytest.raises(ProofError, match="does not know"):
        read_summary(b"\xc1")


# -- the API and the CLI on a running devnet -------------------------------------------------------------------
@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from api.api_support import make_node

    n = make_node(tmp_path_factory.mktemp("devnet"))
    yield n
    n.close()


def test_api_holder_proof__liquid_stswk_verifies_and_bad_requests_are_refused(node) -> None:  # type: ignore[no-untyped-def]
    with node.view.lock:
        shares = node.view.chain.head_state.modules.get("liquid").ledger.shares
        holder, held = next(iter(shares.items())) if shares else (ALICE, 0)
    r = node.http.get(f"/v1/proof/holder/liquid/0x{holder.hex()}")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["table"] == "ledger.shares" and data["shares"] == str(held)
    root = node.http.get("/eth/v1/beacon/states/head/root").json()["data"]["root"]
    assert data["state_root"] == root
    proven = verify_holder(proof_from_json(data["proof"]), bytes.fromhex(root[2:]), "liquid", STSWK, holder)
    assert proven == held
    missing = node.http.get(f"/v1/proof/holder/liquid/0x{holder.hex()}", params={"table": "nope"})
    assert missing.status_code == 404 and "ledger.shares" in missing.json()["message"]
    assert node.http.get(f"/v1/proof/holder/nomodule/0x{holder.hex()}").status_code == 404
    assert node.http.get("/v1/proof/holder/liquid/0x12").status_code == 400


def test_cli_proof_holder__verify_and_a_tampered_saved_proof(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{node.http.port}"
    runner = CliRunner()
    address = "0x" + ALICE.hex()
    ok = runner.invoke(proof_app, ["holder", "liquid", address, "--node", url, "--verify"])
    assert ok.exit_code == 0, ok.output
    assert "ledger.shares" in ok.output and "proof verified against state root" in ok.output
    saved = runner.invoke(proof_app, ["holder", "liquid", address, "--node", url, "--state", "finalized", "--json"])
    assert saved.exit_code == 0, saved.output
    doc = json.loads(saved.output)
    root = doc["data"]["state_root"]
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(doc))
    offline = runner.invoke(proof_app, ["holder", "liquid", address, "--from", str(path), "--root", root])
    assert offline.exit_code == 0, offline.output
    doc["data"]["table"] = "wrapped"  # the node names another table than the one its proof shows
    path.write_text(json.dumps(doc))
    renamed = runner.invoke(proof_app, ["holder", "liquid", address, "--from", str(path), "--root", root])
    assert renamed.exit_code == 2 and "does NOT verify" in renamed.output
    doc["data"]["table"] = "ledger.shares"
    doc["data"]["shares"] = "1000000"  # the node claims more than its proof shows
    path.write_text(json.dumps(doc))
    lied = runner.invoke(proof_app, ["holder", "liquid", address, "--from", str(path), "--root", root])
    assert lied.exit_code == 2 and "its proof shows" in lied.output
    doc["data"]["proof"]["module"]["count"] += 1
    path.write_text(json.dumps(doc))
    forged = runner.invoke(proof_app, ["holder", "liquid", address, "--from", str(path), "--root", root])
    assert forged.exit_code == 2 and "does NOT verify" in forged.output
    unknown = runner.invoke(proof_app, ["holder", "liquid", address, "--node", url, "--table", "nope"])
    said = unknown.output + str(unknown.exception)  # (the stakework entry point prints the node's refusal)
    assert unknown.exit_code != 0 and "no holder table 'nope'; its tables: ledger.shares" in said


@pytest.mark.parametrize("kind", ["account", "holder"])
def test_cli_proof__saved_file_nested_too_deep_or_not_a_proof__refused_without_a_traceback(
    tmp_path: Path, kind: str
) -> None:
    root = "0x" + "00" * 32
    args = ["account", "0x" + ALICE.hex()] if kind == "account" else ["holder", "liquid", "0x" + ALICE.hex()]
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = CliRunner().invoke(proof_app, [*args, "--from", str(deep), "--root", root])
    assert result.exit_code == 2 and "nested too deep" in result.output, result.output
    for doc in ({"data": {"proof": None}}, {"data": {"proof": {"module": {"summary": "0x" + "dc" * 3}}}}):
        odd = tmp_path / "odd.json"
        odd.write_text(json.dumps(doc))
        result = CliRunner().invoke(proof_app, [*args, "--from", str(odd), "--root", root])
        assert result.exit_code == 2 and "does NOT verify" in result.output, result.output
