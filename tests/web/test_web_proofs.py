"""Merkle proofs verified in the browser (`web/static/proofs.js`, docs/web.md "Proofs checked in the browser"):

- the JS verifier agrees with `state/proofs.py`: proofs the Python side makes for accounts and holders (present,
  absent, sharing a bucket; every holder table of every module) verify to the same values in Chromium, and each
  tampered variant (a chunk byte, a branch hash, a field leaf, the summary, a part, the count, the table steps, ...)
  is refused by the JS verifier exactly when the Python one refuses it;
- its msgpack reader decodes what msgspec encodes (random structures) to the same values, and refuses exactly
  the byte strings `read_summary` refuses (truncations, flips, unknown types, bad UTF-8, nesting past the limit);
- end to end against `stakework devnet`: the account page's button verifies the node's proofs; an answer altered
  on the way (the balance, a chunk byte, another state's proof for a pasted root) shows "does NOT verify".

Skipped, with the command to run, when Chromium or Playwright is missing (`.ci/run` installs both)."""

from __future__ import annotations

import copy
import json
import math
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from browser_support import launched, playwright_or_skip

import stakework.web
from stakework.crypto.ed25519 import devnet_account_key
from stakework.modules.store import store_parts
from stakework.spec.presets import DEVNET
from stakework.state.beacon_state import BeaconState
from stakework.state.commitment import table_paths
from stakework.state.proofs import proof_from_json, proof_to_json, read_summary, verify_account, verify_holder
from stakework.state.root import hash_state, prove_account, prove_holder
from stakework.transition.genesis import devnet_genesis
from support.module_cli import devnet_process

WAIT_MS = 90_000
"""Upper bound of a wait (a safety net for a loaded machine: each wait ends as soon as its condition holds)."""
PROOFS_JS = Path(stakework.web.__file__).parent / "static" / "proofs.js"
ORIGIN = "http://127.0.0.1:9"
"""A loopback origin (a secure context: WebCrypto is there) whose answers the tests make up (nothing listens)."""
STSWK = [["key", "ledger"], ["key", "shares"]]
ALICE = bytes.fromhex("11" * 20)
NEIGHBOUR = bytes.fromhex("11" * 19 + "12")  # ALICE's bucket
STRANGER = bytes.fromhex("77" * 20)  # in no table, no account

sync_api = playwright_or_skip("")

pytestmark = pytest.mark.xdist_group("web_browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(sync_api) as b:
        yield b


@pytest.fixture(scope="module")
def js(browser: Any) -> Iterator[Any]:
    """A page on a loopback origin that loads only proofs.js (served by the test from the package)."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    source = PROOFS_JS.read_text()

    def serve(route: Any) -> None:
        if route.request.url.endswith("/proofs.js"):
            route.fulfill(status=200, content_type="text/javascript", body=source)
        else:
            route.fulfill(
                status=200, content_type="text/html", body='<!DOCTYPE html><script src="/proofs.js"></script>'
            )

    pg.route(ORIGIN + "/**", serve)
    pg.goto(ORIGIN + "/")
    pg.wait_for_function("() => window.StakeworkProofs !== undefined")
    yield pg
    context.close()


# ---------------------------------------------------------------------------------------------------------------
# The verifier, JS against Python


@pytest.fixture(scope="module")
def state() -> BeaconState:
    """A devnet genesis with modules, and accounts and holders placed to share buckets (one balance past 2^53)."""
    s = devnet_genesis(DEVNET, 16, funded_accounts=4, modules=True)
    s.accounts.credit(ALICE, 2**60 + 12_345)
    s.accounts.credit(NEIGHBOUR, 7)
    for _, value in store_parts(s.modules):
        for steps, table in table_paths(value):
            table[ALICE] = 2**62 + len(steps)
            table[NEIGHBOUR] = 7
            for i in range(40):
                table[bytes([i, 9]) + bytes(18)] = i + 1
    return s


def _python(case: dict[str, Any]) -> dict[str, Any]:
    """The Python verifier's verdict on one case: its value, or refused."""
    try:
        proof = proof_from_json(case["proof"])
        root = bytes.fromhex(case["root"][2:])
        if case["kind"] == "account":
            balance, nonce = verify_account(proof, root, bytes.fromhex(case["address"][2:]))
            return {"ok": True, "value": [str(balance), str(nonce)]}
        table = [(kind, key) for kind, key in case["table"]]
        shares = verify_holder(proof, root, case["module"], table, bytes.fromhex(case["holder"][2:]))
        return {"ok": True, "value": [str(shares)]}
    except Exception as exc:  # any refusal (ProofError, or OverflowError for a count past 64 bits)
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


JS_VERIFY = """async (cases) => {
    const out = [];
    for (const c of cases) {
        try {
            if (c.kind === "account") {
                const r = await StakeworkProofs.verifyAccount(c.proof, c.root, c.address);
                out.push({ok: true, value: [r.balance.toString(), r.nonce.toString()]});
            } else {
                const s = await StakeworkProofs.verifyHolder(c.proof, c.root, c.module, c.table, c.holder);
                out.push({ok: true, value: [s.toString()]});
            }
        } catch (e) {
            out.push({ok: false, error: String(e.message || e)});
        }
    }
    return out;
}"""


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _flip(text: str, byte: int = 0) -> str:
    """A 0x hex string with one byte changed (its `byte`-th, from the end when negative)."""
    raw = bytearray(bytes.fromhex(text[2:]))
    raw[byte] ^= 0x01
    return _hex(bytes(raw))


def _account_cases(state: BeaconState, root: bytes) -> list[dict[str, Any]]:
    funded = sorted(state.accounts.addresses())[:2]
    same_bucket_absent = funded[0][:19] + bytes([funded[0][19] ^ 0xFF])
    out = []
    for address in [*funded, ALICE, NEIGHBOUR, STRANGER, same_bucket_absent]:
        proof = proof_to_json(prove_account(state, address))
        out.append({"kind": "account", "proof": proof, "root": _hex(root), "address": _hex(address)})
    # One proof serves every address of its bucket: ALICE's proves NEIGHBOUR's balance.
    out.append({**out[2], "address": _hex(NEIGHBOUR)})
    return out


def _holder_cases(state: BeaconState, root: bytes) -> list[dict[str, Any]]:
    out = []
    for module, value in store_parts(state.modules):
        for steps, _ in table_paths(value):
            for holder in (ALICE, STRANGER):
                proof = proof_to_json(prove_holder(state, module, steps, holder))
                table = [list(step) for step in steps]
                out.append(
                    {"kind": "holder", "proof": proof, "root": _hex(root), "module": module, "table": table}
                    | {"holder": _hex(holder)}
                )
    liquid = next(c for c in out if c["module"] == "liquid" and c["table"] == STSWK and c["holder"] == _hex(ALICE))
    out.append({**liquid, "holder": _hex(NEIGHBOUR)})  # same bucket, same proof
    return out


def _tampered(case: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Variants of a case: most must be refused; a few change nothing that is checked (an extra path, a number as
    a string) and must verify in both."""

    def variant(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        c = copy.deepcopy(case)
        change(c)
        return c

    p = case["proof"]
    yield "state root", variant(lambda c: c["proof"].update(state_root=_flip(p["state_root"])))
    yield "verified against another root", variant(lambda c: c.update(root=_flip(c["root"], -1)))
    yield "preset", variant(lambda c: c["proof"].update(preset=p["preset"] + "x"))
    yield (
        "a field leaf",
        variant(lambda c: c["proof"]["field_leaves"][3].__setitem__(1, _flip(p["field_leaves"][3][1]))),
    )
    yield "a field leaf dropped", variant(lambda c: c["proof"]["field_leaves"].pop())
    yield "a field named twice", variant(lambda c: c["proof"]["field_leaves"].append(p["field_leaves"][-1]))
    yield (
        "two leaves swapped",
        variant(lambda c: c["proof"]["field_leaves"].insert(1, c["proof"]["field_leaves"].pop(2))),
    )
    yield (
        "an extra column path",
        variant(
            lambda c: c["proof"]["paths"].append(
                {"field": "balances", "index": 0, "chunk": "0x", "branch": [], "count": 1}
            )
        ),
    )
    path = p["module"] if case["kind"] == "holder" else p["paths"][0]

    def target(c: dict[str, Any]) -> dict[str, Any]:
        return c["proof"]["module"] if case["kind"] == "holder" else c["proof"]["paths"][0]

    if len(path["chunk"]) > 2:
        yield "a chunk byte", variant(lambda c: target(c).update(chunk=_flip(path["chunk"], -1)))
        yield "a chunk's first byte", variant(lambda c: target(c).update(chunk=_flip(path["chunk"], 0)))
        yield "the chunk emptied", variant(lambda c: target(c).update(chunk="0x"))
    else:
        yield "an entry added to an empty bucket", variant(lambda c: target(c).update(chunk="0x" + "00" * 36))
    yield (
        "a branch hash (bottom)",
        variant(lambda c: target(c)["branch"][0].__setitem__(0, _flip(path["branch"][0][0]))),
    )
    yield (
        "a branch hash (top)",
        variant(lambda c: target(c)["branch"][-1].__setitem__(14, _flip(path["branch"][-1][14]))),
    )
    yield "a branch level short", variant(lambda c: target(c)["branch"][1].pop())
    yield "a branch level dropped", variant(lambda c: target(c)["branch"].pop())
    yield "the count + 1", variant(lambda c: target(c).update(count=path["count"] + 1))
    yield "the count - 1", variant(lambda c: target(c).update(count=path["count"] - 1))
    yield "the count past 64 bits", variant(lambda c: target(c).update(count=-1))
    yield "the count as a string", variant(lambda c: target(c).update(count=str(path["count"])))
    key = "bucket" if case["kind"] == "holder" else "index"
    yield "the bucket + 1", variant(lambda c: target(c).update({key: path[key] + 1}))
    if case["kind"] == "account":
        yield "an address of another bucket", variant(lambda c: c.update(address="0x" + "ee" * 20))
        yield "the path named another field", variant(lambda c: target(c).update(field="balances"))
        return
    m = p["module"]
    yield "a summary byte (first)", variant(lambda c: target(c).update(summary=_flip(m["summary"], 0)))
    yield "a summary byte (last)", variant(lambda c: target(c).update(summary=_flip(m["summary"], -1)))
    yield "the summary truncated", variant(lambda c: target(c).update(summary=m["summary"][:-2]))
    liquid_at = [n for n, _ in m["parts"]].index(m["module"])
    yield (
        "a part's root",
        variant(lambda c: target(c)["parts"][liquid_at].__setitem__(1, _flip(m["parts"][liquid_at][1]))),
    )
    yield "a part dropped", variant(lambda c: target(c)["parts"].pop())
    yield "the module renamed", variant(lambda c: target(c).update(module="pool" if m["module"] != "pool" else "amm"))
    yield "the module asked for is another", variant(lambda c: c.update(module="other"))
    yield "the table steps (proof)", variant(lambda c: target(c).update(table=[["key", "nothing"]]))
    yield (
        "the table steps (both)",
        variant(lambda c: (target(c).update(table=[["at", 0]]), c.update(table=[["at", 0]]))),
    )
    yield (
        "a step's key as an integer",
        variant(lambda c: (target(c)["table"][0].__setitem__(1, 1), c["table"][0].__setitem__(1, 1))),
    )
    yield "a holder of another bucket", variant(lambda c: c.update(holder="0x" + "ee" * 20))


def _differential(js: Any, cases: list[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
    """Run every case through both verifiers (JS in one evaluate); assert they agree; (accepted, refused)."""
    got = js.evaluate(JS_VERIFY, [case for _, case in cases])
    accepted = refused = 0
    for (name, case), j in zip(cases, got, strict=True):
        py = _python(case)
        assert j["ok"] == py["ok"], (name, case.get("holder", case.get("address")), py, j)
        if py["ok"]:
            assert j["value"] == py["value"], (name, py, j)
            accepted += 1
        else:
            refused += 1
    return accepted, refused


def test_js_verifier__python_proofs_of_accounts_and_holders__same_values(js: Any, state: BeaconState) -> None:
    root = hash_state(state)
    cases = _account_cases(state, root) + _holder_cases(state, root)
    accepted, refused = _differential(js, [("untouched", c) for c in cases])
    assert (accepted, refused) == (len(cases), 0)
    values = js.evaluate(JS_VERIFY, cases[:4])
    assert values[2]["value"][0] == str(2**60 + 12_345)  # past 2^53: exact (BigInt)


def test_js_verifier__tampered_proofs__refused_exactly_when_python_refuses(js: Any, state: BeaconState) -> None:
    root = hash_state(state)
    accounts = _account_cases(state, root)
    holders = _holder_cases(state, root)
    liquid = [c for c in holders if c["module"] == "liquid" and c["table"] == STSWK]
    other = [c for c in holders if c["module"] != "liquid"][:2]
    cases = [(f"{case['kind']} {name}", t) for case in [*accounts, *liquid, *other] for name, t in _tampered(case)]
    accepted, refused = _differential(js, cases)
    assert refused > 200 and accepted > 10, (accepted, refused)  # both verdicts are exercised


# ---------------------------------------------------------------------------------------------------------------
# The msgpack reader, JS against msgspec and read_summary

JS_READ = """(items) => {
    const bits = (x) => { const v = new DataView(new ArrayBuffer(8)); v.setFloat64(0, x); return Array.from(
        new Uint8Array(v.buffer), (b) => b.toString(16).padStart(2, "0")).join(""); };
    const tagged = (v) => {
        if (v === null) return ["nil"];
        if (typeof v === "boolean") return ["bool", v];
        if (typeof v === "bigint") return ["int", v.toString()];
        if (typeof v === "number") return ["float", Number.isNaN(v) ? "nan" : bits(v)];
        if (typeof v === "string") return ["str", v];
        if (v instanceof Uint8Array) return ["bin", StakeworkProofs.toHex(v).slice(2)];
        if (Array.isArray(v)) return ["arr", v.map(tagged)];
        return ["map", Array.from(v.entries(), ([k, x]) => [tagged(k), tagged(x)])];
    };
    return items.map((hex) => {
        try { return {ok: true, value: tagged(StakeworkProofs.readSummary("0x" + hex))}; }
        catch (e) { return {ok: false, error: String(e.message || e)}; }
    });
}"""


def _tagged(v: object) -> object:
    """A decoded value as the JS side writes it (types kept apart: 1, 1.0 and True differ)."""
    if v is None:
        return ["nil"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):  # (any NaN alike: JS quiets a signalling NaN's payload)
        return ["float", "nan" if math.isnan(v) else struct.pack(">d", v).hex()]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, bytes):
        return ["bin", v.hex()]
    if isinstance(v, list):
        return ["arr", [_tagged(x) for x in v]]
    assert isinstance(v, dict)
    return ["map", [[_tagged(k), _tagged(x)] for k, x in v.items()]]


INT_EDGES = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1]
INT_EDGES += [-1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**53) - 1, -(2**63)]
FLOAT_EDGES = [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, float("inf"), float("-inf"), float("nan"), 0.1]


def _random_value(rng: random.Random, depth: int) -> object:
    kind = rng.choice(["nil", "bool", "int", "float", "str", "bin"] + (["list", "dict"] * 2 if depth < 5 else []))
    if kind == "nil":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice(INT_EDGES) if rng.random() < 0.5 else rng.randint(-(2**63), 2**64 - 1) >> rng.randint(0, 63)
    if kind == "float":
        return rng.choice(FLOAT_EDGES) if rng.random() < 0.3 else rng.uniform(-1e9, 1e9)
    if kind == "str":
        n = rng.choice([0, 1, 31, 32, 255, 256, 300])
        return "".join(rng.choice("aZ9 .éß質押驗證🙂\u0000") for _ in range(n))
    if kind == "bin":
        return rng.randbytes(rng.choice([0, 1, 32, 255, 256, 300]))
    n = rng.choice([0, 1, 15, 16, 17] if depth < 2 else [0, 1, 2, 3])  # fix and 16-bit sizes, kept small
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(n)]
    keys: list[object] = list(
        dict.fromkeys(rng.choice([str(rng.randint(0, 99)), rng.randint(-50, 2**40)]) for _ in range(n))
    )
    return {k: _random_value(rng, depth + 1) for k in keys}


def test_js_msgpack__random_msgspec_encodings__same_values(js: Any) -> None:
    rng = random.Random(18)
    values = [_random_value(rng, 0) for _ in range(300)]
    values += [list(range(70_000)), "x" * 70_000, b"\x01" * 70_000, {str(i): i for i in range(70_000)}]  # 32-bit sizes
    values += [INT_EDGES, FLOAT_EDGES, {1: "one", "1": "str one", 2**64 - 1: None}]
    encoded = [msgspec.msgpack.encode(v) for v in values]
    got = js.evaluate(JS_READ, [e.hex() for e in encoded])
    for value, data, j in zip(values, encoded, got, strict=True):
        assert j == {"ok": True, "value": _tagged(value)}, (data[:40].hex(), j.get("error"))
        assert _tagged(read_summary(data)) == j["value"]  # and the Python reader reads the same


def _corrupted(rng: random.Random) -> list[bytes]:
    """Byte strings near valid encodings, and hand-made edge cases of the subset."""
    out: list[bytes] = []
    for _ in range(300):
        data = bytearray(msgspec.msgpack.encode(_random_value(rng, 0)))
        how = rng.choice(["truncate", "flip", "append", "tag"])
        if how == "truncate" and len(data) > 1:
            del data[rng.randrange(1, len(data)) :]
        elif how == "flip":
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "append":
            data += bytes([rng.randrange(256)])
        else:
            data[rng.randrange(len(data))] = rng.choice([0xC1, 0xC7, 0xC8, 0xC9, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9])
        out.append(bytes(data))
    deep = [b"\x91" * n + b"\xc0" for n in (63, 64, 65, 66)]
    hand = [
        b"\xca\x3f\xc0\x00\x00",  # float32 1.5
        b"\xca\x7f\xc0\x00\x00",  # float32 NaN
        b"\xa2\xff\xfe",  # not UTF-8
        b"\xa3\xed\xa0\x80",  # an encoded surrogate
        b"\xa3\xef\xbb\xbf",  # a byte-order mark: kept, not dropped
        b"\xa1\xc3",  # the first byte of a 2-byte character alone
        b"\x81\x90\x01",  # a map key that is a list
        b"\x81\x80\x01",  # a map key that is a map
        b"\xdc\x00\x01\xc0",  # array16 of one
        b"\xdd\x00\x00\x00",  # array32 cut inside its length
        b"\xde\x00",  # map16 cut inside its length
        b"\xdb\x00\x00\x00\x02ab",  # str32
        b"\xc6\x00\x00\x00\x01",  # bin32 cut inside its bytes
        b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",  # int64 min
        b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",  # uint64 max
        b"\xc0\xc0",  # bytes after the value
        b"",  # nothing
    ]
    return out + deep + hand


def test_js_msgpack__corrupted_bytes__refused_exactly_when_read_summary_refuses(js: Any) -> None:
    cases = _corrupted(random.Random(6110))
    got = js.evaluate(JS_READ, [c.hex() for c in cases])
    refused = 0
    for data, j in zip(cases, got, strict=True):
        try:
            value: object = _tagged(read_summary(data))
            py_ok = True
        except Exception:
            py_ok = False
        assert j["ok"] == py_ok, (data.hex(), j)
        if py_ok and not _has_map(read_summary(data)):  # (Python's dict merges 1 and True as one key; JS's Map not)
            assert j["value"] == value, data.hex()
        refused += not py_ok
    assert 100 < refused < len(cases)
    depth = js.evaluate(JS_READ, [(b"\x91" * n + b"\xc0").hex() for n in (64, 65)])
    assert [d["ok"] for d in depth] == [True, False]  # 64 nested arrays read, 65 refused (as read_summary)


def _has_map(v: object) -> bool:
    if isinstance(v, dict):
        return True
    return isinstance(v, list) and any(_has_map(x) for x in v)


# ---------------------------------------------------------------------------------------------------------------
# End to end: the account page against a devnet


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with devnet_process(tmp_path_factory.mktemp("devnet")) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    yield pg
    context.close()


ADDRESS = "0x" + devnet_account_key(0).address.hex()
DONE = ".proof-result[data-verdict]:not([data-verdict='checking'])"


def _press(page: Any, url: str, root: str = "") -> tuple[str, str]:
    page.goto(f"{url}/accounts/{ADDRESS}")
    if root:
        page.fill("#trusted-root", root)
    page.click("#verify-proof")
    page.wait_for_selector(DONE)
    result = page.locator(".proof-result")
    return str(result.get_attribute("data-verdict")), result.inner_text()


def test_account_page__proof_button__verifies_the_nodes_proofs_in_the_browser(page: Any, node_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{node_url}/accounts/{ADDRESS}")
    page.wait_for_load_state("load")
    assert not [r for r in requests if "/v1/proof/" in r]  # nothing is asked of the node before the button
    verdict, text = _press(page, node_url)
    assert verdict == "verified", text
    assert "Verified" in text and "consistency, not its honesty" in text
    root = page.locator(".proof-result dd[data-value^='0x']").get_attribute("data-value")
    balance = page.locator(".proof-result dd").nth(0).get_attribute("data-value")
    # The same proof, checked by the Python verifier, gives the balance the page shows.
    doc = httpx.get(f"{node_url}/v1/proof/account/{ADDRESS}?state_id={root}", timeout=30).json()["data"]
    proven = verify_account(proof_from_json(doc["proof"]), bytes.fromhex(root[2:]), bytes.fromhex(ADDRESS[2:]))
    assert balance == str(proven[0])
    assert "stSWK shares" in text  # the devnet runs the liquid module


def test_account_page__pasted_root__checked_against_it(page: Any, node_url: str) -> None:
    root = httpx.get(f"{node_url}/eth/v1/beacon/states/head/root", timeout=30).json()["data"]["root"]
    verdict, text = _press(page, node_url, root)
    assert verdict == "verified", text
    assert root in text and "the root you pasted" in text


def _alter(page: Any, change: Callable[[dict[str, Any]], None], pattern: str = "**/v1/proof/account/**") -> None:
    """Answer the page's proof requests with the node's answer changed by `change`."""

    def handle(route: Any) -> None:
        answer = route.fetch()
        doc = answer.json()
        change(doc)
        route.fulfill(response=answer, body=json.dumps(doc))

    page.route(pattern, handle)


def test_account_page__altered_balance__does_not_verify(page: Any, node_url: str) -> None:
    _alter(page, lambda d: d["data"].update(balance=str(int(d["data"]["balance"]) + 1)))
    verdict, text = _press(page, node_url)
    assert verdict == "failed" and "does NOT verify" in text and "the node says Balance" in text, text


def test_account_page__altered_chunk_byte__does_not_verify(page: Any, node_url: str) -> None:
    def flip(d: dict[str, Any]) -> None:
        path = d["data"]["proof"]["paths"][0]
        path["chunk"] = _flip(path["chunk"], 22)  # the first entry's balance (bytes 20..27)

    _alter(page, flip)
    verdict, text = _press(page, node_url)
    assert verdict == "failed" and "does NOT verify" in text and "tampered" in text, text


def test_account_page__altered_stswk_branch__does_not_verify_in_zh_tw(page: Any, node_url: str) -> None:
    def flip(d: dict[str, Any]) -> None:
        branch = d["data"]["proof"]["module"]["branch"]
        branch[2][5] = _flip(branch[2][5])

    _alter(page, flip, "**/v1/proof/holder/**")
    page.goto(f"{node_url}/accounts/{ADDRESS}?lang=zh-TW")
    page.click("#verify-proof")
    page.wait_for_selector(DONE)
    text = page.locator(".proof-result").inner_text()
    assert page.locator(".proof-result").get_attribute("data-verdict") == "failed"
    assert "未通過驗證" in text and "does NOT verify" in text, text


def test_account_page__another_states_proof_for_a_pasted_root__does_not_verify(page: Any, node_url: str) -> None:
    """A node that answers with a proof of another state than the one asked for (a consistent but stale or
    forked answer) is caught when the user supplies the root."""
    root = httpx.get(f"{node_url}/eth/v1/beacon/states/head/root", timeout=30).json()["data"]["root"]

    def handle(route: Any) -> None:
        route.continue_(url=route.request.url.replace(root, "finalized"))

    page.route("**/v1/proof/account/**", handle)
    verdict, text = _press(page, node_url, root)
    assert verdict == "failed" and f"not {root}" in text, text


def test_account_page__pasted_root_the_node_does_not_hold__could_not_check(page: Any, node_url: str) -> None:
    verdict, text = _press(page, node_url, "0x" + "ab" * 32)
    assert verdict == "error" and "could not check" in text and "does NOT verify" not in text, text


def test_account_page__pasted_root_malformed__refused_before_asking_the_node(page: Any, node_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    verdict, text = _press(page, node_url, "0x1234")
    assert verdict == "error" and "could not check" in text and "32 bytes" in text, text
    assert not [r for r in requests if "/v1/proof/" in r]
