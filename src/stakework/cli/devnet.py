"""`stakework devnet`: start a whole chain in this process."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from stakework.cli.common import MAX_VALIDATORS, fail, parse_preset, wide_console


def devnet(
    data_dir: Path = typer.Option(
        Path("devnet-data"), "--data-dir", "-d", help="Where the chain, keys and protection live."
    ),
    validators: int = typer.Option(
        64,
        "--validators",
        "-n",
        min=1,
        max=MAX_VALIDATORS,
        help="Genesis validators (all run in this process; at most 4,000,000).",
    ),
    preset: str = typer.Option("devnet", "--preset", "-p", help="devnet, minimal, mainnet or a TOML/YAML file."),
    slot_seconds: float | None = typer.Option(
        None, "--slot-seconds", min=0.05, help="Seconds per slot (default: the preset's)."
    ),
    slots: int | None = typer.Option(
        None, "--slots", min=1, help="Stop after this many slots (default: run until Ctrl-C)."
    ),
    load: float = typer.Option(0.0, "--load", min=0.0, help="Submit this many signed transfers per second."),
    equivocate: int = typer.Option(
        0, "--equivocate", min=0, help="TEST HOOK: make the last K validators double-vote (they get slashed)."
    ),
    http_port: int = typer.Option(5052, "--http-port", min=0, max=65535, help="Port of the HTTP API."),
    http_address: str = typer.Option(
        "127.0.0.1", "--http-address", help="Address the HTTP API binds (warns unless loopback)."
    ),
    no_http: bool = typer.Option(False, "--no-http", help="Do not serve the HTTP API."),
    nodes: int | None = typer.Option(
        None,
        "--nodes",
        min=1,
        help="Run N node processes on loopback (validators split evenly), each with its data directory "
        "DATA/node-i, its p2p port --p2p-port + i and its API on --http-port + i.",
    ),
    p2p_port: int = typer.Option(9000, "--p2p-port", min=1, max=65535, help="With --nodes: node 0's p2p port."),
    catch_up: str = typer.Option(
        "shift",
        "--catch-up",
        help="After a long stop (a gap that would start the inactivity leak): 'shift' moves the devnet clock "
        "forward so the chain resumes where it stopped (devnet only, recorded in devnet.json); 'leak' runs the "
        "gap's empty epochs through the spec's inactivity leak.",
    ),
) -> None:
    """Start a devnet: genesis (deterministic INSECURE devnet keys, stored as EIP-2335 keystores in the data
    directory), a slot clock, every validator proposing and attesting with slashing protection, the fork choice
    picking the head. Logs one line per slot; Ctrl-C stops cleanly."""
    import time

    from stakework.node.devnet import CATCH_UP_MODES, DevnetConfig, ResumeReport, SlotReport, run_devnet

    if equivocate > validators:
        fail(f"--equivocate {equivocate} is more than the {validators} validators")
    if nodes is not None:
        _run_nodes(
            data_dir,
            nodes=nodes,
            validators=validators,
            preset=preset,
            slot_seconds=slot_seconds,
            slots=slots,
            load=load,
            equivocate=equivocate,
            http_port=None if no_http else http_port,
            http_address=http_address,
            p2p_port=p2p_port,
        )
        return
    if catch_up not in CATCH_UP_MODES:
        fail(f"--catch-up must be one of {', '.join(CATCH_UP_MODES)}, not {catch_up!r}")

    config = DevnetConfig(
        data_dir=data_dir,
        preset=parse_preset(preset),
        validators=validators,
        slot_seconds=slot_seconds,
        load=load,
        equivocate=equivocate,
        catch_up=catch_up,
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def log(r: SlotReport) -> None:
        mark = "proposed" if r.proposed else "missed  "
        console.print(
            f"slot {r.slot:>6} epoch {r.epoch:>5} {mark} head {r.head_slot:>6} 0x{r.head_root.hex()[:8]} "
            f"justified {r.justified_epoch:>4} finalized {r.finalized_epoch:>4} "
            f"participation {100 * r.participation:5.1f}% txs {r.transactions:>5} mempool {r.mempool:>6} "
            f"slashed {r.slashed:>3} refused {r.refused}",
            highlight=False,
            soft_wrap=True,
        )

    shift = [0.0]  # the devnet clock's shift (seconds) that the API's slot clock follows too

    def on_resume(r: ResumeReport) -> None:
        shift[0] = r.clock_shift_seconds
        for line in r.lines():
            style = "yellow" if line.startswith("warning:") or line.startswith("the validators lose") else None
            console.print(f"[{style}]{line}[/]" if style else line, highlight=False, soft_wrap=True, markup=bool(style))

    console = wide_console()
    console.print(
        f"[bold]stakework devnet[/]: {validators} validators, preset {config.preset.PRESET_NAME}, "
        f"{config.seconds_per_slot:g} s slots, data in {data_dir}  [yellow](INSECURE devnet keys)[/]",
        highlight=False,
    )
    api = None
    if not no_http:
        from stakework.api.server import NodeApi

        api = NodeApi(
            data_dir, config.seconds_per_slot, http_address, http_port, say=lambda m: console.print(m, highlight=False)
        )

    def on_open(*opened: object) -> None:
        if api is not None:
            api.open(*opened)  # type: ignore[arg-type]
            if api.view is not None:  # the API's wall-clock slot (sync distance) follows the devnet clock
                api.view.clock = lambda: time.time() - shift[0]

    try:
        run_devnet(
            config,
            on_slot=api.wrap(log) if api is not None else log,
            stop=stop,
            max_slots=slots,
            lock=api.lock if api is not None else None,
            on_open=on_open,
            on_resume=on_resume,
        )
    except OSError as exc:
        fail(f"{data_dir}: {exc.strerror or exc}")
    finally:
        signal.signal(signal.SIGINT, previous)
        if api is not None:
            api.close()
    console.print("stopped")


def _run_nodes(
    data_dir: Path,
    *,
    nodes: int,
    validators: int,
    preset: str,
    slot_seconds: float | None,
    slots: int | None,
    load: float,
    equivocate: int,
    http_port: int | None,
    http_address: str,
    p2p_port: int,
) -> None:
    """`devnet --nodes N`: N `stakework node` processes on loopback from one genesis (DATA/genesis.json), node i
    in DATA/node-i with its share of the validators, dialing every other node (so that each waits for a peer and
    syncs before acting); each slot line of node i is
    printed prefixed `[node-i]` (its other output goes to DATA/node-i/node.log). Ctrl-C stops them all; running
    the command again resumes every node. --load goes to node 0, --equivocate K to the last node."""
    import subprocess
    import sys
    import time

    from stakework.node.node import GENESIS_FILENAME, prepare_network, shift_network_clock

    config_preset = parse_preset(preset)
    seconds = slot_seconds if slot_seconds is not None else config_preset.SLOT_DURATION_MS / 1000
    if nodes > validators:
        fail(f"--nodes {nodes} is more than the {validators} validators: every node needs one")
    genesis, restarted = prepare_network(
        data_dir, nodes=nodes, validators=validators, preset=config_preset, slot_seconds=seconds
    )
    console = wide_console()
    if restarted:
        shift = shift_network_clock(data_dir, genesis, nodes=nodes, now=time.time())
        if shift > 0:
            console.print(f"network clock moved forward by {shift:.1f} s: the nodes resume where they stopped")
    console.print(
        f"[bold]stakework devnet[/]: {nodes} nodes, {validators} validators, preset {config_preset.PRESET_NAME}, "
        f"{genesis.slot_seconds:g} s slots, data in {data_dir}  [yellow](INSECURE devnet keys)[/]",
        highlight=False,
    )
    procs: list[subprocess.Popen[str]] = []
    threads: list[threading.Thread] = []
    stop = threading.Event()

    def pump(i: int, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            console.print(f"[node-{i}] {line.rstrip()}", highlight=False, soft_wrap=True, markup=False)

    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for i in range(nodes):
            node_dir = data_dir / f"node-{i}"
            command = [
                sys.executable,
                "-m",
                "stakework.cli.main",
                "node",
                "--data-dir",
                str(node_dir),
                "--genesis",
                str(data_dir / GENESIS_FILENAME),
                "--listen",
                f"127.0.0.1:{p2p_port + i}",
                *[arg for j in range(nodes) if j != i for arg in ("--peer", f"127.0.0.1:{p2p_port + j}")],
                "--keys",
                str(node_dir / "keys"),
            ]
            command += ["--no-http"] if http_port is None else ["--http-port", str(http_port + i)]
            command += ["--http-address", http_address]
            if slots is not None:
                command += ["--slots", str(slots)]
            if load > 0 and i == 0:
                command += ["--load", str(load)]
            if equivocate > 0 and i == nodes - 1:
                command += ["--equivocate", str(equivocate)]
            log_file = (node_dir / "node.log").open("a")
            proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log_file, text=True, start_new_session=True, bufsize=1
            )
            log_file.close()
            procs.append(proc)
            thread = threading.Thread(target=pump, args=(i, proc), daemon=True)
            thread.start()
            threads.append(thread)
        while not stop.is_set() and any(p.poll() is None for p in procs):
            stop.wait(0.2)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for thread in threads:
            thread.join(timeout=2)
        signal.signal(signal.SIGINT, previous)
    failed = [f"node-{i} ({p.returncode})" for i, p in enumerate(procs) if p.returncode not in (0, -2, 130)]
    if failed:
        fail(f"{', '.join(failed)} exited with an error; see DATA/node-i/node.log")
    console.print("stopped")
