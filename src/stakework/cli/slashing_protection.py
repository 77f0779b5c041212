"""`stakework slashing-protection import|export`: EIP-3076 interchange files in and out of the local database.

Run them only while no validator client signs with the database (EIP-3076 general recommendations).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from stakework.cli.common import console, fail
from stakework.crypto.keystore import write_private_file
from stakework.crypto.slashing_protection import SlashingProtection

app = typer.Typer(
    help="EIP-3076 slashing protection: import and export interchange files (validator client stopped).",
    no_args_is_help=True,
)


def _root(text: str) -> bytes:
    digits = text[2:] if text[:2] in ("0x", "0X") else None
    try:
        value = bytes.fromhex(digits) if digits is not None else b""
    except ValueError:
        value = b""
    if len(value) != 32:
        fail(f"--genesis-validators-root must be 0x followed by 64 hex digits, not {text!r}")
    return value


@app.command("import")
def import_interchange(
    file: Path = typer.Argument(..., help="EIP-3076 interchange JSON file (format version 5)."),
    db: Path = typer.Option(..., "--db", help="Slashing-protection database (created if missing)."),
    genesis_validators_root: str = typer.Option(
        ..., "--genesis-validators-root", help="0x-hex root of the chain; the file must be for the same chain."
    ),
) -> None:
    """Merge an interchange file into the database. Never lowers protection; refuses another chain's file."""
    root = _root(genesis_validators_root)
    try:
        document = json.loads(file.read_bytes())
    except FileNotFoundError:
        fail(f"{file}: no such interchange file")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{file}: not a readable JSON interchange file ({exc})")
    except RecursionError:
        fail(f"{file}: not an EIP-3076 interchange file (JSON nested too deep to read)")
    with SlashingProtection(db, root) as sp:
        summary = sp.import_interchange(document, str(file))
    console.print(
        f"imported {summary.validators} validator(s), {summary.blocks} block(s), "
        f"{summary.attestations} attestation(s) from {file} into {db}",
        highlight=False,
    )


@app.command("export")
def export_interchange(
    db: Path = typer.Option(..., "--db", help="Slashing-protection database."),
    out: Path = typer.Option(..., "--out", "-o", help="Interchange JSON file to write (replaced atomically)."),
) -> None:
    """Write the whole database as an EIP-3076 interchange file (format version 5)."""
    with SlashingProtection.open_existing(db) as sp:
        document = sp.export_interchange()
    try:
        write_private_file(out, (json.dumps(document, indent=2) + "\n").encode())
    except OSError as exc:
        fail(f"{out}: cannot write ({exc.strerror or exc})")
    data = document["data"]
    console.print(f"exported {len(data) if isinstance(data, list) else 0} validator(s) from {db} to {out}")
