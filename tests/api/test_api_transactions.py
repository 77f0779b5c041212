"""stakework's /v1 endpoints: accounts, transactions (token, status life cycle, batches), reward history, body
limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import AUTH, Node, make_node

from stakework.api.schemas.encoding import to_json
from stakework.crypto.ed25519 import devnet_account_key, to_hex
from stakework.transition.block.transaction import SignedTransaction, Transaction, Transfer, sign_transaction


@pytest.fixture()
def fresh(tmp_path: Path) -> Iterator[Node]:
    """A node of its own (these tests change the mempool and the chain)."""
    n = make_node(tmp_path / "devnet")
    yield n
    n.close()


def _transfer(node: Node, sender: int, to: bytes, amount: int, nonce: int | None = None) -> SignedTransaction:
    key = devnet_account_key(sender)
    state = node.view.chain.head_state
    n = state.accounts.nonce(key.address) if nonce is None else nonce
    return sign_transaction(state, Transaction(key.public_key, n, 1_000, Transfer(to, amount)), key)


def _account(node: Node, address: bytes) -> dict[str, Any]:
    r = node.http.get(f"/v1/accounts/{to_hex(address)}")
    assert r.status_code == 200
    data: dict[str, Any] = r.json()["data"]
    return data


def test_account_shape_and_validators_withdrawing_to_it(node: Node) -> None:
    creds = node.http.get("/eth/v1/beacon/states/head/validators/0").json()["data"]["validator"]
    address = bytes.fromhex(creds["withdrawal_credentials"][-40:])
    data = _account(node, address)
    assert set(data) == {"address", "balance", "nonce", "validators", "slot"}
    assert "0" in data["validators"]
    funded = _account(node, devnet_account_key(0).address)
    assert int(funded["balance"]) > 0 and funded["nonce"] == "0"
    assert node.http.get("/v1/accounts/0x12").status_code == 400
    assert node.http.get("/v1/accounts/nothex").status_code == 400


def test_send__pending_included_finalized__balance_moves(fresh: Node) -> None:
    to = devnet_account_key(7).address
    before = int(_account(fresh, to)["balance"])
    tx = _transfer(fresh, 0, to, 5_000_000)
    r = fresh.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
    assert r.status_code == 200, r.text
    tx_hash = r.json()["data"][0]["hash"]
    assert tx_hash == to_hex(tx.hash())
    assert fresh.http.get(f"/v1/transactions/{tx_hash}").json()["data"]["status"] == "pending"
    fresh.run_slots(1)
    status = fresh.http.get(f"/v1/transactions/{tx_hash}").json()["data"]
    assert status["status"] == "included" and status["slot"] == str(fresh.slot)
    assert int(_account(fresh, to)["balance"]) == before + 5_000_000
    assert _account(fresh, devnet_account_key(0).address)["nonce"] == "1"
    fresh.run_slots(4 * 8)
    assert fresh.http.get(f"/v1/transactions/{tx_hash}").json()["data"]["status"] == "finalized"
    # the same transaction again: refused (nonce used), and the status says it was included, not rejected
    again = fresh.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
    assert again.status_code == 400 and "nonce" in again.json()["message"]
    assert fresh.http.get(f"/v1/transactions/{tx_hash}").json()["data"]["status"] == "finalized"


def test_rejected_transaction__400_with_reason__status_rejected(fresh: Node) -> None:
    poor = devnet_account_key(100)  # never funded
    state = fresh.view.chain.head_state
    tx = sign_transaction(state, Transaction(poor.public_key, 0, 1000, Transfer(b"\x01" * 20, 10)), poor)
    r = fresh.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
    assert r.status_code == 400 and "has no balance" in r.json()["message"]
    status = fresh.http.get(f"/v1/transactions/{to_hex(tx.hash())}").json()["data"]
    assert status["status"] == "rejected" and "has no balance" in status["reason"]
    bad_sig = to_json(_transfer(fresh, 1, b"\x02" * 20, 10))
    bad_sig["signature"] = "0x" + "00" * 64
    r = fresh.http.post("/v1/transactions", json=bad_sig, headers=AUTH)
    assert r.status_code == 400 and "signature" in r.json()["message"]
    assert fresh.http.get("/v1/transactions/0x" + "00" * 32).status_code == 404
    huge = to_json(_transfer(fresh, 1, b"\x02" * 20, 10))
    huge["transaction"]["nonce"] = str(2**70)
    r = fresh.http.post("/v1/transactions", json=huge, headers=AUTH)
    assert r.status_code == 400 and "malformed" in r.json()["message"]


def test_batch__valid_ones_added__failures_listed(fresh: Node) -> None:
    to = b"\x03" * 20
    good = [_transfer(fresh, 2, to, 10, nonce=n) for n in range(3)]
    body = [to_json(t) for t in good] + [{"transaction": {}}]
    r = fresh.http.post("/v1/transactions", json=body, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["failures"] == [{"index": 3, "message": r.json()["failures"][0]["message"]}]
    assert len(fresh.view.mempool) == 3
    fresh.run_slots(1)
    assert _account(fresh, to)["balance"] == "30"


def test_batch__mixed_refusals__listed_in_order_with_the_single_paths_reasons(fresh: Node) -> None:
    """A batch is admitted with its signatures verified together on the view's threads (`admit_many`): each
    refusal is the one the single path gives, at its index, and the valid ones are added."""
    assert fresh.view.verify_threads == 2
    to = b"\x05" * 20
    good = [_transfer(fresh, 4, to, 10, nonce=n) for n in range(4)]
    bad_sig = to_json(_transfer(fresh, 5, to, 10))
    bad_sig["signature"] = "0x" + "00" * 64
    poor = devnet_account_key(101)
    state = fresh.view.chain.head_state
    unfunded = sign_transaction(state, Transaction(poor.public_key, 0, 1000, Transfer(to, 10)), poor)
    cheap = sign_transaction(
        state, Transaction(devnet_account_key(6).public_key, 0, 1, Transfer(to, 10)), devnet_account_key(6)
    )
    body = [to_json(good[0]), bad_sig, to_json(good[1]), to_json(unfunded), {"transaction": {}}, to_json(cheap)]
    body += [to_json(good[2]), to_json(good[1]), to_json(good[3])]
    r = fresh.http.post("/v1/transactions", json=body, headers=AUTH)
    assert r.status_code == 400
    failures = r.json()["failures"]
    assert [f["index"] for f in failures] == [1, 3, 4, 5, 7]
    messages = [f["message"] for f in failures]
    assert "signature" in messages[0] and "has no balance" in messages[1] and "malformed" in messages[2]
    assert "fee" in messages[3] and "already" in messages[4]
    assert len(fresh.view.mempool) == 4
    singles = []
    for item in (bad_sig, to_json(unfunded), to_json(cheap)):
        single = fresh.http.post("/v1/transactions", json=item, headers=AUTH)
        assert single.status_code == 400
        singles.append(single.json()["message"])
    assert singles == [messages[0], messages[1], messages[3]]
    fresh.run_slots(1)
    assert _account(fresh, to)["balance"] == "40"


def test_state_change_needs_the_token(fresh: Node) -> None:
    tx = to_json(_transfer(fresh, 3, b"\x04" * 20, 10))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic test-token"}):
        r = fresh.http.post("/v1/transactions", json=tx, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == 401
    assert len(fresh.view.mempool) == 0
    assert fresh.http.post("/v1/transactions", json=tx, headers=AUTH).status_code == 200


def test_body_limit__413(node: Node) -> None:
    big = b'["' + b"a" * (70 * 1024) + b'"]'
    r = node.http.post("/v1/transactions", content=big, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == 413

    def chunks() -> Any:
        for _ in range(70):
            yield b"a" * 1024

    r = node.http.post("/v1/transactions", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert node.http.post("/v1/transactions", content=b"{not json", headers=AUTH).status_code == 400


def test_reward_history(node: Node) -> None:
    rows = node.http.get("/v1/validators/0/rewards").json()["data"]
    assert [r["epoch"] for r in rows] == [str(e) for e in range(len(rows))]
    assert all(set(r) == {"epoch", "balance", "change"} for r in rows)
    assert any(int(r["change"]) > 0 for r in rows)
    assert node.http.get("/v1/validators/999/rewards").status_code == 404
    assert node.http.get("/v1/validators/x/rewards").status_code == 400


def test_exit__checked_against_the_spec_before_the_pool(fresh: Node) -> None:
    from stakework.crypto.bls import devnet_secret_key
    from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
    from stakework.transition.block.transaction import Exit
    from stakework.transition.block.voluntary_exit import voluntary_exit_signing_root

    state = fresh.view.chain.head_state
    key = devnet_account_key(4)

    def exit_tx(index: int, fee: int, nonce: int, *, forged: bool = False) -> dict[str, Any]:
        message = VoluntaryExit(state.current_epoch(), index)
        signature = devnet_secret_key(index).sign(voluntary_exit_signing_root(state, message))
        signed = SignedVoluntaryExit(message, b"\x00" * 96 if forged else signature)
        return to_json(sign_transaction(state, Transaction(key.public_key, nonce, fee, Exit(signed)), key))

    forged = exit_tx(15, 1000, 0, forged=True)  # the sender signs an exit the validator did not
    r = fresh.http.post("/v1/transactions", json=forged, headers=AUTH)
    assert r.status_code == 400 and r.json()["message"].startswith("exit refused"), r.text
    assert fresh.http.post("/v1/transactions", json=exit_tx(15, 1000, 0), headers=AUTH).status_code == 200
    r = fresh.http.post("/v1/transactions", json=exit_tx(15, 2000, 1), headers=AUTH)
    assert r.status_code == 400 and "pending already" in r.json()["message"]
    fresh.run_slots(1)
    status = fresh.http.get("/eth/v1/beacon/states/head/validators/15").json()["data"]["status"]
    assert status == "active_exiting"
    r = fresh.http.post("/v1/transactions", json=exit_tx(15, 2000, 1), headers=AUTH)
    assert r.status_code == 400 and r.json()["message"].startswith("exit refused")


def test_replaced_transaction__rejected_with_reason(fresh: Node) -> None:
    key = devnet_account_key(5)
    state = fresh.view.chain.head_state
    cheap = sign_transaction(state, Transaction(key.public_key, 0, 1000, Transfer(b"\x05" * 20, 7)), key)
    dear = sign_transaction(state, Transaction(key.public_key, 0, 2000, Transfer(b"\x05" * 20, 7)), key)
    assert fresh.http.post("/v1/transactions", json=to_json(cheap), headers=AUTH).status_code == 200
    assert fresh.http.post("/v1/transactions", json=to_json(dear), headers=AUTH).status_code == 200
    fresh.run_slots(1)
    assert fresh.http.get(f"/v1/transactions/{to_hex(dear.hash())}").json()["data"]["status"] == "included"
    status = fresh.http.get(f"/v1/transactions/{to_hex(cheap.hash())}").json()["data"]
    assert status["status"] == "rejected" and "replaced" in status["reason"]
