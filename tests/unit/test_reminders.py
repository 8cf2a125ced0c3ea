"""UK working days per nation, and the due today / overdue view."""

from __future__ import annotations

from datetime import date

import pytest

from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import reminders as rm


def test_working_days_follow_each_nation():
    # 2 January is a bank holiday in Scotland only; 17 March in Northern Ireland only
    assert rm.add_working_days(date(2025, 1, 1), 1, "ENG") == date(2025, 1, 2)
    assert rm.add_working_days(date(2025, 1, 1), 1, "SCT") == date(2025, 1, 3)
    assert rm.add_working_days(date(2025, 3, 14), 1, "NIR") == date(2025, 3, 18)
    assert rm.add_working_days(date(2025, 3, 14), 1, "WLS") == date(2025, 3, 17)
    # Easter Monday is a holiday in England and Wales but not in Scotland
    assert rm.is_working_day(date(2025, 4, 21), "SCT") and not rm.is_working_day(date(2025, 4, 21), "ENG")
    assert rm.add_working_days(date(2025, 12, 31), -2, "ENG") == date(2025, 12, 29)
    assert rm.working_days_between(date(2025, 12, 24), date(2026, 1, 5), "SCT") == 4
    assert rm.working_days_between(date(2025, 12, 24), date(2026, 1, 5), "ENG") == 5
    assert rm.normalise_nation("Northern Ireland") == "NIR"
    with pytest.raises(ValueError, match="unknown nation"):
        rm.normalise_nation("Narnia")


def test_nation_is_an_office_setting(office):
    assert rm.nation(office) == "ENG"
    rm.set_nation(office, "scotland")
    assert rm.nation(office) == "SCT"


def test_due_today_and_overdue(office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-06-10")
    with office.writing() as w:
        p = w.insert(Constituent, forenames="A", surname="B")
    late = cs.create_case(office, constituent_id=p.id, title="Late", category="X", review_date="2025-06-02",
                          assignee=office.staff_id)
    today = cs.create_case(office, constituent_id=p.id, title="Today", category="X", review_date="2025-06-10")
    closed = cs.create_case(office, constituent_id=p.id, title="Closed", category="X", review_date="2025-06-01")
    cs.change_status(office, closed.ref, "closed", outcome="Resolved")
    cs.create_case(office, constituent_id=p.id, title="Later", category="X", review_date="2025-07-01")
    t = cs.add_task(office, today.ref, "Ring agency", due_date="2025-06-09")
    done = cs.add_task(office, today.ref, "Done already", due_date="2025-06-01")
    cs.complete_task(office, done.id)
    r = rm.due(office)
    assert [(i.kind, i.case_ref) for i in r.overdue] == [("review", late.ref), ("task", today.ref)]
    assert r.overdue[0].working_days_overdue == 6 and r.overdue[1].task_id == t.id
    assert [(i.kind, i.case_ref) for i in r.due_today] == [("review", today.ref)]
    mine = rm.due(office, assignee_id=office.staff_id)
    assert [i.case_ref for i in mine.overdue] == [late.ref] and not mine.due_today
