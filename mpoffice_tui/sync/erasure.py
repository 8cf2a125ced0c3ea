"""Erasure (UK GDPR): a replicated op that blanks a row's personal fields and the history of its ops.

Every machine that receives the `$erase` op blanks the row and the stored value of each of the row's
older ops (see `merge.rebuild`); ops written later (e.g. marking the record anonymised) apply as usual.

Blanking a value in place still leaves the old bytes in freed pages, the WAL and the full-text
indexes' segments until `scrub` rewrites them; `sync.bundle.import_bundle` and `enrol.join` call
`scrub_if_pending` after applying ops that include an erasure, so a replica is clean on its own.
"""

from __future__ import annotations

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SHARED_TABLES
from mpoffice_tui.db.search import FTS_INDEXES
from mpoffice_tui.sync.merge import ERASE, rebuild_rows


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
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name LIKE '%\\_fts' "
                                                    "ESCAPE '\\' AND sql LIKE '%fts5%'")}
        for fts in sorted(names):
            conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")


SCRUB_META = "retention.last_scrub_hlc"  # local: the newest erase op already scrubbed out of the file
_SCRUB_FTS = [name for name, (table, _) in FTS_INDEXES.items() if table != "electors"]


def scrub(office) -> None:
    """Leave no erased value in the file: merge the full-text indexes (dropping deleted entries),
    VACUUM (rewriting every page, so freed pages go) and truncate the WAL."""
    raw = office.engine.raw_connection()
    try:
        conn = raw.driver_connection
        for fts in _SCRUB_FTS:
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        top = conn.execute("SELECT coalesce(max(hlc), 0) FROM ops WHERE field = ?", (ERASE,)).fetchone()[0]
    finally:
        raw.close()
    office.set_meta(SCRUB_META, str(top))


def erasures_pending_scrub(office) -> bool:
    """Whether erase ops arrived (or were written) since the last scrub."""
    last = office.meta(SCRUB_META, "0") or "0"
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT max(hlc) FROM ops WHERE field = ?", (ERASE,)).fetchone()
    return bool(row and row[0] and int(row[0]) > int(last))


def scrub_if_pending(office) -> bool:
    """Scrub when erasures arrived since the last scrub; returns whether it scrubbed."""
    if not erasures_pending_scrub(office):
        return False
    scrub(office)
    return True
