"""Letters on letterhead (issue 16): the PDF read back (accents, address block, the office's address once, page
numbers on a long letter, A4, true properties, the images), the .docx A4 with true properties, a campaign's
acknowledgements by post as one PDF, and letterhead images kept inside the office."""

from __future__ import annotations

import io

import docx
import pytest
from pdf_reading import pdf_text, reader

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Campaign, Message
from mpoffice_tui.demo import letterhead_images
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import constituents as people
from mpoffice_tui.services import letter_pdf, letterhead, letters, settings

ACCENTS = "Ł Ó Ś ŵ ŷ"


@pytest.fixture
def case(office, monkeypatch, tmp_path):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    settings.put_many(office, {"office_address": "Constituency Office\n14 Market Place\nWexcombe\nWX1 2HQ",
                               "office_phone": "01632 960418", "office_email": "casework@example.org",
                               "westminster_address": "House of Commons\nLondon\nSW1A 0AA",
                               "letterhead_footer": "Please quote our reference"})
    logo, signature = letterhead_images()
    for name, data in (("logo", logo), ("signature", signature)):
        (tmp_path / f"{name}.png").write_bytes(data)
        letterhead.set_image(office, name, tmp_path / f"{name}.png")
        (tmp_path / f"{name}.png").unlink()  # read once: the office never needs the file again
    p = people.create(office, title="Mr", forenames="Łukasz", surname="Ó Súilleabháin", address1="2 Ffordd Ŵyn",
                      address2="Llŷn", town="Pwllheli", postcode="LL53 5AA")
    letters.load_starter_templates(office)
    return cs.create_case(office, constituent_id=p.id, title=f"Visa delay {ACCENTS}", category="Immigration")


def _letter(office, case, paragraphs: int = 1):
    body = "{salutation},\n\n" + "\n\n".join(
        [f"Paragraph {i}: Łucja Śmigła and Gwŷn wrote about Dŵr. " * 5 for i in range(paragraphs)]
    ) + "\n\n{sign_off},\n\n{mp_name}\n{office_address}\nTel: 01632 960418"  # the signature repeats the office
    return letters.write_letter(office, case.ref, "Acknowledgement", body=body)


def test_a_letter_as_pdf_on_the_letterhead_reads_back(office, case, tmp_path):
    lt = _letter(office, case)
    out = letter_pdf.save_pdf(office, lt.id, tmp_path)
    assert out.name.endswith(".pdf") and out.name.startswith(case.ref)
    text = pdf_text(out)
    for part in ("Jane Smith MP", "Mr Łukasz Ó Súilleabháin\n2 Ffordd Ŵyn\nLlŷn\nPwllheli\nLL53 5AA",
                 ACCENTS, "Dear Mr Ó Súilleabháin,", f"(our ref {case.ref})", "Łucja Śmigła and Gwŷn",
                 "House of Commons", "15 January 2027", "Yours sincerely,", "Please quote our reference"):
        assert part in text, part
    assert text.count("14 Market Place") == 1 and text.count("01632 960418") == 1  # once: in the letterhead
    assert text.count("15 January 2027") == 1
    assert "Page 1 of" not in text  # a one-page letter carries no page number
    r = reader(out)
    assert len(r.pages) == 1
    box = r.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert r.metadata.author == "Office of Jane Smith MP" and r.metadata.creation_date.year == 2027
    assert case.ref in r.metadata.title and "python" not in str(r.metadata).lower()
    assert len(r.pages[0].images) == 2  # the logo and the signature, from inside the office


def test_a_long_letter_numbers_its_pages(office, case):
    lt = _letter(office, case, paragraphs=40)
    data = letter_pdf.letter_pdf(office, lt.id)
    pages = pdf_text(data).split("\f")
    assert len(pages) >= 2
    assert all(f"Page {i + 1} of {len(pages)}" in page for i, page in enumerate(pages))


def test_the_docx_is_a4_with_true_properties_and_the_office_address_once(office, case):
    lt = _letter(office, case)
    d = docx.Document(io.BytesIO(letters.letter_docx(office, lt.id)))
    section = d.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    props = d.core_properties
    assert props.author == "Office of Jane Smith MP" and props.created.year == 2027
    assert "python-docx" not in (props.comments or "") + (props.author or "") and props.title.endswith(f"{case.ref})")
    text = "\n".join(p.text for p in d.paragraphs)
    assert text.count("14 Market Place") == 1 and text.count("15 January 2027") == 1
    assert "Mr Łukasz Ó Súilleabháin\n2 Ffordd Ŵyn" in text and ACCENTS in text
    assert d.inline_shapes and len(d.inline_shapes) == 2  # logo and signature


def test_a_campaigns_acknowledgements_by_post_are_one_pdf_a_letter_each(office, case, tmp_path):
    others = [people.create(office, forenames=f, surname=s, address1="1 Stryd Fawr", town="Bangor", postcode="LL57 1AA")
              for f, s in (("Siân", "Llŷr"), ("Ósk", "Ławska"))]
    nobody = people.create(office, forenames="No", surname="Address")
    with office.writing() as w:
        camp = w.insert(Campaign, name="Save Ysbyty Gwynedd")
        w.insert_many(Message, [{"channel": "letter", "direction": "in", "subject": "Save our hospital",
                                 "body_text": "Please save it", "received_at": f"2027-01-1{i}T09:00:00Z",
                                 "content_hash": f"h{i}", "triage": "campaign", "campaign_id": camp.id,
                                 "constituent_id": p.id, "sender_name": p.name}
                                for i, p in enumerate([*others, nobody, others[0]])])  # one writes twice
    post = letter_pdf.save_campaign_post(office, camp.id, tmp_path / "post.pdf")
    assert (post.letters, post.without_address) == (2, 1)
    pages = pdf_text(tmp_path / "post.pdf").split("\f")
    assert len(pages) == 2 and "Siân Llŷr\n1 Stryd Fawr" in pages[0] and "Ósk Ławska" in pages[1]
    assert all("Save Ysbyty Gwynedd" in p and "14 Market Place" in p for p in pages)


def test_a_letterhead_image_must_be_a_real_image(office, tmp_path):
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"GIF89a not really")
    with pytest.raises(OfficeError, match="logo.png: not a PNG or JPEG"):
        letterhead.set_image(office, "logo", bad)
    with pytest.raises(OfficeError, match="cannot read the image"):
        letterhead.set_image(office, "logo", tmp_path / "missing.png")
    with pytest.raises(OfficeError, match="unknown letterhead image"):
        letterhead.set_image(office, "banner", bad)
    assert letterhead.images(office) == {}
