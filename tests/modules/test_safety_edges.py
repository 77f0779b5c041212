"""The safety module at its edges: zero, one and exactly-all amounts, Python-built messages past the decoder's
bounds, reserved addresses, refusals that must change nothing even where a later step would also refuse, a vault
slashed down to a single unit, and idempotent slasher lists. Found missing by mutation testing (scripts/mutate,
docs/testing.md)."""

from __future__ import annotations

import msgspec
import pytest

from stakework.modules.safety import MODULE
from stakework.modules.safety.definition import (
    describe,
    genesis,
    spends,
    stake_balance,
    stake_balances,
    summary,
    voting_power,
)
from stakework.modules.safety.epoch import on_epoch
from stakework.modules.safety.errors import BelowMinimum, InsufficientShares, InvalidParameter, NotAuthorized
from stakework.modules.safety.handlers import MAX_REASON, dispatch, rewards_of
from stakework.modules.safety.invariants import check
from stakework.modules.safety.messages import (
    AuthorizeSlasher,
    ClaimRewards,
    Cooldown,
    Redeem,
    SafetyMessage,
    Slash,
    Stake,
    Transfer,
)
from stakework.modules.safety.parameters import SafetyParameters, default_parameters, epochs_for_days, with_changes
from stakework.modules.safety.queries import apr, position, slash_history, vault_view
from stakework.modules.safety.state import INDEX_SCALE, SafetyState, new_state
from stakework.modules.safety.testing import FakeSafetyHost
from stakework.modules.shares import BURN_ADDRESS
from stakework.modules.testing import FakeHost
from stakework.spec.presets import get_preset

SWK = 10**9
GOV, TREASURY, RESERVE = b"G" * 20, b"T" * 20, b"R" * 20
ALICE, BOB, CAROL = b"a" * 20, b"b" * 20, b"c" * 20
DEAD = 10**6
PARAMS = SafetyParameters(cooldown_epochs=10, unstake_window_epochs=2, max_slash_bps=3000, post_slash_epochs=5)


def _setup(**changes: int) -> tuple[SafetyState, FakeSafetyHost]:
    state = new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, params=with_changes(PARAMS, **changes))
    host = FakeSafetyHost()
    for who in (ALICE, BOB, CAROL):
        host.fund(who, 10_000 * SWK)
        host.staked_token_ledger.mint(who, 10_000 * SWK)
    host.fund(TREASURY, 1_000 * SWK)
    return state, host


def _staked(**changes: int) -> tuple[SafetyState, FakeSafetyHost]:
    """Alice and Bob have 100 SWK each in the SWK vault (Alice's first stake locked the dead shares)."""
    state, host = _setup(**changes)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, BOB, Stake(amount=100 * SWK))
    return state, host


def _advance(state: SafetyState, host: FakeSafetyHost, epochs: int = 1) -> None:
    for _ in range(epochs):
        host.advance_epoch()
        on_epoch(state, host)


def _snapshot(state: SafetyState, host: FakeSafetyHost) -> tuple[bytes, dict[bytes, int], dict[bytes, int]]:
    return msgspec.msgpack.encode(state), dict(host.accounts), dict(host.staked_token_ledger.shares)


def _refused(state: SafetyState, host: FakeSafetyHost, sender: bytes, msg: SafetyMessage, error: type) -> str:
    """Dispatch ``msg``, expect ``error``, check that nothing changed (state, SWK accounts, stSWK shares)."""
    before = _snapshot(state, host)
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert _snapshot(state, host) == before
    return str(info.value)


def _built(message: SafetyMessage, **fields: object) -> SafetyMessage:
    """``message`` with ``fields`` set past the decoder's bounds (as a Python caller could): the handler checks."""
    return msgspec.structs.replace(message, **fields)


# --- staking --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", [0, -SWK])
def test_stake__zero_or_negative_amount_built_in_python__refused_asking_for_a_positive_amount(amount: int) -> None:
    state, host = _staked()
    text = _refused(state, host, CAROL, _built(Stake(amount=1), amount=amount), BelowMinimum)
    assert "positive amount" in text


def test_stake__one_gwei_into_a_vault_at_par__buys_one_share() -> None:
    state, host = _staked()
    dispatch(state, host, CAROL, Stake(amount=1))
    assert state.swk.ledger.shares_of(CAROL) == 1 and host.balance(CAROL) == 10_000 * SWK - 1
    assert check(state, host) == []


@pytest.mark.parametrize("reserved", ["burn", "module"])
def test_stake__by_the_burn_address_or_the_module_account__refused_as_reserved(reserved: str) -> None:
    state, host = _staked()
    sender = BURN_ADDRESS if reserved == "burn" else host.module_address(MODULE)
    host.fund(sender, 10 * SWK)  # it could pay: the address itself is what is refused
    text = _refused(state, host, sender, Stake(amount=SWK), NotAuthorized)
    assert "reserved address" in text


def test_stake__stswk_vault_every_share_the_sender_holds__accepted() -> None:
    state, host = _setup()
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=10_000 * SWK))
    assert host.staked_token_ledger.shares_of(ALICE) == 0
    assert state.stswk.ledger.shares_of(ALICE) == 10_000 * SWK - DEAD


def test_stake__into_a_vault_slashed_down_to_one_unit__priced_at_its_rate_and_accepted() -> None:
    state, host = _setup(max_slash_bps=5000, post_slash_epochs=0)
    dispatch(state, host, ALICE, Stake(amount=DEAD + 2))
    while state.swk.ledger.total_assets > 1:  # each slashing takes half (rounded down) of what is left
        dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE))
    total = state.swk.ledger.total_shares
    dispatch(state, host, BOB, Stake(amount=1))  # one unit beside one unit: half the vault
    assert state.swk.ledger.shares_of(BOB) == total and state.swk.ledger.total_assets == 2
    assert check(state, host) == []


# --- rewards --------------------------------------------------------------------------------------------------------
def test_rewards__a_holder_of_a_single_share__earns_its_part_of_the_emission() -> None:
    state, host = _setup()
    dispatch(state, host, ALICE, Stake(amount=2 * DEAD))  # 2 * DEAD shares, DEAD of them dead
    dispatch(state, host, ALICE, Transfer(to=BOB, shares=1))
    total = state.swk.ledger.total_shares
    state.params = with_changes(state.params, swk_emission_per_epoch=3 * total)  # 3 per share and epoch
    _advance(state, host)
    assert state.swk.index == 3 * INDEX_SCALE
    assert rewards_of(state.swk, BOB) == 3
    dispatch(state, host, BOB, ClaimRewards())
    assert host.balance(BOB) == 10_000 * SWK + 3


def test_claim__amount_zero_built_in_python__refused_asking_for_a_positive_amount() -> None:
    state, host = _staked(swk_emission_per_epoch=SWK)
    _advance(state, host)
    text = _refused(state, host, ALICE, _built(ClaimRewards(), amount=0), BelowMinimum)
    assert "positive amount" in text


def test_claim__to_the_burn_address__refused_as_reserved() -> None:
    state, host = _staked(swk_emission_per_epoch=SWK)
    _advance(state, host)
    _refused(state, host, ALICE, ClaimRewards(to=BURN_ADDRESS), NotAuthorized)


# --- redeem ---------------------------------------------------------------------------------------------------------
def _in_window() -> tuple[SafetyState, FakeSafetyHost]:
    state, host = _staked(swk_emission_per_epoch=SWK)
    dispatch(state, host, BOB, Cooldown())
    _advance(state, host, 10)  # Bob's unstake window is open; rewards have accrued
    return state, host


def test_redeem__zero_shares_built_in_python__refused_asking_for_a_positive_number() -> None:
    state, host = _in_window()
    text = _refused(state, host, BOB, _built(Redeem(shares=1), shares=0), BelowMinimum)
    assert "positive number" in text


def test_redeem__a_single_share_at_par__pays_one_gwei() -> None:
    state, host = _in_window()
    before = host.balance(BOB)
    dispatch(state, host, BOB, Redeem(shares=1))
    assert host.balance(BOB) == before + 1
    assert check(state, host) == []


def test_redeem__more_than_held_while_the_module_could_pay__refused_and_nothing_moves() -> None:
    state, host = _in_window()
    held = state.swk.ledger.shares_of(BOB)
    text = _refused(state, host, BOB, Redeem(shares=held + 1), InsufficientShares)  # Alice's stake covers it
    assert f"holds {held}" in text


# --- transfer -------------------------------------------------------------------------------------------------------
def test_transfer__zero_shares_built_in_python__refused_asking_for_a_positive_number() -> None:
    state, host = _staked()
    text = _refused(state, host, ALICE, _built(Transfer(to=CAROL, shares=1), shares=0), BelowMinimum)
    assert "positive number" in text


def test_transfer__more_than_held_with_rewards_pending__refused_and_nothing_settles() -> None:
    state, host = _staked(swk_emission_per_epoch=SWK)
    _advance(state, host)  # pending rewards: a settlement would move them into accrued
    held = state.swk.ledger.shares_of(ALICE)
    _refused(state, host, ALICE, Transfer(to=CAROL, shares=held + 1), InsufficientShares)


# --- slashing -------------------------------------------------------------------------------------------------------
def test_slash__reason_of_exactly_the_maximum_length__kept_and_one_more_refused() -> None:
    assert MAX_REASON == 64  # the decoder's bound (messages.Reason) and the handler's agree
    state, host = _staked(post_slash_epochs=0)
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE, reason="x" * 64))
    assert state.slash_history[-1].reason == "x" * 64
    too_long = _built(Slash(amount=SWK, recipient=RESERVE), reason="y" * 65)
    text = _refused(state, host, GOV, too_long, BelowMinimum)
    assert "at most 64 characters, got 65" in text


def test_slash__amount_zero_built_in_python__refused_asking_for_a_positive_amount() -> None:
    state, host = _staked()
    text = _refused(state, host, GOV, _built(Slash(amount=1, recipient=RESERVE), amount=0), BelowMinimum)
    assert "positive amount" in text


@pytest.mark.parametrize("reserved", ["burn", "module"])
def test_slash__to_the_burn_address_or_the_module_account__refused_as_reserved(reserved: str) -> None:
    state, host = _staked()
    recipient = BURN_ADDRESS if reserved == "burn" else host.module_address(MODULE)
    _refused(state, host, GOV, Slash(amount=SWK, recipient=recipient), NotAuthorized)


def test_authorize_slasher__by_anyone_but_governance__refused() -> None:
    state, host = _staked()
    _refused(state, host, ALICE, AuthorizeSlasher(address=ALICE), NotAuthorized)


def test_authorize_slasher__the_burn_address__refused_as_reserved() -> None:
    state, host = _staked()
    _refused(state, host, GOV, AuthorizeSlasher(address=BURN_ADDRESS), NotAuthorized)


def test_authorize_slasher__revoking_an_address_never_authorised__leaves_the_list_empty() -> None:
    state, host = _staked()
    dispatch(state, host, GOV, AuthorizeSlasher(address=CAROL, allowed=False))
    assert state.slashers == []
    dispatch(state, host, GOV, AuthorizeSlasher(address=CAROL))
    dispatch(state, host, GOV, AuthorizeSlasher(address=CAROL))  # idempotent
    assert state.slashers == [CAROL]


def test_slash__history__keeps_exactly_the_last_64_records_in_order() -> None:
    state, host = _staked(post_slash_epochs=0, max_slash_bps=1)
    for i in range(66):
        dispatch(state, host, GOV, Slash(amount=1, recipient=RESERVE, reason=str(i)))
    assert [r.reason for r in state.slash_history] == [str(i) for i in range(2, 66)]


# --- emission -------------------------------------------------------------------------------------------------------
def test_emission__stswk_vault__pays_its_own_rate_to_its_stakers() -> None:
    state, host = _setup(swk_emission_per_epoch=5 * SWK, stswk_emission_per_epoch=2 * SWK)
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=100 * SWK))
    _advance(state, host)
    assert (state.stswk.emission_status, state.stswk.emitted) == ("paid", 2 * SWK)
    assert (state.swk.emission_status, state.swk.emitted) == ("no stakers", 0)
    assert host.balance(TREASURY) == 998 * SWK
    assert 2 * SWK - 2 * SWK * DEAD // (100 * SWK) - 1 <= rewards_of(state.stswk, ALICE) <= 2 * SWK


def test_emission__rate_zero__reported_off_and_nothing_taken() -> None:
    state, host = _staked()
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.emitted, host.balance(TREASURY)) == ("off", 0, 1_000 * SWK)


def test_index__scaled_by_10_to_the_12_per_gwei_and_share() -> None:
    state, host = _setup(swk_emission_per_epoch=2 * SWK)
    dispatch(state, host, ALICE, Stake(amount=1_000 * SWK))  # 10^12 shares, the dead ones included
    _advance(state, host)
    assert state.swk.index == 2 * SWK  # 2 * 10^9 Gwei over 10^12 shares, scaled by 10^12


def test_emission__one_gwei_paid_while_it_moves_the_index_and_skipped_once_it_cannot() -> None:
    state, host = _setup(swk_emission_per_epoch=1)
    dispatch(state, host, ALICE, Stake(amount=1_000 * SWK))  # 10^12 shares: 1 Gwei is one index unit
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.index, state.swk.emitted) == ("paid", 1, 1)
    dispatch(state, host, BOB, Stake(amount=1))  # one share more: 1 Gwei no longer moves the index
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.index, state.swk.emitted) == ("too small", 1, 1)
    assert host.balance(TREASURY) == 1_000 * SWK - 1  # nothing taken for an emission nobody could be owed
    assert check(state, host) == []


def test_emission__index_landing_exactly_on_2_64_minus_1__paid_and_the_next_one_capped() -> None:
    state, host = _setup(swk_emission_per_epoch=1)
    dispatch(state, host, ALICE, Stake(amount=1_000 * SWK))  # one index unit an epoch
    state.swk.index = state.swk.user_index[ALICE] = 2**64 - 2  # as if it had grown that far
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.index) == ("paid", 2**64 - 1)
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.index, state.swk.emitted) == ("index cap", 2**64 - 1, 1)
    assert check(state, host) == []


def test_emission__emitted_total_landing_exactly_on_2_64_minus_1__paid_and_the_next_one_capped() -> None:
    state, host = _staked(swk_emission_per_epoch=SWK)
    state.swk.emitted = state.swk.claimed = 2**64 - 1 - SWK  # as if that much had been paid and claimed
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.emitted) == ("paid", 2**64 - 1)
    _advance(state, host)
    assert (state.swk.emission_status, state.swk.emitted) == ("index cap", 2**64 - 1)
    assert host.balance(TREASURY) == 999 * SWK


# --- state ----------------------------------------------------------------------------------------------------------
def test_new_state__parameters_outside_their_bounds__refused_naming_the_parameter() -> None:
    bad = SafetyParameters(cooldown_epochs=0, unstake_window_epochs=2, post_slash_epochs=5)
    with pytest.raises(InvalidParameter, match="cooldown_epochs"):
        new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, params=bad)


# --- parameters -----------------------------------------------------------------------------------------------------
PARAMETER_RANGES = {
    "cooldown_epochs": (1, 2**22),
    "unstake_window_epochs": (1, 2**22),
    "max_slash_bps": (0, 5_000),
    "post_slash_epochs": (0, 2**22),
    "swk_emission_per_epoch": (0, 10**15),
    "stswk_emission_per_epoch": (0, 10**15),
}
"""Each governable parameter's documented range (docs/modules.md, "Safety module"), written out here."""


@pytest.mark.parametrize("name", sorted(PARAMETER_RANGES))
def test_with_changes__each_parameter__accepts_both_ends_of_its_range_and_refuses_one_beyond(name: str) -> None:
    low, high = PARAMETER_RANGES[name]
    assert getattr(with_changes(PARAMS, **{name: low}), name) == low
    assert getattr(with_changes(PARAMS, **{name: high}), name) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(InvalidParameter, match=f"{name} must be an integer in {low}..{high}"):
            with_changes(PARAMS, **{name: outside})


def test_default_parameters__no_emission_until_governance_sets_a_rate() -> None:
    params = default_parameters(get_preset("minimal"))
    assert (params.swk_emission_per_epoch, params.stswk_emission_per_epoch) == (0, 0)
    bare = SafetyParameters(cooldown_epochs=1, unstake_window_epochs=1, post_slash_epochs=0)
    assert (bare.swk_emission_per_epoch, bare.stswk_emission_per_epoch) == (0, 0)


def test_epochs_for_days__a_part_epoch_counts_whole_and_no_duration_is_under_one_epoch() -> None:
    one_ms_short_of_a_day = get_preset("minimal").replace(SLOTS_PER_EPOCH=1, SLOT_DURATION_MS=86_399_999)
    assert epochs_for_days(one_ms_short_of_a_day, 1) == 2  # rounded up: the cooldown never runs short
    assert epochs_for_days(one_ms_short_of_a_day, 0) == 1


def test_default_parameters__epochs_so_short_that_days_pass_2_22__durations_capped_at_the_bound() -> None:
    ten_ms_epochs = get_preset("minimal").replace(SLOTS_PER_EPOCH=1, SLOT_DURATION_MS=10)
    params = default_parameters(ten_ms_epochs)
    assert (params.cooldown_epochs, params.unstake_window_epochs, params.post_slash_epochs) == (2**22, 2**22, 2**22)


# --- queries --------------------------------------------------------------------------------------------------------
def test_vault_view__price_per_10_9_shares_after_a_slashing__rounded_down() -> None:
    state, host = _setup(max_slash_bps=5000)
    dispatch(state, host, ALICE, Stake(amount=3 * DEAD))  # 3 * DEAD shares for as many units
    dispatch(state, host, GOV, Slash(amount=DEAD, recipient=RESERVE))  # two thirds of the assets are left
    assert vault_view(state, "swk", host.epoch).price == 666_666_666


def test_position__can_redeem_needs_at_least_one_share_even_in_a_post_slash_window() -> None:
    state, host = _staked()
    dispatch(state, host, ALICE, Transfer(to=CAROL, shares=1))
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE))
    assert position(state, "swk", CAROL, host.epoch).can_redeem  # a single share
    assert not position(state, "swk", b"z" * 20, host.epoch).can_redeem  # no share at all


def test_apr__rounded_down_and_defined_for_a_vault_worth_a_single_unit() -> None:
    state, _ = _setup(swk_emission_per_epoch=1)
    assert apr(state, "swk", 1, value=3).apr_bps == 3_333  # 10_000 / 3
    assert apr(state, "swk", 1, value=1).apr_bps == 10_000
    assert apr(state, "swk", 1, value=0).apr_bps is None


def test_slash_history__limit_zero__lists_nothing() -> None:
    state, host = _staked()
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE))
    assert slash_history(state, 0) == [] and len(slash_history(state, 1)) == 1


# --- the definition (what the registry and the chain see) -----------------------------------------------------------
def test_genesis__devnet_values__4_epoch_cooldown_16_epoch_window_30_percent_cap_and_1_swk_an_epoch() -> None:
    state = genesis(get_preset("minimal"), GOV)
    assert (state.governance, state.treasury) == (GOV, GOV)
    assert state.params == SafetyParameters(
        cooldown_epochs=4,
        unstake_window_epochs=16,
        max_slash_bps=3_000,
        post_slash_epochs=4,
        swk_emission_per_epoch=1_000_000_000,
        stswk_emission_per_epoch=1_000_000_000,
    )


def test_stake_balance__shares_of_both_vaults_summed() -> None:
    state, host = _staked()
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=50 * SWK))
    swk, stswk = state.swk.ledger.shares_of(ALICE), state.stswk.ledger.shares_of(ALICE)
    assert stswk == 50 * SWK - DEAD
    assert stake_balance(state, ALICE) == swk + stswk
    assert stake_balances(state) == {ALICE: swk + stswk, BOB: 100 * SWK}


def test_voting_power__swk_vault_after_a_slashing__its_swk_value_rounded_down() -> None:
    state, host = _setup(max_slash_bps=5000)
    dispatch(state, host, ALICE, Stake(amount=3 * DEAD))  # Alice: 2 * DEAD shares of 3 * DEAD
    dispatch(state, host, GOV, Slash(amount=DEAD + 1, recipient=RESERVE))  # 2 * DEAD - 1 units left
    assert voting_power(state, host, ALICE) == (2 * DEAD) * (2 * DEAD - 1) // (3 * DEAD)


def test_voting_power__a_single_stswk_vault_share__counted_at_the_liquid_price() -> None:
    state, host = _staked()
    dispatch(state, host, CAROL, Stake(vault="stswk", amount=2 * DEAD))
    dispatch(state, host, CAROL, Transfer(vault="stswk", to=BOB, shares=1))
    host.staked_token_ledger.price = 3  # SWK per stSWK share
    assert voting_power(state, host, BOB) == 100 * SWK + 3


def test_voting_power__host_without_an_stswk_ledger__the_swk_vault_position_still_counts() -> None:
    state, host = _staked()
    dispatch(state, host, BOB, Stake(vault="stswk", amount=10 * SWK))
    bare = FakeHost(epoch=host.epoch)  # a chain that does not run the liquid module
    assert voting_power(state, bare, BOB) == 100 * SWK


def test_spends__only_a_stake_into_the_swk_vault_takes_swk_from_the_sender() -> None:
    assert spends(Stake(amount=5 * SWK)) == 5 * SWK
    assert spends(Stake(vault="stswk", amount=5 * SWK)) == 0
    for message in (
        Redeem(shares=SWK),
        Transfer(to=BOB, shares=SWK),
        ClaimRewards(),
        Slash(amount=SWK, recipient=RESERVE),
        AuthorizeSlasher(address=BOB),
    ):
        assert spends(message) == 0, message


def test_summary_and_describe__staked_assets_stakers_unclaimed_rewards_and_slashings() -> None:
    state, host = _staked(swk_emission_per_epoch=SWK)
    dispatch(state, host, CAROL, Stake(vault="stswk", amount=10 * SWK))
    _advance(state, host, 2)
    dispatch(state, host, ALICE, ClaimRewards(amount=SWK // 4))
    dispatch(state, host, GOV, Slash(amount=50 * SWK, recipient=RESERVE))
    s = summary(state)
    assert s == {
        "swk_staked": 150 * SWK,
        "stswk_staked": 10 * SWK,
        "stakers": 3,
        "rewards_unclaimed": 2 * SWK - SWK // 4,
        "slashings": 1,
    }
    assert describe(s) == (
        "safety module: 150.000 SWK and 10.000 stSWK (shares) staked by 3 stakers, 1.750 SWK of rewards unclaimed, "
        "1 slashings"
    )
