"""The one epoch driver (`stakework.sim.driver`): the exact mode and every module scenario run on it, in the order a
chain would (sweep, transactions, participation, process_epoch, module hooks, checks, figures)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import numpy as np
import pytest

from stakework.sim.driver import ChainScenario, EpochOutcome, ModuleInvariantError, run_epochs
from stakework.sim.exact import Event, Scenario, run_scenario
from stakework.sim.modules import MassExitConfig, PoolSlashingConfig, run_mass_exit, run_pool_slashing
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.genesis import devnet_genesis


def fingerprint(records: list[Any]) -> str:
    return hashlib.sha256(json.dumps([dataclasses.astuple(r) for r in records], default=str).encode()).hexdigest()


DEFAULT_EVENTS = (
    Event.parse("slash", "16@6"),
    Event.parse("offline", "0.4@20-44"),
    Event.parse("exit", "8@30"),
    Event.parse("deposit", "8@4"),
)


# Every field of every epoch's record, as the runs gave them before the exact mode and the module scenarios shared
# a driver (each copied the simulated epoch then): the driver changed no output.
@pytest.mark.parametrize(
    ("run", "digest"),
    [
        (
            lambda: run_scenario(devnet_genesis(DEVNET, 64), Scenario(epochs=48, events=DEFAULT_EVENTS)),
            "b30b53120e8b65a543d3ab3222f85106ca4b318221447e93bcd873662ecf288a",
        ),
        (
            lambda: run_scenario(
                devnet_genesis(DEVNET, 64),
                Scenario(epochs=40, online=0.8, miss_rate=0.1, seed=7, events=DEFAULT_EVENTS),
            ),
            "89a5b2a3154a6839353006f246e13b5e98009a48b9b8e8351367acb360b2fc59",
        ),
        (
            lambda: run_pool_slashing(PoolSlashingConfig()).records,
            "9a18ccaf224d549f00a3f3d2fe87d2b8afe011366019f987234877d5a45bb145",
        ),
        (
            lambda: run_pool_slashing(PoolSlashingConfig(others_slashed=8, seed=3)).records,
            "e563d04362892e010ec9873a735729b2f7168c6aa426532d12825ae5adac38ba",
        ),
        (
            lambda: run_mass_exit(MassExitConfig(stakers=60, claim=False, seed=4)).records,
            "4bc85b448067a7868abea6ae7d8fe1a42d245d22ebe1b45fa94dab4debbe0b2a",
        ),
    ],
    ids=["exact-defaults", "exact-online-80", "pool-slashing", "pool-slashing-wider", "mass-exit-no-claim"],
)
def test_driver__existing_runs__every_record_as_before_the_driver(run: Any, digest: str) -> None:
    assert fingerprint(run()) == digest


class Probe(ChainScenario[tuple[int, float]]):
    """Logs what the driver calls, in order; takes everyone offline from epoch 2."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[str] = []
        self.fail_at = fail_at

    def transactions(self, state: BeaconState, rng: np.random.Generator, withdrawals: list[tuple[bytes, int]]) -> None:
        self.calls.append(f"tx {state.current_epoch()} {len(withdrawals)}")

    def offline(self, state: BeaconState) -> np.ndarray | None:
        self.calls.append(f"offline {state.current_epoch()}")
        if state.current_epoch() < 2:
            return None
        return np.ones(len(state.validators), dtype=np.bool_)

    def check(self, state: BeaconState) -> None:
        self.calls.append(f"check {state.current_epoch()}")
        if state.current_epoch() == self.fail_at:
            raise ModuleInvariantError(f"epoch {state.current_epoch()}: broken")

    def record(self, state: BeaconState, outcome: EpochOutcome) -> tuple[int, float]:
        self.calls.append(f"record {outcome.epoch}")
        return outcome.epoch, outcome.target_participation


def test_driver__order_of_an_epoch__sweep_transactions_participation_checks_figures() -> None:
    state = devnet_genesis(DEVNET, 16)
    probe = Probe()
    seen: list[tuple[int, float]] = []
    records = run_epochs(state, probe, 3, np.random.default_rng(1), 0.0, on_epoch=seen.append)
    assert [c.split()[:2] for c in probe.calls] == [
        [step, str(e)] for e in range(3) for step in ("tx", "offline", "check", "record")
    ]
    assert seen == records
    # miss rate 0: everyone attests until the scenario takes them all offline (the spec floors the participating
    # balance at one increment: 1 SWK of 16 x 32)
    assert [p for _, p in records] == [1.0, 1.0, 1 / 512]
    assert state.slot == 3 * DEVNET.SLOTS_PER_EPOCH + DEVNET.SLOTS_PER_EPOCH - 1


def test_driver__check_fails__the_run_stops_before_the_figures() -> None:
    probe = Probe(fail_at=1)
    with pytest.raises(ModuleInvariantError, match="epoch 1: broken"):
        run_epochs(devnet_genesis(DEVNET, 16), probe, 4, np.random.default_rng(1), 0.0)
    assert probe.calls[-2:] == ["offline 1", "check 1"]


def test_driver__sweep__pays_the_excess_of_validators_above_the_maximum() -> None:
    state = devnet_genesis(DEVNET, 16)
    index = 3
    state.validators.balances[index] += np.uint64(2 * 10**9)  # 2 SWK above MAX_EFFECTIVE_BALANCE for a 0x01
    probe = Probe()
    run_epochs(state, probe, 1, np.random.default_rng(1), 0.0)
    assert probe.calls[0] != "tx 0 0"  # the first block's sweep skimmed it before the transactions

    quiet = devnet_genesis(DEVNET, 16)
    quiet.validators.balances[index] += np.uint64(2 * 10**9)
    probe = Probe()
    probe.sweep = False
    run_epochs(quiet, probe, 1, np.random.default_rng(1), 0.0)
    assert probe.calls[0] == "tx 0 0"
