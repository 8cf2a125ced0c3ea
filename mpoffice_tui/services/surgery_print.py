"""The day's list for the MP (issue 15): names, times, topics, open cases, cautions and needs, as a PDF
(services/pdf.Document) or plain text, written to a private file and audited.

    day_sheet(office, surgery) -> DaySheet;  sheet_text(sheet) -> str;  sheet_pdf(sheet) -> bytes
    print_day(office, surgery, path) -> Path     (.pdf or .txt, by the file's name)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

from mpoffice_tui import files
from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import access, pdf
from mpoffice_tui.services.letters import long_date, office_fields
from mpoffice_tui.services.surgeries import SurgeryView, find_surgery, surgery_day
from mpoffice_tui.text import clean, one_line

NOTICE = "Confidential: constituents' personal data. Keep it with you and shred it after the surgery."
COLUMNS = ("Time", "Name", "Topic", "Open cases", "Cautions and needs")


@dataclass(frozen=True)
class SheetRow:
    time: str
    name: str
    status: str
    topic: str
    open_cases: str
    cautions: str  # the safety caution (with its details for those who may read them), interpreter, access


@dataclass(frozen=True)
class DaySheet:
    surgery: SurgeryView
    office_name: str
    rows: tuple[SheetRow, ...]

    @property
    def title(self) -> str:
        s = self.surgery
        return f"Advice surgery, {long_date(date.fromisoformat(s.held_on))}"

    @property
    def subtitle(self) -> str:
        s = self.surgery
        return f"{s.place}, {s.starts_at} to {s.ends_at}" + (f", held by {s.held_by}" if s.held_by else "")

    @property
    def totals(self) -> str:
        st = self.surgery.stats
        return (f"{len(self.rows)} on the list ({st.walk_ins} walk-ins), {self.surgery.free} slots free · seen "
                f"{st.seen} · no-shows {st.no_shows} · cases opened {st.cases_opened}")


def day_sheet(office: Office, surgery: str) -> DaySheet:
    """The list as the MP reads it: every booking and walk-in not cancelled, in time order."""
    show_safety = access.can(office, "safety.details")
    day = surgery_day(office, find_surgery(office, surgery))
    rows = []
    with office.engine.connect() as conn:
        for a in day.appointments:
            if a.status == "cancelled":
                continue
            refs = [r[0] for r in conn.execute(text(
                "SELECT ref FROM cases WHERE constituent_id = :p AND deleted = 0 AND status != 'closed' "
                "ORDER BY opened_at DESC, ref"), {"p": a.constituent_id or ""})]
            details = conn.execute(text("SELECT safety_details FROM constituents WHERE id = :p"),
                                   {"p": a.constituent_id or ""}).scalar() if a.safety_caution and show_safety else None
            needs = [("SAFETY CAUTION" + (f": {details}" if details else "")) if a.safety_caution else ""]
            needs += [f"Interpreter: {a.interpreter_language}" if a.interpreter_language else "",
                      f"Access: {a.access_needs}" if a.access_needs else "", "Vulnerable" if a.vulnerable else ""]
            shown_refs = ", ".join(refs[:4]) + (f" +{len(refs) - 4}" if len(refs) > 4 else "")
            rows.append(SheetRow(a.time, one_line(a.name), a.status_label, one_line(a.topic), shown_refs or "none",
                                 "; ".join(one_line(n) for n in needs if n)))
    return DaySheet(day.surgery, office_fields(office)["office_name"], tuple(rows))


def sheet_text(sheet: DaySheet) -> str:
    """The list as plain text (for a printer without PDF, or a quick look)."""
    out = [sheet.title, sheet.subtitle, sheet.office_name, "", NOTICE, ""]
    for r in sheet.rows:
        out.append(f"{r.time:<15} {r.name}" + (f"  [{r.status}]" if r.status != "booked" else ""))
        out.append(f"{'':<15} Topic: {r.topic or '(not given)'}")
        out.append(f"{'':<15} Open cases: {r.open_cases}")
        if r.cautions:
            out.append(f"{'':<15} ! {r.cautions}")
        out.append("")
    if not sheet.rows:
        out += ["Nobody is booked yet.", ""]
    out.append(sheet.totals)
    return clean("\n".join(out)) + "\n"


def sheet_pdf(sheet: DaySheet) -> bytes:
    """The list as an A4 PDF (the one PDF base), its document properties saying what it is."""
    doc = pdf.Document(title=sheet.title, author=sheet.office_name, subject=sheet.subtitle)
    doc.footer_text = NOTICE
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(sheet.title)
    doc.para(sheet.subtitle + "\n" + sheet.office_name, gap=4)
    if sheet.rows:
        doc.table(COLUMNS, [(r.time + (f"\n{r.status}" if r.status != "booked" else ""), r.name,
                             r.topic or "(not given)", r.open_cases, r.cautions.replace("; ", "\n")) for r in sheet.rows],
                  widths=(20, 36, 40, 24, 50))
    else:
        doc.para("Nobody is booked yet.", italic=True)
    doc.para(sheet.totals, size=9)
    return doc.to_bytes()


def print_day(office: Office, surgery: str, path: str | Path) -> Path:
    """Write the day's list to `path` (.pdf or .txt), readable only by its owner; audited."""
    access.require(office, "export")
    target = Path(path).expanduser()
    kind = target.suffix.lower()
    if kind not in (".pdf", ".txt"):
        raise OfficeError(f"{target}: give a file ending .pdf or .txt")
    if target.is_dir():
        raise OfficeError(f"{target}: is a folder: give a file name ending .pdf or .txt")
    if not target.parent.is_dir():
        raise OfficeError(f"{target.parent}: no such folder")
    sheet = day_sheet(office, surgery)
    if kind == ".pdf":
        pdf.save(sheet_pdf(sheet), target, "surgery list")
    else:
        try:
            files.write_private(target, sheet_text(sheet).encode("utf-8"))
        except OSError as exc:
            raise OfficeError(f"{target}: cannot write the surgery list ({exc.strerror or exc})") from exc
    with office.writing() as w:
        w.audit("surgery.print", target=f"surgery:{sheet.surgery.id}", detail=f"{len(sheet.rows)} people, {kind[1:]}")
    return target
