"""Undo for triage: every triage records what it changed, so undo puts back exactly what was there.

A triage (file, new case, accept, ignore, campaign, link, confirm an auto-filing, the import's own
auto-filing) runs through a `Recorder` wrapped around its writer. The recorder keeps, for every field
it changes, the value before and after, and the rows it creates. At the end of the transaction the
record is pushed onto the message's undo stack, in the same transaction as the triage itself.

The stacks are local to this machine (this replica's `office_meta`, keys `undo:<message id>`, never
synced): undo is the person at this keyboard taking back what they just did. The undo itself is an
ordinary write (ops that sync like any other change). A record holds ids, states, flags and dates, never
a person's words or details (it is not reached by erasure): triage changes no free text.

Undo refuses, with a reason, rather than lose someone's work: when a field it would put back has been
changed since, or when a case the triage opened has work on it. A case opened by "new case" is
tombstoned by undo, not closed: it was opened by mistake, and a closed case would still count in the
statistics, the constituent's history and retention reviews. The tombstone keeps it in the op log and
its reference is never handed out again. A constituent the triage created goes the same way unless
something else now refers to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SHARED_TABLES, Case, Message

KEY = "undo:"
STACK_DEPTH = 10  # undo steps kept per message
KEEP_MESSAGES = 2000  # messages with undo steps kept on this machine (oldest dropped first)
TRIAGE_LANES = {"new": "New", "suggested": "Suggested", "auto_filed": "Auto-filed", "campaign": "Campaigns",
                "done": "Done", "ignored": "Done/Ignored"}


@dataclass(frozen=True)
class Undone:
    """What an undo did: `notice` says it in a sentence; `lane` is the message's triage state now."""

    message_id: str
    action: str
    notice: str
    lane: str


class Recorder:
    """A writer that remembers what it changed (for undo). Use it in place of the writer."""

    def __init__(self, w: Any) -> None:
        self.w = w
        self.session = w.session
        self.changed: dict[tuple[str, str, str], list[Any]] = {}  # (tbl, id, field) -> [old, new]
        self.created: list[tuple[str, str]] = []

    @property
    def raw(self) -> Any:
        """The writer's raw connection, for reads (never for a change to undo)."""
        return self.w.raw

    def get(self, model: Any, row_id: str) -> Any:
        return self.w.get(model, row_id)

    def audit(self, *args: Any, **kwargs: Any) -> Any:
        return self.w.audit(*args, **kwargs)

    def insert(self, model: Any, **fields: Any) -> Any:
        obj = self.w.insert(model, **fields)
        self.created.append((model.__tablename__, obj.id))
        return obj

    def update(self, obj: Any, **changes: Any) -> Any:
        if (obj.__tablename__, obj.id) in self.created:  # a row made here goes as a whole on undo
            return self.w.update(obj, **changes)
        for field, value in changes.items():
            key = (obj.__tablename__, obj.id, field)
            if key in self.changed:
                self.changed[key][1] = value
            elif getattr(obj, field) != value:
                self.changed[key] = [getattr(obj, field), value]
        return self.w.update(obj, **changes)

    def delete(self, obj: Any) -> Any:
        return self.update(obj, deleted=True)

    def save(self, message_id: str, action: str, summary: str, lane: str) -> None:
        """Push this triage onto the message's undo stack (inside the triage's transaction)."""
        created = []
        for tbl, row_id in self.created:
            obj = self.w.get(SHARED_TABLES[tbl], row_id)
            created.append([tbl, row_id, obj.updated_at if obj is not None else None])
        record = {"action": action, "summary": summary, "lane": lane, "at": utcnow(),
                  "changed": [[t, r, f, old, new] for (t, r, f), (old, new) in self.changed.items() if old != new],
                  "created": created}
        push(self.session.connection(), message_id, record)


# -- the stacks (office_meta, local) ---------------------------------------------------------------
def _load(conn, message_id: str) -> list[dict]:
    row = conn.exec_driver_sql("SELECT value FROM office_meta WHERE key = ?", (KEY + message_id,)).fetchone()
    if row is None:
        return []
    try:
        return list(json.loads(row[0]).get("stack", []))
    except (ValueError, AttributeError):
        return []


def _store(conn, message_id: str, stack: list[dict]) -> None:
    if not stack:
        conn.exec_driver_sql("DELETE FROM office_meta WHERE key = ?", (KEY + message_id,))
        return
    value = json.dumps({"at": stack[-1]["at"], "stack": stack[-STACK_DEPTH:]}, ensure_ascii=False, default=str)
    conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)", (KEY + message_id, value))


def push(conn, message_id: str, record: dict) -> None:
    """Add an undo step for a message, and forget the oldest messages' steps beyond KEEP_MESSAGES."""
    _store(conn, message_id, [*_load(conn, message_id), record])
    conn.exec_driver_sql(
        "DELETE FROM office_meta WHERE key IN (SELECT key FROM office_meta WHERE key >= ? AND key < ? "
        "ORDER BY json_extract(value, '$.at') DESC LIMIT -1 OFFSET ?)", (KEY, KEY[:-1] + ";", KEEP_MESSAGES))


def last_step(office: Office, message_id: str) -> dict | None:
    """The message's most recent undoable triage on this machine (None when there is none)."""
    with office.engine.connect() as conn:
        stack = _load(conn, message_id)
    return stack[-1] if stack else None


# -- undo --------------------------------------------------------------------------------------------
def _label(tbl: str, obj: Any) -> str:
    if tbl == "cases":
        return f"case {obj.ref}"
    if tbl == "messages":
        return "the message"
    if tbl == "case_parties":
        return "a party on the case"
    return {"constituents": "the constituent", "campaigns": "the campaign"}.get(tbl, tbl.rstrip("s"))


def _case_work(conn, case_id: str, own_messages: set[str], own_rows: set[str]) -> list[str]:
    """What has been added to a case since it was opened (beyond the triaged message itself and the rows
    the triage made with it, such as its "Case opened" line)."""
    found = []
    for tbl, what in (("notes", "note"), ("tasks", "task"), ("letters", "letter"), ("case_parties", "party"),
                      ("attachments", "file")):
        ids = conn.exec_driver_sql(f"SELECT id FROM {tbl} WHERE case_id = ? AND deleted = 0",  # noqa: S608
                                   (case_id,)).fetchall()
        n = sum(1 for (row_id,) in ids if row_id not in own_rows)
        if n:
            found.append(f"{n} {what}{'s' if n > 1 else ''}")
    rows = conn.exec_driver_sql("SELECT id FROM messages WHERE case_id = ? AND deleted = 0", (case_id,)).fetchall()
    others = [r[0] for r in rows if r[0] not in own_messages]
    if others:
        found.append(f"{len(others)} other message{'s' if len(others) > 1 else ''}")
    return found


def _person_in_use(conn, person_id: str, dropping_cases: set[str], own_messages: set[str]) -> bool:
    cases = [r[0] for r in conn.exec_driver_sql(
        "SELECT id FROM cases WHERE deleted = 0 AND (constituent_id = ? OR raised_by_id = ?)",
        (person_id, person_id)).fetchall()]
    if any(c not in dropping_cases for c in cases):
        return True
    msgs = [r[0] for r in conn.exec_driver_sql(
        "SELECT id FROM messages WHERE deleted = 0 AND (constituent_id = ? OR suggested_constituent_id = ?)",
        (person_id, person_id)).fetchall()]
    if any(m not in own_messages for m in msgs):
        return True
    for tbl in ("case_parties", "consents", "subject_access_requests"):
        if conn.exec_driver_sql(f"SELECT 1 FROM {tbl} WHERE constituent_id = ? AND deleted = 0 LIMIT 1",  # noqa: S608
                                (person_id,)).fetchone():
            return True
    return False


def undo_step(w: Any, message_id: str, record: dict) -> list[str]:
    """Put back what `record` changed, inside the caller's transaction; OfficeError if that would lose
    a change made since. Returns what it removed (rows the triage had made), in words."""
    conn = w.session.connection()
    objects: dict[tuple[str, str], Any] = {}

    def obj_of(tbl: str, row_id: str) -> Any:
        if (tbl, row_id) not in objects:
            objects[(tbl, row_id)] = w.get(SHARED_TABLES[tbl], row_id)
        return objects[(tbl, row_id)]

    changed_since = []
    for tbl, row_id, field, _old, new in record.get("changed", []):
        obj = obj_of(tbl, row_id)
        if obj is None or getattr(obj, field) != new:
            changed_since.append(_label(tbl, obj) if obj is not None else tbl)
    own_messages = {row_id for tbl, row_id, *_ in record.get("changed", []) if tbl == "messages"} | {message_id}
    dropping_cases = set()
    own_rows = {row_id for _tbl, row_id, _at in record.get("created", [])}
    for tbl, row_id, updated_at in record.get("created", []):
        obj = obj_of(tbl, row_id)
        if obj is None or obj.deleted:
            continue
        if tbl == "cases":
            work = _case_work(conn, row_id, own_messages, own_rows)
            if work:
                raise OfficeError(f"cannot undo: case {obj.ref} has work on it since it was opened "
                                  f"({', '.join(work)}); close the case instead")
            dropping_cases.add(row_id)
        if updated_at and obj.updated_at != updated_at and tbl != "constituents":  # (an edited person is kept)
            changed_since.append(_label(tbl, obj))
    if changed_since:
        what = ", ".join(dict.fromkeys(changed_since))
        raise OfficeError(f"cannot undo: {what} changed since (undo would lose that change)")
    by_object: dict[tuple[str, str], dict[str, Any]] = {}
    for tbl, row_id, field, old, _new in record.get("changed", []):
        by_object.setdefault((tbl, row_id), {})[field] = old
    for (tbl, row_id), fields in by_object.items():
        w.update(obj_of(tbl, row_id), **fields)
    removed = []
    for tbl, row_id, updated_at in reversed(record.get("created", [])):
        obj = obj_of(tbl, row_id)
        if obj is None or obj.deleted:
            continue
        if tbl == "constituents" and (obj.updated_at != updated_at
                                      or _person_in_use(conn, row_id, dropping_cases, own_messages)):
            continue  # edited since, or something else now refers to this person: they stay
        w.delete(obj)
        if getattr(obj, "case_id", None) in dropping_cases:
            continue  # a line on the case removed with it ("Case opened"): the case says it all
        removed.append({"cases": f"case {getattr(obj, 'ref', '')}", "constituents": "the person it added",
                        "campaigns": "the campaign it made"}.get(tbl, tbl.rstrip("s")))
    return removed


def _lane_text(triage: str) -> str:
    return TRIAGE_LANES.get(triage, triage)


def _unfile_auto(w: Any, msg: Message) -> str:
    """Take an auto-filed message off its case; the case stays as its suggestion. Returns the summary."""
    case = w.get(Case, msg.case_id) if msg.case_id else None
    ref = case.ref if case else "its case"
    w.update(msg, case_id=None, triage="suggested", suggested_case_id=msg.case_id,
             suggestion_reason=f"auto-filing undone (was: {msg.suggestion_reason or 'matched'})")
    return f"auto-filed to {ref}"


def _fallback(w: Any, msg: Message) -> tuple[str, str]:
    """Undo a triage with no record on this machine (done before this machine kept them, or elsewhere):
    the message goes back to where it came from as best it can be known. Returns (action, summary)."""
    if msg.triage == "auto_filed" and msg.case_id:
        return "auto_file", _unfile_auto(w, msg)
    if msg.triage == "ignored":
        w.update(msg, triage="new")
        return "ignore", "ignored"
    if msg.triage == "done" and msg.case_id:
        case = w.get(Case, msg.case_id)
        w.update(msg, case_id=None, triage="new")
        return "file", f"filed to {case.ref if case else 'a case'}"
    if msg.triage == "done" and msg.campaign_id:
        w.update(msg, triage="campaign")
        return "done", "dealt with as a campaign email"
    if msg.triage == "done":
        w.update(msg, triage="new")
        return "done", "marked done"
    if msg.triage == "campaign":
        w.update(msg, triage="new", campaign_id=None)
        return "campaign", "put in a campaign"
    if msg.triage in ("outbox", "sent"):
        raise OfficeError("a drafted reply is not triage: discard it in the Outbox lane (d) instead")
    raise OfficeError("nothing to undo for this message")


def undo(office: Office, message_id: str) -> Undone:
    """Undo the message's last triage (one transaction); says what it undid and where the message is now."""
    with office.writing() as w:
        msg = w.get(Message, message_id)
        if msg is None or msg.deleted:
            raise OfficeError(f"no message {message_id!r}")
        conn = w.session.connection()
        stack = _load(conn, message_id)
        if stack:
            record = stack.pop()
            if record["action"] == "auto_file" and msg.triage != "auto_filed":
                raise OfficeError("cannot undo the auto-filing: the message has been triaged since "
                                  f"(it is in {_lane_text(msg.triage)})")
            removed = undo_step(w, message_id, record)
            action, summary = record["action"], record["summary"]
            if action == "auto_file" and msg.triage == "auto_filed":
                _unfile_auto(w, msg)
            _store(conn, message_id, stack)
        else:
            removed = []
            action, summary = _fallback(w, msg)
        w.audit("message.undo", target=f"message:{msg.id}", detail=f"undid: {summary}")
        gone = f"; {' and '.join(removed)} removed" if removed else ""
        return Undone(msg.id, action, f"Undone: {summary}{gone} (the message is now in {_lane_text(msg.triage)})",
                      msg.triage)
