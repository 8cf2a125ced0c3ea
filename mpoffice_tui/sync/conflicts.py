"""Conflicts: concurrent edits that lost the merge, and resolving them (keep this / keep that / edit).

Each resolution is a new op on the field that names every head of the field as seen, so it travels to
the other machines like any edit and settles the conflict there too. A conflict on the lead field of a
group (`merge.INVARIANTS`: a case's status, outcome and closed date; a task's done flag and date) is the
whole group's: `this_group` and `that_group` hold both sides, and resolving it writes the whole group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.hlc import to_iso
from mpoffice_tui.db.writes import decode_value
from mpoffice_tui.sync import state
from mpoffice_tui.sync.merge import INVARIANTS, rebuild_rows


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
    this_group: dict[str, Any] | None = None  # a group's conflict: every field of it, shown now
    that_group: dict[str, Any] | None = None  # ...and as the losing write had them


def _lead(tbl: str, field: str) -> tuple[str, ...] | None:
    inv = INVARIANTS.get(tbl)
    return inv.fields if inv and inv.fields[0] == field else None


def list_conflicts(office, tbl: str | None = None, row_id: str | None = None) -> list[ConflictView]:
    """Open conflicts, optionally of one table or one row (in the same order on every machine)."""
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
        for cid, t, rid, field, site, value in conn.exec_driver_sql(sql + " ORDER BY tbl, row_id, field, id",
                                                                     tuple(args)):
            group = _lead(t, field)
            cols = group or (field,)
            row = conn.exec_driver_sql(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{t}" '
                                       "WHERE id = ?", (rid,)).fetchone()
            shown = dict(zip(cols, row, strict=True)) if row else {c: None for c in cols}
            that = decode_value(json.loads(value))
            if group:
                that = {k: decode_value(v) for k, v in (that or {}).items()}
                out.append(ConflictView(cid, t, rid, field, shown[field], that.get(field), site,
                                        codes.get(site, "?"), shown, that))
            else:
                out.append(ConflictView(cid, t, rid, field, shown[field], that, site, codes.get(site, "?")))
    return out


def count_open(conn) -> int:
    return int(conn.exec_driver_sql("SELECT count(*) FROM conflict WHERE resolved = 0").fetchone()[0])


def resolve(office, conflict_id: str, choice: str, value: Any = None) -> ConflictView:
    """Settle a field's conflict: "this" keeps the shown value, "that" takes the losing one, "edit"
    sets `value`. Recorded as a new op that supersedes every concurrent head of the field.

    For a group's conflict, "this" and "that" keep one side's whole group; "edit" sets the lead field to
    `value` (or the group to a dict), taking the rest from the side that had that value, else the rule.
    """
    if choice not in ("this", "that", "edit"):
        raise OfficeError("choose 'this', 'that' or 'edit'")
    found = [c for c in list_conflicts(office) if c.id == conflict_id]
    if not found:
        raise OfficeError(f"no open conflict {conflict_id!r}")
    c = found[0]
    if c.this_group is not None and c.that_group is not None:
        inv = INVARIANTS[c.tbl]
        if choice == "edit":
            if isinstance(value, dict):
                chosen = {f: value.get(f) for f in inv.fields}
            else:
                side = next((g for g in (c.this_group, c.that_group) if g.get(c.field) == value),
                            {c.field: value})
                chosen = {f: side.get(f) for f in inv.fields}
        else:
            chosen = dict(c.this_group if choice == "this" else c.that_group)
        changes = inv.repair(chosen, to_iso(office.clock.now()))
        if c.tbl == "cases" and changes.get("status") == "closed" and not changes.get("outcome"):
            raise OfficeError("closing a case needs an outcome: keep this or that, or close it on the case")
    else:
        changes = {c.field: {"this": c.this_value, "that": c.that_value, "edit": value}[choice]}
    with office.writing() as w:
        w.record_fields(c.tbl, c.row_id, changes)
        rebuild_rows(w.session.connection(), [(c.tbl, c.row_id)])
        w.audit("sync.conflict.resolve", target=f"{c.tbl}:{c.row_id}", detail=f"{c.field}: kept {choice}")
    return c
