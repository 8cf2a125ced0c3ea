"""Today's date, from one place: `MPOFFICE_TODAY=YYYY-MM-DD` pins it for tests and the demo."""

from __future__ import annotations

import calendar
import os
import re
from datetime import date, datetime, timedelta

# "+14" days, "+2w" weeks, "+3m" months, "-1y"; "14d" and "2 weeks" too
_RELATIVE = re.compile(r"([+-]?)(\d{1,4})\s*(d|days?|w|weeks?|m|months?|y|years?)?")
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
DATE_HELP = "DD/MM/YYYY, YYYY-MM-DD, today, +14 (days) or +2w (weeks)"


def today() -> date:
    """The office's today (local date), or MPOFFICE_TODAY when it is set to a valid ISO date."""
    pinned = os.environ.get("MPOFFICE_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            pass
    return datetime.now().date()


def today_iso() -> str:
    return today().isoformat()


def add_months(d: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier), clamped to that month's last day
    (31 January + 1 month is 28 or 29 February)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def parse_date(value: str | date | None, what: str = "date") -> date | None:
    """A date from what a person types or a file holds: an ISO date (or timestamp), a UK date
    (DD/MM/YYYY, D.M.YY), `today`/`tomorrow`/`yesterday`, or a step from today (`+14` days, `+2w`,
    `+3m`, `-1y`, `14 days`). ValueError with a clear message when it is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    low = text.lower()
    words = {"today": 0, "tomorrow": 1, "yesterday": -1}
    try:
        if low in words:
            return today() + timedelta(days=words[low])
        if (m := _RELATIVE.fullmatch(low)) and (m[1] or m[3]):  # a bare "14" is not taken as days
            n = int(m[2]) * (-1 if m[1] == "-" else 1)
            unit = (m[3] or "d")[0]
            if unit == "m":
                return add_months(today(), n)
            if unit == "y":
                return add_months(today(), 12 * n)
            return today() + timedelta(days=n * (7 if unit == "w" else 1))
        if m := _UK_DATE.fullmatch(text):
            year = int(m[3])
            if len(m[3]) == 2:  # '66 is 1966 and '27 is 2027: a two-digit year within 20 years ahead
                year += 2000 if year <= today().year % 100 + 20 else 1900
            return date(year, int(m[2]), int(m[1]))
        return date.fromisoformat(text[:10])
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{what} {value!r} is not a date: use {DATE_HELP}") from exc


def now_iso() -> str:
    """Now as an ISO-8601 UTC timestamp; on the pinned MPOFFICE_TODAY date when that is set."""
    from datetime import timezone

    now = datetime.now(timezone.utc)
    if os.environ.get("MPOFFICE_TODAY", "").strip():
        pinned = today()
        now = now.replace(year=pinned.year, month=pinned.month, day=pinned.day)
    return now.isoformat(timespec="microseconds").replace("+00:00", "Z")
