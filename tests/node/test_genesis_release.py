"""The genesis state is let go once the chain finalizes past it, on the paths a node is really run by (issue #16:
a state is ~0.4 GiB at a million validators, and the node runner, the opened devnet and the API's view each kept
one): `stakework devnet` (run_devnet with the API's NodeApi, as cli/devnet.py wires them) and `stakework node`
(NodeRunner with NodeApi, as cli/node.py does). Checked with a weak reference taken when the node opens."""

from __future__ import annotations

import gc
import json
import threading
import weakref
from pathlib import Path

from stakework.api.server import NodeApi
from stakework.node.chain import Chain, GenesisInfo
from stakework.node.devnet import DevnetConfig, SlotReport, run_devnet
from stakework.node.node import GENESIS_FILENAME, NetworkGenesis, NodeConfig, NodeRunner, prepare_network
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.block import Attestation
from stakework.transition.state_transition import state_transition
from support.chain import attestations_for_slot, build_block

SPE = DEVNET.SLOTS_PER_EPOCH


def _api(data: Path) -> NodeApi:
    return NodeApi(data, 1.0, "127.0.0.1", 0, say=lambda _: None)  # (port 0: one the system finds free)


def test_run_devnet_with_api__finalized_past_genesis__genesis_state_collected(tmp_path: Path) -> None:
    api = _api(tmp_path)
    genesis: list[weakref.ref[BeaconState]] = []
    freed_at: list[int] = []
    wall = [0]

    def clock() -> float:  # half-way through the next slot at each call: no waiting
        wall[0] += 1
        return json.loads((tmp_path / "devnet.json").read_text())["genesis_time"] + wall[0] - 0.5

    def on_open(chain: Chain, *rest: object) -> None:
        genesis.append(weakref.ref(chain.genesis))  # the anchor: the genesis state on a first start
        api.open(chain, *rest)  # type: ignore[arg-type]

    def on_slot(report: SlotReport) -> None:
        if report.finalized_epoch >= 2 and not freed_at:
            gc.collect()
            if genesis[0]() is None:
                freed_at.append(report.slot)

    try:
        run_devnet(
            DevnetConfig(tmp_path, DEVNET, validators=16),
            on_slot=api.wrap(on_slot),
            stop=threading.Event(),
            max_slots=6 * SPE,
            clock=clock,
            lock=api.lock,
            on_open=on_open,
        )
        assert api.view is not None and isinstance(api.view.genesis, GenesisInfo)
        assert api.view.chain.forkchoice.finalized_checkpoint.epoch >= 2
        assert freed_at, "the genesis state outlived finality past it (something still refers to it)"
    finally:
        api.close()


def test_node_runner_with_api__finalized_past_genesis__genesis_state_collected(tmp_path: Path) -> None:
    prepare_network(tmp_path, nodes=1, validators=16, preset=DEVNET, slot_seconds=1.0, now=1_000)
    network = NetworkGenesis.read(tmp_path / GENESIS_FILENAME)
    api = _api(tmp_path / "node-0")
    runner = NodeRunner(
        NodeConfig(tmp_path / "node-0", network),
        clock=lambda: network.genesis_time + 1_000.0,
        lock=api.lock,
        on_open=api.open,
    )
    try:
        assert api.view is not None and isinstance(runner.genesis, GenesisInfo)
        chain = runner.chain
        genesis = weakref.ref(chain.genesis)
        work = chain.genesis.copy()
        atts: list[Attestation] = []
        for slot in range(1, 5 * SPE + 1):  # blocks with every validator's votes, imported as gossip would
            block = build_block(work, slot, attestations=atts)
            state_transition(work, block, verify_signatures=False)
            with runner.guard:
                root = chain.import_block(block, current_slot=slot)
            atts = attestations_for_slot(work, root)
            api.view.on_slot(slot)
        assert chain.forkchoice.finalized_checkpoint.epoch >= 2
        gc.collect()
        assert genesis() is None, "the genesis state outlived finality past it (something still refers to it)"
        assert runner.status().genesis_root == runner.genesis.root  # what the node still needs of it
    finally:
        api.close()
        runner.client.protection.close()
        if runner.chain.store is not None:
            runner.chain.store.close()
