"""Replicas of one office for sync tests: made by a real invite and join, exchanged through real bundles."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from conftest import PASSPHRASE

INVITE = "one-time invitation words"


def copy_db(src: Path, dst: Path) -> None:
    """Copy a closed office file with its key slots (and WAL, if any)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".keys", "-wal"):
        if Path(str(src) + suffix).exists():
            shutil.copyfile(str(src) + suffix, str(dst) + suffix)


def make_replicas(root: Path, names: tuple[str, ...] = ("a", "b")) -> None:
    """`names[0]` created (manager 'Ann Manager'), each later one joined by an invitation from the first."""
    from mpoffice_tui.db.engine import create_office, open_office
    from mpoffice_tui.sync import enrol

    first = create_office(root / f"{names[0]}.mpo", office_name="Office of Jane Smith MP", mp_name="Jane Smith MP",
                          staff_name="Ann Manager", passphrase=PASSPHRASE).office
    first.close()
    for name in names[1:]:
        office = open_office(root / f"{names[0]}.mpo", PASSPHRASE)
        inv = enrol.invite(office, root, passphrase=INVITE)
        office.close()
        enrol.join(inv.path, INVITE, root / f"{name}.mpo")


def open_pair(template: Path, dest: Path) -> tuple:
    """Private open copies (A, B) of a pair made by `make_replicas(template)`; close them after use."""
    from mpoffice_tui.db.engine import open_office

    for name in ("a", "b"):
        copy_db(template / f"{name}.mpo", dest / name / f"{name}.mpo")
    return open_office(dest / "a" / "a.mpo", PASSPHRASE), open_office(dest / "b" / "b.mpo", PASSPHRASE)


def send(sender, receiver) -> None:
    """One bundle from `sender`, imported by `receiver` (in memory: no file left behind)."""
    from mpoffice_tui.sync import bundle

    data, _ = bundle.build(sender)
    bundle.import_bundle(receiver, Path(f"{sender.site_code}.mposync"), data)


def exchange(*offices) -> None:
    """Every office sends to every other, twice over (so what arrived is passed on)."""
    for _ in range(2):
        for sender in offices:
            for receiver in offices:
                if receiver is not sender:
                    send(sender, receiver)


def decrypted_file(office) -> bytes:
    """Every page of the office's database file and WAL, decrypted: what an attacker with the key reads,
    free pages and old WAL frames included (SQLCipher 4: AES-256-CBC per page, the IV in the page's
    reserved tail, the first page's first 16 bytes the salt)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    page, reserve = 4096, 80
    key = office.data_key

    def clear(p: bytes, first: bool) -> bytes:
        if len(p) < page:
            return b""
        dec = Cipher(algorithms.AES(key), modes.CBC(p[page - reserve:page - reserve + 16])).decryptor()
        return dec.update(p[16 if first else 0:page - reserve]) + dec.finalize()

    path = Path(office.path)
    data = path.read_bytes()
    out = [clear(data[i:i + page], i == 0) for i in range(0, len(data), page)]
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        frames = wal.read_bytes()[32:]
        out += [clear(frames[i + 24:i + 24 + page], False) for i in range(0, len(frames), 24 + page)]
    return b"".join(out)


SCHEMA_1 = """
DROP INDEX ix_ops_erase;
DROP TABLE erased;
DROP TABLE link_history;
CREATE TABLE field_head_v1 (tbl VARCHAR NOT NULL, row_id VARCHAR NOT NULL, field VARCHAR NOT NULL,
    hlc INTEGER NOT NULL, site VARCHAR NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tbl, row_id, field));
INSERT OR REPLACE INTO field_head_v1 SELECT tbl, row_id, field, hlc, site, seq FROM field_head
    ORDER BY hlc, site, seq;
DROP TABLE field_head;
ALTER TABLE field_head_v1 RENAME TO field_head;
DELETE FROM office_meta WHERE key LIKE 'erasure.%';
PRAGMA user_version = 1;
"""


def _old_bytes(data: bytes, repr_text: bool):
    return repr(data) if repr_text else {"$b64": base64.b64encode(data).decode("ascii")}


def before_rights(conn) -> None:
    """Undo migration 0009 on a raw DB-API connection: no representatives on requests, no redaction decisions."""
    conn.execute("DROP TABLE IF EXISTS redaction_decisions")
    for col in ("requester_name", "requester_relation", "requester_address", "authority", "extension_reason"):
        conn.execute(f"ALTER TABLE subject_access_requests DROP COLUMN {col}")


def _tables_from(version: int) -> list[str]:
    """The tables created by the migrations numbered `version` and later."""
    import re

    from mpoffice_tui.db import engine

    return [name for v, sql in engine.migrations() if v >= version
            for name in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", sql)]


def before_search(conn) -> None:
    """Undo migration 0005 on a raw DB-API connection: no notes' or attachments' index, no names vocabulary
    (and the later migrations first)."""
    from mpoffice_tui.db import engine

    before_rights(conn)
    for table in _tables_from(7):  # the tables of migrations 0007 on are made again by the upgrade
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DROP TABLE constituents_vocab")
    for fts in ("notes_fts", "attachments_fts"):
        for kind in ("ai", "ad", "au"):
            conn.execute(f"DROP TRIGGER {fts}_{kind}")
        conn.execute(f"DROP TABLE {fts}")
    conn.execute(f"PRAGMA user_version = {max(v for v, _ in engine.migrations() if v < 5)}")


def before_blobs(conn, *, repr_text: bool = False) -> None:
    """Turn a file back into the shape before blobs (migration 0004) on a raw DB-API connection: each
    message's original in `raw`, each attachment's bytes in `data` beside `sha256`, and the ops holding the
    bytes (base64, or with `repr_text` the text of a Python repr, as ops written before the encoding fix
    held them)."""
    from mpoffice_tui.db import blobs, engine
    from mpoffice_tui.db.writes import dumps

    before_search(conn)

    def held(digest):
        row = conn.execute("SELECT codec, data FROM blobs WHERE hash = ?", (digest,)).fetchone()
        return blobs.unpack(row[0], bytes(row[1])) if row else None

    conn.execute("ALTER TABLE messages ADD COLUMN raw BLOB")
    conn.execute("ALTER TABLE attachments ADD COLUMN data BLOB NOT NULL DEFAULT x''")
    for rowid, digest in conn.execute("SELECT rowid, raw_hash FROM messages").fetchall():
        conn.execute("UPDATE messages SET raw = ? WHERE rowid = ?", (held(digest), rowid))
    for rowid, digest in conn.execute("SELECT rowid, blob_hash FROM attachments").fetchall():
        conn.execute("UPDATE attachments SET data = ? WHERE rowid = ?", (held(digest) or b"", rowid))
    for rowid, value in conn.execute("SELECT rowid, value FROM ops WHERE field = '*' AND tbl IN "
                                          "('messages', 'attachments')").fetchall():
        v, out = json.loads(value), {}
        for k, x in v.items():
            if k == "raw_hash":
                data = held(x)
                out["raw"] = None if data is None else _old_bytes(data, repr_text)
            elif k == "blob_hash":
                out["sha256"] = x
                out["data"] = _old_bytes(held(x) or b"", repr_text)
            else:
                out[k] = x
        conn.execute("UPDATE ops SET value = ? WHERE rowid = ?", (dumps(out), rowid))
    conn.execute("ALTER TABLE messages DROP COLUMN raw_hash")
    conn.execute("ALTER TABLE attachments RENAME COLUMN blob_hash TO sha256")
    conn.execute("DROP TABLE blobs")
    conn.execute(f"PRAGMA user_version = {max(v for v, _ in engine.migrations() if v < 4)}")


def as_schema_1(office, *statements: tuple[str, tuple]) -> None:
    """Turn an open office's file back into schema 1 (field_head holding only each field's winner, no erasure
    record), then run `statements` on it: the state an office of the previous version was left in."""
    raw = office.engine.raw_connection()
    try:
        conn = raw.driver_connection
        before_blobs(conn)
        for table in ("mail_accounts", "mail_secrets", "mail_folders", "outgoing_mail"):  # migration 0003
            conn.execute(f"DROP TABLE {table}")
        for sql in SCHEMA_1.strip().split(";\n"):
            conn.execute(sql)
        for sql, args in statements:
            conn.execute(sql, args)
    finally:
        raw.close()
