"""Review dates and tasks falling due, and deadlines in UK working days.

Working days skip weekends and the bank holidays of the office's nation, from the maintained
`holidays` package: England and Wales, Scotland, Northern Ireland (subdivisions ENG/WLS/SCT/NIR).
The nation is the `settings` row "nation" (default ENG).

    due(office)                      -> Reminders (overdue / due today review dates and tasks)
    add_working_days(d, n, nation)   -> date n working days after d (n < 0: before)
    working_days_between(a, b, nation)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.services import settings
from mpoffice_tui.services.clock import parse_date, today
from mpoffice_tui.services.office_settings import NATIONS, normalise_nation  # noqa: F401 - part of this API


def nation(office: Office) -> str:
    try:
        return normalise_nation(settings.get(office, "nation", "ENG"))
    except ValueError:
        return "ENG"


def set_nation(office: Office, value: str) -> str:
    code = normalise_nation(value)
    settings.put(office, "nation", code)
    return code


@lru_cache(maxsize=8)
def _bank_holidays(subdiv: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdiv)  # years are filled in lazily


def is_bank_holiday(d: date, nation: str = "ENG") -> bool:
    return d in _bank_holidays(normalise_nation(nation))


def is_working_day(d: date, nation: str = "ENG") -> bool:
    return d.weekday() < 5 and not is_bank_holiday(d, nation)


def add_working_days(start: date, n: int, nation: str = "ENG") -> date:
    """The date `n` working days after `start` (before it when n is negative)."""
    step = 1 if n >= 0 else -1
    d, left = start, abs(n)
    while left:
        d += timedelta(days=step)
        if is_working_day(d, nation):
            left -= 1
    return d


@lru_cache(maxsize=256)
def _weekday_bank_holidays(subdiv: str, year: int) -> tuple[date, ...]:
    """The bank holidays of `year` that fall on a weekday, in order."""
    return tuple(sorted(d for d in holidays.country_holidays("GB", subdiv=subdiv, years=year) if d.weekday() < 5))


def _weekdays_before(d: date) -> int:
    """Weekdays from 1 January of year 1 (a Monday) up to, not including, `d`."""
    weeks, days = divmod(d.toordinal() - 1, 7)
    return weeks * 5 + min(days, 5)


def working_days_between(start: date, end: date, nation: str = "ENG") -> int:
    """Working days after `start` up to and including `end` (0 when end <= start), in constant time per
    year spanned (a list of overdue chases computes this for every row)."""
    if end <= start:
        return 0
    subdiv = normalise_nation(nation)
    weekdays = _weekdays_before(end + timedelta(days=1)) - _weekdays_before(start + timedelta(days=1))
    off = 0
    for year in range(start.year, end.year + 1):
        days = _weekday_bank_holidays(subdiv, year)
        off += bisect_right(days, end) - bisect_right(days, start)
    return weekdays - off


# -- due today / overdue ------------------------------------------------------------------------
@dataclass(frozen=True)
class ReminderItem:
    kind: str  # review | task
    due: str
    overdue: bool
    case_id: str
    case_ref: str
    case_title: str
    title: str  # the task's title, or "Review"
    assignee_id: str | None
    assignee: str | None
    task_id: str | None = None
    working_days_overdue: int = 0


@dataclass(frozen=True)
class Reminders:
    today: str
    overdue: tuple[ReminderItem, ...]
    due_today: tuple[ReminderItem, ...]
    requests: tuple = ()  # services.sar_requests.SarView: subject access requests overdue or due within a week

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.requests)


def due(office: Office, *, assignee_id: str | None = None, on: date | str | None = None,
        limit: int = 500) -> Reminders:
    """Review dates of open cases and open tasks due on or before `on` (default today)."""
    day = parse_date(on) or today()
    iso = day.isoformat()
    where_staff = "AND {col} = :staff" if assignee_id else ""
    params = {"day": iso, "staff": assignee_id, "limit": limit}
    reviews_sql = (
        "SELECT 'review', c.review_date, c.id, c.ref, c.title, 'Review', c.assignee_id, s.name, NULL "
        "FROM cases c LEFT JOIN staff s ON s.id = c.assignee_id "
        "WHERE c.deleted = 0 AND c.status != 'closed' AND c.review_date IS NOT NULL "
        "AND c.review_date <= :day " + where_staff.format(col="c.assignee_id") +
        " ORDER BY c.review_date, c.ref LIMIT :limit")
    tasks_sql = (
        "SELECT 'task', t.due_date, c.id, c.ref, c.title, t.title, t.assignee_id, s.name, t.id "
        "FROM tasks t JOIN cases c ON c.id = t.case_id LEFT JOIN staff s ON s.id = t.assignee_id "
        "WHERE t.deleted = 0 AND t.done = 0 AND c.deleted = 0 AND t.due_date IS NOT NULL "
        "AND t.due_date <= :day " + where_staff.format(col="coalesce(t.assignee_id, c.assignee_id)") +
        " ORDER BY t.due_date, c.ref, t.id LIMIT :limit")
    with office.engine.connect() as conn:
        rows = list(conn.execute(text(reviews_sql), params)) + list(conn.execute(text(tasks_sql), params))
    nat = nation(office)
    items = []
    for kind, due_on, case_id, ref, case_title, title, staff_id, staff_name, task_id in rows:
        due_day = parse_date(due_on)
        late = working_days_between(due_day, day, nat) if due_day < day else 0
        items.append(ReminderItem(kind, due_on[:10], due_on[:10] < iso, case_id, ref, case_title, title,
                                  staff_id, staff_name, task_id, late))
    items.sort(key=lambda i: (i.due, i.case_ref, i.kind, i.task_id or ""))
    return Reminders(iso, tuple(i for i in items if i.overdue), tuple(i for i in items if not i.overdue),
                     tuple(subject_access_due(office, day)))


def subject_access_due(office: Office, day: date) -> list:
    """Open subject access requests overdue or due within a week (only for those who handle them)."""
    from mpoffice_tui.services import access, sar_requests

    if not access.can(office, "sar.manage"):
        return []
    return [r for r in sar_requests.list_requests(office, open_only=True)
            if r.status(day) in ("overdue", "due_soon")]
