"""The register of subject access requests (issue 17): received, due, extended, answered.

A request is due one calendar month after the day it was received: the same day next month, or that
month's last day when it has none (31 January -> 28 or 29 February). When a request is complex, or the
person has made several, the deadline may be extended by up to two further months: at most three
calendar months after receipt (UK GDPR Art. 12(3)); the person must be told why within the first month.

A request may be made by a representative (a solicitor, a parent, an advocate): who asked and on whose
behalf are recorded, and the pack is refused until the authority seen for them is recorded. The pack
holds only the data subject's data, whoever asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SubjectAccessRequest
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import add_months, parse_date, today
from mpoffice_tui.services.constituent_fields import name_sql
from mpoffice_tui.services.sar import fold, resolve_person

EXTENSION_REASONS = {"complex": "the request is complex",
                     "numerous": "you have made a number of requests"}
DUE_SOON_DAYS = 7
STATUS_LABELS = {"open": "Open", "due_soon": "Due soon", "extended": "Extended", "overdue": "Overdue",
                 "completed": "Answered", "completed_late": "Answered late"}


# -- dates (pure) -------------------------------------------------------------------------------
def due_date(received: date) -> date:
    """One calendar month after the day received (clamped to the month's last day)."""
    return add_months(received, 1)


def extension_limit(received: date) -> date:
    """The latest a deadline may be extended to: two further months, three calendar months after receipt."""
    return add_months(received, 3)


def request_status(received: date, due: date, extended_to: date | None, completed: date | None,
                   on: date) -> str:
    """open | due_soon | extended | overdue | completed | completed_late (see STATUS_LABELS)."""
    deadline = extended_to or due
    if completed is not None:
        return "completed_late" if completed > deadline else "completed"
    if on > deadline:
        return "overdue"
    if (deadline - on).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "extended" if extended_to else "open"


# -- the register -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SarView:
    id: str
    constituent_id: str
    person: str
    received_on: str
    due_on: str
    extended_to: str | None
    completed_on: str | None
    notes: str
    requester_name: str | None = None
    requester_relation: str | None = None
    requester_address: str | None = None
    authority: str | None = None
    extension_reason: str | None = None

    @property
    def effective_due(self) -> str:
        return self.extended_to or self.due_on

    @property
    def by_representative(self) -> bool:
        return bool(self.requester_name)

    @property
    def requested_by(self) -> str:
        """Who asked, in words: "the person", or "Ann Lee (solicitor) on their behalf"."""
        if not self.requester_name:
            return "the person"
        rel = f" ({self.requester_relation})" if self.requester_relation else ""
        return f"{self.requester_name}{rel} on their behalf"

    def status(self, on: date | None = None) -> str:
        return request_status(date.fromisoformat(self.received_on), date.fromisoformat(self.due_on),
                              date.fromisoformat(self.extended_to) if self.extended_to else None,
                              date.fromisoformat(self.completed_on) if self.completed_on else None,
                              on or today())

    def overdue(self, on: date | None = None) -> bool:
        return self.status(on) == "overdue"

    def days_left(self, on: date | None = None) -> int:
        return (date.fromisoformat(self.effective_due) - (on or today())).days


_SAR_SQL = (f"SELECT r.id, r.constituent_id, {name_sql('p')}, "
            "r.received_on, r.due_on, r.extended_to, r.completed_on, r.notes, r.requester_name, "
            "r.requester_relation, r.requester_address, r.authority, r.extension_reason "
            "FROM subject_access_requests r LEFT JOIN constituents p ON p.id = r.constituent_id WHERE r.deleted = 0")


def _as_date(value: str | date | None, what: str) -> date:
    try:
        return parse_date(value, what) or today()
    except ValueError as exc:
        raise OfficeError(str(exc)) from exc


def _text(value: str | None, what: str, limit: int = 500) -> str | None:
    value = " ".join((value or "").split()) if what != "address" else (value or "").strip()
    if len(value) > limit:
        raise OfficeError(f"the {what} is too long ({len(value)} characters; at most {limit})")
    return value or None


def new_request(office: Office, person: str, *, received_on: str | date | None = None, notes: str = "",
                requester_name: str | None = None, requester_relation: str | None = None,
                requester_address: str | None = None, authority: str | None = None) -> SarView:
    """Record a request about a person (id, email or name), made by them or by a representative for them;
    due one calendar month after it was received."""
    access.require(office, "sar.manage")
    pid = resolve_person(office, person)
    received = _as_date(received_on, "received date")
    if received > today():
        raise OfficeError(f"the received date {received.isoformat()} is in the future")
    rep = _text(requester_name, "representative's name", 200)
    if rep is not None:
        with office.engine.connect() as conn:
            me = conn.execute(text("SELECT forenames, surname, preferred_name FROM constituents WHERE id = :id"),
                              {"id": pid}).fetchone()
        if fold(rep) in {fold(f"{me[0]} {me[1]}"), fold(f"{me[2]} {me[1]}")}:
            rep = None  # the person themselves
    fields = {"requester_name": rep,
              "requester_relation": _text(requester_relation, "relation", 100) if rep else None,
              "requester_address": _text(requester_address, "address") if rep else None,
              "authority": _text(authority, "authority", 300) if rep else None}
    with office.writing() as w:
        r = w.insert(SubjectAccessRequest, constituent_id=pid, received_on=received.isoformat(),
                     due_on=due_date(received).isoformat(), notes=notes, **fields)
        w.audit("sar.new", target=f"constituent:{pid}",
                detail=f"request {r.id} due {r.due_on}" + (" (made by a representative)" if rep else ""))
    return get_request(office, r.id)


def get_request(office: Office, sar_id: str) -> SarView:
    with office.engine.connect() as conn:
        rows = conn.execute(text(_SAR_SQL + " AND (r.id = :k OR r.id LIKE :p)"),
                            {"k": sar_id, "p": (sar_id or "?") + "%"}).fetchall()
    if len(rows) != 1:
        raise OfficeError(f"no single subject access request {sar_id!r}" +
                          (f" ({len(rows)} match: give more of the id)" if rows else ""))
    return SarView(*rows[0])


def list_requests(office: Office, *, open_only: bool = False, constituent_id: str | None = None) -> list[SarView]:
    """Requests, soonest due first."""
    access.require(office, "sar.manage")
    sql = _SAR_SQL + (" AND r.completed_on IS NULL" if open_only else "") + \
        (" AND r.constituent_id = :pid" if constituent_id else "") + \
        " ORDER BY coalesce(r.extended_to, r.due_on), r.id"
    with office.engine.connect() as conn:
        return [SarView(*r) for r in conn.execute(text(sql), {"pid": constituent_id})]


def overdue_requests(office: Office, on: date | None = None) -> list[SarView]:
    """Open requests past their deadline ([] for a role that does not handle requests)."""
    if not access.can(office, "sar.manage"):
        return []
    day = (on or today()).isoformat()
    sql = _SAR_SQL + " AND r.completed_on IS NULL AND coalesce(r.extended_to, r.due_on) < :day " \
                     "ORDER BY coalesce(r.extended_to, r.due_on), r.id"
    with office.engine.connect() as conn:
        return [SarView(*r) for r in conn.execute(text(sql), {"day": day})]


def header_note(office: Office, on: date | None = None) -> str:
    """For the header, managers (and the MP) only: "2 SARs overdue", or ""."""
    if not access.can(office, "audit.read"):
        return ""
    n = len(overdue_requests(office, on))
    return f"{n} SAR{'s' if n != 1 else ''} overdue" if n else ""


def extend(office: Office, sar_id: str, *, reason: str, to: str | date | None = None) -> SarView:
    """Extend the deadline, because the request is complex or one of several (EXTENSION_REASONS), to at most
    three calendar months after receipt (the default)."""
    access.require(office, "sar.manage")
    if reason not in EXTENSION_REASONS:
        raise OfficeError(f"a deadline is extended only when {' or '.join(EXTENSION_REASONS)}: "
                          f"give one of {', '.join(EXTENSION_REASONS)}")
    view = get_request(office, sar_id)
    if view.completed_on:
        raise OfficeError(f"request {view.id[:13]} was answered on {view.completed_on}")
    limit = extension_limit(date.fromisoformat(view.received_on))
    new = _as_date(to, "extension date") if to is not None else limit
    if new > limit:
        raise OfficeError(f"a request can be extended by at most two further months (to {limit.isoformat()})")
    if new <= date.fromisoformat(view.due_on):
        raise OfficeError(f"an extension must be after the due date {view.due_on}")
    with office.writing() as w:
        w.update(w.get(SubjectAccessRequest, view.id), extended_to=new.isoformat(), extension_reason=reason)
        w.audit("sar.extend", target=f"constituent:{view.constituent_id}",
                detail=f"request {view.id} to {new} ({reason})")
    return get_request(office, view.id)


def record_authority(office: Office, sar_id: str, authority: str) -> SarView:
    """Record the authority seen for a representative (a signed form, a power of attorney...)."""
    access.require(office, "sar.manage")
    view = get_request(office, sar_id)
    if not view.by_representative:
        raise OfficeError("this request was made by the person themselves: no authority is needed")
    said = _text(authority, "authority", 300)
    if not said:
        raise OfficeError("say what authority was seen (for example: signed form of authority, 3 March)")
    with office.writing() as w:
        w.update(w.get(SubjectAccessRequest, view.id), authority=said)
        w.audit("sar.authority", target=f"constituent:{view.constituent_id}", detail=f"request {view.id}")
    return get_request(office, view.id)


def complete(office: Office, sar_id: str, *, on: str | date | None = None) -> SarView:
    access.require(office, "sar.manage")
    view = get_request(office, sar_id)
    day = _as_date(on, "completion date")
    with office.writing() as w:
        w.update(w.get(SubjectAccessRequest, view.id), completed_on=day.isoformat())
        w.audit("sar.complete", target=f"constituent:{view.constituent_id}", detail=f"request {view.id}")
    return get_request(office, view.id)
