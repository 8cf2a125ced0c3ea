"""The one write path for shared data.

Every insert and field change to a shared table goes through `Writer`, which records it as an op
(origin site, sequence number, hybrid-logical-clock time, the op it supersedes) in the same
transaction as the change itself. Sync ships those ops; services never think about them.

    with office.writing() as w:
        case = w.insert(Case, ref=..., title=...)
        w.update(case, status="open")
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel

from mpoffice_tui.db.hlc import HybridClock, to_iso
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import APPEND_ONLY, SHARED_TABLES, AuditEvent, Shared

M = TypeVar("M", bound=Shared)
_SKIP = {"id", "updated_at"}


def encode_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class Writer:
    """Records inserts and updates of shared rows as ops, inside one session/transaction."""

    def __init__(self, session: Session, *, site: str, clock: HybridClock, staff_id: str | None):
        self.session = session
        self.site = site
        self.clock = clock
        self.staff_id = staff_id
        row = session.execute(text("SELECT coalesce(max(seq), 0) FROM ops WHERE site = :s"),
                              {"s": site}).fetchone()
        self._seq = int(row[0])

    # -- ops --------------------------------------------------------------------------------------
    def _head(self, tbl: str, row_id: str, field: str) -> tuple[str, int] | None:
        row = self.session.execute(
            text("SELECT site, seq FROM field_head WHERE tbl=:t AND row_id=:r AND field IN (:f, '*') "
                 "ORDER BY hlc DESC, site DESC LIMIT 1"),
            {"t": tbl, "r": row_id, "f": field},
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def head(self, tbl: str, row_id: str, field: str) -> tuple[str, int] | None:
        """The (site, seq) of the op a new op on this field supersedes; for callers of `record`."""
        return self._head(tbl, row_id, field)

    def _op_rows(self, tbl: str, row_id: str, changes: dict[str, Any], hlc: int,
                 heads: dict[str, tuple[str, int] | None]) -> tuple[list[dict], list[dict]]:
        ops, head_rows = [], []
        for field, value in changes.items():
            self._seq += 1
            prev = heads.get(field)
            ops.append({"site": self.site, "seq": self._seq, "hlc": hlc, "tbl": tbl, "row_id": row_id,
                        "field": field, "value": dumps(encode_value(value)),
                        "prev_site": prev[0] if prev else None, "prev_seq": prev[1] if prev else None,
                        "supersedes": None})
            head_rows.append({"tbl": tbl, "row_id": row_id, "field": field, "hlc": hlc,
                              "site": self.site, "seq": self._seq})
        return ops, head_rows

    def _record(self, ops: list[dict], heads: list[dict]) -> None:
        if not ops:
            return
        self.session.execute(text(
            "INSERT INTO ops (site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, supersedes) "
            "VALUES (:site, :seq, :hlc, :tbl, :row_id, :field, :value, :prev_site, :prev_seq, :supersedes)"),
            ops)
        self.session.execute(text(
            "INSERT INTO field_head (tbl, row_id, field, hlc, site, seq) "
            "VALUES (:tbl, :row_id, :field, :hlc, :site, :seq) "
            "ON CONFLICT (tbl, row_id, field) DO UPDATE SET hlc=excluded.hlc, site=excluded.site, "
            "seq=excluded.seq"), heads)

    def record(self, tbl: str, row_id: str, field: str, value: Any, *, prev: tuple[str, int] | None = None,
               supersedes: list[tuple[str, int]] | None = None) -> tuple[str, int, int]:
        """Record one op without touching the row itself; returns (site, seq, hlc).

        For sync only (conflict resolution, erasure), which then rebuilds the row from its ops.
        """
        hlc = self.clock.now()
        ops, heads = self._op_rows(tbl, row_id, {field: value}, hlc, {field: prev})
        if supersedes:
            ops[0]["supersedes"] = dumps([list(s) for s in supersedes])
        self._record(ops, heads)
        return self.site, self._seq, hlc

    # -- inserts ----------------------------------------------------------------------------------
    def insert(self, model: type[M], **fields: Any) -> M:
        """Create a shared row (one whole-row op) and return it."""
        hlc = self.clock.now()
        stamp = to_iso(hlc)
        fields.setdefault("id", new_id())
        fields.setdefault("created_at", stamp)
        fields["updated_at"] = stamp
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
            fixed = set(changes) - allowed
            if fixed:
                raise ValueError(f"{tbl} are append-only: {', '.join(sorted(fixed))} cannot be edited")
        real = {k: v for k, v in changes.items() if getattr(obj, k) != v}
        if not real:
            return obj
        hlc = self.clock.now()
        heads = {f: self._head(tbl, obj.id, f) for f in real}
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
