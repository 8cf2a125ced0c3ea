"""Applying ops from other machines, and rebuilding rows from their ops (DESIGN §5).

The visible row is a pure function of the row's op set (and, for erasure, of the ops of the rows it
links to):
- for each field, the latest op by (hlc, site, seq) among the row's whole-row ("*") ops and the
  field's own ops wins;
- an op is superseded for a field when a later op on that field names it as seen: its `prev` (the
  value its writer was shown) or in `supersedes` (the other values its writer held: open conflicts).
  The field's *heads* are the ops nothing supersedes; every head whose value differs from the winner's
  is an open **conflict** (ids derived from the losing op, so every replica holds the same set whatever
  order ops arrived in). An edit made by someone who had seen the conflicting values settles them all;
- notes, messages and audit events are append-only: last writer wins, never a conflict;
- fields that must agree (`INVARIANTS`) are merged as one value: all of them come from the write that
  wins the group's first field, then the group's rule is applied; their conflict is the first field's;
- erasure (`$erase`, under data protection) is a fact about a row and everything linked to it
  (`ERASURE_LINKS`): an erased row shows only what its erasure kept; every other op of it, whenever and
  wherever written, has its personal fields blanked in the op log too, and it has no conflicts.

`apply_ops` inserts remote ops (`INSERT OR IGNORE` semantics on (site, seq)) and rebuilds the rows
they touch, all in the caller's transaction.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel import SQLModel

from mpoffice_tui.db.hlc import to_iso
from mpoffice_tui.db.models import APPEND_ONLY, ERASURE_LINKS, FIELD_GROUPS, LINK_COLUMNS, SHARED_TABLES
from mpoffice_tui.db.writes import ERASE, decode_value, dumps, encode_value, erased_among

_DERIVED = {"id", "updated_at"}
_CHUNK = 400
SCRUB_PENDING = "erasure.scrub_pending"  # office_meta: values were redacted since the file was last scrubbed


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
            if (name in ("id", "created_at", "updated_at", "deleted") or name.endswith("_id") or col.unique
                    or name in LINK_COLUMNS):
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


# -- invariants: fields merged as one value -------------------------------------------------------
@dataclass(frozen=True)
class Invariant:
    """A group of fields that must agree, and the rule that makes them agree.

    `fields`: the group (`db.models.FIELD_GROUPS`; the first leads: its concurrent values are the group's
    conflict); `significant`: the fields whose difference makes two writes a conflict worth a person's
    attention (dates follow them); `rule`: what the merged values must satisfy, as text; `repair(values,
    at)` returns them made to satisfy it, `at` being the winning write's time (for a date that is missing).
    """

    fields: tuple[str, ...]
    significant: tuple[str, ...]
    rule: str
    repair: Callable[[dict[str, Any], str], dict[str, Any]]


def _repair_case(v: dict[str, Any], at: str) -> dict[str, Any]:
    v = dict(v)
    if v.get("status") == "closed":
        v["closed_at"] = v.get("closed_at") or at
        v["awaiting_since"] = None
    else:
        v["outcome"] = v["closed_at"] = None
        if v.get("status") == "awaiting_third_party":
            v["awaiting_since"] = v.get("awaiting_since") or at
        else:
            v["awaiting_since"] = None
    return v


def _repair_task(v: dict[str, Any], at: str) -> dict[str, Any]:
    v = dict(v)
    v["done_at"] = (v.get("done_at") or at) if v.get("done") else None
    return v


INVARIANTS: dict[str, Invariant] = {
    "cases": Invariant(FIELD_GROUPS["cases"], ("status", "outcome"),
                       "a closed case has an outcome and a closed date and awaits nobody; any other status has "
                       "neither, and 'awaiting third party' (only) has the date it began", _repair_case),
    "tasks": Invariant(FIELD_GROUPS["tasks"], ("done",),
                       "a task that is done has the date it was done; one that is not, has none", _repair_task),
}
# A person's privacy state and their data: an erased or anonymised record shows only what its erasure kept
# (privacy_state "anonymised" and placeholders), whatever was written concurrently: see `rebuild`'s erasure.


# -- the pure part: a row from its ops ---------------------------------------------------------
@dataclass
class Rebuilt:
    values: dict[str, Any] | None  # full row (None when the whole-row op has not arrived yet)
    fields: dict[str, Any]  # the winning value of each field that has an op
    heads: list[tuple[str, OpRow]]  # (field, head op) for field_head: every head of every field
    conflicts: list[tuple[str, OpRow, OpRow, Any]]  # (field, winner, loser, loser value)
    redacted: list[tuple[OpRow, str]]  # ops whose stored value erasure must blank: (op, new JSON)
    updated_at: str


def kept_by_erasure(ops: Sequence[OpRow]) -> set[tuple[str, int]]:
    """The ops an erasure wrote itself after its `$erase` op (tombstone, anonymised values): the same
    site, a later seq. (The write path refuses anything else about an erased row where it is known.)"""
    erases = [o for o in ops if o.field == ERASE]
    return {(o.site, o.seq) for o in ops if o.field != ERASE
            and any(o.site == e.site and o.seq > e.seq for e in erases)}


def rebuild(tbl: str, row_id: str, ops: Sequence[OpRow], *, erased: bool = False,
            decoded: dict[tuple[str, int], Any] | None = None) -> Rebuilt:
    """The visible row, field heads, open conflicts and erasure redactions for one row's ops.

    `erased`: an erasure reached the row through a link (its own `$erase` op counts by itself);
    `decoded`: the ops' values already parsed, by (site, seq), to save parsing them twice.
    """
    info = table_info(tbl)
    own_erase = any(o.field == ERASE for o in ops)
    erased = erased or own_erase
    kept = kept_by_erasure(ops) if erased else set()
    redacted: list[tuple[OpRow, str]] = []
    values_of: dict[tuple[str, int], Any] = {}
    stars: list[OpRow] = []
    by_field: dict[str, list[OpRow]] = defaultdict(list)
    superseded: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for op in ops:
        if op.field.startswith("$"):
            continue
        value = decoded[(op.site, op.seq)] if decoded is not None else json.loads(op.value)
        if erased and (op.site, op.seq) not in kept and not is_base(op):
            blanked = _blank(info, op.field, value)
            if blanked != value:
                value = blanked
                redacted.append((op, dumps(value)))
        values_of[(op.site, op.seq)] = value
        if op.field == "*":
            stars.append(op)
            continue
        by_field[op.field].append(op)
        if op.prev_site is not None:
            superseded[op.field].add((op.prev_site, int(op.prev_seq or 0)))
        if op.supersedes:
            superseded[op.field].update((s, int(n)) for s, n in json.loads(op.supersedes))
    stars.sort(key=_key)
    conflicts_allowed = tbl not in APPEND_ONLY and not erased
    invariant = INVARIANTS.get(tbl)
    followers = set(invariant.fields[1:]) if invariant else set()
    fields: dict[str, Any] = {}
    winners: dict[str, OpRow] = {}
    heads: list[tuple[str, OpRow]] = []
    conflicts: list[tuple[str, OpRow, OpRow, Any]] = []
    for col in info.columns:
        if col in _DERIVED:
            continue
        cands = [s for s in stars if col in values_of[(s.site, s.seq)]] + by_field.get(col, [])
        if erased and col in info.blanks:  # only what the erasure itself kept, else blank
            cands = [c for c in cands if (c.site, c.seq) in kept]
            if not cands:
                fields[col] = info.blanks[col]
                continue
        if erased and col == "deleted":
            if not own_erase:  # reached through a link: gone
                fields[col] = True
                continue
            cands = [c for c in cands if (c.site, c.seq) in kept] or cands  # what the erasure said, if it did
        if not cands:
            continue
        winner = max(cands, key=_key)
        winners[col] = winner
        fields[col] = decode_value(_value_of(values_of, winner, col))
        gone = superseded.get(col, set())
        # every edit of a field came after the row's insert (its writer held the row), so a whole-row op is
        # no head of a field that has edits, even once the edit naming it was compacted away (sync.compact)
        field_heads = [c for c in cands if (c.site, c.seq) not in gone and not (c.field == "*" and by_field.get(col))]
        if by_field.get(col):
            heads += [(col, h) for h in field_heads]
        if not conflicts_allowed or col in followers:
            continue
        for cand in field_heads:
            if cand is winner:
                continue
            if invariant and col == invariant.fields[0]:
                theirs = _group_of(invariant, cand, values_of, by_field)
                ours = _group_of(invariant, winner, values_of, by_field)
                if all(theirs.get(f) == ours.get(f) for f in invariant.significant):
                    continue
                conflicts.append((col, winner, cand, {k: encode_value(v) for k, v in theirs.items()}))
                continue
            value = _value_of(values_of, cand, col)
            if value != _value_of(values_of, winner, col):
                conflicts.append((col, winner, cand, value))
    if invariant and invariant.fields[0] in winners:  # the whole group from the write that won its lead
        fields.update(_group_of(invariant, winners[invariant.fields[0]], values_of, by_field, fields))
    values = None
    if stars:
        values = {c: None for c in info.columns}
        values.update(fields)
        values["id"] = row_id
    top = max((o.hlc for o in ops if not is_base(o)), default=0)
    base = next((o for o in stars if is_base(o)), None)
    updated = to_iso(top) if top or base is None else values_of[(base.site, base.seq)].get("updated_at", to_iso(0))
    return Rebuilt(values, fields, heads, conflicts, redacted, updated)


def _group_of(invariant: Invariant, lead: OpRow, values_of: dict, by_field: dict,
              fallback: dict[str, Any] | None = None) -> dict[str, Any]:
    """The group's values as written by the write `lead` belongs to (same site and time), made to satisfy
    its rule; a field that write did not carry (an op from before whole-group writes) from `fallback`."""
    out: dict[str, Any] = {}
    for f in invariant.fields:
        if lead.field == "*" or f == lead.field:
            src: OpRow | None = lead
        else:
            src = next((o for o in by_field.get(f, ()) if o.site == lead.site and o.hlc == lead.hlc), None)
        if src is not None and (src.field == "*" and f in values_of[(src.site, src.seq)] or src.field == f):
            out[f] = decode_value(_value_of(values_of, src, f))
        else:
            out[f] = (fallback or {}).get(f)
    return invariant.repair(out, to_iso(lead.hlc))


def _value_of(values_of: dict, op: OpRow, col: str) -> Any:
    value = values_of[(op.site, op.seq)]
    return value.get(col) if op.field == "*" else value


def _blank(info: TableInfo, field: str, value: Any) -> Any:
    if field == "*":
        return {k: (encode_value(info.blanks[k]) if k in info.blanks else v) for k, v in value.items()}
    if field in info.blanks:
        return encode_value(info.blanks[field])
    return value


# -- erasure: which rows it reaches --------------------------------------------------------------
def _links(tbl: str, ops: Sequence[OpRow], decoded: dict[tuple[str, int], Any]) -> dict[str, set[str]]:
    """Every value each link column of the row has held, from its ops: {column: {target id, ...}}."""
    out: dict[str, set[str]] = defaultdict(set)
    cols = {col for col, _ in ERASURE_LINKS.get(tbl, ())}
    for op in ops:
        if op.field == "*":
            for col in cols:
                value = decoded[(op.site, op.seq)].get(col)
                if isinstance(value, str) and value:
                    out[col].add(value)
        elif op.field in cols:
            value = decoded[(op.site, op.seq)]
            if isinstance(value, str) and value:
                out[op.field].add(value)
    return out


def rows_about(conn, targets: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Rows whose link columns name (or once named) one of these rows: one step of `ERASURE_LINKS`."""
    by_tbl: dict[str, list[str]] = defaultdict(list)
    for tbl, rid in set(targets):
        by_tbl[tbl].append(rid)
    found: set[tuple[str, str]] = set()
    for tbl, links in ERASURE_LINKS.items():
        for col, target in links:
            ids = sorted(by_tbl.get(target, ()))
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found |= {(tbl, r[0]) for r in conn.exec_driver_sql(
                    f'SELECT id FROM "{tbl}" WHERE "{col}" IN ({marks})', tuple(chunk))}
                found |= {(tbl, r[0]) for r in conn.exec_driver_sql(
                    f"SELECT row_id FROM link_history WHERE tbl = ? AND col = ? AND target IN ({marks})",
                    (tbl, col, *chunk))}
    return found


def everything_about(conn, seeds: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The seeds and every row an erasure of them reaches (following `ERASURE_LINKS` to the end)."""
    seen = list(dict.fromkeys(seeds))
    frontier = set(seen)
    while frontier:
        frontier = rows_about(conn, frontier) - set(seen)
        seen += sorted(frontier)
    return seen


def _settle_erasures(conn, loaded: dict[tuple[str, str], list[OpRow]],
                     decoded: dict[tuple[str, int], Any]) -> set[tuple[str, str]]:
    """Which loaded rows an erasure reaches; records new ones in `erased`, and loads (into `loaded`) the rows
    already here that a new erasure reaches. Also keeps `link_history` for rows whose links changed."""
    links = {k: _links(k[0], ops, decoded) for k, ops in loaded.items()}
    history = [(t, r, col, v) for (t, r), cols in links.items() for col, vals in cols.items() if len(vals) > 1
               for v in sorted(vals)]
    if history:
        conn.exec_driver_sql("INSERT OR IGNORE INTO link_history (tbl, row_id, col, target) VALUES (?, ?, ?, ?)",
                             history)
    targets = {(target, v) for (t, _), cols in links.items() for col, target in ERASURE_LINKS.get(t, ())
               for v in cols.get(col, ())}
    known = erased_among(conn, set(loaded) | targets)
    erased = {k for k in loaded if k in known or any(o.field == ERASE for o in loaded[k])}
    changed = True
    while changed:  # rows reached through rows erased in this same batch (a new case, and a note on it)
        changed = False
        for k, cols in links.items():
            if k in erased:
                continue
            if any((target, v) in known or (target, v) in erased
                   for col, target in ERASURE_LINKS.get(k[0], ()) for v in cols.get(col, ())):
                erased.add(k)
                changed = True
    new = erased - known
    frontier = set(new)
    while frontier:  # rows already here that the new erasures reach
        reached = rows_about(conn, frontier) - erased
        frontier = reached - erased_among(conn, reached)
        erased |= reached
        new |= frontier
    extra = [k for k in new if k not in loaded]
    if extra:
        more = load_row_ops(conn, extra)
        for ops in more.values():
            for op in ops:
                decoded[(op.site, op.seq)] = json.loads(op.value)
        loaded.update(more)
    if new:
        conn.exec_driver_sql("INSERT OR IGNORE INTO erased (tbl, row_id) VALUES (?, ?)", sorted(new))
    return erased | (known & set(loaded))


# -- the database part ------------------------------------------------------------------------
def conflict_id(tbl: str, row_id: str, field: str, loser: OpRow) -> str:
    return f"{tbl}:{row_id}:{field}:{loser.site}:{loser.seq}"


def load_row_ops(conn, rows: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[OpRow]]:
    """Every op of the given (table, row id) pairs; a row whose insert compaction folded into it
    (sync.compact) gets its base from the row itself (`base_op`)."""
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
    folded: dict[str, list[str]] = defaultdict(list)
    for (tbl, row_id), ops in out.items():
        if tbl in SHARED_TABLES and not any(o.field == "*" for o in ops):
            folded[tbl].append(row_id)
    for tbl, row_ids in folded.items():
        for row in _rows_of(conn, tbl, row_ids):
            out[(tbl, row["id"])].insert(0, base_op(tbl, row))
    return out


# -- a whole-row insert folded into its row (sync.compact) --------------------------------------
BASE_SITE = ""  # the site of a base op: no machine's (site ids are never empty)


def is_base(op: OpRow) -> bool:
    """Whether `op` stands for an insert that compaction folded into its row (`base_op`)."""
    return op.site == BASE_SITE


def base_op(tbl: str, row: dict[str, Any]) -> OpRow:
    """The whole-row op a compacted row is rebuilt from: the row as it is held. Compaction folds an insert
    only when every machine holds it; its columns never edited since hold exactly its values, and an edited
    column's inserted value never decides anything (every edit is later than the insert it saw), so the
    row itself is the base. Time 0: every op of the row is later. (Its seq is unique within a rebuild.)"""
    value = {k: v for k, v in row.items() if k != "id"}
    return OpRow(BASE_SITE, -next(_BASE_SEQ), 0, tbl, row["id"], "*", dumps(encode_value(value)), None, None, None)


_BASE_SEQ = itertools.count(1)


def _rows_of(conn, tbl: str, row_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of a shared table with these ids, as held (every column)."""
    cols = table_info(tbl).columns
    names = ", ".join(f'"{c}"' for c in cols)
    out = []
    for i in range(0, len(row_ids), _CHUNK):
        chunk = list(row_ids[i:i + _CHUNK])
        marks = ",".join("?" * len(chunk))
        out += [dict(zip(cols, r, strict=True)) for r in conn.exec_driver_sql(
            f'SELECT {names} FROM "{tbl}" WHERE id IN ({marks})', tuple(chunk))]
    return out


def rebuild_rows(conn, rows: Iterable[tuple[str, str]]) -> int:
    """Rebuild the visible rows, field heads and conflicts of these rows from their ops (and of the rows an
    erasure among them reaches). Runs in the caller's transaction; returns how many rows were rebuilt."""
    loaded = {k: v for k, v in load_row_ops(conn, rows).items() if k[0] in SHARED_TABLES}
    decoded = {(op.site, op.seq): json.loads(op.value) for ops in loaded.values() for op in ops}
    erased = _settle_erasures(conn, loaded, decoded)
    upserts: dict[str, list[dict]] = defaultdict(list)
    partial: list[tuple[str, str, dict]] = []
    head_rows, conflict_rows, redactions = [], [], []
    for (tbl, row_id), ops in loaded.items():
        built = rebuild(tbl, row_id, ops, erased=(tbl, row_id) in erased, decoded=decoded)
        if built.values is not None:
            built.values["updated_at"] = built.updated_at
            upserts[tbl].append(built.values)
        elif built.fields:
            partial.append((tbl, row_id, {**built.fields, "updated_at": built.updated_at}))
        head_rows += [(tbl, row_id, field, op.hlc, op.site, op.seq) for field, op in built.heads]
        for field, winner, loser, value in built.conflicts:
            conflict_rows.append((conflict_id(tbl, row_id, field, loser), tbl, row_id, field, winner.site,
                                  winner.seq, loser.site, loser.seq, dumps(value)))
        redactions += [(value, op.site, op.seq) for op, value in built.redacted]
    if redactions:
        conn.exec_driver_sql("UPDATE ops SET value = ? WHERE site = ? AND seq = ?", redactions)
        conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, '1')", (SCRUB_PENDING,))
    for tbl, values in upserts.items():
        cols = table_info(tbl).columns
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c != "id")
        sql = (f'INSERT INTO "{tbl}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
               f'VALUES ({", ".join("?" * len(cols))}) ON CONFLICT(id) DO UPDATE SET {sets}')
        conn.exec_driver_sql(sql, [tuple(v[c] for c in cols) for v in values])
    for tbl, row_id, fields in partial:  # the row's insert has not arrived: change it only if present
        sets = ", ".join(f'"{c}" = ?' for c in fields)
        conn.exec_driver_sql(f'UPDATE "{tbl}" SET {sets} WHERE id = ?', (*fields.values(), row_id))
    keys = list(loaded)
    if not keys:
        return 0
    conn.exec_driver_sql("DELETE FROM field_head WHERE tbl = ? AND row_id = ?", keys)
    if head_rows:
        conn.exec_driver_sql("INSERT OR IGNORE INTO field_head (tbl, row_id, field, hlc, site, seq) "
                             "VALUES (?, ?, ?, ?, ?, ?)", head_rows)
    conn.exec_driver_sql("UPDATE conflict SET resolved = 1 WHERE tbl = ? AND row_id = ? AND resolved = 0", keys)
    gone = [k for k in keys if k in erased]
    if gone:  # a kept losing value of an erased row is personal data too: blank it on every machine
        conn.exec_driver_sql("UPDATE conflict SET loser_value = 'null', resolved = 1 WHERE tbl = ? AND row_id = ? "
                             "AND loser_value != 'null'", gone)
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
