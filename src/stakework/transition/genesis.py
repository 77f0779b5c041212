"""Genesis: the first state of a chain (Spec: initialize_beacon_state_from_eth1, Electra variant).

# [Differs from Electra: there is no eth1 bridge. Genesis validators are given directly (pubkey, credentials,
#  balance) instead of as eth1 deposits, `deposit_requests_start_index` is 0 so native deposit requests are
#  processed from the first epoch, `genesis_validators_root` is stakework's canonical hash of the genesis
#  registry rather than its SSZ root, and the randao mixes start from a hash of the chain's seed instead of an
#  eth1 block hash.]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from stakework.codec.hashing import CanonicalHasher, sha256
from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules import registry
from stakework.modules.store import ModuleStore
from stakework.spec.constants import COMPOUNDING_WITHDRAWAL_PREFIX, ETH1_ADDRESS_WITHDRAWAL_PREFIX
from stakework.spec.presets import Preset
from stakework.spec.types import GENESIS_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.registry import Registry
from stakework.transition.errors import TransitionError

U64 = np.uint64
DEVNET_ACCOUNT_BALANCE = 1_000_000 * 10**9
"""What each funded devnet account holds at genesis: 1,000,000 SWK."""


def devnet_withdrawal_address(index: int) -> bytes:
    """The 20-byte account address devnet validator `index` withdraws to. INSECURE: derived from the index."""
    return sha256(b"stakework devnet withdrawal " + index.to_bytes(8, "little"))[:20]


def withdrawal_credentials_for(address: bytes, *, compounding: bool) -> bytes:
    """0x01 (or 0x02 when compounding) credentials pointing at a 20-byte account address (EIP-7251 format)."""
    if len(address) != 20:
        raise TransitionError(f"a withdrawal address has 20 bytes, got {len(address)}")
    prefix = COMPOUNDING_WITHDRAWAL_PREFIX if compounding else ETH1_ADDRESS_WITHDRAWAL_PREFIX
    return bytes([prefix]) + b"\x00" * 11 + address


def initialize_genesis_state(
    preset: Preset,
    pubkeys: Sequence[bytes],
    withdrawal_credentials: Sequence[bytes],
    balances: Sequence[int],
    *,
    genesis_time: int = 0,
    seed: bytes = b"stakework genesis",
) -> BeaconState:
    """A genesis state: every validator whose effective balance reaches MIN_ACTIVATION_BALANCE is active from
    epoch 0 (Spec: the genesis loop of initialize_beacon_state_from_eth1)."""
    n = len(pubkeys)
    if not (len(withdrawal_credentials) == len(balances) == n):
        raise TransitionError("pubkeys, withdrawal credentials and balances must have the same length")
    if n == 0:
        raise TransitionError("a genesis state needs at least one validator")
    p = preset
    balance = np.array(balances, dtype=np.uint64)
    credentials = np.frombuffer(b"".join(withdrawal_credentials), dtype=np.uint8).reshape(n, 32)
    cap = np.where(
        credentials[:, 0] == COMPOUNDING_WITHDRAWAL_PREFIX,
        U64(p.MAX_EFFECTIVE_BALANCE_ELECTRA),
        U64(p.MIN_ACTIVATION_BALANCE),
    )
    effective = np.minimum(balance - balance % U64(p.EFFECTIVE_BALANCE_INCREMENT), cap)
    active = effective >= U64(p.MIN_ACTIVATION_BALANCE)
    far = np.full(n, np.iinfo(np.uint64).max, dtype=np.uint64)
    genesis_epochs = np.where(active, U64(GENESIS_EPOCH), far)
    registry = Registry.from_columns(
        {
            "pubkey": np.frombuffer(b"".join(pubkeys), dtype=np.uint8).reshape(n, 48),
            "withdrawal_credentials": credentials,
            "effective_balance": effective,
            "slashed": np.zeros(n, dtype=np.bool_),
            "activation_eligibility_epoch": genesis_epochs,
            "activation_epoch": genesis_epochs,
            "exit_epoch": far,
            "withdrawable_epoch": far.copy(),
            "balances": balance,
            "previous_epoch_participation": np.zeros(n, dtype=np.uint8),
            "current_epoch_participation": np.zeros(n, dtype=np.uint8),
            "inactivity_scores": np.zeros(n, dtype=np.uint64),
        }
    )
    h = CanonicalHasher(b"stakework/genesis-validators/v1")
    for name, column in registry.columns():
        h.array(name, column)
    state = BeaconState(
        preset=p,
        validators=registry,
        genesis_time=genesis_time,
        genesis_validators_root=h.digest(),
        fork_previous_version=p.ELECTRA_FORK_VERSION,
        fork_current_version=p.ELECTRA_FORK_VERSION,
        deposit_requests_start_index=0,
    )
    state.randao_mixes[:] = np.frombuffer(sha256(seed), dtype=np.uint8)
    return state


def devnet_genesis(
    preset: Preset,
    validator_count: int,
    *,
    balance: int | None = None,
    compounding_every: int = 0,
    genesis_time: int = 0,
    progress: Callable[[int], None] | None = None,
    funded_accounts: int = 0,
    account_balance: int = DEVNET_ACCOUNT_BALANCE,
    modules: bool = False,
) -> BeaconState:
    """A devnet genesis with deterministic validator keys (`crypto.bls.devnet_secret_key(i)`) and withdrawal
    addresses (`devnet_withdrawal_address(i)`). INSECURE: anyone can derive every key; for devnets and tests.

    `compounding_every = k` gives every k-th validator 0x02 credentials; `progress(i)` is called per key.
    `funded_accounts = m` credits `account_balance` to the accounts of `crypto.ed25519.devnet_account_key(0..m-1)`
    (INSECURE too), so that a devnet has money to move from its first block. `modules` enables every
    registered module (:func:`devnet_modules`).
    """
    if validator_count <= 0:
        raise TransitionError("a devnet needs at least one validator")
    amount = preset.MIN_ACTIVATION_BALANCE if balance is None else balance
    pubkeys = []
    for i in range(validator_count):
        pubkeys.append(devnet_secret_key(i).public_key())
        if progress is not None:
            progress(i)
    credentials = [
        withdrawal_credentials_for(
            devnet_withdrawal_address(i), compounding=bool(compounding_every) and i % compounding_every == 0
        )
        for i in range(validator_count)
    ]
    state = initialize_genesis_state(
        preset, pubkeys, credentials, [amount] * validator_count, genesis_time=genesis_time
    )
    if funded_accounts:
        for i in range(funded_accounts):
            state.accounts.credit(devnet_account_key(i).address, account_balance)
    if modules:
        state.modules = devnet_modules(preset, devnet_account_key(0).address)
    return state


def devnet_modules(preset: Preset, admin: bytes) -> ModuleStore:
    """The devnet's modules: every registered module, each in the state its definition's ``genesis`` gives for
    ``preset`` with ``admin`` (devnet account 0) as its admin account (the pool module: empty; the liquid module:
    ``admin`` is admin and treasury, 10% protocol fee split half and half between treasury and operators)."""
    return ModuleStore({m.name: m.genesis(preset, admin) for m in registry.modules()})
