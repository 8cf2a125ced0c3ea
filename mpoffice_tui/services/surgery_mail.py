"""Emails to constituents about their surgery appointments (issue 15): a confirmation when they are booked
and a reminder before the day, written from the office's "Surgery confirmation" and "Surgery reminder"
templates (kind `surgery`) and queued in the outbox: they go when there is a connection (the mailbox
connected); with no From address yet they wait as drafts that say why.

    confirm(office, appointment) -> Drafted              (one booking; also `book(..., confirm=True)`)
    send_reminders(office, surgery) -> RemindersDrafted  (every booking not yet reminded, one transaction)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Appointment, Surgery
from mpoffice_tui.services import letters, outbox
from mpoffice_tui.services.constituent_fields import name_sql

TEMPLATES = {"confirmation": "Surgery confirmation", "reminder": "Surgery reminder"}


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


@dataclass(frozen=True)
class Drafted:
    message_id: str
    to: str
    state: str  # the outbox state it reached: queued, awaiting_approval, or draft (no From address yet)


@dataclass(frozen=True)
class RemindersDrafted:
    drafted: int
    state: str  # where they are: queued, awaiting_approval or draft
    already: int  # bookings reminded before
    no_email: tuple[tuple[str, str | None], ...]  # (name, phone) of those to ring instead


def template_for(office: Office, kind: str) -> Template:
    """The office's template for `kind` (confirmation | reminder), else the one mpoffice ships (read only)."""
    name = TEMPLATES[kind]
    for t in letters.list_templates(office):
        if t.name.casefold() == name.casefold():
            return Template(t.subject, t.body)
    for t in letters.starter_templates():
        if t["name"] == name:
            return Template(t["subject"], t["body"])
    raise OfficeError(f"no letter template {name!r}")  # pragma: no cover - shipped with mpoffice


def _fields(w, office: Office, a: Appointment, s: Surgery) -> dict[str, str]:
    """Merge fields: the person (as this transaction sees them), the office, the surgery."""
    f = dict.fromkeys(letters.MERGE_FIELDS, "")
    f.update(letters.office_fields(office))
    f.update(letters.person_fields(w.session, a.constituent_id) or {})
    holder = w.session.execute(text("SELECT name, role FROM staff WHERE id = :id"), {"id": s.held_by_id}).fetchone()
    day = date.fromisoformat(s.held_on)
    f.update(surgery_date=f"{day.strftime('%A')} {letters.long_date(day)}", surgery_place=s.place,
             surgery_time=a.slot or s.starts_at,
             surgery_holder=(f["mp_name"] or holder[0]) if holder is None or holder[1] == "mp"
             else f"{holder[0]}, a member of my staff", subject=f"surgery appointment on {letters.long_date(day)}")
    return letters._finish(f)


def draft_in(w, office: Office, a: Appointment, s: Surgery, kind: str, template: Template | None = None,
             ) -> Drafted | None:
    """Draft (and queue, when there is a From address) the email of `kind` for one booking, inside the
    caller's transaction; None when the person has no email address."""
    row = w.session.execute(text(f"SELECT email, {name_sql()} FROM constituents WHERE id = :id"),
                            {"id": a.constituent_id}).fetchone()
    if row is None or not (row[0] or "").strip():
        return None
    t = template or template_for(office, kind)
    fields = _fields(w, office, a, s)
    subject, _ = letters.render(t.subject, fields)
    body, _ = letters.render(t.body, fields)
    mid = outbox.create_draft(w, to_name=row[1] or "", to_addr=row[0].strip(), subject=" ".join(subject.split()),
                              body=body, case_id=None, constituent_id=a.constituent_id, campaign_id=None,
                              in_reply_to=None, references=None, source=f"surgery {kind}")
    state = "draft"
    if outbox.sender(w.session.connection())[2]:  # a From address: on its way (else a draft saying why)
        state = outbox.queue_in(w, [mid])
    w.update(a, **{f"{kind}_id": mid})
    w.audit(f"surgery.{kind}", target=f"surgery:{s.id}", detail=f"appointment:{a.id} email {state}")
    return Drafted(mid, row[0].strip(), state)


def confirm(office: Office, appointment: str) -> Drafted:
    """Email one booking its confirmation (again, if one was sent before)."""
    t = template_for(office, "confirmation")
    with office.writing() as w:
        a = w.get(Appointment, appointment)
        if a is None or a.deleted or a.status == "cancelled":
            raise OfficeError("no such booking (or it was cancelled)")
        done = draft_in(w, office, a, w.get(Surgery, a.surgery_id), "confirmation", t)
        if done is None:
            raise OfficeError("they have no email address: ring them to confirm (the number is on the booking)")
    return done


def send_reminders(office: Office, surgery_id: str) -> RemindersDrafted:
    """A reminder email for every booking at the surgery that has none yet; those without an email are
    listed to ring. One transaction."""
    from mpoffice_tui.services.clock import today
    from mpoffice_tui.services.surgeries import day_label

    t = template_for(office, "reminder")
    with office.writing() as w:
        s = w.get(Surgery, surgery_id)
        if s is None or s.deleted:
            raise OfficeError(f"no surgery {surgery_id!r}")
        if date.fromisoformat(s.held_on) < today():
            raise OfficeError(f"the surgery on {day_label(s.held_on)} has already been held")
        ids = [r[0] for r in w.session.execute(text(
            "SELECT id FROM appointments WHERE surgery_id = :s AND deleted = 0 AND status = 'booked' "
            "ORDER BY slot, id"), {"s": s.id})]
        drafted, already, state = 0, 0, "draft"
        missing: list[tuple[str, str | None]] = []
        for aid in ids:
            a = w.get(Appointment, aid)
            if a.reminder_id:
                already += 1
                continue
            done = draft_in(w, office, a, s, "reminder", t)
            if done is None:
                p = w.session.execute(text(f"SELECT {name_sql()}, phone FROM constituents WHERE id = :id"),
                                      {"id": a.constituent_id}).fetchone()
                missing.append((p[0] if p else "(unknown)", a.phone or (p[1] if p else None)))
            else:
                drafted += 1
                state = done.state
    return RemindersDrafted(drafted, state, already, tuple(missing))
