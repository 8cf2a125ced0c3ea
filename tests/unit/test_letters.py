"""Letters: merge fields, .docx re-read with python-docx, plain text, timeline, chase letters; contacts."""

from __future__ import annotations

import io
import stat

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
    assert letters.load_starter_templates(office) == 8  # six letters, and the two surgery emails (issue 15)
    assert letters.load_starter_templates(office) == 0  # idempotent
    lt = letters.write_letter(office, case.ref, "Acknowledgement")
    assert lt.unknown_fields == ()
    path = letters.save_docx(office, lt.id, tmp_path / "ack.docx")
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0  # plaintext personal data: owner-only, as the PDF is
    body = _docx_text(path.read_bytes())
    for value in ("Mrs Mary O'Brien", "2 Low Road", "TT1 2AB", case.ref, "Jane Smith MP", "1 High Street",
                  "5 March 2025", "Dear Mrs O'Brien", "damp in the flat"):
        assert value in body, value
    assert "{" not in body
    plain = letters.letter_text(office, lt.id)
    assert "\n\ndamp in the flat (our ref A-00001)\n\n" in plain and "Dear Mrs O'Brien" in plain
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


# -- letters read like letters (issue 19, point 11) -------------------------------------------------
DEMO_STYLE = ("{date}\n\n{salutation},\n\nI am writing on behalf of my constituent {constituent_name}, of "
              "{constituent_address}, who has contacted me about {case_title}.\n\nYours faithfully,\n\n"
              "{mp_name}\n{office_address}")


@pytest.fixture
def sean(office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-05")
    settings.put(office, "office_address", "1 High Street\nTowntown TT1 1TT")
    p = people.create(office, title="Mr", forenames="Seán", surname="Mahmood", address1="12 Mill Row",
                      town="Towntown", postcode="TT1 3CD")
    return cs.create_case(office, constituent_id=p.id, title="Blue badge renewal", category="Transport")


def test_a_letter_has_one_date_an_address_block_a_subject_line_with_the_reference_and_a_sign_off(office, sean):
    """A template that dates itself and pastes an address mid-sentence still makes a letter: one date, the
    address block at the top, the address on one line inside the sentence, the reference in the subject."""
    letters.add_template(office, "Agency", DEMO_STYLE, subject="{constituent_name}")
    lt = letters.write_letter(office, sean.ref, "Agency")
    assert "of 12 Mill Row, Towntown, TT1 3CD, who has contacted me" in lt.body_text
    lay = letters.letter_layout(office, lt.id)
    assert lay.date == "5 March 2025" and lay.address == ("Mr Seán Mahmood", "12 Mill Row", "Towntown", "TT1 3CD")
    assert lay.salutation == "Dear Mr Mahmood," and lay.subject == f"Mr Seán Mahmood (our ref {sean.ref})"
    assert lay.closing == "Yours faithfully," and lay.signature[0] == "Jane Smith MP"
    assert [p.startswith("I am writing") for p in lay.body] == [True]
    plain = letters.letter_text(office, lt.id)
    assert plain.count("5 March 2025") == 1 and plain.count("Dear Mr Mahmood") == 1
    order = [plain.index(x) for x in ("1 High Street", "5 March 2025", "Mr Seán Mahmood\n12 Mill Row\nTowntown\n"
                                      "TT1 3CD", "Dear Mr Mahmood,", f"(our ref {sean.ref})", "I am writing",
                                      "Yours faithfully,\n\nJane Smith MP")]
    assert order == sorted(order)
    paras = [p.text for p in docx.Document(io.BytesIO(letters.letter_docx(office, lt.id))).paragraphs]
    assert paras.count("5 March 2025") == 1 and "Dear Mr Mahmood," in paras
    assert paras.index("Dear Mr Mahmood,") < paras.index(lay.subject) < paras.index("Yours faithfully,")


def test_the_sign_off_fits_the_salutation_and_a_letter_without_one_gets_them(office, sean):
    council = contacts.add_contact(office, organisation="Towntown Council", department="Blue Badges",
                                   email="badges@towntown.example")
    cs.add_party(office, sean.ref, "agency", contact_id=council.id)
    letters.add_template(office, "Short", "{salutation},\n\nPlease reply.\n\n{sign_off},\n\n{mp_name}")
    to_council = letters.write_letter(office, sean.ref, "Short", recipient_contact_id=council.id)
    assert to_council.body_text.startswith("Dear Sir or Madam,") and "Yours faithfully," in to_council.body_text
    lay = letters.letter_layout(office, to_council.id)
    assert lay.address == ("Towntown Council", "Blue Badges", "By email: badges@towntown.example")
    assert "Yours sincerely," in letters.write_letter(office, sean.ref, "Short").body_text
    letters.add_template(office, "Bare", "Your badge is ready.")  # no salutation, no sign-off
    bare = letters.letter_layout(office, letters.write_letter(office, sean.ref, "Bare").id)
    assert (bare.salutation, bare.body, bare.closing, bare.signature) == (
        "Dear Mr Mahmood,", ("Your badge is ready.",), "Yours sincerely,", ("Jane Smith MP",))
    assert bare.subject == f"Blue badge renewal (our ref {sean.ref})"  # no subject: the case title
    letters.add_template(office, "Signed", "{salutation},\n\nYour badge is ready.\n\n{mp_name}")
    signed = letters.letter_text(office, letters.write_letter(office, sean.ref, "Signed").id)
    assert signed.count("Jane Smith MP") == 2 and signed.endswith("Yours sincerely,\n\nJane Smith MP\n")


def test_the_text_edited_before_saving_is_the_letter_saved(office, sean):
    letters.load_starter_templates(office)
    draft = letters.compose_letter(office, sean.ref, "Acknowledgement")
    assert draft.address[0] == "Mr Seán Mahmood" and "{" not in draft.body + draft.subject
    edited = draft.body.replace("Thank you for contacting me", "Thank you for coming to my surgery")
    lt = letters.write_letter(office, sean.ref, draft.template_id, subject="Your blue badge ({case_ref})", body=edited)
    assert lt.body_text == edited and lt.subject == f"Your blue badge ({sean.ref})"
    assert "coming to my surgery" in letters.letter_text(office, lt.id)
    with pytest.raises(OfficeError, match="empty"):
        letters.write_letter(office, sean.ref, draft.template_id, body="  ")


def test_the_docx_file_name_keeps_the_name_readable(office, sean, tmp_path):
    letters.load_starter_templates(office)
    lt = letters.write_letter(office, sean.ref, "Acknowledgement")
    first = letters.save_docx(office, lt.id, tmp_path)
    again = letters.save_docx(office, lt.id, tmp_path)  # never over the first
    assert first.name == f"{sean.ref}-{lt.created_at[:10]}-Mr-Sean-Mahmood.docx"
    assert again.name == f"{sean.ref}-{lt.created_at[:10]}-Mr-Sean-Mahmood-2.docx"
    assert letters.file_slug("Siobhán Ó Súilleabháin-O’Brien") == "Siobhan-O-Suilleabhain-OBrien"


def test_a_campaign_acknowledgement_names_the_topic_not_each_subject_line():
    assert letters.topic_of("Campaign: Fwd: PLEASE act on sewage discharges!!") == "Act on sewage discharges"
    assert letters.topic_of("Re: [EXTERNAL] Clean Rivers Bill") == "Clean Rivers Bill"
    assert letters.topic_of("URGENT: SAVE OUR LIBRARY") == "Save our library"
