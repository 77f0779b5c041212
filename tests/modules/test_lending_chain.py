"""The lending module on the chain: registered and enabled on a devnet genesis, its messages through
``process_transaction``, its epoch hook through ``process_slots``, and the host services it reads built from the
registry by ``ChainHost``: the liquid module's ledger, the AMM's prices and the safety module's shortfall cover
(declared in ``safety/definition.py``'s ``services``)."""

from __future__ import annotations

import pytest

from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.lending import MODULE
from stakework.modules.lending.messages import Borrow, SetEmode, Supply
from stakework.modules.lending.protocols import amm_oracle_of, shortfall_cover_of, staked_of
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.safety.messages import AuthorizeSlasher
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.store import check_invariants
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Payload,
    Transaction,
    process_transaction,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import ChainHost, module_address, module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ADMIN, ALICE, BOB = devnet_account_key(0), devnet_account_key(2), devnet_account_key(3)


def _apply(state: BeaconState, key, payload: Payload) -> None:  # type: ignore[no-untyped-def]
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def _next_epoch(state: BeaconState) -> None:
    slot = int(state.slot)
    process_slots(state, (slot // DEVNET.SLOTS_PER_EPOCH + 1) * DEVNET.SLOTS_PER_EPOCH)


def test_devnet_genesis__lending_enabled__host_offers_the_services_it_reads() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    assert state.modules.get(MODULE) is not None
    host = ChainHost(state)
    assert staked_of(host) is not None and shortfall_cover_of(host) is not None
    assert amm_oracle_of(host) is not None  # the AMM's prices (no TWAP yet: the oracle falls back to the rate)


def test_on_chain__e_mode_loan__beyond_the_ltv_refused_then_deficit_covered_by_the_safety_module() -> None:
    """Alice supplies 100 SWK; Bob stakes 20 SWK for stSWK, supplies it in e-mode and borrows 18 SWK (18.7 would
    pass 93 %: refused, changing nothing). Then, as if a liquidation had left 5 SWK of bad debt, the market's deficit
    is 5 SWK: at the next epoch the lending module's hook asks the safety module (its governance authorised the
    module's account), whose SWK vault is slashed into the lending module's account, and the deficit is gone."""
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    lending_account = module_address(MODULE)
    _apply(state, ADMIN, SafetyStake(amount=100 * SWK))
    _apply(state, ADMIN, AuthorizeSlasher(address=lending_account))
    _apply(state, ALICE, Supply(amount=100 * SWK))
    _apply(state, BOB, LiquidStake(amount=20 * SWK))
    shares = state.modules.liquid.ledger.shares_of(BOB.address)
    _apply(state, BOB, Supply(market="stswk", amount=shares))
    _apply(state, BOB, SetEmode(enabled=True))
    root = state.modules.copy()
    with pytest.raises(InvalidTransaction, match="borrowing power"):
        _apply(state, BOB, Borrow(amount=shares * 93 // 100 + 1))
    assert state.modules == root
    _apply(state, BOB, Borrow(amount=18 * SWK))
    lending = state.modules.get(MODULE)
    assert state.accounts.balance(lending_account) == lending.swk.cash == 82 * SWK
    _next_epoch(state)
    assert check_invariants(state.modules, ChainHost(state)) == []

    lending.swk.deficit = 5 * SWK  # a test's shortcut for what a liquidation that ran out of collateral records
    staked = state.modules.safety.swk.ledger.total_assets
    _next_epoch(state)
    lending = state.modules.get(MODULE)
    assert lending.swk.deficit == 0 and lending.swk.covered_total == 5 * SWK
    assert state.modules.safety.swk.ledger.total_assets == staked - 5 * SWK
    assert state.accounts.balance(lending_account) == lending.swk.cash == 87 * SWK
