"""One way to make a PDF: A4, a bundled Unicode font (every accent in UK names: Ł, Ó, Ś, ŵ, ŷ), true document
properties, page numbers. Letters on letterhead, the surgery list and the subject access pack build on it."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from fpdf import FPDF

from mpoffice_tui.services.exports import save_private

FONT = "DejaVu"  # bundled in data/fonts (Bitstream Vera licence, see LICENSE-DejaVu.txt)
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MARGIN = 20.0  # mm on every side
BODY_SIZE = 11.0
LINE = 5.5  # mm per body line


def _font_path(name: str) -> str:
    return str(resources.files("mpoffice_tui") / "data" / "fonts" / name)


class Document(FPDF):
    """An A4 document in the bundled font, with 'Page n of N' in the footer when `numbered`."""

    def __init__(self, *, title: str, author: str, subject: str = "", numbered: bool = True,
                 created: datetime | None = None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for style, name in _FONT_FILES.items():
            self.add_font(FONT, style, _font_path(name))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        self.numbered = numbered
        self.footer_text = ""
        self.set_title(title)
        self.set_author(author)
        self.set_subject(subject)
        self.set_creator(author)
        self.set_producer("mpoffice")
        self.set_creation_date(created or datetime.now(timezone.utc))
        self.set_font(FONT, size=BODY_SIZE)

    @property
    def width(self) -> float:
        """The width between the margins, in mm."""
        return self.w - self.l_margin - self.r_margin

    def footer(self) -> None:  # called by fpdf2 at the foot of every page
        if not (self.numbered or self.footer_text):
            return
        self.set_y(-MARGIN)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        if self.footer_text:
            self.multi_cell(self.width, 3.8, self.footer_text, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.numbered:
            self.cell(self.width, 4, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)
        self.set_font(FONT, size=BODY_SIZE)

    def heading(self, text: str, size: float = 14) -> None:
        """A bold heading on its own line, kept with what follows it."""
        if self.get_y() > self.h - MARGIN - 30:
            self.add_page()
        self.set_font(FONT, "B", size)
        self.multi_cell(self.width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(1.5)

    def para(self, text: str, *, bold: bool = False, italic: bool = False, size: float = BODY_SIZE,
             align: str = "L", gap: float = 3.0) -> None:
        """A paragraph (line breaks kept), then a gap."""
        self.set_font(FONT, ("B" if bold else "") + ("I" if italic else ""), size)
        self.multi_cell(self.width, LINE * size / BODY_SIZE, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(gap)

    def lines(self, items: list[str] | tuple[str, ...], *, x: float | None = None, width: float | None = None,
              align: str = "L", size: float = BODY_SIZE, bold_first: bool = False) -> None:
        """Lines one under another (an address block, a letterhead) from `x`."""
        left = self.l_margin if x is None else x
        for i, item in enumerate(items):
            self.set_x(left)
            self.set_font(FONT, "B" if bold_first and i == 0 else "", size)
            self.cell(width or self.width, LINE * size / BODY_SIZE, item, align=align, new_x="LMARGIN",
                      new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]],
              widths: tuple[float, ...] | None = None, size: float = 9.0) -> None:
        """A simple bordered table whose rows wrap and repeat the header on a new page."""
        self.set_font(FONT, size=size)
        with super().table(col_widths=widths, text_align="LEFT", line_height=size * 0.5,
                           first_row_as_headings=True, repeat_headings=1) as t:
            for row in (header, *rows):
                r = t.row()
                for cell in row:
                    r.cell(cell)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(3)

    def to_bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())


def save(data: bytes, path: str | Path, what: str = "PDF") -> Path:
    """Write a PDF the user asked for, readable only by its owner (`exports.save_private`)."""
    return save_private(data, path, what)
