"""Issue 17, a constituent's rights: deadlines, redaction of people (not words), a pack a person can read,
representatives, who looked, retention by category. Real offices; MPOFFICE_TODAY pinned."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from dp_data import THIRD, add_staff, plant
from pdf_reading import pdf_text

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, Message
from mpoffice_tui.services import (
    audit,
    reminders,
    retention,
    sar,
    sar_pack,
    sar_redaction,
    sar_requests,
)
from mpoffice_tui.services.sar_held import gather, passages

ORDINARY = ("and", "the", "Child", "Housing", "Council", "Office", "Department", "Agency", "Benefits", "Dear",
            "Yours", "sincerely", "Borough", "Services", "NHS", "Police", "Please", "help")


@pytest.fixture(autouse=True)
def _pinned(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-11-02")  # the demo's own today


# -- deadlines ------------------------------------------------------------------------------------
@pytest.mark.parametrize("received, due, latest", [
    ("2025-01-31", "2025-02-28", "2025-04-30"),  # no 31 February: the month's last day
    ("2024-01-31", "2024-02-29", "2024-04-30"),  # a leap year
    ("2024-01-30", "2024-02-29", "2024-04-30"),
    ("2023-11-30", "2023-12-30", "2024-02-29"),  # the extension runs into a leap February
    ("2025-03-31", "2025-04-30", "2025-06-30"),
    ("2025-12-31", "2026-01-31", "2026-03-31"),  # across the year end
    ("2025-08-31", "2025-09-30", "2025-11-30"),
    ("2025-02-28", "2025-03-28", "2025-05-28"),
])
def test_deadline_and_extension_across_month_ends(received, due, latest):
    day = date.fromisoformat(received)
    assert sar_requests.due_date(day).isoformat() == due
    assert sar_requests.extension_limit(day).isoformat() == latest


def test_status_follows_the_deadline():
    rec, due = date(2025, 1, 31), date(2025, 2, 28)
    status = sar_requests.request_status
    assert status(rec, due, None, None, date(2025, 2, 1)) == "open"
    assert status(rec, due, None, None, date(2025, 2, 21)) == "due_soon"
    assert status(rec, due, None, None, date(2025, 2, 28)) == "due_soon"  # due today is not late
    assert status(rec, due, None, None, date(2025, 3, 1)) == "overdue"
    assert status(rec, due, date(2025, 4, 30), None, date(2025, 3, 1)) == "extended"
    assert status(rec, due, None, date(2025, 2, 27), date(2025, 3, 9)) == "completed"
    assert status(rec, due, None, date(2025, 3, 2), date(2025, 3, 9)) == "completed_late"


def test_extension_needs_a_reason_and_stays_within_three_months(office):
    plant(office)
    r = sar_requests.new_request(office, "marjorie@example.org", received_on="2024-01-31")
    with pytest.raises(OfficeError, match="complex or numerous"):
        sar_requests.extend(office, r.id, reason="busy")
    with pytest.raises(OfficeError, match="at most two further months"):
        sar_requests.extend(office, r.id, reason="complex", to="2024-05-01")
    r = sar_requests.extend(office, r.id, reason="numerous")
    assert (r.extended_to, r.extension_reason) == ("2024-04-30", "numerous")
    with pytest.raises(OfficeError, match="in the future"):
        sar_requests.new_request(office, "marjorie@example.org", received_on="2026-11-03")


# -- overdue in reminders and the managers' header -----------------------------------------------------
def test_overdue_requests_in_reminders_and_the_managers_header(office, office_path):
    plant(office)
    sar_requests.new_request(office, "marjorie@example.org", received_on="2026-09-15")  # due 15 October: late
    sar_requests.new_request(office, "marjorie@example.org", received_on="2026-10-30")  # due 30 November
    due = reminders.due(office)
    assert [r.due_on for r in due.requests] == ["2026-10-15"] and due.requests[0].overdue()
    assert sar_requests.header_note(office) == "1 SAR overdue"
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    cw = open_office(office_path, "caseworker pass")
    try:
        assert sar_requests.header_note(cw) == ""  # the header's note is for managers and the MP
        assert len(reminders.due(cw).requests) == 1  # a caseworker answering requests sees it in reminders
    finally:
        cw.close()


# -- a representative ------------------------------------------------------------------------------
def test_a_representative_needs_authority_and_gets_only_the_subjects_data(office, tmp_path):
    p = plant(office)
    r = sar_requests.new_request(office, p.subject_id, received_on="2026-10-20", requester_name="Priya Patel",
                                 requester_relation="solicitor", requester_address="3 Bridge Street\nAmbridge")
    assert r.by_representative and r.requested_by == "Priya Patel (solicitor) on their behalf"
    with pytest.raises(sar_pack.AuthorityMissing, match="record the authority"):
        sar_pack.build_pack(office, p.subject_id, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()  # nothing written, nothing released
    sar_requests.record_authority(office, r.id, "signed form of authority, 21 October")
    pack = sar_pack.build_pack(office, p.subject_id, tmp_path / "pack")
    text = " ".join(pdf_text(pack.pdf).split())
    assert "Dear Priya Patel" in text and "3 Bridge Street" in text and "on behalf of" in text
    assert "Marjorie Quill's information only" in text
    data = json.loads(pack.json.read_text(encoding="utf-8"))
    assert data["your_details"]["Email"] == "marjorie@example.org"
    assert "Priya Patel" in pack.checklist.read_text(encoding="utf-8")
    # the person themselves named as the requester is no representative
    again = sar_requests.new_request(office, p.subject_id, received_on="2026-10-21", requester_name="marjorie QUILL")
    assert not again.by_representative


# -- redaction of people, not words ----------------------------------------------------------------------
def _strings(value) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _demo_subject(office) -> str:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT constituent_id FROM subject_access_requests WHERE requester_name IS NULL "
                                    "AND deleted = 0").fetchone()[0]


def test_demo_pack_withholds_people_not_words(demo_office, tmp_path):
    pid = _demo_subject(demo_office)
    pack = sar_pack.build_pack(demo_office, pid, tmp_path / "pack")
    pdf = pdf_text(pack.pdf)
    raw_json = pack.json.read_text(encoding="utf-8")
    data = json.loads(raw_json)
    # the covering letter says what the law asks for, each under its heading
    letter = pdf.split("Yours sincerely")[0]
    lines = re.sub(r"Page \d+ of \d+", "\n", letter).splitlines()
    for heading in sar_pack.HEADINGS:
        assert heading in lines, heading
        assert heading in [s["heading"] for s in data["covering_letter"]["sections"]]
    assert "Information Commissioner's Office" in letter and "0303 123 1113" in letter
    # what is withheld are people's details (the planted neighbour, their address and phone, a son), never words
    withheld = [p for p in pack.proposals if p.withheld]
    assert {p.kind for p in withheld} >= {"name", "address", "phone"}
    assert "Callum" in {p.text for p in withheld}
    for p in withheld:
        assert p.text not in ORDINARY and not set(re.findall(r"\w+", p.text)) <= set(ORDINARY), p
    with demo_office.engine.connect() as conn:
        source = " ".join(x.text for x in passages(gather(conn, pid)))
    present = [w for w in ORDINARY if re.search(rf"\b{w}\b", source)]
    assert len(present) >= 10
    shown = " ".join(_strings([data["cases"], data["not_on_a_case"], data["files"]]))
    for word in present:  # ordinary words stay in the text, as often as they were written
        assert len(re.findall(rf"\b{word}\b", shown)) >= len(re.findall(rf"\b{word}\b", source)), word
    flat = " ".join(pdf.split())
    assert "Wexcombe Borough Council" in flat and "Environmental Health" in flat  # organisations are not redacted
    # the true count: the summary's number is the number of passages withheld in the person's data
    assert shown.count(sar_redaction.REDACTED) == data["withheld"]["other_people"] == pack.withheld > 0
    assert f"withheld {pack.withheld} passage" in flat
    # no other constituent's name, email or address anywhere in what is sent
    sent = pdf + raw_json
    with demo_office.engine.connect() as conn:
        others = conn.exec_driver_sql("SELECT forenames, surname, email, address1 FROM constituents WHERE id != ?",
                                      (pid,)).fetchall()
    assert len(others) > 100
    for fore, sur, email, address1 in others:
        assert f"{fore} {sur}" not in sent, (fore, sur)
        assert not email or email not in sent, email
        assert not address1 or address1 not in sent, address1
    # internal identifiers, flags and review items stay out of the person's document
    assert pid not in sent and "deleted" not in raw_json and "privacy_state" not in raw_json
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", sent) and "elector_key" not in sent and "T0" not in pdf[:200]
    assert "for review" not in sent.lower() and "checklist" not in sent.lower()


def test_a_reviewer_keeps_or_releases_each_passage(demo_office, tmp_path):
    pid = _demo_subject(demo_office)
    review = sar_redaction.review(demo_office, pid)
    assert review.undecided == len(review.proposals) == review.withheld > 0
    son = next(p for p in review.proposals if p.text == "Callum")
    assert son.before.endswith("their son ") and son.where.startswith("Case ")
    assert sar_redaction.decide(demo_office, pid, [son.key[:8]], "release") == 1
    others = [p.key for p in review.proposals if p.key != son.key]
    sar_redaction.decide(demo_office, pid, others, "keep")
    after = sar_redaction.review(demo_office, pid)
    assert after.undecided == 0 and after.withheld == len(review.proposals) - 1
    pack = sar_pack.build_pack(demo_office, pid, tmp_path / "pack")
    assert "their son Callum" in pdf_text(pack.pdf) and pack.released == 1
    assert "RELEASED" in pack.checklist.read_text(encoding="utf-8")
    with pytest.raises(OfficeError, match="no single proposed redaction"):
        sar_redaction.decide(demo_office, pid, ["nonsense"], "keep")


def test_relations_emails_dates_of_birth_and_organisations_in_text(office):
    p = plant(office)
    body = ("My daughter, Amy Quill, was born on 03/04/2012. My neighbour Mrs Thirdpartyson emails me from "
            "zeb.home@example.com. The Department for Work and Pensions and Borsetshire Council wrote to "
            "housing@borsetshire.gov.uk and my own email marjorie@example.org. Ring me on 01632 960001.")
    with office.writing() as w:
        w.insert(Message, channel="email", sender_name="Marjorie Quill", sender_email="marjorie@example.org",
                 subject="More", body_text=body, received_at="2024-04-01T09:00:00Z", content_hash="h9",
                 case_id=p.case_id, constituent_id=p.subject_id)
    found = {(x.kind, x.text) for x in sar_redaction.review(office, p.subject_id).proposals if x.field == "body_text"}
    assert ("name", "Amy") in found or ("name", "Amy Quill") in found
    assert ("date_of_birth", "03/04/2012") in found and ("email", "zeb.home@example.com") in found
    assert ("name", "Mrs Thirdpartyson") in found
    texts = " ".join(t for _, t in found)
    for kept in ("Department", "Borsetshire Council", "housing@", "marjorie@example.org", "01632 960001"):
        assert kept not in texts, kept


# -- who looked ----------------------------------------------------------------------------------
def test_views_are_batched_and_listed_with_who_when_and_machine(office):
    p = plant(office)
    with office.engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM audit_events").fetchone()[0]
    audit.note_view(office, "case", p.case_id)
    audit.note_view(office, "case", p.case_id)  # opened again at once: one view
    audit.note_view(office, "constituent", p.subject_id)
    with office.engine.connect() as conn:  # noting writes nothing
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").fetchone()[0] == before
    assert audit.pending_views(office) == 2
    assert audit.flush_views(office) == 2 and audit.flush_views(office) == 0
    views = audit.case_views(office, p.case_id)
    assert [(v.staff, v.machine, v.what) for v in views] == [("Ann Manager", office.site_code, "person"),
                                                             ("Ann Manager", office.site_code, "case")] or \
        sorted(v.what for v in views) == ["case", "person"]
    assert all(v.at.startswith("2026-11-02") for v in views)
    history = audit.case_history(office, p.case_ref)
    assert "case.view" in {r.action for r in history}
    with office.engine.connect() as conn:  # in the synced log: each view is an op
        ops = conn.exec_driver_sql("SELECT count(*) FROM ops WHERE tbl = 'audit_events' AND field = '*' AND "
                                   "value LIKE '%case.view%'").fetchone()[0]
    assert ops == 1


def test_only_managers_list_views(office, office_path):
    p = plant(office)
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    cw = open_office(office_path, "caseworker pass")
    try:
        audit.record_view(cw, "case", p.case_id)  # a caseworker's view is recorded ...
        with pytest.raises(Exception, match="cannot read the audit log"):
            audit.case_views(cw, p.case_id)  # ... but only a manager reads who looked
    finally:
        cw.close()
    mgr = open_office(office_path, PASSPHRASE)
    try:
        assert [v.staff for v in audit.case_views(mgr, p.case_id)] == ["Carl Caseworker"]
    finally:
        mgr.close()


# -- retention by category ---------------------------------------------------------------------------
def test_retention_rules_by_category_and_outcome(office):
    with office.writing() as w:
        me = w.insert(Constituent, forenames="Ann", surname="Lee")
        for ref, cat, outcome, closed in (("R-1", "Immigration", "Resolved", "2019-01-10"),
                                          ("R-2", "Noise", "Resolved", "2023-06-01"),
                                          ("R-3", "Noise", "Withdrawn", "2023-06-01"),
                                          ("R-4", "Housing", "Resolved", "2019-01-10")):
            w.insert(Case, ref=ref, title=ref, category=cat, status="closed", outcome=outcome,
                     constituent_id=me.id, opened_at="2018-01-01T00:00:00Z", closed_at=f"{closed}T10:00:00Z")
    retention.set_policy(office, closed_case_years=6)
    retention.set_rule(office, years=10, category="Immigration")
    policy = retention.set_rule(office, years=2, category="Noise", outcome="Resolved")
    assert policy.rule_for("Noise", "resolved").years == 2 and policy.rule_for("Noise", "Withdrawn").years == 6
    items = {i.label: i for i in retention.review(office)}
    assert set(items) == {"R-2", "R-4"}  # immigration kept 10 years; a resolved noise complaint only 2
    assert items["R-2"].rule == "Noise cases closed as Resolved: 2 years after closing"
    assert items["R-2"].due_on == "2025-06-01" and items["R-4"].rule == "Cases: 6 years after closing"
    lines = retention.describe(policy, [("Immigration", None), ("Noise", "Resolved")])
    assert "Immigration cases: reviewed for deletion 10 years after the case is closed." in lines
    with pytest.raises(OfficeError, match="out of range"):
        retention.set_rule(office, years=500, category="Housing")
    assert len(retention.set_rule(office, years=None, category="Immigration").rules) == 1


def test_unknown_person_refused_with_nothing_written(office, tmp_path):
    plant(office)
    with pytest.raises(sar.PersonNotFound, match="nothing recorded or released"):
        sar_requests.new_request(office, "Nobody Atall")
    with pytest.raises(sar.PersonNotFound):
        sar_pack.build_pack(office, "nobody@example.org", tmp_path / "pack")
    assert not (tmp_path / "pack").exists() and sar_requests.list_requests(office) == []
    assert THIRD["surname"] == "Thirdpartyson"
