"""Today's date, from one place: `MPOFFICE_TODAY=YYYY-MM-DD` pins it for tests and the demo."""

from __future__ import annotations

import os
from datetime import date, datetime


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


def parse_date(value: str | date | None, what: str = "date") -> date | None:
    """An ISO date from a string (or a date); ValueError with a clear message when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise ValueError(f"{what} {value!r} is not a date: use YYYY-MM-DD") from exc


def now_iso() -> str:
    """Now as an ISO-8601 UTC timestamp; on the pinned MPOFFICE_TODAY date when that is set."""
    from datetime import timezone

    now = datetime.now(timezone.utc)
    if os.environ.get("MPOFFICE_TODAY", "").strip():
        pinned = today()
        now = now.replace(year=pinned.year, month=pinned.month, day=pinned.day)
    return now.isoformat(timespec="microseconds").replace("+00:00", "Z")
