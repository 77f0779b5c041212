"""Realistic large states for benchmarks: a mainnet-like registry mid-life, with every kind of validator the
epoch transition treats differently.

Keys are synthetic (hash-derived 48-byte strings, not valid BLS points): existing validators' keys are never
verified by epoch processing, and generating a million real keys would take minutes. New-validator deposits in
the queue carry invalid signatures, so they are verified (the real cost) and skipped.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from stakework.spec.presets import MAINNET, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state.beacon_state import BeaconState
from stakework.state.containers import Checkpoint, PendingConsolidation, PendingDeposit
from stakework.state.registry import Registry

U64 = np.uint64
GWEI = 10**9


def realistic_state(
    validators: int,
    *,
    preset: Preset = MAINNET,
    seed: int = 7,
    epoch: int = 300_000,
    pubkeys: npt.NDArray[np.uint8] | None = None,
) -> BeaconState:
    """A state at the last slot of `epoch`: ~93% active 0x01 validators, 3% compounding (0x02) up to 2048,
    1% slashed (a third of them at the correlation-penalty epoch), 1% exiting, 1% exited, 1% waiting for
    activation; 95% full participation, 3% partial, 2% none; a few inactivity scores; 64 pending deposits
    (top-ups and new validators) and 8 pending consolidations. `pubkeys`: the validators' public keys, a
    (validators, 48) array (default: synthetic unique bytes, not curve points)."""
    if validators < 16:
        raise ValueError("a realistic state needs at least 16 validators")
    p = preset
    rng = np.random.default_rng(seed)
    n = validators
    far = U64(FAR_FUTURE_EPOCH)
    kind = rng.choice(6, size=n, p=[0.93, 0.03, 0.01, 0.01, 0.01, 0.01])
    _, compounding, slashed, exiting, exited, waiting = (kind == k for k in range(6))

    credentials = np.zeros((n, 32), dtype=np.uint8)
    credentials[:, 0] = np.where(compounding, 2, 1)
    credentials[:, 12:] = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    raw = np.frombuffer(
        b"".join(hashlib.shake_256(seed.to_bytes(8, "little")).digest(48 * min(n, 4096)) for _ in range(1)), np.uint8
    )
    if pubkeys is None:
        pubkeys = np.resize(raw.reshape(-1, 48), (n, 48)).copy()
        pubkeys[:, :8] = np.arange(n, dtype="<u8").view(np.uint8).reshape(n, 8)  # unique
    elif pubkeys.shape != (n, 48):
        raise ValueError(f"pubkeys must be a ({n}, 48) array, not {pubkeys.shape}")

    eb = np.full(n, 32 * GWEI, dtype=np.uint64)
    eb[compounding] = (rng.integers(32, 2049, size=int(compounding.sum())) * GWEI).astype(np.uint64)
    balances = eb + rng.integers(0, 2 * GWEI // 10, size=n).astype(np.uint64)
    edge = rng.random(n) < 0.02  # hysteresis edges
    balances[edge] = eb[edge] - U64(GWEI // 4 + 2_000_000)

    activation = np.full(n, U64(1000), dtype=np.uint64)
    eligibility = np.full(n, U64(900), dtype=np.uint64)
    exit_epoch = np.full(n, far, dtype=np.uint64)
    withdrawable = np.full(n, far, dtype=np.uint64)
    exit_epoch[exiting] = U64(epoch + 10)
    withdrawable[exiting] = U64(epoch + 10 + p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY)
    exit_epoch[exited] = U64(epoch - 500)
    withdrawable[exited] = U64(epoch - 244)
    slashed_idx = np.flatnonzero(slashed)
    exit_epoch[slashed_idx] = U64(epoch + 3)
    withdrawable[slashed_idx] = U64(epoch + p.EPOCHS_PER_SLASHINGS_VECTOR // 2)
    withdrawable[slashed_idx[1::3]] = U64(epoch + p.EPOCHS_PER_SLASHINGS_VECTOR - 5)
    activation[waiting] = far
    eligibility[waiting] = U64(epoch - 3)

    flags = rng.choice(np.array([7, 3, 1, 0], dtype=np.uint8), size=n, p=[0.95, 0.02, 0.01, 0.02])
    flags_current = rng.choice(np.array([7, 3, 0], dtype=np.uint8), size=n, p=[0.9, 0.05, 0.05])
    scores = np.where(rng.random(n) < 0.02, rng.integers(1, 50, size=n), 0).astype(np.uint64)

    registry = Registry.from_columns(
        {
            "pubkey": pubkeys,
            "withdrawal_credentials": credentials,
            "effective_balance": eb,
            "slashed": slashed,
            "activation_eligibility_epoch": eligibility,
            "activation_epoch": activation,
            "exit_epoch": exit_epoch,
            "withdrawable_epoch": withdrawable,
            "balances": balances,
            "previous_epoch_participation": flags,
            "current_epoch_participation": flags_current,
            "inactivity_scores": scores,
        }
    )
    state = BeaconState(
        preset=p,
        validators=registry,
        slot=epoch * p.SLOTS_PER_EPOCH + p.SLOTS_PER_EPOCH - 1,
        justification_bits=[True, True, True, True],
        previous_justified_checkpoint=Checkpoint(epoch - 2, b"\x01" * 32),
        current_justified_checkpoint=Checkpoint(epoch - 1, b"\x02" * 32),
        finalized_checkpoint=Checkpoint(epoch - 2, b"\x01" * 32),
        earliest_exit_epoch=epoch + 10,
        exit_balance_to_consume=64 * GWEI,
        earliest_consolidation_epoch=epoch + 5,
        deposit_requests_start_index=0,
    )
    state.block_roots[:] = rng.integers(0, 256, size=state.block_roots.shape, dtype=np.uint8)
    state.randao_mixes[:] = rng.integers(0, 256, size=state.randao_mixes.shape, dtype=np.uint8)
    state.slashings[: len(state.slashings)] = U64(0)
    state.slashings[epoch % p.EPOCHS_PER_SLASHINGS_VECTOR] = U64(int(eb[slashed].sum(dtype=np.uint64)) // 4)
    finalized_slot = (epoch - 2) * p.SLOTS_PER_EPOCH
    for i in range(64):
        if i % 4 == 0:  # a new validator with a signature that does not verify
            key = hashlib.sha256(b"new" + i.to_bytes(4, "little")).digest() + b"\x00" * 16
            state.pending_deposits.append(
                PendingDeposit(key[:48], bytes(credentials[0]), 32 * GWEI, b"\xc0" + b"\x00" * 95, finalized_slot - 1)
            )
        else:  # a top-up of an existing validator
            target = int(rng.integers(0, n))
            state.pending_deposits.append(
                PendingDeposit(
                    pubkeys[target].tobytes(), bytes(credentials[target]), GWEI, b"\x00" * 96, finalized_slot - 1
                )
            )
    comp = np.flatnonzero(compounding)
    sources = np.flatnonzero(exited)
    for i in range(min(8, len(comp), len(sources))):
        state.pending_consolidations.append(PendingConsolidation(int(sources[i]), int(comp[i])))
    return state
