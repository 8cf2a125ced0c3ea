"""Retention (issue 7): a policy set by a manager, a review list, and erasure or anonymisation.

Policy: a `settings` row `retention.policy` (JSON), e.g. closed cases are reviewed N years after
they closed, and constituents with no case or message newer than M years.

Erasure goes through the write path, so it replicates: for every row erased a `$erase` op is
recorded (sync's merge blanks the personal fields in the value of every older op of that row, on
every machine that has or later receives them), then a `deleted` op tombstones it. Locally the row
is rebuilt from its redacted ops at once, losing conflict values are blanked, and `scrub` rebuilds
the full-text indexes, VACUUMs and truncates the WAL so that the erased values do not survive
anywhere in the database file. The deletion log is the audit trail: one `retention.erase` /
`retention.anonymise` event per item erased, naming tables, ids, who, when and the reason, never
the personal data itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, Setting
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import add_months

POLICY_KEY = "retention.policy"
ERASE = "$erase"  # the op field sync's merge treats as erasure (mpoffice_tui.sync.merge.ERASE)


class NotConfirmed(OfficeError):
    """Erasure needs an explicit confirmation; nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class Policy:
    closed_case_years: int | None = None
    inactive_constituent_years: int | None = None


@dataclass(frozen=True)
class ReviewItem:
    kind: str  # case | constituent
    id: str
    label: str  # a case ref, or the person's name (shown to the manager deciding; never logged)
    since: str  # the date the clock started (closed, or last activity)
    due_on: str
    reason: str


@dataclass(frozen=True)
class Erased:
    kind: str
    id: str
    mode: str  # erase | anonymise
    rows: dict[str, int]  # table -> rows erased


@dataclass(frozen=True)
class LogEntry:
    at: str
    staff_id: str | None
    action: str
    target: str | None
    detail: dict


# -- policy -------------------------------------------------------------------------------------
def get_policy(office: Office) -> Policy:
    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT value FROM settings WHERE key = :k AND deleted = 0"),
                           {"k": POLICY_KEY}).fetchone()
    if not row or not row[0]:
        return Policy()
    data = json.loads(row[0])
    return Policy(data.get("closed_case_years"), data.get("inactive_constituent_years"))


def set_policy(office: Office, *, closed_case_years: int | None = None,
               inactive_constituent_years: int | None = None) -> Policy:
    """Set the policy (managers only; audited). A value left as None keeps the current one."""
    access.require(office, "retention.change")
    old = get_policy(office)
    new = Policy(closed_case_years if closed_case_years is not None else old.closed_case_years,
                 inactive_constituent_years if inactive_constituent_years is not None
                 else old.inactive_constituent_years)
    for v in (new.closed_case_years, new.inactive_constituent_years):
        if v is not None and not 0 <= v <= 100:
            raise OfficeError(f"a retention period of {v} years is out of range (0 to 100)")
    value = json.dumps(new.__dict__, sort_keys=True)
    with office.writing() as w:
        row = w.session.exec(select(Setting).where(Setting.key == POLICY_KEY)).first()
        if row is None:
            w.insert(Setting, key=POLICY_KEY, value=value)
        else:
            w.update(row, value=value, deleted=False)
        w.audit("retention.set", target=f"setting:{POLICY_KEY}", detail=value)
    return new


# -- review -------------------------------------------------------------------------------------
def _cutoff(today: date, years: int) -> str:
    return add_months(today, -12 * years).isoformat()


def review(office: Office, today: date | None = None) -> list[ReviewItem]:
    """What has passed its retention date, or whose erasure was requested (staff may look)."""
    access.require(office, "sar.manage")
    today = today or date.today()
    policy = get_policy(office)
    items: list[ReviewItem] = []
    with office.engine.connect() as conn:
        if policy.closed_case_years is not None:
            cut = _cutoff(today, policy.closed_case_years)
            for cid, ref, closed in conn.execute(text(
                    "SELECT id, ref, closed_at FROM cases WHERE deleted = 0 AND status = 'closed' "
                    "AND closed_at IS NOT NULL AND closed_at != '' AND substr(closed_at, 1, 10) < :cut "
                    "ORDER BY closed_at"), {"cut": cut}):
                due = add_months(date.fromisoformat(closed[:10]), 12 * policy.closed_case_years)
                items.append(ReviewItem("case", cid, ref, closed[:10], due.isoformat(),
                                        f"closed more than {policy.closed_case_years} years ago"))
        if policy.inactive_constituent_years is not None:
            years = policy.inactive_constituent_years
            cut = _cutoff(today, years)
            for pid, name, last in conn.execute(text(
                    "SELECT p.id, trim(p.forenames || ' ' || p.surname), max(substr(p.updated_at, 1, 10), "
                    "  coalesce((SELECT max(substr(coalesce(nullif(c.closed_at, ''), c.updated_at), 1, 10)) "
                    "   FROM cases c WHERE c.constituent_id = p.id AND c.deleted = 0), ''), "
                    "  coalesce((SELECT max(substr(m.received_at, 1, 10)) FROM messages m "
                    "   WHERE m.constituent_id = p.id AND m.deleted = 0), '')) AS last "
                    "FROM constituents p WHERE p.deleted = 0 AND p.privacy_state != 'anonymised' "
                    "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.constituent_id = p.id AND c.deleted = 0 "
                    "  AND c.status != 'closed') "
                    "GROUP BY p.id HAVING last < :cut ORDER BY last"), {"cut": cut}):
                due = add_months(date.fromisoformat(last), 12 * years)
                items.append(ReviewItem("constituent", pid, name, last, due.isoformat(),
                                        f"no activity for more than {years} years"))
        seen = {i.id for i in items}
        for pid, name in conn.exec_driver_sql("SELECT id, trim(forenames || ' ' || surname) FROM constituents "
                                              "WHERE deleted = 0 AND privacy_state = 'erasure_requested'"):
            if pid not in seen:
                items.append(ReviewItem("constituent", pid, name, "", today.isoformat(),
                                        "erasure requested"))
    return items


# -- what belongs to an item -------------------------------------------------------------------
def _ids(conn, sql: str, params: dict) -> list[str]:
    return [r[0] for r in conn.execute(text(sql), params)]


def case_rows(conn, case_id: str) -> list[tuple[str, str]]:
    """Every row (deleted or not) that holds data of one case."""
    p = {"id": case_id}
    rows = [("cases", case_id)]
    for tbl in ("notes", "tasks", "letters", "case_parties", "consents", "messages"):
        rows += [(tbl, i) for i in _ids(conn, f"SELECT id FROM {tbl} WHERE case_id = :id", p)]
    rows += [("attachments", i) for i in _ids(conn, "SELECT id FROM attachments WHERE case_id = :id OR "
                                              "message_id IN (SELECT id FROM messages WHERE case_id = :id)", p)]
    return rows


def constituent_rows(conn, constituent_id: str) -> list[tuple[str, str]]:
    """Every row of one person outside their cases: record, consents, messages, SARs, party entries."""
    p = {"id": constituent_id}
    rows = [("constituents", constituent_id)]
    for tbl in ("consents", "subject_access_requests", "case_parties"):
        rows += [(tbl, i) for i in _ids(conn, f"SELECT id FROM {tbl} WHERE constituent_id = :id", p)]
    msgs = _ids(conn, "SELECT id FROM messages WHERE constituent_id = :id AND (case_id IS NULL OR case_id IN "
                "(SELECT id FROM cases WHERE constituent_id = :id))", p)
    rows += [("messages", i) for i in msgs]
    if msgs:
        marks = ",".join(f":m{i}" for i in range(len(msgs)))
        rows += [("attachments", i) for i in _ids(conn, f"SELECT id FROM attachments WHERE message_id IN ({marks})",
                                                  {f"m{i}": m for i, m in enumerate(msgs)})]
    return rows


# -- erasure ------------------------------------------------------------------------------------
def erase_rows(w, rows: Sequence[tuple[str, str]], *, tombstone: bool = True) -> None:
    """Erase rows through the write path: a `$erase` op each (replicated), then a tombstone op,
    then rebuild them from their (now redacted) ops. Runs in the writer's transaction."""
    from mpoffice_tui.sync.merge import rebuild_rows

    rows = list(dict.fromkeys(rows))
    if not rows:
        return
    w.session.flush()
    for tbl, rid in rows:
        w.record(tbl, rid, ERASE, {"erased": True})
        if tombstone:
            w.record(tbl, rid, "deleted", True, prev=w.head(tbl, rid, "deleted"))
    conn = w.session.connection()
    rebuild_rows(conn, rows)
    conn.exec_driver_sql("UPDATE conflict SET loser_value = 'null', resolved = 1 WHERE tbl = ? AND row_id = ?",
                         rows)
    w.session.expire_all()


def _parse_target(item: str | ReviewItem) -> tuple[str, str]:
    if isinstance(item, ReviewItem):
        return item.kind, item.id
    kind, _, rid = str(item).partition(":")
    if kind not in ("case", "constituent") or not rid:
        raise OfficeError(f"{item!r}: name an item as case:ID (or case:REF) or constituent:ID")
    return kind, rid


def erase(office: Office, items: Iterable[str | ReviewItem], *, reason: str, confirm: bool = False,
          anonymise: bool = False) -> list[Erased]:
    """Erase (or anonymise) cases and constituents, each in one transaction; managers only.

    Erasing a case erases its notes, tasks, letters, parties, consents, messages and attachments.
    Erasing a constituent erases their record, consents, SARs, messages not on someone else's case,
    their entries as a party on other cases, and all their own cases. Anonymising keeps a case's
    category, status, priority and dates (for statistics) with every personal field blanked.
    Afterwards the database is scrubbed (`scrub`) so nothing erased survives in the file.
    """
    access.require(office, "retention.erase")
    targets = [_parse_target(i) for i in items]
    if not confirm:
        raise NotConfirmed(f"nothing erased: confirm the erasure of {len(targets)} item(s)")
    if not reason.strip():
        raise OfficeError("give a reason for the erasure (it goes in the deletion log)")
    mode = "anonymise" if anonymise else "erase"
    done: list[Erased] = []
    for kind, rid in targets:
        with office.writing() as w:
            conn = w.session.connection()
            if kind == "case":
                row = conn.execute(text("SELECT id, category, status, priority, opened_at, closed_at, "
                                        "constituent_id FROM cases WHERE id = :k OR ref = :k"),
                                   {"k": rid}).fetchone()
                if row is None:
                    raise OfficeError(f"no case {rid!r}")
                rows = case_rows(conn, row[0])
                keep = {"category": row[1], "status": row[2], "priority": row[3], "opened_at": row[4],
                        "closed_at": row[5], "title": "(anonymised)"} if anonymise else None
                main = ("cases", row[0])
            else:
                found = conn.execute(text("SELECT id FROM constituents WHERE id = :k"), {"k": rid}).fetchone()
                if found is None:
                    raise OfficeError(f"no constituent {rid!r}")
                rows = constituent_rows(conn, rid)
                for (cid,) in conn.execute(text("SELECT id FROM cases WHERE constituent_id = :k"), {"k": rid}):
                    rows += case_rows(conn, cid)
                keep = {"privacy_state": "anonymised", "surname": "(anonymised)"} if anonymise else None
                main = ("constituents", rid)
            rows = list(dict.fromkeys(rows))
            others = [r for r in rows if r != main]
            erase_rows(w, others)
            erase_rows(w, [main], tombstone=keep is None)
            if keep is not None:
                model = Case if main[0] == "cases" else Constituent
                obj = w.get(model, main[1])
                w.update(obj, **{k: v for k, v in keep.items() if v is not None})
            counts: dict[str, int] = {}
            for tbl, _ in rows:
                counts[tbl] = counts.get(tbl, 0) + 1
            detail = {"mode": mode, "reason": reason.strip()[:500], "rows": counts,
                      "ids": [f"{t}:{i}" for t, i in rows]}
            w.audit(f"retention.{mode}", target=f"{kind}:{main[1]}", detail=json.dumps(detail))
        done.append(Erased(kind, main[1], mode, counts))
    if done:
        scrub(office)
    return done


def deletion_log(office: Office) -> list[LogEntry]:
    """What was erased or anonymised: tables, ids, when, who, why (no personal data); managers only."""
    access.require(office, "audit.read")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT at, staff_id, action, target, detail FROM audit_events WHERE action IN "
            "('retention.erase', 'retention.anonymise') ORDER BY at DESC").fetchall()
    out = []
    for at, staff, action, target, detail in rows:
        try:
            parsed = json.loads(detail)
        except ValueError:
            parsed = {"detail": detail}
        out.append(LogEntry(at, staff, action, target, parsed))
    return out


def scrub(office: Office) -> None:
    """Leave no erased value in the file: merge the full-text indexes (dropping deleted entries),
    VACUUM (rewriting every page, so freed pages go) and truncate the WAL (see `sync.erasure.scrub`;
    a sync import that brings erasures from another machine runs it by itself)."""
    from mpoffice_tui.sync.erasure import scrub as _scrub

    _scrub(office)


def erasures_pending_scrub(office: Office) -> bool:
    """Whether erase ops arrived since the last scrub."""
    from mpoffice_tui.sync.erasure import erasures_pending_scrub as _pending

    return _pending(office)
