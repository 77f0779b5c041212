"""Modules on the chain: module transactions in process_transaction, the ChainHost over a real beacon state, the
epoch hook in process_slots, and the module store in the state root."""

from __future__ import annotations

import numpy as np
import pytest

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto.bls import SecretKey, devnet_secret_key
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.keys import MAX_KEYS_PER_MESSAGE, DepositKey
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.pool.messages import AddKeys, Deposit, RegisterPool, RequestWithdrawal
from stakework.modules.store import ModuleStore, canonical_store_bytes, check_invariants
from stakework.spec.constants import DOMAIN_DEPOSIT
from stakework.spec.presets import DEVNET
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.root import hash_state
from stakework.transition.block.deposit_request import process_deposit_request
from stakework.transition.block.operations import DepositRequest, Withdrawal
from stakework.transition.block.transaction import (
    InvalidTransaction,
    Payload,
    Transaction,
    least_fee,
    process_transaction,
    sign_transaction,
)
from stakework.transition.errors import InvalidOperation
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import (
    ChainHost,
    module_address,
    module_message_min_fee,
    module_withdrawal_credentials,
    record_module_withdrawals,
    sign_module_key,
)
from stakework.transition.state_transition import process_slots
from support.chain import build_block

SWK = 10**9
OPERATOR, ALICE = devnet_account_key(1), devnet_account_key(2)
POOL_KEYS = [SecretKey.from_seed(b"test-pool-key-%d" % i + bytes(32)) for i in range(3)]


def _genesis(*, modules: bool = True) -> BeaconState:
    return devnet_genesis(DEVNET, 16, funded_accounts=4, modules=modules)


def _supply(state: BeaconState) -> int:
    return (
        int(state.validators.balances.sum(dtype=np.uint64))
        + state.accounts.total()
        + sum(d.amount for d in state.pending_deposits)
    )


def _apply(state: BeaconState, key, payload: Payload, fee: int | None = None) -> None:  # type: ignore[no-untyped-def]
    fee = module_message_min_fee(payload) if fee is None else fee
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), fee, payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def _pool_keys(n: int) -> list[DepositKey]:
    return [sign_module_key(DEVNET, "pool", sk) for sk in POOL_KEYS[:n]]


def test_module_address__per_module__distinct_and_credentials_are_compounding_to_it() -> None:
    assert module_address("pool") != module_address("liquid")
    creds = module_withdrawal_credentials("pool")
    assert creds[0] == 0x02 and creds[1:12] == bytes(11) and creds[12:] == module_address("pool")


def test_deposit_transaction__moves_money_into_the_module_account_and_mints_shares() -> None:
    state = _genesis()
    _apply(state, OPERATOR, RegisterPool(commission_bps=500, keys=_pool_keys(2)))
    before = _supply(state)
    alice_before = state.accounts.balance(ALICE.address)
    _apply(state, ALICE, Deposit(pool_id=1, amount=40 * SWK), fee=1007)
    assert state.accounts.balance(module_address("pool")) == 40 * SWK
    assert state.accounts.balance(ALICE.address) == alice_before - 40 * SWK - 1007
    assert state.accounts.nonce(ALICE.address) == 1
    assert state.modules.pool is not None
    assert state.modules.pool.pools[1].ledger.shares_of(ALICE.address) > 0
    assert _supply(state) == before  # the fee went to the proposer's account: nothing created or lost


def test_refused_module_message__transaction_invalid__nothing_changes_not_even_the_fee() -> None:
    state = _genesis()
    root = hash_state(state)
    with pytest.raises(InvalidTransaction, match=r"pool\.deposit: no pool 9"):
        _apply(state, ALICE, Deposit(pool_id=9, amount=SWK))
    with pytest.raises(InvalidTransaction, match=r"pool\.request_withdrawal"):
        _apply(state, ALICE, RequestWithdrawal(pool_id=9, shares=1))
    assert hash_state(state) == root


def test_module_message__module_not_enabled__refused_with_reason() -> None:
    state = _genesis(modules=False)
    with pytest.raises(InvalidTransaction, match="liquid module is not enabled"):
        _apply(state, ALICE, LiquidStake(amount=SWK))


def test_register__key_signed_for_other_credentials_or_by_another_key__refused() -> None:
    state = _genesis()
    good = _pool_keys(1)[0]
    for_liquid = sign_module_key(DEVNET, "liquid", POOL_KEYS[0])
    wrong_signer = DepositKey(pubkey=good.pubkey, signature=sign_module_key(DEVNET, "pool", POOL_KEYS[1]).signature)
    for bad in (for_liquid, wrong_signer):
        with pytest.raises(InvalidTransaction, match="deposit signature does not verify"):
            _apply(state, OPERATOR, RegisterPool(commission_bps=0, keys=[bad]))
    _apply(state, OPERATOR, RegisterPool(commission_bps=0, keys=[good]))


def test_epoch_hook__full_buffer__staked_as_a_pending_deposit_the_host_counts() -> None:
    state = _genesis()
    _apply(state, OPERATOR, RegisterPool(commission_bps=0, keys=_pool_keys(2)))
    _apply(state, ALICE, Deposit(pool_id=1, amount=40 * SWK))
    process_slots(state, DEVNET.SLOTS_PER_EPOCH)  # through the first epoch boundary
    deposits = [d for d in state.pending_deposits if d.pubkey == POOL_KEYS[0].public_key()]
    assert [(d.amount, d.withdrawal_credentials) for d in deposits] == [
        (32 * SWK, module_withdrawal_credentials("pool"))
    ]
    assert state.accounts.balance(module_address("pool")) == 8 * SWK
    host = ChainHost(state)
    assert host.validator_balance(POOL_KEYS[0].public_key()) == 32 * SWK
    assert check_invariants(state.modules, host) == []


def test_stake__key_already_a_validator_or_pending__refused_and_nothing_moves() -> None:
    state = _genesis()
    state.accounts.credit(module_address("pool"), 64 * SWK)
    host = ChainHost(state)
    taken = sign_module_key(DEVNET, "pool", devnet_secret_key(3))  # validator 3 exists already
    assert host.stake("pool", taken, 32 * SWK) is False
    fresh = _pool_keys(1)[0]
    assert host.stake("pool", fresh, 32 * SWK) is True
    assert host.stake("pool", fresh, 32 * SWK) is False  # now pending
    assert state.accounts.balance(module_address("pool")) == 32 * SWK


def test_request_exit__too_young__ignored_then_exits_after_shard_committee_period() -> None:
    state = _genesis()
    state.validators.withdrawal_credentials[5] = np.frombuffer(module_withdrawal_credentials("pool"), np.uint8)
    pubkey = state.validators.pubkey[5].tobytes()
    host = ChainHost(state)
    host.request_exit("pool", pubkey)
    assert int(state.validators.exit_epoch[5]) == FAR_FUTURE_EPOCH
    host.request_exit("liquid", pubkey)  # not the address in the credentials: ignored as well
    process_slots(state, DEVNET.SHARD_COMMITTEE_PERIOD * DEVNET.SLOTS_PER_EPOCH)
    ChainHost(state).request_exit("liquid", pubkey)
    assert int(state.validators.exit_epoch[5]) == FAR_FUTURE_EPOCH
    ChainHost(state).request_exit("pool", pubkey)
    assert int(state.validators.exit_epoch[5]) != FAR_FUTURE_EPOCH
    assert ChainHost(state).is_slashed(pubkey) is False


def test_state_root__covers_module_state__and_a_chain_without_modules_keeps_its_root() -> None:
    plain, with_modules = _genesis(modules=False), _genesis()
    assert hash_state(plain) != hash_state(with_modules)
    emptied = with_modules.copy()
    emptied.modules = ModuleStore()
    assert hash_state(emptied) == hash_state(plain)
    before = hash_state(with_modules)
    _apply(with_modules, OPERATOR, RegisterPool(commission_bps=0))
    assert hash_state(with_modules) != before


def test_canonical_store_bytes__same_content_inserted_in_another_order__same_bytes() -> None:
    a, b = _genesis(), _genesis()
    assert a.modules.pool is not None and b.modules.pool is not None
    a.modules.pool.key_owner = {b"\x01" * 48: 1, b"\x02" * 48: 2}
    b.modules.pool.key_owner = {b"\x02" * 48: 2, b"\x01" * 48: 1}
    assert canonical_store_bytes(a.modules) == canonical_store_bytes(b.modules)
    assert hash_state(a) == hash_state(b)


def test_state_copy__module_state__not_shared() -> None:
    state = _genesis()
    copy = state.copy()
    _apply(copy, OPERATOR, RegisterPool(commission_bps=0))
    assert state.modules.pool is not None and state.modules.pool.pools == {}


def test_epoch_hook__module_validator_penalised_to_nothing__a_loss_not_a_phantom_withdrawal() -> None:
    """A correlated slashing can take a validator's whole balance: it reads 0 without anything landing in the
    module's account. The module books the loss; its buffer does not grow (found by the chain state machine)."""
    state = _genesis()
    _apply(state, OPERATOR, RegisterPool(commission_bps=0, keys=_pool_keys(1)))
    _apply(state, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    process_slots(state, DEVNET.SLOTS_PER_EPOCH)
    pool = state.modules.pool
    assert pool is not None and len(pool.pools[1].validators) == 1
    state.pending_deposits = []  # the deposit's 32 SWK gone: as if applied and then slashed to nothing
    process_slots(state, 2 * DEVNET.SLOTS_PER_EPOCH)
    assert pool.pools[1].validators == [] and pool.pools[1].buffer == 0
    assert pool.pools[1].ledger.total_assets == 0
    assert check_invariants(state.modules, ChainHost(state)) == []


def test_withdrawal_into_a_module_account__noted_against_the_validator_until_the_module_takes_it() -> None:
    state = _genesis()
    index = 5
    state.validators.withdrawal_credentials[index] = np.frombuffer(module_withdrawal_credentials("liquid"), np.uint8)
    pubkey = state.validators.pubkey[index].tobytes()
    withdrawal = Withdrawal(0, index, module_address("liquid"), 7 * SWK)
    state.validators.balances[index] -= 7 * SWK  # what process_withdrawals does before crediting
    state.accounts.credit(module_address("liquid"), 7 * SWK)
    record_module_withdrawals(state, [withdrawal])
    record_module_withdrawals(state, [Withdrawal(1, 6, devnet_account_key(0).address, SWK)])  # not a module's
    assert state.modules.withdrawn == {pubkey: 7 * SWK}
    host = ChainHost(state)
    assert host.take_withdrawals(pubkey) == 7 * SWK
    assert host.take_withdrawals(pubkey) == 0


def test_fee__chain_on_a_custom_preset__the_presets_module_fees_apply() -> None:
    preset = DEVNET.replace(PRESET_NAME="dear", MODULE_MIN_FEE=5_000, MODULE_KEY_FEE=7, POOL_REGISTRATION_FEE=3 * SWK)
    state = devnet_genesis(preset, 16, funded_accounts=4, modules=True)
    register = RegisterPool(commission_bps=0, keys=[sign_module_key(preset, "pool", POOL_KEYS[0])])
    least = module_message_min_fee(register, preset)
    assert least == 5_000 + 7 + 3 * SWK
    assert least_fee(Deposit(pool_id=1, amount=SWK), preset) == 5_000
    with pytest.raises(InvalidTransaction, match=f"pays at least {least}"):
        _apply(state, OPERATOR, register, fee=module_message_min_fee(register))  # the built-in presets' fee
    _apply(state, OPERATOR, register, fee=least)
    assert state.modules.pool is not None and 1 in state.modules.pool.pools


def test_fee__below_what_the_message_pays__refused_nothing_changes() -> None:
    state = _genesis()
    root = hash_state(state)
    register = RegisterPool(commission_bps=0, keys=_pool_keys(2))
    least = module_message_min_fee(register)
    assert least == DEVNET.MODULE_MIN_FEE + 2 * DEVNET.MODULE_KEY_FEE + DEVNET.POOL_REGISTRATION_FEE
    with pytest.raises(InvalidTransaction, match=r"pool\.register: the fee is .* pays at least"):
        _apply(state, OPERATOR, register, fee=least - 1)
    with pytest.raises(InvalidTransaction, match="pays at least 1000"):
        _apply(state, ALICE, Deposit(pool_id=1, amount=SWK), fee=0)
    assert hash_state(state) == root
    _apply(state, OPERATOR, register, fee=least)


def test_keys__more_than_a_message_may_carry__refused() -> None:
    state = _genesis()
    keys = [DepositKey(pubkey=bytes([i]) * 48, signature=bytes(96)) for i in range(MAX_KEYS_PER_MESSAGE + 1)]
    with pytest.raises(InvalidTransaction, match=f"at most {MAX_KEYS_PER_MESSAGE} keys"):
        _apply(state, OPERATOR, RegisterPool(commission_bps=0, keys=keys))


def test_stake__a_strangers_badly_signed_deposit_for_the_key__does_not_make_the_module_give_it_up() -> None:
    """Anyone can queue a 1 SWK deposit for a public key with a bad signature (it is dropped when processed); only
    a deposit whose signature verifies (made with the secret key) can take the key."""
    state = _genesis()
    state.accounts.credit(module_address("pool"), 64 * SWK)
    key = _pool_keys(1)[0]
    stranger_creds = b"\x01" + bytes(11) + b"\x99" * 20
    process_deposit_request(state, DepositRequest(key.pubkey, stranger_creds, SWK, bytes(96), 0))
    assert ChainHost(state).stake("pool", key, 32 * SWK) is True
    other = sign_module_key(DEVNET, "pool", POOL_KEYS[1])
    secret = POOL_KEYS[1]
    root = deposit_message_root(other.pubkey, stranger_creds, SWK)
    signature = secret.sign(compute_signing_root(root, compute_domain(DOMAIN_DEPOSIT, DEVNET.GENESIS_FORK_VERSION)))
    process_deposit_request(state, DepositRequest(other.pubkey, stranger_creds, SWK, signature, 0))
    assert ChainHost(state).stake("pool", other, 32 * SWK) is False  # the operator's own key, deposited elsewhere


def _key_batches(batches: int) -> list[list[DepositKey]]:
    secrets = [SecretKey.from_seed(b"batch-key-%d" % i + bytes(32)) for i in range(batches * MAX_KEYS_PER_MESSAGE)]
    keys = [sign_module_key(DEVNET, "pool", sk) for sk in secrets]
    return [keys[i : i + MAX_KEYS_PER_MESSAGE] for i in range(0, len(keys), MAX_KEYS_PER_MESSAGE)]


def test_block__more_module_keys_than_the_block_limit__invalid() -> None:
    state = _genesis()
    _apply(state, OPERATOR, RegisterPool(commission_bps=0))
    batches = _key_batches(DEVNET.MAX_MODULE_KEYS_PER_BLOCK // MAX_KEYS_PER_MESSAGE + 1)
    txs = []
    for nonce, keys in enumerate(batches, start=state.accounts.nonce(OPERATOR.address)):
        payload = AddKeys(pool_id=1, keys=keys)
        tx = Transaction(OPERATOR.public_key, nonce, module_message_min_fee(payload), payload)
        txs.append(sign_transaction(state, tx, OPERATOR))
    with pytest.raises(InvalidOperation, match=f"over the limit {DEVNET.MAX_MODULE_KEYS_PER_BLOCK}"):
        build_block(state, 1, transactions=txs)
    build_block(state, 1, transactions=txs[:-1])  # at the limit: valid
