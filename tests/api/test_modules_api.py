"""The module endpoints (/v1/modules, /v1/pools..., /v1/liquid...) on an in-process devnet driven by real blocks:
module transactions go in through POST /v1/transactions, the figures the endpoints give are checked against the
head state's module store and the modules' queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import AUTH, LiveClient, Node

from stakework.api.routes.modules import epochs_per_year
from stakework.api.schemas.encoding import to_json
from stakework.api.view import NodeView
from stakework.crypto.bls import SecretKey
from stakework.crypto.ed25519 import AccountKey, devnet_account_key, to_hex
from stakework.modules import registry
from stakework.modules.keys import DepositKey
from stakework.modules.liquid import queries as lq
from stakework.modules.liquid.messages import AddOperator, SubmitKeys, Wrap
from stakework.modules.liquid.messages import RequestWithdrawal as LiquidRequestWithdrawal
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.liquid.state import LiquidState
from stakework.modules.pool import queries as pq
from stakework.modules.pool.messages import Deposit, RegisterPool, RequestWithdrawal
from stakework.modules.pool.state import PoolModuleState
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Payload, Transaction, sign_transaction
from stakework.transition.modules import (
    module_address,
    module_message_min_fee,
    module_withdrawal_credentials,
    sign_module_key,
)

SWK = 10**9
ADMIN, OPERATOR, ALICE, BOB, LOP = (devnet_account_key(i) for i in range(5))
SPE = DEVNET.SLOTS_PER_EPOCH


@dataclass
class ModuleNode(Node):
    """A devnet Node whose module validators' keys join the validator client once they are registered."""

    module_keys: list[SecretKey]

    def run_slots(self, n: int) -> None:
        for _ in range(n):
            self.slot += 1
            with self.view.lock:
                run_slot(self.view.chain, self.client, self.slot, self.view.mempool)
                state = self.view.chain.head_state
                known = set(self.client.pubkeys.values())
                for sk in self.module_keys:
                    index = state.validators.index_of_pubkey(sk.public_key())
                    if index is not None and sk.public_key() not in known:
                        self.client.add_key(int(index), sk)
            self.view.on_slot(self.slot)

    def send(self, key: AccountKey, payload: Payload) -> str:
        """Sign `payload` and submit it over the API (the nonce counts this sender's pending transactions)."""
        state = self.view.chain.head_state
        nonce = state.accounts.nonce(key.address) + sum(
            1 for tx in self.view.mempool.pending() if tx.transaction.sender == key.public_key
        )
        tx = sign_transaction(state, Transaction(key.public_key, nonce, module_message_min_fee(payload), payload), key)
        r = self.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
        assert r.status_code == 200, r.text
        tx_hash: str = r.json()["data"][0]["hash"]
        return tx_hash

    def included(self, tx_hash: str) -> None:
        status = self.http.get(f"/v1/transactions/{tx_hash}").json()["data"]
        assert status["status"] in ("included", "finalized"), status

    def keys(self, module: str, seed: bytes, n: int) -> list[DepositKey]:
        secrets = [SecretKey.from_seed(seed + bytes([i]) + bytes(32)) for i in range(n)]
        self.module_keys += secrets
        return [sign_module_key(DEVNET, module, sk) for sk in secrets]

    @property
    def pools(self) -> PoolModuleState:
        pools = self.view.chain.head_state.modules.pool
        assert pools is not None
        return pools

    @property
    def liquid(self) -> LiquidState:
        liquid = self.view.chain.head_state.modules.liquid
        assert liquid is not None
        return liquid

    def get(self, path: str, status: int = 200) -> Any:
        r = self.http.get(path)
        assert r.status_code == status, (path, r.status_code, r.text)
        body = r.json()
        if status != 200:
            assert body["code"] == status and body["message"]
            return body["message"]
        return body["data"]


def _open(data: Path, *, modules: bool = True) -> ModuleNode:
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16, modules=modules))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    return ModuleNode(view, client, LiveClient(view), 0, [])


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleNode]:
    """Pool 1 (operator 1, 10% commission, 2 keys) with 40 SWK from Alice; the liquid module with one operator
    (2 keys) and 40 SWK staked by Bob, 10 SWK of it wrapped; run until both validators are active and earning;
    then Alice queues half her pool shares and Bob 5 SWK of stSWK."""
    n = _open(tmp_path_factory.mktemp("modules-devnet"))
    n.run_slots(1)
    txs = [
        n.send(OPERATOR, RegisterPool(commission_bps=1000, keys=n.keys("pool", b"api-pool", 2))),
        n.send(ADMIN, AddOperator(address=LOP.address)),
    ]
    n.run_slots(1)
    txs += [
        n.send(ALICE, Deposit(pool_id=1, amount=40 * SWK)),
        n.send(LOP, SubmitKeys(keys=n.keys("liquid", b"api-liquid", 2))),
        n.send(BOB, LiquidStake(amount=40 * SWK)),
    ]
    n.run_slots(1)
    txs.append(n.send(BOB, Wrap(amount=10 * SWK)))
    n.run_slots(1)
    for tx in txs:
        n.included(tx)
    n.run_slots(18 * SPE)  # activation after finality, then rewards
    half = n.pools.pools[1].ledger.shares_of(ALICE.address) // 2
    txs = [
        n.send(ALICE, RequestWithdrawal(pool_id=1, shares=half)),
        n.send(BOB, LiquidRequestWithdrawal(amount=5 * SWK)),
    ]
    n.run_slots(1)
    for tx in txs:
        n.included(tx)
    yield n
    n.close()


def test_modules__every_registered_module_enabled_with_accounts_and_credentials(net: ModuleNode) -> None:
    rows = net.get("/v1/modules")
    assert [r["name"] for r in rows] == registry.names()
    assert {"pool", "liquid", "safety"} <= set(registry.names())
    state = net.view.chain.head_state
    for r in rows:
        assert r["address"] == to_hex(module_address(r["name"]))
        assert r["withdrawal_credentials"] == to_hex(module_withdrawal_credentials(r["name"]))
        assert r["withdrawal_credentials"].startswith("0x02")
        assert int(r["balance"]) == state.accounts.balance(module_address(r["name"]))
    pool = net.pools.pools[1]
    assert int(rows[0]["balance"]) == pool.buffer + pool.reserved
    assert int(rows[1]["balance"]) == net.liquid.buffer + net.liquid.reserved


def test_pool_view__figures_match_the_state_and_price_grew(net: ModuleNode) -> None:
    data = net.get("/v1/pools/1")
    module = net.pools
    pool = module.pools[1]
    assert data["id"] == "1" and data["operator"] == to_hex(OPERATOR.address) and data["commission_bps"] == "1000"
    assert int(data["total_assets"]) == pool.ledger.total_assets
    assert int(data["total_shares"]) == pool.ledger.total_shares
    assert int(data["price"]) == pq.share_price(module, 1) > SWK  # validators active, rewards in
    assert int(data["buffer"]) == pool.buffer and int(data["reserved"]) == pool.reserved
    assert data["validators"] == "1" and data["exiting"] == "0" and data["spare_keys"] == "1"
    per_year = epochs_per_year(DEVNET)
    assert data["epochs_per_year"] == str(per_year) and data["apr_epochs"] == "32"
    assert data["apr_bps"] == str(pq.apr_bps(module, 1, 32, per_year)) and int(data["apr_bps"]) > 0
    assert net.get("/v1/pools/1?epochs=4")["apr_bps"] == str(pq.apr_bps(module, 1, 4, per_year))
    queue = data["queue"]
    full = net.get("/v1/pools/1/queue?limit=1")
    assert {k: full[k] for k in queue} == queue
    assert queue["next_request_id"] == "2" and queue["reserved"] == queue["reserved_for_claims"]
    assert net.get("/v1/pools") == [data]


def test_pool_history__samples_and_prices(net: ModuleNode) -> None:
    history = net.pools.pools[1].history
    rows = net.get("/v1/pools/1/history")
    assert len(rows) == min(64, len(history)) and len(rows) > 8
    last = history[-1]
    assert rows[-1] == {
        "epoch": str(last.epoch),
        "total_assets": str(last.total_assets),
        "total_shares": str(last.total_shares),
        "price": str(last.total_assets * SWK // last.total_shares),
    }
    epochs = [int(r["epoch"]) for r in rows]
    assert epochs == sorted(epochs)
    assert len(net.get("/v1/pools/1/history?epochs=3")) == 3
    assert len(net.get("/v1/pools/1/history?epochs=100000")) == len(history)  # capped at the history kept
    assert int(rows[-1]["price"]) > int(rows[0]["price"])


def test_pool_queue_and_positions__after_a_withdrawal_request(net: ModuleNode) -> None:
    pool = net.pools.pools[1]
    request = pool.requests[1]
    queue = net.get("/v1/pools/1/queue")
    assert queue["next_request_id"] == "2" and queue["open_requests"] == "1"
    assert int(queue["queued_assets"]) == pool.queued_assets
    assert queue["requests"] == [
        {
            "id": "1",
            "owner": to_hex(ALICE.address),
            "shares": str(request.shares),
            "amount": str(request.amount),
            "epoch": str(request.epoch),
            "finalized": request.finalized,
            "paid": str(request.paid),
        }
    ]
    assert net.get("/v1/pools/1/queue?from=2")["requests"] == []
    alice = net.get(f"/v1/pools/1/positions/{to_hex(ALICE.address)}")
    shares, assets = pq.position(net.pools, 1, ALICE.address)
    assert alice == {
        "pool_id": "1",
        "address": to_hex(ALICE.address),
        "shares": str(shares),
        "assets": str(assets),
        "requests": queue["requests"],
    }
    assert shares > 0 and assets == shares * int(net.get("/v1/pools/1")["total_assets"]) // pool.ledger.total_shares
    operator = net.get(f"/v1/pools/1/positions/{to_hex(OPERATOR.address)}")
    assert int(operator["shares"]) > 0 and operator["requests"] == []  # commission, as shares
    nobody = net.get(f"/v1/pools/1/positions/0x{'77' * 20}")
    assert nobody["shares"] == "0" and nobody["assets"] == "0" and nobody["requests"] == []


def test_liquid_view__figures_match_the_state(net: ModuleNode) -> None:
    data = net.get("/v1/liquid")
    liquid = net.liquid
    assert data["admin"] == to_hex(ADMIN.address)
    assert (
        int(data["total_assets"]) == lq.total_pooled(liquid) and int(data["total_shares"]) == liquid.ledger.total_shares
    )
    assert int(data["price"]) == int(data["wst_rate"]) == lq.st_per_wrapped(liquid) > SWK
    assert int(data["wrapped_supply"]) == lq.wrapped_of(liquid, BOB.address) > 0
    assert int(data["buffer"]) == liquid.buffer and int(data["reserved"]) == liquid.reserved
    assert int(data["unrecognised"]) == liquid.unrecognised
    assert data["validators"] == "1" and data["exiting"] == "0"
    assert data["operators"] == [{"index": "0", "address": to_hex(LOP.address), "active": "1", "spare_keys": "1"}]
    assert data["fee_bps"] == str(liquid.fee_bps) and data["treasury_share_bps"] == str(liquid.treasury_share_bps)
    assert data["stake_limit"] is None  # the devnet sets no limit
    assert data["apr_bps"] == str(lq.apr_bps(liquid, 32, epochs_per_year(DEVNET))) and int(data["apr_bps"]) > 0
    assert data["queue"]["next_request_id"] == "2"
    history = net.get("/v1/liquid/history?epochs=5")
    assert len(history) == 5 and history[-1]["epoch"] == str(liquid.history[-1].epoch)
    assert history[-1]["price"] == str(lq.sample_price(liquid.history[-1]))
    assert len(net.get("/v1/liquid/history")) == min(64, len(liquid.history))


def test_liquid_accounts_queue_requests(net: ModuleNode) -> None:
    liquid = net.liquid
    bob = net.get(f"/v1/liquid/accounts/{to_hex(BOB.address)}")
    request = liquid.requests[1]
    as_json = {
        "id": "1",
        "owner": to_hex(BOB.address),
        "shares": str(request.shares),
        "amount": str(request.amount),
        "epoch": str(request.epoch),
        "finalized": request.finalized,
        "paid": str(request.paid),
    }
    assert bob == {
        "address": to_hex(BOB.address),
        "balance": str(lq.balance_of(liquid, BOB.address)),
        "shares": str(lq.shares_of(liquid, BOB.address)),
        "wrapped": str(lq.wrapped_of(liquid, BOB.address)),
        "requests": [as_json],
    }
    assert int(bob["balance"]) > 20 * SWK and 5 * SWK - 2 <= request.amount <= 5 * SWK  # Lido's rounding
    queue = net.get("/v1/liquid/queue")
    assert queue["requests"] == [as_json] and queue["open_requests"] == "1"
    assert int(queue["queued_assets"]) == liquid.queued_assets
    assert net.get("/v1/liquid/requests/1") == as_json
    assert "no liquid withdrawal request 2" in net.get("/v1/liquid/requests/2", 404)
    treasury = net.get(f"/v1/liquid/accounts/{to_hex(ADMIN.address)}")  # the treasury's fee shares
    assert int(treasury["shares"]) > 0 and treasury["requests"] == []


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/v1/pools/2", 404, "no pool 2"),
        ("/v1/pools/0/history", 404, "no pool 0"),
        ("/v1/pools/9/queue", 404, "no pool 9"),
        (f"/v1/pools/3/positions/0x{'11' * 20}", 404, "no pool 3"),
        ("/v1/pools/x", 400, "pool id"),
        ("/v1/pools/-1", 400, "pool id"),
        (f"/v1/pools/{2**64}", 400, "pool id"),
        ("/v1/pools/1?epochs=0", 400, "epochs"),
        ("/v1/pools/1/history?epochs=abc", 400, "epochs"),
        ("/v1/pools?epochs=-3", 400, "epochs"),
        ("/v1/pools/1/queue?limit=0", 400, "limit"),
        ("/v1/pools/1/queue?limit=1001", 400, "limit"),
        ("/v1/pools/1/queue?from=x", 400, "from"),
        ("/v1/pools/1/positions/0x1234", 400, "address"),
        ("/v1/pools/1/positions/alice", 400, "address"),
        ("/v1/liquid?epochs=1.5", 400, "epochs"),
        ("/v1/liquid/queue?limit=5000", 400, "limit"),
        ("/v1/liquid/accounts/0xzz", 400, "address"),
        ("/v1/liquid/requests/abc", 400, "request id"),
        ("/v1/liquid/requests/99", 404, "no liquid withdrawal request 99"),
    ],
)
def test_bad_ids_400_unknown_404(net: ModuleNode, path: str, status: int, says: str) -> None:
    assert says in net.get(path, status)


def test_claimed_request__404_says_claimed(tmp_path: Path) -> None:
    """A request is gone once claimed; the 404 says so. (State edited directly: claiming on the chain takes an
    exit through the churn, which the devnet test of the modules covers.)"""
    n = _open(tmp_path / "devnet")
    try:
        n.liquid.next_request_id = 3
        assert "was claimed" in n.get("/v1/liquid/requests/2", 404)
        assert "no liquid withdrawal request 3" in n.get("/v1/liquid/requests/3", 404)
        assert n.get("/v1/pools") == [] and n.get("/v1/liquid/queue")["requests"] == []
        assert n.get("/v1/liquid")["apr_bps"] is None and n.get("/v1/liquid/history") == []
    finally:
        n.close()


def test_modules_not_enabled__empty_list_and_404(tmp_path: Path) -> None:
    n = _open(tmp_path / "devnet", modules=False)
    try:
        assert n.get("/v1/modules") == []
        for path in ("/v1/pools", "/v1/pools/1", "/v1/pools/1/history", "/v1/pools/1/queue"):
            assert "pool module is not enabled" in n.get(path, 404)
        assert "pool module is not enabled" in n.get(f"/v1/pools/1/positions/0x{'11' * 20}", 404)
        for path in ("/v1/liquid", "/v1/liquid/history", "/v1/liquid/queue", "/v1/liquid/requests/1"):
            assert "liquid module is not enabled" in n.get(path, 404)
        assert "liquid module is not enabled" in n.get(f"/v1/liquid/accounts/0x{'11' * 20}", 404)
    finally:
        n.close()


def test_submit__module_refuses_the_message__400_with_the_module_reason(tmp_path: Path) -> None:
    """With nothing else pending from the sender, a module message is tried on the head state at submission."""
    n = _open(tmp_path / "devnet")
    try:
        n.run_slots(1)
        state = n.view.chain.head_state
        tx = sign_transaction(state, Transaction(ALICE.public_key, 0, 1000, Deposit(pool_id=9, amount=SWK)), ALICE)
        r = n.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
        assert r.status_code == 400 and "pool.deposit refused: no pool 9" in r.text
        assert len(n.view.mempool) == 0
    finally:
        n.close()


def test_submit__refused_later_by_the_block_producer__status_gives_the_module_reason(tmp_path: Path) -> None:
    """A message admitted behind a pending one (which might have made it valid) and refused when the block is
    built: its status says which rule refused it."""
    n = _open(tmp_path / "devnet")
    try:
        n.run_slots(1)
        first = n.send(OPERATOR, RegisterPool(commission_bps=0))
        doomed = n.send(OPERATOR, RequestWithdrawal(pool_id=1, shares=5))  # holds no shares
        n.run_slots(2)
        n.included(first)
        status = n.http.get(f"/v1/transactions/{doomed}").json()["data"]
        assert status["status"] == "rejected" and "pool.request_withdrawal" in status["reason"], status
        assert "holds 0 shares" in status["reason"], status
    finally:
        n.close()


def test_submit__unsigned_or_underpaid_module_message__refused_before_the_module_runs(tmp_path: Path) -> None:
    """The cheap checks (signature, size, fee) come before the dry run on the head state, so a forged or
    underpaid message never makes the node run a module handler."""
    n = _open(tmp_path / "devnet")
    try:
        n.run_slots(1)
        state = n.view.chain.head_state
        register = RegisterPool(commission_bps=0, keys=n.keys("pool", b"unsigned", 2))
        signed = sign_transaction(state, Transaction(ALICE.public_key, 0, 10**10, register), ALICE)
        forged = type(signed)(signed.transaction, bytes(64))
        r = n.http.post("/v1/transactions", json=to_json(forged), headers=AUTH)
        assert r.status_code == 400 and "bad signature" in r.text, r.text
        cheap = sign_transaction(state, Transaction(ALICE.public_key, 0, 1000, register), ALICE)
        r = n.http.post("/v1/transactions", json=to_json(cheap), headers=AUTH)
        assert r.status_code == 400 and "pool.register: fee 1000 Gwei is below" in r.text, r.text
        assert len(n.view.mempool) == 0
    finally:
        n.close()
