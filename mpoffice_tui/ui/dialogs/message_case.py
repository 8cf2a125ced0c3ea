"""A case opened from a message: its title, category and the constituent, pre-filled from the message
(sender and signature); Enter confirms."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from mpoffice_tui.ui.dialogs.base import OfficeDialog, dialog_buttons
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.category_suggester import category_suggester


@dataclass(frozen=True)
class CasePrefill:
    """What the new-case form starts with, worked out from the message (sender and signature)."""

    message_id: str
    title: str
    known: str | None  # a known constituent or elector the case will be for (then no person fields)
    category: str | None = None  # suggested from the message's words
    forenames: str = ""
    surname: str = ""
    email: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class NewCaseAnswer:
    title: str
    category: str
    person: dict[str, str] | None  # the person fields as edited, when they differ from the pre-fill


class MessageCaseDialog(OfficeDialog[NewCaseAnswer]):
    """Open a case from a message: title, category, and the constituent pre-filled. Enter confirms."""

    DEFAULT_CLASSES = "compact"
    FIELDS = (("forenames", "Forenames"), ("surname", "Surname"), ("email", "Email"), ("postcode", "Postcode"))

    def __init__(self, prefill: CasePrefill) -> None:
        super().__init__()
        self.prefill = prefill

    def compose(self) -> ComposeResult:
        p = self.prefill
        with Vertical(classes="dialog-box"):
            yield Label("New case from this message", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Title", classes="form-label")
                yield Input(one_line(p.title), id="case-title", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Category", classes="form-label")
                yield Input(p.category or "General", id="case-category", compact=True,
                            suggester=category_suggester(self.app))
            if p.known:
                yield Static(Text.assemble(("For: ", "bold"), one_line(p.known)), id="case-known")
            else:
                for name, label in self.FIELDS:
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield Input(one_line(getattr(p, name)), id=f"person-{name}", compact=True)
            yield Label("Enter opens the case · → completes a category · Esc cancels", classes="dialog-hint")
            yield dialog_buttons("Open case")

    def on_mount(self) -> None:
        self.query_one("#case-title", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, ".ok")
    def _submit(self) -> None:
        title = self.query_one("#case-title", Input).value.strip()
        category = self.query_one("#case-category", Input).value.strip() or "General"
        person = None
        if not self.prefill.known:
            values = {name: self.query_one(f"#person-{name}", Input).value.strip() for name, _ in self.FIELDS}
            if any(values[k] != one_line(getattr(self.prefill, k)) for k in values):
                if not (values["surname"] or values["forenames"] or values["email"]):
                    self.notify("Give the constituent a name or an email.", severity="warning")
                    return
                person = values
        self.dismiss(NewCaseAnswer(title or one_line(self.prefill.title), category, person))
