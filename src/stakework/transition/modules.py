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

from stakework.codec.ssz import compute_domain, compute_signing_root, deposit_message_root
from stakework.crypto import bls
from stakework.modules import registry
from stakework.modules.governance import votes as governance_votes
from stakework.modules.governance.errors import UnknownParameter
from stakework.modules.governance.host import ParameterSpec
from stakework.modules.governance.state import GovernanceState
from stakework.modules.keys import DepositKey
from stakework.modules.liquid import handlers as liquid_handlers
from stakework.modules.liquid.messages import TransferShares
from stakework.modules.liquid.state import LiquidState
from stakework.modules.safety.definition import stake_balances
from stakework.modules.safety.state import SafetyState
from stakework.modules.store import ModuleStore, dispatch_message, run_epoch_hooks
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


class LiquidSharesLedger:
    """stSWK shares for other modules (:class:`~stakework.modules.safety.protocols.StakedTokenLedger`): the liquid
    module's share ledger, moved only through the liquid module's own ``liquid.transfer_shares`` handler, so every
    check it makes (positive amount, enough shares, reserved addresses) and its invariants hold."""

    def __init__(self, liquid: LiquidState, host: ChainHost) -> None:
        self.liquid = liquid
        self.host = host

    def shares_of(self, holder: bytes) -> int:
        return self.liquid.ledger.shares_of(holder)

    def transfer_shares(self, sender: bytes, recipient: bytes, shares: int) -> None:
        liquid_handlers.handle_transfer_shares(
            self.liquid, self.host, sender, TransferShares(to=recipient, shares=shares)
        )


class ChainParameters:
    """The chain's governable parameters for governance (:class:`~stakework.modules.governance.host.
    ParameterRegistry`): every ``Param`` an enabled module's definition declares, with its bounds, read and set
    in the module's state through the definition (``ModuleDef.get_param`` / ``set_param``). Governance's own are
    not listed: governance keeps them itself."""

    def __init__(self, store: ModuleStore) -> None:
        self.store = store

    def specs(self) -> list[ParameterSpec]:
        enabled = set(self.store.enabled())
        return [
            ParameterSpec(module=module, name=p.name, minimum=p.minimum, maximum=p.maximum, doc=p.doc)
            for module, p in registry.parameters()
            if module in enabled
        ]

    def spec(self, module: str, name: str) -> ParameterSpec | None:
        param = registry.parameter(module, name) if self.store.get(module) is not None else None
        if param is None:
            return None
        return ParameterSpec(module=module, name=name, minimum=param.minimum, maximum=param.maximum, doc=param.doc)

    def _definition(self, module: str, name: str) -> registry.ModuleDef:
        definition = registry.get(module)
        if definition is None or definition.param(name) is None or self.store.get(module) is None:
            raise UnknownParameter(f"{module}.{name} is no governable parameter of an enabled module")
        return definition

    def current(self, module: str, name: str) -> int:
        return self._definition(module, name).get_param(self.store.get(module), name)

    def apply(self, module: str, name: str, value: int) -> None:
        self._definition(module, name).set_param(self.store.get(module), name, value)


class SafetyVotingPower:
    """Governance's voting power (:class:`~stakework.modules.governance.host.VotingPowerSource`): each account's
    stkSWK in the safety module, both vaults' shares (none when the chain runs no safety module)."""

    def __init__(self, safety: SafetyState | None) -> None:
        self.safety = safety

    def staked_balances(self) -> dict[bytes, int]:
        return {} if self.safety is None else stake_balances(self.safety)


class GovernanceStakeReports:
    """Where the safety module reports stkSWK balance changes (:class:`~stakework.modules.safety.protocols.
    StakeReports`): governance's checkpoints, in the epoch of the change
    (``governance.votes.record_balance_change``)."""

    def __init__(self, governance: GovernanceState, epoch: int) -> None:
        self.governance = governance
        self.epoch = epoch

    def stake_changed(self, holder: bytes, balance: int) -> None:
        governance_votes.record_balance_change(self.governance, self.epoch, holder, balance)


class ChainHost:
    """:class:`~stakework.modules.host.ModuleHost` over a beacon state (one block's or one epoch's use).

    Beyond ``ModuleHost`` it offers what modules ask of each other, each only when the module behind it runs on
    this chain (None otherwise): ``staked_token_ledger`` (stSWK shares, the liquid module's ledger, for the safety
    module's stSWK vault), ``stake_reports`` (governance's checkpoints, told of every stkSWK balance change),
    ``parameters`` (every enabled module's governable parameters) and ``voting_power`` (stkSWK balances)."""

    def __init__(self, state: BeaconState) -> None:
        self.state = state
        self.epoch = int(state.current_epoch())
        self._pending: dict[bytes, int] | None = None

    @property
    def staked_token_ledger(self) -> LiquidSharesLedger | None:
        liquid = self.state.modules.get("liquid")
        return None if liquid is None else LiquidSharesLedger(liquid, self)

    @property
    def stake_reports(self) -> GovernanceStakeReports | None:
        governance = self.state.modules.get("governance")
        return None if governance is None else GovernanceStakeReports(governance, self.epoch)

    @property
    def parameters(self) -> ChainParameters:
        return ChainParameters(self.state.modules)

    @property
    def voting_power(self) -> SafetyVotingPower:
        return SafetyVotingPower(self.state.modules.get("safety"))

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
