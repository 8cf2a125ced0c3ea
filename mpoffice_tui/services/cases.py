"""Casework: create cases, list them a page at a time, read one with its timeline, and act on it.

The API the case list and case detail screens (and `mpoffice cases` / `mpoffice case`) build on.
Everything returned is a frozen dataclass; nothing here imports Textual.

Listing (Core SQL, one window at a time, never every case)::

    f = CaseFilter(statuses=("open",), categories=("Housing",), assignee_ids=(staff_id,), tags=("urgent",),
                   overdue=True, awaiting_days=20, text="O'Brien", open_only=True)
    page = list_cases(office, f, sort="review", descending=False, offset=0, limit=50)  # -> CasePage
    list_cases(office, f, after=page.rows[-1], limit=50)    # the next page by key (no OFFSET); before= too
    page.rows: tuple[CaseRow, ...]; page.total (None when with_total=False)
    count_cases(office, f) -> int
    SAVED_VIEWS: "my_open", "overdue", "awaiting_agency", "closed_this_month" -> SavedView(key, label)
    saved_view_filter(office, key) -> CaseFilter;  saved_view_counts(office) -> {key: count}
    SORTS: the sortable columns (ref title category status priority assignee constituent opened review updated)

Reading::

    get_case(office, ref_or_id, viewer_role=None) -> CaseDetail
        .case: CaseRow, .constituent: PersonBrief | None (flags: safety caution, vulnerable,
        interpreter, accessibility), .raised_by, .parties: (PartyView...), .tasks: (TaskView...),
        .attachments: (AttachmentView...), .timeline: (TimelineItem...) oldest first
    TimelineItem.kind: message | call | note | status | system | letter | task | task_done | attachment
    Confidential notes are redacted (body "", redacted=True) for a volunteer, and the details of a
    safety caution are None (the flag itself still shows). The rules are `services.access`'s, for the
    unlocking staff member; `viewer_role` can only narrow them (preview a volunteer's view), never widen.
    Each confidential note actually shown is audited (`note.view_confidential`).
    find_case_id(office, ref_or_id) -> id;  attachment_data(office, attachment_id) -> (filename, bytes)
    export_attachment(office, attachment_id, dest) -> Path  (plaintext copy, audited)

Acting (each one transaction through `office.writing()`, audited)::

    create_case(office, constituent_id=..., title=..., category=...) -> CaseRow   (ref from refs.next_ref)
    add_note(office, case, body, confidential=False);  log_call(office, case, summary, direction="in")
    change_status(office, case, status, outcome=None)  (closing needs an outcome; any other status on
        a closed case reopens it; every change is also a `notes` row of kind "status")
    assign(office, case, staff);  set_review_date(office, case, date|None)
    add_task(office, case, title, due_date=None, assignee=None);  complete_task(office, task_id)
    add_party(office, case, role, contact_id=.. | constituent_id=.., contacted_on=None)
    mark_party_replied(office, party_id, on=None);  attach_file(office, case, path | data+filename)
    set_tags / set_category / set_priority / set_title
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import (
    Attachment,
    Case,
    CaseParty,
    Constituent,
    Contact,
    Message,
    Note,
    Staff,
    Task,
)
from mpoffice_tui.db.search import match_query
from mpoffice_tui.services import access, audit, refs
from mpoffice_tui.services.clock import now_iso, parse_date, today
from mpoffice_tui.services.constituent_fields import address_lines, display_name, name_sql
from mpoffice_tui.services.exports import save_private
from mpoffice_tui.services.outbox import STATES as OUTGOING_STATES

STATUSES = ("new", "open", "awaiting_constituent", "awaiting_third_party", "closed")
STATUS_LABELS = {"new": "New", "open": "Open", "awaiting_constituent": "Awaiting constituent",
                 "awaiting_third_party": "Awaiting third party", "closed": "Closed"}
PRIORITIES = ("low", "normal", "high", "urgent")
OUTCOMES = ("Resolved", "Partly resolved", "Not resolved", "Referred elsewhere", "Withdrawn",
            "No response from constituent", "Information given")
MAX_ATTACHMENT = 50 * 1024 * 1024


class CaseNotFound(OfficeError):
    pass


# -- rows -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseRow:
    id: str
    ref: str
    title: str
    category: str
    status: str
    priority: str
    assignee_id: str | None
    assignee: str | None
    constituent_id: str | None
    constituent: str | None
    postcode: str | None
    opened_at: str
    closed_at: str | None
    review_date: str | None
    awaiting_since: str | None
    outcome: str | None
    tags: tuple[str, ...]
    confidential: bool
    safety_caution: bool
    updated_at: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["tags"] = list(self.tags)
        return d


@dataclass(frozen=True)
class CasePage:
    rows: tuple[CaseRow, ...]
    total: int | None
    offset: int
    limit: int
    sort: str
    descending: bool


@dataclass(frozen=True)
class CaseFilter:
    """What to list. Empty tuples mean "any"; every given condition must hold."""

    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    assignee_ids: tuple[str, ...] = ()
    unassigned: bool = False
    tags: tuple[str, ...] = ()
    overdue: bool = False  # review date before today, case not closed
    awaiting_days: int | None = None  # awaiting a third party for more than N working days
    open_only: bool = False  # anything but closed
    closed_since: str | None = None  # closed on or after this date
    constituent_id: str | None = None
    text: str | None = None  # free text: ref, title, category, tags, constituent name/email/postcode


@dataclass(frozen=True)
class SavedView:
    key: str
    label: str
    tab: str  # the short form on a tab (all five fit 80 columns with their counts)


SAVED_VIEWS: dict[str, SavedView] = {v.key: v for v in (
    SavedView("my_open", "My open cases", "Mine"),
    SavedView("overdue", "Overdue", "Overdue"),
    SavedView("awaiting_agency", "Awaiting agency > 20 working days", "Awaiting agency"),
    SavedView("closed_this_month", "Closed this month", "Closed this month"),
)}

_SELECT = (
    "SELECT c.id, c.ref, c.title, c.category, c.status, c.priority, c.assignee_id, s.name, "
    f"c.constituent_id, CASE WHEN p.id IS NULL THEN NULL ELSE {name_sql('p')} END, p.postcode, c.opened_at, c.closed_at, c.review_date, "
    "c.awaiting_since, c.outcome, c.tags, c.confidential, coalesce(p.safety_caution, 0), c.updated_at "
    "FROM cases c LEFT JOIN staff s ON s.id = c.assignee_id "
    "LEFT JOIN constituents p ON p.id = c.constituent_id ")

_PRIORITY_RANK = "CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END"
SORTS: dict[str, str] = {
    "ref": "c.ref",
    "title": "c.title",  # binary order: uses the index (a 50k-row NOCASE sort costs ~150 ms)
    "category": "c.category",
    "status": "c.status",
    "priority": _PRIORITY_RANK,
    "assignee": "s.name COLLATE NOCASE",
    "constituent": "p.surname COLLATE NOCASE",
    "opened": "c.opened_at",
    "review": "c.review_date",
    "updated": "c.updated_at",
}


def _row(r) -> CaseRow:
    tags = tuple(t for t in (r[16] or "").split(",") if t)
    return CaseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
                   r[14], r[15], tags, bool(r[17]), bool(r[18]), r[19])


def normalise_tags(tags) -> str:
    """Tags stored as 'a,b' (trimmed, lower case, no repeats)."""
    if isinstance(tags, str):
        tags = tags.split(",")
    out: list[str] = []
    for t in tags or ():
        t = " ".join(str(t).split()).casefold()
        if t and t not in out:
            out.append(t)
    return ",".join(out)


def _in(name: str, values, params: dict) -> str:
    keys = []
    for i, v in enumerate(values):
        params[f"{name}{i}"] = v
        keys.append(f":{name}{i}")
    return ", ".join(keys)


def _where(office: Office, f: CaseFilter, params: dict) -> tuple[str, bool]:
    """The WHERE clause for a filter, and whether it needs the constituent/staff joins."""
    conds = ["c.deleted = 0"]
    if f.statuses:
        conds.append(f"c.status IN ({_in('st', f.statuses, params)})")
    if f.open_only:
        conds.append("c.status != 'closed'")
    if f.categories:
        conds.append(f"c.category COLLATE NOCASE IN ({_in('cat', f.categories, params)})")
    if f.assignee_ids and f.unassigned:
        conds.append(f"(c.assignee_id IN ({_in('as', f.assignee_ids, params)}) OR c.assignee_id IS NULL)")
    elif f.assignee_ids:
        conds.append(f"c.assignee_id IN ({_in('as', f.assignee_ids, params)})")
    elif f.unassigned:
        conds.append("c.assignee_id IS NULL")
    for i, tag in enumerate(t for t in normalise_tags(f.tags).split(",") if t):
        params[f"tag{i}"] = f"%,{tag},%"
        conds.append(f"(',' || c.tags || ',') LIKE :tag{i}")
    if f.overdue:
        params["today"] = today().isoformat()
        conds.append("c.status != 'closed' AND c.review_date IS NOT NULL AND c.review_date < :today")
    if f.awaiting_days is not None:
        from mpoffice_tui.services.reminders import add_working_days, nation

        cutoff = add_working_days(today(), -int(f.awaiting_days), nation(office))
        params["await_cut"] = cutoff.isoformat()
        conds.append("c.status = 'awaiting_third_party' AND c.awaiting_since IS NOT NULL "
                     "AND substr(c.awaiting_since, 1, 10) < :await_cut")
    if f.closed_since:
        params["closed_since"] = parse_date(f.closed_since, "closed since").isoformat()
        conds.append("c.status = 'closed' AND c.closed_at >= :closed_since")
    if f.constituent_id:
        params["cons"] = f.constituent_id
        conds.append("c.constituent_id = :cons")
    if f.text and f.text.strip():
        # every word must match the case (ref, title, category, tags) or its constituent
        chunks = [q for q in (match_query(chunk) for chunk in f.text.split()) if q]
        if not chunks:
            conds.append("0")
        for i, q in enumerate(chunks[:8]):
            params[f"q{i}"] = q
            conds.append(f"(c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH :q{i}) "
                         "OR c.constituent_id IN (SELECT id FROM constituents WHERE rowid IN "
                         f"(SELECT rowid FROM constituents_fts WHERE constituents_fts MATCH :q{i})))")
    return " AND ".join(conds), False


def list_cases(office: Office, f: CaseFilter | None = None, *, sort: str = "opened", descending: bool = True,
               offset: int = 0, limit: int = 50, with_total: bool = True, after: CaseRow | str | None = None,
               before: CaseRow | str | None = None) -> CasePage:
    """One page of cases matching `f`, sorted by one of SORTS (ties broken by reference).

    `after`/`before` (a case row or id already shown) page by key instead of OFFSET: the `limit` cases
    just after (or just before) that case in this order, so a page deep in the list costs what the first
    one does. `offset` then counts on from the anchor (normally 0).
    """
    f = f or CaseFilter()
    if sort not in SORTS:
        raise OfficeError(f"cannot sort by {sort!r}: choose one of {', '.join(SORTS)}")
    params: dict = {"limit": max(0, int(limit)), "offset": max(0, int(offset))}
    where, _ = _where(office, f, params)
    direction = "DESC" if descending else "ASC"
    order = f"{SORTS[sort]} {direction} NULLS LAST, c.ref {direction}"
    joins = ""  # phase 1 touches only what the filter and the sort need, so skipped rows cost little
    if sort == "constituent":
        joins += "LEFT JOIN constituents p ON p.id = c.constituent_id "
    if sort == "assignee":
        joins += "LEFT JOIN staff s ON s.id = c.assignee_id "
    anchor = after if after is not None else before
    with office.engine.connect() as conn:
        if anchor is None and sort == "constituent":
            rowids = _by_person(conn, _people(f), where, params, direction)
        elif anchor is None:
            ids_sql = f"SELECT c.rowid FROM cases c {joins}WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
            rowids = [r[0] for r in conn.execute(text(ids_sql), params)]
        else:
            rowids = _seek(conn, where, joins, params, sort, descending, getattr(anchor, "id", anchor),
                           forward=after is not None, people=_people(f))
        rows: tuple[CaseRow, ...] = ()
        if rowids:
            found = {r[-1]: _row(r) for r in conn.execute(text(
                _SELECT.replace(" FROM cases c", ", c.rowid FROM cases c")
                + "WHERE c.rowid IN (SELECT value FROM json_each(:ids))"), {"ids": json.dumps(rowids)})}
            rows = tuple(found[i] for i in rowids if i in found)
        total = None
        if with_total:
            total = int(conn.execute(text(f"SELECT count(*) FROM cases c WHERE {where}"), params).scalar())
    return CasePage(rows, total, params["offset"], params["limit"], sort, descending)


# Sorted by person: the cases of people in surname order, then the cases with nobody, whose key is NULL (NULLS
# LAST). A LEFT JOIN gives that order but read and sorted every case (183 ms for 100k); walking people from
# ix_constituents_surname_nocase (CROSS JOIN: SQLite keeps that order) stops at a page. A search or one person's
# cases match few rows: there the planner starts from them.
_NOBODY = "(c.constituent_id IS NULL OR NOT EXISTS (SELECT 1 FROM constituents p WHERE p.id = c.constituent_id))"


def _people(f: CaseFilter) -> str:
    """The FROM of people's cases for this filter (see above)."""
    join = "JOIN" if (f.text and f.text.strip()) or f.constituent_id else "CROSS JOIN"
    return f"constituents p {join} cases c ON c.constituent_id = p.id "


def _by_person(conn, people: str, where: str, params: dict, direction: str) -> list[int]:
    """Rowids of one page (`:limit` after `:offset`) of the cases matching `where`, sorted by person."""
    need = params["offset"] + params["limit"]
    rowids = [r[0] for r in conn.execute(text(
        f"SELECT c.rowid FROM {people}WHERE {where} ORDER BY {SORTS['constituent']} {direction}, "
        f"c.ref {direction} LIMIT :need"), {**params, "need": need})]
    if len(rowids) < need:  # the list's end: the cases with nobody (a scan, only when reached)
        rowids += [r[0] for r in conn.execute(text(
            f"SELECT c.rowid FROM cases c WHERE {where} AND {_NOBODY} ORDER BY c.ref {direction} LIMIT :rest"),
            {**params, "rest": need - len(rowids)})]
    return rowids[params["offset"]:need]


def _seek(conn, where: str, joins: str, params: dict, sort: str, descending: bool, anchor_id: str, *,
          forward: bool, people: str) -> list[int]:
    """Rowids of the page beyond the anchor case, in list order (services/keyset.py)."""
    from mpoffice_tui.services import keyset

    found = conn.execute(text(f"SELECT {SORTS[sort]}, c.ref FROM cases c {joins}WHERE c.id = :k_id"),
                         {"k_id": anchor_id}).fetchone()
    if found is None:  # not a case (ids are never reused, and deleted cases keep their row)
        raise OfficeError("the case to page from is not in this office")
    bound = {**params, "k_key": found[0], "k_tie": found[1]}
    want, skip = params["limit"], params["offset"]
    rowids: list[int] = []
    for cond, order in keyset.segments(SORTS[sort], "c.ref", descending=descending, key=found[0], forward=forward):
        if len(rowids) >= want + skip:
            break
        bound["k_limit"] = want + skip - len(rowids)
        source = f"cases c {joins}"
        if sort == "constituent" and f"{SORTS[sort]} IS NULL" not in cond:
            source = people  # people's cases in surname order (see _people)
        rowids += [r[0] for r in conn.execute(text(
            f"SELECT c.rowid FROM {source}WHERE {where} AND {cond} ORDER BY {order} LIMIT :k_limit"), bound)]
    rowids = rowids[skip:skip + want]
    return rowids if forward else rowids[::-1]


def count_cases(office: Office, f: CaseFilter | None = None) -> int:
    params: dict = {}
    where, _ = _where(office, f or CaseFilter(), params)
    with office.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM cases c WHERE {where}"), params).scalar())


def saved_view_filter(office: Office, key: str) -> CaseFilter:
    """The filter behind a saved view (relative to today and to who unlocked the office)."""
    if key == "my_open":
        return CaseFilter(assignee_ids=(office.staff_id or "",), open_only=True)
    if key == "overdue":
        return CaseFilter(overdue=True)
    if key == "awaiting_agency":
        return CaseFilter(awaiting_days=20)
    if key == "closed_this_month":
        return CaseFilter(closed_since=today().replace(day=1).isoformat())
    raise OfficeError(f"unknown saved view {key!r}: choose one of {', '.join(SAVED_VIEWS)}")


def saved_view_counts(office: Office) -> dict[str, int]:
    return {key: count_cases(office, saved_view_filter(office, key)) for key in SAVED_VIEWS}


def status_counts(office: Office) -> dict[str, int]:
    """Live cases by status (for the list's header)."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT status, count(*) FROM cases WHERE deleted = 0 GROUP BY status").fetchall()
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in STATUSES}


def categories(office: Office) -> list[str]:
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT category FROM cases WHERE deleted = 0 ORDER BY category COLLATE NOCASE")]


def case_row(office: Office, ref_or_id: str) -> CaseRow:
    case_id = find_case_id(office, ref_or_id)
    with office.engine.connect() as conn:
        r = conn.execute(text(_SELECT + "WHERE c.id = :id"), {"id": case_id}).fetchone()
    return _row(r)


def find_case_id(office: Office, ref_or_id: str) -> str:
    """A case's id from its reference (any case) or id; CaseNotFound otherwise."""
    key = (ref_or_id or "").strip()
    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT id FROM cases WHERE (ref = :k OR id = :k) AND deleted = 0"),
                           {"k": key.upper() if refs.REF_PATTERN.fullmatch(key.upper()) else key}).fetchone()
    if row is None:
        raise CaseNotFound(f"no case {ref_or_id!r}")
    return row[0]


# -- detail -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonBrief:
    id: str
    name: str
    email: str | None
    phone: str | None
    postcode: str | None
    address: str
    safety_caution: bool
    safety_details: str | None
    vulnerable: bool
    interpreter_language: str | None
    accessibility: str | None

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.safety_caution:
            out.append("SAFETY CAUTION" + (f": {self.safety_details}" if self.safety_details else ""))
        if self.vulnerable:
            out.append("Vulnerable")
        if self.interpreter_language:
            out.append(f"Interpreter: {self.interpreter_language}")
        if self.accessibility:
            out.append(f"Accessibility: {self.accessibility}")
        return tuple(out)


@dataclass(frozen=True)
class PartyView:
    id: str
    role: str
    contact_id: str | None
    constituent_id: str | None
    name: str
    route: str | None
    contacted_on: str | None
    reply_due: str | None
    replied_on: str | None


@dataclass(frozen=True)
class TaskView:
    id: str
    case_id: str
    title: str
    due_date: str | None
    assignee_id: str | None
    assignee: str | None
    done: bool
    done_at: str | None
    created_at: str


@dataclass(frozen=True)
class AttachmentView:
    id: str
    filename: str
    content_type: str
    size: int
    message_id: str | None
    created_at: str


@dataclass(frozen=True)
class TimelineItem:
    at: str
    kind: str  # message | call | note | status | system | letter | task | task_done | attachment
    id: str  # the source row's id
    title: str
    body: str
    author: str | None = None
    direction: str | None = None  # in | out (messages, calls)
    channel: str | None = None
    confidential: bool = False
    redacted: bool = False  # a confidential note hidden from this viewer
    attachments: tuple[str, ...] = ()
    state: str | None = None  # an outgoing email's state: draft, queued, sent, failed...

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["attachments"] = list(self.attachments)
        return d


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    constituent: PersonBrief | None
    raised_by: PersonBrief | None
    parties: tuple[PartyView, ...]
    tasks: tuple[TaskView, ...]
    attachments: tuple[AttachmentView, ...]
    timeline: tuple[TimelineItem, ...]
    viewer_role: str = "manager"
    campaign_id: str | None = field(default=None)

    def as_dict(self) -> dict:
        def plain(x):
            return {k: getattr(x, k) for k in x.__dataclass_fields__} if x is not None else None

        return {
            "case": self.case.as_dict(),
            "constituent": {**plain(self.constituent), "flags": list(self.constituent.flags)}
            if self.constituent else None,
            "raised_by": plain(self.raised_by),
            "parties": [plain(p) for p in self.parties],
            "tasks": [plain(t) for t in self.tasks],
            "attachments": [plain(a) for a in self.attachments],
            "timeline": [t.as_dict() for t in self.timeline],
        }


_PERSON_SQL = (f"SELECT id, {name_sql(title=True)}, email, phone, postcode, safety_caution, safety_details, "
               "vulnerable, interpreter_language, accessibility, address1, address2, address3, town "
               "FROM constituents WHERE id = :id")


def _person(conn, person_id: str | None, *, safety_details: bool = False) -> PersonBrief | None:
    """A person's brief; the safety caution's details only when `safety_details` (the flag always)."""
    if not person_id:
        return None
    r = conn.execute(text(_PERSON_SQL), {"id": person_id}).fetchone()
    if r is None:
        return None
    address = ", ".join(address_lines(*r[10:]))  # the postcode is a field of its own
    return PersonBrief(r[0], r[1], r[2], r[3], r[4], address, bool(r[5]), r[6] if safety_details else None,
                       bool(r[7]), r[8], r[9])


def can_read_confidential(role: str) -> bool:
    """Whether a role sees the bodies of confidential notes (volunteers never do)."""
    return access.can(role, "note.confidential")


def get_case(office: Office, ref_or_id: str, viewer_role: str | None = None) -> CaseDetail:
    """A case with its people, parties, tasks, attachments and whole timeline (oldest first)."""
    actual = access.role_of(office)
    role = viewer_role or actual
    show_conf = can_read_confidential(role) and can_read_confidential(actual)
    show_safety = access.can(role, "safety.details") and access.can(actual, "safety.details")
    case = case_row(office, ref_or_id)
    cid = {"id": case.id}
    with office.engine.connect() as conn:
        staff = dict(conn.exec_driver_sql("SELECT id, name FROM staff").fetchall())
        extra = conn.execute(text("SELECT raised_by_id, campaign_id FROM cases WHERE id = :id"), cid).fetchone()
        constituent = _person(conn, case.constituent_id, safety_details=show_safety)
        raised_by = _person(conn, extra[0], safety_details=show_safety)
        parties = tuple(PartyView(
            r[0], r[1], r[2], r[3], r[4] or r[5] or "", r[6], r[7], r[8], r[9]) for r in conn.execute(text(
                "SELECT cp.id, cp.role, cp.contact_id, cp.constituent_id, "
                "trim(coalesce(k.organisation, '') || coalesce(' — ' || k.department, '')), "
                f"{name_sql('p')}, "
                "k.preferred_route, cp.contacted_on, cp.reply_due, cp.replied_on "
                "FROM case_parties cp LEFT JOIN contacts k ON k.id = cp.contact_id "
                "LEFT JOIN constituents p ON p.id = cp.constituent_id "
                "WHERE cp.case_id = :id AND cp.deleted = 0 ORDER BY cp.created_at, cp.id"), cid))
        task_rows = conn.execute(text(
            "SELECT id, case_id, title, due_date, assignee_id, done, done_at, created_at FROM tasks "
            "WHERE case_id = :id AND deleted = 0 ORDER BY created_at, id"), cid).fetchall()
        tasks = tuple(TaskView(r[0], r[1], r[2], r[3], r[4], staff.get(r[4]), bool(r[5]), r[6], r[7])
                      for r in task_rows)
        att_rows = conn.execute(text(
            "SELECT id, filename, content_type, size, message_id, created_at FROM attachments "
            "WHERE deleted = 0 AND (case_id = :id OR message_id IN "
            "(SELECT id FROM messages WHERE case_id = :id)) ORDER BY created_at, id"), cid).fetchall()
        attachments = tuple(AttachmentView(*r) for r in att_rows)
        by_message: dict[str, list[str]] = {}
        for a in attachments:
            if a.message_id:
                by_message.setdefault(a.message_id, []).append(a.filename)
        items: list[TimelineItem] = []
        for r in conn.execute(text(
                "SELECT m.id, m.received_at, m.channel, m.direction, m.sender_name, m.sender_email, m.recipients, "
                "m.subject, m.body_text, m.author_id, o.state, o.reason FROM messages m "
                "LEFT JOIN outgoing_mail o ON o.message_id = m.id AND o.deleted = 0 "
                "WHERE m.case_id = :id AND m.deleted = 0"), cid):
            who = r[4] or r[5] or ""
            if r[2] == "phone":  # a call in is from its sender; a call out is to its recipient
                kind = "call"
                if r[3] == "in":
                    title = "Call from " + (who or (constituent.name if constituent else "") or "constituent")
                else:
                    called = r[6] or (who if who != staff.get(r[9]) else "")
                    title = "Call to " + (called or (constituent.name if constituent else "") or "constituent")
            else:
                kind = "message"
                title = r[7] or "(no subject)"
                if r[10]:  # an outgoing email: to whom, and how far it has got
                    title = f"To {r[6] or '?'}: {title} — {OUTGOING_STATES.get(r[10], r[10])}" + (
                        f" ({r[11]})" if r[11] and r[10] in ("failed", "queued", "sent") else "")
            items.append(TimelineItem(r[1], kind, r[0], title, r[8] or "",
                                      staff.get(r[9]) or who or None, r[3], r[2],
                                      attachments=tuple(by_message.get(r[0], ())), state=r[10]))
        for r in conn.execute(text("SELECT id, created_at, author_id, body, confidential, kind FROM notes "
                                   "WHERE case_id = :id AND deleted = 0"), cid):
            conf = bool(r[4])
            hidden = conf and not show_conf
            kind = r[5] if r[5] in ("note", "call", "status", "system") else "note"
            label = {"note": "Note", "call": "Call", "status": "Status", "system": "Update"}[kind]
            items.append(TimelineItem(r[1], kind, r[0], ("Confidential note" if conf else label),
                                      "" if hidden else r[3], staff.get(r[2]), confidential=conf,
                                      redacted=hidden))
        for r in conn.execute(text("SELECT id, created_at, recipient_name, subject, body_text, author_id, "
                                   "sent_on FROM letters WHERE case_id = :id AND deleted = 0"), cid):
            items.append(TimelineItem(r[1], "letter", r[0], f"Letter to {r[2] or 'recipient'}: {r[3] or ''}"
                                      .rstrip(": "), r[4] or "", staff.get(r[5]), "out", "letter"))
        for t in tasks:
            due = f" (due {t.due_date})" if t.due_date else ""
            items.append(TimelineItem(t.created_at, "task", t.id, f"Task: {t.title}{due}", "", t.assignee))
            if t.done and t.done_at:
                items.append(TimelineItem(t.done_at, "task_done", t.id, f"Task done: {t.title}", "", t.assignee))
        for a in attachments:
            if not a.message_id:
                items.append(TimelineItem(a.created_at, "attachment", a.id, f"File attached: {a.filename}",
                                          f"{a.content_type}, {a.size} bytes"))
    items.sort(key=lambda i: (i.at, i.kind, i.id))
    shown = [i.id for i in items if i.confidential and not i.redacted]
    if shown:  # who saw which confidential notes: audited (issue 7)
        audit.record_confidential_view(office, case.id, shown)
    return CaseDetail(case, constituent, raised_by, parties, tasks, attachments, tuple(items), role, extra[1])


def disk_name(name: str | None) -> str:
    """An attachment's name as a file name on any system: no folders, no characters Windows refuses, no
    control characters, never empty ("[bold]x[/bold].pdf" becomes "[bold]x[_bold].pdf")."""
    safe = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", name or "").strip(". ")
    return safe or "attachment"


def _attachment_blob(conn, attachment_id: str) -> tuple[str, str]:
    r = conn.execute(text("SELECT filename, blob_hash FROM attachments WHERE id = :id AND deleted = 0"),
                     {"id": attachment_id}).fetchone()
    if r is None:
        raise OfficeError("no such attachment")
    if r[1] and not blobs.has(conn, r[1]):
        raise OfficeError(f"{r[0]}: the file's contents have not reached this machine yet (sync again)")
    return r[0], r[1]


def attachment_data(office: Office, attachment_id: str) -> tuple[str, bytes]:
    with office.engine.connect() as conn:
        name, digest = _attachment_blob(conn, attachment_id)
        return name, blobs.read(conn, digest) or b""


def export_attachment(office: Office, attachment_id: str, dest: str | Path, overwrite: bool = False) -> Path:
    """Save an attachment out of a case (a plaintext file the user asked for), audited.
    `dest` is a file, or a folder to put it in under its own name."""
    with office.engine.connect() as conn:
        name, digest = _attachment_blob(conn, attachment_id)
    target = Path(dest)
    if target.is_dir():
        target = target / disk_name(name)
    elif not target.parent.is_dir():
        raise OfficeError(f"{target.parent}: not a folder")
    if target.exists() and not overwrite:
        raise OfficeError(f"{target}: already exists")
    # written piece by piece (never the whole file in memory at once), owner-only
    save_private(blobs.open_stream(office, digest) or (), target, "file")
    with office.writing() as w:
        w.audit("attachment.export", target=f"attachment:{attachment_id}", detail="saved from a case")
    return target


# -- writes -----------------------------------------------------------------------------------------
def find_case(w, ref_or_id: str) -> Case:
    """The live case with this reference or id, inside the caller's transaction; CaseNotFound otherwise."""
    case = w.session.execute(
        text("SELECT id FROM cases WHERE (ref = :k OR id = :k) AND deleted = 0"),
        {"k": ref_or_id.strip().upper() if refs.REF_PATTERN.fullmatch(ref_or_id.strip().upper())
         else ref_or_id.strip()}).fetchone()
    if case is None:
        raise CaseNotFound(f"no case {ref_or_id!r}")
    return w.get(Case, case[0])


def resolve_staff(office_or_session, who: str | None) -> str | None:
    """A staff id from an id or a name (case-insensitive); None for None/"" ; OfficeError if unknown."""
    if who is None or not str(who).strip():
        return None
    who = str(who).strip()
    sql = text("SELECT id, name FROM staff WHERE deleted = 0")
    if isinstance(office_or_session, Office):
        with office_or_session.engine.connect() as conn:
            rows = conn.execute(sql).fetchall()
    else:
        rows = office_or_session.execute(sql).fetchall()
    for sid, name in rows:
        if sid == who or name.casefold() == who.casefold():
            return sid
    raise OfficeError(f"no staff member called {who!r}")


def _check_status(status: str) -> str:
    status = (status or "").strip().lower().replace(" ", "_").replace("-", "_")
    if status not in STATUSES:
        raise OfficeError(f"unknown status {status!r}: choose one of {', '.join(STATUSES)}")
    return status


def known_category(conn, category: str | None) -> str:
    """The category as the office already spells it ("housing" is filed under "Housing"); "General" if none."""
    category = " ".join((category or "").split()) or "General"
    same = conn.exec_driver_sql("SELECT category FROM cases WHERE category = ? COLLATE NOCASE AND deleted = 0 "
                                "ORDER BY category LIMIT 1", (category,)).fetchone()
    return same[0] if same else category


def default_review_date(office: Office) -> date | None:
    """Today plus the office's `review_days` setting (28 when unset; 0 means no review date)."""
    from mpoffice_tui.services import settings
    from mpoffice_tui.services.office_settings import DEFAULT_REVIEW_DAYS

    value = settings.get(office, "review_days")
    days = int(value) if value.isdigit() else DEFAULT_REVIEW_DAYS
    return today() + timedelta(days=days) if days else None


def create_case(office: Office, *, constituent_id: str | None, title: str, category: str = "General",
                assignee: str | None = None, priority: str = "normal", tags=(), review_date: str | None = None,
                raised_by_id: str | None = None, confidential: bool = False, status: str = "new",
                campaign_id: str | None = None) -> CaseRow:
    """Open a case for a constituent with a new reference from this machine's series (one transaction)."""
    with office.writing() as w:
        case = open_case(w, office, constituent_id=constituent_id, title=title, category=category,
                         assignee=assignee, priority=priority, tags=tags, review_date=review_date,
                         raised_by_id=raised_by_id, confidential=confidential, status=status,
                         campaign_id=campaign_id)
    return case_row(office, case.id)


def open_case(w: Any, office: Office, *, constituent_id: str | None, title: str, category: str = "General",
              assignee: str | None = None, priority: str = "normal", tags=(), review_date: str | None = None,
              raised_by_id: str | None = None, confidential: bool = False, status: str = "new",
              campaign_id: str | None = None) -> Case:
    """Open a case inside the caller's transaction (`w`: a Writer, or anything that writes like one): the
    one way a case starts, whether typed, from a message or from a surgery. Checks what is given, files
    the category under the office's own spelling, gives it the office's default review date unless one
    is given, and puts "Case opened" on its timeline."""
    title = " ".join((title or "").split())
    if not title:
        raise OfficeError("a case needs a title")
    status = _check_status(status)
    if status == "closed":
        raise OfficeError("a new case cannot start closed")
    if priority not in PRIORITIES:
        raise OfficeError(f"unknown priority {priority!r}: choose one of {', '.join(PRIORITIES)}")
    try:
        review = parse_date(review_date, "review date") if review_date else default_review_date(office)
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    if constituent_id and w.get(Constituent, constituent_id) is None:
        raise OfficeError("no such constituent")
    assignee_id = resolve_staff(w.session, assignee)
    now = now_iso()
    case = w.insert(Case, ref=refs.next_ref(office, w.session), title=title,
                    category=known_category(w.session.connection(), category), status=status,
                    priority=priority, assignee_id=assignee_id, constituent_id=constituent_id,
                    raised_by_id=raised_by_id, opened_at=now, confidential=confidential,
                    tags=normalise_tags(tags), review_date=review.isoformat() if review else None,
                    awaiting_since=now if status == "awaiting_third_party" else None,
                    campaign_id=campaign_id)
    w.insert(Note, case_id=case.id, author_id=office.staff_id, kind="status",
             body=f"Case opened ({STATUS_LABELS[status]}).", created_at=now)
    w.audit("case.create", target=f"case:{case.id}", detail=case.ref)
    return case


def add_note(office: Office, case: str, body: str, *, confidential: bool = False, kind: str = "note") -> str:
    """Add a note (append-only). Confidential notes are never disclosed to the constituent."""
    body = (body or "").strip()
    if not body:
        raise OfficeError("a note needs some text")
    if kind not in ("note", "call", "system"):
        raise OfficeError(f"unknown note kind {kind!r}")
    with office.writing() as w:
        c = find_case(w, case)
        note = w.insert(Note, case_id=c.id, author_id=office.staff_id, body=body, confidential=confidential,
                        kind=kind, created_at=now_iso())
        w.audit("case.note", target=f"case:{c.id}", detail="confidential note" if confidential else "note")
    return note.id


def log_call(office: Office, case: str, summary: str, *, direction: str = "in", who: str | None = None,
             phone: str | None = None) -> str:
    """Log a phone call on the case (and the constituent's contact history) as a phone message. A call in
    is from `who` (the constituent when not given); a call out is from the member of staff to `who`."""
    summary = (summary or "").strip()
    if not summary:
        raise OfficeError("say what the call was about")
    if direction not in ("in", "out"):
        raise OfficeError("a call's direction is 'in' or 'out'")
    who = (who or "").strip() or None
    with office.writing() as w:
        c = find_case(w, case)
        other = who or _constituent_name(w, c.constituent_id)
        if direction == "out":  # from the caseworker, to the person called (and their number)
            me = w.get(Staff, office.staff_id) if office.staff_id else None
            sender, to = (me.name if me else None), " ".join(x for x in (other, f"({phone})" if phone else "") if x)
        else:
            sender, to = other, phone
        now = now_iso()
        digest = hashlib.sha256(f"call|{c.id}|{now}|{summary}".encode()).hexdigest()
        msg = w.insert(Message, channel="phone", direction=direction, sender_name=sender,
                       recipients=to or None, subject=summary.splitlines()[0][:120], body_text=summary,
                       received_at=now, content_hash=digest, triage="done", case_id=c.id,
                       constituent_id=c.constituent_id, author_id=office.staff_id)
        w.audit("case.call", target=f"case:{c.id}", detail=f"call {direction}")
    return msg.id


def _constituent_name(w, constituent_id: str | None) -> str | None:
    """'Mrs Mary O'Brien' (title, preferred or first name, surname), or None."""
    p = w.get(Constituent, constituent_id) if constituent_id else None
    if p is None:
        return None
    return display_name(p.forenames, p.surname, p.preferred_name, p.title) or None


def change_status(office: Office, case: str, status: str, *, outcome: str | None = None,
                  reason: str | None = None) -> CaseRow:
    """Move a case to a status. Closing needs an outcome; leaving 'closed' reopens the case.

    The change is also written as a `notes` row of kind "status" so it shows on the timeline.
    """
    status = _check_status(status)
    outcome = (outcome or "").strip() or None
    if status == "closed" and not outcome:
        raise OfficeError("closing a case needs an outcome (e.g. " + ", ".join(OUTCOMES[:3]) + ")")
    if outcome:  # one of the office's outcomes, so statistics count them together
        known = {o.casefold(): o for o in OUTCOMES}
        if outcome.casefold() not in known:
            raise OfficeError(f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
        outcome = known[outcome.casefold()]
    with office.writing() as w:
        c = find_case(w, case)
        old = c.status
        if old == status and (status != "closed" or outcome == c.outcome):
            return case_row(office, c.id)
        now = now_iso()
        changes: dict = {"status": status}
        if status == "closed":
            changes.update(closed_at=now, outcome=outcome, awaiting_since=None)
            body = f"Closed (was {STATUS_LABELS[old]}). Outcome: {outcome}."
        elif old == "closed":
            changes.update(closed_at=None, outcome=None)
            body = f"Reopened as {STATUS_LABELS[status]} (previous outcome: {c.outcome or 'none'})."
        else:
            body = f"Status changed from {STATUS_LABELS[old]} to {STATUS_LABELS[status]}."
        if status == "awaiting_third_party" and old != status:
            changes["awaiting_since"] = now
        elif status not in ("awaiting_third_party", "closed"):
            changes["awaiting_since"] = None
        if reason:
            body += f" {reason.strip()}"
        w.update(c, **changes)
        w.insert(Note, case_id=c.id, author_id=office.staff_id, kind="status", body=body, created_at=now)
        w.audit("case.status", target=f"case:{c.id}", detail=f"{old} -> {status}")
    return case_row(office, c.id)


def reopen(office: Office, case: str, status: str = "open", reason: str | None = None) -> CaseRow:
    if _check_status(status) == "closed":
        raise OfficeError("reopen to a status other than closed")
    return change_status(office, case, status, reason=reason)


def assign(office: Office, case: str, staff: str | None) -> CaseRow:
    """Assign the case to a staff member (id or name), or unassign it with None."""
    with office.writing() as w:
        c = find_case(w, case)
        sid = resolve_staff(w.session, staff)
        if sid != c.assignee_id:
            name = w.get(Staff, sid).name if sid else None
            w.update(c, assignee_id=sid)
            w.insert(Note, case_id=c.id, author_id=office.staff_id, kind="system", created_at=now_iso(),
                     body=f"Assigned to {name}." if name else "Unassigned.")
            w.audit("case.assign", target=f"case:{c.id}", detail=f"staff:{sid}")
    return case_row(office, c.id)


def set_review_date(office: Office, case: str, review: str | date | None) -> CaseRow:
    day = parse_date(review, "review date")
    with office.writing() as w:
        c = find_case(w, case)
        value = day.isoformat() if day else None
        if value != c.review_date:
            w.update(c, review_date=value)
            w.insert(Note, case_id=c.id, author_id=office.staff_id, kind="system", created_at=now_iso(),
                     body=f"Review date set to {value}." if value else "Review date cleared.")
            w.audit("case.review", target=f"case:{c.id}", detail=str(value))
    return case_row(office, c.id)


def _set_field(office: Office, case: str, **changes) -> CaseRow:
    with office.writing() as w:
        c = find_case(w, case)
        w.update(c, **changes)
        w.audit("case.edit", target=f"case:{c.id}", detail=", ".join(sorted(changes)))
    return case_row(office, c.id)


def set_tags(office: Office, case: str, tags) -> CaseRow:
    return _set_field(office, case, tags=normalise_tags(tags))


def set_category(office: Office, case: str, category: str) -> CaseRow:
    if not (category or "").strip():
        raise OfficeError("a category cannot be empty")
    with office.engine.connect() as conn:  # filed under the office's own spelling, as new cases are
        category = known_category(conn, category)
    return _set_field(office, case, category=category)


def set_priority(office: Office, case: str, priority: str) -> CaseRow:
    if priority not in PRIORITIES:
        raise OfficeError(f"unknown priority {priority!r}: choose one of {', '.join(PRIORITIES)}")
    return _set_field(office, case, priority=priority)


def set_title(office: Office, case: str, title: str) -> CaseRow:
    title = " ".join((title or "").split())
    if not title:
        raise OfficeError("a case needs a title")
    return _set_field(office, case, title=title)


def add_task(office: Office, case: str, title: str, *, due_date: str | date | None = None,
             assignee: str | None = None) -> TaskView:
    title = " ".join((title or "").split())
    if not title:
        raise OfficeError("a task needs a title")
    due = parse_date(due_date, "due date")
    with office.writing() as w:
        c = find_case(w, case)
        sid = resolve_staff(w.session, assignee) if assignee else c.assignee_id
        t = w.insert(Task, case_id=c.id, title=title, due_date=due.isoformat() if due else None,
                     assignee_id=sid, created_at=now_iso())
        w.audit("case.task", target=f"case:{c.id}", detail="task added")
        name = w.get(Staff, sid).name if sid else None
    return TaskView(t.id, c.id, t.title, t.due_date, sid, name, False, None, t.created_at)


def complete_task(office: Office, task_id: str, done: bool = True) -> None:
    with office.writing() as w:
        t = w.get(Task, task_id)
        if t is None or t.deleted:
            raise OfficeError("no such task")
        w.update(t, done=done, done_at=now_iso() if done else None)
        w.audit("case.task_done" if done else "case.task_undone", target=f"case:{t.case_id}", detail=t.id)


def add_party(office: Office, case: str, role: str, *, contact_id: str | None = None,
              constituent_id: str | None = None, contacted_on: str | date | None = None) -> PartyView:
    """Add a third party (a contact) or another person (a constituent) to a case, with a role.

    When `contacted_on` is given, the reply is due `reply_days` UK working days later (the contact's).
    """
    from mpoffice_tui.services.reminders import add_working_days, nation

    role = (role or "").strip()
    if not role:
        raise OfficeError("a party needs a role (e.g. agency, relative, advocate)")
    if bool(contact_id) == bool(constituent_id):
        raise OfficeError("a party is either a contact or a constituent")
    contacted = parse_date(contacted_on, "contacted on")
    with office.writing() as w:
        c = find_case(w, case)
        name, route, reply_due = "", None, None
        if contact_id:
            k = w.get(Contact, contact_id)
            if k is None or k.deleted:
                raise OfficeError("no such contact")
            name = k.organisation + (f" — {k.department}" if k.department else "")
            route = k.preferred_route
            if contacted:
                reply_due = add_working_days(contacted, k.reply_days, nation(office)).isoformat()
        else:
            p = w.get(Constituent, constituent_id)
            if p is None or p.deleted:
                raise OfficeError("no such constituent")
            name = display_name(p.forenames, p.surname, p.preferred_name)
        party = w.insert(CaseParty, case_id=c.id, contact_id=contact_id, constituent_id=constituent_id,
                         role=role, contacted_on=contacted.isoformat() if contacted else None,
                         reply_due=reply_due)
        w.insert(Note, case_id=c.id, author_id=office.staff_id, kind="system", created_at=now_iso(),
                 body=f"Added {name} as {role}." + (f" Reply due {reply_due}." if reply_due else ""))
        w.audit("case.party", target=f"case:{c.id}", detail=role)
    return PartyView(party.id, role, contact_id, constituent_id, name, route, party.contacted_on, reply_due, None)


def _live_party(w, party_id: str) -> CaseParty:
    """The live party row with this id, inside the caller's transaction."""
    p = w.get(CaseParty, party_id)
    if p is None or p.deleted:
        raise OfficeError("no such party")
    return p


def mark_contacted(office: Office, party_id: str, on: str | date | None = None) -> None:
    """Record that a party was contacted (sets the reply-due date from the contact's reply_days)."""
    from mpoffice_tui.services.reminders import add_working_days, nation

    day = parse_date(on, "contacted on") or today()
    with office.writing() as w:
        p = _live_party(w, party_id)
        days = 20
        if p.contact_id:
            k = w.get(Contact, p.contact_id)
            days = k.reply_days if k else 20
        w.update(p, contacted_on=day.isoformat(),
                 reply_due=add_working_days(day, days, nation(office)).isoformat(), replied_on=None)
        w.audit("case.party_contacted", target=f"case:{p.case_id}", detail=p.id)


def mark_party_replied(office: Office, party_id: str, on: str | date | None = None) -> None:
    """Record by hand that a third party replied (a call, a letter): its chase reminders stop."""
    day = parse_date(on, "replied on") or today()
    with office.writing() as w:
        party_replied(w, _live_party(w, party_id), day.isoformat())


def party_replied(w, party: CaseParty, day: str, via: str = "by hand") -> None:
    """A third party's reply, inside the caller's transaction: it is no longer awaited or chased."""
    w.update(party, replied_on=day)
    w.audit("case.party_replied", target=f"case:{party.case_id}", detail=f"{party.id} ({via})")


def read_attachment(path: str | Path) -> bytes:
    """A file's bytes to keep in the office: a regular file of at most MAX_ATTACHMENT bytes (read no
    further than that: a device such as /dev/zero reports size 0 and never ends)."""
    p = Path(path)
    too_big = OfficeError(f"{p}: larger than {MAX_ATTACHMENT // (1024 * 1024)} MB")
    try:
        if not p.is_file():
            raise OfficeError(f"{p}: not a file" if p.exists() else f"{p}: no such file")
        if p.stat().st_size > MAX_ATTACHMENT:
            raise too_big
        with p.open("rb") as f:
            data = f.read(MAX_ATTACHMENT + 1)
    except OSError as exc:
        raise OfficeError(f"{p}: cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > MAX_ATTACHMENT:
        raise too_big
    return data


def attach_file(office: Office, case: str, path: str | Path | None = None, *, data: bytes | None = None,
                filename: str | None = None, content_type: str | None = None) -> AttachmentView:
    """Keep a file with the case, encrypted inside the database (never copied elsewhere)."""
    if data is None:
        if path is None:
            raise OfficeError("give a file to attach")
        data = read_attachment(path)
        filename = filename or Path(path).name
    if not filename:
        raise OfficeError("an attachment needs a file name")
    if len(data) > MAX_ATTACHMENT:
        raise OfficeError(f"{filename}: larger than {MAX_ATTACHMENT // (1024 * 1024)} MB")
    ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    with office.writing() as w:
        c = find_case(w, case)
        a = w.insert(Attachment, case_id=c.id, filename=filename, content_type=ctype, size=len(data),
                     blob_hash=blobs.put(w, data), created_at=now_iso())
        w.audit("case.attach", target=f"case:{c.id}", detail=f"{len(data)} bytes")
    return AttachmentView(a.id, filename, ctype, len(data), None, a.created_at)
