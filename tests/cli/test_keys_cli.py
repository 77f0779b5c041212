"""End-to-end: `stakework keys` and `stakework slashing-protection`, run as a user runs them."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stakework.crypto.bls import devnet_secret_key
from stakework.crypto.ed25519 import decrypt_account_key
from stakework.crypto.keystore import FAST_INSECURE_KDF, decrypt_bls_key, encrypt_bls_key, load_keystore, save_keystore
from stakework.crypto.slashing_protection import SlashableError, SlashingProtection

pytestmark = pytest.mark.e2e

GVR = "0x" + "ab" * 32


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stakework.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        check=False,
    )


def run_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The same program in this process (run_app, as `main` calls it): for the many bad-input cases."""
    from stakework.cli.common import run_app
    from stakework.cli.main import app

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["stakework", *args])
    code = run_app(app)
    out, err = capsys.readouterr()
    return Result(code, out, err)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def assert_user_error(r: subprocess.CompletedProcess[str] | Result, text: str) -> None:
    assert r.returncode == 2, r.stdout + r.stderr
    assert text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr + r.stdout


@pytest.fixture
def pw(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text("correct horse battery\n")
    return path


@pytest.fixture
def wrong_pw(tmp_path: Path) -> Path:
    path = tmp_path / "wrong.txt"
    path.write_text("not the password\n")
    return path


def test_generate_devnet__list__export(tmp_path: Path, pw: Path) -> None:
    keys = tmp_path / "keys"
    r = run("keys", "generate", "--count", "3", "--start", "2", "--out", str(keys), "--password-file", str(pw),
            "--insecure-devnet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "INSECURE" in r.stderr
    files = sorted(keys.glob("*.json"))
    assert len(files) == 3
    for index, path in zip([2, 3, 4], files, strict=True):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        sk = decrypt_bls_key(load_keystore(path), "correct horse battery")
        assert sk.to_bytes() == devnet_secret_key(index).to_bytes()

    r = run("keys", "list", str(keys), "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    expected = ["0x" + devnet_secret_key(i).public_key().hex() for i in (2, 3, 4)]
    assert [row["pubkey"] for row in rows] == expected
    assert all(row["kind"] == "bls" for row in rows)

    r = run("keys", "export", str(keys))
    assert r.returncode == 0 and r.stdout.split() == expected

    r = run("keys", "export", str(keys), "--out", str(tmp_path / "copy"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == [p.name for p in files]
    r = run("keys", "export", str(keys), "--out", str(tmp_path / "copy"))
    assert_user_error(r, "already exists")

    r = run("keys", "generate", "--count", "1", "--start", "2", "--out", str(keys), "--password-file", str(pw),
            "--insecure-devnet")  # fmt: skip
    assert_user_error(r, "refusing to overwrite")


def test_generate_random__pbkdf2__decrypts(tmp_path: Path, pw: Path) -> None:
    r = run("keys", "generate", "-n", "1", "--out", str(tmp_path / "k"), "--password-file", str(pw), "--kdf", "pbkdf2")
    assert r.returncode == 0, r.stderr
    (path,) = (tmp_path / "k").glob("*.json")
    ks = load_keystore(path)
    assert ks.to_dict()["crypto"]["kdf"]["function"] == "pbkdf2"  # type: ignore[index]
    assert decrypt_bls_key(ks, "correct horse battery").to_bytes() != devnet_secret_key(0).to_bytes()


def test_generate_random__short_password_or_insecure_kdf__refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*args: str) -> Result:
        return run_here(capsys, monkeypatch, *args)

    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    r = run("keys", "generate", "-n", "1", "--out", str(tmp_path / "k"), "--password-file", str(short))
    assert_user_error(r, "too short")
    r = run("keys", "generate", "-n", "1", "--out", str(tmp_path / "k"), "--password-file", str(short),
            "--kdf", "insecure-fast")  # fmt: skip
    assert_user_error(r, "only for --insecure-devnet")
    r = run("keys", "generate", "-n", "1", "--out", str(tmp_path / "k"), "--password-file", str(short), "--kdf", "md5")
    assert_user_error(r, "unknown kdf")
    r = run("keys", "generate", "-n", "1", "--out", str(tmp_path / "k"), "--password-file", str(tmp_path / "none"))
    assert_user_error(r, "no such password file")


def test_import__checks_password_then_copies(tmp_path: Path, pw: Path, wrong_pw: Path) -> None:
    src = tmp_path / "src"
    a = save_keystore(
        encrypt_bls_key(devnet_secret_key(0), "correct horse battery", kdf=FAST_INSECURE_KDF), src / "a.json"
    )
    b = save_keystore(
        encrypt_bls_key(devnet_secret_key(1), "correct horse battery", kdf=FAST_INSECURE_KDF), src / "b.json"
    )
    dest = tmp_path / "dest"

    r = run("keys", "import", str(a), str(b), "--into", str(dest), "--password-file", str(wrong_pw))
    assert_user_error(r, f"checksum mismatch: wrong password for {a}")
    assert not dest.exists()

    r = run("keys", "import", str(a), str(b), "--into", str(dest), "--password-file", str(pw))
    assert r.returncode == 0, r.stderr
    assert (dest / "a.json").read_bytes() == a.read_bytes()
    assert stat.S_IMODE((dest / "b.json").stat().st_mode) == 0o600

    r = run("keys", "import", str(a), "--into", str(dest), "--password-file", str(pw))
    assert r.returncode == 0 and "skipped" in r.stderr


def test_import__corrupt_file__exit_2_no_traceback(
    tmp_path: Path, pw: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"crypto": {"kdf"')
    r = run("keys", "import", str(bad), "--into", str(tmp_path / "d"), "--password-file", str(pw))
    assert_user_error(r, f"{bad}: not valid JSON")

    def run_in(*args: str) -> Result:
        return run_here(capsys, monkeypatch, *args)

    r = run_in("keys", "list", str(tmp_path))
    assert_user_error(r, "not readable keystores")
    r = run_in("keys", "list", str(tmp_path / "missing"))
    assert_user_error(r, "not a folder")


def test_new_account__writes_ed25519_file(tmp_path: Path, pw: Path) -> None:
    out = tmp_path / "acct.json"
    r = run("keys", "new-account", "--out", str(out), "--password-file", str(pw), "--kdf", "pbkdf2")
    assert r.returncode == 0, r.stderr
    key = decrypt_account_key(load_keystore(out), "correct horse battery")
    assert "0x" + key.address.hex() in r.stdout
    r = run("keys", "list", str(tmp_path), "--json")
    assert json.loads(r.stdout)["kind"] == "ed25519"


def test_slashing_protection__import_export_round_trip(tmp_path: Path) -> None:
    pk = "0x" + devnet_secret_key(0).public_key().hex()
    doc = {
        "metadata": {"interchange_format_version": "5", "genesis_validators_root": GVR},
        "data": [
            {
                "pubkey": pk,
                "signed_blocks": [{"slot": "10", "signing_root": "0x" + "11" * 32}],
                "signed_attestations": [{"source_epoch": "1", "target_epoch": "2", "signing_root": "0x" + "22" * 32}],
            }
        ],
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps(doc))
    db = tmp_path / "sp.sqlite"
    r = run("slashing-protection", "import", str(src), "--db", str(db), "--genesis-validators-root", GVR)
    assert r.returncode == 0, r.stderr
    assert "1 validator(s), 1 block(s), 1 attestation(s)" in r.stdout

    out = tmp_path / "out.json"
    r = run("slashing-protection", "export", "--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text()) == doc

    with SlashingProtection(db, bytes.fromhex(GVR[2:])) as sp, pytest.raises(SlashableError):
        sp.check_and_record_attestation(bytes.fromhex(pk[2:]), 1, 2, b"\x33" * 32)


def test_slashing_protection__bad_input__exit_2_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_in(*args: str) -> Result:
        return run_here(capsys, monkeypatch, *args)

    src = tmp_path / "in.json"
    src.write_text(json.dumps({"metadata": {"interchange_format_version": "5", "genesis_validators_root": GVR},
                               "data": []}))  # fmt: skip
    db = tmp_path / "sp.sqlite"
    r = run("slashing-protection", "import", str(src), "--db", str(db), "--genesis-validators-root", "0x" + "cd" * 32)
    assert_user_error(r, "genesis_validators_root mismatch")
    r = run_in("slashing-protection", "import", str(src), "--db", str(db), "--genesis-validators-root", "0x12")
    assert_user_error(r, "64 hex digits")
    (tmp_path / "broken.json").write_text("{")
    r = run_in("slashing-protection", "import", str(tmp_path / "broken.json"), "--db", str(db),
            "--genesis-validators-root", GVR)  # fmt: skip
    assert_user_error(r, "not a readable JSON interchange file")
    r = run_in(
        "slashing-protection", "export", "--db", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "o.json")
    )
    assert_user_error(r, "no slashing-protection database")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x00garbage" * 512)
    r = run("slashing-protection", "export", "--db", str(garbage), "--out", str(tmp_path / "o.json"))
    assert_user_error(r, f"{garbage}: not a readable slashing-protection database")
