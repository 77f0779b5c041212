"""The counted long runs of the module state machines (`pytest -m slow tests/modules`)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test


def long_run_steps(default: int) -> int:
    """Random steps for a slow run: STAKEWORK_MODULE_STEPS, else 1,000,000 under HYPOTHESIS_PROFILE=thorough, else
    `default` (the slow marker is part of the default run)."""
    if "STAKEWORK_MODULE_STEPS" in os.environ:
        return int(os.environ["STAKEWORK_MODULE_STEPS"])
    return 1_000_000 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else default


def run_counted(machine: Any, target: int) -> int:
    """Run `machine` (a RuleBasedStateMachine counting its steps in `steps_run`) until at least `target` random
    steps have run, in examples of up to 100 steps (they average about 90); returns the steps run."""
    machine.steps_run = 0
    while machine.steps_run < target:
        examples = max((target - machine.steps_run) // 90, 1)
        run_state_machine_as_test(machine, settings=settings(max_examples=examples, stateful_step_count=100))
    print(f"{machine.steps_run} random steps")
    return int(machine.steps_run)
