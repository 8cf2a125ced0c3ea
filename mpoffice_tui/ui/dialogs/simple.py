"""Small modals: a yes/no question, a text to read, a preview to accept, a choice of a few, one line to
type, and a searchable picker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.base import OfficeDialog, dialog_buttons
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office

V = TypeVar("V")  # what a choice or a pick stands for (an id, a service's row)


class ConfirmDialog(OfficeDialog[bool]):
    """A yes/no question: `y` or the Yes button says yes; `n`, Escape or the No button says no. Enter presses
    the focused button: No for a `careful` question (a surprising or destructive action, the default), so a
    second Enter never slips through; Yes otherwise."""

    BINDINGS = [Binding("escape", "answer(False)", "No", id="confirm-escape"),
                Binding("y", "answer(True)", "Yes", id="confirm-yes"),
                Binding("n", "answer(False)", "No", show=False, id="confirm-no")]

    def __init__(self, question: str | Text, yes: str = "Yes", *, title: str | None = None,
                 careful: bool = True) -> None:
        super().__init__()
        self.question = question if isinstance(question, Text) else Text(clean(question))
        self.yes, self.form_title, self.careful = yes, title or "", careful

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            if self.form_title:
                yield Static(Text(self.form_title, style="bold"), classes="dialog-title")
            yield Static(self.question, classes="dialog-text")
            yield Label("y: yes · Enter or Esc: no" if self.careful else "Enter or y: yes · Esc: no",
                        classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning" if self.careful else "primary", id="confirm-yes")
                yield Button("No", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no" if self.careful else "#confirm-yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed, "#confirm-yes, #confirm-no")
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class TextDialog(OfficeDialog[str]):
    """A long text (a whole message, a letter preview) to read; extra buttons return their id."""

    BINDINGS = [Binding("escape", "close", "Close", id="text-close")]

    def __init__(self, title: str | Text, body: Text, buttons: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.title_text = title if isinstance(title, Text) else Text(title, style="bold")
        self.body = body
        self.buttons = list(buttons)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-text", can_focus=True):
                yield Static(self.body, id="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                for bid, label in self.buttons:
                    yield Button(label, id=f"text-{bid}", variant="primary")
                yield Button("Close", id="text-close")

    def on_mount(self) -> None:
        self.query_one(".dialog-text").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        bid = (event.button.id or "").removeprefix("text-")
        self.dismiss(None if bid == "close" else bid)


class PreviewDialog(OfficeDialog[bool]):
    """Text to read before saying yes (a preview): Enter or y says yes, Escape or n says no."""

    DEFAULT_CLASSES = "compact"
    BINDINGS = [Binding("escape,n", "cancel", "No", id="preview-no"),
                Binding("enter,y", "yes", "Yes", id="preview-yes")]

    def __init__(self, title: str, body: Text, ok: str = "Yes") -> None:
        super().__init__()
        self.form_title, self.body, self.ok = title, body, ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.form_title, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll", id="preview-scroll"):
                yield Static(self.body, id="preview-text")
            yield Label("Enter or y: yes · Esc: no · ↑↓ scroll", classes="dialog-hint")
            yield dialog_buttons(self.ok)

    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, ".ok")
    def _ok(self) -> None:
        self.dismiss(True)


class ChooseDialog(OfficeDialog[V], Generic[V]):
    """Pick one of a few options (up/down and Enter, or a click); dismisses with the option's value."""

    DEFAULT_CLASSES = "compact"

    def __init__(self, title: str, options: Sequence[tuple[V, str]], hint: str = "") -> None:
        super().__init__()
        self.form_title, self.options, self.hint = title, list(options), hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.form_title, classes="dialog-title")
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


class AskDialog(OfficeDialog[str]):
    """One line of input (a folder, a path); Enter confirms."""

    DEFAULT_CLASSES = "compact"

    def __init__(self, title: str, prompt: str, value: str = "", placeholder: str = "", ok: str = "OK") -> None:
        super().__init__()
        self.form_title, self.prompt, self.value, self.placeholder, self.ok = title, prompt, value, placeholder, ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.form_title, classes="dialog-title")
            yield Label(self.prompt)
            yield Input(self.value, placeholder=self.placeholder, id="answer", compact=True)
            yield dialog_buttons(self.ok)

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


Search = Callable[["Office", str], Sequence[tuple[Text | str, V]]]  # (office, text) -> [(label, value)]


class PickDialog(OfficeDialog[V], Generic[V]):
    """Type to search (off the event loop, as the person types), pick a result with Enter or a click.

    `search(office, text)` returns (label, value) pairs; the dialog dismisses with the chosen value. Enter acts
    on the results of what is typed now, never
    on those of an earlier, shorter search (typing fast then Enter waits for the search to catch up); with
    nothing found it says so and stays open, so a typo costs nothing.
    """

    BINDINGS = [Binding("down", "to_list", "Results", show=False, id="pick-to-list")]

    def __init__(self, title: str, search: Search[V], *, prompt: str = "", placeholder: str = "Type to search",
                 initial: str = "", min_chars: int = 2,
                 hint: str = "Enter picks the first (or highlighted) result · Down moves into the list") -> None:
        super().__init__()
        self.form_title, self.search, self.prompt, self.placeholder = title, search, prompt, placeholder
        self.initial, self.min_chars, self.hint = initial, min_chars, hint
        self.values: list[V] = []
        self.results_for: str | None = None  # the text the results on screen were found for
        self.submit_waiting = False  # Enter was pressed before the results for the text were in

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Static(Text(self.form_title, style="bold"), classes="dialog-title")
            if self.prompt:
                yield Label(self.prompt)
            yield Input(self.initial, placeholder=self.placeholder, id="pick-search")
            yield OptionList(id="pick-list", markup=False)
            yield Static("", id="pick-message", classes="dialog-error")
            yield Label(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#pick-search").focus()
        self._search(self.initial)

    def _typed(self) -> str:
        return self.query_one("#pick-search", Input).value.strip()

    @on(Input.Changed, "#pick-search")
    def changed(self, event: Input.Changed) -> None:
        self._say("")
        self._search(event.value)

    def _search(self, text: str) -> None:
        text = text.strip()
        if len(text) < self.min_chars:
            self._show([], text)
            return
        search = self.search
        run_office(self, "pick-search", lambda office: list(search(office, text)),
                   lambda found: self._show(found, text),
                   failed=lambda _error: self._show([], text))  # a half-typed query shows nothing

    def _show(self, found: list[tuple[Text | str, V]], text: str) -> None:
        if text != self._typed():
            return  # an answer to an earlier text: the search for the current one is on its way
        self.values, self.results_for = [v for _, v in found], text
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        options.add_options([Option(label if isinstance(label, Text) else Text(one_line(label)))
                             for label, _ in found])
        if found:
            options.highlighted = 0
        if self.submit_waiting:
            self.submit_waiting = False
            self.submitted()

    def _say(self, message: str) -> None:
        self.query_one("#pick-message", Static).update(Text(message))

    def action_to_list(self) -> None:
        if self.values:
            self.query_one("#pick-list").focus()

    @on(Input.Submitted, "#pick-search")
    def submitted(self) -> None:
        typed = self._typed()
        if self.results_for != typed:  # the results on screen are not for this text yet
            self.submit_waiting = True
            self._search(typed)
            return
        if self.values:
            self.dismiss(self.values[self.query_one("#pick-list", OptionList).highlighted or 0])
        elif len(typed) < self.min_chars:
            self._say(f"Type at least {self.min_chars} letters or digits, or press Escape.")
        else:
            self._say(f"Nothing matches {one_line(typed)!r}: check it, or try another word. Escape cancels.")

    @on(OptionList.OptionSelected, "#pick-list")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.values[event.option_index])
