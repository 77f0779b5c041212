"""The chain side of modules: :class:`ChainHost` implements :class:`~stakework.modules.host.ModuleHost` over the
beacon state, block processing dispatches module transactions through it, and process_slots runs the modules'
epoch hooks after process_epoch.

A module is to this chain what a staking contract is to Ethereum: it owns an account (its address is
:func:`module_address`), its validators carry 0x02 withdrawal credentials naming that account, it stakes through
the EIP-6110 deposit path and exits them through the EIP-7002 withdrawal-request path, with every check those
paths make. So a module can do nothing with a validator that the owner of the credentials could not.

[Differs from Electra: modules, their transactions and their epoch hooks are stakework's; Ethereum runs such
products as execution-layer contracts.]
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto import bls
from stakework.modules import registry
from stakework.modules.keys import DepositKey
from stakework.modules.store import dispatch_message, run_epoch_hooks
from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, DOMAIN_DEPOSIT, FULL_EXIT_REQUEST_AMOUNT
from stakework.spec.presets import DEVNET, Preset
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.deposit_request import process_deposit_request
from stakework.transition.block.operations import DepositRequest, Withdrawal, WithdrawalRequest
from stakework.transition.block.withdrawal_request import process_withdrawal_request
from stakework.transition.deposits import is_valid_deposit_signature

MODULE_ADDRESS_DOMAIN = b"stakework/module/"


def message_keys(message: object) -> int:
    """How many validator keys a module message submits (0 for messages without keys): its module's ``keys``."""
    return registry.message_keys(message)


def module_message_min_fee(message: object, preset: Preset = DEVNET) -> int:
    """The least fee (Gwei) a transaction carrying ``message`` pays on a chain of ``preset``: what its module's
    fee function asks (``MODULE_MIN_FEE``, plus ``MODULE_KEY_FEE`` per key, plus the module's per-kind extras such
    as ``POOL_REGISTRATION_FEE``, all from the preset). The default preset's values are those of every built-in
    preset; a chain on a custom preset passes its own.

    [Differs from Electra: stakework's anti-spam pricing of module work; Ethereum prices it with gas.]"""
    return registry.message_min_fee(preset, message)


def module_address(module: str) -> bytes:
    """The 20-byte account a module holds its money in: ``sha256("stakework/module/" + name)[:20]``. No key
    signs for it; only the module's own rules move its balance."""
    return hashlib.sha256(MODULE_ADDRESS_DOMAIN + module.encode()).digest()[:20]


def module_withdrawal_credentials(module: str) -> bytes:
    """0x02 (compounding) credentials naming the module's account. Compounding, so the withdrawal sweep never
    skims a module validator below MAX_EFFECTIVE_BALANCE_ELECTRA: its balance reaches the module only when the
    module reads it (epoch hook) or when the validator is withdrawn in full."""
    return bytes([COMPOUNDING_WITHDRAWAL_PREFIX]) + bytes(11) + module_address(module)


def sign_module_key(preset: Preset, module: str, secret_key: bls.SecretKey) -> DepositKey:
    """A validator key for ``module`` with its deposit signature (the DepositMessage of the key, the module's
    credentials and MIN_ACTIVATION_BALANCE, in the deposit domain of ``preset``'s genesis fork version): what an
    operator submits in ``pool.register`` / ``pool.add_keys`` / ``liquid.submit_keys``."""
    pubkey = secret_key.public_key()
    root = deposit_message_root(pubkey, module_withdrawal_credentials(module), preset.MIN_ACTIVATION_BALANCE)
    domain = compute_domain(DOMAIN_DEPOSIT, preset.GENESIS_FORK_VERSION)
    return DepositKey(pubkey=pubkey, signature=secret_key.sign(compute_signing_root(root, domain)))


class ChainHost:
    """:class:`~stakework.modules.host.ModuleHost` over a beacon state (one block's or one epoch's use).

    Beyond ``ModuleHost`` it offers the host services modules ask of each other, built from the registry by name
    (``host.<service>``, :func:`stakework.modules.registry.host_service`): each enabled module's
    ``ModuleDef.services`` and the registry's own ``parameters``. A service whose providing module this chain does
    not run reads as None (the consuming module refuses with its own error, or skips an optional listener);
    :meth:`require` refuses with :class:`~stakework.modules.registry.ServiceUnavailable` naming the module. The
    core names no module (Rules of the house)."""

    def __init__(self, state: BeaconState) -> None:
        self.state = state
        self.epoch = int(state.current_epoch())
        self._pending: dict[bytes, int] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("state", "epoch"):
            raise AttributeError(name)
        try:
            return registry.host_service(name, self.state.modules, self)
        except KeyError:
            raise AttributeError(f"ChainHost has no attribute or host service {name!r}") from None

    def require(self, service: str) -> object:
        """Host service ``service``; :class:`~stakework.modules.registry.ServiceUnavailable` when its module is
        not enabled on this chain."""
        return registry.require_service(service, self.state.modules, self)

    def debit(self, address: bytes, amount: int) -> None:
        self.state.accounts.debit(address, amount)

    def credit(self, address: bytes, amount: int) -> None:
        self.state.accounts.credit(address, amount)

    def module_address(self, module: str) -> bytes:
        return module_address(module)

    def is_valid_deposit_key(self, module: str, key: DepositKey) -> bool:
        return is_valid_deposit_signature(
            self.state,
            key.pubkey,
            module_withdrawal_credentials(module),
            self.state.preset.MIN_ACTIVATION_BALANCE,
            key.signature,
        )

    def _claimed_by_pending(self, pubkey: bytes) -> bool:
        """Whether a pending deposit for ``pubkey`` will create (or top up) a validator: one whose signature
        verifies. A deposit with a bad signature is dropped when processed (Spec: apply_pending_deposit), so it
        cannot take the key: anyone can send one for 1 SWK, and it must not make the module give the key up."""
        return any(
            is_valid_deposit_signature(self.state, d.pubkey, d.withdrawal_credentials, d.amount, d.signature)
            for d in self.state.pending_deposits
            if d.pubkey == pubkey
        )

    def _pending_by_pubkey(self) -> dict[bytes, int]:
        if self._pending is None:
            pending: dict[bytes, int] = {}
            for deposit in self.state.pending_deposits:
                pending[deposit.pubkey] = pending.get(deposit.pubkey, 0) + deposit.amount
            self._pending = pending
        return self._pending

    def stake(self, module: str, key: DepositKey, amount: int) -> bool:
        """The EIP-6110 deposit path with the module's credentials; refuses a key the chain already knows (a
        registered validator, or a pending deposit whose signature verifies): depositing to it would top up a
        validator whose credentials someone else chose."""
        if self.state.validators.index_of_pubkey(key.pubkey) is not None:
            return False
        if key.pubkey in self._pending_by_pubkey() and self._claimed_by_pending(key.pubkey):
            return False
        self.state.accounts.debit(module_address(module), amount)
        process_deposit_request(
            self.state, DepositRequest(key.pubkey, module_withdrawal_credentials(module), amount, key.signature, 0)
        )
        pending = self._pending_by_pubkey()
        pending[key.pubkey] = pending.get(key.pubkey, 0) + amount
        return True

    def take_withdrawals(self, pubkey: bytes) -> int:
        return self.state.modules.withdrawn.pop(pubkey, 0)

    def validator_balance(self, pubkey: bytes) -> int:
        index = self.state.validators.index_of_pubkey(pubkey)
        balance = 0 if index is None else int(self.state.balances[index])
        return balance + self._pending_by_pubkey().get(pubkey, 0)

    def request_exit(self, module: str, pubkey: bytes) -> None:
        """The EIP-7002 full-exit request from the module's address: ignored (the module asks again next epoch)
        while the validator is pending, too young (SHARD_COMMITTEE_PERIOD) or already exiting."""
        request = WithdrawalRequest(module_address(module), pubkey, FULL_EXIT_REQUEST_AMOUNT)
        process_withdrawal_request(self.state, request)

    def is_slashed(self, pubkey: bytes) -> bool:
        index = self.state.validators.index_of_pubkey(pubkey)
        return index is not None and bool(self.state.validators.slashed[index])


def process_module_message(state: BeaconState, sender: bytes, message: object) -> None:
    """Run a module transaction's handler. Raises a StakeworkError (changing nothing) if the module refuses it."""
    dispatch_message(state.modules, ChainHost(state), sender, message)


_MODULE_ADDRESSES = frozenset(module_address(name) for name in registry.names())


def record_module_withdrawals(state: BeaconState, withdrawals: list[Withdrawal]) -> None:
    """Note each withdrawal paid into a module's account against its validator (``take_withdrawals``).

    [Differs from Electra: stakework's modules; a chain without modules records nothing.]"""
    if state.modules.is_empty():
        return
    withdrawn = state.modules.withdrawn
    for w in withdrawals:
        if w.address in _MODULE_ADDRESSES:
            pubkey = state.validators.pubkey[w.validator_index].tobytes()
            withdrawn[pubkey] = withdrawn.get(pubkey, 0) + w.amount


def check_module_message(state: BeaconState, sender: bytes, message: object) -> None:
    """Raise what the module would raise if ``message`` from ``sender`` were processed on ``state`` now; changes
    nothing (handlers write only the module store and accounts: those are copied)."""
    trial = copy.copy(state)
    trial.modules = state.modules.copy()
    trial.accounts = state.accounts.copy()
    process_module_message(trial, sender, message)


def process_module_epoch(state: BeaconState) -> None:
    """Every enabled module's epoch hook; called by process_slots right after process_epoch.

    [Differs from Electra: stakework's modules run here; a chain without modules is unaffected.]"""
    if not state.modules.is_empty():
        run_epoch_hooks(state.modules, ChainHost(state))
