"""The shared withdrawal queue on its own (stakework.modules.queue): FIFO finalization while the buffer pays the
head, Lido's share-rate cap, exits asked for only what the queue needs, claims by the owner only. Found missing by
mutation testing (scripts/mutate, docs/testing.md); the pool and liquid tests cover it through their modules."""

from __future__ import annotations

import dataclasses
from typing import cast

import pytest

from stakework.modules.errors import NotAuthorized, NotReady, UnknownEntity
from stakework.modules.host import ModuleHost
from stakework.modules.queue import (
    PriceSample,
    WithdrawalRequest,
    claim,
    finalize_requests,
    history_apr_bps,
    queue_view,
    request_exits,
    sample_price,
)
from stakework.modules.shares import ShareLedger

HOLDER = b"q" * 20
MODULE_ADDRESS = b"m" * 20
ALICE, BOB = b"a" * 20, b"b" * 20


@dataclasses.dataclass
class Owner:
    ledger: ShareLedger
    buffer: int = 0
    reserved: int = 0
    queued_assets: int = 0
    next_request_id: int = 0
    next_to_finalize: int = 0
    requests: dict[int, WithdrawalRequest] = dataclasses.field(default_factory=dict)

    def enqueue(self, owner: bytes, shares: int, amount: int) -> WithdrawalRequest:
        """What a module's withdrawal handler does: the shares wait under the queue holder."""
        self.ledger.transfer(owner, HOLDER, shares)
        request = WithdrawalRequest(id=self.next_request_id, owner=owner, shares=shares, amount=amount, epoch=0)
        self.requests[request.id] = request
        self.next_request_id += 1
        self.queued_assets += amount
        return request


@dataclasses.dataclass
class Validator:
    pubkey: bytes
    last_balance: int
    exiting: bool = False


class RecordingHost:
    """The part of the module host the queue uses, recording what it was asked."""

    def __init__(self) -> None:
        self.balances: dict[bytes, int] = {MODULE_ADDRESS: 0}
        self.exits: list[bytes] = []

    def module_address(self, module: str) -> bytes:
        assert module == "pool"
        return MODULE_ADDRESS

    def debit(self, address: bytes, amount: int) -> None:
        assert self.balances.get(address, 0) >= amount
        self.balances[address] -= amount

    def credit(self, address: bytes, amount: int) -> None:
        self.balances[address] = self.balances.get(address, 0) + amount

    def request_exit(self, module: str, pubkey: bytes) -> None:
        self.exits.append(pubkey)


def _host(host: RecordingHost) -> ModuleHost:
    """The recording host stands in for the chain (it has every method the queue calls)."""
    return cast("ModuleHost", host)


def _owner(price_assets: int = 100, price_shares: int = 100) -> Owner:
    """Alice holds every share of a ledger at price_assets / price_shares per share."""
    return Owner(
        ledger=ShareLedger(
            shares={ALICE: price_shares}, total_shares=price_shares, total_assets=price_assets, dead_shares=0
        )
    )


# --- finalization ---------------------------------------------------------------------------------------------------
def test_finalize__empty_queue__nothing_finalized() -> None:
    owner = _owner()
    owner.buffer = 50
    assert finalize_requests(owner, HOLDER) == 0
    assert (owner.buffer, owner.reserved, owner.next_to_finalize) == (50, 0, 0)


def test_finalize__buffer_covers_the_first_two_exactly__fifo_stops_before_the_third() -> None:
    owner = _owner()  # one share is worth one base unit
    first, second, third = owner.enqueue(ALICE, 10, 10), owner.enqueue(ALICE, 20, 20), owner.enqueue(ALICE, 5, 5)
    owner.buffer = 30  # the first two exactly; the third (smaller) must wait its turn
    assert finalize_requests(owner, HOLDER) == 2
    assert (first.finalized, first.paid, second.finalized, second.paid) == (True, 10, True, 20)
    assert (third.finalized, third.paid) == (False, 0)
    assert (owner.next_to_finalize, owner.buffer, owner.reserved, owner.queued_assets) == (2, 0, 30, 5)
    assert owner.ledger.shares_of(HOLDER) == 5  # the finalized requests' shares are burned
    assert (owner.ledger.total_shares, owner.ledger.total_assets) == (70, 70)
    assert owner.ledger.check() == []


def test_finalize__buffer_one_short__head_waits() -> None:
    owner = _owner()
    owner.enqueue(ALICE, 10, 10)
    owner.buffer = 9
    assert finalize_requests(owner, HOLDER) == 0
    assert (owner.next_to_finalize, owner.buffer, owner.reserved) == (0, 9, 0)


def test_finalize__whole_queue_paid__head_reaches_the_end_and_later_requests_follow() -> None:
    owner = _owner()
    owner.enqueue(ALICE, 10, 10)
    owner.buffer = 100
    assert finalize_requests(owner, HOLDER) == 1
    assert finalize_requests(owner, HOLDER) == 0  # nothing left: no request past the end is read
    late = owner.enqueue(ALICE, 7, 7)
    assert finalize_requests(owner, HOLDER) == 1
    assert (late.finalized, late.paid, owner.next_to_finalize, owner.buffer, owner.reserved) == (True, 7, 2, 83, 17)


def test_finalize__shares_lost_value_since_the_request__pays_their_worth_now_rounded_down() -> None:
    owner = _owner(100, 30)  # a share is worth 3.33
    request = owner.enqueue(ALICE, 3, 12)  # asked for 12 when the shares were worth more
    owner.buffer = 100
    assert finalize_requests(owner, HOLDER) == 1
    assert request.paid == 10  # floor(3 * 100 / 30)
    assert (owner.buffer, owner.reserved, owner.queued_assets) == (90, 10, 0)
    owner2 = _owner(100, 30)
    inexact = owner2.enqueue(ALICE, 1, 5)
    owner2.buffer = 100
    finalize_requests(owner2, HOLDER)
    assert inexact.paid == 3  # floor(3.33), never rounded up


def test_finalize__shares_gained_value_since_the_request__pays_the_amount_asked() -> None:
    owner = _owner()
    request = owner.enqueue(ALICE, 10, 10)
    owner.ledger.add_assets(100)  # rewards after the request stay with the remaining holders
    owner.buffer = 100
    finalize_requests(owner, HOLDER)
    assert request.paid == 10
    assert owner.ledger.total_assets == 190


# --- exits ------------------------------------------------------------------------------------------------------------
def _validators() -> list[Validator]:
    return [Validator(bytes([i]) * 48, 32, exiting=(i == 0)) for i in range(4)]


def test_request_exits__need_beyond_buffer_and_pending_exits__oldest_exited_until_covered() -> None:
    owner, host, validators = _owner(), RecordingHost(), _validators()
    owner.queued_assets, owner.buffer = 100, 4  # need 100 - 4 - 32 (validator 0 already exiting) = 64
    request_exits(owner, validators, _host(host), "pool")
    assert host.exits == [validators[0].pubkey, validators[1].pubkey, validators[2].pubkey]
    assert [v.exiting for v in validators] == [True, True, True, False]


def test_request_exits__one_base_unit_short__one_more_validator_exits() -> None:
    owner, host, validators = _owner(), RecordingHost(), _validators()
    owner.queued_assets, owner.buffer = 37, 4  # need 1
    request_exits(owner, validators, _host(host), "pool")
    assert host.exits == [validators[0].pubkey, validators[1].pubkey]


def test_request_exits__covered_by_buffer_and_pending_exits__only_the_exiting_one_asked_again() -> None:
    owner, host, validators = _owner(), RecordingHost(), _validators()
    owner.queued_assets, owner.buffer = 36, 4  # need 0
    request_exits(owner, validators, _host(host), "pool")
    assert host.exits == [validators[0].pubkey]
    assert [v.exiting for v in validators] == [True, False, False, False]


# --- claims ----------------------------------------------------------------------------------------------------------
def _finalized_owner() -> tuple[Owner, RecordingHost, WithdrawalRequest]:
    owner, host = _owner(), RecordingHost()
    request = owner.enqueue(ALICE, 10, 10)
    owner.buffer = 10
    finalize_requests(owner, HOLDER)
    host.balances[MODULE_ADDRESS] = 10
    return owner, host, request


def test_claim__finalized_by_its_owner__paid_once_and_forgotten() -> None:
    owner, host, request = _finalized_owner()
    claim(owner, _host(host), "pool", ALICE, request.id)
    assert (host.balances[ALICE], host.balances[MODULE_ADDRESS], owner.reserved) == (10, 0, 0)
    assert request.id not in owner.requests
    with pytest.raises(UnknownEntity, match="no open request 0 in pool 3"):
        claim(owner, _host(host), "pool", ALICE, request.id, " in pool 3")


def test_claim__by_someone_else__refused_nothing_paid() -> None:
    owner, host, request = _finalized_owner()
    with pytest.raises(NotAuthorized, match="owner"):
        claim(owner, _host(host), "pool", BOB, request.id)
    assert (host.balances.get(BOB, 0), owner.reserved, request.id in owner.requests) == (0, 10, True)


def test_claim__not_finalized__refused_nothing_paid() -> None:
    owner, host = _owner(), RecordingHost()
    request = owner.enqueue(ALICE, 10, 10)
    host.balances[MODULE_ADDRESS] = 10
    with pytest.raises(NotReady, match="not finalized"):
        claim(owner, _host(host), "pool", ALICE, request.id)
    assert (host.balances.get(ALICE, 0), request.id in owner.requests) == (0, True)


# --- summary, price and APR ------------------------------------------------------------------------------------------
def test_queue_view__two_queued_one_finalized__counts_the_unfinalized() -> None:
    owner = _owner()
    owner.enqueue(ALICE, 10, 10)
    owner.enqueue(ALICE, 20, 20)
    owner.buffer = 15
    finalize_requests(owner, HOLDER)
    view = queue_view(owner)
    assert (view.next_request_id, view.next_to_finalize, view.unfinalized) == (2, 1, 1)
    assert (view.queued_assets, view.reserved_for_claims, view.buffer) == (20, 10, 5)


def test_sample_price__quoted_per_10_9_shares__rounded_down() -> None:
    assert sample_price(PriceSample(0, 32 * 10**9, 32 * 10**9)) == 10**9  # 1:1
    assert sample_price(PriceSample(0, 10, 3)) == 3_333_333_333  # 10 / 3 per share, rounded down
    assert sample_price(PriceSample(0, 5, 1)) == 5 * 10**9  # a single share is priced, not 1:1


def test_sample_price__no_shares__the_one_to_one_price() -> None:
    assert sample_price(PriceSample(0, 0, 0)) == 10**9
    assert sample_price(PriceSample(0, 700, 0)) == 10**9  # assets with no shares (a donation before a deposit)


def _history(*prices: int) -> list[PriceSample]:
    """One sample per epoch from 0, each at ``price`` assets per 100 shares."""
    return [PriceSample(epoch, price, 100) for epoch, price in enumerate(prices)]


def test_history_apr__growth_over_the_window__annualised_linearly_rounded_down() -> None:
    history = [PriceSample(0, 100, 100), PriceSample(3, 101, 100)]
    assert history_apr_bps(history, 10, 7) == 233  # 1 % over 3 epochs, 7 epochs a year: 2.333 %
    loss = [PriceSample(0, 100, 100), PriceSample(3, 99, 100)]
    assert history_apr_bps(loss, 10, 7) == -233  # negative after a loss, rounded towards zero
    flat = [PriceSample(0, 100, 100), PriceSample(3, 100, 100)]
    assert history_apr_bps(flat, 10, 7) == 0


def test_history_apr__window_shorter_than_history__only_the_last_epochs_count() -> None:
    history = _history(100, 100, 110, 121)
    assert history_apr_bps(history, 1, 1) == 1000  # 110 -> 121 over one epoch: 10 %
    assert history_apr_bps(history, 2, 1) == 1050  # 100 -> 121 over two epochs
    assert history_apr_bps(history, 3, 1) == 700  # 100 -> 121 over three
    assert history_apr_bps(history, 100, 1) == 700  # a window past the history: all of it


@pytest.mark.parametrize(
    ("history", "epochs"),
    [
        ([], 5),  # no samples
        (_history(100), 5),  # one sample
        (_history(100, 110), 0),  # an empty window
        ([PriceSample(4, 100, 100), PriceSample(4, 110, 100)], 5),  # no time between the samples
        ([PriceSample(0, 100, 0), PriceSample(1, 110, 100)], 5),  # no shares at the start
        ([PriceSample(0, 0, 100), PriceSample(1, 110, 100)], 5),  # no assets at the start
        ([PriceSample(0, 100, 100), PriceSample(1, 0, 0)], 5),  # no shares at the end
    ],
)
def test_history_apr__nothing_to_measure__none(history: list[PriceSample], epochs: int) -> None:
    assert history_apr_bps(history, epochs, 100) is None


def test_history_apr__two_samples_one_epoch_apart__measured() -> None:
    assert history_apr_bps(_history(100, 101), 1, 10) == 1000  # 1 % an epoch, 10 epochs a year
