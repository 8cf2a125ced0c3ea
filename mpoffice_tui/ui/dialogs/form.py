"""A form in a modal: fields, then an action run in a thread worker.

    FormDialog("Add a note", [Field("body", "Note", kind="multiline", required=True),
                              Field("confidential", "Confidential", kind="check")],
               action=lambda office, v: cases.add_note(office, case_id, v.text("body"),
                                                       confidential=v.flag("confidential")))

The dialog stays open with a clear message when the action raises (nothing typed is lost) and
dismisses with the action's result when it succeeds (None when cancelled). Ctrl+S or the Save
button submits; Enter submits from a one-line field; Escape cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar, cast, overload

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from mpoffice_tui.ui.dialogs.base import DIALOG_CSS, OfficeDialog, error_text, fit_fields
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office

__all__ = ["DIALOG_CSS", "Action", "Field", "FormDialog", "FormValue", "FormValues", "error_text", "fit_fields"]

R = TypeVar("R")

FormValue = str | bool | list[str] | None
"""One field's value: the text of a text field, a tick box's bool, a choice (None when none is made), or the ids
ticked in a group of tick boxes."""


class FormValues(dict[str, FormValue]):
    """What a form holds, by field name, with typed reads for the action that uses it."""

    def text(self, name: str) -> str:
        """A text field's text, or a choice that the form requires ("" when nothing is there)."""
        value = self.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise TypeError(f"form field {name!r} is not text")
        return value

    def choice(self, name: str) -> str | None:
        """A choice field's value, None when nothing is chosen."""
        value = self.get(name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"form field {name!r} is not a choice")
        return value

    def flag(self, name: str) -> bool:
        """A tick box (False when the form has no such field)."""
        return bool(self.get(name))

    def ticked(self, name: str) -> list[str]:
        """The ids ticked in a group of tick boxes."""
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise TypeError(f"form field {name!r} is not a group of tick boxes")
        return value


@dataclass(frozen=True)
class Field:
    """One form field. kind: text | multiline | choice | check."""

    name: str
    label: str
    kind: str = "text"
    value: FormValue = ""
    choices: Sequence[tuple[str, str]] = field(default_factory=tuple)
    placeholder: str = ""
    required: bool = False


Action = Callable[["Office", FormValues], R]
"""What a form does on submit, in a thread worker: `action(office, values)`."""


class FormDialog(OfficeDialog[R], Generic[R]):
    """A form; `action(office, values)` runs in a thread worker on submit and the dialog dismisses with what
    it returned (True when it returned None, so that saved is never mistaken for cancelled); with no action,
    it dismisses with the `FormValues`."""

    BINDINGS = [Binding("ctrl+s", "submit", "Save", id="form-save")]

    @overload
    def __init__(self: FormDialog[FormValues], title: str, fields: Sequence[Field], action: None = None, *,
                 intro: str | Text = "", submit_label: str = "Save") -> None: ...

    @overload
    def __init__(self, title: str, fields: Sequence[Field], action: Action[R], *,
                 intro: str | Text = "", submit_label: str = "Save") -> None: ...

    def __init__(self, title: str, fields: Sequence[Field], action: Action[R] | None = None, *,
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

    def values(self) -> FormValues:
        out = FormValues()
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Checkbox):
                out[f.name] = widget.value
            elif isinstance(widget, TextArea):
                out[f.name] = widget.text.strip()
            elif isinstance(widget, Select):
                out[f.name] = widget.selection
            elif isinstance(widget, Input):
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
            self.dismiss(cast("R", values))  # (the overloads make R FormValues when there is no action)
            return
        if self.app.office is None:
            return
        self.busy = True
        self.query_one(".dialog-error", Static).update(Text("Saving…"))
        action = self.action
        # a failure is shown in the dialog, the typed text kept
        run_office(self, "form-action", lambda office: action(office, values),
                   lambda result: self.dismiss(result if result is not None else cast("R", True)),
                   failed=self.show_error)
