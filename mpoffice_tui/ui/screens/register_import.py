"""Import electoral register files from the TUI: a path input, a progress bar, a summary with bad rows.

The import runs `services.register.import_register` in a thread worker; the format, encoding and
delimiter of each file are detected. Several files (split exports, several councils) are separated by
";"; a folder means every file in it. A replacement that would remove many of a council's electors (or
an older publication, or a file that does not say its council) asks first in a Yes/No dialog while the
worker waits. Dismissed with the ImportSummary (or None if nothing was imported).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, ProgressBar, Static

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import from_worker, run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.register import ImportSummary, Replacement

MAX_PROBLEMS_SHOWN = 50


def split_paths(text: str) -> list[Path]:
    """ "a.csv; b.tsv" -> paths; quotes are dropped, ~ expanded, a folder becomes its entries (the import
    reports any that is not a regular file)."""
    out: list[Path] = []
    for part in text.replace("\n", ";").split(";"):
        part = part.strip().strip("\"'").strip()
        if not part:
            continue
        path = Path(part).expanduser()
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if not p.is_dir() and not p.name.startswith("."))
        else:
            out.append(path)
    return out


def summary_text(summary: ImportSummary) -> Text:
    """What was imported, file by file, with each unreadable row and its reason."""
    out = Text()
    verdict = "Imported" if summary.ok else "Imported with problems" if summary.imported else "Nothing imported"
    out.append(f"{verdict}: {summary.imported:,} electors in {summary.seconds:.1f} s; "
               f"{summary.failed_rows} unreadable row{'s' if summary.failed_rows != 1 else ''}; "
               f"{summary.failed_files} unreadable file{'s' if summary.failed_files != 1 else ''}.\n",
               "bold" if summary.ok else "bold yellow")
    if summary.replaced:
        out.append(f"Replaced {summary.replaced:,} electors of earlier publications; constituent links kept "
                   f"{summary.links_kept}, no longer on the register {summary.links_lost}.\n")
    for f in summary.files:
        name = one_line(Path(f.path).name)
        if f.held_back:
            out.append(f"\nNOT IMPORTED  {name}: ", "bold yellow")
            out.append(one_line(f.held_back.question) + " Nothing was changed.\n")
            continue
        if f.error:
            out.append(f"\nFAILED  {name}: ", "bold red")
            out.append(one_line(f.error) + "\n")
            continue
        out.append(f"\n{'ok' if f.ok else 'PART'}  {name}", "bold")
        out.append(f": {one_line(f.format)}, {f.encoding}, council {one_line(f.council)}, "
                   f"published {f.published_on}: {f.imported:,} electors"
                   + (f", {f.skipped} placeholder rows skipped" if f.skipped else "") + "\n")
        for p in f.problems[:MAX_PROBLEMS_SHOWN]:
            out.append(f"    row {p.row}: {one_line(p.reason)}\n", "yellow")
        if len(f.problems) > MAX_PROBLEMS_SHOWN:
            out.append(f"    … and {len(f.problems) - MAX_PROBLEMS_SHOWN} more unreadable rows\n", "yellow")
        for p in f.notes[:MAX_PROBLEMS_SHOWN]:
            out.append(("    note: " + (f"row {p.row}: " if p.row else "")) + one_line(p.reason) + "\n")
    return out


class ImportRegisterScreen(OfficeDialog["ImportSummary | None"]):
    """Ask for register files, import them with a progress bar, show the summary."""

    BINDINGS = [Binding("escape", "close", "Close", id="register-import-close")]

    def __init__(self) -> None:
        super().__init__()
        self.summary: ImportSummary | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box", classes="dialog-box dialog-wide"):
            yield Static(Text("Import electoral register files"), classes="dialog-title")
            yield Static(Text("Council exports (Xpress, Halarose/Idox EROS, Idox Elections, Democracy Counts): "
                              "the format is read from the header row. Several files: separate with ';'. "
                              "A folder: every file in it. Enter imports; Esc closes."), id="import-help")
            yield Input(placeholder="/path/to/register.csv; /path/to/part2.csv", id="import-paths")
            yield ProgressBar(total=None, show_eta=False, id="import-progress")
            yield Static("", id="import-status")
            with VerticalScroll(id="import-summary-box", classes="dialog-text"):
                yield Static("", id="import-summary")

    def on_mount(self) -> None:
        self.query_one("#import-paths", Input).focus()

    @on(Input.Submitted, "#import-paths")
    def start(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        office = self.app.office
        status = self.query_one("#import-status", Static)
        if office is None:
            return
        if not event.value.strip():
            status.update(Text("Type the path of at least one register file.", style="bold"))
            return
        self.busy = True
        self.query_one("#import-paths", Input).disabled = True
        self.query_one("#import-summary", Static).update("")
        status.update(Text("Reading the files…"))
        self._import(event.value)

    def _import(self, text: str) -> None:
        from mpoffice_tui.services import register as reg

        progress = from_worker(self, self._progress)

        def work(office: Office) -> ImportSummary:
            paths = split_paths(text)  # here, not on the event loop: a network folder can be slow
            return reg.import_register(office, paths, progress=progress, confirm=self._confirm)

        run_office(self, "register-import", work, self._done, failed=self._failed)  # a failure rolled back

    def _confirm(self, question: Replacement) -> bool:
        """Ask whether to go ahead with a replacement (a dialog on the event loop; this worker waits)."""
        from textual.worker import get_current_worker

        answered = threading.Event()
        answer = [False]

        def done(value: bool | None) -> None:
            answer[0] = bool(value)
            answered.set()

        from_worker(self, self.app.push_screen)(ConfirmDialog(Text(question.question), yes="Replace"), done)
        worker = get_current_worker()
        while not answered.wait(0.1):
            if worker.is_cancelled:
                return False
        return answer[0]

    def _progress(self, done: int, total: int, label: str) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#import-status", Static).update(
            Text(f"Importing {one_line(label)}: {done:,} of {total:,} electors"))

    def _failed(self, error: str) -> None:
        self.busy = False
        self.query_one("#import-paths", Input).disabled = False
        self.query_one("#import-status", Static).update(Text(f"Import failed, nothing changed: {one_line(error)}",
                                                             style="bold red"))

    def _done(self, summary: ImportSummary) -> None:
        self.busy = False
        self.summary = summary if summary.imported else self.summary
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=max(summary.imported, 1), progress=max(summary.imported, 1))
        self.query_one("#import-status", Static).update(Text("Done. Esc closes; or import more files."))
        self.query_one("#import-summary", Static).update(summary_text(summary))
        paths = self.query_one("#import-paths", Input)
        paths.disabled = False
        paths.focus()

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.summary)
