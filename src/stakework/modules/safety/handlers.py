"""Pure safety-module handlers: ``handle_<message>(state, host, sender, msg)``. Each validates everything first,
then moves money through the host (SWK) or the stSWK ledger, then mutates state, so a refused message changes
nothing. All O(1) in the number of holders.

Rules (anchors: Aave ``StakedTokenV2``/``StakedTokenV3`` and ``AaveDistributionManager``; departures in
docs/modules.md, "Safety module"):

- rewards are settled before a holder's shares change (Aave ``_updateCurrentUnclaimedRewards``): ``accrued +=
  shares * (index - user_index) // INDEX_SCALE``, then ``user_index = index``;
- a redeem needs ``cooldown_epochs`` elapsed since ``safety.cooldown`` and the unstake window still open
  (``start + cooldown <= epoch < start + cooldown + window``), except during a post-slash window;
- receiving stkSWK (a stake or a transfer) while in cooldown moves the cooldown by Aave V2's weighted rule
  (:func:`next_cooldown`); a sender who sends everything loses its cooldown; others keep theirs;
- a slashing takes at most ``max_slash_bps`` of the vault's assets (Aave clamps the amount to it), opens a
  post-slash window during which redeeming needs no cooldown, staking is refused and no second slashing may
  happen (Aave ``inPostSlashingPeriod``), and is kept in a bounded history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stakework.modules.arith import Rounding, bps_of, mul_div
from stakework.modules.host import ModuleHost
from stakework.modules.safety import MODULE
from stakework.modules.safety.errors import (
    BelowMinimum,
    CooldownNotOver,
    CooldownNotStarted,
    Insolvent,
    InsufficientShares,
    NotAuthorized,
    NotReady,
    SlashingOngoing,
    UnstakeWindowOver,
)
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
from stakework.modules.safety.parameters import SafetyParameters, with_changes
from stakework.modules.safety.protocols import staked_token_of
from stakework.modules.safety.state import INDEX_SCALE, SLASH_HISTORY, SafetyState, SlashRecord, Vault
from stakework.modules.shares import BURN_ADDRESS

MAX_REASON = 64
"""Characters a slashing's reason may have."""


# --- reward index (Aave AaveDistributionManager) ---------------------------------------------------------------
def pending_rewards(vault: Vault, holder: bytes) -> int:
    """Rewards earned since the holder's last settlement, rounded down (Aave ``_getRewards``)."""
    shares = vault.ledger.shares_of(holder)
    # equivalent mutant (const 0 to -1): with no shares the product below is 0 as well
    if shares == 0:
        return 0
    return mul_div(shares, vault.index - vault.user_index.get(holder, vault.index), INDEX_SCALE, Rounding.DOWN)


def rewards_of(vault: Vault, holder: bytes) -> int:
    """Everything ``holder`` may claim now: settled plus pending."""
    return vault.accrued.get(holder, 0) + pending_rewards(vault, holder)


def _settle(vault: Vault, holder: bytes) -> None:
    """Aave ``_updateCurrentUnclaimedRewards``: pending -> accrued, ``user_index = index``."""
    pending = pending_rewards(vault, holder)
    if pending:
        vault.accrued[holder] = vault.accrued.get(holder, 0) + pending
    vault.user_index[holder] = vault.index


def _tidy(vault: Vault, holder: bytes) -> None:
    """Forget a holder's entries once they carry nothing (0 shares: no index or cooldown; 0 accrued)."""
    if vault.ledger.shares_of(holder) == 0:
        vault.user_index.pop(holder, None)
        vault.cooldowns.pop(holder, None)
    # equivalent mutant (const 1 to 2): the default only answers for an absent holder; any non-zero one keeps it so
    if vault.accrued.get(holder, 1) == 0:
        del vault.accrued[holder]


# --- cooldown (Aave StakedTokenV2) --------------------------------------------------------------------------------
def window_closed(params: SafetyParameters, start: int, epoch: int) -> bool:
    """Whether a cooldown started at ``start`` has run past its unstake window by ``epoch``."""
    return start + params.cooldown_epochs + params.unstake_window_epochs <= epoch


def next_cooldown(
    params: SafetyParameters, epoch: int, from_start: int | None, amount: int, to_start: int | None, to_balance: int
) -> int | None:
    """The receiver's cooldown after receiving ``amount`` shares (Aave V2 ``getNextCooldownTimestamp``).

    No cooldown, or one whose window has closed: none. Otherwise the sender's cooldown (now, for a stake, no
    cooldown or a closed one) if it is not older than the receiver's is averaged in, weighted by amounts:
    ``ceil((amount * from + to_balance * to) / (amount + to_balance))`` (Aave rounds down; this rounds towards
    the later epoch, in the protocol's favour). An older sender's cooldown leaves the receiver's as it was.
    """
    if to_start is None or window_closed(params, to_start, epoch):
        return None
    start = epoch if from_start is None or window_closed(params, from_start, epoch) else from_start
    # equivalent mutant (cmp < to <=): at start == to_start the weighted mean below is to_start as well
    if start < to_start:
        return to_start
    return mul_div(amount * start + to_balance * to_start, 1, amount + to_balance, Rounding.UP)


def _receive_cooldown(
    state: SafetyState, vault: Vault, epoch: int, from_start: int | None, holder: bytes, amount: int
) -> None:
    new = next_cooldown(
        state.params, epoch, from_start, amount, vault.cooldowns.get(holder), vault.ledger.shares_of(holder)
    )
    if new is None:
        vault.cooldowns.pop(holder, None)
    else:
        vault.cooldowns[holder] = new


# --- checks ---------------------------------------------------------------------------------------------------------
def _not_reserved(host: ModuleHost, address: bytes) -> None:
    if address == BURN_ADDRESS or address == host.module_address(MODULE):
        raise NotAuthorized("reserved address: the burn address and the module's own account hold no stkSWK")


def _authorised_slasher(state: SafetyState, sender: bytes) -> None:
    if sender != state.governance and sender not in state.slashers:
        raise NotAuthorized("only the governance executor or an authorised shortfall reporter slashes")


def _governance(state: SafetyState, sender: bytes, what: str) -> None:
    if sender != state.governance:
        raise NotAuthorized(f"only the governance executor {what}")


def in_post_slash(vault: Vault, epoch: int) -> bool:
    return epoch < vault.post_slash_until


def _pay_out(host: ModuleHost, vault: Vault, recipient: bytes, amount: int) -> None:
    """Move ``amount`` of the vault's asset from the module to ``recipient``."""
    module = host.module_address(MODULE)
    if vault.name == "swk":
        host.debit(module, amount)
        host.credit(recipient, amount)
    else:
        staked_token_of(host).transfer_shares(module, recipient, amount)


# --- handlers -------------------------------------------------------------------------------------------------------
def handle_stake(state: SafetyState, host: ModuleHost, sender: bytes, msg: Stake) -> None:
    """``amount`` of the vault's asset for stkSWK shares, rounded down (``ShareLedger.mint_for_deposit``; the
    first stake locks the dead shares). Refused during a post-slash window (Aave ``SLASHING_ONGOING``)."""
    vault = state.vault(msg.vault)
    _not_reserved(host, sender)
    if msg.amount <= 0:
        raise BelowMinimum("stake a positive amount")
    if in_post_slash(vault, host.epoch):
        raise SlashingOngoing(
            f"the {vault.name} vault was slashed; it takes no stake before epoch {vault.post_slash_until}"
        )
    # equivalent mutant (const 0 to -1): preview_deposit below raises Insolvent itself before anything moves
    if vault.ledger.total_shares and vault.ledger.total_assets == 0:
        # equivalent mutant (delete raise): preview_deposit below raises Insolvent itself before anything moves
        raise Insolvent(f"the {vault.name} vault holds nothing behind its shares; it takes no stake")
    minted = vault.ledger.preview_deposit(msg.amount)
    if minted == 0:
        raise BelowMinimum(
            f"{msg.amount} buys no stkSWK share of the {vault.name} vault (the first stake must exceed the "
            f"{vault.ledger.dead_shares} units locked as dead shares)"
        )
    module = host.module_address(MODULE)
    if vault.name == "swk":
        host.debit(sender, msg.amount)
        host.credit(module, msg.amount)
    else:
        staked = staked_token_of(host)
        held = staked.shares_of(sender)
        if held < msg.amount:
            # equivalent mutant (delete raise): transfer_shares refuses it alike, changing nothing (its contract)
            raise InsufficientShares(f"sender holds {held} stSWK shares, {msg.amount} to stake")
        staked.transfer_shares(sender, module, msg.amount)
    _settle(vault, sender)
    _receive_cooldown(state, vault, host.epoch, None, sender, minted)
    vault.ledger.mint_for_deposit(sender, msg.amount)


def handle_cooldown(state: SafetyState, host: ModuleHost, sender: bytes, msg: Cooldown) -> None:
    """Start (or restart) the sender's cooldown now (Aave ``cooldown``: ``INVALID_BALANCE_ON_COOLDOWN``)."""
    vault = state.vault(msg.vault)
    if vault.ledger.shares_of(sender) == 0:
        raise InsufficientShares(f"sender holds no stkSWK in the {vault.name} vault to cool down")
    vault.cooldowns[sender] = host.epoch


def check_redeemable(state: SafetyState, vault: Vault, holder: bytes, epoch: int) -> None:
    """Raise unless ``holder`` may redeem now: in its unstake window, or anyone during a post-slash window."""
    if in_post_slash(vault, epoch):
        return
    start = vault.cooldowns.get(holder)
    if start is None:
        raise CooldownNotStarted(
            f"redeeming needs a cooldown: send safety.cooldown, then redeem after {state.params.cooldown_epochs} "
            f"epochs and within {state.params.unstake_window_epochs} more"
        )
    opens = start + state.params.cooldown_epochs
    if epoch < opens:
        raise CooldownNotOver(f"the cooldown started at epoch {start} ends at epoch {opens}; now is {epoch}")
    closes = opens + state.params.unstake_window_epochs
    if epoch >= closes:
        raise UnstakeWindowOver(
            f"the unstake window closed at epoch {closes}; send safety.cooldown again to open a new one"
        )


def handle_redeem(state: SafetyState, host: ModuleHost, sender: bytes, msg: Redeem) -> None:
    """Burn ``shares`` for ``floor(shares * assets / total_shares)`` of the vault's asset (Aave ``redeem``)."""
    vault = state.vault(msg.vault)
    held = vault.ledger.shares_of(sender)
    if msg.shares <= 0:
        raise BelowMinimum("redeem a positive number of shares")
    if msg.shares > held:
        raise InsufficientShares(f"sender holds {held} stkSWK shares of the {vault.name} vault, {msg.shares} asked")
    check_redeemable(state, vault, sender, host.epoch)
    assets = vault.ledger.convert_to_assets(msg.shares, Rounding.DOWN)
    if assets == 0:
        raise BelowMinimum(f"{msg.shares} shares are worth nothing; redeem more")
    _pay_out(host, vault, sender, assets)
    _settle(vault, sender)
    vault.ledger.burn_for_withdrawal(sender, msg.shares)
    _tidy(vault, sender)


def handle_transfer(state: SafetyState, host: ModuleHost, sender: bytes, msg: Transfer) -> None:
    """Move ``shares`` stkSWK; both sides' rewards are settled first; the recipient's cooldown moves by the
    weighted rule; a sender left with nothing loses its cooldown."""
    vault = state.vault(msg.vault)
    _not_reserved(host, msg.to)
    held = vault.ledger.shares_of(sender)
    if msg.shares <= 0:
        raise BelowMinimum("transfer a positive number of shares")
    if msg.shares > held:
        raise InsufficientShares(f"sender holds {held} stkSWK shares of the {vault.name} vault, {msg.shares} asked")
    _settle(vault, sender)
    if msg.to == sender:
        return
    _settle(vault, msg.to)
    _receive_cooldown(state, vault, host.epoch, vault.cooldowns.get(sender), msg.to, msg.shares)
    vault.ledger.transfer(sender, msg.to, msg.shares)
    _tidy(vault, sender)
    # equivalent mutant (delete call): the recipient has just received shares, and no accrued entry is ever kept at 0
    _tidy(vault, msg.to)


def handle_claim_rewards(state: SafetyState, host: ModuleHost, sender: bytes, msg: ClaimRewards) -> None:
    """Pay up to ``amount`` (all when omitted) of the sender's rewards in SWK (Aave ``claimRewards``)."""
    vault = state.vault(msg.vault)
    to = sender if msg.to is None else msg.to
    _not_reserved(host, to)
    if msg.amount is not None and msg.amount <= 0:
        raise BelowMinimum("claim a positive amount (or omit it to claim everything)")
    owed = rewards_of(vault, sender)
    pay = owed if msg.amount is None else min(msg.amount, owed)
    if pay == 0:
        raise BelowMinimum(f"no rewards to claim in the {vault.name} vault")
    module = host.module_address(MODULE)
    host.debit(module, pay)
    host.credit(to, pay)
    _settle(vault, sender)
    vault.accrued[sender] -= pay
    vault.claimed += pay
    _tidy(vault, sender)


def slash(
    state: SafetyState, host: ModuleHost, caller: bytes, vault_name: str, amount: int, recipient: bytes, reason: str
) -> int:
    """Take ``min(amount, max_slash_bps of the vault's assets)`` to ``recipient``; returns what was taken.

    Aave ``StakedTokenV3.slash``: the amount is clamped to the maximum, the exchange rate falls for every holder
    at once (shares unchanged, assets down), a second slashing waits until the first is settled, and the
    post-slash period frees redeeming from the cooldown. Used by ``safety.slash`` and :class:`SafetyShortfallCover`.
    """
    vault = state.vault(vault_name)
    _authorised_slasher(state, caller)
    _not_reserved(host, recipient)
    if amount <= 0:
        raise BelowMinimum("slash a positive amount")
    if len(reason) > MAX_REASON:
        raise BelowMinimum(f"a slashing's reason has at most {MAX_REASON} characters, got {len(reason)}")
    if in_post_slash(vault, host.epoch):
        raise SlashingOngoing(
            f"the {vault.name} vault's last slashing is not settled (post-slash window until epoch "
            f"{vault.post_slash_until}); settle it first"
        )
    before = vault.ledger.total_assets
    cap = bps_of(before, state.params.max_slash_bps)
    taken = min(amount, cap)
    if taken == 0:
        raise BelowMinimum(
            f"the {vault.name} vault has nothing slashable ({before} assets, cap {state.params.max_slash_bps} bps)"
        )
    _pay_out(host, vault, recipient, taken)
    vault.ledger.remove_assets(taken)
    vault.slashed += taken
    vault.post_slash_until = host.epoch + state.params.post_slash_epochs
    state.slash_history.append(
        SlashRecord(
            epoch=host.epoch,
            vault=vault.name,
            amount=taken,
            cap=cap,
            assets_before=before,
            recipient=recipient,
            reason=reason,
            by=caller,
        )
    )
    # equivalent mutant (cmp > to >=): at exactly SLASH_HISTORY records the slice deleted is empty
    if len(state.slash_history) > SLASH_HISTORY:
        del state.slash_history[: len(state.slash_history) - SLASH_HISTORY]
    return taken


def handle_slash(state: SafetyState, host: ModuleHost, sender: bytes, msg: Slash) -> None:
    slash(state, host, sender, msg.vault, msg.amount, msg.recipient, msg.reason)


def handle_settle_slashing(state: SafetyState, host: ModuleHost, sender: bytes, msg: SettleSlashing) -> None:
    """End the post-slash window now (Aave ``settleSlashing``)."""
    _governance(state, sender, "settles a slashing")
    vault = state.vault(msg.vault)
    if not in_post_slash(vault, host.epoch):
        raise NotReady(f"the {vault.name} vault has no slashing to settle")
    vault.post_slash_until = host.epoch


def handle_set_parameters(state: SafetyState, host: ModuleHost, sender: bytes, msg: SetParameters) -> None:
    """Apply every given value, all checked against their bounds first (``parameters.with_changes``)."""
    _governance(state, sender, "sets the safety module's parameters")
    changes = {name: value for name in msg.__struct_fields__ if (value := getattr(msg, name)) is not None}
    if not changes:
        raise BelowMinimum("set_parameters names no parameter to change")
    state.params = with_changes(state.params, **changes)


def handle_authorize_slasher(state: SafetyState, host: ModuleHost, sender: bytes, msg: AuthorizeSlasher) -> None:
    """Let a shortfall reporter slash (or stop it); idempotent."""
    _governance(state, sender, "authorises slashers")
    _not_reserved(host, msg.address)
    if msg.allowed and msg.address not in state.slashers:
        state.slashers.append(msg.address)
    if not msg.allowed and msg.address in state.slashers:
        state.slashers.remove(msg.address)


class SafetyShortfallCover:
    """:class:`~stakework.modules.safety.protocols.ShortfallCover` over a safety state and a host: what a lending
    module calls when it reports bad debt (the reporter must be an authorised slasher)."""

    def __init__(self, state: SafetyState, host: ModuleHost) -> None:
        self.state = state
        self.host = host

    def cover_shortfall(self, reporter: bytes, vault: str, amount: int, recipient: bytes, reason: str) -> int:
        return slash(self.state, self.host, reporter, vault, amount, recipient, reason)


HANDLERS: dict[type[Any], Callable[[SafetyState, ModuleHost, bytes, Any], None]] = {
    Stake: handle_stake,
    Cooldown: handle_cooldown,
    Redeem: handle_redeem,
    Transfer: handle_transfer,
    ClaimRewards: handle_claim_rewards,
    Slash: handle_slash,
    SettleSlashing: handle_settle_slashing,
    SetParameters: handle_set_parameters,
    AuthorizeSlasher: handle_authorize_slasher,
}
"""Message type -> handler: what block processing dispatches on."""


def dispatch(state: SafetyState, host: ModuleHost, sender: bytes, msg: SafetyMessage) -> None:
    """Run the handler for ``msg``."""
    HANDLERS[type(msg)](state, host, sender, msg)
