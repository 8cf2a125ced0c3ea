"""The audit log (issue 7): who did what, when; append-only, synced, readable by managers only.

Events are written by services through `Writer.audit(action, target, detail)`; this module reads
and filters them, and audits failed unlocks.

Who looked (issue 17). Reading a person's data is a use of it: opening a case or a person's record is
noted in memory (`note_view`, no database work, so opening stays as fast) and written in batches
(`flush_views`: one transaction for all that are waiting, each event at the time it was opened, naming
who and from which machine) by the app every few seconds off the UI thread, and when the office closes.
`case_history` lists everything recorded about a case, views included (`mpoffice audit --case REF`).

Failed unlocks. A wrong passphrase must never change the office's files (the database, its WAL or
its key slots): the database cannot even be opened without the key. So a failure is *noted* outside
the office: in memory for the running process, and in a small per-computer file in the config folder
(`unlock-failures.json`: the time, the reason and a hash of the office path; no names, no personal
data). At the next successful unlock of that office on this computer (CLI or app), the noted
failures are written as `unlock.failed` audit events (with their original times in the detail) and
the note is removed. Honest limits: a failure is audited only once someone later unlocks that office
on the same computer, and someone who controls that computer can delete the note first.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui import paths
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.services import access

_MAX_NOTED = 200
_memory: dict[str, list[dict]] = {}  # office-path hash -> failures the note file could not hold


@dataclass(frozen=True)
class AuditRow:
    id: str
    at: str
    staff_id: str | None
    staff_name: str | None
    action: str
    target: str | None
    detail: str


def query(office: Office, *, action: str | None = None, staff: str | None = None, since: str | None = None,
          until: str | None = None, target: str | None = None, limit: int = 1000) -> list[AuditRow]:
    """Audit events, newest first (managers only).

    `action` matches exactly or as a prefix before a dot ("sar" matches "sar.pack"); `staff` is a
    staff name (case-insensitive) or id; `since`/`until` are ISO dates or times (inclusive);
    `target` is a target such as "case:ID" or its prefix.
    """
    access.require(office, "audit.read")
    where, params = ["1 = 1"], {"limit": int(limit)}
    if action:
        where.append("(a.action = :action OR a.action LIKE :action_prefix ESCAPE '\\')")
        params["action"] = action
        params["action_prefix"] = _like_escape(action.rstrip(".")) + ".%"
    if staff:
        where.append("(a.staff_id = :staff OR lower(s.name) = lower(:staff))")
        params["staff"] = staff
    if since:
        where.append("a.at >= :since")
        params["since"] = since
    if until:
        where.append("a.at <= :until")
        params["until"] = until + ("~" if len(until) == 10 else "")  # a date includes its whole day
    if target:
        where.append("(a.target = :target OR a.target LIKE :target_prefix ESCAPE '\\')")
        params["target"] = target
        params["target_prefix"] = _like_escape(target) + "%"
    sql = ("SELECT a.id, a.at, a.staff_id, s.name, a.action, a.target, a.detail FROM audit_events a "
           "LEFT JOIN staff s ON s.id = a.staff_id WHERE a.deleted = 0 AND " + " AND ".join(where)
           + " ORDER BY a.at DESC, a.id DESC LIMIT :limit")
    from sqlalchemy import text  # imported here: unlocking (flush_unlock_failures) must not need it

    with office.engine.connect() as conn:
        return [AuditRow(*r) for r in conn.execute(text(sql), params)]


def actions(office: Office) -> list[str]:
    """The distinct actions in the log (for a filter menu)."""
    access.require(office, "audit.read")
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT action FROM audit_events ORDER BY action")]


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def record(office: Office, action: str, target: str | None = None, detail: str = "") -> None:
    """Write one audit event in its own transaction (for reads that change nothing else)."""
    with office.writing() as w:
        w.audit(action, target=target, detail=detail)


def record_confidential_view(office: Office, case_id: str, note_ids: list[str] | tuple[str, ...]) -> None:
    """Audit that the unlocking person was shown confidential notes on a case (call after showing)."""
    if note_ids:
        record(office, "note.view_confidential", f"case:{case_id}",
               f"{len(note_ids)} confidential note(s): " + ", ".join(note_ids[:20]))


# -- who looked -----------------------------------------------------------------------------------
VIEW_ACTIONS = {"case": "case.view", "constituent": "constituent.view"}
REPEAT_SECONDS = 60  # the same person opening the same record again within this is one view
_views_lock = threading.Lock()
_pending_views: weakref.WeakKeyDictionary[Office, list[dict]] = weakref.WeakKeyDictionary()


def note_view(office: Office, kind: str, record_id: str) -> None:
    """Note that the unlocking person opened a case or a person's record (written by `flush_views`)."""
    from mpoffice_tui.services.clock import now_iso

    event = {"at": now_iso(), "staff_id": office.staff_id, "action": VIEW_ACTIONS[kind],
             "target": f"{kind}:{record_id}", "detail": f"machine {office.site_code}"}
    with _views_lock:
        pending = _pending_views.setdefault(office, [])
        if pending and pending[-1]["target"] == event["target"] and pending[-1]["staff_id"] == event["staff_id"] \
                and _seconds_between(pending[-1]["at"], event["at"]) < REPEAT_SECONDS:
            return
        pending.append(event)


def _seconds_between(a: str, b: str) -> float:
    from datetime import datetime

    try:
        return abs((datetime.fromisoformat(b.replace("Z", "+00:00")) -
                    datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds())
    except ValueError:
        return REPEAT_SECONDS


def pending_views(office: Office) -> int:
    with _views_lock:
        return len(_pending_views.get(office, ()))


def flush_views(office: Office) -> int:
    """Write every noted view as an audit event, in one transaction; returns how many (0: nothing waiting)."""
    with _views_lock:
        pending = _pending_views.pop(office, [])
    if not pending:
        return 0
    from mpoffice_tui.db.models import AuditEvent

    try:
        with office.writing() as w:
            for e in pending:
                w.insert(AuditEvent, **e)
    except Exception:
        with _views_lock:  # kept for the next try (a busy or closing office)
            _pending_views.setdefault(office, [])[:0] = pending
        raise
    return len(pending)


def record_view(office: Office, kind: str, record_id: str) -> None:
    """Note a view and write it at once (the CLI, which reads one record and exits)."""
    note_view(office, kind, record_id)
    flush_views(office)


@dataclass(frozen=True)
class ViewRow:
    at: str
    staff: str
    machine: str
    what: str  # "case" | "person"


def case_history(office: Office, case: str, *, limit: int = 1000) -> list[AuditRow]:
    """Everything recorded about a case (by id or reference), newest first: views, notes, changes; managers only."""
    access.require(office, "audit.read")
    from mpoffice_tui.services.cases import find_case_id

    return query(office, target=f"case:{find_case_id(office, case)}", limit=limit)


def case_views(office: Office, case_id: str, *, limit: int = 200) -> list[ViewRow]:
    """Who opened this case, or its person's record, when and from which machine (newest first); managers only."""
    access.require(office, "audit.read")
    from sqlalchemy import text

    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT constituent_id FROM cases WHERE id = :id OR ref = :id"), {"id": case_id}).fetchone()
        rows = conn.execute(text(
            "SELECT a.at, coalesce(s.name, 'someone with the recovery code'), a.detail, a.action FROM audit_events a "
            "LEFT JOIN staff s ON s.id = a.staff_id WHERE a.deleted = 0 AND a.action IN ('case.view', "
            "'constituent.view') AND a.target IN (:case, :person) ORDER BY a.at DESC, a.id DESC LIMIT :limit"),
            {"case": f"case:{case_id}", "person": f"constituent:{row[0] if row else ''}", "limit": limit}).fetchall()
    return [ViewRow(at, name, detail.removeprefix("machine ").strip() or "?",
                    "case" if action == "case.view" else "person") for at, name, detail, action in rows]


# -- failed unlocks ----------------------------------------------------------------------------
def _office_key(db_path: str | os.PathLike) -> str:
    return hashlib.sha256(str(Path(db_path).resolve()).encode("utf-8")).hexdigest()[:32]


def _note_file() -> Path:
    return paths.config_dir() / "unlock-failures.json"


def _read_notes() -> dict[str, list[dict]]:
    try:
        data = json.loads(_note_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_notes(notes: dict[str, list[dict]]) -> bool:
    f = _note_file()
    try:
        if not notes:
            f.unlink(missing_ok=True)
            return True
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f.name + ".tmp")
        tmp.write_text(json.dumps(notes), encoding="utf-8")
        os.replace(tmp, f)
        return True
    except OSError:
        return False


def note_unlock_failure(db_path: str | os.PathLike, reason: str = "wrong passphrase") -> None:
    """Remember a failed unlock (outside the office's files) until the next successful unlock."""
    key = _office_key(db_path)
    entry = {"at": utcnow(), "reason": str(reason)[:200]}
    notes = _read_notes()
    notes.setdefault(key, []).append(entry)
    notes[key] = notes[key][-_MAX_NOTED:]
    if not _write_notes(notes):
        _memory.setdefault(key, []).append(entry)


def pending_unlock_failures(db_path: str | os.PathLike) -> list[dict]:
    key = _office_key(db_path)
    return _read_notes().get(key, []) + _memory.get(key, [])


def flush_unlock_failures(office: Office) -> int:
    """Write noted failed unlocks of this office as `unlock.failed` events; returns how many."""
    key = _office_key(office.path)
    notes = _read_notes()
    pending = notes.pop(key, []) + _memory.pop(key, [])
    if not pending:
        return 0
    from mpoffice_tui.db.models import AuditEvent

    with office.writing() as w:
        for p in pending:  # at the failure's own time, by nobody (the unlocker did not fail)
            w.insert(AuditEvent, at=str(p.get("at") or utcnow()), staff_id=None, action="unlock.failed",
                     target="office", detail=f"{p.get('reason', '')} (noted on this computer, written at "
                     "the next successful unlock)")
    _write_notes(notes)
    return len(pending)
