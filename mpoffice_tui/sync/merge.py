"""Applying ops from other machines, and rebuilding rows from their ops (DESIGN §5).

The visible row is a pure function of the row's op set:
- for each field, the latest op by (hlc, site, seq) among the row's whole-row ("*") ops and the
  field's own ops wins;
- an op is superseded for a field when a later op on that field names it as its `prev` (the head
  its writer saw) or in `supersedes` (a conflict resolution); the field's *heads* are the ops that
  nothing supersedes, and every head but the winner is an open **conflict** (ids are derived from
  the losing op, so every replica holds the same set whatever order ops arrived in);
- notes, messages and audit events are append-only: last writer wins, never a conflict;
- a `$erase` op (erasure under data protection) blanks the row's personal fields in the value of
  every op of the row older than it, on every machine, and those old values are never conflicts
  (a conflict kept from before the erasure arrived has its losing value blanked and is closed).

`apply_ops` inserts remote ops (`INSERT OR IGNORE` semantics on (site, seq)) and rebuilds the rows
they touch, all in the caller's transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel import SQLModel

from mpoffice_tui.db.hlc import to_iso
from mpoffice_tui.db.models import APPEND_ONLY, SHARED_TABLES
from mpoffice_tui.db.writes import decode_value, dumps, encode_value

ERASE = "$erase"
_DERIVED = {"id", "updated_at"}
_CHUNK = 400


class OpRow(NamedTuple):
    """One op as stored (value is the JSON text)."""

    site: str
    seq: int
    hlc: int
    tbl: str
    row_id: str
    field: str
    value: str
    prev_site: str | None
    prev_seq: int | None
    supersedes: str | None


OP_COLUMNS = "site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, supersedes"


@dataclass(frozen=True)
class ApplyResult:
    received: int  # ops in the batch
    new: int  # ops this replica did not have
    rows: int  # rows rebuilt


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    blanks: dict[str, Any]  # column -> blank value used by erasure (only the columns erasure clears)


_INFO: dict[str, TableInfo] = {}


def table_info(tbl: str) -> TableInfo:
    """Columns of a shared table, and what erasure blanks each personal column to."""
    if tbl not in _INFO:
        table = SQLModel.metadata.tables[tbl]
        blanks: dict[str, Any] = {}
        for col in table.columns:
            name = col.name
            if name in ("id", "created_at", "updated_at", "deleted") or name.endswith("_id") or col.unique:
                continue  # keys, links and timestamps are not personal; unique columns must stay unique
            if col.nullable:
                blanks[name] = None
                continue
            py = col.type.python_type
            blanks[name] = {bool: False, int: 0, bytes: b"", float: 0.0}.get(py, "")
        _INFO[tbl] = TableInfo(tbl, tuple(c.name for c in table.columns), blanks)
    return _INFO[tbl]


def _key(op: OpRow) -> tuple[int, str, int]:
    return (op.hlc, op.site, op.seq)


# -- the pure part: a row from its ops ---------------------------------------------------------
@dataclass
class Rebuilt:
    values: dict[str, Any] | None  # full row (None when the whole-row op has not arrived yet)
    fields: dict[str, Any]  # the winning value of each field that has an op
    heads: list[tuple[str, OpRow]]  # (field, winning op) for field_head
    conflicts: list[tuple[str, OpRow, OpRow, Any]]  # (field, winner, loser, loser value)
    redacted: list[tuple[OpRow, str]]  # ops whose stored value erasure must blank: (op, new JSON)
    updated_at: str


def rebuild(tbl: str, row_id: str, ops: Sequence[OpRow]) -> Rebuilt:
    """The visible row, field heads, open conflicts and erasure redactions for one row's ops."""
    info = table_info(tbl)
    erase_hlc = max((o.hlc for o in ops if o.field == ERASE), default=None)
    redacted: list[tuple[OpRow, str]] = []
    decoded: dict[tuple[str, int], Any] = {}
    stars: list[OpRow] = []
    by_field: dict[str, list[OpRow]] = defaultdict(list)
    superseded: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for op in ops:
        if op.field.startswith("$"):
            continue
        value = json.loads(op.value)
        if erase_hlc is not None and op.hlc < erase_hlc:
            blanked = _blank(info, op.field, value)
            if blanked != value:
                value = blanked
                redacted.append((op, dumps(value)))
        decoded[(op.site, op.seq)] = value
        if op.field == "*":
            stars.append(op)
            continue
        by_field[op.field].append(op)
        if op.prev_site is not None:
            superseded[op.field].add((op.prev_site, int(op.prev_seq or 0)))
        if op.supersedes:
            superseded[op.field].update((s, int(n)) for s, n in json.loads(op.supersedes))
    stars.sort(key=_key)
    append_only = tbl in APPEND_ONLY
    fields: dict[str, Any] = {}
    heads: list[tuple[str, OpRow]] = []
    conflicts: list[tuple[str, OpRow, OpRow, Any]] = []
    for col in info.columns:
        if col in _DERIVED:
            continue
        cands = [s for s in stars if col in decoded[(s.site, s.seq)]] + by_field.get(col, [])
        if not cands:
            continue
        winner = max(cands, key=_key)
        fields[col] = decode_value(_value_of(decoded, winner, col))
        if by_field.get(col):
            heads.append((col, winner))
        if append_only or len(cands) == 1:
            continue
        gone = superseded.get(col, set())
        for cand in cands:
            if cand is winner or (cand.site, cand.seq) in gone:
                continue
            if erase_hlc is not None and cand.hlc < erase_hlc:
                continue
            conflicts.append((col, winner, cand, _value_of(decoded, cand, col)))
    for star in stars[-1:]:
        heads.append(("*", star))
    values = None
    if stars:
        values = {c: None for c in info.columns}
        values.update(fields)
        values["id"] = row_id
    top = max((o.hlc for o in ops), default=0)
    return Rebuilt(values, fields, heads, conflicts, redacted, to_iso(top))


def _value_of(decoded: dict, op: OpRow, col: str) -> Any:
    value = decoded[(op.site, op.seq)]
    return value.get(col) if op.field == "*" else value


def _blank(info: TableInfo, field: str, value: Any) -> Any:
    if field == "*":
        return {k: (encode_value(info.blanks[k]) if k in info.blanks else v) for k, v in value.items()}
    if field in info.blanks:
        return encode_value(info.blanks[field])
    return value


# -- the database part ------------------------------------------------------------------------
def conflict_id(tbl: str, row_id: str, field: str, loser: OpRow) -> str:
    return f"{tbl}:{row_id}:{field}:{loser.site}:{loser.seq}"


def load_row_ops(conn, rows: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[OpRow]]:
    """Every op of the given (table, row id) pairs."""
    wanted = set(rows)
    out: dict[tuple[str, str], list[OpRow]] = {k: [] for k in wanted}
    ids = sorted({r for _, r in wanted})
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for raw in conn.exec_driver_sql(f"SELECT {OP_COLUMNS} FROM ops WHERE row_id IN ({marks})",
                                        tuple(chunk)):
            op = OpRow(*raw)
            k = (op.tbl, op.row_id)
            if k in out:
                out[k].append(op)
    return out


def rebuild_rows(conn, rows: Iterable[tuple[str, str]]) -> int:
    """Rebuild the visible rows, field heads and conflicts of these rows from their ops."""
    loaded = load_row_ops(conn, rows)
    upserts: dict[str, list[dict]] = defaultdict(list)
    partial: list[tuple[str, str, dict]] = []
    head_rows, conflict_rows, redactions = [], [], []
    open_ids: dict[tuple[str, str], list[str]] = {}
    erased: list[tuple[str, str, int]] = []  # rows with an erase op, and its time
    for (tbl, row_id), ops in loaded.items():
        if tbl not in SHARED_TABLES:
            continue
        built = rebuild(tbl, row_id, ops)
        erase_hlc = max((o.hlc for o in ops if o.field == ERASE), default=None)
        if erase_hlc is not None:
            erased.append((tbl, row_id, erase_hlc))
        if built.values is not None:
            built.values["updated_at"] = built.updated_at
            upserts[tbl].append(built.values)
        elif built.fields:
            partial.append((tbl, row_id, {**built.fields, "updated_at": built.updated_at}))
        for field, op in built.heads:
            head_rows.append((tbl, row_id, field, op.hlc, op.site, op.seq))
        ids = []
        for field, winner, loser, value in built.conflicts:
            cid = conflict_id(tbl, row_id, field, loser)
            ids.append(cid)
            conflict_rows.append((cid, tbl, row_id, field, winner.site, winner.seq, loser.site, loser.seq,
                                  dumps(value)))
        open_ids[(tbl, row_id)] = ids
        redactions += [(value, op.site, op.seq) for op, value in built.redacted]
    if redactions:
        conn.exec_driver_sql("UPDATE ops SET value = ? WHERE site = ? AND seq = ?", redactions)
    for tbl, values in upserts.items():
        cols = table_info(tbl).columns
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c != "id")
        sql = (f'INSERT INTO "{tbl}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
               f'VALUES ({", ".join("?" * len(cols))}) ON CONFLICT(id) DO UPDATE SET {sets}')
        conn.exec_driver_sql(sql, [tuple(v[c] for c in cols) for v in values])
    for tbl, row_id, fields in partial:  # the row's insert has not arrived: change it only if present
        sets = ", ".join(f'"{c}" = ?' for c in fields)
        conn.exec_driver_sql(f'UPDATE "{tbl}" SET {sets} WHERE id = ?', (*fields.values(), row_id))
    keys = list(open_ids)
    if not keys:
        return 0
    conn.exec_driver_sql("DELETE FROM field_head WHERE tbl = ? AND row_id = ?", keys)
    if head_rows:
        conn.exec_driver_sql("INSERT INTO field_head (tbl, row_id, field, hlc, site, seq) VALUES (?, ?, ?, ?, ?, ?)",
                             head_rows)
    conn.exec_driver_sql("UPDATE conflict SET resolved = 1 WHERE tbl = ? AND row_id = ? AND resolved = 0",
                         keys)
    if erased:  # a kept losing value older than an erasure is personal data too: blank it on every machine
        conn.exec_driver_sql(
            "UPDATE conflict SET loser_value = 'null', resolved = 1 WHERE tbl = ? AND row_id = ? AND "
            "loser_value != 'null' AND coalesce((SELECT o.hlc FROM ops o WHERE o.site = conflict.loser_site "
            "AND o.seq = conflict.loser_seq), 0) < ?", erased)
    if conflict_rows:
        conn.exec_driver_sql(
            "INSERT INTO conflict (id, tbl, row_id, field, winner_site, winner_seq, loser_site, loser_seq, "
            "loser_value, resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET "
            "winner_site = excluded.winner_site, winner_seq = excluded.winner_seq, "
            "loser_value = excluded.loser_value, resolved = 0", conflict_rows)
    return len(keys)


def apply_ops(conn, ops: Sequence[OpRow], clock=None) -> ApplyResult:
    """Add ops from another machine (those already here are ignored) and rebuild the rows they touch.

    Runs in the caller's transaction; observes the ops' times into `clock`.
    """
    by_site: dict[str, list[OpRow]] = defaultdict(list)
    for op in ops:
        by_site[op.site].append(op)
    new: list[OpRow] = []
    for site, items in by_site.items():
        lo, hi = min(o.seq for o in items), max(o.seq for o in items)
        have = {r[0] for r in conn.exec_driver_sql("SELECT seq FROM ops WHERE site = ? AND seq BETWEEN ? AND ?",
                                                   (site, lo, hi))}
        seen: set[int] = set()
        for o in items:
            if o.seq not in have and o.seq not in seen:
                seen.add(o.seq)
                new.append(o)
    if new:
        conn.exec_driver_sql(f"INSERT OR IGNORE INTO ops ({OP_COLUMNS}) VALUES ({', '.join('?' * 10)})",
                             [tuple(o) for o in new])
        if clock is not None:
            clock.observe(max(o.hlc for o in new))
    rows = rebuild_rows(conn, {(o.tbl, o.row_id) for o in new}) if new else 0
    return ApplyResult(len(ops), len(new), rows)
