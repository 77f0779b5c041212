"""Pool rules, one scenario each: deposits, staking from the buffer, rewards and commission, penalties and
slashing, the FIFO withdrawal queue paid from the buffer and from exits, claims."""

from __future__ import annotations

import pytest

from stakework.modules.keys import DepositKey
from stakework.modules.pool import MODULE
from stakework.modules.pool.epoch import on_epoch
from stakework.modules.pool.errors import (
    AboveMaximum,
    BelowMinimum,
    DuplicateKey,
    InsufficientShares,
    NotAuthorized,
    NotReady,
    UnknownEntity,
)
from stakework.modules.pool.handlers import dispatch
from stakework.modules.pool.invariants import check
from stakework.modules.pool.messages import (
    AddKeys,
    Claim,
    Deposit,
    RegisterPool,
    RequestWithdrawal,
    SetCommission,
    TransferShares,
)
from stakework.modules.pool.queries import apr_bps, pool_view, position, queue_state, share_price
from stakework.modules.pool.state import PoolModuleState, new_state
from stakework.modules.shares import DEFAULT_DEAD_SHARES
from stakework.modules.testing import BAD_SIGNATURE, FakeHost, deposit_keys
from stakework.spec.presets import get_preset

SWK = 10**9
OP, ALICE, BOB = b"o" * 20, b"a" * 20, b"b" * 20
KEYS = [bytes([i]) * 48 for i in range(1, 9)]


def setup(commission_bps: int = 1000, keys: int = 4) -> tuple[PoolModuleState, FakeHost]:
    state = new_state(get_preset("minimal"))
    host = FakeHost(exit_delay=2)
    for who in (OP, ALICE, BOB):
        host.fund(who, 1000 * SWK)
    dispatch(state, host, OP, RegisterPool(commission_bps=commission_bps, keys=deposit_keys(KEYS[:keys])))
    return state, host


def epoch(state: PoolModuleState, host: FakeHost, rewards: dict[bytes, int] | None = None) -> None:
    host.advance_epoch(rewards)
    on_epoch(state, host)
    assert check(state, host) == []
    pools_hold = sum(p.buffer + p.reserved for p in state.pools.values())
    assert host.balance(host.module_address(MODULE)) == pools_hold


def test_register_refuses_commission_above_10000_bps_and_duplicate_keys() -> None:
    state, host = setup()
    with pytest.raises(AboveMaximum):
        dispatch(state, host, OP, RegisterPool(commission_bps=10_001))
    with pytest.raises(DuplicateKey):
        dispatch(state, host, BOB, RegisterPool(commission_bps=0, keys=deposit_keys([KEYS[0]])))
    with pytest.raises(NotAuthorized):
        dispatch(state, host, BOB, AddKeys(pool_id=1, keys=deposit_keys([KEYS[7]])))
    with pytest.raises(UnknownEntity):
        dispatch(state, host, ALICE, Deposit(pool_id=9, amount=SWK))


def test_add_keys__bad_deposit_signature__refused_and_nothing_changes() -> None:
    state, host = setup(keys=1)
    bad = [DepositKey(pubkey=KEYS[6], signature=BAD_SIGNATURE)]
    with pytest.raises(BelowMinimum, match="deposit signature"):
        dispatch(state, host, OP, AddKeys(pool_id=1, keys=[*deposit_keys([KEYS[5]]), *bad]))
    assert [k.pubkey for k in state.pools[1].spare_keys] == [KEYS[0]]
    assert KEYS[5] not in state.key_owner
    with pytest.raises(BelowMinimum, match="48 bytes"):
        dispatch(state, host, OP, AddKeys(pool_id=1, keys=deposit_keys([b"short"])))


def test_stake__key_already_on_chain__skipped_and_next_key_staked() -> None:
    state, host = setup(keys=2)
    host.occupy(KEYS[0])  # someone front-ran the key with their own deposit
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    assert [v.pubkey for v in state.pools[1].validators] == [KEYS[1]]
    assert host.validator_balance(KEYS[0]) == 1  # the front-runner's validator got nothing from the pool
    assert state.pools[1].spare_keys == []


def test_exit_request__repeated_each_epoch_until_the_validator_is_withdrawn() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=SWK))
    epoch(state, host)
    assert host.exit_requests == 1
    epoch(state, host)
    assert host.exit_requests == 2  # the chain may not have accepted the first request: asked again
    for _ in range(3):
        epoch(state, host)
    assert state.pools[1].validators == []
    requests = host.exit_requests
    epoch(state, host)
    assert host.exit_requests == requests


def test_deposit_moves_money_to_the_module_and_mints_shares() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=10 * SWK))
    assert host.balance(ALICE) == 990 * SWK
    assert host.balance(host.module_address(MODULE)) == 10 * SWK
    assert position(state, 1, ALICE) == (10 * SWK - DEFAULT_DEAD_SHARES, 10 * SWK - DEFAULT_DEAD_SHARES)
    assert check(state, host) == []


def test_deposit_below_minimum_or_unfunded_changes_nothing() -> None:
    state, host = setup()
    with pytest.raises(BelowMinimum):
        dispatch(state, host, ALICE, Deposit(pool_id=1, amount=SWK - 1))
    with pytest.raises(Exception, match="holds"):
        dispatch(state, host, ALICE, Deposit(pool_id=1, amount=2000 * SWK))
    assert state.pools[1].ledger.total_shares == 0
    assert host.balance(ALICE) == 1000 * SWK


def test_buffer_stakes_a_full_validator_at_the_epoch() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=40 * SWK))
    epoch(state, host)
    assert host.validator_balance(KEYS[0]) == 32 * SWK
    assert state.pools[1].buffer == 8 * SWK
    assert pool_view(state, 1).validators == 1


def test_no_keys_left_means_the_buffer_waits() -> None:
    state, host = setup(keys=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=40 * SWK))
    epoch(state, host)
    assert state.pools[1].buffer == 40 * SWK
    dispatch(state, host, OP, AddKeys(pool_id=1, keys=deposit_keys([KEYS[5]])))
    epoch(state, host)
    assert host.validator_balance(KEYS[5]) == 32 * SWK


def test_rewards_raise_the_price_and_pay_commission_as_operator_shares() -> None:
    state, host = setup(commission_bps=1000)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    before = share_price(state, 1)
    epoch(state, host, {KEYS[0]: SWK})
    assert share_price(state, 1) > before
    op_shares, op_assets = position(state, 1, OP)
    assert op_shares > 0
    assert SWK // 10 - 2 <= op_assets <= SWK // 10  # 10% of the reward, rounded down
    _, alice_assets = position(state, 1, ALICE)
    assert alice_assets <= 32 * SWK + SWK * 9 // 10


def test_penalties_lower_the_price_and_take_no_commission() -> None:
    state, host = setup(commission_bps=1000)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    epoch(state, host, {KEYS[0]: -SWK})
    assert position(state, 1, OP) == (0, 0)
    assert share_price(state, 1) < SWK


def test_commission_change_applies_to_later_rewards_only_operator_may_change_it() -> None:
    state, host = setup(commission_bps=0)
    with pytest.raises(NotAuthorized):
        dispatch(state, host, ALICE, SetCommission(pool_id=1, commission_bps=5))
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    epoch(state, host, {KEYS[0]: SWK})
    assert position(state, 1, OP) == (0, 0)
    dispatch(state, host, OP, SetCommission(pool_id=1, commission_bps=10_000))
    epoch(state, host, {KEYS[0]: SWK})
    assert position(state, 1, OP)[1] >= SWK - 2


def test_withdrawal_is_paid_from_the_buffer_when_it_suffices() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=10 * SWK))
    shares = state.pools[1].ledger.shares_of(ALICE)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=shares))
    with pytest.raises(NotReady):
        dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    epoch(state, host)
    with pytest.raises(NotAuthorized):
        dispatch(state, host, BOB, Claim(pool_id=1, request_id=1))
    dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    assert host.balance(ALICE) == 1000 * SWK - DEFAULT_DEAD_SHARES
    with pytest.raises(UnknownEntity):
        dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    assert check(state, host) == []


def test_withdrawal_beyond_the_buffer_exits_a_validator_and_is_paid_when_it_lands() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=64 * SWK))
    epoch(state, host)
    assert len(state.pools[1].validators) == 2
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=20 * SWK))
    epoch(state, host)
    assert host.validators[KEYS[0]].exit_epoch is not None  # the oldest validator exits
    assert host.validators[KEYS[1]].exit_epoch is None
    assert queue_state(state, 1).unfinalized == 1
    for _ in range(3):
        epoch(state, host)
    assert queue_state(state, 1).unfinalized == 0
    dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    assert host.balance(ALICE) == 1000 * SWK - 64 * SWK + 20 * SWK
    # The rest of the exit stays in the buffer (not re-staked while the remainder is short of 32 SWK).
    assert state.pools[1].buffer == 12 * SWK


def test_payout_is_fixed_at_request_time_rewards_after_it_stay_in_the_pool() -> None:
    state, host = setup(commission_bps=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    dispatch(state, host, BOB, Deposit(pool_id=1, amount=SWK))
    epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=10 * SWK))
    amount = state.pools[1].requests[1].amount
    epoch(state, host, {KEYS[0]: 3 * SWK})
    for _ in range(4):
        epoch(state, host)
    dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    assert host.balance(ALICE) == 1000 * SWK - 32 * SWK + amount


def test_slashing_before_payment_makes_the_request_share_the_loss_pro_rata() -> None:
    state, host = setup(commission_bps=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=64 * SWK))
    epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=32 * SWK))
    amount = state.pools[1].requests[1].amount
    host.slash(KEYS[0], 16 * SWK)  # a quarter of the pool's value
    for _ in range(5):
        epoch(state, host)
    request = state.pools[1].requests[1]
    assert request.finalized
    assert request.paid == amount * 3 // 4 or abs(request.paid - amount * 3 // 4) <= 2
    assert check(state, host) == []


def test_queue_finalizes_in_fifo_order() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=64 * SWK))
    dispatch(state, host, BOB, Deposit(pool_id=1, amount=4 * SWK))
    epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=30 * SWK))  # needs an exit
    dispatch(state, host, BOB, RequestWithdrawal(pool_id=1, shares=SWK))  # the buffer could pay it now
    epoch(state, host)
    assert not state.pools[1].requests[2].finalized  # but it waits behind request 1
    for _ in range(4):
        epoch(state, host)
    assert state.pools[1].requests[1].finalized and state.pools[1].requests[2].finalized


def test_transfer_moves_shares_and_refuses_overdraft() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=10 * SWK))
    dispatch(state, host, ALICE, TransferShares(pool_id=1, to=BOB, shares=SWK))
    assert position(state, 1, BOB)[0] == SWK
    with pytest.raises(InsufficientShares):
        dispatch(state, host, BOB, TransferShares(pool_id=1, to=ALICE, shares=SWK + 1))
    with pytest.raises(InsufficientShares):
        dispatch(state, host, BOB, RequestWithdrawal(pool_id=1, shares=SWK + 1))


def test_apr_query_reflects_reward_rate() -> None:
    state, host = setup(commission_bps=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    for _ in range(10):
        epoch(state, host, {KEYS[0]: 32 * SWK // 10_000})  # +1 bp per epoch
    apr = apr_bps(state, 1, epochs=10, epochs_per_year=100)
    assert apr is not None and 95 <= apr <= 100
    assert apr_bps(state, 1, epochs=0, epochs_per_year=100) is None


def test_history_is_bounded() -> None:
    state, host = setup()
    state.history_length = 5
    for _ in range(12):
        epoch(state, host)
    assert len(state.pools[1].history) == 5


def test_state_and_messages_round_trip_through_msgpack_and_json() -> None:
    import msgspec

    from stakework.modules.pool.messages import PoolMessage

    state, host = setup()
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=40 * SWK))
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=SWK))
    epoch(state, host)
    for codec in (msgspec.msgpack, msgspec.json):
        assert codec.decode(codec.encode(state), type=PoolModuleState) == state
        msg = Deposit(pool_id=1, amount=5)
        assert codec.decode(codec.encode(msg), type=PoolMessage) == msg


class _NoIteration(dict[bytes, int]):
    """A holder table that fails if anything walks over it (O(holders) work)."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("iterated over every holder")

    def values(self):  # type: ignore[no-untyped-def]
        raise AssertionError("iterated over every holder")

    def items(self):  # type: ignore[no-untyped-def]
        raise AssertionError("iterated over every holder")


def test_epoch_commission_queue_and_claims_never_walk_the_delegators() -> None:
    state, host = setup(commission_bps=500)
    for i in range(200):
        d = i.to_bytes(20, "big")
        host.fund(d, 2 * SWK)
        dispatch(state, host, d, Deposit(pool_id=1, amount=SWK + i))
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=64 * SWK))
    pool = state.pools[1]
    pool.ledger.shares = _NoIteration(pool.ledger.shares)
    host.advance_epoch()
    on_epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(pool_id=1, shares=40 * SWK))
    for _ in range(5):
        host.advance_epoch({v.pubkey: 10**6 for v in pool.validators})
        on_epoch(state, host)
    dispatch(state, host, ALICE, Claim(pool_id=1, request_id=1))
    assert pool.commission_paid_shares > 0


def test_slashing_takes_everything__validator_dropped_loss_booked_nothing_phantom() -> None:
    state, host = setup(commission_bps=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=40 * SWK))
    epoch(state, host)
    host.slash(KEYS[0], 32 * SWK)  # a correlated slashing can take the whole balance
    epoch(state, host)
    pool = state.pools[1]
    assert pool.validators == [] and pool.buffer == 8 * SWK
    assert pool.ledger.total_assets == 8 * SWK
    for _ in range(4):
        epoch(state, host)  # nothing lands later either
    assert pool.buffer == 8 * SWK


def test_deposit__would_mint_past_2_64_shares__refused_before_any_money_moves() -> None:
    """Found by the million-step run: the share cap was checked after the handler had moved the deposit."""
    state, host = setup(commission_bps=0)
    dispatch(state, host, ALICE, Deposit(pool_id=1, amount=32 * SWK))
    epoch(state, host)
    host.slash(KEYS[0], 32 * SWK - 55)  # 55 base units left behind 32e9 shares
    epoch(state, host)
    before = host.balance(BOB)
    with pytest.raises(AboveMaximum, match="2\\^64"):
        dispatch(state, host, BOB, Deposit(pool_id=1, amount=32 * SWK))
    assert host.balance(BOB) == before
    assert host.balance(host.module_address(MODULE)) == state.pools[1].buffer + state.pools[1].reserved
