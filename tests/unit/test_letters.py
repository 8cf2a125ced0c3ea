"""Letters: merge fields, .docx re-read with python-docx, plain text, timeline, chase letters; contacts."""

from __future__ import annotations

import io

import docx
import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import constituents as people
from mpoffice_tui.services import contacts, letters, settings


@pytest.fixture
def case(office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-05")
    settings.put(office, "office_address", "1 High Street\nTowntown TT1 1TT")
    p = people.create(office, title="Mrs", forenames="Mary", surname="O'Brien", address1="2 Low Road",
                      town="Towntown", postcode="TT1 2AB")
    return cs.create_case(office, constituent_id=p.id, title="damp in the flat", category="Housing")


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_render_keeps_unknown_fields_and_ignores_format_tricks():
    out, unknown = letters.render("Hi {constituent_name} {nope} {constituent_name.__class__} {0}",
                                  {"constituent_name": "Ann"})
    assert out == "Hi Ann {nope} {constituent_name.__class__} {0}" and unknown == ["nope"]


def test_letter_to_constituent_rendered_to_docx_and_text(office, case, tmp_path):
    assert letters.load_starter_templates(office) == 6
    assert letters.load_starter_templates(office) == 0  # idempotent
    lt = letters.write_letter(office, case.ref, "Acknowledgement")
    assert lt.unknown_fields == ()
    path = letters.save_docx(office, lt.id, tmp_path / "ack.docx")
    body = _docx_text(path.read_bytes())
    for value in ("Mrs Mary O'Brien", "2 Low Road", "TT1 2AB", case.ref, "Jane Smith MP", "1 High Street",
                  "5 March 2025", "Dear Mrs O'Brien", "damp in the flat"):
        assert value in body, value
    assert "{" not in body
    plain = letters.letter_text(office, lt.id)
    assert "Our ref: A-00001" in plain and "Dear Mrs O'Brien" in plain
    timeline = cs.get_case(office, case.ref).timeline
    assert any(t.kind == "letter" and t.id == lt.id and "Mrs Mary O'Brien" in t.title for t in timeline)


def test_contacts_starter_directory_and_chase_letters(office, case, monkeypatch):
    added = contacts.load_starter_contacts(office)
    assert added >= 40 and contacts.load_starter_contacts(office) == 0
    hmrc = contacts.list_contacts(office, "revenue")[0]
    assert hmrc.organisation == "HM Revenue and Customs" and hmrc.preferred_route == "phone"
    assert all(c.kind in contacts.KINDS for c in contacts.list_contacts(office))
    with pytest.raises(OfficeError, match="reply days"):
        contacts.add_contact(office, organisation="X", reply_days="soon")
    council = contacts.add_contact(office, organisation="Towntown Council", department="Housing", reply_days=10)
    party = cs.add_party(office, case.ref, "agency", contact_id=council.id, contacted_on="2025-03-05")
    assert party.reply_due == "2025-03-19"
    assert letters.chase_due(office) == []
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-24")
    due = letters.chase_due(office)
    assert [(d.party_id, d.working_days_late) for d in due] == [(party.id, 3)]
    lt = letters.write_chase_letter(office, party.id)
    text = letters.letter_text(office, lt.id)
    assert "Towntown Council" in text and "5 March 2025" in text and "19 March 2025" in text
    assert "Dear Sir or Madam" in text and "Mrs Mary O'Brien" in text
    assert letters.chase_due(office) == []  # due again ten working days from today
    cs.mark_party_replied(office, party.id)
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-06-01")
    assert letters.chase_due(office) == []


def test_templates_reject_unknown_fields(office):
    with pytest.raises(OfficeError, match="constituent_nmae"):
        letters.add_template(office, "Bad", "Dear {constituent_nmae}")
    t = letters.add_template(office, "Short", "Dear {salutation}", subject="{case_ref}")
    assert t.name == "Short"


def test_a_chase_letter_uses_the_offices_own_chase_template(office, case, monkeypatch):
    """Whatever the office calls its chase letter (the demo's is "Chaser"), a chase uses it."""
    letters.add_template(office, "Chaser", "{salutation},\n\nStill waiting since {contacted_on}.\n\n{mp_name}",
                         kind="chase", subject="Reminder: {case_ref}")
    council = contacts.add_contact(office, organisation="Towntown Council", reply_days=10)
    party = cs.add_party(office, case.ref, "agency", contact_id=council.id, contacted_on="2025-03-05")
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-24")
    subject, body, unknown = letters.preview_chase_letter(office, party.id)
    assert subject == f"Reminder: {case.ref}" and "Still waiting since 5 March 2025" in body and not unknown
    assert "Still waiting" in letters.write_chase_letter(office, party.id).body_text
    assert [t.name for t in letters.list_templates(office)] == ["Chaser"]  # no starter letters added
