"""Compacting the op history once every machine has it (DESIGN §5).

An edit op is deleted when both hold:
- every active machine of the office has acknowledged it (`state.floor_for_export`: no bundle will ever
  need to carry it again; with no other machine, everything held counts), and
- it is superseded: a later op of its field names it as seen, so it is no head (`field_head`) and no
  longer decides a value or a conflict anywhere it is held with its successor.

A whole-row insert ("*") every active machine has acknowledged is **folded into its row**: the op goes,
and the row itself is the base it is rebuilt from (`merge.base_op`). That is exact: the columns never
edited since hold the insert's values (rows change only through ops), and an edited column's inserted
value decides nothing (every edit is later than the insert its writer saw, so the insert is no head of
an edited field, and it never wins one). Inserts of erased rows, and rows holding more than one insert,
are kept as they are.

What stays, and why:
- every head of every field: the values shown and the concurrent values kept as open conflicts;
- every erasure op ("$…"): the fact each machine keeps applying to whatever arrives about the person;
- every op some active machine has not acknowledged: the next bundle must still carry it;
- the newest time of what was deleted (`COMPACTED_HLC`): this machine's clock never goes back behind an
  op another machine still holds, so a later edit here still wins there;
- the inserted value of a link column that was edited since goes to `link_history`, as the earlier
  values of link columns do (an erasure reaches rows that were ever linked).

The compacted floor is kept per origin (`state.COMPACTED`), so the version vector still counts those ops
as held and a bundle bringing one of them again does not put it back; blobs no row names go too. A new
machine joins from a snapshot of the rows (`sync.enrol`), never by replaying the history.

Compaction runs by itself at the end of a sync round (`compact_if_due`) once `AUTO_EVERY` acknowledged ops
have built up past what was compacted, at most `AUTO_MOST` ops of each origin at a time (a bounded
transaction) and without VACUUM (SQLite reuses the freed pages); `mpoffice sync compact` does it all at once
and shrinks the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mpoffice_tui.db import blobs
from mpoffice_tui.db.models import ERASURE_LINKS, LINK_COLUMNS, SHARED_TABLES
from mpoffice_tui.sync import state

_SUPERSEDED = ("o.site = ? AND o.seq <= ? AND o.field != '*' AND substr(o.field, 1, 1) != '$' AND NOT EXISTS "
               "(SELECT 1 FROM field_head h WHERE h.tbl = o.tbl AND h.row_id = o.row_id AND h.field = o.field "
               "AND h.site = o.site AND h.seq = o.seq)")


def _fold_inserts(conn, site: str, seq: int) -> int:
    """Fold the whole-row inserts of `site` up to `seq` into their rows (see the module docstring); returns
    how many ops went. The clock floor and the inserted values of since-edited link columns are kept."""
    foldable = ("o.site = ? AND o.seq <= ? AND o.field = '*' AND o.tbl = ? AND EXISTS (SELECT 1 FROM \"{t}\" r "
                "WHERE r.id = o.row_id) AND NOT EXISTS (SELECT 1 FROM erased e WHERE e.tbl = o.tbl AND e.row_id = "
                "o.row_id) AND NOT EXISTS (SELECT 1 FROM ops p WHERE p.row_id = o.row_id AND p.tbl = o.tbl AND "
                "p.field = '*' AND (p.site != o.site OR p.seq != o.seq))")
    deleted = 0
    for tbl in sorted(SHARED_TABLES):
        where = foldable.format(t=tbl)
        args = (site, seq, tbl)
        top = conn.exec_driver_sql(f"SELECT max(o.hlc) FROM ops o WHERE {where}", args).scalar()
        if top is None:
            continue
        for col, _ in ERASURE_LINKS.get(tbl, ()):
            conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO link_history (tbl, row_id, col, target) SELECT o.tbl, o.row_id, '{col}', "
                f"json_extract(o.value, '$.{col}') FROM ops o JOIN \"{tbl}\" r ON r.id = o.row_id WHERE {where} "
                f"AND json_type(o.value, '$.{col}') = 'text' AND json_extract(o.value, '$.{col}') IS NOT r.\"{col}\"",
                args)
        state.keep_clock_floor(conn, int(top))
        deleted += int(conn.exec_driver_sql(f"DELETE FROM ops AS o WHERE {where}", args).rowcount or 0)
    return deleted


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


AUTO_EVERY = 2_000  # acknowledged ops past the compacted floor that make a sync round compact
AUTO_MOST = 20_000  # at most this many ops of each origin in one automatic compaction


def _acknowledged(conn, site_id: str) -> dict[str, int]:
    """Per origin, the seq up to which every active machine holds its ops (all that is held here when this
    is the only machine)."""
    own = state.vector(conn)
    acked = state.floor_for_export(conn, site_id) or own
    return {site: min(n, own.get(site, 0)) for site, n in acked.items() if min(n, own.get(site, 0)) > 0}


def pending(office) -> int:
    """How many acknowledged ops (by seq) lie past what was compacted: what compaction would consider."""
    with office.engine.connect() as conn:
        done = state.compacted(conn)
        return sum(max(0, seq - done.get(site, 0)) for site, seq in _acknowledged(conn, office.site_id).items())


def compact_if_due(office) -> Compacted | None:
    """Compact (bounded, no VACUUM) when `AUTO_EVERY` acknowledged ops wait; None when it was not due."""
    if pending(office) < AUTO_EVERY:
        return None
    return compact(office, vacuum=False, most=AUTO_MOST)


def compact(office, *, vacuum: bool = True, most: int | None = None) -> Compacted:
    """Delete the ops every machine has acknowledged and a later op superseded (one transaction), drop the
    blobs no row names, then VACUUM so the file shrinks. `most` bounds how many ops (by seq) of each origin
    past the last compaction are considered."""
    before = _file_size(office)
    with office.writing() as w:
        conn = w.session.connection()
        total = int(conn.exec_driver_sql("SELECT count(*) FROM ops").scalar() or 0)
        floor = _acknowledged(conn, office.site_id)
        if most is not None:
            done_before = state.compacted(conn)
            floor = {site: min(seq, done_before.get(site, 0) + most) for site, seq in floor.items()}
        links = ", ".join(f"'{c}'" for c in sorted(LINK_COLUMNS))
        deleted = 0
        for site, seq in sorted(floor.items()):
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO link_history (tbl, row_id, col, target) SELECT o.tbl, o.row_id, o.field, "
                f"json_extract(o.value, '$') FROM ops o WHERE {_SUPERSEDED} AND o.field IN ({links}) "
                "AND json_type(o.value) = 'text'", (site, seq))
            deleted += int(conn.exec_driver_sql(f"DELETE FROM ops AS o WHERE {_SUPERSEDED}", (site, seq)).rowcount or 0)
            deleted += _fold_inserts(conn, site, seq)
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
