"""Fuzzing from the OpenAPI document (hypothesis): random path parameters, query strings and JSON bodies never
produce a 500, and nothing changes state without the token."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from api_support import AUTH, Node
from hypothesis import given, settings
from hypothesis import strategies as st

PARAM = re.compile(r"\{([a-z_]+)\}")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
segments = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["head", "genesis", "finalized", "justified", "0x", "0x" + "00" * 32, "0x" + "ab" * 48]),
    st.binary(min_size=0, max_size=48).map(lambda b: "0x" + b.hex()),
)


def _operations(node: Node) -> list[tuple[str, str]]:
    spec = node.http.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if path != "/eth/v1/events"  # a stream: tested end to end
    ]


@settings(max_examples=150)
@given(data=st.data())
def test_fuzz_paths_queries_bodies__never_500(node: Node, data: st.DataObject) -> None:
    method, template = data.draw(st.sampled_from(_operations(node)))
    path = PARAM.sub(lambda m: quote(data.draw(segments), safe=""), template)
    params = data.draw(
        st.dictionaries(st.sampled_from(["id", "status", "epoch", "slot", "index"]), segments, max_size=3)
    )
    kwargs: dict[str, Any] = {"params": params}
    if method == "POST":
        kwargs["content"] = json.dumps(data.draw(json_values)).encode()
        kwargs["headers"] = {**AUTH, "Content-Type": "application/json"}
    before = len(node.view.mempool)
    r = node.http.request(method, path, **kwargs)
    assert r.status_code < 500, (method, path, r.status_code, r.text)
    if r.status_code >= 400:
        body = r.json()
        assert body["code"] == r.status_code and body["message"]
    assert len(node.view.mempool) == before  # nothing random is a valid signed transaction


@settings(max_examples=60)
@given(body=json_values, header=st.sampled_from([None, "Bearer", "Bearer x", "bearer test-token2", "token"]))
def test_fuzz_transactions_without_token__401_no_state_change(node: Node, body: Any, header: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Authorization"] = header
    before = (len(node.view.mempool), len(node.view.rejected))
    r = node.http.post("/v1/transactions", content=json.dumps(body).encode(), headers=headers)
    assert r.status_code == 401
    assert (len(node.view.mempool), len(node.view.rejected)) == before


@settings(max_examples=80)
@given(
    tx=st.fixed_dictionaries(
        {
            "transaction": st.fixed_dictionaries(
                {
                    "sender": segments,
                    "nonce": st.one_of(segments, st.integers()),
                    "fee": st.one_of(segments, st.integers()),
                    "payload": st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["transfer", "stake", "exit", "withdraw", "x"]),
                            "to": segments,
                            "amount": st.one_of(st.integers(), segments),
                        }
                    ),
                }
            ),
            "signature": segments,
        }
    )
)
def test_fuzz_transaction_shaped_bodies__400_never_500(node: Node, tx: dict[str, Any]) -> None:
    r = node.http.post("/v1/transactions", json=tx, headers=AUTH)
    assert r.status_code == 400, r.text
