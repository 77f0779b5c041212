"""`stakework proof account|validator|holder`: ask a node for a Merkle proof that an account's balance, a
validator's record or a holder's shares in a module are in a state root, and (`--verify`) check it here, with
`stakework.state.proofs` alone.

What `--verify` trusts: the state root given with `--root` (from a block header you trust); without it, the root
the node reports for the state (`/eth/v1/beacon/states/{state}/root`), which checks the proof's consistency but
not the node's honesty. `--from FILE` checks a proof saved earlier (`--json > FILE`) without asking a node.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from stakework.cli.common import console, fail, node_url
from stakework.cli.wallet import DataDir, NodeUrl, WalletDir, _address, _wallet_dir

app = typer.Typer(
    help="Merkle proofs of an account, a validator or a module holder in a state root (light-client checks)."
)

StateId = typer.Option("head", "--state", help="head, genesis, finalized, justified, a slot or a 0x state root.")
Root = typer.Option(None, "--root", help="The state root to check against (0x + 64 hex digits), e.g. from a header.")
Verify = typer.Option(False, "--verify", help="Check the proof here (against --root, else the node's root).")
FromFile = typer.Option(None, "--from", help="Check the proof in this file (the --json output) instead of asking.")
AsJson = typer.Option(False, "--json", help="Print the node's answer (with the proof) as JSON.")
T = TypeVar("T")


def _hex_bytes(text: str, length: int, what: str) -> bytes:
    body = text[2:] if text.startswith("0x") else text
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        fail(f"{what} {text!r} is not hex")
    if len(raw) != length:
        fail(f"{what} {text!r}: expected {length} bytes (0x and {2 * length} hex digits), got {len(raw)}")
    return raw


def _answer(path: str, node: str, source: Path | None) -> dict[str, Any]:
    """The `data` of the node's answer: asked of the node, or read from `source`."""
    if source is not None:
        try:
            doc = json.loads(source.read_text())
        except OSError as exc:
            fail(f"{source}: cannot read ({exc.strerror or exc})")
        except ValueError as exc:
            fail(f"{source}: not JSON ({exc})")
        except RecursionError:
            fail(f"{source}: not a proof answer (JSON nested too deep to read)")
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            fail(f"{source}: not a proof answer (expected the --json output: an object with `data`)")
        return data
    from stakework.api.client import ApiClient

    client = ApiClient(node)
    try:
        answer = client.get(path)
    finally:
        client.close()
    return answer["data"] if isinstance(answer, dict) and isinstance(answer.get("data"), dict) else {}


def _trusted_root(root: str | None, state: str, node: str, source: Path | None) -> tuple[bytes, str]:
    if root is not None:
        return _hex_bytes(root, 32, "state root"), "the root you gave"
    if source is not None:
        fail("--from checks a saved proof against a root you trust: give it with --root 0x...")
    from stakework.api.client import ApiClient

    client = ApiClient(node)
    try:
        reported = client.get(f"/eth/v1/beacon/states/{state}/root")["data"]["root"]
    finally:
        client.close()
    return _hex_bytes(reported, 32, "the node's state root"), "the root the node reports for the state"


def _proof(data: dict[str, Any]) -> Any:
    from stakework.state.proofs import proof_from_json

    return proof_from_json(data.get("proof"))


UNVERIFIED = "as the node says (not verified: add --verify)"


def _ask(
    path: str, node: str | None, data_dir: Path | None, root: str | None, source: Path | None
) -> tuple[dict[str, Any], str]:
    """The node's answer for `path` (or the saved one in `source`) and the node's URL; a malformed --root is refused
    before anything is asked."""
    if root is not None:
        _hex_bytes(root, 32, "state root")
    url = node_url(node, data_dir)
    return _answer(path, url, source), url


def _verified(
    data: dict[str, Any], check: Callable[[Any, bytes], T], root: str | None, state: str, node: str, source: Path | None
) -> tuple[T, str]:
    """`check(proof, trusted root)` on the answer's proof, and the note saying what it was checked against; a proof
    that does not verify ends the command (`check` raises ProofError)."""
    from stakework.state.proofs import ProofError

    trusted, how = _trusted_root(root, state, node, source)
    try:
        result = check(_proof(data), trusted)
    except ProofError as exc:
        fail(f"the proof does NOT verify: {exc}")
    return result, f"proof verified against state root 0x{trusted.hex()} ({how})"


def _show(data: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        console.print_json(json.dumps({"data": data}))
    else:
        console.print(text, highlight=False)


@app.command("account")
def account(
    address: str = typer.Argument(..., metavar="ACCOUNT", help="A name in the wallet or a 0x address."),
    node: str | None = NodeUrl,
    state: str = StateId,
    root: str | None = Root,
    verify: bool = Verify,
    source: Path | None = FromFile,
    as_json: bool = AsJson,
    wallet_dir: Path | None = WalletDir,
    data_dir: Path | None = DataDir,
) -> None:
    """An account's balance and nonce with a Merkle proof (an address never used has a proof of absence)."""
    from stakework.state.proofs import verify_account

    key = _address(_wallet_dir(wallet_dir), address)
    data, url = _ask(f"/v1/proof/account/0x{key.hex()}?state_id={state}", node, data_dir, root, source)
    balance, nonce, note = data.get("balance"), data.get("nonce"), UNVERIFIED
    if verify or source is not None:
        proven, note = _verified(data, lambda p, r: verify_account(p, r, key), root, state, url, source)
        if (str(proven[0]), str(proven[1])) != (balance, nonce):
            fail(f"the node says balance {balance}, nonce {nonce}; its proof shows {proven[0]}, {proven[1]}")
    _show(data, as_json, f"account 0x{key.hex()}: balance {balance} Gwei, nonce {nonce}\n{note}")


@app.command("validator")
def validator(
    index: int = typer.Argument(..., min=0, help="The validator's index."),
    node: str | None = NodeUrl,
    state: str = StateId,
    root: str | None = Root,
    verify: bool = Verify,
    source: Path | None = FromFile,
    as_json: bool = AsJson,
    data_dir: Path | None = DataDir,
) -> None:
    """A validator's record and balance with a Merkle proof."""
    from stakework.state.proofs import verify_validator

    data, url = _ask(f"/v1/proof/validator/{index}?state_id={state}", node, data_dir, root, source)
    shown: dict[str, Any] = dict(data.get("validator") or {})
    note = UNVERIFIED
    if verify or source is not None:
        record, note = _verified(data, lambda p, r: verify_validator(p, r, index), root, state, url, source)
        shown = {k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in record.items()}
        claimed = {k: str(v).lower() for k, v in (data.get("validator") or {}).items()}
        if claimed != {k: str(v).lower() for k, v in shown.items()}:
            fail("the node's validator record differs from what its proof shows")
    lines = [f"validator {index}:", *(f"  {name}: {value}" for name, value in shown.items()), note]
    _show(data, as_json, "\n".join(lines))


@app.command("holder")
def holder(
    module: str = typer.Argument(..., help="The module: liquid, amm, lending, safety, governance, pool."),
    address: str = typer.Argument(..., metavar="ACCOUNT", help="A name in the wallet or a 0x address."),
    table: str | None = typer.Option(
        None, "--table", help="The holder table, keys joined by dots (default: the module's first; liquid: stSWK)."
    ),
    node: str | None = NodeUrl,
    state: str = StateId,
    root: str | None = Root,
    verify: bool = Verify,
    source: Path | None = FromFile,
    as_json: bool = AsJson,
    wallet_dir: Path | None = WalletDir,
    data_dir: Path | None = DataDir,
) -> None:
    """A holder's shares in a module's holder table (stSWK in liquid, LP shares in amm, deposits and debts in
    lending, stakes in safety, votes in governance) with a Merkle proof (a holder not in the table: a proof of
    absence)."""
    from urllib.parse import quote

    from stakework.state.proofs import parse_table_name, verify_holder

    key = _address(_wallet_dir(wallet_dir), address)
    query = f"?state_id={state}" + (f"&table={quote(table)}" if table is not None else "")
    data, url = _ask(f"/v1/proof/holder/{quote(module)}/0x{key.hex()}{query}", node, data_dir, root, source)
    shares = data.get("shares")
    chosen = table if table is not None else str(data.get("table"))  # the table shown is the table verified
    note = UNVERIFIED
    if verify or source is not None:

        def check(proof: Any, trusted: bytes) -> int:
            return verify_holder(proof, trusted, module, parse_table_name(chosen), key)

        proven, note = _verified(data, check, root, state, url, source)
        if str(proven) != shares:
            fail(f"the node says {shares} shares; its proof shows {proven}")
    _show(data, as_json, f"{module} {chosen}: 0x{key.hex()} holds {shares} shares\n{note}")
