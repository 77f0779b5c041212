"""Shared by the network fault tests: node processes on loopback from one genesis (`stakework node`), their
slot lines parsed as they come, and helpers to kill, restart and partition them."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from stakework.node.node import BLOCKED_PEERS_FILE, GENESIS_FILENAME, prepare_network
from stakework.spec.presets import DEVNET

SLOT_SECONDS = 0.5
VALIDATORS = 16
SPE = DEVNET.SLOTS_PER_EPOCH
LINE = re.compile(
    r"slot\s+(?P<slot>\d+) epoch\s+(?P<epoch>\d+) (?P<mark>proposed|missed)\s+head\s+(?P<head>\d+) "
    r"0x(?P<root>[0-9a-f]+) justified\s+(?P<justified>\d+) finalized\s+(?P<finalized>\d+) "
    r"participation\s+(?P<participation>[\d.]+)% txs\s+(?P<txs>\d+) mempool\s+(?P<mempool>\d+) "
    r"slashed\s+(?P<slashed>\d+) refused (?P<refused>\d+) peers (?P<peers>\d+)"
)


@dataclass(frozen=True)
class Line:
    node: int
    slot: int
    epoch: int
    proposed: bool
    head: int
    root: str
    justified: int
    finalized: int
    participation: float
    txs: int
    slashed: int
    refused: int
    peers: int


def parse(node: int, text: str) -> Line | None:
    m = LINE.search(text)
    if m is None:
        return None
    return Line(
        node,
        int(m["slot"]),
        int(m["epoch"]),
        m["mark"] == "proposed",
        int(m["head"]),
        m["root"],
        int(m["justified"]),
        int(m["finalized"]),
        float(m["participation"]),
        int(m["txs"]),
        int(m["slashed"]),
        int(m["refused"]),
        int(m["peers"]),
    )


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@dataclass
class NodeNetwork:
    """N node processes (node i dials every node before it); `lines[i]` their slot lines as they come."""

    data: Path
    nodes: int
    validators: int = VALIDATORS
    slot_seconds: float = SLOT_SECONDS
    ports: list[int] = field(default_factory=list)
    procs: dict[int, subprocess.Popen[str]] = field(default_factory=dict)
    lines: dict[int, list[Line]] = field(default_factory=dict)
    extra: dict[int, list[str]] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        prepare_network(
            self.data, nodes=self.nodes, validators=self.validators, preset=DEVNET, slot_seconds=self.slot_seconds
        )
        self.ports = free_ports(self.nodes)
        self.lines = {i: [] for i in range(self.nodes)}

    def start(self, i: int, *args: str) -> None:
        node_dir = self.data / f"node-{i}"
        command = [
            sys.executable,
            "-m",
            "stakework.cli.main",
            "node",
            "-d",
            str(node_dir),
            "--genesis",
            str(self.data / GENESIS_FILENAME),
            "--listen",
            f"127.0.0.1:{self.ports[i]}",
            *[a for j in range(self.nodes) if j != i for a in ("--peer", f"127.0.0.1:{self.ports[j]}")],
            "--keys",
            str(node_dir / "keys"),
            *([] if "--http-port" in args else ["--no-http"]),  # an API only when a test asks for one
            "-v",
            *args,
        ]
        log = (node_dir / "node.log").open("a")
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        log.close()
        self.procs[i] = proc
        thread = threading.Thread(target=self._pump, args=(i, proc), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump(self, i: int, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for text in proc.stdout:
            line = parse(i, text)
            if line is not None:
                self.lines[i].append(line)
            else:
                self.extra.setdefault(i, []).append(text)

    def kill(self, i: int) -> None:
        proc = self.procs.pop(i)
        proc.kill()
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def partition(self, *sides: set[int]) -> None:
        """Cut every link between nodes on different sides (each node's link switch file)."""
        for side in sides:
            others = [self.ports[j] for j in range(self.nodes) if j not in side]
            for i in side:
                (self.data / f"node-{i}" / BLOCKED_PEERS_FILE).write_text("\n".join(map(str, others)))

    def heal(self) -> None:
        for i in range(self.nodes):
            (self.data / f"node-{i}" / BLOCKED_PEERS_FILE).unlink(missing_ok=True)

    def last(self, i: int) -> Line | None:
        return self.lines[i][-1] if self.lines[i] else None

    def wait_for(self, what: str, condition: object, limit_slots: int) -> None:
        """Wait until `condition()` holds; a safety net of `limit_slots` slots (the test fails naming `what`)."""
        deadline = time.monotonic() + limit_slots * self.slot_seconds + 30
        while not condition():  # type: ignore[operator]
            for i, proc in self.procs.items():
                if proc.poll() is not None:
                    log = (self.data / f"node-{i}" / "node.log").read_text()[-3000:]
                    raise AssertionError(f"node-{i} exited ({proc.returncode}) while waiting for {what}:\n{log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}; last lines: {[self.last(i) for i in self.lines]}")
            time.sleep(0.1)
