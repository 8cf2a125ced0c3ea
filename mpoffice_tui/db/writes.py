"""The one write path for shared data.

Every insert and field change to a shared table goes through `Writer`, which records it as an op
(origin site, sequence number, hybrid-logical-clock time, every head of the field its writer saw) in
the same transaction as the change itself. Sync ships those ops; services never think about them.

    with office.writing() as w:
        case = w.insert(Case, ref=..., title=...)
        w.update(case, status="open")

Three rules are kept here, for every service at once:
- an op names every head of its field it saw (`prev`: the value shown; `supersedes`: the concurrent
  values kept as conflicts), so an edit by someone who has seen a conflict settles it;
- a write touching a field of a `FIELD_GROUPS` group writes the whole group, so the merge can take the
  group from one write (a case's status, outcome and closed date never come from different edits);
- nothing is written about an erased row (`erased`, see `ERASURE_LINKS`): `ErasedRecord` is raised and
  the transaction changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel

from mpoffice_tui.db.engine import COMPACTED
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.hlc import HybridClock, to_iso
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import (
    APPEND_ONLY,
    ERASURE_LINKS,
    FIELD_GROUPS,
    SHARED_TABLES,
    AuditEvent,
    Shared,
)

M = TypeVar("M", bound=Shared)
_SKIP = {"id", "updated_at"}
ERASE = "$erase"  # the op field of an erasure (sync.merge applies it)
Head = tuple[int, str, int]  # (hlc, site, seq) of a head op


class ErasedRecord(OfficeError):
    """A write about something an erasure reached: refused, nothing was changed."""


_NOUNS = {"constituents": "person", "cases": "case", "messages": "message"}


DRAFT_FIELDS = frozenset({"raw_hash", "sender_name", "sender_email", "content_hash", "recipients", "subject",
                          "body_text", "received_at"})


def encode_value(value: Any) -> Any:
    """A value as JSON can carry it: bytes as {"$b64": …}, and each column of a whole row likewise."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict) and "$b64" not in value:
        return {k: encode_value(v) for k, v in value.items()}
    return value


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def erased_among(conn, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (table, row id) pairs an erasure has reached."""
    wanted = sorted({(t, r) for t, r in keys if r})
    if not wanted:
        return set()
    if len(wanted) <= 8:  # the write path's case: a row and its links, by primary key
        where = " OR ".join(["(tbl = ? AND row_id = ?)"] * len(wanted))
        rows = conn.exec_driver_sql(f"SELECT tbl, row_id FROM erased WHERE {where}",
                                    tuple(x for pair in wanted for x in pair)).fetchall()
    else:
        rows = conn.exec_driver_sql(
            "SELECT e.tbl, e.row_id FROM erased e JOIN json_each(?) j "
            "ON e.tbl = json_extract(j.value, '$[0]') AND e.row_id = json_extract(j.value, '$[1]')",
            (json.dumps(wanted),)).fetchall()
    return {(t, r) for t, r in rows}


class RawSQL:
    """The writer's own DBAPI connection, for reads and blob inserts repeated for each of many rows (a mail
    import runs five or six a message): SQLAlchemy's statement machinery costs about 0.1 ms a call, a fifth of
    the import. The same connection and transaction as `session.connection()`; `exec_driver_sql(sql,
    params)` returns a DBAPI cursor (fetchone, fetchall, iteration)."""

    __slots__ = ("_dbapi",)

    def __init__(self, conn: Any) -> None:
        self._dbapi = conn.connection.driver_connection

    def exec_driver_sql(self, sql: str, params: tuple | list = ()) -> Any:
        return self._dbapi.execute(sql, params)


class Writer:
    """Records inserts and updates of shared rows as ops, inside one session/transaction."""

    def __init__(self, session: Session, *, site: str, clock: HybridClock, staff_id: str | None):
        self.session = session
        self.site = site
        self.clock = clock
        self.staff_id = staff_id
        # this site's last seq: of the ops held, or of those compaction deleted (sync.compact)
        row = session.execute(text(
            "SELECT max(coalesce((SELECT max(seq) FROM ops WHERE site = :s), 0), coalesce((SELECT CAST(json_extract("
            "value, '$.\"' || :s || '\"') AS INTEGER) FROM office_meta WHERE key = :k), 0)), "
            "EXISTS (SELECT 1 FROM erased)"), {"s": site, "k": COMPACTED}).fetchone()
        self._seq = int(row[0])
        # whether any erasure is known (checked once per transaction: only sync's merge adds to `erased`,
        # and an erasure's own writes say so)
        self._erasures = bool(row[1])
        self._raw: RawSQL | None = None

    @property
    def raw(self) -> RawSQL:
        """This transaction's DBAPI connection for hot per-row statements (see `RawSQL`); never for a
        write of a shared row, which must go through `insert`/`update` to be recorded as an op."""
        if self._raw is None:
            self._raw = RawSQL(self.session.connection())
        return self._raw

    # -- ops --------------------------------------------------------------------------------------
    def heads_of(self, tbl: str, row_id: str, fields: Iterable[str]) -> dict[str, list[Head]]:
        """Every head of each field this replica holds, oldest first (the row's insert for a field that has
        none of its own; none once compaction folded the insert into the row)."""
        fields = [f for f in fields if not f.startswith("$")]
        if not fields:
            return {}
        marks = ", ".join("?" * len(fields))
        found: dict[str, list[Head]] = {}
        for field, hlc, site, seq in self.session.connection().exec_driver_sql(
                f"SELECT field, hlc, site, seq FROM field_head WHERE tbl = ? AND row_id = ? AND field IN ({marks}) "
                "UNION ALL SELECT '*', hlc, site, seq FROM ops WHERE row_id = ? AND tbl = ? AND field = '*'",
                (tbl, row_id, *fields, row_id, tbl)):
            found.setdefault(field, []).append((int(hlc), site, int(seq)))
        star = sorted(found.get("*", ()))[-1:]  # the latest insert (as sync.merge takes it)
        return {f: sorted(found[f]) if f in found else star for f in fields}

    def _op_rows(self, tbl: str, row_id: str, changes: dict[str, Any], hlc: int,
                 seen: dict[str, list[Head]]) -> tuple[list[dict], list[dict]]:
        ops, head_rows = [], []
        for field, value in changes.items():
            self._seq += 1
            heads = seen.get(field) or []
            prev = heads[-1] if heads else None
            others = [[s, n] for _, s, n in heads[:-1]]
            ops.append({"site": self.site, "seq": self._seq, "hlc": hlc, "tbl": tbl, "row_id": row_id,
                        "field": field, "value": dumps(encode_value(value)),
                        "prev_site": prev[1] if prev else None, "prev_seq": prev[2] if prev else None,
                        "supersedes": dumps(others) if others else None})
            head_rows.append({"tbl": tbl, "row_id": row_id, "field": field, "hlc": hlc,
                              "site": self.site, "seq": self._seq, "answers": bool(others)})
        return ops, head_rows

    def _record(self, ops: list[dict], heads: list[dict]) -> None:
        if not ops:
            return
        self.session.execute(text(
            "INSERT INTO ops (site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, supersedes) "
            "VALUES (:site, :seq, :hlc, :tbl, :row_id, :field, :value, :prev_site, :prev_seq, :supersedes)"),
            ops)
        # the new op supersedes every head of its field that was here: it is now the only one... (a
        # whole-row insert is found by its op, never kept as a head: `heads_of`)
        conn = self.session.connection()
        rows = [(h["tbl"], h["row_id"], h["field"], h["hlc"], h["site"], h["seq"]) for h in heads if h["field"] != "*"]
        if rows:
            conn.exec_driver_sql("DELETE FROM field_head WHERE tbl = ? AND row_id = ? AND field = ?",
                                 [r[:3] for r in rows])
            conn.exec_driver_sql("INSERT INTO field_head (tbl, row_id, field, hlc, site, seq) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", rows)
        answered = [(h["tbl"], h["row_id"], h["field"]) for h in heads if h.get("answers")]
        if answered:  # ...so the conflicts between those heads are answered (by this op's value)
            conn.exec_driver_sql("UPDATE conflict SET resolved = 1 WHERE tbl = ? AND row_id = ? AND field = ? "
                                 "AND resolved = 0", answered)

    def record(self, tbl: str, row_id: str, field: str, value: Any, **kw: Any) -> tuple[str, int, int]:
        """Record one op without touching the row itself; returns (site, seq, hlc). See `record_fields`."""
        return self.record_fields(tbl, row_id, {field: value}, **kw)

    def record_fields(self, tbl: str, row_id: str, changes: dict[str, Any], *,
                      erasure: bool = False) -> tuple[str, int, int]:
        """Record ops (one write: one time) without touching the row itself; returns (site, last seq, hlc).

        For sync only (conflict resolution, erasure), which then rebuilds the row from its ops. Each op
        supersedes every head of its field held here. `erasure`: written by an erasure itself (the only
        writes an erased row accepts).
        """
        if not erasure and set(changes) != {ERASE}:
            self._refuse_erased(tbl, row_id, changes)
        hlc = self.clock.now()
        seen = self.heads_of(tbl, row_id, changes)
        ops, heads = self._op_rows(tbl, row_id, changes, hlc, seen)
        self._record(ops, heads)
        return self.site, self._seq, hlc

    # -- erasure ------------------------------------------------------------------------------------
    def _refuse_erased(self, tbl: str, row_id: str | None, values: dict[str, Any]) -> None:
        """ErasedRecord if this row, or a row it links to, has been reached by an erasure."""
        if not self._erasures:
            return
        keys = [(tbl, row_id)] if row_id else []
        keys += [(target, values[col]) for col, target in ERASURE_LINKS.get(tbl, ())
                 if isinstance(values.get(col), str)]
        hit = erased_among(self.session.connection(), keys)
        if hit:
            target, rid = sorted(hit)[0]
            what = _NOUNS.get(target, target.rstrip("s").replace("_", " "))
            raise ErasedRecord(f"the {what} {rid} was erased under data protection: nothing more can be "
                               "recorded about them (nothing was changed)")

    def _note_links(self, tbl: str, row_id: str, old: dict[str, Any]) -> None:
        """Keep the earlier value of a changed link column (an erasure reaches rows that were ever linked)."""
        rows = [{"t": tbl, "r": row_id, "c": col, "v": old[col]} for col, _ in ERASURE_LINKS.get(tbl, ())
                if col in old and isinstance(old[col], str) and old[col]]
        if rows:
            self.session.execute(text("INSERT OR IGNORE INTO link_history (tbl, row_id, col, target) "
                                      "VALUES (:t, :r, :c, :v)"), rows)

    # -- inserts ----------------------------------------------------------------------------------
    def insert(self, model: type[M], **fields: Any) -> M:
        """Create a shared row (one whole-row op) and return it."""
        hlc = self.clock.now()
        stamp = to_iso(hlc)
        fields.setdefault("id", new_id())
        fields.setdefault("created_at", stamp)
        fields["updated_at"] = stamp
        self._refuse_erased(model.__tablename__, None, fields)
        obj = model(**fields)
        self.session.add(obj)
        self.session.flush()
        values = {k: v for k, v in obj.model_dump().items() if k not in _SKIP}
        ops, heads = self._op_rows(model.__tablename__, obj.id, {"*": values}, hlc, {})
        self._record(ops, heads)
        return obj

    def insert_many(self, model: type[Shared], rows: Iterable[dict[str, Any]]) -> list[str]:
        """Bulk insert with Core (for imports and the demo): one op per row, all in this transaction."""
        table = SQLModel.metadata.tables[model.__tablename__]
        columns = [c.name for c in table.columns]
        defaults = {c.name: c.default.arg for c in table.columns
                    if c.default is not None and not callable(c.default.arg)}
        prepared, ops, heads, ids = [], [], [], []
        for row in rows:
            hlc = self.clock.now()
            stamp = to_iso(hlc)
            full = {**defaults, **row}
            full.setdefault("id", new_id())
            full.setdefault("created_at", stamp)
            full["updated_at"] = stamp
            for name in columns:
                full.setdefault(name, None)
            prepared.append(full)
            ids.append(full["id"])
            values = {k: v for k, v in full.items() if k not in _SKIP}
            o, h = self._op_rows(model.__tablename__, full["id"], {"*": values}, hlc, {})
            ops += o
            heads += h
        if prepared and self._erasures:
            links = ERASURE_LINKS.get(model.__tablename__, ())
            hit = erased_among(self.session.connection(), {(target, r[col]) for r in prepared
                                                            for col, target in links if isinstance(r[col], str)})
            for r in prepared:  # (one query for the batch; the message names the first row refused)
                if any((target, r[col]) in hit for col, target in links):
                    self._refuse_erased(model.__tablename__, None, r)
        if prepared:
            self.session.execute(insert(table), prepared)
            self._record(ops, heads)
        return ids

    # -- updates ----------------------------------------------------------------------------------
    def update(self, obj: M, **changes: Any) -> M:
        """Change fields of a shared row; only fields whose value changes are recorded."""
        tbl = obj.__tablename__
        if tbl in APPEND_ONLY:
            allowed = {"deleted", "triage", "case_id", "constituent_id", "campaign_id",
                       "suggested_case_id", "suggested_constituent_id", "suggestion_reason", "flags"}
            if tbl == "messages" and getattr(obj, "direction", "") == "out" and getattr(obj, "triage", "") == "outbox":
                allowed |= DRAFT_FIELDS  # an outgoing message is only a fact once it has gone
            fixed = set(changes) - allowed
            if fixed:
                raise ValueError(f"{tbl} are append-only: {', '.join(sorted(fixed))} cannot be edited")
        real = {k: v for k, v in changes.items() if getattr(obj, k) != v}
        if not real:
            return obj
        self._refuse_erased(tbl, obj.id, real)
        group = FIELD_GROUPS.get(tbl, ())
        if set(group) & set(real):  # the whole group, as one value (unchanged fields too)
            real = {**{f: getattr(obj, f) for f in group}, **real}
        self._note_links(tbl, obj.id, {k: getattr(obj, k) for k in real})
        hlc = self.clock.now()
        heads = self.heads_of(tbl, obj.id, real)
        for k, v in real.items():
            setattr(obj, k, v)
        obj.updated_at = to_iso(hlc)
        self.session.add(obj)
        ops, head_rows = self._op_rows(tbl, obj.id, real, hlc, heads)
        self.session.flush()
        self._record(ops, head_rows)
        return obj

    def delete(self, obj: M) -> M:
        """Tombstone a row (shared data is never hard-deleted)."""
        return self.update(obj, deleted=True)

    def undelete(self, obj: M) -> M:
        return self.update(obj, deleted=False)

    def get(self, model: type[M], row_id: str) -> M | None:
        return self.session.get(model, row_id)

    # -- audit ------------------------------------------------------------------------------------
    def audit(self, action: str, target: str | None = None, detail: str = "") -> AuditEvent:
        """Record who did what (append-only, synced)."""
        return self.insert(AuditEvent, at=to_iso(self.clock.now()), staff_id=self.staff_id,
                           action=action, target=target, detail=detail)


def shared_model(tbl: str) -> type[Shared]:
    return SHARED_TABLES[tbl]
