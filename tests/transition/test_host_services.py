"""Host services on the chain (issue #14): the core builds what modules offer each other from the registry by name
and names no module; voting power is the SWK value of a holder's safety positions, in one unit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stakework.transition
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules import registry
from stakework.modules.arith import Rounding
from stakework.modules.governance.definition import DEVNET_PARAMS
from stakework.modules.governance.messages import Action, CastVote, Propose
from stakework.modules.governance.votes import current_votes
from stakework.modules.liquid.messages import Stake as LiquidStake
from stakework.modules.safety.definition import voting_power
from stakework.modules.safety.messages import Slash
from stakework.modules.safety.messages import Stake as SafetyStake
from stakework.modules.safety.testing import FakeSafetyHost
from stakework.modules.store import ModuleStore, check_invariants
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.transition.block.transaction import Payload, Transaction, process_transaction, sign_transaction
from stakework.transition.genesis import devnet_genesis
from stakework.transition.modules import ChainHost, module_message_min_fee
from stakework.transition.state_transition import process_slots

SWK = 10**9
ADMIN, ALICE, BOB = devnet_account_key(0), devnet_account_key(2), devnet_account_key(3)
SHARED = {"definition", "registry", "host", "store", "keys", "errors", "arith", "shares", "queue"}
"""``stakework.modules`` submodules that belong to no one module (the core may import these)."""


def _apply(state: BeaconState, key, payload: Payload) -> None:  # type: ignore[no-untyped-def]
    tx = Transaction(key.public_key, state.accounts.nonce(key.address), module_message_min_fee(payload), payload)
    process_transaction(state, sign_transaction(state, tx, key), proposer_index=0)


def _next_epoch(state: BeaconState) -> None:
    slot = int(state.slot)
    process_slots(state, (slot // DEVNET.SLOTS_PER_EPOCH + 1) * DEVNET.SLOTS_PER_EPOCH)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_transition_package__imports_no_module_package__only_the_shared_modules_code() -> None:
    root = Path(stakework.transition.__file__).parent
    offending = []
    for path in sorted(root.rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[:2] == ["stakework", "modules"] and len(parts) > 2 and parts[2] not in SHARED:
                offending.append(f"{path.relative_to(root)}: {name}")
    assert offending == []


def test_transition_package__names_no_registered_module_in_a_string() -> None:
    names = set(registry.names())
    root = Path(stakework.transition.__file__).parent
    found = [
        f"{path.relative_to(root)}: {node.value!r}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]
    assert found == []


def test_registry__every_host_service__has_one_provider() -> None:
    services = registry.service_names()
    assert len(services) == len(set(services))
    assert {"parameters", "staked_token_ledger", "voting_power", "stake_reports"} <= set(services)
    assert registry.service_provider("staked_token_ledger") is registry.get("liquid")
    assert registry.service_provider("voting_power") is registry.get("safety")
    assert registry.service_provider("stake_reports") is registry.get("governance")


def test_chain_host__provider_module_not_enabled__service_is_none_and_require_names_the_module() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    state.modules = ModuleStore({"safety": state.modules.safety})
    host = ChainHost(state)
    assert host.staked_token_ledger is None and host.stake_reports is None
    assert host.voting_power is not None and host.parameters is not None
    with pytest.raises(registry.ServiceUnavailable, match="liquid module"):
        host.require("staked_token_ledger")
    with pytest.raises(AttributeError):
        _ = host.no_such_service


def test_voting_power__stswk_vault__valued_at_vault_rate_then_liquid_share_price_rounded_down() -> None:
    from stakework.modules.safety.definition import genesis

    host = FakeSafetyHost()
    state = genesis(DEVNET, ADMIN.address)
    host.staked_token_ledger.mint(ALICE.address, 1_000 * SWK)
    host.staked_token_ledger.price = 3
    from stakework.modules.safety import handlers

    handlers.dispatch(state, host, ALICE.address, SafetyStake(vault="stswk", amount=1_000 * SWK))
    shares = state.stswk.ledger.shares_of(ALICE.address)
    state.stswk.ledger.remove_assets(7 * SWK + 1)  # the vault's rate falls below 1 (as a slash does)
    stswk = state.stswk.ledger.convert_to_assets(shares, Rounding.DOWN)
    assert stswk < shares
    assert voting_power(state, host, ALICE.address) == 3 * stswk


def test_vote_weight__after_a_slash__equals_the_swk_value_of_both_positions_at_the_snapshot() -> None:
    state = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    _apply(state, ALICE, SafetyStake(amount=100 * SWK))
    _apply(state, BOB, LiquidStake(amount=50 * SWK))
    _apply(state, BOB, SafetyStake(vault="stswk", amount=state.modules.liquid.ledger.shares_of(BOB.address)))
    _apply(state, ADMIN, Slash(vault="swk", amount=30 * SWK, recipient=ADMIN.address))
    _apply(state, ADMIN, Slash(vault="stswk", amount=10 * SWK, recipient=ADMIN.address))
    safety, gov = state.modules.safety, state.modules.governance
    host = ChainHost(state)
    alice_value = safety.swk.ledger.convert_to_assets(safety.swk.ledger.shares_of(ALICE.address), Rounding.DOWN)
    bob_stswk = safety.stswk.ledger.convert_to_assets(safety.stswk.ledger.shares_of(BOB.address), Rounding.DOWN)
    bob_value = state.modules.liquid.ledger.convert_to_assets(bob_stswk, Rounding.DOWN)
    assert alice_value < 100 * SWK * 71 // 100 and bob_value < 50 * SWK * 91 // 100
    assert current_votes(gov, ALICE.address) == alice_value == voting_power(safety, host, ALICE.address)
    assert current_votes(gov, BOB.address) == bob_value
    _next_epoch(state)
    _apply(state, ALICE, Propose(actions=[Action(module="liquid", name="fee_bps", value=500)], description="x"))
    for _ in range(DEVNET_PARAMS.voting_delay + 1):
        _next_epoch(state)
    _apply(state, ALICE, CastVote(proposal_id=1, support=1))
    _apply(state, BOB, CastVote(proposal_id=1, support=0))
    receipts = state.modules.governance.proposals[1].receipts
    assert receipts[ALICE.address].votes == alice_value
    assert receipts[BOB.address].votes == bob_value
    assert check_invariants(state.modules, ChainHost(state)) == []
