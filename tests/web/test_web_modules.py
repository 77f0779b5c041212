"""The module pages on a chain where the modules are used: a pool with a deposit and a withdrawal request, the
liquid module with a stake, a wrap and a request; the pages show the figures the API gives, the charts, the queues
and every holder's positions on the account page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from web_support import WebNode

from stakework.api.schemas.encoding import to_json
from stakework.crypto.bls import SecretKey
from stakework.crypto.ed25519 import AccountKey, devnet_account_key
from stakework.modules.liquid.messages import AddOperator, SubmitKeys, Wrap
from stakework.modules.liquid.messages import RequestWithdrawal as LiquidRequestWithdrawal
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Deposit, RegisterPool, RequestWithdrawal
from stakework.node.devnet import run_slot
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Transaction, sign_transaction
from stakework.transition.modules import module_message_min_fee, sign_module_key

SWK = 10**9
ADMIN, OPERATOR, ALICE, BOB, LOP = (devnet_account_key(i) for i in range(5))
AUTH = {"Authorization": "Bearer test-token"}


class ModuleChain:
    """The web fixture's chain, driven with module transactions; module validators' keys join the client."""

    def __init__(self, node: WebNode) -> None:
        self.node = node
        self.keys_: list[SecretKey] = []

    def run(self, n: int) -> None:
        view = self.node.view
        for _ in range(n):
            self.node.slot += 1
            with view.lock:
                run_slot(view.chain, self.node.client, self.node.slot, view.mempool)
                state = view.chain.head_state
                known = set(self.node.client.pubkeys.values())
                for sk in self.keys_:
                    index = state.validators.index_of_pubkey(sk.public_key())
                    if index is not None and sk.public_key() not in known:
                        self.node.client.add_key(int(index), sk)
            view.on_slot(self.node.slot)

    def send(self, key: AccountKey, payload: Any) -> None:
        view = self.node.view
        state = view.chain.head_state
        nonce = state.accounts.nonce(key.address) + sum(
            1 for tx in view.mempool.pending() if tx.transaction.sender == key.public_key
        )
        tx = sign_transaction(state, Transaction(key.public_key, nonce, module_message_min_fee(payload), payload), key)
        r = self.node.http.post("/v1/transactions", json=to_json(tx), headers=AUTH)
        assert r.status_code == 200, r.text

    def keys(self, module: str, seed: bytes, n: int) -> list[Any]:
        secrets = [SecretKey.from_seed(seed + bytes([i]) + bytes(32)) for i in range(n)]
        self.keys_ += secrets
        return [sign_module_key(DEVNET, module, sk) for sk in secrets]


@pytest.fixture(scope="module")
def used(web: WebNode) -> Iterator[WebNode]:
    chain = ModuleChain(web)
    chain.send(OPERATOR, RegisterPool(commission_bps=1000, keys=chain.keys("pool", b"web-pool", 2)))
    chain.send(ADMIN, AddOperator(address=LOP.address))
    chain.run(1)
    chain.send(ALICE, Deposit(pool_id=1, amount=40 * SWK))
    chain.send(LOP, SubmitKeys(keys=chain.keys("liquid", b"web-liquid", 2)))
    chain.send(BOB, LiquidStake(amount=40 * SWK))
    chain.run(1)
    chain.send(BOB, Wrap(amount=10 * SWK))
    chain.run(18 * DEVNET.SLOTS_PER_EPOCH)  # activation after finality, then rewards
    pools = web.view.chain.head_state.modules.pool
    assert pools is not None
    chain.send(ALICE, RequestWithdrawal(pool_id=1, shares=pools.pools[1].ledger.shares_of(ALICE.address) // 2))
    chain.send(BOB, LiquidRequestWithdrawal(amount=5 * SWK))
    chain.run(2)
    yield web


def _text(node: WebNode, path: str) -> str:
    r = node.http.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[-400:])
    return html.unescape(r.text)


def test_pool_pages__deposit_and_request__figures_charts_and_queue_as_the_api(used: WebNode) -> None:
    api = used.http.get("/v1/pools/1").json()["data"]
    listing = _text(used, "/modules/pool")
    assert 'href="/modules/pool/1"' in listing and f"{int(api['price']) / 10**9:.9f}" in listing
    page = _text(used, "/modules/pool/1")
    assert page.count('<svg class="chart"') == 2  # price and APR per epoch
    assert f"{int(api['price']) / 10**9:.9f}" in page and api["apr_bps"] is not None
    queue = used.http.get("/v1/pools/1/queue").json()["data"]
    assert queue["requests"] and f">{queue['requests'][0]['id']}<" in page
    alice = _text(used, f"/accounts/0x{ALICE.address.hex()}")
    assert "Pool 1" in alice and "shares" in alice and f"#{queue['requests'][0]['id']}" in alice


def test_liquid_page__stake_wrap_request__figures_and_positions_as_the_api(used: WebNode) -> None:
    api = used.http.get("/v1/liquid").json()["data"]
    page = _text(used, "/modules/liquid")
    pooled = int(api["total_assets"])
    assert f"{pooled // 10**9:,}.{pooled % 10**9:09d} SWK" in page
    assert page.count('<svg class="chart"') == 2 and "apr_bps" in api
    bob_api = used.http.get(f"/v1/liquid/accounts/0x{BOB.address.hex()}").json()["data"]
    bob = _text(used, f"/accounts/0x{BOB.address.hex()}")
    st, wst = int(bob_api["balance"]), int(bob_api["wrapped"])
    assert f"{st // 10**9:,}.{st % 10**9:09d} stSWK" in bob
    assert f"{wst // 10**9:,}.{wst % 10**9:09d} wstSWK" in bob
    request = bob_api["requests"][0]
    amount = int(request["amount"])
    assert 4 * SWK < amount <= 5 * SWK  # 5 SWK of stSWK asked for, rounded down
    assert f"#{request['id']}: {amount // 10**9:,}.{amount % 10**9:09d}"[:-5] + " SWK" in bob
    kinds = re.findall(r"<td>(Stake|Wrap|RequestWithdrawal)</td>", bob)
    assert sorted(kinds) == ["RequestWithdrawal", "Stake", "Wrap"]  # all Bob sent, the first blocks from the store
