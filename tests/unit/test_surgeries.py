"""Advice surgeries (issue 15): booking, walk-ins, arrival, no-shows, capture into a case, statistics, the
emails to constituents, and every refusal leaving the office as it was."""

from __future__ import annotations

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import (
    cases,
    constituents,
    outbox,
    settings,
    surgeries,
    surgery_mail,
    surgery_visits,
)
from mpoffice_tui.services.surgeries import Who

TODAY = "2027-01-11"  # a Monday


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", TODAY)


def _count(office, table: str) -> int:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def _everything(office) -> dict[str, int]:
    return {t: _count(office, t) for t in ("surgeries", "appointments", "constituents", "cases", "messages",
                                          "consents", "tasks", "ops")}


@pytest.fixture
def surgery(office):
    return surgeries.add_surgery(office, held_on="2027-01-15", place="Eastmoor Library", starts="10:00",
                                 ends="13:00", slot_minutes=15)


def test_a_surgery_has_its_slots_and_is_held_by_the_mp_unless_said(office, surgery):
    assert surgery.slots == 12 and surgery.free == 12
    assert surgery.label == "Fri 15 Jan 2027, 10:00–13:00, Eastmoor Library"
    assert surgery.held_by == "Ann Manager" or surgery.held_by is None  # the test office has no MP on staff
    assert surgeries.find_surgery(office, "15/01/2027") == surgery.id
    assert surgeries.find_surgery(office, surgery.id[:10]) == surgery.id
    day = surgeries.surgery_day(office, "2027-01-15")
    assert day.free_slots[:3] == ("10:00", "10:15", "10:30") and len(day.free_slots) == 12


def test_booking_takes_the_first_free_slot_or_the_one_asked_for(office, surgery):
    mary = constituents.create(office, forenames="Mary", surname="O'Brien", postcode="wx4 1pt", email="mary@example.org")
    a = surgeries.book(office, surgery.id, Who(constituent_id=mary.id), slot="10:30", topic="Damp flat",
                       phone="07700 900123", interpreter="Polish")
    assert (a.slot, a.status, a.name, a.topic, a.interpreter_language) == ("10:30", "booked", "Mary O'Brien",
                                                                          "Damp flat", "Polish")
    b = surgeries.book(office, surgery.id, Who(forenames="Sean", surname="Ryan", postcode="WX1 2AB"), topic="Visa")
    assert b.slot == "10:00" and b.constituent_id  # a new person, made in the same transaction
    assert constituents.row(office, mary.id).phone == "07700 900123"  # the contact number kept on the person too
    day = surgeries.surgery_day(office, surgery.id)
    assert [x.slot for x in day.appointments] == ["10:00", "10:30"]
    assert "10:30" not in day.free_slots


@pytest.mark.parametrize("slot, message", [
    ("09:45", "outside the hours"), ("13:00", "outside the hours"), ("10:07", "not the start of a slot"),
    ("25:00", "not a time of day")])
def test_a_slot_outside_the_hours_or_off_the_slots_is_refused_and_nothing_is_written(office, surgery, slot, message):
    before = _everything(office)
    with pytest.raises(OfficeError, match=message):
        surgeries.book(office, surgery.id, Who(forenames="Ann", surname="Other"), slot=slot)
    assert _everything(office) == before


def test_a_double_booking_is_refused_naming_the_free_slots(office, surgery):
    surgeries.book(office, surgery.id, Who(forenames="First", surname="Person"), slot="10:30")
    before = _everything(office)
    with pytest.raises(OfficeError, match=r"10:30 .* already booked \(First Person\): free slots: 10:00, 10:15, 10:45"):
        surgeries.book(office, surgery.id, Who(forenames="Second", surname="Person"), slot="10:30")
    assert _everything(office) == before  # not even the new person was kept


def test_dates_in_the_past_are_refused(office, surgery, monkeypatch):
    with pytest.raises(OfficeError, match="in the past"):
        surgeries.add_surgery(office, held_on="2027-01-08", place="Eastmoor Library", starts="10:00", ends="12:00")
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-16")
    before = _everything(office)
    with pytest.raises(OfficeError, match="already been held"):
        surgeries.book(office, surgery.id, Who(forenames="Too", surname="Late"))
    assert _everything(office) == before


def test_bad_hours_and_clashing_surgeries_are_refused(office, surgery):
    with pytest.raises(OfficeError, match="end after it starts"):
        surgeries.add_surgery(office, held_on="2027-01-20", place="Hall", starts="12:00", ends="10:00")
    with pytest.raises(OfficeError, match="does not fit"):
        surgeries.add_surgery(office, held_on="2027-01-20", place="Hall", starts="10:00", ends="10:10", slot_minutes=15)
    with pytest.raises(OfficeError, match="already a surgery at Eastmoor Library"):
        surgeries.add_surgery(office, held_on="2027-01-15", place="eastmoor library", starts="12:00", ends="14:00")


def test_a_full_surgery_says_so(office):
    s = surgeries.add_surgery(office, held_on="2027-01-15", place="Small Room", starts="10:00", ends="10:30",
                              slot_minutes=15)
    for n in range(2):
        surgeries.book(office, s.id, Who(forenames="P", surname=str(n)))
    with pytest.raises(OfficeError, match="fully booked"):
        surgeries.book(office, s.id, Who(forenames="P", surname="3"))


def test_cancel_frees_the_slot_and_move_checks_like_a_booking(office, surgery):
    a = surgeries.book(office, surgery.id, Who(forenames="A", surname="One"), slot="10:00")
    b = surgeries.book(office, surgery.id, Who(forenames="B", surname="Two"), slot="10:15")
    with pytest.raises(OfficeError, match="already booked"):
        surgeries.move(office, b.id, slot="10:00")
    assert surgeries.move(office, b.id, slot="11:00").slot == "11:00"
    surgeries.cancel(office, a.id)
    assert surgeries.book(office, surgery.id, Who(forenames="C", surname="Three"), slot="10:00").slot == "10:00"
    later = surgeries.add_surgery(office, held_on="2027-01-22", place="Eastmoor Library", starts="10:00",
                                  ends="11:00")
    moved = surgeries.move(office, b.id, surgery=later.id)
    assert (moved.surgery_id, moved.slot) == (later.id, "10:00")


def test_walk_ins_arrival_and_no_shows_on_the_day(office, surgery, monkeypatch):
    a = surgeries.book(office, surgery.id, Who(forenames="Booked", surname="Person"), slot="10:00")
    with pytest.raises(OfficeError, match="on the day"):
        surgeries.book(office, surgery.id, Who(forenames="Walk", surname="In"), walk_in=True)
    with pytest.raises(OfficeError, match="nobody has arrived yet"):
        surgeries.arrive(office, a.id)
    with pytest.raises(OfficeError, match="on the day or after"):
        surgeries.no_show(office, a.id)
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    walk = surgeries.book(office, surgery.id, Who(forenames="Walk", surname="In"), walk_in=True, topic="Bins")
    assert (walk.slot, walk.walk_in, walk.status) == (None, True, "arrived") and walk.time.startswith("walk-in ")
    assert surgeries.arrive(office, a.id).status == "arrived"
    assert surgeries.arrive(office, a.id, arrived=False).status == "booked"
    assert surgeries.no_show(office, a.id).status == "no_show"
    stats = surgeries.get_surgery(office, surgery.id).stats
    assert (stats.booked, stats.walk_ins, stats.no_shows, stats.arrived) == (2, 1, 1, 1)


def test_capture_opens_a_case_with_the_problem_consent_and_follow_up_in_one_go(office, surgery, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    mary = constituents.create(office, forenames="Mary", surname="O'Brien", postcode="WX4 1PT")
    a = surgeries.book(office, surgery.id, Who(constituent_id=mary.id), slot="10:30", topic="Damp in the flat")
    visit = surgery_visits.capture(office, a.id, problem="The landlord has not fixed the damp since March.\n"
                                   "My son has asthma.", consent="implied", follow_up="Write to the landlord")
    assert visit.case_opened and visit.consent_id and visit.task_id
    detail = cases.get_case(office, visit.case_ref)
    assert detail.case.title == "Damp in the flat" and detail.case.category == "Housing"  # suggested from the words
    surgery_msg = [i for i in detail.timeline if i.channel == "surgery"]
    assert surgery_msg and "my son has asthma" in surgery_msg[0].body.lower()
    assert [t.title for t in detail.tasks] == ["Write to the landlord"] and detail.tasks[0].due_date == "2027-01-22"
    consent = constituents.get(office, mary.id).consents
    assert consent[0].kind == "implied" and "Eastmoor Library" in consent[0].details
    again = surgeries.get_appointment(office, a.id)
    assert (again.status, again.case_ref, again.case_opened) == ("seen", visit.case_ref, True)
    stats = surgeries.get_surgery(office, surgery.id).stats
    assert (stats.seen, stats.cases_opened, stats.cases_added) == (1, 1, 0)


def test_capture_onto_an_existing_case_and_what_is_left_to_do_after(office, surgery, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    p = constituents.create(office, forenames="Hamish", surname="MacDonald")
    existing = cases.create_case(office, constituent_id=p.id, title="PIP appeal", category="Benefits")
    a = surgeries.book(office, surgery.id, Who(constituent_id=p.id), slot="10:00")
    b = surgeries.book(office, surgery.id, Who(forenames="Not", surname="Yet"), slot="10:15")
    surgeries.arrive(office, b.id)
    visit = surgery_visits.capture(office, a.id, problem="Tribunal date set", case=existing.ref)
    assert not visit.case_opened and visit.case_ref == existing.ref
    todo = {(f.appointment.id, f.needs) for f in surgery_visits.still_to_do(office, surgery.id)}
    assert todo == {(a.id, "a follow-up"), (b.id, "a case")}
    stats = surgeries.get_surgery(office, surgery.id).stats
    assert (stats.cases_opened, stats.cases_added) == (0, 1)


def test_capture_refusals_write_nothing(office, surgery):
    a = surgeries.book(office, surgery.id, Who(forenames="A", surname="B"))
    before = _everything(office)
    with pytest.raises(OfficeError, match="own words"):
        surgery_visits.capture(office, a.id, problem="  ")
    with pytest.raises(OfficeError, match="not a date"):
        surgery_visits.capture(office, a.id, problem="x", follow_up="Ring", follow_up_due="next blue moon")
    with pytest.raises(OfficeError, match="no case"):
        surgery_visits.capture(office, a.id, problem="x", case="Z-99999")
    assert _everything(office) == before


def test_the_person_across_the_table(office, surgery):
    p = constituents.create(office, forenames="Zoë", surname="Hartley", postcode="WX9 9ZZ")
    constituents.update(office, p.id, safety_caution=True, safety_details="Two staff at meetings")
    c = cases.create_case(office, constituent_id=p.id, title="Noise", category="Environment")
    cases.add_note(office, c.ref, "Rang the council about the noise")
    a = surgeries.book(office, surgery.id, Who(constituent_id=p.id))
    seen = surgery_visits.person_for(office, a.id)
    assert seen.flags[0] == "SAFETY CAUTION: Two staff at meetings"
    assert seen.in_constituency is None and "no electoral register" in seen.constituency
    assert [(o.ref, o.last_activity) for o in seen.open_cases] == [(c.ref, "Note: Rang the council about the noise")]


def test_a_postcode_on_no_register_may_be_outside(demo_office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-11-02")
    s = surgeries.add_surgery(demo_office, held_on="2026-11-20", place="Test Hall", starts="10:00", ends="11:00")
    with demo_office.engine.connect() as conn:
        key, pc = conn.exec_driver_sql("SELECT elector_key, postcode FROM electors LIMIT 1").fetchone()
    inside = surgeries.book(demo_office, s.id, Who(elector_key=key))
    outside = surgeries.book(demo_office, s.id, Who(forenames="Far", surname="Away", postcode="ZZ9 9ZZ"))
    seen = surgery_visits.person_for(demo_office, inside.id)
    assert seen.in_constituency is True and seen.elector is not None and seen.elector.postcode == pc
    far = surgery_visits.person_for(demo_office, outside.id)
    assert far.in_constituency is False and "may be outside the constituency" in far.constituency


def test_an_unknown_elector_number_is_refused(demo_office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-11-02")
    s = surgeries.add_surgery(demo_office, held_on="2026-11-20", place="Test Hall", starts="10:00", ends="11:00")
    before = _everything(demo_office)
    with pytest.raises(OfficeError, match="no elector WA1-99999 on the register"):
        surgeries.book(demo_office, s.id, Who(elector="WA1-99999"))
    assert _everything(demo_office) == before


def test_confirmation_and_reminders_wait_in_the_outbox(office, surgery):
    settings.put(office, "office_email", "casework@example.org")
    mary = constituents.create(office, forenames="Mary", surname="O'Brien", email="mary@example.org")
    silent = constituents.create(office, forenames="No", surname="Email", phone="01632 960111")
    a = surgeries.book(office, surgery.id, Who(constituent_id=mary.id), slot="10:30", confirm=True)
    surgeries.book(office, surgery.id, Who(constituent_id=silent.id), slot="10:45")
    assert a.confirmation_id
    sent = outbox.get(office, a.confirmation_id)
    assert sent.state == "queued" and "mary@example.org" in sent.to
    assert "Friday 15 January 2027 at 10:30" in sent.body and "Eastmoor Library" in sent.body
    assert sent.body.startswith("Dear Mary")
    done = surgery_mail.send_reminders(office, surgery.id)
    assert (done.drafted, done.state, done.no_email) == (1, "queued", (("No Email", "01632 960111"),))
    assert surgery_mail.send_reminders(office, surgery.id).already == 1  # never twice


def test_the_days_list_printed_as_pdf_and_text_reads_back(office, surgery, tmp_path):
    from pdf_reading import pdf_text, reader

    from mpoffice_tui.services import surgery_print

    p = constituents.create(office, forenames="Siobhán", surname="Ó Súilleabháin", postcode="WX4 1PT")
    constituents.update(office, p.id, safety_caution=True, safety_details="Two staff at meetings")
    c = cases.create_case(office, constituent_id=p.id, title="Housing benefit", category="Benefits")
    surgeries.book(office, surgery.id, Who(constituent_id=p.id), slot="10:15", topic="Rent arrears",
                   interpreter="Irish")
    gone = surgeries.book(office, surgery.id, Who(forenames="Łukasz", surname="Wiśniewski"), slot="10:00")
    surgeries.cancel(office, gone.id)
    path = surgery_print.print_day(office, "2027-01-15", tmp_path / "list.pdf")
    words = " ".join(pdf_text(path).split())
    assert "Advice surgery, 15 January 2027" in words and "Eastmoor Library, 10:00 to 13:00" in words
    assert "Siobhán Ó Súilleabháin" in words and "Rent arrears" in words and c.ref in words
    assert "SAFETY CAUTION: Two staff at meetings" in words and "Interpreter: Irish" in words
    assert "Wiśniewski" not in words  # cancelled
    assert reader(path).metadata.title == "Advice surgery, 15 January 2027"
    assert (path.stat().st_mode & 0o077) == 0
    txt = surgery_print.print_day(office, surgery.id, tmp_path / "list.txt").read_text(encoding="utf-8")
    assert "10:15" in txt and "Siobhán Ó Súilleabháin" in txt and f"Open cases: {c.ref}" in txt
    with pytest.raises(OfficeError, match="ending .pdf or .txt"):
        surgery_print.print_day(office, surgery.id, tmp_path / "list.docx")


def test_the_office_books_and_the_laptop_at_the_surgery_has_the_list(tmp_path):
    """Synced like everything else: booked on one machine, on the other after a sync; the visit captured on the
    laptop comes back to the office with its case."""
    from sync_helpers import make_replicas, open_pair, send

    make_replicas(tmp_path / "template")
    office, laptop = open_pair(tmp_path / "template", tmp_path / "pair")
    try:
        s = surgeries.add_surgery(office, held_on="2027-01-15", place="Eastmoor Library", starts="10:00",
                                  ends="12:00")
        a = surgeries.book(office, s.id, Who(forenames="Mary", surname="O'Brien"), slot="10:30", topic="Damp")
        send(office, laptop)
        day = surgeries.surgery_day(laptop, "2027-01-15")
        assert [(x.slot, x.name, x.topic) for x in day.appointments] == [("10:30", "Mary O'Brien", "Damp")]
        visit = surgery_visits.capture(laptop, a.id, problem="Damp in the bedroom", follow_up="Ring the landlord")
        send(laptop, office)
        back = surgeries.get_appointment(office, a.id)
        assert (back.status, back.case_ref) == ("seen", visit.case_ref)
        assert surgeries.get_surgery(office, s.id).stats.cases_opened == 1
    finally:
        office.close()
        laptop.close()
