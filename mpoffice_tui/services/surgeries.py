"""Advice surgeries (issue 15): surgeries, their slots, and the constituents booked at them.

    add_surgery(office, held_on=, place=, starts=, ends=, slot_minutes=15, held_by=None) -> SurgeryView
    list_surgeries(office, since=None) -> [SurgeryView]      (oldest first, each with its statistics)
    find_surgery(office, "2027-01-15" | "today" | id | id's first characters) -> id
    surgery_day(office, date_or_id) -> SurgeryDay             (the surgery, its list in time order, free slots)
    day_for_screen(office, date_or_id=None) -> SurgeryDay | None  (today's; else the next; else the last)
    book(office, surgery, Who(...), slot=None, topic=, phone=, interpreter=, access=, walk_in=False,
         confirm=False) -> AppointmentView                    (one transaction: the person too, when new)
    arrive / no_show / cancel / move(office, appointment, ...) -> AppointmentView
    find_appointment(office, id or the end of one) -> id

A person is booked as a known constituent, as an elector on the register (the constituent is made from
the register entry when the office does not know them yet), or as typed. Refused with a clear message,
nothing written: a slot taken, a time outside the surgery's hours or off its slots, a surgery in the past,
an elector number the register held here does not have. Visits (capture into a case) are in
`surgery_visits`, the printed list in `surgery_print`, emails to constituents in `surgery_mail`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Appointment, Constituent, Surgery
from mpoffice_tui.services.clock import now_iso, parse_date, today
from mpoffice_tui.services.constituent_fields import name_sql

STATUSES = ("booked", "arrived", "seen", "no_show", "cancelled")
STATUS_LABELS = {"booked": "booked", "arrived": "arrived", "seen": "seen", "no_show": "no-show",
                 "cancelled": "cancelled"}
LIVE = ("booked", "arrived", "seen", "no_show")  # a slot they hold (a cancelled booking frees it)
SLOT_RANGE = (5, 120)  # minutes


# -- views ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurgeryStats:
    booked: int  # bookings and walk-ins not cancelled
    walk_ins: int
    arrived: int  # here now, not yet seen
    seen: int
    no_shows: int
    cancelled: int
    cases_opened: int  # visits that opened a new case
    cases_added: int  # visits recorded on a case they already had


@dataclass(frozen=True)
class SurgeryView:
    id: str
    held_on: str
    place: str
    starts_at: str
    ends_at: str
    slot_minutes: int
    held_by_id: str | None
    held_by: str | None
    notes: str
    slots: int  # how many slots the hours hold
    stats: SurgeryStats

    @property
    def label(self) -> str:
        """'Mon 2 Nov 2026, 10:00–13:00, Eastmoor Library'."""
        return f"{day_label(self.held_on)}, {self.starts_at}–{self.ends_at}, {self.place}"

    @property
    def free(self) -> int:
        return max(0, self.slots - (self.stats.booked - self.stats.walk_ins))

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "stats"}
        d["free"] = self.free
        d["stats"] = {k: getattr(self.stats, k) for k in self.stats.__dataclass_fields__}
        return d


@dataclass(frozen=True)
class AppointmentView:
    id: str
    surgery_id: str
    slot: str | None
    walk_in: bool
    status: str
    constituent_id: str | None
    name: str
    postcode: str | None
    email: str | None
    phone: str | None
    topic: str
    interpreter_language: str | None
    access_needs: str | None
    safety_caution: bool
    vulnerable: bool
    arrived_at: str | None
    case_id: str | None
    case_ref: str | None
    case_opened: bool
    open_cases: int
    confirmation_id: str | None
    reminder_id: str | None

    @property
    def time(self) -> str:
        """The slot, or when a walk-in arrived ('walk-in 11:40')."""
        if self.slot:
            return self.slot
        return "walk-in" + (f" {local_time(self.arrived_at)}" if self.arrived_at else "")

    @property
    def short_id(self) -> str:
        return self.id[-6:]

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status, self.status)
        if self.status == "arrived" and self.arrived_at:
            label += f" {local_time(self.arrived_at)}"
        return label

    @property
    def needs(self) -> tuple[str, ...]:
        """What to have ready: a caution, an interpreter, access."""
        out = []
        if self.safety_caution:
            out.append("SAFETY CAUTION")
        if self.interpreter_language:
            out.append(f"interpreter: {self.interpreter_language}")
        if self.access_needs:
            out.append(f"access: {self.access_needs}")
        if self.vulnerable:
            out.append("vulnerable")
        return tuple(out)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d.update(short_id=self.short_id, time=self.time, status_label=self.status_label, needs=list(self.needs))
        return d


@dataclass(frozen=True)
class SurgeryDay:
    surgery: SurgeryView
    appointments: tuple[AppointmentView, ...]  # in time order; cancelled ones last
    free_slots: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"surgery": self.surgery.as_dict(), "appointments": [a.as_dict() for a in self.appointments],
                "free_slots": list(self.free_slots)}


@dataclass(frozen=True)
class Who:
    """Who a booking is for: a known constituent (id), an elector (by number such as AB1-124/1, or by the
    register's key), or a person as typed (forenames/surname, with postcode, email)."""

    constituent_id: str | None = None
    elector: str | None = None  # a number as the council writes it
    elector_key: str | None = None  # the register's own key (a lookup's hit)
    forenames: str = ""
    surname: str = ""
    postcode: str = ""
    email: str = ""
    extra: dict = field(default_factory=dict)


# -- times and dates ------------------------------------------------------------------------------
_TIME = re.compile(r"(\d{1,2})(?:[:.h]?(\d{2}))?")


def parse_time(value: str | None, what: str = "time") -> str:
    """'10', '10:30', '10.30', '1030' -> 'HH:MM'; OfficeError when it is not a time of day."""
    raw = (value or "").strip().lower()
    m = _TIME.fullmatch(raw.replace(" ", ""))
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise OfficeError(f"{what} {value!r} is not a time of day: use HH:MM, e.g. 10:30")
    return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"


def minutes(hm: str) -> int:
    h, m = hm.split(":")
    return int(h) * 60 + int(m)


def hm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def slots_of(starts_at: str, ends_at: str, slot_minutes: int) -> list[str]:
    """Every slot's start time: from the start, every `slot_minutes`, each ending by the end."""
    start, end = minutes(starts_at), minutes(ends_at)
    return [hm(t) for t in range(start, end - slot_minutes + 1, slot_minutes)]


def day_label(iso: str) -> str:
    """'Mon 2 Nov 2026'."""
    d = date.fromisoformat(iso)
    return f"{d.strftime('%a')} {d.day} {d.strftime('%b %Y')}"


def local_time(stamp: str | None) -> str:
    """'HH:MM' of a UTC timestamp, in this computer's time zone."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return ""


def _date(value: str | date, what: str = "date") -> date:
    try:
        day = parse_date(value, what)
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    if day is None:
        raise OfficeError(f"give the {what}")
    return day


# -- reading --------------------------------------------------------------------------------------
_SURGERY_SQL = (
    "SELECT s.id, s.held_on, s.place, s.starts_at, s.ends_at, s.slot_minutes, s.held_by_id, st.name, s.notes, "
    "count(a.id) FILTER (WHERE a.status != 'cancelled'), "
    "count(a.id) FILTER (WHERE a.status != 'cancelled' AND a.walk_in), "
    "count(a.id) FILTER (WHERE a.status = 'arrived'), count(a.id) FILTER (WHERE a.status = 'seen'), "
    "count(a.id) FILTER (WHERE a.status = 'no_show'), count(a.id) FILTER (WHERE a.status = 'cancelled'), "
    "count(a.id) FILTER (WHERE a.status = 'seen' AND a.case_opened), "
    "count(a.id) FILTER (WHERE a.status = 'seen' AND a.case_id IS NOT NULL AND NOT a.case_opened) "
    "FROM surgeries s LEFT JOIN staff st ON st.id = s.held_by_id "
    "LEFT JOIN appointments a ON a.surgery_id = s.id AND a.deleted = 0 "
    "WHERE s.deleted = 0 ")
_SURGERY_GROUP = "GROUP BY s.id ORDER BY s.held_on, s.starts_at, s.place, s.id"


def _surgery(r) -> SurgeryView:
    stats = SurgeryStats(*(int(x or 0) for x in r[9:17]))
    return SurgeryView(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7], r[8] or "",
                       len(slots_of(r[3], r[4], int(r[5]))), stats)


def list_surgeries(office: Office, since: str | date | None = None) -> list[SurgeryView]:
    """Every surgery (from `since` on), oldest first, with its statistics."""
    params: dict = {}
    where = ""
    if since:
        params["since"] = _date(since, "date").isoformat()
        where = "AND s.held_on >= :since "
    with office.engine.connect() as conn:
        return [_surgery(r) for r in conn.execute(text(_SURGERY_SQL + where + _SURGERY_GROUP), params)]


def get_surgery(office: Office, surgery_id: str) -> SurgeryView:
    with office.engine.connect() as conn:
        r = conn.execute(text(_SURGERY_SQL + "AND s.id = :id " + _SURGERY_GROUP), {"id": surgery_id}).fetchone()
    if r is None:
        raise OfficeError(f"no surgery {surgery_id!r}")
    return _surgery(r)


def find_surgery(office: Office, date_or_id: str) -> str:
    """A surgery's id from its date (when only one is held that day), its id, or the id's first characters."""
    key = (date_or_id or "").strip()
    if not key:
        raise OfficeError("say which surgery: its date (2027-01-15) or its id")
    with office.engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM surgeries WHERE deleted = 0 AND (id = :k OR id LIKE :p) LIMIT 2"),
                            {"k": key, "p": f"{key}%" if len(key) >= 6 else key}).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        try:
            day = parse_date(key)
        except ValueError:
            day = None
        if day is None:
            raise OfficeError(f"no surgery {key!r}: give its date (2027-01-15) or its id (`mpoffice surgery list`)")
        rows = conn.execute(text("SELECT id, place, starts_at FROM surgeries WHERE deleted = 0 AND held_on = :d "
                                 "ORDER BY starts_at, place, id"), {"d": day.isoformat()}).fetchall()
    if not rows:
        raise OfficeError(f"no surgery on {day_label(day.isoformat())}: `mpoffice surgery list` shows them")
    if len(rows) > 1:
        which = "; ".join(f"{r[0][:13]} ({r[1]} {r[2]})" for r in rows)
        raise OfficeError(f"{len(rows)} surgeries on {day_label(day.isoformat())}: give the id of one: {which}")
    return rows[0][0]


_APPOINTMENT_SQL = (
    "SELECT a.id, a.surgery_id, a.slot, a.walk_in, a.status, p.id, "
    f"{name_sql('p', title=True)}, p.postcode, p.email, coalesce(a.phone, p.phone), a.topic, "
    "coalesce(a.interpreter_language, p.interpreter_language), coalesce(a.access_needs, p.accessibility), "
    "coalesce(p.safety_caution, 0), coalesce(p.vulnerable, 0), a.arrived_at, a.case_id, c.ref, a.case_opened, "
    "(SELECT count(*) FROM cases k WHERE k.constituent_id = p.id AND k.deleted = 0 AND k.status != 'closed'), "
    "a.confirmation_id, a.reminder_id "
    "FROM appointments a LEFT JOIN constituents p0 ON p0.id = a.constituent_id "
    "LEFT JOIN constituents p ON p.id = coalesce(p0.merged_into, p0.id) "  # a person merged since: the kept record
    "LEFT JOIN cases c ON c.id = a.case_id WHERE a.deleted = 0 ")
_ORDER = ("ORDER BY a.status = 'cancelled', coalesce(a.slot, substr(a.arrived_at, 12, 5), '99:99'), "
          "a.created_at, a.id")


def _appointment(r) -> AppointmentView:
    return AppointmentView(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6] or "(no name)", r[7], r[8], r[9],
                           r[10] or "", r[11], r[12], bool(r[13]), bool(r[14]), r[15], r[16], r[17], bool(r[18]),
                           int(r[19] or 0), r[20], r[21])


def appointments(office: Office, surgery_id: str) -> list[AppointmentView]:
    """A surgery's bookings and walk-ins in time order (cancelled ones last)."""
    with office.engine.connect() as conn:
        rows = conn.execute(text(_APPOINTMENT_SQL + "AND a.surgery_id = :s " + _ORDER), {"s": surgery_id}).fetchall()
    found = [_appointment(r) for r in rows]
    # walk-ins by their local arrival time among the slots (the SQL orders them by UTC time)
    live = sorted((a for a in found if a.status != "cancelled"),
                  key=lambda a: (a.slot or local_time(a.arrived_at) or "99:99", a.walk_in))
    return live + [a for a in found if a.status == "cancelled"]


def get_appointment(office: Office, appointment_id: str) -> AppointmentView:
    with office.engine.connect() as conn:
        r = conn.execute(text(_APPOINTMENT_SQL + "AND a.id = :id"), {"id": appointment_id}).fetchone()
    if r is None:
        raise OfficeError(f"no appointment {appointment_id!r}")
    return _appointment(r)


def find_appointment(office: Office, token: str) -> str:
    """An appointment's id from its id or its last characters (as `surgery show` prints them)."""
    t = (token or "").strip()
    if len(t) < 4:
        raise OfficeError(f"give an appointment's id (at least its last 4 characters), not {token!r}")
    with office.engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM appointments WHERE deleted = 0 AND (id = :t OR id LIKE :s) LIMIT 2"),
                            {"t": t, "s": f"%{t}"}).fetchall()
    if not rows:
        raise OfficeError(f"no appointment {token!r}: `mpoffice surgery show DATE` lists them")
    if len(rows) > 1:
        raise OfficeError(f"{token!r} matches more than one appointment: give more of its id")
    return rows[0][0]


def surgery_day(office: Office, date_or_id: str) -> SurgeryDay:
    s = get_surgery(office, find_surgery(office, date_or_id))
    listed = appointments(office, s.id)
    taken = {a.slot for a in listed if a.status in LIVE and a.slot}
    free = tuple(t for t in slots_of(s.starts_at, s.ends_at, s.slot_minutes) if t not in taken)
    return SurgeryDay(s, tuple(listed), free)


def day_for_screen(office: Office, surgery_id: str | None = None) -> SurgeryDay | None:
    """The Surgery screen's day: the one asked for, else today's (the first), else the next, else the last."""
    if surgery_id:
        return surgery_day(office, surgery_id)
    every = list_surgeries(office)
    if not every:
        return None
    now = today().isoformat()
    chosen = next((s for s in every if s.held_on >= now), every[-1])
    return surgery_day(office, chosen.id)


def neighbour(office: Office, surgery_id: str, step: int) -> str | None:
    """The surgery `step` places later (or earlier) in date order, or None at either end."""
    ids = [s.id for s in list_surgeries(office)]
    if surgery_id not in ids:
        return ids[0] if ids else None
    i = ids.index(surgery_id) + step
    return ids[i] if 0 <= i < len(ids) else None


# -- writing: surgeries -------------------------------------------------------------------------
def add_surgery(office: Office, *, held_on: str | date, place: str, starts: str, ends: str,
                slot_minutes: int | str = 15, held_by: str | None = None, notes: str = "") -> SurgeryView:
    """Add a surgery (today or later). Held by the MP unless `held_by` names someone else (staff)."""
    from mpoffice_tui.services.cases import resolve_staff

    day = _date(held_on, "surgery date")
    if day < today():
        raise OfficeError(f"{day.isoformat()} is in the past: a surgery is added for today or a later date")
    place = " ".join((place or "").split())
    if not place:
        raise OfficeError("say where the surgery is held (--place)")
    starts, ends = parse_time(starts, "start time"), parse_time(ends, "end time")
    if minutes(ends) <= minutes(starts):
        raise OfficeError(f"the surgery must end after it starts ({starts} to {ends})")
    try:
        length = int(str(slot_minutes).strip())
    except ValueError:
        raise OfficeError(f"slot length {slot_minutes!r} is not a number of minutes") from None
    if not SLOT_RANGE[0] <= length <= SLOT_RANGE[1]:
        raise OfficeError(f"a slot is {SLOT_RANGE[0]} to {SLOT_RANGE[1]} minutes long, not {length}")
    if length > minutes(ends) - minutes(starts):
        raise OfficeError(f"a {length}-minute slot does not fit between {starts} and {ends}")
    with office.writing() as w:
        holder = resolve_staff(w.session, held_by) if held_by else _mp_id(w.session)
        clash = w.session.execute(text(
            "SELECT starts_at, ends_at, place FROM surgeries WHERE deleted = 0 AND held_on = :d AND place = :p COLLATE NOCASE "
            "AND starts_at < :e AND ends_at > :s"), {"d": day.isoformat(), "p": place, "s": starts, "e": ends}).fetchone()
        if clash:
            raise OfficeError(f"there is already a surgery at {clash[2]} on {day_label(day.isoformat())} from "
                              f"{clash[0]} to {clash[1]}")
        s = w.insert(Surgery, held_on=day.isoformat(), place=place, starts_at=starts, ends_at=ends,
                     slot_minutes=length, held_by_id=holder, notes=" ".join((notes or "").split()))
        w.audit("surgery.add", target=f"surgery:{s.id}", detail=f"{day.isoformat()} {starts}-{ends}")
    return get_surgery(office, s.id)


def _mp_id(session) -> str | None:
    row = session.execute(text("SELECT id FROM staff WHERE deleted = 0 AND role = 'mp' ORDER BY created_at, id "
                               "LIMIT 1")).fetchone()
    return row[0] if row else None


# -- writing: bookings ----------------------------------------------------------------------------
def _live_surgery(w, surgery: str) -> Surgery:
    s = w.get(Surgery, surgery)
    if s is None or s.deleted:
        raise OfficeError(f"no surgery {surgery!r}")
    return s


def _check_slot(w, s: Surgery, slot: str | None, *, ignore: str | None = None) -> str:
    """The slot to book: the one asked for (on the surgery's slots, within its hours, free) or the first free."""
    every = slots_of(s.starts_at, s.ends_at, s.slot_minutes)
    taken = {r[0]: r[1] for r in w.session.execute(text(
        f"SELECT a.slot, {name_sql('p')} FROM appointments a "
        "LEFT JOIN constituents p ON p.id = a.constituent_id WHERE a.surgery_id = :s AND a.deleted = 0 "
        "AND a.slot IS NOT NULL AND a.status != 'cancelled' AND a.id != :me"), {"s": s.id, "me": ignore or ""})}
    when = f"the surgery on {day_label(s.held_on)} at {s.place}"
    if slot is None:
        free = [t for t in every if t not in taken]
        if not free:
            raise OfficeError(f"{when} is fully booked ({len(every)} slots): add a walk-in on the day, or book "
                              "another surgery")
        return free[0]
    slot = parse_time(slot, "time")
    if not minutes(s.starts_at) <= minutes(slot) < minutes(s.ends_at):
        raise OfficeError(f"{slot} is outside the hours of {when} ({s.starts_at} to {s.ends_at})")
    if slot not in every:
        raise OfficeError(f"{slot} is not the start of a slot: {when} has {s.slot_minutes}-minute slots from "
                          f"{s.starts_at} ({', '.join(every[:4])}…)")
    if slot in taken:
        free = [t for t in every if t not in taken]
        raise OfficeError(f"{slot} at {when} is already booked" + (f" ({taken[slot]})" if taken[slot] else "")
                          + (f": free slots: {', '.join(free[:6])}" if free else ": the surgery is fully booked"))
    return slot


def _person(w, office: Office, who: Who) -> str:
    """The constituent a booking is for (made from the register entry or as typed when new), in `w`."""
    from mpoffice_tui.services import constituents
    from mpoffice_tui.services.inbox import _constituent_from_elector

    if who.constituent_id:
        p = w.get(Constituent, who.constituent_id)
        if p is None or p.deleted and not p.merged_into:
            raise OfficeError("no such constituent")
        return p.merged_into or p.id
    if who.elector_key:
        key = who.elector_key
        row = w.session.execute(text("SELECT id FROM constituents WHERE elector_key = :k AND deleted = 0 AND "
                                     "merged_into IS NULL ORDER BY created_at, id LIMIT 1"), {"k": key}).fetchone()
        if row:
            return row[0]
        made = _constituent_from_elector(w, key)
        if made is None:
            raise OfficeError("that elector is not on the register held on this computer")
        return made
    data = constituents.clean_fields({"forenames": who.forenames, "surname": who.surname, "postcode": who.postcode or None,
                                "email": who.email or None, **who.extra})
    if not (data.get("forenames") or data.get("surname")):
        raise OfficeError("say who the booking is for: a constituent, an elector number, or a name")
    p = w.insert(Constituent, **data)
    w.audit("constituent.create", target=f"constituent:{p.id}", detail="booked at a surgery")
    return p.id


def elector_key(office: Office, number: str) -> str:
    """The register key of an elector given by number (AB1-124/1); OfficeError when the register held on
    this computer has nobody by that number."""
    from mpoffice_tui.services import register

    value = (number or "").strip()
    found = register.lookup(office, value, limit=2)
    hits = [h for h in found.hits if h.matched_on == "number"] if found.kind == "number" else []
    if found.kind != "number":
        raise OfficeError(f"{value!r} is not an elector number (e.g. AB1-124/1)")
    if not found.electors_held:
        raise OfficeError(f"no electoral register has been imported, so elector {value} cannot be found: book "
                          "them by name")
    if not hits:
        raise OfficeError(f"no elector {value} on the register held on this computer: check the number, or book "
                          "them by name")
    exact = [h for h in hits if h.score >= 100]  # "AB1-124" is AB1-124 itself, not AB1-124/1
    if len(exact) == 1:
        return exact[0].elector.key
    if len(hits) > 1:
        raise OfficeError(f"elector number {value} is shared by more than one entry: add the suffix (e.g. {value}/1)")
    return hits[0].elector.key


def book(office: Office, surgery: str, who: Who, *, slot: str | None = None, topic: str = "",
         phone: str | None = None, interpreter: str | None = None, access: str | None = None,
         walk_in: bool = False, confirm: bool = False) -> AppointmentView:
    """Book a constituent at a surgery (the first free slot when none is given), or add a walk-in on the
    day. With `confirm`, a confirmation email is drafted and queued (surgery_mail). One transaction."""
    from mpoffice_tui.services import surgery_mail

    surgery_id = find_surgery(office, surgery)
    template = surgery_mail.template_for(office, "confirmation") if confirm else None
    if who.elector:  # read the register before anything is written (a bad number changes nothing)
        who = Who(elector_key=elector_key(office, who.elector))
    with office.writing() as w:
        s = _live_surgery(w, surgery_id)
        day = date.fromisoformat(s.held_on)
        if walk_in:
            if day != today():
                raise OfficeError(f"a walk-in is added on the day of the surgery ({day_label(s.held_on)})")
            chosen = None
        else:
            if day < today():
                raise OfficeError(f"the surgery on {day_label(s.held_on)} has already been held: book a later one")
            chosen = _check_slot(w, s, slot)
        pid = _person(w, office, who)
        p = w.get(Constituent, pid)
        phone = " ".join((phone or "").split()) or None
        if phone and not p.phone:
            w.update(p, phone=phone)
        now = now_iso()
        a = w.insert(Appointment, surgery_id=s.id, constituent_id=pid, slot=chosen, walk_in=walk_in,
                     topic=" ".join((topic or "").split()), phone=phone,
                     interpreter_language=" ".join((interpreter or "").split()) or None,
                     access_needs=" ".join((access or "").split()) or None,
                     status="arrived" if walk_in else "booked", arrived_at=now if walk_in else None)
        w.audit("surgery.walk_in" if walk_in else "surgery.book", target=f"surgery:{s.id}",
                detail=f"appointment:{a.id}" + (f" at {chosen}" if chosen else ""))
        if confirm:
            surgery_mail.draft_in(w, office, a, s, "confirmation", template)
    return get_appointment(office, a.id)


def _appointment_row(w, appointment: str) -> tuple[Appointment, Surgery]:
    a = w.get(Appointment, appointment)
    if a is None or a.deleted:
        raise OfficeError(f"no appointment {appointment!r}")
    return a, _live_surgery(w, a.surgery_id)


def arrive(office: Office, appointment: str, arrived: bool = True) -> AppointmentView:
    """Mark a booking as arrived (or, with arrived=False, not arrived after all)."""
    with office.writing() as w:
        a, s = _appointment_row(w, appointment)
        if a.status in ("cancelled", "seen") and arrived:
            raise OfficeError(f"this booking is {STATUS_LABELS[a.status]}: it cannot be marked as arrived")
        if arrived and date.fromisoformat(s.held_on) > today():
            raise OfficeError(f"the surgery is on {day_label(s.held_on)}: nobody has arrived yet")
        if arrived and a.status != "arrived":
            w.update(a, status="arrived", arrived_at=now_iso())
        elif not arrived and a.status == "arrived":
            if a.walk_in:
                raise OfficeError("a walk-in is here by definition: cancel it instead")
            w.update(a, status="booked", arrived_at=None)
        w.audit("surgery.arrive" if arrived else "surgery.unarrive", target=f"surgery:{s.id}",
                detail=f"appointment:{a.id}")
    return get_appointment(office, appointment)


def no_show(office: Office, appointment: str) -> AppointmentView:
    """Record that a booked constituent did not come (on or after the day)."""
    with office.writing() as w:
        a, s = _appointment_row(w, appointment)
        if date.fromisoformat(s.held_on) > today():
            raise OfficeError(f"the surgery is on {day_label(s.held_on)}: a no-show is recorded on the day or after")
        if a.status not in ("booked", "no_show"):
            raise OfficeError(f"this booking is {STATUS_LABELS[a.status]}, not waiting: it cannot be a no-show")
        w.update(a, status="no_show")
        w.audit("surgery.no_show", target=f"surgery:{s.id}", detail=f"appointment:{a.id}")
    return get_appointment(office, appointment)


def cancel(office: Office, appointment: str) -> AppointmentView:
    """Cancel a booking: its slot is free again."""
    with office.writing() as w:
        a, s = _appointment_row(w, appointment)
        if a.status == "seen":
            raise OfficeError("this visit has been seen and recorded: it cannot be cancelled")
        w.update(a, status="cancelled")
        w.audit("surgery.cancel", target=f"surgery:{s.id}", detail=f"appointment:{a.id}")
    return get_appointment(office, appointment)


def move(office: Office, appointment: str, *, slot: str | None = None, surgery: str | None = None) -> AppointmentView:
    """Move a booking to another slot, at this surgery or another (the first free slot when none is given)."""
    target_id = find_surgery(office, surgery) if surgery else None
    with office.writing() as w:
        a, s = _appointment_row(w, appointment)
        if a.status != "booked":
            raise OfficeError(f"this booking is {STATUS_LABELS[a.status]}: only a booking not yet seen can be moved")
        target = _live_surgery(w, target_id) if target_id else s
        if date.fromisoformat(target.held_on) < today():
            raise OfficeError(f"the surgery on {day_label(target.held_on)} has already been held: move to a later one")
        chosen = _check_slot(w, target, slot, ignore=a.id)
        w.update(a, surgery_id=target.id, slot=chosen, walk_in=False)
        w.audit("surgery.move", target=f"surgery:{target.id}", detail=f"appointment:{a.id} to {chosen}")
    return get_appointment(office, appointment)
