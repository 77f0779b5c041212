"""Liquid-module rules, one scenario each: stake and the stake limit, rebasing balances and transfer rounding,
wrap/unwrap, the protocol fee split, the positive rebase bound, losses in full, the NFT-like withdrawal queue."""

from __future__ import annotations

import pytest

from stakework.modules.liquid import MODULE
from stakework.modules.liquid.epoch import on_epoch
from stakework.modules.liquid.errors import (
    AboveMaximum,
    BelowMinimum,
    InsufficientShares,
    NotAuthorized,
    NotReady,
    StakeLimitExceeded,
    UnknownEntity,
)
from stakework.modules.liquid.handlers import dispatch
from stakework.modules.liquid.invariants import check
from stakework.modules.liquid.messages import (
    AddOperator,
    Claim,
    RequestWithdrawal,
    RequestWithdrawalWrapped,
    SetParameters,
    Stake,
    SubmitKeys,
    Transfer,
    TransferRequest,
    TransferShares,
    TransferWrapped,
    Unwrap,
    Wrap,
)
from stakework.modules.liquid.queries import (
    apr_bps,
    balance_of,
    queue_state,
    requests_of,
    shares_of,
    st_per_wrapped,
    stake_limit,
    wrapped_of,
)
from stakework.modules.liquid.state import LiquidState, new_state
from stakework.modules.testing import FakeHost, deposit_keys
from stakework.spec.presets import get_preset

SWK = 10**9
ADMIN, TREASURY, OP1, OP2 = b"A" * 20, b"T" * 20, b"1" * 20, b"2" * 20
ALICE, BOB = b"a" * 20, b"b" * 20
KEYS = [bytes([i]) * 48 for i in range(1, 13)]


def setup(**kw: int) -> tuple[LiquidState, FakeHost]:
    state = new_state(get_preset("minimal"), admin=ADMIN, treasury=TREASURY, **kw)
    host = FakeHost(exit_delay=2)
    for who in (ALICE, BOB):
        host.fund(who, 10_000 * SWK)
    dispatch(state, host, ADMIN, AddOperator(address=OP1))
    dispatch(state, host, ADMIN, AddOperator(address=OP2))
    dispatch(state, host, OP1, SubmitKeys(keys=deposit_keys(KEYS[:6])))
    dispatch(state, host, OP2, SubmitKeys(keys=deposit_keys(KEYS[6:])))
    return state, host


def epoch(state: LiquidState, host: FakeHost, rewards: dict[bytes, int] | None = None) -> None:
    host.advance_epoch(rewards)
    on_epoch(state, host)
    assert check(state, host) == []
    assert host.balance(host.module_address(MODULE)) == state.buffer + state.reserved


def test_only_admin_adds_operators_and_only_operators_submit_keys() -> None:
    state, host = setup()
    with pytest.raises(NotAuthorized):
        dispatch(state, host, ALICE, AddOperator(address=ALICE))
    with pytest.raises(NotAuthorized):
        dispatch(state, host, ALICE, SubmitKeys(keys=deposit_keys([bytes(48)])))


def test_stake_mints_rebasing_balance_and_stakes_validators_across_operators() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=64 * SWK))
    assert balance_of(state, ALICE) == 64 * SWK - 10**6  # dead shares
    epoch(state, host)
    assert [op.active for op in state.operators] == [1, 1]  # fewest active first


def test_rewards_rebase_balances_and_fee_is_split_treasury_and_operators() -> None:
    state, host = setup(fee_bps=1000, treasury_share_bps=5000, max_positive_rebase=10**9)
    dispatch(state, host, ALICE, Stake(amount=64 * SWK))
    epoch(state, host)
    before = balance_of(state, ALICE)
    epoch(state, host, {KEYS[0]: SWK})
    assert balance_of(state, ALICE) > before
    treasury = balance_of(state, TREASURY)
    ops = balance_of(state, OP1) + balance_of(state, OP2)
    assert SWK // 20 - 3 <= treasury <= SWK // 20
    assert SWK // 20 - 3 <= ops <= SWK // 20
    assert abs(balance_of(state, OP1) - balance_of(state, OP2)) <= 2  # one validator each


def test_positive_rebase_is_bounded_per_epoch_and_the_rest_is_recognised_later() -> None:
    state, host = setup(fee_bps=0, max_positive_rebase=1_000_000)  # 0.1% per epoch
    dispatch(state, host, ALICE, Stake(amount=32 * SWK))
    epoch(state, host)
    pooled = state.ledger.total_assets
    epoch(state, host, {KEYS[0]: 3 * SWK})  # a 9% jump (a big donation or a reward spike)
    assert state.ledger.total_assets == pooled + pooled // 1000
    assert state.unrecognised == 3 * SWK - pooled // 1000
    for _ in range(200):
        epoch(state, host)
    assert state.unrecognised == 0
    assert state.ledger.total_assets == pooled + 3 * SWK


def test_negative_rebase_passes_through_in_full() -> None:
    state, host = setup(fee_bps=0, max_positive_rebase=1_000_000)
    dispatch(state, host, ALICE, Stake(amount=64 * SWK))
    epoch(state, host)
    pooled = state.ledger.total_assets
    host.slash(KEYS[0], 16 * SWK)
    epoch(state, host)
    assert state.ledger.total_assets == pooled - 16 * SWK
    assert position_ok(state)


def position_ok(state: LiquidState) -> bool:
    return sum(state.ledger.assets_of(h) for h in state.ledger.shares) <= state.ledger.total_assets


def test_stake_limit_blocks_then_replenishes_linearly() -> None:
    state, host = setup(max_stake_limit=100 * SWK, stake_limit_increase_per_epoch=10 * SWK)
    dispatch(state, host, ALICE, Stake(amount=90 * SWK))
    assert stake_limit(state, host.epoch) == 10 * SWK
    with pytest.raises(StakeLimitExceeded):
        dispatch(state, host, BOB, Stake(amount=11 * SWK))
    epoch(state, host)
    epoch(state, host)
    assert stake_limit(state, host.epoch) == 30 * SWK
    dispatch(state, host, BOB, Stake(amount=30 * SWK))
    for _ in range(20):
        epoch(state, host)
    assert stake_limit(state, host.epoch) == 100 * SWK  # capped at the maximum


def test_set_parameters__admin_only__every_value_checked_before_any_applies() -> None:
    state, host = setup()
    with pytest.raises(NotAuthorized):
        dispatch(state, host, ALICE, SetParameters(fee_bps=0))
    for bad in (
        SetParameters(fee_bps=500, treasury_share_bps=10_001),
        SetParameters(fee_bps=-1),
        SetParameters(max_positive_rebase=0),
        SetParameters(max_positive_rebase=10**9 + 1),
        SetParameters(fee_bps=500, max_stake_limit=-5),
    ):
        with pytest.raises((AboveMaximum, BelowMinimum)):
            dispatch(state, host, ADMIN, bad)
    assert state.fee_bps == 1000 and state.max_stake_limit == 0
    dispatch(state, host, ADMIN, SetParameters(fee_bps=500, treasury_share_bps=2000, max_positive_rebase=77))
    assert (state.fee_bps, state.treasury_share_bps, state.max_positive_rebase) == (500, 2000, 77)


def test_pause_staking__stakes_refused__transfers_wraps_and_the_queue_go_on() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=40 * SWK))
    dispatch(state, host, ADMIN, SetParameters(staking_paused=True))
    with pytest.raises(NotReady, match="paused"):
        dispatch(state, host, BOB, Stake(amount=SWK))
    dispatch(state, host, ALICE, Transfer(to=BOB, amount=SWK))
    dispatch(state, host, ALICE, Wrap(amount=SWK))
    dispatch(state, host, ALICE, RequestWithdrawal(amount=SWK))
    dispatch(state, host, ADMIN, SetParameters(staking_paused=False))
    dispatch(state, host, BOB, Stake(amount=SWK))


def test_set_stake_limit__starts_at_what_is_left_and_refills_from_there() -> None:
    state, host = setup()
    dispatch(state, host, ADMIN, SetParameters(max_stake_limit=100 * SWK, stake_limit_increase_per_epoch=5 * SWK))
    assert stake_limit(state, host.epoch) == 100 * SWK  # from unlimited: full
    dispatch(state, host, ALICE, Stake(amount=80 * SWK))
    dispatch(state, host, ADMIN, SetParameters(max_stake_limit=200 * SWK))
    assert stake_limit(state, host.epoch) == 20 * SWK  # what was left; raising the cap does not refill it
    epoch(state, host)
    assert stake_limit(state, host.epoch) == 25 * SWK
    dispatch(state, host, ADMIN, SetParameters(max_stake_limit=0))
    assert stake_limit(state, host.epoch) is None


def test_transfer_moves_rounded_down_shares_recipient_may_get_one_or_two_units_less() -> None:
    state, host = setup(fee_bps=0, max_positive_rebase=10**9)
    dispatch(state, host, ALICE, Stake(amount=33 * SWK))
    epoch(state, host)
    epoch(state, host, {KEYS[0]: 12_345_677})  # an awkward price
    sender_before = balance_of(state, ALICE)
    dispatch(state, host, ALICE, Transfer(to=BOB, amount=1000))
    assert 998 <= balance_of(state, BOB) <= 1000  # Lido's 1-2 wei corner case
    assert sender_before - balance_of(state, ALICE) <= 1001
    with pytest.raises(InsufficientShares):
        dispatch(state, host, BOB, Transfer(to=ALICE, amount=1001))
    dispatch(state, host, BOB, TransferShares(to=ALICE, shares=shares_of(state, BOB)))
    assert shares_of(state, BOB) == 0


def test_wrap_and_unwrap_round_trip_keeps_shares_and_wrapped_does_not_rebase() -> None:
    state, host = setup(fee_bps=0, max_positive_rebase=10**9)
    dispatch(state, host, ALICE, Stake(amount=32 * SWK))
    epoch(state, host)
    shares = shares_of(state, ALICE)
    dispatch(state, host, ALICE, Wrap(amount=balance_of(state, ALICE)))
    wrapped = wrapped_of(state, ALICE)
    assert 0 < wrapped <= shares
    rate_before = st_per_wrapped(state)
    epoch(state, host, {KEYS[0]: SWK})
    assert wrapped_of(state, ALICE) == wrapped  # the wrapped balance does not rebase...
    assert st_per_wrapped(state) > rate_before  # ...its rate does
    dispatch(state, host, ALICE, TransferWrapped(to=BOB, amount=wrapped // 2))
    dispatch(state, host, ALICE, Unwrap(amount=wrapped - wrapped // 2))
    dispatch(state, host, BOB, Unwrap(amount=wrapped // 2))
    assert shares_of(state, ALICE) + shares_of(state, BOB) == shares
    with pytest.raises(InsufficientShares):
        dispatch(state, host, BOB, Unwrap(amount=1))


def test_withdrawal_request_bounds_and_nft_transfer_and_claim() -> None:
    state, host = setup(fee_bps=0)
    dispatch(state, host, ALICE, Stake(amount=2000 * SWK))
    with pytest.raises(BelowMinimum):
        dispatch(state, host, ALICE, RequestWithdrawal(amount=99))
    with pytest.raises(AboveMaximum):
        dispatch(state, host, ALICE, RequestWithdrawal(amount=1001 * SWK))
    dispatch(state, host, ALICE, RequestWithdrawal(amount=10 * SWK))
    assert [r.id for r in requests_of(state, ALICE)] == [1]
    with pytest.raises(NotAuthorized):
        dispatch(state, host, BOB, TransferRequest(request_id=1, to=BOB))
    dispatch(state, host, ALICE, TransferRequest(request_id=1, to=BOB))
    with pytest.raises(NotReady):
        dispatch(state, host, BOB, Claim(request_id=1))
    epoch(state, host)
    with pytest.raises(NotAuthorized):
        dispatch(state, host, ALICE, Claim(request_id=1))
    before = host.balance(BOB)
    dispatch(state, host, BOB, Claim(request_id=1))
    assert host.balance(BOB) - before in (10 * SWK - 1, 10 * SWK)
    with pytest.raises(UnknownEntity):
        dispatch(state, host, BOB, Claim(request_id=1))


def test_wrapped_withdrawal_goes_through_the_same_queue() -> None:
    state, host = setup(fee_bps=0)
    dispatch(state, host, ALICE, Stake(amount=40 * SWK))
    dispatch(state, host, ALICE, Wrap(amount=5 * SWK))
    dispatch(state, host, ALICE, RequestWithdrawalWrapped(amount=wrapped_of(state, ALICE)))
    epoch(state, host)
    assert state.requests[1].finalized


def test_queue_exits_validators_when_the_buffer_is_short_and_finalizes_fifo() -> None:
    state, host = setup(fee_bps=0)
    dispatch(state, host, ALICE, Stake(amount=96 * SWK))
    dispatch(state, host, BOB, Stake(amount=8 * SWK))
    epoch(state, host)
    assert len(state.validators) == 3
    dispatch(state, host, ALICE, RequestWithdrawal(amount=50 * SWK))
    dispatch(state, host, BOB, RequestWithdrawal(amount=SWK))
    epoch(state, host)
    assert queue_state(state).unfinalized == 2  # BOB's small request waits behind ALICE's
    assert sum(v.exiting for v in state.validators) == 2  # 50 - 8 buffer = 42 needs two exits
    for _ in range(4):
        epoch(state, host)
    assert queue_state(state).unfinalized == 0


def test_slashing_before_finalization_discounts_the_request_pro_rata() -> None:
    state, host = setup(fee_bps=0)
    dispatch(state, host, ALICE, Stake(amount=64 * SWK))
    epoch(state, host)
    dispatch(state, host, ALICE, RequestWithdrawal(amount=32 * SWK))
    amount = state.requests[1].amount
    host.slash(KEYS[0], 16 * SWK)
    host.slash(KEYS[6], 0)
    for _ in range(5):
        epoch(state, host)
    assert state.requests[1].finalized
    assert abs(state.requests[1].paid - amount * 3 // 4) <= 2


def test_apr_over_last_epochs() -> None:
    state, host = setup(fee_bps=0, max_positive_rebase=10**9)
    dispatch(state, host, ALICE, Stake(amount=32 * SWK))
    epoch(state, host)
    for _ in range(5):
        epoch(state, host, {KEYS[0]: 32 * SWK // 10_000})
    apr = apr_bps(state, 5, epochs_per_year=100)
    assert apr is not None and 95 <= apr <= 100


def test_state_and_messages_round_trip_through_msgpack_and_json() -> None:
    import msgspec

    from stakework.modules.liquid.messages import LiquidMessage

    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=40 * SWK))
    dispatch(state, host, ALICE, Wrap(amount=SWK))
    dispatch(state, host, ALICE, RequestWithdrawal(amount=SWK))
    epoch(state, host)
    for codec in (msgspec.msgpack, msgspec.json):
        assert codec.decode(codec.encode(state), type=LiquidState) == state
        msg = TransferRequest(request_id=1, to=BOB)
        assert codec.decode(codec.encode(msg), type=LiquidMessage) == msg
