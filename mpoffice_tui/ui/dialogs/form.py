"""A form in a modal: fields, then an action run in a thread worker.

    FormDialog("Add a note", [Field("body", "Note", kind="multiline", required=True),
                              Field("confidential", "Confidential", kind="check")],
               action=lambda office, v: cases.add_note(office, case_id, v["body"], confidential=v["confidential"]))

The dialog stays open with a clear message when the action raises (nothing typed is lost) and
dismisses with the action's result when it succeeds (None when cancelled). Ctrl+S or the Save
button submits; Enter submits from a one-line field; Escape cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from mpoffice_tui.ui.dialogs.base import DIALOG_CSS, OfficeDialog, error_text, fit_fields
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

__all__ = ["DIALOG_CSS", "Action", "Field", "FormDialog", "error_text", "fit_fields"]


@dataclass(frozen=True)
class Field:
    """One form field. kind: text | multiline | choice | check."""

    name: str
    label: str
    kind: str = "text"
    value: Any = ""
    choices: Sequence[tuple[str, Any]] = field(default_factory=tuple)
    placeholder: str = ""
    required: bool = False


Action = Callable[[Any, dict[str, Any]], Any]


class FormDialog(OfficeDialog[Any]):
    """A form; `action(office, values)` runs in a thread worker on submit."""

    BINDINGS = [Binding("ctrl+s", "submit", "Save", id="form-save")]

    def __init__(self, title: str, fields: Sequence[Field], action: Action | None = None, *,
                 intro: str | Text = "", submit_label: str = "Save") -> None:
        super().__init__()
        self.form_title = title
        self.fields = list(fields)
        self.action = action
        self.intro = intro
        self.submit_label = submit_label
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(self.form_title, style="bold"), classes="dialog-title")
            if self.intro:
                yield Static(self.intro if isinstance(self.intro, Text) else Text(self.intro), classes="dialog-intro")
            with VerticalScroll(classes="dialog-fields"):
                yield from self.body_widgets()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, variant="primary", id="dialog-submit")
                yield from self.extra_buttons()
                yield Button("Cancel", id="dialog-cancel")

    def body_widgets(self) -> ComposeResult:
        """The widgets of the scrolling part: one per field (a subclass may add more)."""
        for f in self.fields:
            yield from self._widget(f)

    def extra_buttons(self) -> ComposeResult:
        """Buttons between the submit button and Cancel (none here)."""
        yield from ()

    def _widget(self, f: Field) -> ComposeResult:
        wid = f"field-{f.name}"
        if f.kind == "check":
            yield Checkbox(Text(f.label), bool(f.value), id=wid)
            return
        yield Label(Text(f.label + (" *" if f.required else "")), classes="dialog-label")
        if f.kind == "multiline":
            area = TextArea(str(f.value or ""), id=wid, soft_wrap=True, show_line_numbers=False,
                            classes="dialog-multiline")
            yield area
        elif f.kind == "choice":
            options = [(Text(one_line(label)), value) for label, value in f.choices]
            values = [v for _, v in options]
            yield Select(options, id=wid, allow_blank=not f.required or f.value not in values,
                         value=f.value if f.value in values else Select.NULL, prompt=f.placeholder or "Choose")
        else:
            yield Input(str(f.value or ""), placeholder=f.placeholder, id=wid)

    def on_mount(self) -> None:
        first = self.query("Input, TextArea, Select, Checkbox")
        if first:
            first.first().focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Checkbox):
                out[f.name] = widget.value
            elif isinstance(widget, TextArea):
                out[f.name] = widget.text.strip()
            elif isinstance(widget, Select):
                out[f.name] = None if widget.is_blank() else widget.value
            else:
                out[f.name] = widget.value.strip()
        return out

    def show_error(self, message: str) -> None:
        self.busy = False
        self.query_one(".dialog-error", Static).update(Text(message))

    @on(Button.Pressed, "#dialog-cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#dialog-submit")
    def submit_pressed(self) -> None:
        self.action_submit()

    @on(Input.Submitted)
    def input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        values = self.values()
        missing = [f.label for f in self.fields if f.required and values.get(f.name) in (None, "")]
        if missing:
            self.show_error(f"Please fill in: {', '.join(missing)}.")
            return
        if self.action is None:
            self.dismiss(values)
            return
        if self.app.office is None:
            return
        self.busy = True
        self.query_one(".dialog-error", Static).update(Text("Saving…"))
        action = self.action
        # a failure is shown in the dialog, the typed text kept
        run_office(self, "form-action", lambda office: action(office, values),
                   lambda result: self.dismiss(result if result is not None else True), failed=self.show_error)
