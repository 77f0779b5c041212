"""An in-memory stSWK ledger with a settable share price, and a :class:`~stakework.modules.testing.FakeHost` that
offers it as ``staked_token_ledger``, for the AMM's tests (the chain's host offers the liquid module's ledger)."""

from __future__ import annotations

from stakework.modules.errors import InsufficientShares
from stakework.modules.testing import FakeHost


class FakeStakedToken:
    """stSWK shares per account; ``rate`` is SWK Gwei per 10**18 shares (1:1 by default)."""

    def __init__(self, rate: int = 10**18) -> None:
        self.shares: dict[bytes, int] = {}
        self.rate = rate
        self.minted = 0

    def shares_of(self, holder: bytes) -> int:
        return self.shares.get(holder, 0)

    def swk_value(self, shares: int) -> int:
        return shares * self.rate // 10**18

    def transfer_shares(self, sender: bytes, recipient: bytes, shares: int) -> None:
        held = self.shares.get(sender, 0)
        if shares <= 0 or held < shares:
            raise InsufficientShares(f"{sender.hex()} holds {held} stSWK shares, {shares} to move")
        self.shares[sender] = held - shares
        self.shares[recipient] = self.shares.get(recipient, 0) + shares

    def mint(self, holder: bytes, shares: int) -> None:
        """Give ``holder`` stSWK shares (a test faucet)."""
        self.shares[holder] = self.shares.get(holder, 0) + shares
        self.minted += shares


class FakeAmmHost(FakeHost):
    """A :class:`FakeHost` whose chain runs the liquid module: it offers ``staked_token_ledger``."""

    def __init__(self, *, epoch: int = 0, rate: int = 10**18) -> None:
        super().__init__(epoch=epoch)
        self.staked_token_ledger = FakeStakedToken(rate)
