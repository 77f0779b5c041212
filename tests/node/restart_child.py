"""The devnet process of the restart tests (not a test module).

`python restart_child.py DATA_DIR START STOP clean|kill|killmid` runs `run_devnet` (16 validators, devnet preset, 0.25 s
slots) on a scripted clock: it resumes at slot START and runs every slot that is not missed (see `missed`) until
the first slot at or after STOP, then sends itself SIGINT (Ctrl-C: the handler sets the `stop` event, as
`stakework devnet`'s does) or SIGKILL right after that slot (killmid: inside it, after the block is signed and
before the chain database stores it). It prints `resume <catch-up> <warnings>` and `warning <text>` lines on a
restart, `opened <head slot> <finalized epoch>` once the data directory is open, `slot <slot> <head slot>
<finalized epoch> <refused>` after each slot and `stopped` after a clean stop.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from stakework.node.devnet import DevnetConfig, ResumeReport, SlotReport, run_devnet
from stakework.node.storage import ChainStore
from stakework.spec.presets import DEVNET
from stakework.transition.block.block import SignedBeaconBlock

SECONDS = 0.25
VALIDATORS = 16


def missed(slot: int) -> bool:
    """The slots nobody runs: the first slot of every epoch but every third, and the second slot of every
    second epoch, so that finalized checkpoints' blocks often sit in the epoch before."""
    epoch, position = divmod(slot, DEVNET.SLOTS_PER_EPOCH)
    return (position == 0 and epoch % 3 != 2) or (position == 1 and epoch % 2 == 1)


def main() -> None:
    data, start, stop_at, how = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    config = DevnetConfig(data, DEVNET, validators=VALIDATORS, slot_seconds=SECONDS, funded_accounts=2)
    stop = threading.Event()
    slot = start - 1
    calls = 0

    def clock() -> float:
        """Half-way through slot START-1 at first (the slot the previous run ended in), then the next slot
        that is not missed at each call."""
        nonlocal slot, calls
        calls += 1
        if calls > 1:
            slot += 1
            while missed(slot):
                slot += 1
        meta = json.loads((data / "devnet.json").read_text())
        origin = meta["genesis_time"] + meta.get("clock_shift_seconds", 0)
        return float(origin + (slot + 0.5) * SECONDS)

    def on_open(chain: object, *_: object) -> None:
        fc = chain.forkchoice  # type: ignore[attr-defined]
        head = chain.head_state  # type: ignore[attr-defined]
        print(f"opened {head.slot} {fc.finalized_checkpoint.epoch}", flush=True)

    def on_slot(r: SlotReport) -> None:
        print(f"slot {r.slot} {r.head_slot} {r.finalized_epoch} {r.refused}", flush=True)
        if r.slot >= stop_at:
            os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGINT)

    def on_resume(r: ResumeReport) -> None:
        print(f"resume {r.catch_up} {len(r.warnings)}", flush=True)
        for warning in r.warnings:
            print(f"warning {warning}", flush=True)

    if (
        how == "killmid"
    ):  # SIGKILL inside the slot: the block is signed (and recorded by slashing protection), not stored
        original = ChainStore.import_block

        def import_block(self: ChainStore, signed_block: SignedBeaconBlock, *args: Any, **kwargs: Any) -> bytes:
            if signed_block.message.slot >= stop_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, signed_block, *args, **kwargs)

        ChainStore.import_block = import_block  # type: ignore[method-assign]
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C, as `stakework devnet` handles it
    run_devnet(config, on_slot=on_slot, stop=stop, clock=clock, on_open=on_open, on_resume=on_resume)
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
