"""Dates as people type them, in every form: DD/MM/YYYY, today, +14 (days), +2w (weeks), +3m, ISO."""

from __future__ import annotations

from datetime import date

import pytest

from mpoffice_tui.services.clock import add_months, parse_date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-31")


@pytest.mark.parametrize("typed, expected", [
    ("05/03/2027", date(2027, 3, 5)), ("5/3/2027", date(2027, 3, 5)), ("05.03.2027", date(2027, 3, 5)),
    ("5-3-27", date(2027, 3, 5)), ("7/4/66", date(1966, 4, 7)),
    ("2027-03-05", date(2027, 3, 5)), ("2027-03-05T10:00:00Z", date(2027, 3, 5)),
    ("today", date(2027, 1, 31)), ("Today", date(2027, 1, 31)), ("tomorrow", date(2027, 2, 1)),
    ("+14", date(2027, 2, 14)), ("14 days", date(2027, 2, 14)), ("+2w", date(2027, 2, 14)),
    ("+2 weeks", date(2027, 2, 14)), ("-3", date(2027, 1, 28)), ("+1m", date(2027, 2, 28)),
    ("+1y", date(2028, 1, 31)),
])
def test_typed_dates(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["31/02/2027", "soon", "+2x", "14", "2027-13-01", "99999999999999999999"])
def test_what_is_not_a_date_says_how_to_write_one(typed):
    with pytest.raises(ValueError, match="DD/MM/YYYY"):
        parse_date(typed, "review date")


def test_a_month_later_across_month_ends():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)
