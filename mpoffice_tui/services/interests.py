"""The Register of Interests of Members' Secretaries and Research Assistants: entries and the checker.

API (frozen dataclasses out; money is whole pence):

    thresholds() -> list[Threshold]                 the dated table in data/interest_thresholds.csv
    threshold_on(day: date) -> Threshold            the figure in force on a date
    add_entry(office, *, staff, kind, source, value_pence, received_on, description="",
              to_charity=False) -> Entry            staff: a name or id; kind: one of KINDS
    list_entries(office, *, staff=None, year=None) -> list[Entry]
    mark_not_advantaged(office, entry_id, reason) -> Entry      (id or unique id prefix)
    check(office, *, year=None, staff=None) -> list[Verdict]

Who sees what (`services.access`): everyone reads and adds their own entries; other people's entries
need "interests.others" (not volunteers). A volunteer's list or check with no staff filter covers only
their own entries; naming someone else is refused.

A verdict covers one staff member, one source and one calendar year. It must be registered when the
cumulative value from that source in the year exceeds (is more than) the threshold in force on the
date of the entry that took it over; payments passed to charity still count; councillor allowances
and pay from a party are occupations; entries marked "not advantaged by the pass" do not count and
the verdict says so, with the reason. Registration is due 28 days after the crossing date.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Interest, Staff
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import parse_date
from mpoffice_tui.services.interest_kinds import KINDS

KIND_WORDS = {"employment": "occupation or employment", "gift": "gift", "benefit": "benefit",
              "bursary": "bursary", "councillor": "councillor's allowance (an occupation)",
              "party": "pay from a political party (an occupation)"}
DAYS_TO_REGISTER = 28


@dataclass(frozen=True)
class Threshold:
    start: str  # ISO date it took effect
    pence: int
    source: str


@dataclass(frozen=True)
class Entry:
    id: str
    staff_id: str
    staff_name: str
    kind: str
    source: str
    value_pence: int
    received_on: str
    description: str
    to_charity: bool
    not_advantaged: bool
    not_advantaged_reason: str | None


@dataclass(frozen=True)
class Verdict:
    staff_id: str
    staff_name: str
    source: str
    year: int
    must_register: bool
    total_pence: int  # counted entries (not those marked not advantaged)
    threshold_pence: int  # the threshold the total was judged against
    crossed_entry_id: str | None
    crossed_on: str | None
    register_by: str | None
    explanation: str  # one sentence
    entries: tuple[Entry, ...]
    excluded: tuple[Entry, ...]  # marked not advantaged by the pass


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}" if pence % 100 == 0 else f"£{pence / 100:,.2f}"


def parse_pounds(text: str) -> int:
    """ "450", "£1,200.50" -> pence; ValueError for anything else."""
    cleaned = re.sub(r"[£,\s]", "", str(text))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in pounds (e.g. 450 or 1200.50)") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} is not an amount in pounds and pence")
    return int(value * 100)


@lru_cache(maxsize=1)
def thresholds() -> tuple[Threshold, ...]:
    text = (resources.files("mpoffice_tui.data") / "interest_thresholds.csv").read_text(encoding="utf-8")
    rows = [Threshold(r["from"], parse_pounds(r["threshold_pounds"]), r["source"])
            for r in csv.DictReader(io.StringIO(text))]
    return tuple(sorted(rows, key=lambda t: t.start))


def threshold_on(day: date | str) -> Threshold:
    iso = day if isinstance(day, str) else day.isoformat()
    table = thresholds()
    found = [t for t in table if t.start <= iso]
    return found[-1] if found else table[0]


def _long(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


# -- entries -------------------------------------------------------------------------------------
def _staff(office: Office, who: str) -> Staff:
    with office.read() as s:
        rows = s.exec(select(Staff).where(Staff.deleted == False).order_by(Staff.id)).all()  # noqa: E712
    match = [r for r in rows if r.id == who or r.name.casefold() == (who or "").strip().casefold()]
    if not match:
        raise OfficeError(f"no staff member called {who!r}")
    return match[0]


def _require_for(office: Office, staff_id: str) -> None:
    """Refuse (PermissionDenied) someone else's entries to those who may only see their own."""
    if staff_id != office.staff_id:
        access.require(office, "interests.others")


def _scope(office: Office, staff: str | None) -> str | None:
    """The staff id whose entries to read: the one named, else everyone's (or only one's own)."""
    if staff:
        person = _staff(office, staff)
        _require_for(office, person.id)
        return person.id
    if access.can(office, "interests.others"):
        return None
    return office.staff_id or ""


def _entry(i: Interest, names: dict[str, str]) -> Entry:
    return Entry(i.id, i.staff_id, names.get(i.staff_id, "?"), i.kind, i.source, i.value_pence, i.received_on,
                 i.description, i.to_charity, i.not_advantaged, i.not_advantaged_reason)


def _names(office: Office) -> dict[str, str]:
    with office.read() as s:
        return {r.id: r.name for r in s.exec(select(Staff)).all()}


def add_entry(office: Office, *, staff: str, kind: str, source: str, value_pence: int, received_on: str,
              description: str = "", to_charity: bool = False) -> Entry:
    """Record an entry for a staff member (by name or id)."""
    if kind not in KINDS:
        raise OfficeError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    source = (source or "").strip()
    if not source:
        raise OfficeError("an entry needs its source (who paid or gave it)")
    try:
        received = parse_date(received_on, "date received")
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    if received is None:
        raise OfficeError("an entry needs the date it was received")
    received_on = received.isoformat()
    if value_pence < 0:
        raise OfficeError("a value cannot be negative")
    person = _staff(office, staff)
    _require_for(office, person.id)
    with office.writing() as w:
        row = w.insert(Interest, staff_id=person.id, kind=kind, source=source, value_pence=int(value_pence),
                       received_on=received_on, description=description or "", to_charity=bool(to_charity))
        w.audit("interest.add", target=f"interest:{row.id}", detail=f"{kind} entry for {person.name}")
    return _entry(row, {person.id: person.name})


def list_entries(office: Office, *, staff: str | None = None, year: int | None = None) -> list[Entry]:
    """Entries (of one staff member, or of everyone the unlocking person may see), oldest first."""
    staff_id = _scope(office, staff)
    names = _names(office)
    with office.read() as s:
        q = select(Interest).where(Interest.deleted == False)  # noqa: E712
        if staff_id is not None:
            q = q.where(Interest.staff_id == staff_id)
        if year:
            q = q.where(Interest.received_on >= f"{year}-01-01", Interest.received_on <= f"{year}-12-31")
        rows = s.exec(q.order_by(Interest.received_on, Interest.created_at, Interest.id)).all()
    return [_entry(r, names) for r in rows]


def find_entry(office: Office, entry_id: str) -> Interest:
    with office.read() as s:
        rows = s.exec(select(Interest).where(Interest.deleted == False,  # noqa: E712
                                             Interest.id.startswith(entry_id.strip()))).all()
    if not rows:
        raise OfficeError(f"no register-of-interests entry with id {entry_id!r}")
    if len(rows) > 1:
        raise OfficeError(f"{entry_id!r} matches {len(rows)} entries: give more of the id")
    return rows[0]


def mark_not_advantaged(office: Office, entry_id: str, reason: str) -> Entry:
    """Mark an entry "not advantaged by the pass" with a reason (an empty reason is refused)."""
    reason = (reason or "").strip()
    if not reason:
        raise OfficeError("say why the entry is not advantaged by the pass")
    row = find_entry(office, entry_id)
    _require_for(office, row.staff_id)
    with office.writing() as w:
        live = w.get(Interest, row.id)
        w.update(live, not_advantaged=True, not_advantaged_reason=reason)
        w.audit("interest.not_advantaged", target=f"interest:{row.id}", detail="marked not advantaged")
    return _entry(live, _names(office))


# -- the checker ---------------------------------------------------------------------------------
def _source_key(source: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", source.casefold()).strip()


def verdict_for(entries: list[Entry], year: int) -> Verdict:
    """Judge one staff member's entries from one source in one calendar year."""
    entries = sorted(entries, key=lambda e: (e.received_on, e.id))
    first = entries[0]
    counted = [e for e in entries if not e.not_advantaged]
    excluded = [e for e in entries if e.not_advantaged]
    running, crossed, limit = 0, None, threshold_on(f"{year}-12-31").pence
    for e in counted:
        running += e.value_pence
        t = threshold_on(e.received_on).pence
        if crossed is None and running > t:
            crossed, limit = e, t
    if crossed is None and counted:
        limit = threshold_on(counted[-1].received_on).pence
    total = sum(e.value_pence for e in counted)
    charity = sum(e.value_pence for e in counted if e.to_charity)
    what = KIND_WORDS.get(first.kind, first.kind)
    src = first.source
    charity_note = f", including {pounds(charity)} passed to charity, which still counts" if charity else ""
    excl_note = ""
    if excluded:
        reasons = "; ".join(f"{pounds(e.value_pence)} on {_long(e.received_on)}: {e.not_advantaged_reason}"
                            for e in excluded)
        excl_note = f" (not counted, marked not advantaged by the pass: {reasons})"
    if crossed:
        due = (date.fromisoformat(crossed.received_on) + timedelta(days=DAYS_TO_REGISTER)).isoformat()
        n = len(counted)
        how = ("in one payment" if n == 1 else f"cumulatively over {n} entries")
        text = (f"Must be registered: {pounds(total)} from {src} in {year} ({what}{charity_note}) exceeds the "
                f"{pounds(limit)} threshold {how}; the entry of {_long(crossed.received_on)} "
                f"({pounds(crossed.value_pence)}) took it over, so register by {_long(due)}{excl_note}.")
        return Verdict(first.staff_id, first.staff_name, src, year, True, total, limit, crossed.id,
                       crossed.received_on, due, text, tuple(counted), tuple(excluded))
    if not counted:
        text = (f"Not registrable: everything from {src} in {year} ({pounds(sum(e.value_pence for e in excluded))})"
                f" is marked not advantaged by the pass{excl_note}.")
    else:
        exact = " (the rule is more than the threshold, so exactly the threshold is not registrable)" \
            if total == limit else ""
        text = (f"Not registrable: {pounds(total)} from {src} in {year} ({what}{charity_note}) does not exceed the "
                f"{pounds(limit)} threshold{exact}{excl_note}.")
    return Verdict(first.staff_id, first.staff_name, src, year, False, total, limit, None, None, None, text,
                   tuple(counted), tuple(excluded))


def check(office: Office, *, year: int | None = None, staff: str | None = None) -> list[Verdict]:
    """One verdict per staff member, source and calendar year (all years if `year` is None)."""
    groups: dict[tuple[str, str, int], list[Entry]] = {}
    for e in list_entries(office, staff=staff, year=year):
        groups.setdefault((e.staff_id, _source_key(e.source), int(e.received_on[:4])), []).append(e)
    verdicts = [verdict_for(v, k[2]) for k, v in groups.items()]
    return sorted(verdicts, key=lambda v: (v.year, v.staff_name, not v.must_register, v.source.casefold(),
                                          v.staff_id, v.source))
