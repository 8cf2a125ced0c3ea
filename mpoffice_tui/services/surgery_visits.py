"""The constituent across the table (issue 15): who they are, and their visit captured into a case.

    person_for(office, appointment) -> VisitPerson
        the booking, the person and their flags (a safety caution's details only for those who may read
        them), their register entry, whether their postcode is in the constituency (on a register held
        here: else "may be outside the constituency"), their open cases with each one's last activity
    capture(office, appointment, problem=, case=None | ref, title=, category=, consent=None | "implied" |
            "written", follow_up=, follow_up_due=) -> Visit
        one transaction: a new case (or the existing one), the problem in their words on its timeline (a
        surgery message), consent recorded there and then, the follow-up task; the booking is then seen
    still_to_do(office, surgery) -> [FollowUp]   after the surgery: visits that need a case or a follow-up
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Appointment, Consent, Message, Surgery, Task
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import now_iso, parse_date, today
from mpoffice_tui.services.constituent_fields import name_sql
from mpoffice_tui.services.surgeries import (
    AppointmentView,
    SurgeryView,
    day_label,
    find_surgery,
    get_appointment,
    get_surgery,
)

if TYPE_CHECKING:
    from mpoffice_tui.services.cases import PersonBrief
    from mpoffice_tui.services.register import ElectorView

CONSENT_KINDS = ("implied", "written")  # agreed in person; signed a consent form at the surgery
FOLLOW_UP_DAYS = 7  # a follow-up task with no date is due a week later


@dataclass(frozen=True)
class OpenCase:
    id: str
    ref: str
    title: str
    category: str
    status: str
    last_activity_on: str | None  # YYYY-MM-DD
    last_activity: str  # what it was, e.g. "Email in: Re: damp in the flat"


@dataclass(frozen=True)
class VisitPerson:
    appointment: AppointmentView
    surgery: SurgeryView
    person: PersonBrief | None
    elector: ElectorView | None
    in_constituency: bool | None  # None: cannot tell (no postcode, no register imported)
    constituency: str  # in words
    open_cases: tuple[OpenCase, ...]
    closed_cases: int

    @property
    def flags(self) -> tuple[str, ...]:
        return self.person.flags if self.person is not None else ()

    def as_dict(self) -> dict:
        def plain(x):
            return {k: getattr(x, k) for k in x.__dataclass_fields__} if x is not None else None

        return {"appointment": self.appointment.as_dict(), "surgery": self.surgery.as_dict(),
                "person": plain(self.person), "flags": list(self.flags), "elector": plain(self.elector),
                "in_constituency": self.in_constituency, "constituency": self.constituency,
                "open_cases": [plain(c) for c in self.open_cases], "closed_cases": self.closed_cases}


@dataclass(frozen=True)
class Visit:
    appointment_id: str
    case_id: str
    case_ref: str
    case_opened: bool
    category: str
    task_id: str | None
    consent_id: str | None


@dataclass(frozen=True)
class FollowUp:
    appointment: AppointmentView
    needs: str  # "a case" | "a follow-up"


def constituency_check(conn, postcode: str | None) -> tuple[bool | None, str]:
    """Whether a postcode is in the constituency, judged by the registers held here."""
    from mpoffice_tui.importers.register import normalise as n

    if not conn.execute(text("SELECT 1 FROM register_publication WHERE current = 1 LIMIT 1")).fetchone():
        return None, "cannot check the constituency: no electoral register has been imported"
    pc = n.postcode(postcode or "")
    if not pc:
        return None, "no postcode on file: ask for it to check the constituency"
    if conn.execute(text("SELECT 1 FROM electors WHERE postcode = :p LIMIT 1"), {"p": pc}).fetchone():
        return True, f"{pc} is in the constituency (on the register)"
    return False, f"{pc} is on no imported register: may be outside the constituency"


_LAST = ("SELECT at, what FROM ("
         "SELECT received_at AS at, (CASE channel WHEN 'phone' THEN 'Call' WHEN 'walk_in' THEN 'Walk-in' "
         "WHEN 'surgery' THEN 'Surgery visit' WHEN 'letter' THEN 'Letter' ELSE 'Email' END) || "
         "(CASE direction WHEN 'in' THEN ' in: ' ELSE ' out: ' END) || subject AS what "
         "FROM messages WHERE case_id = :c AND deleted = 0 "
         "UNION ALL SELECT created_at, (CASE kind WHEN 'status' THEN 'Status: ' ELSE 'Note: ' END) || "
         "(CASE confidential WHEN 1 THEN '(confidential)' ELSE substr(body, 1, 80) END) "
         "FROM notes WHERE case_id = :c AND deleted = 0 "
         "UNION ALL SELECT created_at, 'Letter out: ' || subject FROM letters WHERE case_id = :c AND deleted = 0 "
         "UNION ALL SELECT created_at, 'Task: ' || title FROM tasks WHERE case_id = :c AND deleted = 0"
         ") ORDER BY at DESC LIMIT 1")


def person_for(office: Office, appointment: str) -> VisitPerson:
    """Everything to have in front of you when the person sits down (reads only)."""
    from mpoffice_tui.services import register
    from mpoffice_tui.services.cases import STATUS_LABELS, _person

    a = get_appointment(office, appointment)
    s = get_surgery(office, a.surgery_id)
    show_safety = access.can(office, "safety.details")
    with office.engine.connect() as conn:
        person = _person(conn, a.constituent_id, safety_details=show_safety)
        key = conn.execute(text("SELECT elector_key FROM constituents WHERE id = :id"),
                           {"id": a.constituent_id}).scalar() if a.constituent_id else None
        inside, words = constituency_check(conn, person.postcode if person else None)
        rows = conn.execute(text("SELECT id, ref, title, category, status FROM cases WHERE constituent_id = :p "
                                 "AND deleted = 0 AND status != 'closed' ORDER BY opened_at DESC, ref"),
                            {"p": a.constituent_id or ""}).fetchall()
        cases = []
        for r in rows:
            last = conn.execute(text(_LAST), {"c": r[0]}).fetchone()
            cases.append(OpenCase(r[0], r[1], r[2], r[3], STATUS_LABELS.get(r[4], r[4]),
                                  last[0][:10] if last else None, " ".join((last[1] or "").split()) if last else ""))
        closed = conn.execute(text("SELECT count(*) FROM cases WHERE constituent_id = :p AND deleted = 0 AND "
                                   "status = 'closed'"), {"p": a.constituent_id or ""}).scalar()
    elector = register.elector_by_key(office, key) if key else None
    return VisitPerson(a, s, person, elector, inside, words, tuple(cases), int(closed or 0))


def capture(office: Office, appointment: str, *, problem: str, case: str | None = None, title: str | None = None,
            category: str | None = None, consent: str | None = None, follow_up: str | None = None,
            follow_up_due: str | None = None) -> Visit:
    """Record the visit on a new case (or on `case`, one they have): see the module. One transaction."""
    from mpoffice_tui.services.cases import find_case, open_case
    from mpoffice_tui.services.matching import suggest_category

    problem = (problem or "").strip()
    if not problem:
        raise OfficeError("write down the problem, in the person's own words")
    if consent and consent not in CONSENT_KINDS:
        raise OfficeError(f"consent at a surgery is {' or '.join(CONSENT_KINDS)}, not {consent!r}")
    if consent:
        access.require(office, "consent.record")
    follow_up = " ".join((follow_up or "").split()) or None
    try:
        due = parse_date(follow_up_due, "follow-up date") if follow_up_due else None
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    if follow_up and due is None:
        due = today() + timedelta(days=FOLLOW_UP_DAYS)
    with office.writing() as w:
        a = w.get(Appointment, appointment)
        if a is None or a.deleted:
            raise OfficeError(f"no appointment {appointment!r}")
        if a.status == "cancelled":
            raise OfficeError("this booking was cancelled: add them as a walk-in instead")
        s = w.get(Surgery, a.surgery_id)
        person = a.constituent_id
        if case:
            c = find_case(w, case)
            opened = False
        else:
            first = problem.splitlines()[0]
            title = " ".join((title or a.topic or first).split())[:120]
            chosen = " ".join((category or "").split()) or \
                suggest_category(w.session.connection(), a.topic or title, problem) or "General"
            c = open_case(w, office, constituent_id=person, title=title, category=chosen, assignee=office.staff_id)
            opened = True
        now = now_iso()
        where = f"the surgery at {s.place} on {day_label(s.held_on)}"
        name = w.session.execute(text(f"SELECT {name_sql()} FROM constituents WHERE id = :id"),
                                 {"id": person}).scalar()
        w.insert(Message, channel="surgery", direction="in", sender_name=name or None,
                 subject=f"Surgery visit: {a.topic or c.title}"[:200], body_text=problem, received_at=now,
                 content_hash=hashlib.sha256(f"surgery|{a.id}|{now}|{problem}".encode()).hexdigest(),
                 triage="done", case_id=c.id, constituent_id=person, author_id=office.staff_id,
                 source=f"surgery {s.held_on}")
        consent_id = None
        if consent and person:
            k = w.insert(Consent, constituent_id=person, case_id=c.id, kind=consent, given_by=name,
                         given_on=today().isoformat(),
                         details=("Signed a consent form at " if consent == "written" else "Agreed in person at ")
                         + where)
            consent_id = k.id
            w.audit("consent.record", target=f"constituent:{person}", detail=f"{consent} for case:{c.id}")
        task_id = None
        if follow_up:
            t = w.insert(Task, case_id=c.id, title=follow_up, due_date=due.isoformat() if due else None,
                         assignee_id=c.assignee_id or office.staff_id, created_at=now)
            task_id = t.id
        w.update(a, status="seen", seen_at=now, arrived_at=a.arrived_at or now, case_id=c.id,
                 case_opened=opened or (a.case_opened and a.case_id == c.id))
        w.audit("surgery.visit", target=f"case:{c.id}", detail=f"appointment:{a.id}" + (" opened" if opened else ""))
        ref, cat = c.ref, c.category
    return Visit(appointment, c.id, ref, opened, cat, task_id, consent_id)


def still_to_do(office: Office, surgery: str) -> list[FollowUp]:
    """After the surgery: who came and has no case yet, and visits whose case has no open task."""
    from mpoffice_tui.services.surgeries import appointments

    sid = find_surgery(office, surgery)
    out: list[FollowUp] = []
    with office.engine.connect() as conn:
        for a in appointments(office, sid):
            if a.status == "arrived":
                out.append(FollowUp(a, "a case"))
            elif a.status == "seen" and a.case_id and not conn.execute(text(
                    "SELECT 1 FROM tasks WHERE case_id = :c AND deleted = 0 AND done = 0 LIMIT 1"),
                    {"c": a.case_id}).fetchone():
                out.append(FollowUp(a, "a follow-up"))
    return out
