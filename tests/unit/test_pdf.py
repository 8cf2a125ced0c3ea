"""The one PDF base: A4, accents intact, true properties, private file."""

import stat
from datetime import datetime, timezone

import pytest
from pdf_reading import pdf_text, reader

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import pdf

NAMES = "Łucja Żółć, Seán Ó Súilleabháin, Śmigły, Gwenllïan Llŷr, Dŵr"


def test_a_document_keeps_every_accent_and_says_who_made_it(tmp_path):
    doc = pdf.Document(title="Surgery list", author="Office of Jane Smith MP",
                       created=datetime(2027, 1, 15, 9, 0, tzinfo=timezone.utc))
    doc.add_page()
    doc.heading("Names")
    doc.para(NAMES)
    doc.table(("Time", "Name"), [("10:00", "Łucja Żółć")], widths=(30, 140))
    out = pdf.save(doc.to_bytes(), tmp_path / "x.pdf")
    text = pdf_text(out)
    assert NAMES in text and "Page 1 of 1" in text and "Łucja Żółć" in text
    r = reader(out)
    assert r.metadata.author == "Office of Jane Smith MP" and r.metadata.creation_date.year == 2027
    assert "python" not in str(r.metadata).lower()
    box = r.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0


def test_an_unwritable_place_is_a_clear_message(tmp_path):
    with pytest.raises(OfficeError, match="cannot write the PDF"):
        pdf.save(b"%PDF", tmp_path / "missing" / "x.pdf")
