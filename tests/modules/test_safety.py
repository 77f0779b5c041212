"""Safety-module rules, one scenario each: staking into stkSWK, the cooldown and unstake window, Aave's weighted
cooldown on receipt, the emission index and its funding, claims, slashing (cap, post-slash window, history,
authorisation, the shortfall Protocol), governable parameters and their bounds, the stSWK vault, refusals that
change nothing, and the invariants."""

from __future__ import annotations

import msgspec
import pytest

from stakework.modules.safety import MODULE
from stakework.modules.safety.epoch import on_epoch
from stakework.modules.safety.errors import (
    AssetUnavailable,
    BelowMinimum,
    CooldownNotOver,
    CooldownNotStarted,
    InsufficientShares,
    InvalidParameter,
    NotAuthorized,
    NotReady,
    SafetyInvariantBroken,
    SlashingOngoing,
    UnknownEntity,
    UnstakeWindowOver,
)
from stakework.modules.safety.handlers import SafetyShortfallCover, dispatch, next_cooldown
from stakework.modules.safety.invariants import check, enforce
from stakework.modules.safety.messages import (
    AuthorizeSlasher,
    ClaimRewards,
    Cooldown,
    Redeem,
    SafetyMessage,
    SetParameters,
    SettleSlashing,
    Slash,
    Stake,
    Transfer,
)
from stakework.modules.safety.parameters import BOUNDS, SafetyParameters, default_parameters, with_changes
from stakework.modules.safety.protocols import ShortfallCover
from stakework.modules.safety.queries import apr, parameters, position, slash_history, vault_view
from stakework.modules.safety.state import INDEX_SCALE, SLASH_HISTORY, SafetyState, new_state
from stakework.modules.safety.testing import FakeSafetyHost
from stakework.modules.shares import BURN_ADDRESS
from stakework.modules.store import _canonical
from stakework.modules.testing import FakeHost
from stakework.spec.presets import get_preset

SWK = 10**9
GOV, TREASURY, RESERVE, REPORTER = b"G" * 20, b"T" * 20, b"R" * 20, b"L" * 20
ALICE, BOB, CAROL = b"a" * 20, b"b" * 20, b"c" * 20
DEAD = 10**6
PARAMS = SafetyParameters(
    cooldown_epochs=10, unstake_window_epochs=2, max_slash_bps=3000, post_slash_epochs=5, swk_emission_per_epoch=0
)


def setup(**changes: int) -> tuple[SafetyState, FakeSafetyHost]:
    state = new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, params=with_changes(PARAMS, **changes))
    host = FakeSafetyHost()
    for who in (ALICE, BOB, CAROL):
        host.fund(who, 10_000 * SWK)
        host.staked_token_ledger.mint(who, 10_000 * SWK)
    host.fund(TREASURY, 1_000 * SWK)
    return state, host


def module(host: FakeHost) -> int:
    return host.balance(host.module_address(MODULE))


def advance(state: SafetyState, host: FakeHost, epochs: int = 1) -> None:
    for _ in range(epochs):
        host.advance_epoch()
        on_epoch(state, host)


def snapshot(state: SafetyState, host: FakeSafetyHost) -> tuple[bytes, dict[bytes, int], dict[bytes, int]]:
    return msgspec.msgpack.encode(state), dict(host.accounts), dict(host.staked_token_ledger.shares)


def refused(state: SafetyState, host: FakeSafetyHost, sender: bytes, msg: SafetyMessage, error: type[Exception]) -> str:
    """Dispatch ``msg``, expect ``error``, and check nothing changed (state, accounts, stSWK shares)."""
    before = snapshot(state, host)
    with pytest.raises(error) as info:
        dispatch(state, host, sender, msg)
    assert snapshot(state, host) == before
    return str(info.value)


# --- staking ------------------------------------------------------------------------------------------------------
def test_stake__first_stake__locks_dead_shares_and_moves_swk_to_the_module() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    assert state.swk.ledger.shares_of(ALICE) == 100 * SWK - DEAD
    assert state.swk.ledger.shares_of(BURN_ADDRESS) == DEAD
    assert module(host) == 100 * SWK and host.balance(ALICE) == 9_900 * SWK
    assert check(state, host) == []


def test_stake__at_most_the_dead_shares__refused_and_nothing_moves() -> None:
    state, host = setup()
    text = refused(state, host, ALICE, Stake(amount=DEAD), BelowMinimum)
    assert "dead shares" in text


def test_stake__more_than_the_account_holds__refused_and_nothing_moves() -> None:
    state, host = setup()
    refused(state, host, ALICE, Stake(amount=10_001 * SWK), Exception)


def test_stake__to_unknown_vault__refused() -> None:
    state, host = setup()
    msg = msgspec.structs.replace(Stake(amount=SWK), vault="eth")  # past the decoder: the handler checks again
    refused(state, host, ALICE, msg, UnknownEntity)


def test_stake__stswk_vault__moves_liquid_shares_not_swk() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=50 * SWK))
    ledger = host.staked_token_ledger
    assert ledger.shares_of(host.module_address(MODULE)) == 50 * SWK
    assert ledger.shares_of(ALICE) == 9_950 * SWK and host.balance(ALICE) == 10_000 * SWK
    assert state.stswk.ledger.shares_of(ALICE) == 50 * SWK - DEAD
    assert state.swk.ledger.total_shares == 0


def test_stake__stswk_vault_beyond_the_sender_shares__refused_and_nothing_moves() -> None:
    state, host = setup()
    refused(state, host, ALICE, Stake(vault="stswk", amount=10_001 * SWK), InsufficientShares)


def test_stake__stswk_vault_on_a_chain_without_liquid_module__refused_naming_it() -> None:
    state = new_state(get_preset("minimal"), governance=GOV, treasury=TREASURY, params=PARAMS)
    host = FakeHost()
    host.fund(ALICE, 100 * SWK)
    with pytest.raises(AssetUnavailable, match="liquid module"):
        dispatch(state, host, ALICE, Stake(vault="stswk", amount=10 * SWK))


def test_stake__negative_amount__refused_at_decode() -> None:
    with pytest.raises(msgspec.ValidationError, match="amount"):
        msgspec.json.decode(b'{"type": "safety.stake", "amount": -1}', type=SafetyMessage)


# --- cooldown and window ------------------------------------------------------------------------------------------
def test_redeem__without_cooldown__refused_with_how_to() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    text = refused(state, host, ALICE, Redeem(shares=SWK), CooldownNotStarted)
    assert "safety.cooldown" in text


def test_redeem__before_cooldown_ends__refused_then_paid_in_window_then_refused_after_it() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    advance(state, host, 9)
    refused(state, host, ALICE, Redeem(shares=SWK), CooldownNotOver)
    advance(state, host)  # epoch 10 = start + cooldown: the window opens
    dispatch(state, host, ALICE, Redeem(shares=10 * SWK))
    assert host.balance(ALICE) == 9_910 * SWK
    advance(state, host)  # epoch 11: still open (2 epochs)
    dispatch(state, host, ALICE, Redeem(shares=10 * SWK))
    advance(state, host)  # epoch 12: closed
    refused(state, host, ALICE, Redeem(shares=SWK), UnstakeWindowOver)
    assert position(state, "swk", ALICE, host.epoch).cooldown == "expired"


def test_redeem__everything__clears_the_cooldown() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    advance(state, host, 10)
    dispatch(state, host, ALICE, Redeem(shares=state.swk.ledger.shares_of(ALICE)))
    assert ALICE not in state.swk.cooldowns and ALICE not in state.swk.user_index
    assert host.balance(ALICE) == 10_000 * SWK - DEAD  # the dead shares stay locked
    assert check(state, host) == []


def test_cooldown__without_shares__refused() -> None:
    state, host = setup()
    refused(state, host, ALICE, Cooldown(), InsufficientShares)


def test_next_cooldown__aave_weighted_rule() -> None:
    p = PARAMS  # cooldown 10, window 2: a cooldown started at s is over at s + 12
    # no cooldown on the receiver: none after
    assert next_cooldown(p, 5, None, 100, None, 100) is None
    # the receiver's window closed: none after
    assert next_cooldown(p, 12, None, 100, 0, 100) is None
    # a stake (no sender cooldown) counts as now, weighted by amounts, rounded up (later)
    assert next_cooldown(p, 4, None, 100, 0, 100) == 2
    assert next_cooldown(p, 5, None, 100, 0, 100) == 3  # 2.5 -> 3
    # an older sender cooldown leaves the receiver's alone
    assert next_cooldown(p, 5, 1, 100, 3, 100) == 3
    # a newer sender cooldown is averaged in
    assert next_cooldown(p, 6, 5, 300, 1, 100) == 4  # (1500 + 100) / 400
    # an expired sender cooldown counts as now
    assert next_cooldown(p, 20, 0, 100, 19, 100) == 20  # ceil(19.5)


def test_transfer__to_a_holder_in_cooldown__moves_its_cooldown_and_not_the_senders() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, BOB, Stake(amount=100 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    dispatch(state, host, BOB, Cooldown())
    advance(state, host, 4)
    dispatch(state, host, BOB, Cooldown())  # bob restarts at 4
    bob_before = state.swk.cooldowns[BOB]
    shares = state.swk.ledger.shares_of(ALICE)
    dispatch(state, host, BOB, Transfer(to=ALICE, shares=shares))
    assert state.swk.cooldowns[BOB] == bob_before == 4
    assert state.swk.cooldowns[ALICE] == 2  # equal amounts: halfway from 0 to 4
    assert check(state, host) == []


def test_transfer__everything__sender_loses_its_cooldown() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    dispatch(state, host, ALICE, Transfer(to=BOB, shares=state.swk.ledger.shares_of(ALICE)))
    assert ALICE not in state.swk.cooldowns and BOB not in state.swk.cooldowns


def test_stake__into_a_running_cooldown__moves_it_towards_now() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK + DEAD))
    dispatch(state, host, ALICE, Cooldown())
    advance(state, host, 6)
    dispatch(state, host, ALICE, Stake(amount=300 * SWK))
    assert state.swk.cooldowns[ALICE] == 5  # ceil((300 * 6 + 100 * 0) / 400) = ceil(4.5)


def test_transfer__to_the_burn_address__refused() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    refused(state, host, ALICE, Transfer(to=BURN_ADDRESS, shares=1), NotAuthorized)


# --- rewards ------------------------------------------------------------------------------------------------------
def test_emission__shared_by_shares_and_paid_from_the_treasury() -> None:
    state, host = setup(swk_emission_per_epoch=4 * SWK)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK + DEAD))
    dispatch(state, host, BOB, Stake(amount=300 * SWK))
    advance(state, host, 10)
    assert host.balance(TREASURY) == 960 * SWK
    alice = position(state, "swk", ALICE, host.epoch).rewards
    bob = position(state, "swk", BOB, host.epoch).rewards
    assert alice + bob <= 40 * SWK
    assert 40 * SWK - (alice + bob) < 40 * SWK * DEAD // (400 * SWK) + 20  # the dead shares' cut plus floors
    assert abs(3 * alice - bob) <= 3
    dispatch(state, host, BOB, ClaimRewards())
    assert host.balance(BOB) == 9_700 * SWK + bob
    assert state.swk.claimed == bob and position(state, "swk", BOB, host.epoch).rewards == 0
    assert module(host) == state.swk.ledger.total_assets + state.swk.emitted - state.swk.claimed


def test_emission__a_late_staker_gets_nothing_of_earlier_epochs() -> None:
    state, host = setup(swk_emission_per_epoch=SWK)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    advance(state, host, 5)
    dispatch(state, host, BOB, Stake(amount=100 * SWK))
    assert position(state, "swk", BOB, host.epoch).rewards == 0
    advance(state, host)
    assert 0 < position(state, "swk", BOB, host.epoch).rewards <= SWK // 2


def test_claim__more_than_owed__pays_what_is_owed_and_nothing_owed_is_refused() -> None:
    state, host = setup(swk_emission_per_epoch=SWK)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    advance(state, host, 2)
    owed = position(state, "swk", ALICE, host.epoch).rewards
    dispatch(state, host, ALICE, ClaimRewards(amount=owed // 2))
    assert position(state, "swk", ALICE, host.epoch).rewards == owed - owed // 2
    dispatch(state, host, ALICE, ClaimRewards(amount=10**15, to=CAROL))
    assert host.balance(CAROL) == 10_000 * SWK + owed - owed // 2
    refused(state, host, ALICE, ClaimRewards(), BelowMinimum)
    refused(state, host, BOB, ClaimRewards(), BelowMinimum)


def test_rewards__follow_transferred_shares_only_from_the_transfer_on() -> None:
    state, host = setup(swk_emission_per_epoch=SWK)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    advance(state, host, 3)
    earned = position(state, "swk", ALICE, host.epoch).rewards
    dispatch(state, host, ALICE, Transfer(to=BOB, shares=state.swk.ledger.shares_of(ALICE)))
    assert position(state, "swk", ALICE, host.epoch).rewards == earned  # settled before the shares moved
    assert position(state, "swk", BOB, host.epoch).rewards == 0
    assert check(state, host) == []


def test_emission__treasury_short__skipped_counted_and_reported_then_resumes() -> None:
    state, host = setup(swk_emission_per_epoch=600 * SWK)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    advance(state, host)
    assert state.swk.emission_status == "paid"
    advance(state, host)  # 400 left, 600 needed
    view = vault_view(state, "swk", host.epoch)
    assert (view.emission_status, view.emitting, view.unfunded_epochs) == ("treasury short", False, 1)
    assert host.balance(TREASURY) == 400 * SWK and state.swk.emitted == 600 * SWK
    assert apr(state, "swk", 100).emitting is False
    host.fund(TREASURY, 200 * SWK)
    advance(state, host)
    assert state.swk.emission_status == "paid" and state.swk.emitted == 1_200 * SWK


def test_emission__no_stakers__takes_nothing_from_the_treasury() -> None:
    state, host = setup(swk_emission_per_epoch=SWK)
    advance(state, host, 3)
    assert host.balance(TREASURY) == 1_000 * SWK and state.swk.emission_status == "no stakers"
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    advance(state, host, 10)
    dispatch(state, host, ALICE, Redeem(shares=state.swk.ledger.shares_of(ALICE)))
    paid = host.balance(TREASURY)
    advance(state, host, 2)  # only the dead shares are left
    assert host.balance(TREASURY) == paid and state.swk.emission_status == "no stakers"


def test_emission__that_would_pass_2_64_in_the_index__not_paid() -> None:
    state, host = setup(swk_emission_per_epoch=10**15)
    host.fund(TREASURY, 10**16)
    dispatch(state, host, ALICE, Stake(amount=DEAD + 1))  # two shares: 10**15 * 10**12 // ... > 2**64
    advance(state, host)
    assert state.swk.emission_status == "index cap" and state.swk.index == 0
    assert check(state, host) == []


def test_apr__from_the_rate_and_the_vault_assets() -> None:
    state, host = setup(swk_emission_per_epoch=SWK)
    assert apr(state, "swk", 82_125).apr_bps is None  # an empty vault
    dispatch(state, host, ALICE, Stake(amount=1_000 * SWK))
    view = apr(state, "swk", 82_125)  # a year of 6.4-minute epochs
    assert view.apr_bps == 82_125 * 10_000 // 1_000
    assert apr(state, "stswk", 82_125, value=2_000 * SWK).apr_bps == 0  # stSWK vault: no rate set


# --- slashing -------------------------------------------------------------------------------------------------------
def staked(**changes: int) -> tuple[SafetyState, FakeSafetyHost]:
    state, host = setup(**changes)
    dispatch(state, host, ALICE, Stake(amount=100 * SWK))
    dispatch(state, host, BOB, Stake(amount=100 * SWK))
    return state, host


def test_slash__above_the_cap__takes_the_cap_and_the_price_falls_for_all() -> None:
    state, host = staked()
    alice_before = state.swk.ledger.assets_of(ALICE)
    dispatch(state, host, GOV, Slash(amount=10**18, recipient=RESERVE, reason="bad debt"))
    assert host.balance(RESERVE) == 60 * SWK  # 30 % of 200
    assert state.swk.ledger.total_assets == 140 * SWK
    assert state.swk.ledger.assets_of(ALICE) <= alice_before * 7 // 10
    (record,) = slash_history(state, 10)
    assert (record.amount, record.cap, record.assets_before, record.reason) == (
        60 * SWK,
        60 * SWK,
        200 * SWK,
        "bad debt",
    )
    assert module(host) == 140 * SWK


def test_slash__by_a_stranger__refused() -> None:
    state, host = staked()
    refused(state, host, ALICE, Slash(amount=SWK, recipient=RESERVE), NotAuthorized)


def test_slash__post_slash_window__redeem_without_cooldown_stake_and_second_slash_refused() -> None:
    state, host = staked()
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE))
    assert position(state, "swk", ALICE, host.epoch).can_redeem
    refused(state, host, CAROL, Stake(amount=SWK), SlashingOngoing)
    refused(state, host, GOV, Slash(amount=SWK, recipient=RESERVE), SlashingOngoing)
    dispatch(state, host, ALICE, Redeem(shares=10 * SWK))  # no cooldown needed
    advance(state, host, 5)  # the window (5 epochs) is over
    refused(state, host, ALICE, Redeem(shares=SWK), CooldownNotStarted)
    dispatch(state, host, CAROL, Stake(amount=SWK))
    assert check(state, host) == []


def test_settle_slashing__ends_the_window_governance_only() -> None:
    state, host = staked()
    refused(state, host, GOV, SettleSlashing(), NotReady)
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE))
    refused(state, host, ALICE, SettleSlashing(), NotAuthorized)
    dispatch(state, host, GOV, SettleSlashing())
    refused(state, host, ALICE, Redeem(shares=SWK), CooldownNotStarted)
    dispatch(state, host, CAROL, Stake(amount=SWK))


def test_shortfall_cover__an_authorised_reporter_slashes_capped_and_a_removed_one_cannot() -> None:
    state, host = staked()
    cover: ShortfallCover = SafetyShortfallCover(state, host)  # the Protocol a lending module will call
    with pytest.raises(NotAuthorized):
        cover.cover_shortfall(REPORTER, "swk", SWK, RESERVE, "lending bad debt")
    dispatch(state, host, GOV, AuthorizeSlasher(address=REPORTER))
    assert cover.cover_shortfall(REPORTER, "swk", 500 * SWK, RESERVE, "lending bad debt") == 60 * SWK
    assert slash_history(state, 1)[0].by == REPORTER
    dispatch(state, host, GOV, SettleSlashing())
    dispatch(state, host, GOV, AuthorizeSlasher(address=REPORTER, allowed=False))
    with pytest.raises(NotAuthorized):
        cover.cover_shortfall(REPORTER, "swk", SWK, RESERVE, "again")


def test_slash__stswk_vault__pays_liquid_shares() -> None:
    state, host = setup()
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=100 * SWK))
    dispatch(state, host, GOV, Slash(vault="stswk", amount=10 * SWK, recipient=RESERVE))
    assert host.staked_token_ledger.shares_of(RESERVE) == 10 * SWK
    assert host.staked_token_ledger.shares_of(host.module_address(MODULE)) == 90 * SWK
    assert state.stswk.ledger.total_assets == 90 * SWK


def test_slash__history_keeps_the_last_64() -> None:
    state, host = staked(post_slash_epochs=0, max_slash_bps=1)
    for _ in range(SLASH_HISTORY + 3):
        dispatch(state, host, GOV, Slash(amount=1, recipient=RESERVE, reason="x"))
    assert len(state.slash_history) == SLASH_HISTORY and state.swk.slashed == SLASH_HISTORY + 3
    assert check(state, host) == []


def test_slash__reason_longer_than_64__refused_at_decode() -> None:
    raw = msgspec.msgpack.encode({"type": "safety.slash", "amount": 1, "recipient": RESERVE, "reason": "x" * 65})
    with pytest.raises(msgspec.ValidationError, match="reason"):
        msgspec.msgpack.decode(raw, type=SafetyMessage)


# --- parameters -----------------------------------------------------------------------------------------------------
def test_default_parameters__aave_durations_in_the_presets_epochs() -> None:
    mainnet = default_parameters(get_preset("mainnet"))  # 6.4-minute epochs
    assert (mainnet.cooldown_epochs, mainnet.unstake_window_epochs, mainnet.max_slash_bps) == (2250, 450, 3000)
    devnet = default_parameters(get_preset("devnet"))  # 16-second epochs
    assert (devnet.cooldown_epochs, devnet.unstake_window_epochs) == (54_000, 10_800)


def test_set_parameters__governance_changes_within_bounds() -> None:
    state, host = setup()
    dispatch(state, host, GOV, SetParameters(cooldown_epochs=20, swk_emission_per_epoch=5))
    assert (state.params.cooldown_epochs, state.params.swk_emission_per_epoch) == (20, 5)
    assert parameters(state)["cooldown_epochs"]["value"] == 20


def test_set_parameters__one_out_of_bounds__refused_naming_it_and_nothing_applies() -> None:
    state, host = setup()
    text = refused(state, host, GOV, SetParameters(cooldown_epochs=20, max_slash_bps=6000), InvalidParameter)
    assert "max_slash_bps" in text and str(BOUNDS["max_slash_bps"].max) in text
    refused(state, host, GOV, SetParameters(cooldown_epochs=0), InvalidParameter)
    refused(state, host, GOV, SetParameters(), BelowMinimum)
    refused(state, host, ALICE, SetParameters(cooldown_epochs=20), NotAuthorized)


def test_with_changes__unknown_name__refused_listing_the_known_ones() -> None:
    with pytest.raises(InvalidParameter, match="cooldown_epochs"):
        with_changes(PARAMS, cooldown=3)


# --- invariants -----------------------------------------------------------------------------------------------------
def test_invariants__claims_beyond_emitted__reported_and_enforce_raises() -> None:
    state, host = staked(swk_emission_per_epoch=SWK)
    advance(state, host)
    enforce(state, host)
    state.swk.claimed = state.swk.emitted  # as if someone had been paid what is still owed
    assert any("exceeds emitted" in p for p in check(state, host))
    with pytest.raises(SafetyInvariantBroken, match="exceeds emitted"):
        enforce(state, host)


def test_invariants__an_unsettled_holder__reported() -> None:
    state, host = staked()
    del state.swk.user_index[ALICE]
    assert any("not settled" in p for p in check(state, host))


def test_index__rounds_down_never_owing_more_than_emitted() -> None:
    state, host = setup(swk_emission_per_epoch=7)
    dispatch(state, host, ALICE, Stake(amount=3 * DEAD))
    dispatch(state, host, BOB, Stake(amount=5 * DEAD))
    advance(state, host, 3)
    assert state.swk.index == 3 * (7 * INDEX_SCALE // (8 * DEAD))
    owed = sum(position(state, "swk", h, host.epoch).rewards for h in (ALICE, BOB))
    assert owed <= state.swk.emitted == 21


def test_state__after_stakes_emissions_and_a_slashing__encodes_canonically_with_unsigned_64_bit_integers() -> None:
    state, host = staked(swk_emission_per_epoch=SWK)
    dispatch(state, host, ALICE, Stake(vault="stswk", amount=10 * SWK))
    dispatch(state, host, ALICE, Cooldown())
    advance(state, host, 2)
    dispatch(state, host, GOV, Slash(amount=SWK, recipient=RESERVE, reason="test"))
    raw = msgspec.msgpack.encode(state)
    assert msgspec.msgpack.decode(raw, type=SafetyState) == state
    values: list[object] = [_canonical(msgspec.to_builtins(state, builtin_types=(bytes,)))]
    while values:  # every integer the state root would hash is a uint64
        value = values.pop()
        if isinstance(value, dict):
            values += [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple):
            values += list(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            assert 0 <= value < 2**64, value
    assert vault_view(state, "swk", host.epoch).in_post_slash


def test_position__cooldown_states_and_can_redeem_follow_the_window() -> None:
    state, host = staked()
    assert position(state, "swk", ALICE, host.epoch).cooldown == "none"
    dispatch(state, host, ALICE, Cooldown())
    view = position(state, "swk", ALICE, host.epoch)
    assert (view.cooldown, view.window_opens, view.window_closes, view.can_redeem) == ("cooling", 10, 12, False)
    advance(state, host, 10)
    assert position(state, "swk", ALICE, host.epoch).can_redeem
    advance(state, host, 2)
    assert position(state, "swk", ALICE, host.epoch).cooldown == "expired"
    assert vault_view(state, "swk", host.epoch).max_slashable == 60 * SWK
    assert parameters(state)["max_slash_bps"] == {
        "value": 3000,
        "min": 0,
        "max": 5000,
        "doc": BOUNDS["max_slash_bps"].doc,
    }
