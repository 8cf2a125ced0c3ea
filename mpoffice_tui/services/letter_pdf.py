"""Letters on the office's letterhead as PDF, ready to print or attach (built on services.pdf.Document).

The page is A4: the logo top left, the MP's name and the office's addresses, phone and email top right
(once: never again under the signature), the recipient's address where a DL window envelope shows it
(20 mm from the left, 50 mm from the top), the date, the salutation, the subject line with the reference,
the text, the sign-off with the signature image above the name, the office's footer on every page, and
"Page n of N" on a letter of more than one page. Several letters make one PDF for printing, each starting on
a new page and numbered on its own (a campaign's acknowledgements by post).

    layout_pdf(layouts, title=, author=) -> bytes
    letter_pdf(office, letter_id) -> bytes;  save_pdf(office, letter_id, path) -> Path   (approval checked)
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mpoffice_tui.db.engine import Office
from mpoffice_tui.services import letters, pdf
from mpoffice_tui.services.pdf import FONT, LINE, MARGIN

WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H = 20.0, 50.0, 90.0, 40.0  # DL left-window envelope, in mm
HEAD_X = 112.0  # the letterhead's column, right of the window
LOGO_H, LOGO_W = 24.0, 60.0
SIGNATURE_H = 16.0


class LetterDocument(pdf.Document):
    """A Document whose footer numbers each letter's own pages ("Page 2 of 3"), only on letters longer than
    one page, under the office's footer line."""

    def __init__(self, **kwargs) -> None:
        super().__init__(numbered=False, **kwargs)
        self.spans: list[tuple[int, int]] = []  # (first page, pages) of each letter, known before drawing
        self.letter_footer = ""

    def footer(self) -> None:
        page = self.page_no()
        first, count = next(((f, n) for f, n in self.spans if f <= page < f + n), (page, 1))
        if not (self.letter_footer or count > 1):
            return
        self.set_y(-MARGIN)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        if self.letter_footer:
            self.multi_cell(self.width, 3.8, self.letter_footer, align="C", new_x="LMARGIN", new_y="NEXT")
        if count > 1:
            self.cell(self.width, 4, f"Page {page - first + 1} of {count}", align="C")
        self.set_text_color(0)
        self.set_font(FONT)


def _image(doc: pdf.Document, data: bytes | None, x: float, y: float, *, h: float, w: float) -> float:
    """Draw an image fitted in a box (height `h`, at most `w` wide); returns its height (0 without one)."""
    if not data:
        return 0.0
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
    scale = min(h / max(height, 1), w / max(width, 1))
    doc.image(io.BytesIO(data), x=x, y=y, w=width * scale, h=height * scale)
    return height * scale


def draw_letter(doc: pdf.Document, lay: letters.LetterLayout,
                body: Callable[[pdf.Document], None] | None = None) -> None:
    """One letter, from a new page; `body` draws what goes between the subject and the sign-off instead of
    the layout's paragraphs (a subject access pack's headed sections)."""
    doc.letter_footer = lay.footer  # type: ignore[attr-defined] - read by LetterDocument's footer
    doc.add_page()
    top = MARGIN - 8
    _image(doc, lay.logo, MARGIN, top, h=LOGO_H, w=LOGO_W)
    doc.set_xy(HEAD_X, top)
    head = [x for x in (lay.mp_name, *lay.letterhead) if x]
    column = doc.w - MARGIN - HEAD_X
    for i, line in enumerate(head):
        doc.set_x(HEAD_X)
        doc.set_font(FONT, "B" if i == 0 else "", 12 if i == 0 else 9)
        doc.multi_cell(column, 4.6 if i == 0 else 4.0, line, align="R", new_x="LMARGIN", new_y="NEXT")
    if lay.westminster:
        doc.ln(1.5)
        for line in lay.westminster:
            doc.set_x(HEAD_X)
            doc.set_font(FONT, "", 9)
            doc.multi_cell(column, 4.0, line, align="R", new_x="LMARGIN", new_y="NEXT")
    head_bottom = doc.get_y()
    doc.set_font(FONT, size=pdf.BODY_SIZE)
    doc.set_xy(WINDOW_X, WINDOW_Y)  # the window of the envelope: the address block only
    for line in lay.address[:8]:
        doc.set_x(WINDOW_X)
        doc.cell(WINDOW_W, LINE, line, new_x="LMARGIN", new_y="NEXT")
    doc.set_y(max(doc.get_y(), WINDOW_Y + WINDOW_H, head_bottom) + 4)
    doc.cell(doc.width, LINE, lay.date, align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.para(lay.salutation)
    doc.para(lay.subject, bold=True)
    if body is not None:
        body(doc)
    for paragraph in lay.body:
        doc.para(paragraph)
    doc.para(lay.closing, gap=1.5)
    if lay.signature_image:
        if doc.get_y() + SIGNATURE_H > doc.h - MARGIN - 5:
            doc.add_page()
        height = _image(doc, lay.signature_image, MARGIN, doc.get_y(), h=SIGNATURE_H, w=70)
        doc.set_y(doc.get_y() + height + 1)
    elif lay.signature:
        doc.ln(10)  # room to sign
    if lay.signature:
        doc.lines(list(lay.signature))


def _new(title: str, author: str, created: datetime | None, subject: str = "") -> LetterDocument:
    return LetterDocument(title=title, author=author, subject=subject, created=created or letters.created_now())


def layout_pdf(layouts: list[letters.LetterLayout], *, title: str | None = None, author: str | None = None,
               created: datetime | None = None) -> bytes:
    """Letters as one PDF, each from a new page and with its own page numbers (bytes, built in memory)."""
    if not layouts:
        raise ValueError("no letters to make a PDF of")
    first = layouts[0]
    spans, page = [], 1
    for lay in layouts:  # each letter's length first, so that its pages can say "of N"
        probe = _new("", "", created)
        draw_letter(probe, lay)
        spans.append((page, probe.page_no()))
        page += probe.page_no()
    doc = _new(title or first.subject, author or first.author, created,
               subject=first.reference if len(layouts) == 1 else f"{len(layouts)} letters")
    doc.spans = spans
    for lay in layouts:
        draw_letter(doc, lay)
    return doc.to_bytes()


def letter_pdf(office: Office, letter_id: str) -> bytes:
    """A stored letter on the office's letterhead, as PDF."""
    return layout_pdf([letters.letter_layout(office, letter_id)])


def save_pdf(office: Office, letter_id: str, path: str | Path) -> Path:
    """Write the letter as PDF to `path`, or into the folder `path` under its own name (never over another
    file): a plaintext file the user asked for (owner-only), audited. Refused while it needs sign-off."""
    return letters.export_letter(office, letter_id, path, ".pdf", lambda: letter_pdf(office, letter_id))


# -- a campaign's acknowledgements by post ----------------------------------------------------------------
@dataclass(frozen=True)
class CampaignPost:
    """A campaign's acknowledgements by post: one PDF, one letter per sender with a postal address."""

    pdf: bytes
    letters: int
    without_address: int  # senders the office has no postal address for (acknowledge them by email)
    left_out: int  # flagged messages (words of their own: perhaps a real case), left to be read one by one


def campaign_post(office: Office, campaign_id: str, template: str | None = None) -> CampaignPost:
    """One letter per person in a campaign the office has a postal address for (their known record's), from
    the campaign's acknowledgement template, on the letterhead, as one PDF for printing (nothing is written
    to the office; see `save_campaign_post`)."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import replies

    with office.engine.connect() as conn:
        name = conn.exec_driver_sql("SELECT name FROM campaigns WHERE id = ? AND deleted = 0", (campaign_id,)).fetchone()
        if name is None:
            raise OfficeError(f"no campaign {campaign_id!r}")
        rows = conn.exec_driver_sql(
            "SELECT m.constituent_id, m.sender_name, m.subject, m.flags, p.address1, p.postcode FROM messages m "
            "LEFT JOIN constituents p ON p.id = m.constituent_id AND p.deleted = 0 WHERE m.campaign_id = ? "
            "AND m.direction = 'in' AND m.deleted = 0 ORDER BY m.received_at, m.id", (campaign_id,)).fetchall()
    with office.read() as s:
        _tname, tsubject, tbody = replies._ack_template(s, template)
    head, shared = letters.letterhead(office), letters.office_fields(office)
    layouts, seen, without, flagged = [], set(), set(), 0
    for cid, sender, subject, flags, address1, postcode in rows:
        if "differs_from_campaign" in (flags or "").split(","):
            flagged += 1
            continue
        if not cid or not (address1 and postcode):
            without.add(cid or sender or subject)
            continue
        if cid in seen:
            continue
        seen.add(cid)
        fields = letters.reply_fields(office, case_id=None, constituent_id=cid, name=sender or "", subject=subject,
                                      shared=shared, topic=name[0])
        to = (fields["constituent_name"], *fields["constituent_address"].splitlines())
        layouts.append(letters.layout_text_as_letter(
            office, fields, to, subject=replies.merge(tsubject, fields) if tsubject else letters.topic_of(name[0]),
            body=replies.merge(tbody, fields), head=head))
    if not layouts:
        raise OfficeError(f"no one in the campaign {name[0]!r} has a postal address on their record "
                          f"({len(without)} without one): acknowledge them by email")
    data = layout_pdf(layouts, title=f"Acknowledgements: {name[0]}", author=head.lines[0] if head.lines else "")
    return CampaignPost(data, len(layouts), len(without), flagged)


def save_campaign_post(office: Office, campaign_id: str, path: str | Path, template: str | None = None) -> CampaignPost:
    """Write a campaign's acknowledgements by post as one PDF (owner-only), audited. Refused when the office
    asks for sign-off on campaign letters (a template or `all` rule): approve each one by email instead."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import approvals, replies

    with office.read() as s:
        tname, _subject, _body = replies._ack_template(s, template)
    with office.engine.connect() as conn:
        reason = approvals.rule_reason(conn, approvals.Facts("letter", template=tname, recipient_kind="constituent"))
    if reason:
        raise OfficeError(f"campaign letters need approval before they can be printed ({reason})")
    post = campaign_post(office, campaign_id, template)
    pdf.save(post.pdf, path, "letters")
    with office.writing() as w:
        w.audit("campaign.post", target=f"campaign:{campaign_id}", detail=f"{post.letters} letters as one PDF")
    return post
