"""The modules over the real chain state, at random: a hypothesis state machine drives pool and liquid
transactions through process_transaction, advances slots through process_slots (epoch processing, then the
modules' epoch hooks) and the withdrawal sweep, finalizes (a test shortcut standing in for attestations, so that
validators activate), and slashes module validators with the spec's slash_validator. It checks the host contract
where the FakeHost tests cannot: that ChainHost over a real BeaconState keeps what the modules rely on.

After every step: every module invariant holds; each module's account holds exactly its buffer plus the payouts
awaiting claims plus withdrawals the sweep paid since the module's last epoch hook; a transaction step creates and
destroys no SWK (accounts + validator balances + pending deposits); a refused transaction changes nothing at all
(same state root).
"""

from __future__ import annotations

import numpy as np
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from stakework.crypto.bls import SecretKey
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.liquid.messages import (
    AddOperator,
    SubmitKeys,
    Unwrap,
    Wrap,
)
from stakework.modules.liquid.messages import Claim as LiquidClaim
from stakework.modules.liquid.messages import RequestWithdrawal as LiquidRequest
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import Claim, Deposit, RegisterPool, RequestWithdrawal
from stakework.modules.store import check_invariants
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint
from stakework.state.root import hash_state
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Payload,
    Transaction,
    process_transaction,
    sign_transaction,
)
from stakework.transition.block.withdrawals import get_expected_withdrawals
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import ChainHost, module_address, module_message_min_fee, sign_module_key
from stakework.transition.mutators import slash_validator
from stakework.transition.state_transition import process_slots, process_withdrawals_to_accounts

SWK = 10**9
ADMIN, OPERATOR = devnet_account_key(0), devnet_account_key(1)
HOLDERS = [devnet_account_key(i) for i in range(2, 5)]
_SECRETS = [SecretKey.from_seed(b"stateful-module-key-%d" % i + bytes(32)) for i in range(24)]
POOL_KEYS = [sign_module_key(DEVNET, "pool", sk) for sk in _SECRETS[:12]]
LIQUID_KEYS = [sign_module_key(DEVNET, "liquid", sk) for sk in _SECRETS[12:]]
_GENESIS: list[BeaconState] = []


def _genesis() -> BeaconState:
    if not _GENESIS:
        state = devnet_genesis(DEVNET, 16, funded_accounts=5, modules=True)
        for key, payload in [
            (OPERATOR, RegisterPool(commission_bps=1000, keys=POOL_KEYS)),
            (ADMIN, AddOperator(address=OPERATOR.address)),
            (OPERATOR, SubmitKeys(keys=LIQUID_KEYS)),
        ]:
            tx = Transaction(
                key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload
            )
            process_transaction(state, sign_transaction(state, tx, key), 0)
        _GENESIS.append(state)
        warm = state.copy()  # both modules with active validators (10 epochs, finalizing)
        for key, payload in [
            (HOLDERS[0], Deposit(pool_id=1, amount=70 * SWK)),
            (HOLDERS[1], LiquidStake(amount=70 * SWK)),
        ]:
            tx = Transaction(key.public_key, warm.accounts.nonce(key.address), module_message_min_fee(payload), payload)
            process_transaction(warm, sign_transaction(warm, tx, key), 0)
        _advance(warm, 10, finalize=True)
        _GENESIS.append(warm)
    return _GENESIS[0].copy()


def _warm() -> BeaconState:
    _genesis()
    return _GENESIS[1].copy()


def _advance(state: BeaconState, epochs: int, *, finalize: bool) -> None:
    """Run slots (epoch processing and the module hooks at each boundary) with the withdrawal sweep of an empty
    block at every slot; `finalize` stands in for attestations so that the activation queue moves."""
    spe = DEVNET.SLOTS_PER_EPOCH
    for _ in range(epochs * spe):
        process_slots(state, state.slot + 1)
        process_withdrawals_to_accounts(state, get_expected_withdrawals(state).withdrawals)
        if finalize and state.slot % spe == 0:
            state.finalized_checkpoint = Checkpoint(max(state.current_epoch() - 1, 0), b"\x00" * 32)
    return _GENESIS[0].copy()


def _supply(state: BeaconState) -> int:
    return (
        int(state.validators.balances.sum(dtype=np.uint64))
        + state.accounts.total()
        + sum(d.amount for d in state.pending_deposits)
    )


holder = st.sampled_from(range(len(HOLDERS)))
amount = st.one_of(st.integers(1, 3 * SWK), st.integers(SWK, 70 * SWK), st.just(32 * SWK))
fraction = st.fractions(0, 1)


class ChainModulesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = _genesis()

    @initialize(warm=st.booleans())
    def start(self, warm: bool) -> None:
        """From genesis, or from a state where both modules already run active validators."""
        if warm:
            self.state = _warm()

    def _send(self, who: int, payload: Payload) -> bool:
        """Apply one transaction; a refusal must leave the state exactly as it was."""
        key = HOLDERS[who]
        state = self.state
        tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
        signed = sign_transaction(state, tx, key)
        root, supply = hash_state(state), _supply(state)
        try:
            process_transaction(state, signed, proposer_index=0, verify_signature=False)
        except InvalidTransaction:
            assert hash_state(state) == root, "a refused transaction changed the state"
            event(f"refused {type(payload).__name__}")
            return False
        assert _supply(state) == supply, "a module transaction created or destroyed SWK"
        event(f"applied {type(payload).__name__}")
        return True

    # -- pool ---------------------------------------------------------------------------------------------------
    @rule(who=holder, value=amount)
    def pool_deposit(self, who: int, value: int) -> None:
        self._send(who, Deposit(pool_id=1, amount=value))

    @rule(who=holder, part=fraction)
    def pool_request(self, who: int, part: object) -> None:
        pool = self.state.modules.pool
        assert pool is not None
        shares = int(pool.pools[1].ledger.shares_of(HOLDERS[who].address) * part)  # type: ignore[operator]
        self._send(who, RequestWithdrawal(pool_id=1, shares=shares))

    @rule(data=st.data())
    def pool_claim(self, data: st.DataObject) -> None:
        pool = self.state.modules.pool
        assert pool is not None
        ready = [r for r in pool.pools[1].requests.values() if r.finalized]
        if ready:
            r = data.draw(st.sampled_from(ready))
            who = next(i for i, k in enumerate(HOLDERS) if k.address == r.owner)
            assert self._send(who, Claim(pool_id=1, request_id=r.id))

    # -- liquid -------------------------------------------------------------------------------------------------
    @rule(who=holder, value=amount)
    def liquid_stake(self, who: int, value: int) -> None:
        self._send(who, LiquidStake(amount=value))

    @rule(who=holder, value=amount)
    def liquid_wrap(self, who: int, value: int) -> None:
        self._send(who, Wrap(amount=value))

    @rule(who=holder, value=amount)
    def liquid_unwrap(self, who: int, value: int) -> None:
        self._send(who, Unwrap(amount=value))

    @rule(who=holder, value=amount)
    def liquid_request(self, who: int, value: int) -> None:
        self._send(who, LiquidRequest(amount=value))

    @rule(data=st.data())
    def liquid_claim(self, data: st.DataObject) -> None:
        liquid = self.state.modules.liquid
        assert liquid is not None
        ready = [r for r in liquid.requests.values() if r.finalized]
        if ready:
            r = data.draw(st.sampled_from(ready))
            who = next(i for i, k in enumerate(HOLDERS) if k.address == r.owner)
            assert self._send(who, LiquidClaim(request_id=r.id))

    # -- the chain ----------------------------------------------------------------------------------------------
    @rule(epochs=st.integers(1, 8), finalize=st.booleans() | st.just(True))
    def advance(self, epochs: int, finalize: bool) -> None:
        _advance(self.state, epochs, finalize=finalize)
        if any(self._module_validators(exiting_only=True)):
            event("a module validator is exiting")
        pool, liquid = self.state.modules.pool, self.state.modules.liquid
        assert pool is not None and liquid is not None
        if any(r.finalized for r in [*pool.pools[1].requests.values(), *liquid.requests.values()]):
            event("a request was finalized")
        if any(
            int(self.state.validators.withdrawable_epoch[i]) <= self.state.current_epoch()
            for i in self._module_validators()
        ):
            event("a module validator is withdrawable")

    def _module_validators(self, *, exiting_only: bool = False) -> list[int]:
        pool, liquid = self.state.modules.pool, self.state.modules.liquid
        assert pool is not None and liquid is not None
        keys = [v.pubkey for v in pool.pools[1].validators if v.exiting or not exiting_only]
        keys += [v.pubkey for v in liquid.validators if v.exiting or not exiting_only]
        found = [self.state.validators.index_of_pubkey(k) for k in keys]
        return [int(i) for i in found if i is not None]

    @precondition(lambda self: bool(self._module_validators()))
    @rule(data=st.data())
    def slash(self, data: st.DataObject) -> None:
        index = data.draw(st.sampled_from(self._module_validators()))
        v = self.state.validators
        epoch = self.state.current_epoch()
        if not v.slashed[index] and int(v.activation_epoch[index]) <= epoch < int(v.withdrawable_epoch[index]):
            slash_validator(self.state, index)
            event("slashed a module validator")

    # -- invariants ---------------------------------------------------------------------------------------------
    @invariant()
    def module_invariants_hold(self) -> None:
        assert check_invariants(self.state.modules, ChainHost(self.state)) == []

    @invariant()
    def module_accounts_hold_exactly_buffer_payouts_and_landed_withdrawals(self) -> None:
        """Between the sweep that pays a withdrawn validator and the module's next epoch hook, what it paid sits
        in the module's account, noted against the validator, until the module takes it into its buffer."""
        pool, liquid = self.state.modules.pool, self.state.modules.liquid
        assert pool is not None and liquid is not None
        accounts = self.state.accounts

        def landed(validators: list) -> int:  # type: ignore[type-arg]
            return sum(self.state.modules.withdrawn.get(v.pubkey, 0) for v in validators)

        expected_pool = sum(p.buffer + p.reserved + landed(p.validators) for p in pool.pools.values())
        assert accounts.balance(module_address("pool")) == expected_pool
        expected_liquid = liquid.buffer + liquid.reserved + landed(liquid.validators)
        assert accounts.balance(module_address("liquid")) == expected_liquid


ChainModulesMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=60, deadline=None)
test_modules_on_the_chain_random_histories = ChainModulesMachine.TestCase
