"""Manual capture (a phone call, letter, walk-in or surgery visit) and mail import: the Inbox's dialogs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static, TextArea

from mpoffice_tui.ui.dialogs.base import OfficeDialog, dialog_buttons
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import from_worker, run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office

CAPTURE_CHANNELS = (("phone", "Phone call in"), ("phone_out", "Phone call out (we rang them)"),
                    ("letter", "Letter"), ("walk_in", "Walk-in"), ("surgery", "Surgery visit"))
OUTGOING = {"phone_out": "phone"}  # kinds that are the office's own contact: channel, direction out


@dataclass(frozen=True)
class CaptureAnswer:
    channel: str
    sender_name: str
    sender_email: str | None
    subject: str
    body: str
    case_ref: str | None
    attachment_path: str | None
    direction: str = "in"


class CaptureDialog(OfficeDialog["CaptureAnswer"]):
    """Log a contact by keyboard: Tab between fields, Ctrl+S saves (Enter in a one-line field saves too)."""

    DEFAULT_CLASSES = "compact"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="capture-cancel"), Binding("ctrl+s", "save", "Save", id="capture-save", priority=True)]

    def __init__(self, channel: str = "phone", case_ref: str = "") -> None:
        super().__init__()
        self.channel, self.case_ref = channel, case_ref
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box capture-box"):
            yield Label("Log a contact", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield Select([(label, value) for value, label in CAPTURE_CHANNELS], value=self.channel,
                             allow_blank=False, id="capture-channel", compact=True)
            rows = (("capture-name", "Who", "name as given: who got in touch, or whom we rang"),
                    ("capture-email", "Email", "optional"),
                    ("capture-subject", "Subject", "optional: a short summary"),
                    ("capture-case", "Case ref", "optional: put it straight onto this case"),
                    ("capture-file", "Scan", "optional: path of a scanned letter or file"))
            for wid, label, hint in rows:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(self.case_ref if wid == "capture-case" else "", placeholder=hint, id=wid, compact=True)
            yield TextArea(id="capture-body", placeholder="What was said or written", compact=True)
            yield Static("", id="capture-error")
            yield Label("Ctrl+S saves · Tab moves · Esc cancels", classes="dialog-hint")
            yield dialog_buttons("Save")

    def on_mount(self) -> None:
        self.query_one("#capture-name", Input).focus()

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    @on(Input.Submitted)
    @on(Button.Pressed, ".ok")
    def action_save(self) -> None:
        name = self._value("capture-name")
        body = self.query_one("#capture-body", TextArea).text.strip()
        if not name:
            self.notify("Who was it? Give a name.", severity="warning")
            self.query_one("#capture-name", Input).focus()
            return
        if not body and not self._value("capture-subject"):
            self.notify("Write what was said (or a subject) first.", severity="warning")
            self.query_one("#capture-body", TextArea).focus()
            return
        scan = self._value("capture-file")
        if scan and not Path(scan).expanduser().is_file():
            self.notify(f"{scan}: no such file", severity="error")
            return
        if self.saving or self.app.office is None:
            return
        self.saving = True
        self.query_one("#capture-error", Static).update("")
        kind = str(self.query_one("#capture-channel", Select).value)
        self._save(CaptureAnswer(OUTGOING.get(kind, kind), name,
                                 self._value("capture-email") or None, self._value("capture-subject"),
                                 body, self._value("capture-case") or None,
                                 str(Path(scan).expanduser()) if scan else None,
                                 "out" if kind in OUTGOING else "in"))

    def _save(self, answer: CaptureAnswer) -> None:
        """Saved off the loop, so that a refusal (an unknown case reference) keeps the dialog and what was typed."""
        from mpoffice_tui.services import inbox

        def work(office: Office) -> CaptureAnswer:
            inbox.capture(office, answer.channel, sender_name=answer.sender_name, body=answer.body,
                          subject=answer.subject, sender_email=answer.sender_email, case_ref=answer.case_ref,
                          attachment_path=answer.attachment_path, direction=answer.direction)
            return answer

        run_office(self, "capture", work, self.dismiss, failed=self._failed)

    def _failed(self, message: str) -> None:
        self.saving = False
        self.query_one("#capture-error", Static).update(Text(message, style="bold red"))


class ImportDialog(OfficeDialog[object]):
    """Import mail: a path, then a progress bar while a worker imports, then the summary."""

    DEFAULT_CLASSES = "compact"
    BINDINGS = [Binding("escape", "close", "Close", id="capture-close")]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial
        self.running = False
        self.report = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box import-box"):
            yield Label("Import mail", classes="dialog-title")
            yield Label(".eml, .msg, mbox files or a Maildir/folder of them")
            yield Input(self.initial, placeholder="path to a file or folder", id="import-path", compact=True)
            yield ProgressBar(total=None, show_eta=False, id="import-progress")
            with VerticalScroll(id="import-summary-box"):
                yield Static("", id="import-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", variant="primary", id="import-go", compact=True)
                yield Button("Close", id="import-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False
        self.query_one("#import-path", Input).focus()

    def action_close(self) -> None:
        if self.running:
            self.notify("The import is still running; it will finish on its own.", severity="warning")
            return
        self.dismiss(self.report)

    @on(Button.Pressed, "#import-close")
    def _close(self) -> None:
        self.action_close()

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-go")
    def start(self) -> None:
        if self.running:
            return
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            self.notify("Type the path of a mail file or folder.", severity="warning")
            return
        path = Path(raw).expanduser()
        if not path.exists():
            self.query_one("#import-summary", Static).update(Text(f"{one_line(raw)}: no such file or folder",
                                                                  style="bold red"))
            return
        if self.app.office is None:
            return
        self.running = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#import-summary", Static).update(Text("Importing…"))
        self.query_one("#import-go", Button).disabled = True
        self._import(path, bar)

    def _import(self, path: Path, bar: ProgressBar) -> None:
        """The import, off the loop; progress goes to `bar`, found here on the loop."""
        from mpoffice_tui.services import inbox

        progress = from_worker(self, lambda done, total: bar.update(total=max(total, 1), progress=done))
        run_office(self, "inbox-import", lambda office: inbox.import_paths(office, [path], progress=progress),
                   self._done, failed=lambda error: self._failed(f"{path}: {error}"))

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one("#import-go", Button).disabled = False
        self.query_one("#import-summary", Static).update(Text(one_line(message), style="bold red"))

    def _done(self, report) -> None:
        self.running = False
        self.report = report
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=1, progress=1)
        self.query_one("#import-go", Button).disabled = False
        self.query_one("#import-summary", Static).update(summary_text(report))
        self.query_one("#import-close", Button).focus()


def summary_text(report) -> Text:
    """The import summary: counts, then each rejected item with its file, position and reason."""
    text = Text()
    text.append(f"{report.imported} imported", "bold")
    text.append(f", {report.duplicates} already here, {len(report.rejected)} rejected")
    extra = [f"{report.auto_filed} auto-filed" if report.auto_filed else "",
             f"{report.suggested} with a suggestion" if report.suggested else "",
             f"{report.campaign} in campaigns" if report.campaign else ""]
    if any(extra):
        text.append("\n" + ", ".join(x for x in extra if x))
    for r in report.rejected:
        where = Path(r.file).name + (f" [{r.position}]" if r.position else "")
        text.append("\n✗ ", "bold red")
        text.append(one_line(where), "bold")
        text.append(": " + one_line(r.reason))
    return text
