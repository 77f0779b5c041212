"""Native transactions: account-signed (Ed25519) messages that move SWK and stake it.

Kinds (a tagged union, `kind` on the wire):
- `transfer`: move `amount` to another account.
- `stake`: deposit `amount` from the account into a new or existing validator (EIP-6110 deposit request →
  Electra pending deposit → churn); the validator's credentials must be 0x01/0x02 naming an account.
- `exit`: carry a voluntary exit signed by the validator's BLS key (Spec: process_voluntary_exit).
- `withdraw`: EIP-7002 withdrawal request from the account named in the validator's credentials (amount 0 = full
  exit; else a partial withdrawal of compounding excess).
- `consolidate`: EIP-7251 consolidation request from the account in the source's credentials; source == target
  switches the validator to compounding (0x02) credentials — the credential change the spec allows.
- module messages (`pool.*`, `liquid.*`, every registered module's kinds: `stakework.modules.registry`): handed
  to the module's pure handler; the module moves money between the sender's and its own account. A message the
  module refuses makes the transaction invalid, and nothing changes (the fee is not taken). Their fee is at least
  what the module's fee function asks (a base, plus a part per validator key submitted, plus per-kind extras such
  as one for a new pool, all from the preset: the work and state they cost every node).

Wire shape: every integer is a uint64 and every key, address and signature has its fixed length (the field
types of `stakework.spec.types`); the decoder refuses anything else, and `check_wire_shape` applies the same
rule to a transaction however it was made (the transition trusts nothing).

Fee rule: each transaction names a `fee` in Gwei, at least `least_fee(payload)` (`MIN_TRANSACTION_FEE`, or more
for a module message; block producers order by fee); the sender pays `fee` (+ `amount` for transfers and stakes)
from its balance, so an account without money sends nothing; the fee is credited to the account named by the
block proposer's withdrawal credentials, or burned if the proposer has BLS (0x00) credentials.

Nonces: a transaction's nonce must equal the sender's current nonce, which then increases by one.

Chain binding: the sender signs `TX_DOMAIN + chain_id + transaction` where the chain id hashes the genesis
validators root, the genesis time and the genesis fork version (`chain_id`), so a signature is valid on one chain
only, even between devnets of the same validator keys.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Union

import msgspec

from stakework.crypto import ed25519
from stakework.modules import registry
from stakework.modules.registry import DEFAULT_MIN_TRANSACTION_FEE, EnabledModules, is_module_message
from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import DEVNET, Preset
from stakework.spec.types import U64, Bytes20, Bytes32, Bytes48, Bytes64, Bytes96, out_of_uint64
from stakework.state.accounts import AccountError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.consolidation_request import process_consolidation_request
from stakework.transition.block.deposit_request import process_deposit_request
from stakework.transition.block.operations import (
    ConsolidationRequest,
    DepositRequest,
    SignedVoluntaryExit,
    WithdrawalRequest,
)
from stakework.transition.block.voluntary_exit import process_voluntary_exit
from stakework.transition.block.withdrawal_request import process_withdrawal_request
from stakework.transition.errors import InvalidOperation
from stakework.transition.modules import module_message_min_fee, process_module_message

TX_DOMAIN = b"stakework/transaction/v2"
"""Prefix of every transaction signing message (v1 signed for the genesis validators root alone)."""
CHAIN_ID_DOMAIN = b"stakework/chain-id/v1"
MIN_TRANSACTION_FEE = DEFAULT_MIN_TRANSACTION_FEE
"""Gwei (0.000001 SWK, the wallet's default fee): the least fee any transaction pays. A transaction costs every
node a signature check, bytes in a block and, once included, an account that is kept for good; a fee paid from a
real balance stops free spam (zero-balance senders, junk withdrawals and consolidations).

[Differs from Electra: stakework's native transactions; Ethereum prices them with gas and a base fee.]"""


class InvalidTransaction(InvalidOperation):
    """A transaction the rules refuse; the message says which rule."""


class Transfer(msgspec.Struct, frozen=True, tag="transfer"):
    to: Bytes20
    amount: U64


class Stake(msgspec.Struct, frozen=True, tag="stake"):
    pubkey: Bytes48
    withdrawal_credentials: Bytes32
    amount: U64
    signature: Bytes96
    """The validator key's proof of possession over the DepositMessage (as for an Ethereum deposit)."""


class Exit(msgspec.Struct, frozen=True, tag="exit"):
    voluntary_exit: SignedVoluntaryExit


class Withdraw(msgspec.Struct, frozen=True, tag="withdraw"):
    validator_pubkey: Bytes48
    amount: U64


class Consolidate(msgspec.Struct, frozen=True, tag="consolidate"):
    source_pubkey: Bytes48
    target_pubkey: Bytes48


CORE_KINDS: tuple[type[Any], ...] = (Transfer, Stake, Exit, Withdraw, Consolidate)
"""The chain's own transaction kinds; the modules' kinds come from the registry."""

if TYPE_CHECKING:
    Payload = Transfer | Stake | Exit | Withdraw | Consolidate | Any
else:
    Payload = Union[(*CORE_KINDS, *registry.message_types())]
"""Every transaction kind: a msgspec tagged union (`"type"` on the wire) of the core kinds and every registered
module's message types, so a new module's messages decode without an edit here."""


class Transaction(msgspec.Struct, frozen=True):
    sender: Bytes32
    """The sender's 32-byte Ed25519 public key; its address is `crypto.ed25519.address_of(sender)`."""
    nonce: U64
    fee: U64
    payload: Payload


class SignedTransaction(msgspec.Struct, frozen=True):
    transaction: Transaction
    signature: Bytes64

    def hash(self) -> bytes:
        """The transaction id: SHA-256 of the signed transaction's canonical encoding."""
        return hashlib.sha256(msgspec.msgpack.encode(self)).digest()


def chain_id(genesis_validators_root: bytes, genesis_time: int, genesis_fork_version: bytes) -> bytes:
    """The 32-byte id of a chain: SHA-256 of a domain tag, the genesis validators root, the genesis time (uint64,
    little-endian) and the genesis fork version. The validators root alone is the same for every devnet of the
    same size (the devnet keys are deterministic); the genesis time tells them apart. The API's
    `/eth/v1/beacon/genesis` gives all three, so a wallet computes it without trusting a node's word for it."""
    return hashlib.sha256(
        CHAIN_ID_DOMAIN + genesis_validators_root + genesis_time.to_bytes(8, "little") + genesis_fork_version
    ).digest()


def state_chain_id(state: BeaconState) -> bytes:
    """The id of the chain `state` belongs to (see `chain_id`)."""
    return chain_id(state.genesis_validators_root, state.genesis_time, state.preset.GENESIS_FORK_VERSION)


def chain_signing_message(chain: bytes, tx: Transaction) -> bytes:
    """What the sender signs for the chain of id `chain`: a domain tag, the chain id (so a signature is valid on
    one chain only) and the canonical encoding of the transaction."""
    return TX_DOMAIN + chain + msgspec.msgpack.encode(tx)


def transaction_signing_message(state: BeaconState, tx: Transaction) -> bytes:
    """What the sender signs for the chain of `state` (see `chain_signing_message`)."""
    return chain_signing_message(state_chain_id(state), tx)


def sign_transaction(state: BeaconState, tx: Transaction, key: ed25519.AccountKey) -> SignedTransaction:
    return SignedTransaction(tx, key.sign(transaction_signing_message(state, tx)))


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidTransaction(message)


def least_fee(payload: Payload, preset: Preset | None = None, modules: EnabledModules | None = None) -> int:
    """The least fee (Gwei) a transaction carrying `payload` pays: `MIN_TRANSACTION_FEE`, or for a module message
    what its module asks on a chain of `preset` (`module_message_min_fee`) if that is more. Without a preset: the
    module fees of every built-in preset. `modules`: the chain's module store, whose governed fee settings (the
    fees module's, `registry.fee_settings`) replace `MIN_TRANSACTION_FEE` and the preset's module fee fields; see
    `chain_least_fee`."""
    floor = MIN_TRANSACTION_FEE
    if modules is not None:
        floor, preset = registry.fee_settings(modules, DEVNET if preset is None else preset)
    if is_module_message(payload):
        fee = module_message_min_fee(payload) if preset is None else module_message_min_fee(payload, preset)
        return max(floor, fee)
    return floor


def chain_least_fee(state: BeaconState, payload: Payload) -> int:
    """The least fee (Gwei) a transaction carrying `payload` pays on the chain of `state`, under the fee settings
    its governance set (a chain without the fees module: `MIN_TRANSACTION_FEE` and its preset's module fees)."""
    return least_fee(payload, state.preset, state.modules)


_SHAPE_CHECKED: OrderedDict[int, SignedTransaction] = OrderedDict()
"""id → transaction object whose wire shape `check_wire_shape` has found sound (the object is kept, so its id stays
its own while the entry lives). Only transactions of the core kinds enter: they are immutable all the way down
(frozen structs of ints and bytes), so a sound one stays sound. The same object passes the check at admission,
again when the proposer applies it and again when the block is imported; it is encoded and decoded once."""
_SHAPE_CHECKED_MAX = 1 << 15


def check_wire_shape(signed: SignedTransaction) -> None:
    """Refuse a transaction the wire decoder would refuse: an integer outside uint64, a key, address or signature
    of the wrong length, a field of the wrong type. For a transaction built in Python rather than decoded (the
    decoder checks the same rules on the way in); about a microsecond, once per transaction object of a core kind
    (see `_SHAPE_CHECKED`)."""
    if _SHAPE_CHECKED.get(id(signed)) is signed:
        return
    _check_wire_shape(signed)
    if (
        type(signed) is SignedTransaction
        and type(signed.transaction) is Transaction
        and type(signed.transaction.payload) in CORE_KINDS
    ):
        _SHAPE_CHECKED[id(signed)] = signed
        if len(_SHAPE_CHECKED) > _SHAPE_CHECKED_MAX:
            with suppress(KeyError):  # another thread may have trimmed it first
                _SHAPE_CHECKED.popitem(last=False)


def _check_wire_shape(signed: SignedTransaction) -> None:
    try:
        encoded = msgspec.msgpack.encode(signed)
    except (OverflowError, TypeError, msgspec.EncodeError):
        where = out_of_uint64(msgspec.to_builtins(signed, builtin_types=(bytes,)))
        raise InvalidTransaction(
            f"malformed transaction: integer {where or '?'} is outside 0 .. 2**64-1 (every integer is a uint64)"
        ) from None
    try:
        msgspec.msgpack.decode(encoded, type=SignedTransaction)
    except msgspec.ValidationError as exc:
        raise InvalidTransaction(f"malformed transaction: {exc}") from None


def process_transaction(
    state: BeaconState,
    signed: SignedTransaction,
    proposer_index: int,
    *,
    deposit_index: int = 0,
    verify_signature: bool = True,
) -> None:
    """Apply one transaction (stakework's native operation). Checks come first; a failing check raises
    InvalidTransaction and changes nothing. `verify_signature=False` is for a caller that has verified this very
    transaction's signature on this chain already (a block producer's own mempool)."""
    check_wire_shape(signed)
    tx = signed.transaction
    # equivalent mutant (delete call): check_wire_shape above refuses a sender key of any other length (Bytes32)
    _need(len(tx.sender) == 32, "sender must be a 32-byte Ed25519 public key")
    # equivalent mutant (delete call|and to or|const 0 to -1): check_wire_shape refuses a negative uint64 already
    _need(tx.fee >= 0 and tx.nonce >= 0, "fee and nonce must be non-negative")
    least = chain_least_fee(state, tx.payload)
    if is_module_message(tx.payload):
        _need(
            tx.fee >= least,
            f"{tx.payload.__struct_config__.tag}: the fee is {tx.fee} Gwei, this message pays at least {least} "
            "(its module's fee: a base fee, plus one per validator key it submits, plus per-kind extras such as a new "
            "pool's)",
        )
    if tx.fee < least:  # (not `_need`: its message would be formatted for every transaction)
        raise InvalidTransaction(f"the fee is {tx.fee} Gwei, a transaction pays at least {least} (MIN_TRANSACTION_FEE)")
    if verify_signature:
        _need(
            ed25519.verify(tx.sender, transaction_signing_message(state, tx), signed.signature),
            "bad signature: the transaction is not signed by its sender for this chain",
        )
    sender = ed25519.address_of(tx.sender)
    accounts = state.accounts
    expected_nonce = accounts.nonce(sender)
    if tx.nonce != expected_nonce:
        raise InvalidTransaction(f"bad nonce {tx.nonce}: the sender's next nonce is {expected_nonce}")
    payload = tx.payload
    amount = payload.amount if isinstance(payload, Transfer | Stake) else 0
    # equivalent mutant (delete call|const 0 to -1): the amount is a uint64 check_wire_shape has checked, or 0
    _need(amount >= 0, "amount must be non-negative")
    have = accounts.balance(sender)
    if have < amount + tx.fee:
        raise InvalidTransaction(f"insufficient balance: needs {amount + tx.fee} Gwei (amount + fee), has {have}")
    if isinstance(payload, Transfer):
        # equivalent mutant (delete call): check_wire_shape refuses an address of any other length (Bytes20)
        _need(len(payload.to) == 20, "transfer recipient must be a 20-byte address")
        _need(payload.amount > 0, "a transfer moves a positive amount")
    elif isinstance(payload, Stake):
        # equivalent mutant (delete call|and to or): check_wire_shape refuses other lengths (Bytes48, Bytes96)
        _need(len(payload.pubkey) == 48 and len(payload.signature) == 96, "stake: malformed pubkey or signature")
        creds = payload.withdrawal_credentials
        _need(
            len(creds) == 32 and creds[0] in (ETH1_ADDRESS_WITHDRAWAL_PREFIX, COMPOUNDING_WITHDRAWAL_PREFIX),
            "stake: withdrawal credentials must be 0x01 or 0x02 naming an account",
        )
        _need(payload.amount >= state.preset.MIN_DEPOSIT_AMOUNT, "stake: amount is below MIN_DEPOSIT_AMOUNT")
    elif isinstance(payload, Exit):
        # Validated (and applied) by the spec function, before any money moves.
        process_voluntary_exit(state, payload.voluntary_exit)

    try:
        accounts.debit(sender, amount + tx.fee)
    except AccountError as exc:  # pragma: no cover - checked above
        # equivalent mutant (delete raise): unreachable, the balance check above covers amount + fee
        raise InvalidTransaction(str(exc)) from None
    if is_module_message(payload):
        try:
            process_module_message(state, sender, payload)
        except StakeworkError as exc:
            accounts.credit(sender, tx.fee)  # the handler changed nothing: undo the fee, the only change so far
            raise InvalidTransaction(f"{payload.__struct_config__.tag}: {exc}") from None
    accounts.increment_nonce(sender)
    _pay_fee(state, proposer_index, tx.fee)

    if isinstance(payload, Transfer):
        accounts.credit(payload.to, payload.amount)
    elif isinstance(payload, Stake):
        process_deposit_request(
            state,
            DepositRequest(
                payload.pubkey, payload.withdrawal_credentials, payload.amount, payload.signature, deposit_index
            ),
        )
    elif isinstance(payload, Withdraw):
        process_withdrawal_request(state, WithdrawalRequest(sender, payload.validator_pubkey, payload.amount))
    elif isinstance(payload, Consolidate):
        process_consolidation_request(state, ConsolidationRequest(sender, payload.source_pubkey, payload.target_pubkey))


def _pay_fee(state: BeaconState, proposer_index: int, fee: int) -> None:
    creds = state.validators.withdrawal_credentials[proposer_index]
    if fee and creds[0] in (ETH1_ADDRESS_WITHDRAWAL_PREFIX, COMPOUNDING_WITHDRAWAL_PREFIX):
        state.accounts.credit(creds[12:].tobytes(), fee)
