"""Run in a fresh interpreter by tests/modules/test_registry_toy.py: registers the toy module before anything
imports stakework.transition (as a built-in module's line in the registry list would), then drives it through the
chain and prints one JSON object of what it saw."""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from stakework.modules import registry
from stakework.modules.definition import RegistryError
from support.toy_module import TOY, TOY_EXTRA_FEE_KEYS, Bump

registry.register(TOY)
_refusals: dict[str, str] = {}
for _label, _definition in (
    ("duplicate", registry.get("pool")),
    ("prefix_taken", dataclasses.replace(TOY, name="toy2", tag_prefix="toy")),
):
    try:
        registry.register(_definition)  # type: ignore[arg-type]
        _refusals[_label] = "accepted"
    except RegistryError as _exc:
        _refusals[_label] = str(_exc)

import msgspec  # noqa: E402 - after the registration, on purpose
from typer.testing import CliRunner  # noqa: E402

from stakework.api.modules import module_routers  # noqa: E402
from stakework.cli.main import app  # noqa: E402
from stakework.cli.status import _modules  # noqa: E402
from stakework.crypto.ed25519 import devnet_account_key  # noqa: E402
from stakework.modules.store import check_invariants  # noqa: E402
from stakework.spec.presets import DEVNET  # noqa: E402
from stakework.state.root import hash_state  # noqa: E402
from stakework.state.snapshot import load_state, save_state  # noqa: E402
from stakework.transition.block.transaction import (  # noqa: E402
    InvalidTransaction,
    SignedTransaction,
    Transaction,
    least_fee,
    process_transaction,
    sign_transaction,
)
from stakework.transition.genesis import devnet_genesis  # noqa: E402
from stakework.transition.modules import ChainHost  # noqa: E402
from stakework.transition.state_transition import process_slots, state_transition  # noqa: E402
from support.chain import build_block  # noqa: E402


def main() -> None:
    out: dict[str, object] = dict(_refusals)
    state = devnet_genesis(DEVNET, 16, funded_accounts=2, modules=True)
    out["enabled"] = state.modules.enabled()
    key = devnet_account_key(1)

    # Wire: a signed toy transaction decodes as the toy's message type.
    fee = least_fee(Bump(amount=5), state.preset)
    out["fee_ok"] = fee == DEVNET.MODULE_MIN_FEE + TOY_EXTRA_FEE_KEYS * DEVNET.MODULE_KEY_FEE
    signed = sign_transaction(state, Transaction(key.public_key, 0, fee, Bump(amount=5)), key)
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(signed), type=SignedTransaction)
    out["decoded"] = type(decoded.transaction.payload).__name__

    # Fee: one below the toy's fee is refused with its tag.
    try:
        low = sign_transaction(state, Transaction(key.public_key, 0, fee - 1, Bump(amount=5)), key)
        process_transaction(state.copy(), low, 0)
        out["low_fee"] = "accepted"
    except InvalidTransaction as exc:
        out["low_fee"] = str(exc)

    # A refusal by the module changes nothing.
    before = hash_state(state)
    try:
        process_transaction(state, sign_transaction(state, Transaction(key.public_key, 0, fee, Bump(amount=0)), key), 0)
        out["refusal"] = "accepted"
    except InvalidTransaction as exc:
        out["refusal"] = str(exc)
    out["refusal_changed_nothing"] = hash_state(state) == before

    # Block: dispatched, fee charged.
    balance = state.accounts.balance(key.address)
    state_transition(state, build_block(state, 1, transactions=[decoded]))
    out["counter"] = state.modules.toy.counter
    out["charged"] = balance - state.accounts.balance(key.address) == fee

    # Epoch hook: two epoch boundaries.
    process_slots(state, 2 * DEVNET.SLOTS_PER_EPOCH)
    out["epochs"] = state.modules.toy.epochs
    out["invariants"] = check_invariants(state.modules, ChainHost(state))

    # Root: the toy's state is in it.
    other = state.copy()
    other.modules.toy.counter += 1
    out["root_covers_toy"] = hash_state(other) != hash_state(state)

    # Snapshots: binary and JSON round-trip with the same root.
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("s.swk", "s.json"):
            save_state(state, Path(tmp) / name)
            loaded = load_state(Path(tmp) / name)
            out[f"snapshot_{name}"] = loaded.modules == state.modules and hash_state(loaded) == hash_state(state)

    # Edges: its router is mounted, its sub-app answers, `stakework status` lists it.
    out["api_paths"] = [route.path for router in module_routers() for route in router.routes]  # type: ignore[attr-defined]
    out["cli"] = CliRunner().invoke(app, ["toy", "hello"]).output.strip()
    out["status"] = _modules(state).get("toy")

    # Registration after the wire union is built is refused.
    try:
        registry.register(TOY)
        out["late_register"] = "accepted"
    except RegistryError as exc:
        out["late_register"] = str(exc)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
