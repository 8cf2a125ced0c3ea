"""Case services on a real encrypted office: create, list (filters, search, sort, pages), detail, actions."""

from __future__ import annotations

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Constituent, Message, Staff
from mpoffice_tui.services import cases as cs


@pytest.fixture
def people(office):
    with office.writing() as w:
        mary = w.insert(Constituent, forenames="Mary", surname="O'Brien", postcode="SW1A 1AA",
                        email="mary@example.org", safety_caution=True, safety_details="aggressive dog",
                        interpreter_language="Polish")
        raj = w.insert(Constituent, forenames="Raj", surname="Patel", postcode="LS1 4AP")
        bob = w.insert(Staff, name="Bob Caseworker", role="caseworker")
    return {"mary": mary.id, "raj": raj.id, "bob": bob.id}


def test_create_case_allocates_refs_and_opens_timeline(office, people):
    a = cs.create_case(office, constituent_id=people["mary"], title="Damp flat", category="Housing",
                       tags="Repairs, URGENT,repairs")
    b = cs.create_case(office, constituent_id=people["raj"], title="PIP appeal", category="Benefits")
    assert (a.ref, b.ref) == ("A-00001", "A-00002")
    assert a.tags == ("repairs", "urgent")
    assert a.constituent == "Mary O'Brien" and a.safety_caution
    detail = cs.get_case(office, "a-00001")
    assert [t.kind for t in detail.timeline] == ["status"]
    assert "PERSONAL" not in detail.constituent.flags
    assert detail.constituent.flags[0].startswith("SAFETY CAUTION")
    assert "Interpreter: Polish" in detail.constituent.flags
    with pytest.raises(OfficeError, match="title"):
        cs.create_case(office, constituent_id=people["raj"], title="  ", category="X")


def test_list_filters_search_sort_and_pages(office, people, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-10")
    made = []
    for i in range(12):
        made.append(cs.create_case(
            office, constituent_id=people["mary" if i % 2 else "raj"], title=f"Case number {i}",
            category="Housing" if i % 3 == 0 else "Benefits", assignee="Bob Caseworker" if i < 4 else None,
            tags="blue" if i % 4 == 0 else "", review_date="2025-03-01" if i == 5 else "2025-04-01"))
    page = cs.list_cases(office, sort="ref", descending=False, offset=0, limit=5)
    assert page.total == 12 and [r.ref for r in page.rows] == [f"A-{n:05d}" for n in range(1, 6)]
    page2 = cs.list_cases(office, sort="ref", descending=False, offset=10, limit=5)
    assert [r.ref for r in page2.rows] == ["A-00011", "A-00012"]
    assert cs.list_cases(office, sort="ref").rows[0].ref == "A-00012"
    assert cs.count_cases(office, cs.CaseFilter(categories=("Housing",))) == 4
    assert cs.count_cases(office, cs.CaseFilter(assignee_ids=(people["bob"],))) == 4
    assert cs.count_cases(office, cs.CaseFilter(unassigned=True)) == 8
    assert cs.count_cases(office, cs.CaseFilter(tags=("BLUE",))) == 3
    overdue = cs.list_cases(office, cs.CaseFilter(overdue=True)).rows
    assert [r.title for r in overdue] == ["Case number 5"]
    assert cs.count_cases(office, cs.CaseFilter(text="o'brien")) == 6
    assert cs.count_cases(office, cs.CaseFilter(text="patel number")) == 6
    assert [r.ref for r in cs.list_cases(office, cs.CaseFilter(text="A-00007")).rows] == ["A-00007"]
    assert cs.count_cases(office, cs.CaseFilter(text='"; DROP TABLE cases; --')) == 0
    for key in cs.SORTS:
        assert cs.list_cases(office, sort=key, limit=3).total == 12
    by_constituent = cs.list_cases(office, sort="constituent", descending=False, limit=12).rows
    assert by_constituent[0].constituent == "Mary O'Brien" and by_constituent[-1].constituent == "Raj Patel"
    with pytest.raises(OfficeError):
        cs.list_cases(office, sort="rowid; drop table cases")


def test_saved_views_awaiting_and_closed_this_month(office, people, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-01-02")
    old = cs.create_case(office, constituent_id=people["raj"], title="Visa", category="Immigration",
                         assignee="Bob Caseworker")
    cs.change_status(office, old.ref, "awaiting_third_party")
    recent = cs.create_case(office, constituent_id=people["raj"], title="Tax", category="Tax")
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-01-30")
    cs.change_status(office, recent.ref, "awaiting_third_party")
    # 2 Jan to 3 Feb is 21 working days in England; 30 Jan to 3 Feb only 2
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-02-03")
    assert [r.ref for r in cs.list_cases(office, cs.CaseFilter(awaiting_days=20)).rows] == [old.ref]
    assert cs.count_cases(office, cs.CaseFilter(awaiting_days=1)) == 2
    done = cs.create_case(office, constituent_id=people["mary"], title="Bins", category="Council")
    cs.change_status(office, done.ref, "closed", outcome="Resolved")
    counts = cs.saved_view_counts(office)
    assert counts["awaiting_agency"] == 1 and counts["closed_this_month"] == 1
    assert counts["my_open"] == 0  # nothing assigned to Ann, who unlocked
    cs.assign(office, old.ref, office.staff_id)
    assert cs.saved_view_counts(office)["my_open"] == 1
    assert cs.status_counts(office)["awaiting_third_party"] == 2


def test_status_close_needs_outcome_and_reopen(office, people):
    c = cs.create_case(office, constituent_id=people["mary"], title="Repairs", category="Housing")
    with pytest.raises(OfficeError, match="outcome"):
        cs.change_status(office, c.ref, "closed")
    with pytest.raises(OfficeError, match="unknown status"):
        cs.change_status(office, c.ref, "finished")
    closed = cs.change_status(office, c.ref, "closed", outcome="Resolved")
    assert closed.status == "closed" and closed.outcome == "Resolved" and closed.closed_at
    again = cs.reopen(office, c.ref)
    assert again.status == "open" and again.outcome is None and again.closed_at is None
    statuses = [t.body for t in cs.get_case(office, c.ref).timeline if t.kind == "status"]
    assert statuses[1].startswith("Closed") and "Resolved" in statuses[1]
    assert statuses[2].startswith("Reopened")
    with office.engine.connect() as conn:  # every change went through the op log
        n = conn.exec_driver_sql("SELECT count(*) FROM ops WHERE tbl='notes'").scalar()
        status_ops = conn.exec_driver_sql("SELECT count(*) FROM ops WHERE tbl='cases' AND field='status'").scalar()
    assert n == 3 and status_ops == 2


def test_timeline_in_date_order_with_everything(office, people, tmp_path):
    c = cs.create_case(office, constituent_id=people["mary"], title="Benefit stopped", category="Benefits")
    with office.writing() as w:
        w.insert(Message, channel="email", direction="in", sender_email="mary@example.org", subject="Help please",
                 body_text="My benefit stopped.\nPlease help.", received_at="2000-01-01T09:00:00Z",
                 content_hash="x1", case_id=c.id, constituent_id=people["mary"])
    cs.add_note(office, c.ref, "Spoke to DWP")
    cs.log_call(office, c.ref, "Mary rang back", direction="in", who="Mary")
    task = cs.add_task(office, c.ref, "Chase DWP", due_date="2030-01-01", assignee="Bob Caseworker")
    cs.complete_task(office, task.id)
    f = tmp_path / "letter.pdf"
    f.write_bytes(b"%PDF-1.4 fake")
    att = cs.attach_file(office, c.ref, f)
    detail = cs.get_case(office, c.ref)
    kinds = [t.kind for t in detail.timeline]
    assert kinds[0] == "message"  # the oldest, though added after the case was opened
    assert set(kinds) >= {"message", "status", "note", "call", "task", "task_done", "attachment"}
    assert [t.at for t in detail.timeline] == sorted(t.at for t in detail.timeline)
    assert detail.timeline[0].body == "My benefit stopped.\nPlease help."
    assert detail.tasks[0].done and detail.tasks[0].assignee == "Bob Caseworker"
    assert cs.attachment_data(office, att.id) == ("letter.pdf", b"%PDF-1.4 fake")
    assert att.content_type == "application/pdf"
    with pytest.raises(OfficeError, match="missing.pdf"):
        cs.attach_file(office, c.ref, tmp_path / "missing.pdf")


def test_confidential_notes_hidden_from_volunteers(office, people):
    c = cs.create_case(office, constituent_id=people["mary"], title="Family matter", category="Social care")
    cs.add_note(office, c.ref, "Disclosed domestic abuse", confidential=True)
    cs.add_note(office, c.ref, "Ordinary note")
    for_manager = cs.get_case(office, c.ref)  # Ann unlocked: a manager
    assert any(t.body == "Disclosed domestic abuse" and t.confidential for t in for_manager.timeline)
    for_volunteer = cs.get_case(office, c.ref, viewer_role="volunteer")
    hidden = [t for t in for_volunteer.timeline if t.confidential]
    assert hidden and all(t.redacted and t.body == "" for t in hidden)
    assert "Disclosed domestic abuse" not in repr(for_volunteer.as_dict())
    assert any(t.body == "Ordinary note" for t in for_volunteer.timeline)


def test_assign_review_date_and_parties(office, people, monkeypatch):
    from mpoffice_tui.services import contacts

    monkeypatch.setenv("MPOFFICE_TODAY", "2025-12-22")
    c = cs.create_case(office, constituent_id=people["mary"], title="Passport", category="Immigration")
    assert cs.assign(office, c.ref, "bob caseworker").assignee == "Bob Caseworker"
    assert cs.assign(office, c.ref, None).assignee is None
    with pytest.raises(OfficeError, match="no staff member"):
        cs.assign(office, c.ref, "Nobody")
    assert cs.set_review_date(office, c.ref, "2026-01-05").review_date == "2026-01-05"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        cs.set_review_date(office, c.ref, "next tuesday")
    k = contacts.add_contact(office, organisation="HM Passport Office", department="MP line", reply_days=6)
    party = cs.add_party(office, c.ref, "agency", contact_id=k.id, contacted_on="2025-12-22")
    assert party.reply_due == "2026-01-02"  # 6 working days: skips Christmas, Boxing Day, the weekend and New Year's Day
    cs.add_party(office, c.ref, "relative", constituent_id=people["raj"])
    detail = cs.get_case(office, c.ref)
    assert [p.role for p in detail.parties] == ["agency", "relative"]
    assert detail.parties[1].name == "Raj Patel"


def test_outcomes_are_the_offices_and_categories_are_matched_whatever_their_case(office, people):
    housing = cs.create_case(office, constituent_id=people["mary"], title="Damp", category="Housing")
    lower = cs.create_case(office, constituent_id=people["raj"], title="Mould", category="  housing ")
    assert lower.category == "Housing"  # filed under the office's own category, not a new one
    found = cs.list_cases(office, cs.CaseFilter(categories=("HOUSING",)), limit=10)
    assert {r.id for r in found.rows} == {housing.id, lower.id}
    with pytest.raises(OfficeError, match="unknown outcome 'bogus'"):
        cs.change_status(office, housing.ref, "closed", outcome="bogus")
    assert cs.case_row(office, housing.ref).status == "new"
    cs.change_status(office, housing.ref, "closed", outcome="resolved")
    assert cs.case_row(office, housing.ref).outcome == "Resolved"


def test_only_a_regular_file_is_attached_and_never_read_past_the_limit(office, people, tmp_path):
    case = cs.create_case(office, constituent_id=people["mary"], title="Damp")
    with pytest.raises(OfficeError, match="not a file"):
        cs.attach_file(office, case.ref, "/dev/zero")  # size 0, endless: refused at once
    with pytest.raises(OfficeError, match="not a file"):
        cs.attach_file(office, case.ref, tmp_path)
    with pytest.raises(OfficeError, match="no such file"):
        cs.attach_file(office, case.ref, tmp_path / "missing.pdf")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 scan")
    assert cs.attach_file(office, case.ref, tmp_path / "scan.pdf").filename == "scan.pdf"


def test_new_cases_get_the_offices_default_review_date(office, monkeypatch):
    from mpoffice_tui.services import settings

    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-31")
    assert cs.create_case(office, constituent_id=None, title="Default").review_date == "2027-02-28"  # 28 days
    settings.put(office, "review_days", "14")
    assert cs.create_case(office, constituent_id=None, title="Fortnight").review_date == "2027-02-14"
    assert cs.create_case(office, constituent_id=None, title="Typed", review_date="+2w").review_date == "2027-02-14"
    assert cs.create_case(office, constituent_id=None, title="UK", review_date="01/03/2027").review_date \
        == "2027-03-01"
    settings.put(office, "review_days", "0")
    assert cs.create_case(office, constituent_id=None, title="None").review_date is None


def test_a_name_typed_without_its_apostrophe_finds_the_case_and_the_person(office, people):
    """`obrien` finds Mary O'Brien's case (and Mary) as the register lookup would; it finds no one else."""
    from mpoffice_tui.services import constituents

    mine = cs.create_case(office, constituent_id=people["mary"], title="Damp flat", category="Housing")
    cs.create_case(office, constituent_id=people["raj"], title="PIP appeal", category="Benefits")
    for typed in ("obrien", "OBrien", "mary obrien", "o'brien", "O’Brien"):
        assert [r.ref for r in cs.list_cases(office, cs.CaseFilter(text=typed)).rows] == [mine.ref], typed
    assert [p.name for p in constituents.search(office, "obrien")] == ["Mary O'Brien"]
    assert cs.count_cases(office, cs.CaseFilter(text="obrain")) == 0


def test_an_outgoing_call_names_the_person_called(office, people):
    """A call out is made by the caseworker to someone: the timeline says who was called, and the staff
    member who rang is its author, not the person called."""
    c = cs.create_case(office, constituent_id=people["mary"], title="Damp flat", category="Housing")
    cs.log_call(office, c.ref, "Rang the housing officer", direction="out", who="Housing officer")
    cs.log_call(office, c.ref, "Mary rang", direction="in", who="Mary O'Brien")
    cs.log_call(office, c.ref, "Rang Mary back", direction="out")
    calls = [t for t in cs.get_case(office, c.ref).timeline if t.kind == "call"]
    assert [t.title for t in calls] == ["Call to Housing officer", "Call from Mary O'Brien",
                                        "Call to Mary O'Brien"]
    assert {t.author for t in calls} == {"Ann Manager"}
    with office.read() as s:
        from sqlmodel import select

        out = s.exec(select(Message).where(Message.direction == "out")).all()
    assert {(m.sender_name, m.recipients) for m in out} == {("Ann Manager", "Housing officer"),
                                                            ("Ann Manager", "Mary O'Brien")}
