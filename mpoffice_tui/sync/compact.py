"""Compacting the op history once every machine has it (DESIGN §5).

An op is deleted when both hold:
- every active machine of the office has acknowledged it (`state.floor_for_export`: no bundle will ever
  need to carry it again; with no other machine, everything held counts), and
- it is superseded: a later op of its field names it as seen, so it is no head (`field_head`) and no
  longer decides a value or a conflict anywhere it is held with its successor.

What stays, and why:
- every whole-row insert ("*"): the base each row is rebuilt from (the columns never edited since);
- every head of every field: the values shown and the concurrent values kept as open conflicts;
- every erasure op ("$…"): the fact each machine keeps applying to whatever arrives about the person;
- every op some active machine has not acknowledged: the next bundle must still carry it.

The earlier values of link columns go to `link_history` first (an erasure reaches rows that were ever
linked). The compacted floor is kept per origin (`state.COMPACTED`), so the version vector still counts
those ops as held and a bundle bringing one of them again does not put it back; blobs no row names go too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mpoffice_tui.db import blobs
from mpoffice_tui.db.models import LINK_COLUMNS
from mpoffice_tui.sync import state

_SUPERSEDED = ("o.site = ? AND o.seq <= ? AND o.field != '*' AND substr(o.field, 1, 1) != '$' AND NOT EXISTS "
               "(SELECT 1 FROM field_head h WHERE h.tbl = o.tbl AND h.row_id = o.row_id AND h.field = o.field "
               "AND h.site = o.site AND h.seq = o.seq)")


@dataclass(frozen=True)
class Compacted:
    ops_before: int
    ops_deleted: int
    blobs_deleted: int
    floor: dict[str, int]  # per origin: ops at or below this seq were considered (all machines hold them)
    bytes_before: int
    bytes_after: int


def _file_size(office) -> int:
    return sum(p.stat().st_size for p in (office.path, office.path.with_name(office.path.name + "-wal"))
               if p.exists())


def compact(office, *, vacuum: bool = True) -> Compacted:
    """Delete the ops every machine has acknowledged and a later op superseded (one transaction), drop the
    blobs no row names, then VACUUM so the file shrinks."""
    before = _file_size(office)
    with office.writing() as w:
        conn = w.session.connection()
        total = int(conn.exec_driver_sql("SELECT count(*) FROM ops").scalar() or 0)
        own = state.vector(conn)
        acked = state.floor_for_export(conn, office.site_id) or own  # no other machine: all is acknowledged
        floor = {site: min(n, own.get(site, 0)) for site, n in acked.items() if min(n, own.get(site, 0)) > 0}
        links = ", ".join(f"'{c}'" for c in sorted(LINK_COLUMNS))
        deleted = 0
        for site, seq in sorted(floor.items()):
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO link_history (tbl, row_id, col, target) SELECT o.tbl, o.row_id, o.field, "
                f"json_extract(o.value, '$') FROM ops o WHERE {_SUPERSEDED} AND o.field IN ({links}) "
                "AND json_type(o.value) = 'text'", (site, seq))
            deleted += int(conn.exec_driver_sql(f"DELETE FROM ops AS o WHERE {_SUPERSEDED}", (site, seq)).rowcount or 0)
        done = state.vmax(state.compacted(conn), floor)
        conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)",
                             (state.COMPACTED, json.dumps(done, sort_keys=True)))
        gone = blobs.collect_garbage(w)
    office._meta_cache.pop(state.COMPACTED, None)
    if vacuum:
        raw = office.engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return Compacted(total, deleted, gone, floor, before, _file_size(office))
