"""Shared by the lending tests: a fake host whose chain runs a liquid module (a stSWK ledger with a settable
exchange rate), optionally an AMM (a settable TWAP) and a real safety module state (its ``shortfall_cover``)."""

from __future__ import annotations

from stakework.modules.lending import MODULE
from stakework.modules.lending.epoch import on_epoch
from stakework.modules.lending.handlers import dispatch
from stakework.modules.lending.invariants import check
from stakework.modules.lending.parameters import LendingParameters
from stakework.modules.lending.state import LendingState, new_state
from stakework.modules.safety.handlers import SafetyShortfallCover
from stakework.modules.safety.state import SafetyState
from stakework.modules.safety.state import new_state as new_safety
from stakework.modules.safety.testing import FakeSafetyHost, FakeStakedToken
from stakework.spec.presets import get_preset

SWK = 10**9
WAD = 10**18
GOV, TREASURY = b"G" * 20, b"T" * 20
ALICE, BOB, CAROL, LIQ = b"a" * 20, b"b" * 20, b"c" * 20, b"l" * 20
PRESET = get_preset("mainnet")


class RateToken(FakeStakedToken):
    """stSWK shares whose SWK value is ``rate`` per share x 10^18 (the liquid module's exchange rate)."""

    def __init__(self) -> None:
        super().__init__()
        self.rate = WAD

    def swk_value(self, shares: int) -> int:
        return shares * self.rate // WAD


class FakeAmm:
    """The AMM's prices (``amm_oracle``): set ``twap`` and ``spot`` (x 10^18; 0: no price)."""

    def __init__(self, twap: int = WAD, spot: int = WAD) -> None:
        self.twap = twap
        self.spot = spot

    def twap_price(self) -> int:
        return self.twap

    def spot_price(self) -> int:
        return self.spot


class LendingHost(FakeSafetyHost):
    """A fake chain with the liquid module (:class:`RateToken`), and, when given, an AMM and a safety module."""

    def __init__(self, *, amm: FakeAmm | None = None, safety: SafetyState | None = None) -> None:
        super().__init__()
        self.staked_token_ledger: RateToken = RateToken()
        self.amm_oracle = amm
        self.safety = safety

    @property
    def shortfall_cover(self) -> SafetyShortfallCover | None:
        return None if self.safety is None else SafetyShortfallCover(self.safety, self)


def make(
    *, amm: FakeAmm | None = None, with_safety: bool = False, params: LendingParameters | None = None
) -> tuple[LendingState, LendingHost]:
    safety = new_safety(PRESET, governance=GOV, treasury=GOV) if with_safety else None
    host = LendingHost(amm=amm, safety=safety)
    state = new_state(PRESET, governance=GOV, treasury=TREASURY, params=params)
    for who in (ALICE, BOB, CAROL, LIQ):
        host.fund(who, 10_000 * SWK)
        host.staked_token_ledger.mint(who, 10_000 * SWK)
    return state, host


def step(state: LendingState, host: LendingHost, epochs: int = 1) -> None:
    """Advance ``epochs`` epochs, running the hook after each; the invariants must hold."""
    for _ in range(epochs):
        host.advance_epoch()
        on_epoch(state, host)
    assert check(state, host) == []


def send(state: LendingState, host: LendingHost, sender: bytes, msg: object) -> None:
    dispatch(state, host, sender, msg)  # type: ignore[arg-type]
    assert check(state, host) == []


def module(host: LendingHost) -> bytes:
    return host.module_address(MODULE)
