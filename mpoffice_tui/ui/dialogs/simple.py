"""Small modals: a yes/no question, a read-only text viewer, and a searchable picker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.work import run_office


class ConfirmDialog(OfficeDialog[bool]):
    """A question with Yes / No; `y`/`n`, Enter on a button, or Escape (no)."""

    BINDINGS = [Binding("escape", "answer(False)", "No", id="confirm-escape"),
                Binding("y", "answer(True)", "Yes", id="confirm-yes"),
                Binding("n", "answer(False)", "No", show=False, id="confirm-no")]

    def __init__(self, question: str | Text, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question if isinstance(question, Text) else Text(question)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.question, classes="dialog-intro")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning", id="confirm-yes")
                yield Button("No", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class TextDialog(OfficeDialog[Any]):
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


Search = Callable[[Any, str], Sequence[tuple[Text | str, Any]]]


class PickDialog(OfficeDialog[Any]):
    """Type to search (debounced, in a thread worker), pick with up/down and Enter.

    `search(office, text)` returns (label, value) pairs; the dialog dismisses with the chosen value.
    """

    BINDINGS = [Binding("down", "to_list", "List", show=False, id="pick-to-list")]

    def __init__(self, title: str, search: Search, *, placeholder: str = "Type to search",
                 initial: str = "", min_chars: int = 0) -> None:
        super().__init__()
        self.pick_title = title
        self.search = search
        self.placeholder = placeholder
        self.initial = initial
        self.min_chars = min_chars
        self._timer: Timer | None = None
        self.ready = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Static(Text(self.pick_title, style="bold"), classes="dialog-title")
            yield Input(self.initial, placeholder=self.placeholder, id="pick-search")
            yield OptionList(id="pick-list")
            yield Static("", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one("#pick-search").focus()
        self._run(self.initial)

    @on(Input.Changed, "#pick-search")
    def changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.2, lambda: self._run(event.value))

    @on(Input.Submitted, "#pick-search")
    def submitted(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.option_count:
            options.highlighted = options.highlighted or 0
            options.action_select()

    def action_to_list(self) -> None:
        self.query_one("#pick-list").focus()

    def _run(self, text: str) -> None:
        if self.app.office is None:
            return
        self.ready = False
        if len(text.strip()) < self.min_chars:
            self._show([], f"Type at least {self.min_chars} characters.")
            return
        search = self.search
        run_office(self, "pick-search", lambda office: list(search(office, text)),
                   lambda found: self._show(found, "" if found else "Nothing found."),
                   failed=lambda error: self._show([], error))

    def _show(self, found: list[tuple[Text | str, Any]], message: str) -> None:
        self.values = [v for _, v in found]
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        options.add_options([Option(label if isinstance(label, Text) else Text(label)) for label, _ in found])
        if found:
            options.highlighted = 0
        self.query_one(".dialog-error", Static).update(Text(message))
        self.ready = True

    @on(OptionList.OptionSelected, "#pick-list")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.values[event.option_index])

