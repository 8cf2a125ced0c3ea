"""Python steps of the schema migrations: a line `-- python: NAME` in a migration file runs `STEPS[NAME]`
at that point, in the migration's transaction, on the raw DB-API connection. A step returns True when it
freed so much of the file that it should be vacuumed once the migration has committed.
"""

from __future__ import annotations

from collections.abc import Callable

from mpoffice_tui.db import blobs
from mpoffice_tui.db.legacy_bytes import LEGACY, OLD_FIELDS, lift_op, recover

PAGE = 2000  # rows read at a time


def _keeper(conn) -> Callable[[bytes], str]:
    def keep(data: bytes) -> str:
        digest = blobs.hash_of(data)
        if conn.execute("SELECT 1 FROM blobs WHERE hash = ?", (digest,)).fetchone() is None:
            codec, stored = blobs.pack(data)
            conn.execute("INSERT INTO blobs (hash, size, codec, data) VALUES (?, ?, ?, ?)",
                         (digest, len(data), codec, stored))
        return digest
    return keep


def _paged(conn, sql: str, *args):
    """Rows of `SELECT rowid, … WHERE rowid > ? … ORDER BY rowid LIMIT ?`, a page at a time."""
    last = 0
    while True:
        rows = conn.execute(sql, (*args, last, PAGE)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def move_bytes_to_blobs(conn) -> bool:
    """0004: every message's original and attachment's bytes into `blobs` (a repr text, as rows synced
    before the encoding fix hold, is read back into its bytes), the rows naming them by hash; every op that
    held the bytes rewritten to hold the hash, as the same op now reads on every machine."""
    keep = _keeper(conn)
    for rows in _paged(conn, "SELECT rowid, raw FROM messages WHERE raw IS NOT NULL AND rowid > ? "
                             "ORDER BY rowid LIMIT ?"):
        conn.executemany("UPDATE messages SET raw_hash = ? WHERE rowid = ?",
                         [(keep(recover(raw)), rowid) for rowid, raw in rows])
    for rows in _paged(conn, "SELECT rowid, data, blob_hash FROM attachments WHERE rowid > ? ORDER BY rowid LIMIT ?"):
        update = []
        for rowid, data, old_hash in rows:
            got = recover(data)
            update.append(("" if not got and not old_hash else keep(got or b""), rowid))
        conn.executemany("UPDATE attachments SET blob_hash = ? WHERE rowid = ?", update)
    for tbl, fields in OLD_FIELDS.items():
        marks = ", ".join("?" * (len(fields) + 1))
        for rows in _paged(conn, f"SELECT rowid, field, value FROM ops WHERE tbl = ? AND field IN ({marks}) "
                                 "AND rowid > ? ORDER BY rowid LIMIT ?", tbl, "*", *sorted(fields)):
            update = []
            for rowid, field, value in rows:
                got = lift_op(tbl, field, value, keep)
                if got is not None:
                    update.append((got[0], got[1], rowid))
            conn.executemany("UPDATE ops SET field = ?, value = ? WHERE rowid = ?", update)
        new = LEGACY[tbl][2]
        for old in sorted(fields):
            conn.execute("UPDATE OR IGNORE field_head SET field = ? WHERE tbl = ? AND field = ?", (new, tbl, old))
            conn.execute("DELETE FROM field_head WHERE tbl = ? AND field = ?", (tbl, old))
            conn.execute("UPDATE conflict SET field = ?, loser_value = 'null', resolved = 1 WHERE tbl = ? "
                         "AND field = ?", (new, tbl, old))
    return True


STEPS: dict[str, Callable[..., bool]] = {"move_bytes_to_blobs": move_bytes_to_blobs}


def run(name: str, conn) -> bool:
    """Run the named step; a name no step has is a broken migration file (a programming error)."""
    return bool(STEPS[name](conn))
