"""`stakework node`: one node of a network in this process (see stakework.node.node)."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import typer

from stakework.cli.common import fail, wide_console


def node(
    data_dir: Path = typer.Option(..., "--data-dir", "-d", help="This node's chain, slashing protection and token."),
    genesis: Path | None = typer.Option(None, "--genesis", help="The network's genesis file (genesis.json)."),
    network: Path | None = typer.Option(
        None, "--network", help="A directory holding the network's genesis.json (what `devnet --nodes` writes)."
    ),
    listen: str = typer.Option("127.0.0.1:0", "--listen", help="HOST:PORT the p2p port listens on."),
    peer: list[str] = typer.Option([], "--peer", help="HOST:PORT of a peer to stay connected to (repeatable)."),
    keys: Path | None = typer.Option(
        None, "--keys", help="Keystores of this node's validators, with their `password` file (default DATA/keys)."
    ),
    http_port: int = typer.Option(5052, "--http-port", min=0, max=65535, help="Port of the HTTP API."),
    http_address: str = typer.Option("127.0.0.1", "--http-address", help="Address the HTTP API binds."),
    no_http: bool = typer.Option(False, "--no-http", help="Do not serve the HTTP API."),
    equivocate: int = typer.Option(
        0, "--equivocate", min=0, help="TEST HOOK: this node's last K validators double-vote (they get slashed)."
    ),
    load: float = typer.Option(0.0, "--load", min=0.0, help="Submit this many signed transfers per second."),
    slots: int | None = typer.Option(None, "--slots", min=1, help="Stop after this many slots."),
    no_snappy: bool = typer.Option(False, "--no-snappy", help="Send frames uncompressed."),
    checkpoint_root: str | None = typer.Option(
        None,
        "--checkpoint-root",
        help="Checkpoint sync: a new data directory starts from a peer's finalized state whose block root is this "
        "0x-hex root (got from a source you trust), and backfills the blocks below it.",
    ),
    checkpoint_url: str | None = typer.Option(
        None,
        "--checkpoint-url",
        help="Checkpoint sync: fetch the finalized state from this node API (http://HOST:PORT; its "
        "/eth/v2/debug/beacon/states/finalized) instead of over p2p; checked against --checkpoint-root.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log peers and gossip decisions (stderr)."),
) -> None:
    """Run one node of a network: the chain, fork choice, mempool, slasher and storage, a validator client for
    the keys in its keys directory (none: it follows the chain) and the p2p network to its peers. A node behind
    its peers syncs from them before its validators act. Logs one line per slot; Ctrl-C stops cleanly."""
    from stakework.node.devnet import SlotReport
    from stakework.node.node import (
        GENESIS_FILENAME,
        NetworkGenesis,
        NodeConfig,
        NodeRunner,
        checkpoint_sync,
        parse_address,
    )

    if (genesis is None) == (network is None):
        fail("give the network's genesis: --genesis FILE or --network DIR (one of them)")
    genesis_file = genesis if genesis is not None else network / GENESIS_FILENAME  # type: ignore[operator]
    trusted_root: bytes | None = None
    if checkpoint_root is not None:
        try:
            trusted_root = bytes.fromhex(checkpoint_root.removeprefix("0x"))
        except ValueError:
            trusted_root = b""
        if len(trusted_root) != 32:
            fail(f"--checkpoint-root {checkpoint_root!r} is not a 0x-prefixed 32-byte hex block root")
        if not peer:
            fail(
                "--checkpoint-root needs a --peer to fetch the finalized state from (with --checkpoint-url: to "
                "backfill the blocks from)"
            )
    if checkpoint_url is not None:
        if trusted_root is None:
            fail(
                "--checkpoint-url needs --checkpoint-root: the block root (from a source you trust) the state "
                "must match"
            )
        if not checkpoint_url.startswith(("http://", "https://")):
            fail(f"--checkpoint-url {checkpoint_url!r} is not an http://HOST:PORT URL")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    config = NodeConfig(
        data_dir=data_dir,
        genesis=NetworkGenesis.read(genesis_file),
        listen=parse_address(listen),
        peers=tuple(parse_address(p) for p in peer),
        keys_dir=keys,
        equivocate=equivocate,
        load=load,
        snappy=not no_snappy,
        checkpoint_root=trusted_root,
        checkpoint_url=checkpoint_url,
    )
    console = wide_console()
    runner: NodeRunner | None = None

    def log(r: SlotReport) -> None:
        mark = "proposed" if r.proposed else "missed  "
        peers = len(runner.network.peers) if runner is not None else 0
        console.print(
            f"slot {r.slot:>6} epoch {r.epoch:>5} {mark} head {r.head_slot:>6} 0x{r.head_root.hex()[:8]} "
            f"justified {r.justified_epoch:>4} finalized {r.finalized_epoch:>4} "
            f"participation {100 * r.participation:5.1f}% txs {r.transactions:>5} mempool {r.mempool:>6} "
            f"slashed {r.slashed:>3} refused {r.refused} peers {peers}",
            highlight=False,
            soft_wrap=True,
        )

    api = None
    if not no_http:
        from stakework.api.server import NodeApi

        api = NodeApi(
            data_dir,
            config.genesis.slot_seconds,
            http_address,
            http_port,
            say=lambda m: console.print(m, highlight=False),
        )

    def on_open(*opened: object) -> None:
        if api is not None:
            api.open(*opened)  # type: ignore[arg-type]
            if api.view is not None:
                shift = config.genesis.clock_shift_seconds
                api.view.clock = lambda: time.time() - shift

    def on_slot(report: SlotReport) -> None:
        log(report)
        if api is not None and api.view is not None and runner is not None:
            api.view.peers = len(runner.network.peers)

    async def main() -> None:
        nonlocal runner
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await checkpoint_sync(config, say=lambda m: console.print(m, highlight=False))
        runner = NodeRunner(
            config,
            on_slot=api.wrap(on_slot) if api is not None else on_slot,
            lock=api.lock if api is not None else None,
            on_open=on_open,
        )
        if api is not None and api.view is not None:  # one index for the API's and gossip's admissions
            runner.txindex = api.view.index
        keys_held = len(runner.client.keys)
        console.print(
            f"[bold]stakework node[/]: {keys_held} validator key{'s' if keys_held != 1 else ''} of "
            f"{config.genesis.validators}, head at slot {runner.chain.head_state.slot}, data in {data_dir}",
            highlight=False,
        )
        await runner.run(stop, max_slots=slots)

    try:
        asyncio.run(main())
    except OSError as exc:
        fail(f"{data_dir}: {exc.strerror or exc}")
    finally:
        if api is not None:
            api.close()
    console.print("stopped")
