"""Erasure (UK GDPR): a replicated op that blanks a row's personal fields and the history of its ops.

Every machine that receives the `$erase` op blanks the row and the stored value of each of the row's
older ops (see `merge.rebuild`); ops written later (e.g. marking the record anonymised) apply as usual.
"""

from __future__ import annotations

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SHARED_TABLES
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
