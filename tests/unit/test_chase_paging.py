"""The Due list's third parties overdue a reply are counted and paged in SQL (issue 13: TUI memory at full
scale): a window by position or by key from a row already shown is exactly that window of the whole list."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from mpoffice_tui.db.models import CaseParty
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import constituents as people
from mpoffice_tui.services import contacts, letters
from mpoffice_tui.services import reminders as rm


def _working_days_one_by_one(start: date, end: date, nation: str) -> int:
    count, d = 0, start
    while d < end:
        d += timedelta(days=1)
        count += rm.is_working_day(d, nation)
    return count


def test_working_days_between_counts_what_a_day_by_day_walk_counts():
    rnd = random.Random(13)
    for _ in range(400):
        start = date(2019, 1, 1) + timedelta(days=rnd.randrange(3000))
        end = start + timedelta(days=rnd.randrange(-20, 1200))
        nation = rnd.choice(["ENG", "WLS", "SCT", "NIR"])
        assert rm.working_days_between(start, end, nation) == _working_days_one_by_one(start, end, nation)
    # Christmas 2026: Boxing Day is a Saturday, so Monday 28 December is a bank holiday too
    assert rm.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1


@pytest.fixture
def chased(office, monkeypatch):
    """An office with 23 parties overdue a reply on 2025-06-02 (some on the same day, one with no stored reply
    date), and three that are not: replied, on a closed case, not yet due."""
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-06-02")
    council = contacts.add_contact(office, organisation="Towntown Council", department="Housing", reply_days=10)
    police = contacts.add_contact(office, organisation="Towntown Police", reply_days=5)
    refs = []
    for n in range(8):
        p = people.create(office, forenames=f"Ann{n}", surname="Okafor", postcode="TT1 2AB")
        refs.append(cs.create_case(office, constituent_id=p.id, title=f"case {n}", category="Housing").ref)
    chased = []
    for n in range(23):
        contact = council if n % 3 else police
        on = date(2025, 1, 6) + timedelta(days=7 * (n // 2))  # two a week: ties on the reply date
        chased.append(cs.add_party(office, refs[n % 8], "agency", contact_id=contact.id, contacted_on=on).id)
    with office.writing() as w:  # a party from before reply dates were stored: worked out in working days
        w.update(w.get(CaseParty, chased[5]), reply_due=None)
    replied = cs.add_party(office, refs[0], "agency", contact_id=council.id, contacted_on="2025-01-02")
    cs.mark_party_replied(office, replied.id, "2025-01-20")
    cs.add_party(office, refs[1], "agency", contact_id=council.id, contacted_on="2025-05-30")  # due in June
    closed = cs.create_case(office, constituent_id=people.create(office, forenames="Bo", surname="Lee").id,
                            title="closed", category="Housing")
    cs.add_party(office, closed.ref, "agency", contact_id=council.id, contacted_on="2025-01-02")
    cs.change_status(office, closed.ref, "closed", outcome="resolved")
    return chased


def test_the_paged_chase_list_is_the_whole_list_a_window_at_a_time(office, chased):
    whole = letters.chase_due(office)
    assert {c.party_id for c in whole} == set(chased)
    assert letters.count_chase_due(office) == len(whole) == 23
    assert whole == sorted(whole, key=lambda c: (c.reply_due, c.case_ref, c.party_id))
    no_date = next(c for c in whole if c.party_id == chased[5])
    assert (no_date.contacted_on, no_date.reply_due) == ("2025-01-20", "2025-02-03")  # ten working days on
    for offset, limit in [(0, 10), (10, 10), (20, 10), (7, 1), (23, 5)]:
        assert letters.page_chase_due(office, offset, limit) == whole[offset:offset + limit]
    for at in range(len(whole)):  # by key from any row shown, either way, as the Due screen scrolls
        assert letters.seek_chase_due(office, whole[at], 6) == whole[at + 1:at + 7]
        assert letters.seek_chase_due(office, whole[at], 6, forward=False) == whole[max(0, at - 6):at]
    last = whole[-1]
    assert letters.chase_due(office, case_id=last.case_id) == [c for c in whole if c.case_id == last.case_id]


def test_the_chase_list_is_what_working_each_row_out_in_python_gives(office, chased):
    """The list the Due screen pages is the one the old whole-list reckoning gave, row for row."""
    nat = rm.nation(office)
    day = date(2025, 6, 2)
    with office.raw() as conn:
        rows = conn.execute(
            "SELECT cp.id, c.ref, cp.contacted_on, cp.reply_due, k.reply_days FROM case_parties cp "
            "JOIN cases c ON c.id = cp.case_id JOIN contacts k ON k.id = cp.contact_id WHERE cp.deleted = 0 "
            "AND c.status != 'closed' AND cp.contacted_on IS NOT NULL AND cp.replied_on IS NULL").fetchall()
    expected = []
    for pid, ref, contacted, due, days in rows:
        due_day = date.fromisoformat(due) if due else rm.add_working_days(date.fromisoformat(contacted), days, nat)
        if due_day < day:
            expected.append((due_day.isoformat(), ref, pid, _working_days_one_by_one(due_day, day, nat)))
    assert [(c.reply_due, c.case_ref, c.party_id, c.working_days_late) for c in letters.chase_due(office)] \
        == sorted(expected)


def test_a_demo_office_pages_its_chases_the_same_way(demo_office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2031-01-01")  # every unanswered party is overdue by then
    whole = letters.chase_due(demo_office)
    assert letters.count_chase_due(demo_office) == len(whole) > 50
    pages = [letters.page_chase_due(demo_office, n, 20) for n in range(0, len(whole), 20)]
    assert [c for page in pages for c in page] == whole
    walked = letters.page_chase_due(demo_office, 0, 20)
    while len(walked) < len(whole):
        walked += letters.seek_chase_due(demo_office, walked[-1], 20)
    assert walked == whole
    back = whole[-20:]
    while len(back) < len(whole):
        back = letters.seek_chase_due(demo_office, back[0], 20, forward=False) + back
    assert back == whole
