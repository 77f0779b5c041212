"""Pure liquid-module handlers: ``handle_<message>(state, host, sender, msg)``. Validate first, then move money
through the host, then mutate state, so a refused message changes nothing. All O(1) in the number of holders.

stSWK transfer rounding (Lido's 1-2 wei corner case, ``StETH.transfer`` docs): a transfer of ``amount`` stSWK
moves ``floor(amount * total_shares / pooled)`` shares, and balances are ``floor(shares * pooled /
total_shares)``. So the recipient's balance may grow by 1-2 base units less than ``amount`` and the sender's
may shrink by 1 less or more; nothing is created. Use :class:`~.messages.TransferShares` (or wstSWK) to move an
exact quantity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.modules import queue
from stakework.modules.arith import BPS, Rounding
from stakework.modules.host import ModuleHost
from stakework.modules.keys import check_new_keys
from stakework.modules.liquid import MODULE
from stakework.modules.liquid.errors import (
    AboveMaximum,
    BelowMinimum,
    Insolvent,
    InsufficientShares,
    NotAuthorized,
    NotReady,
    StakeLimitExceeded,
    UnknownEntity,
)
from stakework.modules.liquid.messages import (
    AddOperator,
    Claim,
    LiquidMessage,
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
from stakework.modules.liquid.state import (
    QUEUE_HOLDER,
    REBASE_PRECISION,
    WRAPPER,
    LiquidState,
    Operator,
)
from stakework.modules.queue import WithdrawalRequest
from stakework.modules.shares import BURN_ADDRESS

RESERVED = frozenset({BURN_ADDRESS, WRAPPER, QUEUE_HOLDER})


def _not_reserved(address: bytes) -> None:
    if address in RESERVED:
        raise NotAuthorized("reserved address")


def current_stake_limit(state: LiquidState, epoch: int) -> int | None:
    """Lido ``StakeLimitUtils.calculateCurrentStakeLimit``: the limit refills linearly by
    ``stake_limit_increase_per_epoch`` up to ``max_stake_limit``. ``None``: unlimited."""
    if state.max_stake_limit == 0:
        return None
    grown = state.stake_limit_prev + (epoch - state.stake_limit_prev_epoch) * state.stake_limit_increase_per_epoch
    return min(grown, state.max_stake_limit)


def handle_add_operator(state: LiquidState, host: ModuleHost, sender: bytes, msg: AddOperator) -> None:
    if sender != state.admin:
        raise NotAuthorized("only the admin adds operators")
    _not_reserved(msg.address)
    state.operators.append(Operator(address=msg.address))


def handle_set_parameters(state: LiquidState, host: ModuleHost, sender: bytes, msg: SetParameters) -> None:
    """Checks every given value, then applies them all. A new stake limit starts full, or at what is left of the
    current one if that is less (Lido ``setStakingLimit`` keeps the limit from jumping up mid-window)."""
    if sender != state.admin:
        raise NotAuthorized("only the admin sets the liquid module's parameters")
    for name, value, top in (
        ("fee_bps", msg.fee_bps, BPS),
        ("treasury_share_bps", msg.treasury_share_bps, BPS),
        ("max_positive_rebase", msg.max_positive_rebase, REBASE_PRECISION),
    ):
        if value is not None and not 0 <= value <= top:
            raise AboveMaximum(f"{name} must be 0..{top}, got {value}")
    if msg.max_positive_rebase == 0:
        raise BelowMinimum("max_positive_rebase must be positive (rewards would never be recognised)")
    for name, value in (
        ("max_stake_limit", msg.max_stake_limit),
        ("stake_limit_increase_per_epoch", msg.stake_limit_increase_per_epoch),
    ):
        if value is not None and value < 0:
            raise BelowMinimum(f"{name} must not be negative, got {value}")
    if msg.fee_bps is not None:
        state.fee_bps = msg.fee_bps
    if msg.treasury_share_bps is not None:
        state.treasury_share_bps = msg.treasury_share_bps
    if msg.max_positive_rebase is not None:
        state.max_positive_rebase = msg.max_positive_rebase
    if msg.max_stake_limit is not None or msg.stake_limit_increase_per_epoch is not None:
        current = current_stake_limit(state, host.epoch)
        if msg.stake_limit_increase_per_epoch is not None:
            state.stake_limit_increase_per_epoch = msg.stake_limit_increase_per_epoch
        if msg.max_stake_limit is not None:
            state.max_stake_limit = msg.max_stake_limit
        state.stake_limit_prev = state.max_stake_limit if current is None else min(current, state.max_stake_limit)
        state.stake_limit_prev_epoch = host.epoch
    if msg.staking_paused is not None:
        state.staking_paused = msg.staking_paused


def handle_submit_keys(state: LiquidState, host: ModuleHost, sender: bytes, msg: SubmitKeys) -> None:
    index = next((i for i, op in enumerate(state.operators) if op.address == sender), None)
    if index is None:
        raise NotAuthorized("only a registered operator submits keys")
    check_new_keys(host, MODULE, msg.keys, state.key_owner)
    state.operators[index].spare_keys.extend(msg.keys)
    for key in msg.keys:
        state.key_owner[key.pubkey] = index


def handle_stake(state: LiquidState, host: ModuleHost, sender: bytes, msg: Stake) -> None:
    """Mint stSWK shares for ``amount`` (rounded down; Lido ``_submit``), within the stake limit."""
    _not_reserved(sender)
    if state.staking_paused:
        raise NotReady("staking is paused by the module's admin")
    if msg.amount <= 0:
        raise BelowMinimum("stake a positive amount")
    limit = current_stake_limit(state, host.epoch)
    if limit is not None and msg.amount > limit:
        raise StakeLimitExceeded(f"the stake limit allows {limit} now, {msg.amount} asked")
    if state.ledger.total_shares and state.ledger.total_assets == 0:
        raise Insolvent("the module has lost all its pooled SWK; it takes no stake")
    if state.ledger.preview_deposit(msg.amount) == 0:
        raise BelowMinimum(f"{msg.amount} buys no share")
    host.debit(sender, msg.amount)
    host.credit(host.module_address(MODULE), msg.amount)
    state.ledger.mint_for_deposit(sender, msg.amount)
    state.buffer += msg.amount
    if limit is not None:
        state.stake_limit_prev = limit - msg.amount
        state.stake_limit_prev_epoch = host.epoch


def _shares_for(state: LiquidState, sender: bytes, amount: int) -> int:
    if amount <= 0:
        raise BelowMinimum("amount must be positive")
    if amount > state.ledger.assets_of(sender):
        raise InsufficientShares(f"balance is {state.ledger.assets_of(sender)}, {amount} asked")
    return state.ledger.convert_to_shares(amount, Rounding.DOWN)


def handle_transfer(state: LiquidState, host: ModuleHost, sender: bytes, msg: Transfer) -> None:
    """Move ``floor(amount * S / pooled)`` shares (Lido ``StETH._transfer`` -> ``getSharesByPooledEth``)."""
    _not_reserved(msg.to)
    state.ledger.transfer(sender, msg.to, _shares_for(state, sender, msg.amount))


def handle_transfer_shares(state: LiquidState, host: ModuleHost, sender: bytes, msg: TransferShares) -> None:
    """Lido ``StETH.transferShares``."""
    _not_reserved(msg.to)
    if msg.shares <= 0:
        raise BelowMinimum("transfer a positive number of shares")
    if msg.shares > state.ledger.shares_of(sender):
        raise InsufficientShares(f"sender holds {state.ledger.shares_of(sender)} shares")
    state.ledger.transfer(sender, msg.to, msg.shares)


def handle_wrap(state: LiquidState, host: ModuleHost, sender: bytes, msg: Wrap) -> None:
    """stSWK ``amount`` -> ``floor(amount * S / pooled)`` wstSWK (Lido ``WstETH.wrap``: wstETH = shares)."""
    shares = _shares_for(state, sender, msg.amount)
    if shares == 0:
        raise BelowMinimum("that amount is less than one share")
    state.ledger.transfer(sender, WRAPPER, shares)
    state.wrapped[sender] = state.wrapped.get(sender, 0) + shares


def _take_wrapped(state: LiquidState, sender: bytes, amount: int) -> None:
    held = state.wrapped.get(sender, 0)
    if amount <= 0:
        raise BelowMinimum("amount must be positive")
    if amount > held:
        raise InsufficientShares(f"wstSWK balance is {held}, {amount} asked")
    if amount == held:
        del state.wrapped[sender]
    else:
        state.wrapped[sender] = held - amount


def handle_unwrap(state: LiquidState, host: ModuleHost, sender: bytes, msg: Unwrap) -> None:
    """wstSWK ``amount`` -> the same number of shares as stSWK (Lido ``WstETH.unwrap``)."""
    _not_reserved(sender)
    _take_wrapped(state, sender, msg.amount)
    state.ledger.transfer(WRAPPER, sender, msg.amount)


def handle_transfer_wrapped(state: LiquidState, host: ModuleHost, sender: bytes, msg: TransferWrapped) -> None:
    """wstSWK moves exactly (no rounding: it is a share count)."""
    _not_reserved(msg.to)
    _take_wrapped(state, sender, msg.amount)
    state.wrapped[msg.to] = state.wrapped.get(msg.to, 0) + msg.amount


def _enqueue(state: LiquidState, host: ModuleHost, owner: bytes, shares: int) -> int:
    """Lock ``shares`` in the queue; the request's amount is their value now, fixed (Lido
    ``WithdrawalQueue._requestWithdrawal`` records amountOfStETH and amountOfShares)."""
    amount = state.ledger.convert_to_assets(shares, Rounding.DOWN)
    if amount < state.min_request:
        raise BelowMinimum(f"the smallest request is {state.min_request}, got {amount}")
    if amount > state.max_request:
        raise AboveMaximum(f"the largest request is {state.max_request}, got {amount}; split it")
    request_id = state.next_request_id
    state.next_request_id += 1
    state.requests[request_id] = WithdrawalRequest(
        id=request_id, owner=owner, shares=shares, amount=amount, epoch=host.epoch
    )
    state.queued_assets += amount
    return request_id


def handle_request_withdrawal(state: LiquidState, host: ModuleHost, sender: bytes, msg: RequestWithdrawal) -> None:
    """Queue ``amount`` stSWK; the payout is fixed now unless a loss comes before finalization (see epoch)."""
    shares = _shares_for(state, sender, msg.amount)
    if shares == 0:
        raise BelowMinimum("that amount is less than one share")
    amount = state.ledger.convert_to_assets(shares, Rounding.DOWN)
    if not state.min_request <= amount <= state.max_request:
        _enqueue(state, host, sender, shares)  # raises the right error
    state.ledger.transfer(sender, QUEUE_HOLDER, shares)
    _enqueue(state, host, sender, shares)


def handle_request_withdrawal_wrapped(
    state: LiquidState, host: ModuleHost, sender: bytes, msg: RequestWithdrawalWrapped
) -> None:
    """Queue ``amount`` wstSWK (its shares go straight from the wrapper to the queue)."""
    if msg.amount > state.wrapped.get(sender, 0) or msg.amount <= 0:
        raise InsufficientShares(f"wstSWK balance is {state.wrapped.get(sender, 0)}, {msg.amount} asked")
    amount = state.ledger.convert_to_assets(msg.amount, Rounding.DOWN)
    if not state.min_request <= amount <= state.max_request:
        _enqueue(state, host, sender, msg.amount)  # raises the right error
    _take_wrapped(state, sender, msg.amount)
    state.ledger.transfer(WRAPPER, QUEUE_HOLDER, msg.amount)
    _enqueue(state, host, sender, msg.amount)


def handle_transfer_request(state: LiquidState, host: ModuleHost, sender: bytes, msg: TransferRequest) -> None:
    """A request is an NFT: its owner can give it away, finalized or not (Lido ``WithdrawalQueueERC721``)."""
    request = state.requests.get(msg.request_id)
    if request is None:
        raise UnknownEntity(f"no open request {msg.request_id}")
    if request.owner != sender:
        raise NotAuthorized("only the request's owner transfers it")
    _not_reserved(msg.to)
    request.owner = msg.to


def handle_claim(state: LiquidState, host: ModuleHost, sender: bytes, msg: Claim) -> None:
    """Pay a finalized request to its owner (Lido ``claimWithdrawal``); the request is then gone."""
    queue.claim(state, host, MODULE, sender, msg.request_id)


HANDLERS: dict[type[Any], Callable[[LiquidState, ModuleHost, bytes, Any], None]] = {
    AddOperator: handle_add_operator,
    SetParameters: handle_set_parameters,
    SubmitKeys: handle_submit_keys,
    Stake: handle_stake,
    Transfer: handle_transfer,
    TransferShares: handle_transfer_shares,
    Wrap: handle_wrap,
    Unwrap: handle_unwrap,
    TransferWrapped: handle_transfer_wrapped,
    RequestWithdrawal: handle_request_withdrawal,
    RequestWithdrawalWrapped: handle_request_withdrawal_wrapped,
    TransferRequest: handle_transfer_request,
    Claim: handle_claim,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: LiquidState, host: ModuleHost, sender: bytes, msg: LiquidMessage) -> None:
    """Run the handler for ``msg``."""
    HANDLERS[type(msg)](state, host, sender, msg)
