"""Constituents: view with cases, history and consents; duplicate detection; merge keeping all history."""

from __future__ import annotations

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Message, SubjectAccessRequest
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import consent
from mpoffice_tui.services import constituents as people


def _msg(office, person_id, case_id, when, subject):
    with office.writing() as w:
        w.insert(Message, channel="email", direction="in", subject=subject, body_text="...", received_at=when,
                 content_hash=subject, constituent_id=person_id, case_id=case_id)


def test_view_has_cases_history_consents_and_flags(office):
    p = people.create(office, forenames="Siân", surname="Jones", postcode="cf10 1aa", email="sian@example.org",
                      vulnerable=True, interpreter_language="Welsh")
    assert p.postcode == "CF10 1AA"
    c = cs.create_case(office, constituent_id=p.id, title="Blue badge", category="Council")
    _msg(office, p.id, c.id, "2025-01-01T10:00:00Z", "first")
    _msg(office, p.id, None, "2025-02-01T10:00:00Z", "second")
    consent.record(office, p.id, "third_party_permission", given_by="Gareth Jones (son)",
                   given_on="2025-01-02", details="signed form", case=c.id)
    with pytest.raises(OfficeError, match="given_by"):
        consent.record(office, p.id, "third_party_permission")
    view = people.get(office, p.id)
    assert [x.ref for x in view.cases] == [c.ref]
    assert [h.subject for h in view.history] == ["second", "first"] and view.history[1].case_ref == c.ref
    assert view.consents[0].given_by == "Gareth Jones (son)"
    assert "Vulnerable" in view.flags and "Interpreter: Welsh" in view.flags
    assert [r.id for r in people.search(office, "sian cf10")] == [p.id]  # accents folded by FTS


def test_find_or_create(office):
    a = people.create(office, forenames="John", surname="Smith", postcode="AB1 2CD", email="js@example.org")
    people.create(office, forenames="John", surname="Smith", postcode="ZZ9 9ZZ")
    assert people.find_or_create(office, "js@example.org") == (people.row(office, a.id), False)
    with pytest.raises(OfficeError, match="2 constituents match"):
        people.find_or_create(office, "John Smith")
    assert people.find_or_create(office, "John Smith", postcode="ab12cd")[0].id == a.id
    new, created = people.find_or_create(office, None, forenames="Ann", surname="Other", postcode="X1 1XX")
    assert created and new.name == "Ann Other"
    with pytest.raises(OfficeError, match="no constituent matches"):
        people.find_or_create(office, "Nobody Here")


def test_duplicates_by_email_name_postcode_and_similarity(office):
    a = people.create(office, forenames="Mary", surname="O'Brien", postcode="SW1A 1AA", email="m@x.org")
    b = people.create(office, forenames="mary", surname="OBrien", postcode="sw1a1aa")
    c = people.create(office, forenames="Marie", surname="O'Brian", postcode="SW1A 1AA")
    d = people.create(office, forenames="M", surname="Someone", email="M@X.org ")
    e = people.create(office, forenames="Mary", surname="O'Brien", postcode="LS1 1AA")  # elsewhere
    found = {frozenset((m.a.id, m.b.id)): m.reason for m in people.duplicates(office)}
    assert found[frozenset((a.id, b.id))] == "same name and postcode"
    assert found[frozenset((a.id, d.id))] == "same email"
    assert found[frozenset((a.id, c.id))] == "similar name at the same postcode"
    assert not any(e.id in pair for pair in found)
    mine = people.duplicates(office, a.id)
    assert {m.a.id for m in mine} | {m.b.id for m in mine} == {a.id, b.id, c.id, d.id}


def test_merge_moves_everything_and_tombstones(office):
    keep = people.create(office, forenames="Mary", surname="O'Brien", postcode="SW1A 1AA")
    other = people.create(office, forenames="Mary", surname="OBrien", postcode="SW1A 1AA", email="m@x.org",
                          phone="0207 000 0000", safety_caution=True)
    c1 = cs.create_case(office, constituent_id=other.id, title="Housing", category="Housing")
    c2 = cs.create_case(office, constituent_id=keep.id, title="Tax", category="Tax")
    cs.add_party(office, c2.ref, "relative", constituent_id=other.id)
    _msg(office, other.id, c1.id, "2025-01-01T10:00:00Z", "hello")
    consent.record(office, other.id, "written")
    with office.writing() as w:
        w.insert(SubjectAccessRequest, constituent_id=other.id, received_on="2025-01-01", due_on="2025-02-01")
    result = people.merge(office, keep.id, other.id)
    assert (result.cases, result.messages, result.consents, result.parties, result.subject_access_requests) == \
        (1, 1, 1, 1, 1)
    assert set(result.fields_filled) >= {"email", "phone", "safety_caution"}
    view = people.get(office, keep.id)
    assert {x.ref for x in view.cases} == {c1.ref, c2.ref}
    assert [h.subject for h in view.history] == ["hello"] and len(view.consents) == 1
    assert view.person.email == "m@x.org" and view.person.safety_caution
    assert [m.id for m in view.merged_from] == [other.id]
    gone = people.get(office, other.id)
    assert gone.merged_into == keep.id and gone.person.phone == "0207 000 0000"  # still readable
    assert people.search(office, "obrien") == [] or all(r.id != other.id for r in people.search(office, "obrien"))
    with pytest.raises(OfficeError, match="merged already"):
        people.merge(office, keep.id, other.id)
    with office.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM messages WHERE constituent_id = ?",
                                    (other.id,)).scalar() == 0


def test_a_record_with_no_postcode_is_a_duplicate_of_the_same_name(office):
    """A new record made from an email (name and address only) next to the known person."""
    known = people.create(office, forenames="Beverley", surname="O'Sullivan", postcode="WX1 2AB", email="b@x.org")
    from_mail = people.create(office, forenames="Beverley", surname="O’Sullivan", email="bev45@example.net")
    elsewhere = people.create(office, forenames="Beverley", surname="O'Sullivan", postcode="LS1 1AA")
    found = {frozenset((m.a.id, m.b.id)): m.reason for m in people.duplicates(office, from_mail.id)}
    assert found[frozenset((known.id, from_mail.id))] == "same name; one has no postcode"
    assert frozenset((known.id, elsewhere.id)) not in {frozenset((m.a.id, m.b.id)) for m in people.duplicates(office)}


def test_date_of_birth_is_a_real_date_and_the_uk_way_of_writing_it_is_understood(office):
    p = people.create(office, forenames="Ann", surname="Lee", date_of_birth="07/04/1966")
    assert people.editable(office, p.id)["date_of_birth"] == "1966-04-07"
    for bad in ("31/02/1990", "yesterday", "2999-01-01"):
        with pytest.raises(OfficeError, match="date of birth"):
            people.update(office, p.id, date_of_birth=bad)
    assert people.editable(office, p.id)["date_of_birth"] == "1966-04-07"  # nothing changed


def test_a_persons_name_and_address_read_the_same_everywhere(office, monkeypatch):
    """One source for a person's shown name and address: the preferred name wherever a name is shown (the
    palette's case finder and the subject access list said 'Robert' where the case list said 'Bob'), no
    double space for a title without forenames, and the third address line on the case."""
    from mpoffice_tui.services import lists, sar_requests, surgeries

    monkeypatch.setenv("MPOFFICE_TODAY", "2025-01-10")
    bob = people.create(office, title="Mr", forenames="Robert", preferred_name="Bob", surname="Okafor",
                        address1="Flat 2", address2="14 Mill Lane", address3="Cathays", town="Cardiff",
                        postcode="CF24 4AA")
    dr = people.create(office, title="Dr", surname="Ng", postcode="CF24 4AB")
    case = cs.create_case(office, constituent_id=bob.id, title="Damp in the flat", category="Housing")
    passport = cs.create_case(office, constituent_id=dr.id, title="Passport delay", category="Immigration")
    assert bob.name == "Bob Okafor"
    assert cs.list_cases(office, cs.CaseFilter(constituent_id=bob.id)).rows[0].constituent == "Bob Okafor"
    assert [f.constituent for f in lists.find_cases(office, "Damp")] == ["Bob Okafor"]
    sar_requests.new_request(office, bob.id, received_on="2025-01-02")
    assert [r.person for r in sar_requests.list_requests(office)] == ["Bob Okafor"]
    brief = cs.get_case(office, case.ref).constituent
    assert brief.name == "Mr Bob Okafor" and brief.address == "Flat 2, 14 Mill Lane, Cathays, Cardiff"
    assert cs.get_case(office, passport.ref).constituent.name == "Dr Ng"
    s = surgeries.add_surgery(office, held_on="2025-01-15", place="Library", starts="10:00", ends="11:00")
    surgeries.book(office, s.id, surgeries.Who(constituent_id=dr.id))
    assert [a.name for a in surgeries.appointments(office, s.id)] == ["Dr Ng"]
