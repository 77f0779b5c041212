"""The slot loop keeps proposing while the API is flooded (issue #12, item 6: 5,000 event streams stalled
finality). Counted in blocks: a devnet on the wall clock (1 s slots) runs 20 slots while another process opens
5,000 event streams and sends requests back to back; every one of the 20 slots must have its block (a slot loop
that falls behind the clock skips slots). Before the stream cap and the slot gate, 18 of 38 slots were skipped."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from api_support import free_port

from stakework.api.server import NodeApi
from stakework.node.devnet import DevnetConfig, SlotReport, run_devnet
from stakework.spec.presets import DEVNET

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("devnet-clock")]  # one wall-clock devnet at a time
SLOTS = 20
STREAMS = 5000
WORKERS = 16
SECONDS = 1.0
"""(0.6 s before: on the loaded 2-core CI machine, with the other test worker busy, a slot was now and then late
without the flood at fault; the starvation this test was written for skipped 18 of 38 slots at 0.6 s.)"""


def test_api_flooded__every_slot_still_proposed(tmp_path: Path) -> None:
    port = free_port()
    api = NodeApi(tmp_path, SECONDS, "127.0.0.1", port, say=lambda _: None)
    reports: list[SlotReport] = []
    flood: list[subprocess.Popen[str]] = []

    def open_then_flood(*args: object) -> None:
        api.open(*args)  # type: ignore[arg-type]
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("flood_client.py")), str(port), str(STREAMS), str(WORKERS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        flood.append(proc)
        assert proc.stdout is not None
        accepted, refused = (int(n) for n in proc.stdout.readline().split())  # every connection answered
        assert 0 < accepted <= 256 and accepted + refused > STREAMS // 2
        assert proc.stdout.readline()  # and the requests have started

    config = DevnetConfig(tmp_path, DEVNET, validators=16, slot_seconds=SECONDS)
    try:
        run_devnet(
            config,
            on_slot=api.wrap(reports.append),
            stop=threading.Event(),
            max_slots=SLOTS,
            lock=api.lock,
            on_open=open_then_flood,
        )
        assert api.view is not None
        subscribers = api.view.subscriber_count
    finally:
        for proc in flood:
            proc.kill()
            proc.communicate()
        api.close()
    slots = [r.slot for r in reports]
    assert slots == list(range(slots[0], slots[0] + SLOTS)), f"slots skipped: {slots}"
    assert all(r.proposed for r in reports)
    assert 0 < subscribers <= 256  # the cap held: the other streams were refused
