"""Transaction admission: the one path by which a transaction enters the node's mempool (Rules of the house: "One
admission path"). The API's `POST /v1/transactions` calls `admit`; so does gossip. A batch (the devnet's load
generator, a benchmark) goes through `admit_many`: the same checks, its signatures verified together on a few
threads.

A transaction is checked in full against the head state before the pool takes it, cheapest checks first, so that
what the pool holds would apply in the next block unless something changes in between:

1. shape: every integer a uint64, every key, address and signature of its fixed length (`check_wire_shape`), at
   most `MAX_TRANSACTION_BYTES` encoded;
2. fee: at least `least_fee(payload)` (`MIN_TRANSACTION_FEE`; more for a module message);
3. signature: by the sender, for this chain (the chain id binds genesis validators root, genesis time and fork);
4. money: the sender exists (has a balance) and the balance covers amount + fee of this and its other pending
   transactions; nonce not used and not too far ahead (the pool's rules, `Mempool.add`);
5. the payload's own rules against the head state:
   - `transfer`: a positive amount;
   - `stake`: at least `MIN_DEPOSIT_AMOUNT`, 0x01/0x02 credentials, and for a new validator a deposit signature
     that verifies (the chain would otherwise keep the money and never make the validator);
   - `exit`: what `process_voluntary_exit` checks (tried on a copy of the head state), and no other exit of the
     same validator pending;
   - `withdraw`, `consolidate`: the validators exist and the (source) validator's 0x01/0x02 credentials name the
     sender (EIP-7002/EIP-7251 would ignore the request otherwise, and the fee would buy nothing);
   - module messages: what the module's handler checks, tried on a throwaway copy of the module store, when
     nothing else from the sender is pending (a pending deposit may be what makes a withdrawal valid).

Every refusal is an `AdmissionError` (a `MempoolError`) whose message names the rule. An unexpected exception
while checking is a refusal too (logged with its traceback for the operator), never an error of the node.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from stakework.crypto import ed25519
from stakework.modules.registry import is_module_message
from stakework.node.mempool import Mempool, MempoolError
from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.errors import StakeworkError
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import (
    Consolidate,
    Exit,
    InvalidTransaction,
    SignedTransaction,
    Stake,
    Transfer,
    Withdraw,
    chain_least_fee,
    check_wire_shape,
    transaction_signing_message,
)
from stakework.transition.block.voluntary_exit import process_voluntary_exit
from stakework.transition.deposits import is_valid_deposit_signature
from stakework.transition.modules import check_module_message

log = logging.getLogger(__name__)


class AdmissionError(MempoolError):
    """A transaction the node refuses to take into its mempool; the message names the rule."""


def admit(mempool: Mempool, tx: SignedTransaction, head: BeaconState) -> bytes:
    """Check `tx` in full against `head` (the head state) and add it to `mempool`; returns its hash. Raises
    AdmissionError (or the pool's MempoolError) naming the rule when refused; never anything else."""
    return _guarded(mempool, tx, head, None)


def admit_many(
    mempool: Mempool, txs: Sequence[SignedTransaction], head: BeaconState, *, threads: int | None = None
) -> list[bytes | MempoolError]:
    """`admit` each of `txs` in order against `head`; for each, its hash or the refusal (`admit`'s, word for word).

    The same rules in the same order; only the signatures are verified up front, all at once, over `threads`
    threads (`ed25519.verify_batch`: libsodium's check of each signature on its own, without the GIL; default
    `ed25519.VERIFY_THREADS`). Only transactions that pass the cheap checks before the signature (shape, fee) are
    verified, so junk costs no more than through `admit`; a transaction whose signature fails is refused as `admit`
    refuses it, and the others of the batch are unaffected."""
    triples: list[tuple[bytes, bytes, bytes]] = []
    where: list[int] = []
    for i, tx in enumerate(txs):
        try:
            check_wire_shape(tx)
            t = tx.transaction
            if t.fee < chain_least_fee(head, t.payload):
                continue
            triples.append((t.sender, transaction_signing_message(head, t), tx.signature))
        except Exception:  # refused below by `admit`'s path, which names the reason
            continue
        where.append(i)
    verdicts: list[bool | None] = [None] * len(txs)
    for i, ok in zip(where, ed25519.verify_batch(triples, threads=threads), strict=True):
        verdicts[i] = ok
    out: list[bytes | MempoolError] = []
    for tx, verdict in zip(txs, verdicts, strict=True):
        try:
            out.append(_guarded(mempool, tx, head, verdict))
        except MempoolError as exc:
            out.append(exc)
    return out


def _guarded(mempool: Mempool, tx: SignedTransaction, head: BeaconState, signature_ok: bool | None) -> bytes:
    try:
        return _admit(mempool, tx, head, signature_ok)
    except MempoolError:
        raise
    except Exception as exc:  # a bug or an input nobody foresaw: refuse the transaction, keep the node
        log.exception("transaction admission failed unexpectedly; the transaction is refused")
        raise AdmissionError(
            f"refused: the node could not check this transaction ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise AdmissionError(message)


def _admit(mempool: Mempool, tx: SignedTransaction, head: BeaconState, signature_ok: bool | None) -> bytes:
    """`signature_ok`: the verdict on the signature when the caller verified it already against `head` (None:
    verify it here)."""
    try:
        check_wire_shape(tx)
    except InvalidTransaction as exc:
        raise AdmissionError(str(exc)) from None
    t = tx.transaction
    payload = t.payload
    kind = payload.__struct_config__.tag
    least = chain_least_fee(head, payload)
    _need(
        t.fee >= least,
        f"{kind}: fee {t.fee} Gwei is below the {least} Gwei this transaction pays (MIN_TRANSACTION_FEE; a module "
        "message: its module's fee, a base fee plus one per validator key plus per-kind extras such as a new pool's)",
    )
    _need(
        signature_ok
        if signature_ok is not None
        else ed25519.verify(t.sender, transaction_signing_message(head, t), tx.signature),
        "bad signature: the transaction is not signed by its sender for this chain (a transaction signed for another "
        "chain, even a devnet of the same validators, is not valid here)",
    )
    sender = ed25519.address_of(t.sender)
    _need(
        head.accounts.balance(sender) > 0,
        f"the sender 0x{sender.hex()} has no balance: every transaction pays its fee from the sender's account",
    )
    _check_payload(mempool, tx, head, sender)
    alone = not mempool.has_pending(sender)
    if alone and is_module_message(payload):
        try:
            check_module_message(head, sender, payload)
        except StakeworkError as exc:
            raise AdmissionError(f"{kind} refused: {exc}") from None
    return mempool.add(tx, head, signature_checked=True)


def _names_sender(head: BeaconState, index: int, sender: bytes) -> bool:
    creds = head.validators.withdrawal_credentials[index]
    return int(creds[0]) in (ETH1_ADDRESS_WITHDRAWAL_PREFIX, COMPOUNDING_WITHDRAWAL_PREFIX) and (
        creds[12:].tobytes() == sender
    )


def _validator(head: BeaconState, pubkey: bytes, what: str) -> int:
    index = head.validators.index_of_pubkey(pubkey)
    if index is None:
        raise AdmissionError(f"{what}: no validator has the public key 0x{pubkey.hex()[:16]}...")
    return int(index)


def _check_payload(mempool: Mempool, tx: SignedTransaction, head: BeaconState, sender: bytes) -> None:
    payload = tx.transaction.payload
    if isinstance(payload, Transfer):
        _need(payload.amount > 0, "transfer: the amount must be positive")
    elif isinstance(payload, Stake):
        _need(
            payload.amount >= head.preset.MIN_DEPOSIT_AMOUNT,
            f"stake: {payload.amount} Gwei is below MIN_DEPOSIT_AMOUNT ({head.preset.MIN_DEPOSIT_AMOUNT})",
        )
        _need(
            payload.withdrawal_credentials[0] in (ETH1_ADDRESS_WITHDRAWAL_PREFIX, COMPOUNDING_WITHDRAWAL_PREFIX),
            "stake: withdrawal credentials must be 0x01 or 0x02 naming an account",
        )
        if head.validators.index_of_pubkey(payload.pubkey) is None:
            _need(
                is_valid_deposit_signature(
                    head, payload.pubkey, payload.withdrawal_credentials, payload.amount, payload.signature
                ),
                "stake: the deposit signature (proof of possession of the validator key) does not verify; the chain "
                "would keep the amount and never make the validator",
            )
    elif isinstance(payload, Exit):
        try:  # first: it checks the validator's BLS signature, so only a real exit pays for the scan below
            process_voluntary_exit(head.copy(), payload.voluntary_exit)
        except StakeworkError as exc:
            raise AdmissionError(f"exit refused: {exc}") from None
        index = payload.voluntary_exit.message.validator_index
        for pending in mempool.pending():
            other = pending.transaction.payload
            _need(
                not (isinstance(other, Exit) and other.voluntary_exit.message.validator_index == index),
                f"exit refused: an exit of validator {index} is pending already",
            )
    elif isinstance(payload, Withdraw):
        index = _validator(head, payload.validator_pubkey, "withdraw")
        _need(
            _names_sender(head, index, sender),
            f"withdraw: validator {index}'s withdrawal credentials do not name the sender (EIP-7002 accepts a request "
            "only from the account in the credentials)",
        )
    elif isinstance(payload, Consolidate):
        source = _validator(head, payload.source_pubkey, "consolidate (source)")
        _validator(head, payload.target_pubkey, "consolidate (target)")
        _need(
            _names_sender(head, source, sender),
            f"consolidate: validator {source}'s withdrawal credentials do not name the sender (EIP-7251 accepts a "
            "request only from the account in the source's credentials)",
        )
