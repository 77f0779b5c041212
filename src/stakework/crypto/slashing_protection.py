"""EIP-3076 slashing protection: a local SQLite record of every block and attestation a validator signed,
consulted and written before each signature.

Strategy: EIP-3076's "complete" database (every signed message, so only messages that would really be slashable
are refused) plus its low-watermark conditions, enforced at all times as the EIP recommends:

- blocks (EIP-3076 conditions 1, 2): refuse a block at a slot already signed with another signing root (double
  proposal, `process_proposer_slashing`), and any block at `slot <= min(signed slots)`, unless it is a repeat of
  the same signing root;
- attestations (conditions 3, 4, 5): refuse a double vote (same target epoch, other signing root) and a
  surrounding or surrounded vote (`is_slashable_attestation_data`), any `source < min(signed sources)` and any
  `target <= min(signed targets)` unless it is a repeat of the same signing root.

Importing an interchange file (version 5) records every message it holds, so the database stays complete: a
message that is slashable with nothing recorded and not below a floor may be signed, even at a slot or epoch below
the highest imported one (the "complete" column of the EIP-3076 interchange tests). EIP-3076 states its conditions
for each imported file (`min` over that file's `data`), so each import also raises the validator's low watermarks
to that file's *lowest* slot, source and target epoch: two imports with a gap of unknown history between them (the
first file ends at slot 40, the second starts at 50) leave the gap unsignable, as the EIP's "Advice for Complete
Databases" requires. That is the one place stakework is stricter than the suite's complete column
(`multiple_interchanges_single_validator_single_message_gap`; tests/crypto/test_interchange_vectors.py). Protection
only ever grows: an import never removes a record or lowers a watermark. Messages imported without a signing root,
or with two different roots for one slot, are stored with a NULL root, which no new message matches.

Durability: each check-and-record is one `BEGIN IMMEDIATE` transaction, committed (WAL, `synchronous=FULL`)
before the method returns, so a signature can only leave the process after its record is on disk. Two processes
sharing the file serialize on the write lock; neither can record a message that conflicts with the other's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from stakework.spec.errors import StakeworkError

SCHEMA_VERSION = 1
APPLICATION = "stakework slashing protection"
INTERCHANGE_FORMAT_VERSION = "5"
MAX_INTEGER = 2**63 - 1
"""SQLite integers are signed 64-bit; slots and epochs beyond this are refused (none occur before ~2**40)."""
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS validators (
    id INTEGER PRIMARY KEY,
    pubkey BLOB NOT NULL UNIQUE,
    block_watermark INTEGER,
    source_watermark INTEGER,
    target_watermark INTEGER
);
CREATE TABLE IF NOT EXISTS signed_blocks (
    validator_id INTEGER NOT NULL REFERENCES validators(id),
    slot INTEGER NOT NULL,
    signing_root BLOB,
    PRIMARY KEY (validator_id, slot)
);
CREATE TABLE IF NOT EXISTS signed_attestations (
    validator_id INTEGER NOT NULL REFERENCES validators(id),
    source_epoch INTEGER NOT NULL,
    target_epoch INTEGER NOT NULL,
    signing_root BLOB
);
CREATE INDEX IF NOT EXISTS signed_attestations_target ON signed_attestations (validator_id, target_epoch);
CREATE INDEX IF NOT EXISTS signed_attestations_source ON signed_attestations (validator_id, source_epoch);
"""


class SlashingProtectionError(StakeworkError):
    """The database or an interchange file cannot be used: corrupt, another schema version, another chain."""


class SlashableError(StakeworkError):
    """Refusal to sign: the message would be slashable with one already signed, or is below a low watermark."""


@dataclass(frozen=True)
class ImportSummary:
    validators: int
    blocks: int
    attestations: int


def _short(pubkey: bytes) -> str:
    return "0x" + pubkey.hex()[:12] + "…"


def _root_text(root: bytes | None) -> str:
    return "unknown (imported without signing root)" if root is None else "0x" + root.hex()


def _check_uint(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
        raise SlashingProtectionError(f"{what} must be an integer from 0 to 2**63-1, not {value!r}")
    return value


def _check_bytes(value: bytes, length: int, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != length:
        raise SlashingProtectionError(f"{what} must be {length} bytes")
    return bytes(value)


class SlashingProtection:
    """An EIP-3076 slashing-protection database in the SQLite file `path`, for the chain identified by
    `genesis_validators_root`. Creates the file if it does not exist; refuses a file for another chain."""

    def __init__(self, path: Path | str, genesis_validators_root: bytes) -> None:
        self.path = Path(path)
        self.genesis_validators_root = _check_bytes(genesis_validators_root, 32, "genesis_validators_root")
        self._conn = self._open(create=True)

    @classmethod
    def open_existing(cls, path: Path | str) -> SlashingProtection:
        """Open a database that must already exist, for the chain it records (used by export)."""
        path = Path(path)
        if not path.is_file():
            raise SlashingProtectionError(f"{path}: no slashing-protection database there")
        self = cls.__new__(cls)
        self.path = path
        self.genesis_validators_root = b""
        self._conn = self._open(create=False)
        return self

    # -- opening and checking the file --------------------------------------------------------------------
    def _fail(self, what: str) -> SlashingProtectionError:
        return SlashingProtectionError(
            f"{self.path}: {what}. Do not sign with this validator until it is fixed: restore the file from a "
            "backup, or move it aside and import your latest interchange export "
            "(stakework slashing-protection import) into a new database"
        )

    def _open(self, *, create: bool) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise SlashingProtectionError(f"{self.path}: cannot open database ({exc})") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise self._fail(f"database is corrupt (integrity check: {check[0] if check else 'no answer'})")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._init_schema(conn, create=create)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._fail(
                f"not a readable slashing-protection database ({exc}); it is corrupt or not ours"
            ) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _init_schema(self, conn: sqlite3.Connection, *, create: bool) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                if not create:
                    raise self._fail("the database is empty (no slashing-protection records)")
                for statement in _SCHEMA.split(";"):  # not executescript: it would commit the transaction
                    if statement.strip():
                        conn.execute(statement)
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("application", APPLICATION),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("genesis_validators_root", self.genesis_validators_root.hex()),
                    ],
                )
                tables.add("meta")
            meta: dict[str, str] = {}
            if "meta" in tables:
                meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
            if meta.get("application") != APPLICATION:
                raise self._fail("is not a stakework slashing-protection database (no stakework metadata)")
            if meta.get("schema_version") != str(SCHEMA_VERSION):
                raise SlashingProtectionError(
                    f"{self.path}: written with schema version {meta.get('schema_version')}, this stakework reads "
                    f"version {SCHEMA_VERSION}. Export it with the stakework version that wrote it "
                    "(stakework slashing-protection export) and import the interchange file into a new database"
                )
            try:
                stored = bytes.fromhex(meta.get("genesis_validators_root", ""))
            except ValueError:
                raise self._fail("has a malformed genesis_validators_root in its metadata") from None
            if create and stored != self.genesis_validators_root:
                raise SlashingProtectionError(
                    f"{self.path}: records chain with genesis_validators_root 0x{stored.hex()}, not "
                    f"0x{self.genesis_validators_root.hex()}; use a separate database for each chain"
                )
            self.genesis_validators_root = stored
            conn.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SlashingProtection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed (durably) on success, rolled back on any exception."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise SlashingProtectionError(f"{self.path}: cannot start a transaction ({exc})") from None
        try:
            yield conn
        except BaseException:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise SlashingProtectionError(f"{self.path}: could not commit the record ({exc}); not signing") from None

    def _validator_id(self, conn: sqlite3.Connection, pubkey: bytes) -> int:
        conn.execute("INSERT OR IGNORE INTO validators (pubkey) VALUES (?)", (pubkey,))
        row = conn.execute("SELECT id FROM validators WHERE pubkey = ?", (pubkey,)).fetchone()
        return int(row[0])

    # -- EIP-3076 checks ----------------------------------------------------------------------------------
    def check_and_record_block(self, pubkey: bytes, slot: int, signing_root: bytes) -> None:
        """EIP-3076 conditions 1 and 2: refuse (SlashableError) a double proposal or a slot at or below the
        validator's lowest signed slot (or imported watermark); otherwise record it durably before returning.
        Re-signing the identical block (same slot and signing root) is allowed and records nothing new."""
        pubkey = _check_bytes(pubkey, 48, "pubkey")
        slot = _check_uint(slot, "slot")
        signing_root = _check_bytes(signing_root, 32, "signing_root")
        try:
            with self._write() as conn:
                vid = self._validator_id(conn, pubkey)
                row = conn.execute(
                    "SELECT signing_root FROM signed_blocks WHERE validator_id = ? AND slot = ?", (vid, slot)
                ).fetchone()
                if row is not None:
                    if row[0] is not None and bytes(row[0]) == signing_root:
                        return  # repeat signing: not slashable
                    raise SlashableError(
                        f"refusing to sign: double proposal: validator {_short(pubkey)} already signed a block at "
                        f"slot {slot} with signing root {_root_text(row[0])}"
                    )
                low = conn.execute(
                    "SELECT MIN(slot), (SELECT block_watermark FROM validators WHERE id = ?) "
                    "FROM signed_blocks WHERE validator_id = ?",
                    (vid, vid),
                ).fetchone()
                bound = max((v for v in low if v is not None), default=None)
                if bound is not None and slot <= bound:
                    raise SlashableError(
                        f"refusing to sign: block at slot {slot} is at or below the low watermark {bound} of "
                        f"validator {_short(pubkey)} (EIP-3076: slot must exceed the lowest signed slot)"
                    )
                conn.execute(
                    "INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)",
                    (vid, slot, signing_root),
                )
        except sqlite3.Error as exc:
            raise SlashingProtectionError(f"{self.path}: database error ({exc}); not signing") from None

    def check_and_record_attestation(
        self, pubkey: bytes, source_epoch: int, target_epoch: int, signing_root: bytes
    ) -> None:
        """EIP-3076 conditions 3, 4 and 5: refuse (SlashableError) a double vote, a surrounding or surrounded
        vote, a source below the lowest signed source or a target at or below the lowest signed target;
        otherwise record it durably before returning. Re-signing the identical attestation is allowed."""
        pubkey = _check_bytes(pubkey, 48, "pubkey")
        source = _check_uint(source_epoch, "source_epoch")
        target = _check_uint(target_epoch, "target_epoch")
        signing_root = _check_bytes(signing_root, 32, "signing_root")
        if source > target:
            raise SlashableError(f"refusing to sign: attestation source epoch {source} is after its target {target}")
        who = _short(pubkey)
        try:
            with self._write() as conn:
                vid = self._validator_id(conn, pubkey)
                same_target = conn.execute(
                    "SELECT source_epoch, signing_root FROM signed_attestations "
                    "WHERE validator_id = ? AND target_epoch = ?",
                    (vid, target),
                ).fetchall()
                if same_target:
                    if all(r[1] is not None and bytes(r[1]) == signing_root and r[0] == source for r in same_target):
                        return  # repeat signing: not slashable
                    other = next(
                        r for r in same_target if r[1] is None or bytes(r[1]) != signing_root or r[0] != source
                    )
                    raise SlashableError(
                        f"refusing to sign: double vote: validator {who} already signed an attestation with target "
                        f"epoch {target} (source {other[0]}, signing root {_root_text(other[1])})"
                    )
                surrounded_by = conn.execute(
                    "SELECT source_epoch, target_epoch FROM signed_attestations "
                    "WHERE validator_id = ? AND source_epoch < ? AND target_epoch > ? LIMIT 1",
                    (vid, source, target),
                ).fetchone()
                if surrounded_by is not None:
                    raise SlashableError(
                        f"refusing to sign: surrounded vote: attestation {source}->{target} of validator {who} is "
                        f"surrounded by its signed attestation {surrounded_by[0]}->{surrounded_by[1]}"
                    )
                surrounding = conn.execute(
                    "SELECT source_epoch, target_epoch FROM signed_attestations "
                    "WHERE validator_id = ? AND source_epoch > ? AND target_epoch < ? LIMIT 1",
                    (vid, source, target),
                ).fetchone()
                if surrounding is not None:
                    raise SlashableError(
                        f"refusing to sign: surrounding vote: attestation {source}->{target} of validator {who} "
                        f"surrounds its signed attestation {surrounding[0]}->{surrounding[1]}"
                    )
                low = conn.execute(
                    "SELECT MIN(a.source_epoch), MIN(a.target_epoch), v.source_watermark, v.target_watermark "
                    "FROM validators v LEFT JOIN signed_attestations a ON a.validator_id = v.id WHERE v.id = ?",
                    (vid,),
                ).fetchone()
                source_bound = max((v for v in (low[0], low[2]) if v is not None), default=None)
                target_bound = max((v for v in (low[1], low[3]) if v is not None), default=None)
                if source_bound is not None and source < source_bound:
                    raise SlashableError(
                        f"refusing to sign: attestation source epoch {source} is below the low watermark "
                        f"{source_bound} of validator {who} (EIP-3076 condition 4)"
                    )
                if target_bound is not None and target <= target_bound:
                    raise SlashableError(
                        f"refusing to sign: attestation target epoch {target} is at or below the low watermark "
                        f"{target_bound} of validator {who} (EIP-3076 condition 5)"
                    )
                conn.execute(
                    "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) "
                    "VALUES (?, ?, ?, ?)",
                    (vid, source, target, signing_root),
                )
        except sqlite3.Error as exc:
            raise SlashingProtectionError(f"{self.path}: database error ({exc}); not signing") from None

    # -- EIP-3076 interchange ----------------------------------------------------------------------------
    def export_interchange(self) -> dict[str, object]:
        """The database as an EIP-3076 interchange document (format version 5), read in one snapshot. Export only
        while no validator client is signing with this database (EIP-3076).

        Every attestation is written. Blocks below a validator's imported block floor are left out: the floor
        refuses them anyway (but for an identical re-signing), and without them the file's lowest slot is the
        floor itself, so the importing database refuses the same gap (EIP-3076 condition 2). Attestation floors
        cannot be carried that way (a record below a floor can still matter to the surround rule and must be
        written), so after export and import they are the lowest recorded source and target epochs."""
        conn = self._conn
        try:
            conn.execute("BEGIN")
            try:
                validators = conn.execute("SELECT id, pubkey FROM validators ORDER BY pubkey").fetchall()
                data: list[dict[str, object]] = []
                for vid, pubkey in validators:
                    blocks = [
                        _with_root({"slot": str(slot)}, root)
                        for slot, root in conn.execute(
                            "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ?1 AND slot >= "
                            "COALESCE((SELECT block_watermark FROM validators WHERE id = ?1), 0) ORDER BY slot",
                            (vid,),
                        )
                    ]
                    attestations = [
                        _with_root({"source_epoch": str(s), "target_epoch": str(t)}, root)
                        for s, t, root in conn.execute(
                            "SELECT source_epoch, target_epoch, signing_root FROM signed_attestations "
                            "WHERE validator_id = ? ORDER BY target_epoch, source_epoch",
                            (vid,),
                        )
                    ]
                    data.append(
                        {
                            "pubkey": "0x" + bytes(pubkey).hex(),
                            "signed_blocks": blocks,
                            "signed_attestations": attestations,
                        }
                    )
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise SlashingProtectionError(f"{self.path}: database error during export ({exc})") from None
        return {
            "metadata": {
                "interchange_format_version": INTERCHANGE_FORMAT_VERSION,
                "genesis_validators_root": "0x" + self.genesis_validators_root.hex(),
            },
            "data": data,
        }

    def import_interchange(self, document: object, source: str = "<interchange>") -> ImportSummary:
        """Merge an EIP-3076 interchange document (format version 5) into the database in one transaction.

        The whole document is validated first (any error: nothing imported). A genesis_validators_root other
        than this database's is refused. Every record is added (never removed), so later checks see the imported
        history itself; per validator, the low watermarks rise to this file's lowest slot, source and target epoch
        (EIP-3076 conditions 2, 4 and 5 for this file; no signing in a gap between two imports). Import only while
        no validator client is signing."""
        parsed = _parse_interchange(document, source)
        if parsed.genesis_validators_root != self.genesis_validators_root:
            raise SlashingProtectionError(
                f"{source}: genesis_validators_root mismatch: the file is for chain "
                f"0x{parsed.genesis_validators_root.hex()}, this database ({self.path}) is for "
                f"0x{self.genesis_validators_root.hex()}; refusing to import history from another network"
            )
        blocks = attestations = 0
        try:
            with self._write() as conn:
                for record in parsed.records:
                    vid = self._validator_id(conn, record.pubkey)
                    for slot, root in record.blocks:
                        blocks += 1
                        row = conn.execute(
                            "SELECT signing_root FROM signed_blocks WHERE validator_id = ? AND slot = ?", (vid, slot)
                        ).fetchone()
                        if row is None:
                            conn.execute(
                                "INSERT INTO signed_blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)",
                                (vid, slot, root),
                            )
                        elif row[0] is not None and (root is None or bytes(row[0]) != root):
                            # two different (or unknown) blocks at one slot: no new block may match either
                            conn.execute(
                                "UPDATE signed_blocks SET signing_root = NULL WHERE validator_id = ? AND slot = ?",
                                (vid, slot),
                            )
                    for s, t, root in record.attestations:
                        attestations += 1
                        exists = conn.execute(
                            "SELECT 1 FROM signed_attestations WHERE validator_id = ? AND source_epoch = ? "
                            "AND target_epoch = ? AND signing_root IS ?",
                            (vid, s, t, root),
                        ).fetchone()
                        if exists is None:
                            conn.execute(
                                "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, "
                                "signing_root) VALUES (?, ?, ?, ?)",
                                (vid, s, t, root),
                            )
                # EIP-3076 conditions 2, 4, 5 for this file: min over its data, per pubkey (a file may list one
                # pubkey twice); the floor only ever rises
                for pubkey, (slot_min, source_min, target_min) in _floors(parsed.records).items():
                    vid = self._validator_id(conn, pubkey)
                    conn.execute(
                        "UPDATE validators SET "  # MAX(x, NULL) is NULL in SQLite: a missing side keeps the other
                        "block_watermark = MAX(COALESCE(block_watermark, ?1), COALESCE(?1, block_watermark)), "
                        "source_watermark = MAX(COALESCE(source_watermark, ?2), COALESCE(?2, source_watermark)), "
                        "target_watermark = MAX(COALESCE(target_watermark, ?3), COALESCE(?3, target_watermark)) "
                        "WHERE id = ?4",
                        (slot_min, source_min, target_min, vid),
                    )
        except sqlite3.Error as exc:
            raise SlashingProtectionError(
                f"{self.path}: database error during import ({exc}); nothing imported"
            ) from None
        return ImportSummary(validators=len(parsed.records), blocks=blocks, attestations=attestations)


def _floors(records: list[_Record]) -> dict[bytes, tuple[int | None, int | None, int | None]]:
    """Per pubkey: the lowest slot, source epoch and target epoch in one interchange file (EIP-3076 conditions 2, 4
    and 5 take the minimum over the file's `data` for that pubkey), None where the file has no such message."""
    slots: dict[bytes, list[int]] = {}
    sources: dict[bytes, list[int]] = {}
    targets: dict[bytes, list[int]] = {}
    for record in records:
        slots.setdefault(record.pubkey, []).extend(slot for slot, _ in record.blocks)
        sources.setdefault(record.pubkey, []).extend(a[0] for a in record.attestations)
        targets.setdefault(record.pubkey, []).extend(a[1] for a in record.attestations)
    return {
        pubkey: (
            min(slots[pubkey], default=None),
            min(sources[pubkey], default=None),
            min(targets[pubkey], default=None),
        )
        for pubkey in slots
    }


def _with_root(item: dict[str, object], root: bytes | None) -> dict[str, object]:
    if root is not None:
        item["signing_root"] = "0x" + bytes(root).hex()
    return item


@dataclass(frozen=True)
class _Record:
    pubkey: bytes
    blocks: list[tuple[int, bytes | None]]
    attestations: list[tuple[int, int, bytes | None]]


@dataclass(frozen=True)
class _Interchange:
    genesis_validators_root: bytes
    records: list[_Record]


def _parse_interchange(document: object, source: str) -> _Interchange:
    """Validate an EIP-3076 interchange document; errors name the file and the offending item."""

    def bad(where: str, what: str) -> SlashingProtectionError:
        return SlashingProtectionError(f"{source}: {where} {what} (not a valid EIP-3076 interchange file)")

    def obj(value: object, where: str) -> dict[str, object]:
        if not isinstance(value, dict):
            raise bad(where, "is missing or not an object")
        return {str(k): v for k, v in value.items()}

    def arr(value: object, where: str) -> list[object]:
        if not isinstance(value, list):
            raise bad(where, "is missing or not a list")
        return value

    def hexbytes(value: object, where: str, length: int) -> bytes:
        if not isinstance(value, str) or not value.startswith(("0x", "0X")):
            raise bad(where, "must be a 0x-prefixed hex string")
        try:
            data = bytes.fromhex(value[2:])
        except ValueError:
            raise bad(where, f"is not hex: {value[:24]!r}") from None
        if len(data) != length:
            raise bad(where, f"has {len(data)} bytes, expected {length}")
        return data

    def uint(value: object, where: str) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            number = int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise bad(where, f"must be a decimal string, not {value!r}")
        if not 0 <= number <= MAX_INTEGER:
            raise bad(where, f"{number} is out of range")
        return number

    def root(item: dict[str, object], where: str) -> bytes | None:
        value = item.get("signing_root")
        return None if value is None else hexbytes(value, f"{where}.signing_root", 32)

    top = obj(document, "document")
    metadata = obj(top.get("metadata"), "metadata")
    version = metadata.get("interchange_format_version")
    if str(version) != INTERCHANGE_FORMAT_VERSION:
        raise SlashingProtectionError(
            f"{source}: interchange_format_version {version!r} is not supported (EIP-3076 version 5 only); "
            "export it again from a client that writes version 5"
        )
    gvr = hexbytes(metadata.get("genesis_validators_root"), "metadata.genesis_validators_root", 32)
    records = []
    for i, raw in enumerate(arr(top.get("data"), "data")):
        where = f"data[{i}]"
        item = obj(raw, where)
        pubkey = hexbytes(item.get("pubkey"), f"{where}.pubkey", 48)
        blocks = []
        for j, b in enumerate(arr(item.get("signed_blocks"), f"{where}.signed_blocks")):
            bw = f"{where}.signed_blocks[{j}]"
            block = obj(b, bw)
            blocks.append((uint(block.get("slot"), f"{bw}.slot"), root(block, bw)))
        attestations = []
        for j, a in enumerate(arr(item.get("signed_attestations"), f"{where}.signed_attestations")):
            aw = f"{where}.signed_attestations[{j}]"
            att = obj(a, aw)
            s = uint(att.get("source_epoch"), f"{aw}.source_epoch")
            t = uint(att.get("target_epoch"), f"{aw}.target_epoch")
            # source > target is nonsense, but EIP-3076's schema allows it and a buggy client may have exported
            # it: kept as recorded, it only makes the surround rule and the source floor stricter
            attestations.append((s, t, root(att, aw)))
        records.append(_Record(pubkey, blocks, attestations))
    return _Interchange(gvr, records)
