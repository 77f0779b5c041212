"""Fuzzing the whole transaction path (issue #12 item 1): every payload kind, with extreme integers and keys of
junk lengths, signed by funded and unfunded senders, goes through the real API (`POST /v1/transactions`), then
the node proposes and imports a block with whatever the pool took (`run_slot`). The API never answers 500, the
node never raises, every slot's block is made and imported, and no transaction fails other than by a rule.

The payload kinds and their fields are read from the wire types themselves, so a new kind or field is fuzzed
without touching this file."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stakework.api.app import create_app
from stakework.api.view import NodeView
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules import registry
from stakework.node.devnet import DevnetConfig, open_devnet, run_slot
from stakework.node.mempool import Mempool
from stakework.node.validator import ValidatorClient
from stakework.spec.presets import DEVNET
from stakework.transition.block.transaction import Payload, Transaction, least_fee, transaction_signing_message

TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXTREME_INTS = [-(2**63), -(2**63) - 1, -1, 0, 1, 999, 1000, 10**9, 32 * 10**9, 2**63 - 1, 2**64 - 1, 2**64, 2**70]
JUNK_LENGTHS = [0, 1, 19, 20, 21, 31, 32, 33, 47, 48, 49, 63, 64, 95, 96, 97, 4000]
SENDERS = [0, 1, 2, 40]
"""Devnet accounts 0-2 are funded at genesis; 40 never is."""


@dataclass
class FuzzNode:
    view: NodeView
    client: ValidatorClient
    http: TestClient
    slot: int = 0


@pytest.fixture(scope="module")
def fuzz_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzNode]:
    data: Path = tmp_path_factory.mktemp("fuzz-devnet")
    chain, client, genesis = open_devnet(DevnetConfig(data, DEVNET, validators=16, funded_accounts=3))
    view = NodeView(chain, Mempool(), genesis, data_dir=data, seconds_per_slot=1e9)
    node = FuzzNode(
        view, client, TestClient(create_app(view, TOKEN, max_body_bytes=64 * 1024), base_url="http://127.0.0.1")
    )
    yield node
    client.protection.close()
    if chain.store is not None:
        chain.store.close()


def _ints(junk: bool) -> st.SearchStrategy[int]:
    """Extreme integers (`junk`), or sane ones, so that some transactions pass the shape checks."""
    sane = st.sampled_from([0, 1, 1000, 10**9, 32 * 10**9]) | st.integers(0, 10**10)
    return st.sampled_from(EXTREME_INTS) | st.integers(-2, 2**64 + 1) | sane if junk else sane


def _bytes(pubkeys: list[bytes], length: int | None, junk: bool) -> st.SearchStrategy[bytes]:
    """Junk lengths (`junk`), or the field's own length and the keys and addresses that exist."""
    real = st.sampled_from(pubkeys) | st.sampled_from([devnet_account_key(i).address for i in SENDERS])
    if length is None:
        return real | st.sampled_from(JUNK_LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n))
    exact = st.binary(min_size=length, max_size=length)
    if length == 48:
        exact = exact | st.sampled_from(pubkeys)
    if length == 20:
        exact = exact | st.sampled_from([devnet_account_key(i).address for i in SENDERS])
    if junk:
        return exact | st.sampled_from(JUNK_LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n))
    return exact


def _text(junk: bool) -> st.SearchStrategy[str]:
    """Names that exist (modules and their governable parameters, which governance actions name), any short text,
    and (`junk`) empty or oversized text that the wire types refuse."""
    names = sorted({m for m, _ in registry.parameters()} | {p.name for _, p in registry.parameters()})
    sane = st.sampled_from(names) | st.text(max_size=40)
    return sane | st.sampled_from(["", "x" * 5000, "\u7d93" * 3000]) if junk else sane


def _value(tp: Any, pubkeys: list[bytes], junk: bool) -> st.SearchStrategy[Any]:
    """Values of type `tp` as the wire carries them, and (`junk`) many the type refuses."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        lengths = [m.min_length for m in meta if isinstance(m, msgspec.Meta) and m.min_length is not None]
        if base is bytes and lengths:
            return _bytes(pubkeys, lengths[0], junk)
        return _value(base, pubkeys, junk)
    if origin is Literal:
        choices = st.sampled_from(get_args(tp))
        return choices | _text(junk) if junk else choices
    if origin in (Union, types.UnionType):
        return st.one_of(*[_value(a, pubkeys, junk) for a in get_args(tp)])
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return _ints(junk)
    if tp is bytes:
        return _bytes(pubkeys, None, junk)
    if tp is str:
        return _text(junk)
    if origin is list:
        return st.lists(_value(get_args(tp)[0], pubkeys, junk), max_size=3)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _struct(tp, pubkeys, junk)
    raise AssertionError(f"no strategy for {tp!r}: teach the fuzzer this wire type")


def _struct(cls: type[msgspec.Struct], pubkeys: list[bytes], junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: _value(hints[f.name], pubkeys, junk) for f in msgspec.structs.fields(cls)}
    tag = cls.__struct_config__.tag
    if isinstance(tag, str):
        fields["type"] = st.just(tag)
    return st.fixed_dictionaries(fields)


PAYLOAD_KINDS = list(get_args(Payload))
PAYLOAD_KINDS = [k for kind in PAYLOAD_KINDS for k in (get_args(kind) or (kind,))]


def _hexed(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _hexed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hexed(v) for v in value]
    return value


def test_payload_kinds__every_kind_of_the_wire_union__fuzzed() -> None:
    tags = {k.__struct_config__.tag for k in PAYLOAD_KINDS}
    assert {"transfer", "stake", "exit", "withdraw", "consolidate", "pool.deposit", "liquid.stake"} <= tags
    assert len(tags) == len(PAYLOAD_KINDS) >= 25


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_transactions__api_then_proposal_and_import__never_500_never_raises(
    fuzz_node: FuzzNode, data: st.DataObject
) -> None:
    node = fuzz_node
    head = node.view.chain.head_state
    pubkeys = [head.validators.pubkey[i].tobytes() for i in range(4)]
    sender = devnet_account_key(data.draw(st.sampled_from([*SENDERS, 0, 1]), label="sender"))
    kind = data.draw(st.sampled_from(PAYLOAD_KINDS), label="kind")
    junk = data.draw(st.booleans(), label="junk")
    payload = data.draw(_struct(kind, pubkeys, junk), label="payload")
    current = st.just(head.accounts.nonce(sender.address))
    nonce = data.draw(current | current | _ints(junk), label="nonce")
    try:
        typed = msgspec.convert(payload, Payload, strict=False)  # type: ignore[arg-type]
        least = least_fee(typed)
    except (msgspec.ValidationError, OverflowError):
        least = 1000
    fee = data.draw(st.just(least) | st.just(least) | _ints(junk), label="fee")
    body = {"sender": sender.public_key, "nonce": nonce, "fee": fee, "payload": payload}
    try:  # a well-formed transaction is signed by its sender (to reach the deeper rules), the others are junk
        tx = msgspec.convert(body, Transaction, strict=False)
        signature = sender.sign(transaction_signing_message(head, tx))
    except (msgspec.ValidationError, OverflowError):
        signature = b"\x00" * 64
    before = len(node.view.mempool)
    alone = not node.view.mempool.has_pending(sender.address)
    r = node.http.post("/v1/transactions", json=_hexed({"transaction": body, "signature": signature}), headers=AUTH)
    assert r.status_code in (200, 400), r.text
    assert r.json()["message"] if r.status_code == 400 else len(node.view.mempool) == before + 1
    event(f"{kind.__struct_config__.tag}: {'admitted' if r.status_code == 200 else r.json()['message'][:60]}")
    node.slot += 1
    with node.view.lock:
        report = run_slot(node.view.chain, node.client, node.slot, node.view.mempool)
    node.view.on_slot(node.slot)
    assert report.proposed, "the slot's block was not made or not imported: see the log"
    unexpected = [reason for reason in node.view.mempool.drop_reasons.values() if "unexpectedly" in reason]
    assert not unexpected, unexpected
    if r.status_code == 200 and alone:  # fully checked on admission: the block takes it, or it waits its turn
        status = node.view.transaction_status(bytes.fromhex(r.json()["data"][0]["hash"][2:]))
        assert status is not None and status["status"] in ("pending", "included", "finalized"), status


def test_submit__integer_above_uint64__400_naming_the_field(fuzz_node: FuzzNode) -> None:
    k = devnet_account_key(0)
    body = {
        "sender": k.public_key,
        "nonce": 0,
        "fee": 2**64,
        "payload": {"type": "transfer", "to": b"\x01" * 20, "amount": 1},
    }
    r = fuzz_node.http.post(
        "/v1/transactions", json=_hexed({"transaction": body, "signature": b"\x00" * 64}), headers=AUTH
    )
    assert r.status_code == 400 and "integer 18446744073709551616 at `$.transaction.fee`" in r.json()["message"], r.text


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"type": "withdraw", "validator_pubkey": b"\x11" * 48, "amount": -1}, "Expected `int` >= 0"),
        (
            {
                "type": "exit",
                "voluntary_exit": {"message": {"epoch": -1, "validator_index": 0}, "signature": b"\0" * 96},
            },
            "Expected `int` >= 0",
        ),
        ({"type": "transfer", "to": b"\x01" * 20, "amount": 0}, "the amount must be positive"),
        ({"type": "transfer", "to": b"\x01" * 20, "amount": -1}, "Expected `int` >= 0"),
        (
            {
                "type": "stake",
                "pubkey": b"\x11" * 48,
                "withdrawal_credentials": b"\x01" + b"\0" * 31,
                "amount": -(10**12),
                "signature": b"\0" * 96,
            },
            "Expected `int` >= 0",
        ),
        ({"type": "withdraw", "validator_pubkey": b"\x11" * 4000, "amount": 0}, "Expected `bytes` of length <= 48"),
    ],
)
def test_submit__the_reported_crashes_and_silent_drops__refused_400_with_the_reason(
    fuzz_node: FuzzNode, payload: dict[str, Any], reason: str
) -> None:
    k = devnet_account_key(0)
    head = fuzz_node.view.chain.head_state
    body = {"sender": k.public_key, "nonce": head.accounts.nonce(k.address), "fee": 1000, "payload": payload}
    try:
        signature = k.sign(transaction_signing_message(head, msgspec.convert(body, Transaction, strict=False)))
    except msgspec.ValidationError:
        signature = b"\x00" * 64
    r = fuzz_node.http.post(
        "/v1/transactions", json=_hexed({"transaction": body, "signature": signature}), headers=AUTH
    )
    assert r.status_code == 400 and reason in r.json()["message"], r.text
