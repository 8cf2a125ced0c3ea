"""Conflicts: concurrent edits that lost the merge, and resolving them (keep this / keep that / edit).

Each resolution is a new op on the field, superseding every head of that field, so it travels to the
other machines like any edit and settles the conflict there too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.writes import decode_value
from mpoffice_tui.sync import state
from mpoffice_tui.sync.merge import rebuild_rows


@dataclass(frozen=True)
class ConflictView:
    id: str
    tbl: str
    row_id: str
    field: str
    this_value: Any  # the value shown now (the winner)
    that_value: Any  # the concurrent value that lost
    that_site: str
    that_code: str


def list_conflicts(office, tbl: str | None = None, row_id: str | None = None) -> list[ConflictView]:
    """Open conflicts, optionally of one table or one row."""
    sql = "SELECT id, tbl, row_id, field, loser_site, loser_value FROM conflict WHERE resolved = 0"
    args: list = []
    if tbl:
        sql += " AND tbl = ?"
        args.append(tbl)
    if row_id:
        sql += " AND row_id = ?"
        args.append(row_id)
    out = []
    with office.engine.connect() as conn:
        codes = {s.site: s.code for s in state.sites(conn).values()}
        codes[office.site_id] = office.site_code
        for cid, t, rid, field, site, value in conn.exec_driver_sql(sql + " ORDER BY tbl, row_id, field", tuple(args)):
            row = conn.exec_driver_sql(f'SELECT "{field}" FROM "{t}" WHERE id = ?', (rid,)).fetchone()
            out.append(ConflictView(cid, t, rid, field, row[0] if row else None,
                                    decode_value(json.loads(value)), site, codes.get(site, "?")))
    return out


def count_open(conn) -> int:
    return int(conn.exec_driver_sql("SELECT count(*) FROM conflict WHERE resolved = 0").fetchone()[0])


def resolve(office, conflict_id: str, choice: str, value: Any = None) -> ConflictView:
    """Settle a field's conflict: "this" keeps the shown value, "that" takes the losing one, "edit"
    sets `value`. Recorded as a new op that supersedes every concurrent head of the field."""
    if choice not in ("this", "that", "edit"):
        raise OfficeError("choose 'this', 'that' or 'edit'")
    found = [c for c in list_conflicts(office) if c.id == conflict_id]
    if not found:
        raise OfficeError(f"no open conflict {conflict_id!r}")
    c = found[0]
    chosen = {"this": c.this_value, "that": c.that_value, "edit": value}[choice]
    with office.writing() as w:
        conn = w.session.connection()
        head = conn.exec_driver_sql(
            "SELECT site, seq FROM field_head WHERE tbl = ? AND row_id = ? AND field IN (?, '*') "
            "ORDER BY hlc DESC, site DESC LIMIT 1", (c.tbl, c.row_id, c.field)).fetchone()
        losers = [(s, int(n)) for s, n in conn.exec_driver_sql(
            "SELECT loser_site, loser_seq FROM conflict WHERE tbl = ? AND row_id = ? AND field = ? AND resolved = 0",
            (c.tbl, c.row_id, c.field))]
        w.record(c.tbl, c.row_id, c.field, chosen, prev=(head[0], int(head[1])) if head else None,
                 supersedes=losers)
        rebuild_rows(conn, [(c.tbl, c.row_id)])
        w.audit("sync.conflict.resolve", target=f"{c.tbl}:{c.row_id}", detail=f"{c.field}: kept {choice}")
    return c
