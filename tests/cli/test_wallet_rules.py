"""What `wallet stake` and `wallet exit` check before they send anything: the stake amount against the
activation and effective-balance rules, the deposit queue's wait, and when a validator may exit."""

from __future__ import annotations

import dataclasses

import pytest

from stakework.cli.wallet import deposit_queue_note, exit_problem, stake_amount_problem
from stakework.spec.presets import DEVNET

SWK = 10**9
FAR = str(2**64 - 1)


def devnet_spec(seconds_per_slot: float = 2.0) -> dict[str, str]:
    """The devnet's constants as the node's /eth/v1/config/spec gives them (strings)."""
    spec = {f.name: str(getattr(DEVNET, f.name)) for f in dataclasses.fields(DEVNET)}
    spec["SECONDS_PER_SLOT"] = str(seconds_per_slot)
    return spec


@pytest.mark.parametrize(
    ("amount", "compounding", "expected"),
    [
        (31, False, "below the minimum activation balance (32 SWK, MIN_ACTIVATION_BALANCE)"),
        (31, True, "below the minimum activation balance"),
        (33, False, "or up to 2,048 SWK with --compounding"),
        (2049, False, "0x01 credentials"),
        (2049, True, "above the maximum effective balance (2,048 SWK, MAX_EFFECTIVE_BALANCE_ELECTRA)"),
    ],
)
def test_stake_amount__outside_the_rules__refused_naming_the_rule(
    amount: int, compounding: bool, expected: str
) -> None:
    problem = stake_amount_problem(amount * SWK, compounding, devnet_spec())
    assert problem is not None and expected in problem


@pytest.mark.parametrize(("amount", "compounding"), [(32, False), (32, True), (100, True), (2048, True)])
def test_stake_amount__within_the_rules__accepted(amount: int, compounding: bool) -> None:
    assert stake_amount_problem(amount * SWK, compounding, devnet_spec()) is None


def test_deposit_queue_note__large_stake__says_how_many_epochs_at_the_churn() -> None:
    # 64 validators of 32 SWK: churn max(64 SWK minimum, 2048 // 32) = 64 SWK per epoch; 2048 SWK take 32 epochs
    note = deposit_queue_note(2048 * SWK, 64 * 32 * SWK, devnet_spec(2.0))
    assert "at most 64 SWK per epoch" in note and "at least 32 epoch(s)" in note and "about 512 s" in note


def validator(status: str, activation: str = FAR, exit_epoch: str = FAR) -> dict[str, object]:
    return {
        "index": "16",
        "status": status,
        "validator": {"activation_epoch": activation, "exit_epoch": exit_epoch},
    }


def test_exit__pending_validator__refused_saying_when_it_can_exit() -> None:
    problem = exit_problem(validator("pending_queued"), 3, devnet_spec())
    assert problem is not None
    assert "not active yet (pending_queued)" in problem and "4 epochs (SHARD_COMMITTEE_PERIOD)" in problem


def test_exit__active_for_less_than_the_shard_committee_period__says_the_epoch_and_the_wait() -> None:
    problem = exit_problem(validator("active_ongoing", activation="10"), 11, devnet_spec(2.0))
    assert problem is not None
    assert "can exit from epoch 14" in problem and "try again in 3 epoch(s), about 48 s" in problem


def test_exit__activation_scheduled__says_the_epoch() -> None:
    problem = exit_problem(validator("pending_queued", activation="12"), 10, devnet_spec())
    assert problem is not None and "activates at epoch 12 and can exit from epoch 16" in problem


def test_exit__exiting_already__refused() -> None:
    problem = exit_problem(validator("active_exiting", activation="1", exit_epoch="30"), 20, devnet_spec())
    assert problem is not None and "exiting already" in problem and "30" in problem


def test_exit__after_the_shard_committee_period__allowed() -> None:
    assert exit_problem(validator("active_ongoing", activation="10"), 14, devnet_spec()) is None
