"""`stakework keys`: EIP-2335 validator keystores and Ed25519 account key files (generate, list, import, export).

Passwords come from `--password-file` or a hidden prompt, never from the command line. Every user mistake
(wrong password, corrupt file, existing file) is a one-line message and exit status 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from stakework.cli.common import console, err_console, fail
from stakework.crypto.bls import SecretKey, devnet_secret_key
from stakework.crypto.ed25519 import AccountKey, address_of, decrypt_account_key, encrypt_account_key, to_hex
from stakework.crypto.keystore import (
    FAST_INSECURE_KDF,
    Keystore,
    KeystoreError,
    decrypt_bls_key,
    devnet_keystore_name,
    encrypt_bls_key,
    kdf_by_name,
    keystore_files,
    load_keystore,
    normalize_password,
    save_keystore,
    write_private_file,
)

app = typer.Typer(
    help="Validator keystores (EIP-2335) and account key files: generate, list, import, export.",
    no_args_is_help=True,
)

MIN_PASSWORD_BYTES = 8

PASSWORD_FILE_HELP = "File holding the password (its trailing newline is ignored). Without it: a hidden prompt."


def read_password(password_file: Path | None, *, confirm: bool, new: bool) -> str:
    """The keystore password from `password_file` or a hidden prompt (confirmed twice when `confirm`)."""
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail(f"{password_file}: no such password file")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{password_file}: cannot read password file ({exc})")
    else:
        password = typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm)
    if not normalize_password(password):
        fail("the password is empty (after removing control characters, EIP-2335)")
    if new and len(normalize_password(password)) < MIN_PASSWORD_BYTES:
        fail(f"the password is too short: use at least {MIN_PASSWORD_BYTES} characters")
    return password


def _decrypt_any(ks: Keystore, password: str) -> None:
    """Decrypt to check the password and the key (BLS or Ed25519, by pubkey length)."""
    if ks.kind == "ed25519":
        decrypt_account_key(ks, password)
    else:
        decrypt_bls_key(ks, password)


def _identity(ks: Keystore) -> str:
    return f"address {to_hex(address_of(ks.pubkey))}" if ks.kind == "ed25519" else ks.pubkey_hex


@app.command("generate")
def generate(
    count: int = typer.Option(..., "--count", "-n", min=1, help="Number of validator keys."),
    start: int = typer.Option(0, "--start", min=0, help="Index of the first key (devnet key index, file numbering)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the keystore files (created if missing)."),
    password_file: Path | None = typer.Option(None, "--password-file", help=PASSWORD_FILE_HELP),
    insecure_devnet: bool = typer.Option(
        False,
        "--insecure-devnet",
        help="Write the deterministic devnet keys start..start+count-1. INSECURE: anyone can derive them.",
    ),
    kdf: str | None = typer.Option(
        None,
        "--kdf",
        help="scrypt (default, EIP-2335 parameters), pbkdf2, or insecure-fast (devnet keys only; their default).",
    ),
) -> None:
    """Generate BLS validator keys and write them as EIP-2335 keystores (mode 0600)."""
    kdf_name = kdf or ("insecure-fast" if insecure_devnet else "scrypt")
    chosen = kdf_by_name(kdf_name)
    if chosen == FAST_INSECURE_KDF and not insecure_devnet:
        fail("--kdf insecure-fast is only for --insecure-devnet keys; use scrypt or pbkdf2 for real keys")
    password = read_password(password_file, confirm=True, new=not insecure_devnet)
    if out.exists() and not out.is_dir():
        fail(f"{out}: exists and is not a folder")
    keys: list[tuple[int, SecretKey]] = []
    for index in range(start, start + count):
        keys.append((index, devnet_secret_key(index) if insecure_devnet else SecretKey.from_seed(os.urandom(32))))
    targets = [(index, sk, out / devnet_keystore_name(index, sk.public_key())) for index, sk in keys]
    for _, _, path in targets:
        if path.exists():
            fail(f"{path}: already exists; refusing to overwrite a keystore (choose another --out or --start)")
    for index, sk, path in targets:
        description = (
            f"INSECURE stakework devnet validator key {index} (publicly derivable)"
            if insecure_devnet
            else f"stakework validator key {index}"
        )
        save_keystore(encrypt_bls_key(sk, password, kdf=chosen, description=description), path)
        console.print(f"{index}  0x{sk.public_key().hex()}  {path}", highlight=False, soft_wrap=True)
    if insecure_devnet:
        err_console.print("[yellow]warning:[/] devnet keys are INSECURE: anyone can derive them. Never stake value.")
    console.print(f"{count} keystore(s) written to {out}")


@app.command("new-account")
def new_account(
    out: Path = typer.Option(..., "--out", "-o", help="Account key file to write (refuses to overwrite)."),
    password_file: Path | None = typer.Option(None, "--password-file", help=PASSWORD_FILE_HELP),
    kdf: str = typer.Option("scrypt", "--kdf", help="scrypt (default) or pbkdf2."),
) -> None:
    """Generate an Ed25519 account key and write it encrypted in the EIP-2335 container (mode 0600)."""
    chosen = kdf_by_name(kdf)
    if chosen == FAST_INSECURE_KDF:
        fail("--kdf insecure-fast is not allowed for account keys; use scrypt or pbkdf2")
    password = read_password(password_file, confirm=True, new=True)
    key = AccountKey.generate()
    save_keystore(encrypt_account_key(key, password, kdf=chosen), out)
    console.print(f"address {to_hex(key.address)}\npubkey  {to_hex(key.public_key)}\nfile    {out}", highlight=False)


@app.command("list")
def list_keys(
    folder: Path = typer.Argument(..., help="Folder of keystore files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """List the keystores in a folder: public key (or account address), path, file. No password needed."""
    files = keystore_files(folder)
    shown = 0
    bad = 0
    for path in files:
        try:
            ks = load_keystore(path)
        except KeystoreError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            bad += 1
            continue
        if as_json:
            typer.echo(
                json.dumps(
                    {"pubkey": ks.pubkey_hex, "kind": ks.kind, "path": ks.path, "file": str(path), "uuid": ks.uuid}
                )
            )
        else:  # one line per key, never truncated: pubkeys are copied from here
            console.print(
                f"{_identity(ks)}  {ks.kind or '?'}  {ks.path or '-'}  {path}", highlight=False, soft_wrap=True
            )
        shown += 1
    if not shown and not bad:
        err_console.print(f"no keystores in {folder}")
    if bad:
        fail(f"{bad} file(s) in {folder} are not readable keystores (see above)")


@app.command("import")
def import_keys(
    files: list[Path] = typer.Argument(..., help="Keystore files to import."),
    into: Path = typer.Option(..., "--into", help="Folder to copy them into (created if missing)."),
    password_file: Path | None = typer.Option(None, "--password-file", help=PASSWORD_FILE_HELP),
) -> None:
    """Copy keystores into a folder (mode 0600) after checking that each decrypts with the password.

    Nothing is copied if any file fails; keys already in the folder are skipped."""
    loaded = [(path, load_keystore(path), path.read_bytes()) for path in files]
    password = read_password(password_file, confirm=False, new=False)
    for _, ks, _ in loaded:
        _decrypt_any(ks, password)
    existing = {load_keystore(p).pubkey: p for p in keystore_files(into)} if into.is_dir() else {}
    plan: list[tuple[Keystore, Path, bytes]] = []
    for path, ks, raw in loaded:
        if ks.pubkey in existing:
            err_console.print(f"{_identity(ks)} already in {existing[ks.pubkey]}, skipped", highlight=False)
            continue
        target = into / path.name
        if target.exists() or any(t == target for _, t, _ in plan):
            fail(f"{target}: a different file with that name exists; rename {path} first")
        plan.append((ks, target, raw))
        existing[ks.pubkey] = target
    into.mkdir(parents=True, exist_ok=True)
    for ks, target, raw in plan:
        write_private_file(target, raw)
        console.print(f"imported {_identity(ks)} -> {target}", highlight=False)
    console.print(f"{len(plan)} keystore(s) imported into {into}")


@app.command("export")
def export_keys(
    folder: Path = typer.Argument(..., help="Folder of keystore files."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Copy the keystores into this folder (0600)."),
) -> None:
    """Print the public keys of a folder's keystores, one per line.

    With --out, copy the (still encrypted) keystore files to another folder instead."""
    loaded = [(path, load_keystore(path)) for path in keystore_files(folder)]
    if out is None:
        for _, ks in loaded:
            typer.echo(ks.pubkey_hex)
        return
    for path, _ in loaded:
        if (out / path.name).exists():
            fail(f"{out / path.name}: already exists; refusing to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    for path, _ in loaded:
        write_private_file(out / path.name, path.read_bytes())
    console.print(f"{len(loaded)} keystore(s) copied to {out}")
