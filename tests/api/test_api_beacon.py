"""Beacon-API endpoints: paths, status codes and JSON shapes field by field (beacon-API spec shapes)."""

from __future__ import annotations

import re
from typing import Any

from api_support import Node

UINT = re.compile(r"^(0|[1-9][0-9]*)$")
ROOT = re.compile(r"^0x[0-9a-f]{64}$")
PUBKEY = re.compile(r"^0x[0-9a-f]{96}$")
SIG = re.compile(r"^0x[0-9a-f]{192}$")
HEX = re.compile(r"^0x([0-9a-f]{2})*$")


def _uint(v: Any) -> None:
    assert isinstance(v, str) and UINT.match(v), v


def _checkpoint(cp: dict[str, Any]) -> None:
    assert set(cp) == {"epoch", "root"}
    _uint(cp["epoch"])
    assert ROOT.match(cp["root"])


def _meta(body: dict[str, Any]) -> None:
    assert body["execution_optimistic"] is False
    assert isinstance(body["finalized"], bool)


def _error(body: dict[str, Any], code: int) -> None:
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]


def test_node_endpoints(node: Node) -> None:
    h = node.http
    assert h.get("/eth/v1/node/health").status_code in (200, 206)
    assert h.get("/eth/v1/node/version").json()["data"]["version"].startswith("stakework/")
    s = h.get("/eth/v1/node/syncing").json()["data"]
    assert set(s) == {"head_slot", "sync_distance", "is_syncing", "is_optimistic", "el_offline"}
    _uint(s["head_slot"])
    _uint(s["sync_distance"])
    assert s["head_slot"] == str(node.slot)
    ident = h.get("/eth/v1/node/identity").json()["data"]
    assert {"peer_id", "enr", "p2p_addresses", "discovery_addresses", "metadata"} <= set(ident)
    assert set(ident["metadata"]) == {"seq_number", "attnets", "syncnets"}


def test_genesis_and_config(node: Node) -> None:
    g = node.http.get("/eth/v1/beacon/genesis").json()["data"]
    assert set(g) == {"genesis_time", "genesis_validators_root", "genesis_fork_version"}
    _uint(g["genesis_time"])
    assert ROOT.match(g["genesis_validators_root"]) and re.match(r"^0x[0-9a-f]{8}$", g["genesis_fork_version"])
    spec = node.http.get("/eth/v1/config/spec").json()["data"]
    assert spec["SLOTS_PER_EPOCH"] == "8" and all(isinstance(v, str) for v in spec.values())


def test_headers_and_blocks(node: Node) -> None:
    body = node.http.get("/eth/v1/beacon/headers/head").json()
    _meta(body)
    d = body["data"]
    assert set(d) == {"root", "canonical", "header"} and d["canonical"] is True and ROOT.match(d["root"])
    msg = d["header"]["message"]
    assert set(msg) == {"slot", "proposer_index", "parent_root", "state_root", "body_root"}
    assert msg["slot"] == str(node.slot) and SIG.match(d["header"]["signature"])
    for key in ("parent_root", "state_root", "body_root"):
        assert ROOT.match(msg[key])
    # the same block by slot and by root; its parent by root
    assert node.http.get(f"/eth/v1/beacon/headers/{node.slot}").json()["data"]["root"] == d["root"]
    assert node.http.get(f"/eth/v1/beacon/headers/{d['root']}").json()["data"]["root"] == d["root"]
    parent = node.http.get(f"/eth/v1/beacon/headers/{msg['parent_root']}").json()["data"]
    assert parent["header"]["message"]["slot"] == str(node.slot - 1)
    blk = node.http.get("/eth/v2/beacon/blocks/head").json()
    _meta(blk)
    assert blk["version"] == "electra"
    assert blk["data"]["message"]["slot"] == str(node.slot) and SIG.match(blk["data"]["signature"])
    assert {"randao_reveal", "attestations", "transactions"} <= set(blk["data"]["message"]["body"])
    genesis = node.http.get("/eth/v1/beacon/headers/genesis").json()
    assert genesis["finalized"] is True and genesis["data"]["header"]["message"]["slot"] == "0"
    # unknown and malformed ids
    _error(node.http.get("/eth/v1/beacon/headers/0x" + "ab" * 32).json(), 404)
    _error(node.http.get("/eth/v1/beacon/headers/999999").json(), 404)
    r = node.http.get("/eth/v1/beacon/headers/nope")
    assert r.status_code == 400
    _error(r.json(), 400)
    assert node.http.get("/eth/v2/beacon/blocks/0x12").status_code == 400


def test_state_root_and_finality(node: Node) -> None:
    root = node.http.get("/eth/v1/beacon/states/head/root").json()
    _meta(root)
    assert ROOT.match(root["data"]["root"])
    hdr = node.http.get("/eth/v1/beacon/headers/head").json()["data"]["header"]["message"]
    assert root["data"]["root"] == hdr["state_root"]
    assert node.http.get(f"/eth/v1/beacon/states/{hdr['state_root']}/root").json()["data"]["root"] == hdr["state_root"]
    fc = node.http.get("/eth/v1/beacon/states/head/finality_checkpoints").json()
    _meta(fc)
    assert set(fc["data"]) == {"previous_justified", "current_justified", "finalized"}
    for cp in fc["data"].values():
        _checkpoint(cp)
    assert int(fc["data"]["finalized"]["epoch"]) >= EPOCHS_FINALIZED
    for sid in ("finalized", "justified", str(node.slot)):
        r = node.http.get(f"/eth/v1/beacon/states/{sid}/finality_checkpoints")
        assert r.status_code == 200, (sid, r.text)
    # The genesis state went with finality (issue #16: ~0.4 GiB at a million validators); its root is kept.
    r = node.http.get("/eth/v1/beacon/states/genesis/finality_checkpoints")
    assert r.status_code == 404 and "ask for finalized" in r.json()["message"]
    genesis_root = node.http.get("/eth/v1/beacon/states/genesis/root").json()["data"]["root"]
    assert (
        genesis_root
        == node.http.get("/eth/v1/beacon/headers/genesis").json()["data"]["header"]["message"]["state_root"]
    )
    assert node.http.get("/eth/v1/beacon/states/finalized/root").json()["finalized"] is True
    assert node.http.get("/eth/v1/beacon/states/bad/root").status_code == 400
    assert node.http.get("/eth/v1/beacon/states/0x" + "00" * 32 + "/root").status_code == 404
    assert node.http.get("/eth/v1/beacon/states/18446744073709551616/root").status_code == 400


EPOCHS_FINALIZED = 2


def test_validators_filters_and_shapes(node: Node) -> None:
    body = node.http.get("/eth/v1/beacon/states/head/validators").json()
    _meta(body)
    assert len(body["data"]) == 16
    v = body["data"][0]
    assert set(v) == {"index", "balance", "status", "validator"}
    assert set(v["validator"]) == {
        "pubkey",
        "withdrawal_credentials",
        "effective_balance",
        "slashed",
        "activation_eligibility_epoch",
        "activation_epoch",
        "exit_epoch",
        "withdrawable_epoch",
    }
    assert PUBKEY.match(v["validator"]["pubkey"]) and ROOT.match(v["validator"]["withdrawal_credentials"])
    assert v["status"] == "active_ongoing" and v["validator"]["slashed"] is False
    for key in ("effective_balance", "activation_epoch", "exit_epoch"):
        _uint(v["validator"][key])
    pubkey = body["data"][3]["validator"]["pubkey"]
    some = node.http.get(f"/eth/v1/beacon/states/head/validators?id=1&id=2,{pubkey}").json()["data"]
    assert [x["index"] for x in some] == ["1", "2", "3"]
    assert node.http.get("/eth/v1/beacon/states/head/validators?status=active").json()["data"] == body["data"]
    assert node.http.get("/eth/v1/beacon/states/head/validators?status=exited").json()["data"] == []
    assert node.http.get("/eth/v1/beacon/states/head/validators?status=nope").status_code == 400
    assert node.http.get("/eth/v1/beacon/states/head/validators?id=xyz").status_code == 400
    one = node.http.get(f"/eth/v1/beacon/states/head/validators/{pubkey}").json()
    assert one["data"]["index"] == "3"
    assert node.http.get("/eth/v1/beacon/states/head/validators/99").status_code == 404
    bal = node.http.get("/eth/v1/beacon/states/head/validator_balances?id=0&id=5").json()
    _meta(bal)
    assert [set(b) for b in bal["data"]] == [{"index", "balance"}] * 2
    assert bal["data"][0]["balance"] == body["data"][0]["balance"]


def test_committees_and_duties(node: Node) -> None:
    body = node.http.get("/eth/v1/beacon/states/head/committees").json()
    _meta(body)
    members = []
    for c in body["data"]:
        assert set(c) == {"index", "slot", "validators"}
        members += c["validators"]
    assert sorted(members, key=int) == [str(i) for i in range(16)]  # every active validator once per epoch
    one = node.http.get(f"/eth/v1/beacon/states/head/committees?slot={node.slot}&index=0").json()["data"]
    assert len(one) == 1 and one[0]["slot"] == str(node.slot)
    assert node.http.get("/eth/v1/beacon/states/head/committees?epoch=99").status_code == 400
    epoch = node.slot // 8
    duties = node.http.get(f"/eth/v1/validator/duties/proposer/{epoch}").json()
    assert ROOT.match(duties["dependent_root"]) and duties["execution_optimistic"] is False
    assert [d["slot"] for d in duties["data"]] == [str(s) for s in range(epoch * 8, epoch * 8 + 8)]
    head = node.http.get("/eth/v1/beacon/headers/head").json()["data"]["header"]["message"]
    by_slot = {d["slot"]: d for d in duties["data"]}
    assert by_slot[head["slot"]]["validator_index"] == head["proposer_index"]
    assert PUBKEY.match(by_slot[head["slot"]]["pubkey"])
    assert node.http.get("/eth/v1/validator/duties/proposer/0").status_code == 400


def test_attestation_rewards(node: Node) -> None:
    epoch = node.slot // 8 - 1
    body = node.http.post(f"/eth/v1/beacon/rewards/attestations/{epoch}", json=["0", "1"]).json()
    _meta(body)
    assert set(body["data"]) == {"ideal_rewards", "total_rewards"}
    total = body["data"]["total_rewards"]
    assert [t["validator_index"] for t in total] == ["0", "1"]
    assert set(total[0]) == {"validator_index", "head", "target", "source", "inactivity"}
    assert int(total[0]["source"]) > 0 and int(total[0]["target"]) > 0  # everyone attests
    ideal = body["data"]["ideal_rewards"][0]
    assert set(ideal) == {"effective_balance", "head", "target", "source", "inactivity"}
    assert node.http.post(f"/eth/v1/beacon/rewards/attestations/{epoch}", json=None).status_code == 200
    assert node.http.post("/eth/v1/beacon/rewards/attestations/0").status_code == 404
    assert node.http.post(f"/eth/v1/beacon/rewards/attestations/{epoch}", json={"a": 1}).status_code == 400


def test_metrics_and_docs(node: Node) -> None:
    text = node.http.get("/metrics").text
    assert f"stakework_head_slot {node.slot}" in text
    for name in (
        "stakework_finalized_epoch",
        "stakework_peers",
        "stakework_participation_ratio",
        "stakework_mempool_transactions",
        "stakework_transactions_per_second",
        'stakework_block_import_seconds_bucket{le="+Inf"}',
    ):
        assert name in text
    count = re.search(r"stakework_block_import_seconds_count (\d+)", text)
    assert count and int(count.group(1)) == node.slot
    assert node.http.get("/docs").status_code == 200
    paths = node.http.get("/openapi.json").json()["paths"]
    assert "/eth/v1/beacon/states/{state_id}/finality_checkpoints" in paths and "/v1/transactions" in paths


def test_block__eth_consensus_version_header(node: Node) -> None:
    """Spec (getBlockV2): the response names its fork in the Eth-Consensus-Version header too."""
    r = node.http.get("/eth/v2/beacon/blocks/head")
    assert r.status_code == 200 and r.headers["eth-consensus-version"] == r.json()["version"] == "electra"


def test_block__genesis__200_the_genesis_block(node: Node) -> None:
    r = node.http.get("/eth/v2/beacon/blocks/genesis")
    assert r.status_code == 200, r.text
    assert r.headers["eth-consensus-version"] == "electra"
    body = r.json()
    assert body["finalized"] is True
    header = node.http.get("/eth/v1/beacon/headers/genesis").json()["data"]["header"]
    message = body["data"]["message"]
    assert message["slot"] == "0" and message["state_root"] == header["message"]["state_root"]
    assert message["parent_root"] == "0x" + "00" * 32 and body["data"]["signature"] == "0x" + "00" * 96
    assert message["body"]["transactions"] == [] and message["body"]["attestations"] == []


def test_proposer_duties__previous_epoch__the_proposers_of_its_blocks(node: Node) -> None:
    """Clients ask for the previous epoch's duties at an epoch start: they are the proposers of its blocks."""
    epoch = node.slot // 8 - 1
    r = node.http.get(f"/eth/v1/validator/duties/proposer/{epoch}")
    assert r.status_code == 200, r.text
    duties = r.json()["data"]
    assert [d["slot"] for d in duties] == [str(s) for s in range(epoch * 8, epoch * 8 + 8)]
    for d in duties:  # every slot of this devnet has its block
        header = node.http.get(f"/eth/v1/beacon/headers/{d['slot']}").json()["data"]["header"]["message"]
        assert header["slot"] == d["slot"] and header["proposer_index"] == d["validator_index"]
    assert node.http.get(f"/eth/v1/validator/duties/proposer/{epoch - 1}").status_code == 400
