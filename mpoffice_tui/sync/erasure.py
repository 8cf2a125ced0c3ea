"""Erasure (UK GDPR): a replicated fact about a row and everything linked to it (`db.models.ERASURE_LINKS`).

Every machine that holds a `$erase` op records the rows it reaches in `erased` and rebuilds them
redacted (`merge.rebuild_rows`): personal fields blank in the row and in the value of every op of it,
except what the erasure itself kept. Rows about an erased person that arrive later, from any machine,
are redacted on arrival; the write path refuses new ones where the erasure is known.

Blanking a value in place still leaves the old bytes in freed pages, the WAL and the full-text
indexes' segments until `scrub` rewrites them; `sync.bundle.import_bundle` and `enrol.join` call
`scrub_if_pending` after applying ops, which scrubs whenever something was redacted, so a replica is
clean on its own. An office upgraded from a version that erased only the rows it held is reconciled
once (`reconcile`) at its next import or erasure.
"""

from __future__ import annotations

from mpoffice_tui.db import blobs
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SHARED_TABLES
from mpoffice_tui.db.search import FTS_INDEXES
from mpoffice_tui.sync.merge import ERASE, SCRUB_PENDING, everything_about, rebuild_rows

SCRUB_META = "retention.last_scrub_hlc"  # local: the newest erase op already scrubbed out of the file
RECONCILE = "erasure.reconcile"  # office_meta, set by migration 0002: erasures to carry to all they reach
_SCRUB_FTS = [name for name, (table, _) in FTS_INDEXES.items() if table != "electors"]


def erase(office, tbl: str, row_id: str) -> None:
    """Erase one shared row's personal data here and, through sync, on every machine."""
    if tbl not in SHARED_TABLES:
        raise OfficeError(f"{tbl!r} is not a shared table")
    with office.writing() as w:
        conn = w.session.connection()
        if conn.exec_driver_sql(f'SELECT 1 FROM "{tbl}" WHERE id = ?', (row_id,)).fetchone() is None:
            raise OfficeError(f"no {tbl} row {row_id}")
        w.record(tbl, row_id, ERASE, None)
        rebuild_rows(conn, [(tbl, row_id)])
    with office.engine.begin() as conn:  # drop erased words from the search indexes' segments too
        for fts in _SCRUB_FTS:
            conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")


def _flag(office, key: str) -> bool:
    """A flag in office_meta written inside a sync transaction (read from the file, not the meta cache)."""
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT value FROM office_meta WHERE key = ?", (key,)).fetchone()
    return bool(row and row[0] == "1")


def reconcile(office) -> int:
    """Carry every erasure here to all the rows it reaches (once, after an upgrade); returns rows rebuilt."""
    with office.writing() as w:
        conn = w.session.connection()
        seeds = [(t, r) for t, r in conn.exec_driver_sql("SELECT tbl, row_id FROM erased ORDER BY tbl, row_id")]
        rows = everything_about(conn, seeds) if seeds else []
        count = rebuild_rows(conn, rows) if rows else 0
    office.set_meta(RECONCILE, "0")
    return count


def reconcile_if_needed(office) -> bool:
    """`reconcile` when an upgrade asked for it; returns whether it ran."""
    if not _flag(office, RECONCILE):
        return False
    reconcile(office)
    return True


def scrub(office) -> None:
    """Leave no erased value in the file: drop the blobs no row names any more (an erased message's original,
    an erased attachment: on every machine, since each rebuilds the rows redacted), merge the full-text
    indexes (dropping deleted entries), VACUUM (rewriting every page, so freed pages go) and truncate the WAL."""
    with office.engine.begin() as conn:
        blobs.collect_garbage(conn)
    raw = office.engine.raw_connection()
    try:
        conn = raw.driver_connection
        for fts in _SCRUB_FTS:
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
        conn.execute("DELETE FROM office_meta WHERE key = ?", (SCRUB_PENDING,))
        conn.commit()
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        top = conn.execute("SELECT coalesce(max(hlc), 0) FROM ops WHERE field = ?", (ERASE,)).fetchone()[0]
    finally:
        raw.close()
    office.set_meta(SCRUB_META, str(top))


def erasures_pending_scrub(office) -> bool:
    """Whether something was redacted (or erase ops arrived) since the last scrub."""
    if _flag(office, SCRUB_PENDING):
        return True
    last = office.meta(SCRUB_META, "0") or "0"
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT max(hlc) FROM ops WHERE field = ?", (ERASE,)).fetchone()
    return bool(row and row[0] and int(row[0]) > int(last))


def scrub_if_pending(office) -> bool:
    """Reconcile erasures if an upgrade asked for it, then scrub when anything was redacted since the last
    scrub; returns whether it scrubbed."""
    reconcile_if_needed(office)
    if not erasures_pending_scrub(office):
        return False
    scrub(office)
    return True
