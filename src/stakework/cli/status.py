"""`stakework status`: what a node's data directory says about its chain (read-only; safe while it runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail


def status(
    data_dir: Path = typer.Option(Path("devnet-data"), "--data-dir", "-d", help="The node's data directory."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Head slot, justified and finalized epochs, participation and validator counts, read from the chain
    database (opened read-only) and the head state rebuilt from the newest finalized snapshot."""
    import numpy as np

    from stakework.node.storage import ChainStore
    from stakework.transition.epoch.context import EpochContext
    from stakework.transition.state_transition import state_transition

    store = ChainStore.open_readonly(data_dir)
    try:
        # One read transaction: the head, the checkpoints and the blocks as the node last committed them together
        # (a head read apart could name a block the node imported after the blocks were read).
        stored = store.load_latest()
        head, justified, finalized = stored.head, stored.justified, stored.finalized
        blocks = store.block_count()
    finally:
        store.close()
    # Rebuild the head state: the stored blocks were validated when imported, so replay without signatures.
    states = {stored.anchor_root: stored.anchor_state}
    for signed in stored.blocks:
        parent = states.get(signed.message.parent_root)
        if parent is not None:
            state = parent.copy()
            state_transition(state, signed, verify_signatures=False, validate_result=False)
            states[signed.message.hash_tree_root()] = state
    head_state = states.get(head.root)
    if head_state is None:  # the stored blocks do not reach the recorded head: say so rather than show another state
        fail(f"{data_dir}: the chain database's head 0x{head.root.hex()} is not reachable from its blocks; run again")
    state = head_state
    v = state.validators
    epoch = np.uint64(state.current_epoch())
    ctx = EpochContext.build(state)
    participation = ctx.participating_balance(state, ctx.previous_participating[1]) / ctx.total_active_balance
    far = np.uint64(2**64 - 1)
    counts = {
        "active": int(ctx.active_current.sum()),
        "pending": int((v.activation_epoch > epoch).sum()),
        "exiting": int(((v.exit_epoch != far) & (epoch < v.exit_epoch)).sum()),
        "exited": int((v.exit_epoch <= epoch).sum()),
        "slashed": int(v.slashed.sum()),
    }
    modules = _modules(state)
    result = {
        "head_slot": head.slot,
        "head_root": "0x" + head.root.hex(),
        "justified_epoch": justified.epoch,
        "finalized_epoch": finalized.epoch,
        "finalized_root": "0x" + finalized.root.hex(),
        "previous_epoch_target_participation": round(participation, 6),
        "validators": counts,
        "blocks_stored": blocks,
        "accounts": len(state.accounts),
        "modules": modules,
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    console.print(
        f"head slot {head.slot} (0x{head.root.hex()[:12]}), justified epoch {justified.epoch}, finalized epoch "
        f"{finalized.epoch}\nprevious-epoch target participation {100 * participation:.1f}%\nvalidators: "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + f"\n{blocks} blocks stored, {len(state.accounts)} accounts"
        + "".join(f"\n{line}" for line in _module_lines(modules)),
        highlight=False,
    )


def _modules(state: Any) -> dict[str, Any]:
    """What each enabled module holds (integers, amounts in Gwei): its definition's `summary`, in registry order."""
    from stakework.modules import registry

    out: dict[str, Any] = {}
    for module in registry.modules():
        module_state = state.modules.get(module.name)
        if module_state is not None:
            out[module.name] = module.summary(module_state) if module.summary is not None else {}
    return out


def _module_lines(modules: dict[str, Any]) -> list[str]:
    """One line per enabled module: its definition's `describe`, or its name and figures."""
    from stakework.modules import registry

    lines = []
    for name, figures in modules.items():
        module = registry.get(name)
        if module is not None and module.describe is not None:
            lines.append(module.describe(figures))
        else:
            lines.append(f"{name} module: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return lines
