"""`stakework gov`: governance through a node's API (docs/modules.md, "Governance").

Voting power is stkSWK (the safety module's stake), read at each proposal's snapshot epoch. Propose bounded
parameter changes (`--set module.name=value`, see `stakework gov list --parameters`), vote, delegate, queue a
passed proposal in the timelock and execute it once its eta is reached; `list` and `show` read the proposals.
Every signing command takes the same signer options (--from, --fee, --no-wait, --wallet-dir, --password-file,
--node, --token, --data-dir), declared once (`cli.modtx.with_signer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stakework.cli.common import console, fail, wide_console
from stakework.cli.modtx import DataDir, Signer, address_of, get, parse_id, send, shares, with_signer
from stakework.cli.wallet import NodeUrl

app = typer.Typer(
    help="Governance: propose, vote, delegate, queue, execute, cancel; list and show proposals and parameters.",
    no_args_is_help=True,
)

SUPPORT = {"against": 0, "for": 1, "abstain": 2}


def _proposal(client: Any, proposal_id: int) -> dict[str, Any]:
    data: dict[str, Any] = get(client, f"/v1/governance/proposals/{proposal_id}")
    return data


def parse_action(text: str, parameters: list[dict[str, Any]]) -> Any:
    """`module.name=value` -> an Action, checked against the node's governable parameters and their bounds."""
    from stakework.modules.governance.messages import Action

    target, sep, raw = text.partition("=")
    module, dot, name = target.strip().partition(".")
    if not sep or not dot or not module or not name:
        fail(f"--set {text!r}: write module.name=value, e.g. liquid.fee_bps=500")
    if not (raw.strip().isascii() and raw.strip().isdigit()):
        fail(f"--set {text!r}: the value must be a non-negative integer")
    value = int(raw)
    spec = next((p for p in parameters if p["module"] == module and p["name"] == name), None)
    if spec is None:
        known = ", ".join(f"{p['module']}.{p['name']}" for p in parameters)
        fail(f"{module}.{name} is not a governable parameter; known: {known}")
    if not int(spec["minimum"]) <= value <= int(spec["maximum"]):
        fail(f"{module}.{name} = {value} is outside its bounds {spec['minimum']}..{spec['maximum']} ({spec['doc']})")
    return Action(module=module, name=name, value=value)


@app.command("propose")
@with_signer
def propose(
    actions: list[str] = typer.Option(..., "--set", help="A change, module.name=value (repeatable, at most 10)."),
    description: str = typer.Option("", "--description", "-m", help="What the proposal does and why."),
    *,
    signer: Signer,
) -> None:
    """Propose parameter changes; voting opens after the voting delay and lasts the voting period."""
    from stakework.modules.governance.messages import Propose

    signer = signer.resolved()
    client = signer.reader()
    overview = get(client, "/v1/governance")
    parsed = [parse_action(a, overview["parameters"]) for a in actions]
    power = int(get(client, f"/v1/governance/accounts/0x{signer.address().hex()}")["votes"])
    if power < int(overview["proposal_threshold"]):
        fail(
            f"{signer.name()} has {shares(power)} votes; proposing needs {shares(overview['proposal_threshold'])} "
            "(stake in the safety module, or have votes delegated, an epoch before proposing)"
        )
    status = send(signer, Propose(actions=parsed, description=description), f"proposing {len(parsed)} change(s)")
    if status is not None:
        latest = get(client, "/v1/governance/proposals?limit=100")
        mine = [p for p in latest if p["proposer"] == "0x" + signer.address().hex()]
        if mine:
            console.print(f"proposal {mine[-1]['id']}: voting from epoch {int(mine[-1]['start']) + 1}", highlight=False)


@app.command("vote")
@with_signer
def vote(
    proposal: str = typer.Argument(..., help="The proposal's id."),
    support: str = typer.Argument(..., help="for, against or abstain."),
    *,
    signer: Signer,
) -> None:
    """Vote with the power you had at the proposal's snapshot epoch (once)."""
    from stakework.modules.governance.messages import CastVote

    if support not in SUPPORT:
        fail(f"vote {support!r}: for, against or abstain")
    pid = parse_id(proposal, "proposal")
    signer = signer.resolved()
    p = _proposal(signer.reader(), pid)
    if p["status"] != "active":
        fail(f"proposal {pid} is {p['status']}; votes are taken in epochs {int(p['start']) + 1}..{p['end']}")
    send(signer, CastVote(proposal_id=pid, support=SUPPORT[support]), f"voting {support} on proposal {pid}")


@app.command("delegate")
@with_signer
def delegate(
    to: str = typer.Argument(..., help="0x address or account name (yourself: vote your own)."), *, signer: Signer
) -> None:
    """Give your voting power to another account from this epoch on."""
    from stakework.modules.governance.messages import Delegate

    signer = signer.resolved()
    recipient = address_of(signer, to)
    send(signer, Delegate(to=recipient), f"delegating votes to 0x{recipient.hex()}")


def _lifecycle(verb: str, message: type, proposal: str, signer: Signer, ready: str, when: str) -> None:
    pid = parse_id(proposal, "proposal")
    signer = signer.resolved()
    p = _proposal(signer.reader(), pid)
    if p["status"] != ready:
        fail(f"proposal {pid} is {p['status']}; it can be {verb} when {when}")
    send(signer, message(proposal_id=pid), f"{verb} proposal {pid}")


@app.command("queue")
@with_signer
def queue(proposal: str = typer.Argument(..., help="The proposal's id."), *, signer: Signer) -> None:
    """Put a passed proposal in the timelock (anyone); it executes from now + the timelock delay."""
    from stakework.modules.governance.messages import Queue

    _lifecycle("queued", Queue, proposal, signer, "succeeded", "it has passed (status succeeded)")


@app.command("execute")
@with_signer
def execute(proposal: str = typer.Argument(..., help="The proposal's id."), *, signer: Signer) -> None:
    """Apply a queued proposal's changes (anyone), from its eta until its grace period ends."""
    from stakework.modules.governance.messages import Execute

    pid = parse_id(proposal, "proposal")
    resolved = signer.resolved()
    client = resolved.reader()
    p = _proposal(client, pid)
    epoch = int(get(client, "/v1/governance")["epoch"])
    if p["status"] == "queued" and epoch < int(p["eta"]):
        fail(f"proposal {pid} executes from epoch {p['eta']} (timelock); it is epoch {epoch}")
    _lifecycle("executed", Execute, proposal, resolved, "queued", "it is queued and its eta is reached")


@app.command("cancel")
@with_signer
def cancel(proposal: str = typer.Argument(..., help="The proposal's id."), *, signer: Signer) -> None:
    """Cancel a proposal before execution (its proposer; anyone once the proposer's votes fell below the
    threshold)."""
    from stakework.modules.governance.messages import Cancel

    pid = parse_id(proposal, "proposal")
    resolved = signer.resolved()
    p = _proposal(resolved.reader(), pid)
    if p["status"] not in ("pending", "active", "succeeded", "queued"):
        fail(f"proposal {pid} is {p['status']}: only a pending, active, succeeded or queued one can be canceled")
    send(resolved, Cancel(proposal_id=pid), f"canceling proposal {pid}")


def _actions(p: dict[str, Any]) -> str:
    return ", ".join(f"{a['module']}.{a['name']}={a['value']}" for a in p["actions"])


@app.command("list")
def list_proposals(
    parameters: bool = typer.Option(False, "--parameters", help="List the governable parameters instead."),
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """The proposals (id, status, changes, votes for/against/abstain, eta), or with --parameters every governable
    parameter with its bounds and value."""
    from rich.table import Table

    from stakework.cli.wallet import _client

    client = _client(node, None, data_dir)
    if parameters:
        table = Table("parameter", "value", "bounds", "meaning", title="governable parameters")
        for p in get(client, "/v1/governance")["parameters"]:
            table.add_row(f"{p['module']}.{p['name']}", p["value"], f"{p['minimum']}..{p['maximum']}", p["doc"])
        wide_console().print(table)
        return
    rows = get(client, "/v1/governance/proposals")
    if not rows:
        console.print("no proposals yet: `stakework gov propose --set module.name=value`", highlight=False)
        return
    table = Table("id", "status", "changes", "for", "against", "abstain", "eta", title="proposals")
    for p in rows:
        table.add_row(
            p["id"],
            p["status"],
            _actions(p),
            shares(p["for_votes"]),
            shares(p["against_votes"]),
            shares(p["abstain_votes"]),
            p["eta"] if p["eta"] != "0" else "-",
        )
    wide_console().print(table)


@app.command("show")
def show(
    proposal: str = typer.Argument(..., help="The proposal's id."),
    node: str | None = NodeUrl,
    data_dir: Path | None = DataDir,
) -> None:
    """One proposal: status, changes, epochs, tally against the quorum, timelock eta, and every vote."""
    from stakework.cli.wallet import _client

    p = _proposal(_client(node, None, data_dir), parse_id(proposal, "proposal"))
    quorum = "n/a (snapshot not taken)" if p["quorum"] is None else shares(p["quorum"])
    lines = [
        f"proposal {p['id']} by {p['proposer']}: {p['status']}  {p['description']}",
        f"changes: {_actions(p)}",
        f"created epoch {p['created']}, snapshot {p['start']}, voting {int(p['start']) + 1}..{p['end']}, "
        f"queue before {p['queue_deadline']}",
        f"for {shares(p['for_votes'])}  against {shares(p['against_votes'])}  abstain {shares(p['abstain_votes'])}"
        f"  quorum {quorum}",
        "timelock: not queued" if p["eta"] == "0" else f"timelock: executes from epoch {p['eta']} until {p['expires']}",
    ]
    if p["executed_epoch"] != "0":
        lines.append(f"executed at epoch {p['executed_epoch']}")
    names = {v: k for k, v in SUPPORT.items()}
    lines += [f"  {v['voter']} {names[int(v['support'])]} {shares(v['votes'])}" for v in p["votes"]]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
