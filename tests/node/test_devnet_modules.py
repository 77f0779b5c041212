"""Both modules on a running (in-process) devnet: real blocks, real attestations by the modules' validators, the
withdrawal sweep paying exits into the module accounts. After every epoch the module invariants hold and each
module account holds exactly its buffer plus the payouts waiting to be claimed."""

from __future__ import annotations

from pathlib import Path

import pytest

from stakework.crypto.bls import SecretKey
from stakework.crypto.ed25519 import AccountKey, devnet_account_key
from stakework.modules.keys import MAX_KEYS_PER_MESSAGE
from stakework.modules.liquid import queries as liquid_queries
from stakework.modules.liquid.messages import (
    AddOperator,
    SubmitKeys,
    TransferWrapped,
    Unwrap,
    Wrap,
)
from stakework.modules.liquid.messages import Claim as LiquidClaim
from stakework.modules.liquid.messages import RequestWithdrawal as LiquidRequestWithdrawal
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import AddKeys, Claim, Deposit, RegisterPool, RequestWithdrawal
from stakework.modules.pool.queries import share_price
from stakework.modules.store import check_invariants
from stakework.node.chain import Chain
from stakework.node.devnet import DevnetConfig, SlotReport, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import Payload, Transaction, sign_transaction
from stakework.transition.modules import (
    ChainHost,
    module_address,
    module_message_min_fee,
    sign_module_key,
)

pytestmark = pytest.mark.e2e
SWK = 10**9
ADMIN, OPERATOR, ALICE, BOB = (devnet_account_key(i) for i in range(4))


class Devnet:
    """A devnet driven slot by slot; module validators' keys join the validator client once they exist."""

    def __init__(self, data: Path) -> None:
        self.chain: Chain
        self.client: ValidatorClient
        self.chain, self.client, _ = open_devnet(DevnetConfig(data, DEVNET, validators=16))
        self.mempool = Mempool()
        self.slot = 0
        self.module_keys: list[SecretKey] = []
        self.price_by_epoch: dict[int, int] = {}

    @property
    def head(self) -> BeaconState:
        return self.chain.head_state

    def send(self, key: AccountKey, payload: Payload) -> None:
        state = self.head
        nonce = state.accounts.nonce(key.address) + sum(
            1 for tx in self.mempool.pending() if tx.transaction.sender == key.public_key
        )
        tx = sign_transaction(state, Transaction(key.public_key, nonce, module_message_min_fee(payload), payload), key)
        self.mempool.add(tx, state)

    def run(self, slots: int) -> SlotReport:
        report = None
        for _ in range(slots):
            self.slot += 1
            report = run_slot(self.chain, self.client, self.slot, self.mempool)
            state = self.head
            known = set(self.client.pubkeys.values())
            for sk in self.module_keys:
                index = state.validators.index_of_pubkey(sk.public_key())
                if index is not None and sk.public_key() not in known:
                    self.client.add_key(int(index), sk)
            if self.slot % DEVNET.SLOTS_PER_EPOCH == 0:
                self.check(state)
        assert report is not None
        return report

    def check(self, state: BeaconState) -> None:
        assert check_invariants(state.modules, ChainHost(state)) == []
        pool, liquid = state.modules.pool, state.modules.liquid
        assert pool is not None and liquid is not None
        assert state.accounts.balance(module_address("pool")) == sum(p.buffer + p.reserved for p in pool.pools.values())
        assert state.accounts.balance(module_address("liquid")) == liquid.buffer + liquid.reserved

    def keys_for(self, module: str, seed: bytes, n: int) -> list:  # type: ignore[type-arg]
        secrets = [SecretKey.from_seed(seed + bytes([i]) + bytes(32)) for i in range(n)]
        self.module_keys += secrets
        return [sign_module_key(DEVNET, module, sk) for sk in secrets]


def test_pool_on_the_devnet__deposit_price_grows_withdraw_exit_claim(tmp_path: Path) -> None:
    net = Devnet(tmp_path)
    spe = DEVNET.SLOTS_PER_EPOCH
    net.send(OPERATOR, RegisterPool(commission_bps=1000, keys=net.keys_for("pool", b"pool-e2e", 2)))
    net.run(2)
    alice_start = net.head.accounts.balance(ALICE.address)
    net.send(ALICE, Deposit(pool_id=1, amount=40 * SWK))
    prices = []
    for _ in range(16):
        net.run(spe)
        pool = net.head.modules.pool
        assert pool is not None
        prices.append(share_price(pool, 1))
    # The validator activates after finality; from then on the share price rises every epoch.
    rising = prices[-4:]
    assert rising == sorted(rising) and rising[-1] > rising[0] > SWK - 1
    pool = net.head.modules.pool
    assert pool is not None and len(pool.pools[1].validators) == 1
    index = net.head.validators.index_of_pubkey(pool.pools[1].validators[0].pubkey)
    assert index is not None and int(net.head.validators.activation_epoch[index]) < net.head.current_epoch()
    assert pool.pools[1].ledger.shares_of(OPERATOR.address) > 0  # commission, as shares

    net.send(ALICE, RequestWithdrawal(pool_id=1, shares=pool.pools[1].ledger.shares_of(ALICE.address)))
    for _ in range(30):  # exit through the churn, withdrawability delay, then the sweep pays the module
        net.run(spe)
        pool = net.head.modules.pool
        assert pool is not None
        if pool.pools[1].requests[1].finalized:
            break
    request = pool.pools[1].requests[1]
    assert request.finalized and request.paid == request.amount > 40 * SWK - 1000
    assert pool.pools[1].validators == []
    net.send(ALICE, Claim(pool_id=1, request_id=1))
    net.run(2)
    assert net.head.accounts.balance(ALICE.address) == alice_start - 40 * SWK + request.paid - 3 * 1000  # three fees


def test_liquid_on_the_devnet__stake_wrap_transfer_unwrap_withdraw_claim(tmp_path: Path) -> None:
    net = Devnet(tmp_path)
    spe = DEVNET.SLOTS_PER_EPOCH
    net.send(ADMIN, AddOperator(address=OPERATOR.address))
    net.run(1)
    net.send(OPERATOR, SubmitKeys(keys=net.keys_for("liquid", b"liquid-e2e", 2)))
    net.send(ALICE, LiquidStake(amount=40 * SWK))
    net.run(1)
    net.send(ALICE, Wrap(amount=10 * SWK))
    net.run(1)
    liquid = net.head.modules.liquid
    assert liquid is not None
    wrapped = liquid_queries.wrapped_of(liquid, ALICE.address)
    assert 0 < wrapped <= 10 * SWK
    net.send(ALICE, TransferWrapped(to=BOB.address, amount=wrapped))
    net.run(1)
    net.send(BOB, Unwrap(amount=wrapped))
    net.run(spe)
    liquid = net.head.modules.liquid
    assert liquid is not None
    assert liquid_queries.wrapped_of(liquid, BOB.address) == 0
    assert liquid_queries.balance_of(liquid, BOB.address) >= 10 * SWK - 2  # Lido's 1-2 base-unit rounding
    assert len(liquid.validators) == 1

    for _ in range(14):  # activation, then rewards rebase stSWK
        net.run(spe)
    liquid = net.head.modules.liquid
    assert liquid is not None
    assert liquid_queries.balance_of(liquid, BOB.address) > 10 * SWK  # rebased upwards
    alice_st = liquid_queries.balance_of(liquid, ALICE.address)
    bob_start = net.head.accounts.balance(BOB.address)
    net.send(ALICE, LiquidRequestWithdrawal(amount=alice_st))
    net.run(1)
    liquid = net.head.modules.liquid
    assert liquid is not None
    bob_st = liquid_queries.balance_of(liquid, BOB.address)
    net.send(BOB, LiquidRequestWithdrawal(amount=bob_st))
    for _ in range(30):
        net.run(spe)
        liquid = net.head.modules.liquid
        assert liquid is not None
        if all(r.finalized for r in liquid.requests.values()):
            break
    assert [r.finalized for r in liquid.requests.values()] == [True, True]
    assert liquid.validators == []
    paid_bob = liquid.requests[2].paid
    net.send(BOB, LiquidClaim(request_id=2))
    net.send(ALICE, LiquidClaim(request_id=1))
    net.run(2)
    assert net.head.accounts.balance(BOB.address) == bob_start + paid_bob - 2 * 1000
    liquid = net.head.modules.liquid
    assert liquid is not None and liquid.requests == {} and liquid.reserved == 0


def test_proposer__more_keys_pending_than_a_block_takes__the_rest_waits_for_the_next_block(tmp_path: Path) -> None:
    net = Devnet(tmp_path)
    net.send(OPERATOR, RegisterPool(commission_bps=0))
    net.run(1)
    per = MAX_KEYS_PER_MESSAGE
    batches = DEVNET.MAX_MODULE_KEYS_PER_BLOCK // per + 1
    for b in range(batches):
        net.send(OPERATOR, AddKeys(pool_id=1, keys=net.keys_for("pool", b"batch%d" % b, per)))
    net.run(1)
    pool = net.head.modules.pool
    assert pool is not None and len(pool.pools[1].spare_keys) == DEVNET.MAX_MODULE_KEYS_PER_BLOCK // per * per
    assert len(net.mempool) == 1  # not dropped: valid, waiting
    net.run(1)
    pool = net.head.modules.pool
    assert pool is not None and len(pool.pools[1].spare_keys) == batches * per and len(net.mempool) == 0
