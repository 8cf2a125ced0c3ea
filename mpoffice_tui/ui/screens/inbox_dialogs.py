"""Small modal dialogs for the Inbox: keys help, confirm, choose, ask for a path, search-and-pick, new case.

Every dialog is driven by the keyboard (Enter confirms, Escape cancels) and by the mouse (buttons,
clicks on a list). Outside text is shown as plain `Text`, never as markup. Dialogs that search the
office do so in thread workers through a `search(office, text)` function given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.category_suggester import category_suggester


class Dialog(OfficeDialog):
    """A centred box; Escape cancels (dismisses with None)."""

    DEFAULT_CLASSES = "inbox-dialog"
    DEFAULT_CSS = """
    Dialog { align: center middle; background: $background 60%; }
    Dialog .dialog-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    Dialog .dialog-title { text-style: bold; width: 100%; content-align: center middle; margin-bottom: 1; }
    Dialog .dialog-hint { color: $text-muted; margin-top: 1; }
    Dialog .dialog-text { height: auto; margin-bottom: 1; }
    Dialog .dialog-scroll { height: auto; max-height: 18; }
    Dialog .dialog-buttons { height: auto; align-horizontal: right; }
    Dialog .dialog-buttons Button { margin-left: 2; min-width: 10; }
    Dialog .capture-box .form-row { margin-bottom: 0; }
    Dialog .capture-box TextArea { margin-top: 1; }
    Dialog .form-row { height: 1; margin-bottom: 1; }
    Dialog .form-label { width: 10; }
    Dialog .form-row Input, Dialog .form-row Select { width: 1fr; }
    Dialog Input { margin-bottom: 1; }
    Dialog .form-row Input { margin-bottom: 0; }
    Dialog OptionList { height: auto; max-height: 10; }
    Dialog TextArea { height: 4; }
    Dialog #import-summary-box { height: auto; max-height: 10; }
    Dialog #preview-scroll { max-height: 14; }
    """

    @on(Button.Pressed, ".cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)


def buttons(ok: str = "OK") -> Horizontal:
    return Horizontal(Button(ok, variant="primary", classes="ok", compact=True),
                      Button("Cancel", classes="cancel", compact=True),
                      classes="dialog-buttons")


class ConfirmDialog(Dialog):
    """A question: Enter or y says yes, Escape or n says no. A `careful` question (a surprising action)
    takes only y (or the Yes button) for yes: Enter says no, so a second Enter never slips through."""

    BINDINGS = [Binding("escape,n", "cancel", "No", id="confirm-no"), Binding("enter", "enter", "Yes", id="confirm-enter"),
                Binding("y", "yes", "Yes", id="confirm-yes")]

    def __init__(self, title: str, question: str, careful: bool = False) -> None:
        super().__init__()
        self.title_text, self.question, self.careful = title, question, careful

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(clean(self.question)), classes="dialog-text")
            if self.careful:
                yield Label("y: yes · Enter or Esc: no", classes="dialog-hint")
            yield buttons("Yes")

    def on_mount(self) -> None:
        if self.careful:
            self.query_one(".cancel", Button).focus()

    def action_enter(self) -> None:
        if self.careful:
            self.dismiss(None)
        else:
            self.dismiss(True)

    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, ".ok")
    def _ok(self) -> None:
        self.dismiss(True)


class PreviewDialog(Dialog):
    """Text to read before saying yes (a preview): Enter or y says yes, Escape or n says no."""

    BINDINGS = [Binding("escape,n", "cancel", "No", id="preview-no"), Binding("enter,y", "yes", "Yes", id="preview-yes")]

    def __init__(self, title: str, body: Text, ok: str = "Yes") -> None:
        super().__init__()
        self.title_text, self.body, self.ok = title, body, ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll", id="preview-scroll"):
                yield Static(self.body, id="preview-text")
            yield Label("Enter or y: yes · Esc: no · ↑↓ scroll", classes="dialog-hint")
            yield buttons(self.ok)

    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, ".ok")
    def _ok(self) -> None:
        self.dismiss(True)


class ChooseDialog(Dialog):
    """Pick one of a few options (up/down and Enter, or a click); dismisses with the option's value."""

    def __init__(self, title: str, options: Sequence[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.hint = title, list(options), hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*(Option(Text(one_line(label)), id=f"o{n}") for n, (_, label) in enumerate(self.options)),
                             id="choices", markup=False, compact=True)
            if self.hint:
                yield Label(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index][0])


class AskDialog(Dialog):
    """One line of input (a folder, a path); Enter confirms."""

    def __init__(self, title: str, prompt: str, value: str = "", placeholder: str = "", ok: str = "OK") -> None:
        super().__init__()
        self.title_text, self.prompt, self.value, self.placeholder, self.ok = title, prompt, value, placeholder, ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield Input(self.value, placeholder=self.placeholder, id="answer", compact=True)
            yield buttons(self.ok)

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()

    @on(Input.Submitted, "#answer")
    @on(Button.Pressed, ".ok")
    def _submit(self) -> None:
        value = self.query_one("#answer", Input).value.strip()
        if value:
            self.dismiss(value)
        else:
            self.notify("Type something first, or press Escape.", severity="warning")


SearchFn = Callable[[Any, str], list[tuple[str, str]]]  # (office, text) -> [(value, label)]


class PickDialog(Dialog):
    """Type to search, pick a result (Enter or a click). With `free_text`, Enter on no result returns the text.

    Enter acts on the results of what is typed now, never on those of an earlier, shorter search (typing
    fast then Enter waits for the search to catch up); with nothing found it says so and stays open, so
    a typo costs nothing.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick-cancel"),
                Binding("down", "to_list", "Results", show=False, id="pick-to-results")]

    def __init__(self, title: str, prompt: str, search: SearchFn, initial: str = "", free_text: bool = False,
                 hint: str = "Enter picks the first (or highlighted) result · Down moves into the list") -> None:
        super().__init__()
        self.title_text, self.prompt, self.search, self.initial = title, prompt, search, initial
        self.free_text = free_text
        self.hint = hint
        self.results: list[tuple[str, str]] = []
        self.results_for: str | None = None  # the text the results were found for
        self.submit_waiting = False  # Enter was pressed before the results for the text were in

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield Input(self.initial, id="query", compact=True)
            yield OptionList(id="results", markup=False, compact=True)
            yield Static("", id="pick-message", classes="dialog-hint")
            yield Label(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self.query_one("#pick-message").display = False
        if self.initial:
            self._search(self.initial)

    def _typed(self) -> str:
        return self.query_one("#query", Input).value.strip()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self._say("")
        self._search(event.value)

    @work(thread=True, exclusive=True, group="pick-search")
    def _search(self, text: str) -> None:
        text = text.strip()
        office = self.app.office
        if office is None or len(text) < 2:
            self.app.call_from_thread(self._show, [], text)
            return
        try:
            results = self.search(office, text)
        except Exception:  # noqa: BLE001 - a bad query shows nothing rather than a traceback
            results = []
        self.app.call_from_thread(self._show, results, text)

    def _show(self, results: list[tuple[str, str]], text: str) -> None:
        if text != self._typed():
            return  # an answer to an earlier text: the search for the current one is on its way
        self.results, self.results_for = results, text
        found = self.query_one("#results", OptionList)
        found.clear_options()
        found.add_options([Option(Text(one_line(label))) for _, label in results])
        if results:
            found.highlighted = 0
        if self.submit_waiting:
            self.submit_waiting = False
            self._submit()

    def _say(self, message: str) -> None:
        widget = self.query_one("#pick-message", Static)
        widget.update(Text(message))
        widget.display = bool(message)

    def action_to_list(self) -> None:
        if self.results:
            self.query_one("#results", OptionList).focus()

    @on(Input.Submitted, "#query")
    def _submit(self) -> None:
        typed = self._typed()
        if self.results_for != typed:  # the results on screen are not for this text yet
            self.submit_waiting = True
            self._search(typed)
            return
        found = self.query_one("#results", OptionList)
        if self.results:
            self.dismiss(self.results[found.highlighted or 0][0])
        elif self.free_text and typed:
            self.dismiss(typed)
        elif len(typed) < 2:
            self._say("Type at least two letters or digits, or press Escape.")
        else:
            self._say(f"Nothing matches {one_line(typed)!r}: check it, or try another word. Escape cancels.")

    @on(OptionList.OptionSelected, "#results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.results[event.option_index][0])


# -- new case -------------------------------------------------------------------------------------
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


class NewCaseDialog(Dialog):
    """Open a case from a message: title, category, and the constituent pre-filled. Enter confirms."""

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
            yield buttons("Open case")

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
