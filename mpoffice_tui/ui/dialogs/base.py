"""What every dialog shares: a centred box that fits the terminal, its own keys in a footer, Escape.

A dialog lays itself out as
    .dialog-box            the centred box (at most the whole screen)
      .dialog-title        one line
      .dialog-intro        optional
      .dialog-fields       a VerticalScroll: the part that scrolls when the terminal is small (80×24)
      .dialog-error        one line
      .dialog-buttons      always in sight
and `fit_fields` gives `.dialog-fields` whatever height the rest leaves, so every field and button can be
reached with Tab on any screen size. The footer shows the dialog's own keys (save, cancel), not the
screen's below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, TextArea
from textual.widgets.select import InvalidSelectValueError

from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from textual import getters

    from mpoffice_tui.ui.app import OfficeApp

T = TypeVar("T")

DIALOG_CSS = """
    align: center middle;
    .dialog-box {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    .dialog-wide { width: 96; }
    .dialog-title { height: auto; margin-bottom: 1; text-style: bold; }
    .dialog-intro, .dialog-text-line { height: auto; margin-bottom: 1; }
    .dialog-fields { height: auto; max-height: 18; }
    .dialog-label { margin-top: 1; }
    .dialog-hint { color: $text-muted; height: auto; }
    .dialog-multiline { height: 6; }
    .dialog-text { height: auto; max-height: 18; }
    .dialog-error { height: auto; color: $error; text-style: bold; }
    .dialog-buttons { height: auto; align-horizontal: right; }
    .dialog-buttons Button { margin-left: 1; }
    #pick-list { height: auto; max-height: 14; }
    &.compact {  /* the inbox's quick dialogs: one line a field, a little wider */
        .dialog-box { width: 76; }
        .dialog-title { width: 100%; content-align: center middle; }
        .dialog-hint { margin-top: 1; }
        .dialog-text { margin-bottom: 1; }
        .dialog-scroll { height: auto; max-height: 18; }
        .dialog-buttons Button { margin-left: 2; min-width: 10; }
        .capture-box .form-row { margin-bottom: 0; }
        .capture-box TextArea { margin-top: 1; }
        .form-row { height: 1; margin-bottom: 1; }
        .form-label { width: 10; }
        .form-row Input, .form-row Select { width: 1fr; }
        Input { margin-bottom: 1; }
        .form-row Input { margin-bottom: 0; }
        OptionList { height: auto; max-height: 10; }
        TextArea { height: 4; }
        #import-summary-box { height: auto; max-height: 10; }
        #preview-scroll { max-height: 14; }
    }
"""


def fit_fields(dialog: ModalScreen) -> None:
    """Keep a dialog's buttons on screen in a small terminal: its `.dialog-fields` (or `.dialog-text`)
    scroll within the height the title, intro, error line, buttons and footer leave."""
    boxes = dialog.query(".dialog-box")
    if not boxes:
        return
    box = boxes.first()
    scrollers = [w for w in box.children if w.has_class("dialog-fields") or w.has_class("dialog-text")]
    if not scrollers:
        return
    scroller = scrollers[0]
    others = sum(w.outer_size.height + w.styles.margin.height for w in box.children if w is not scroller)
    footer = sum(bar.outer_size.height for bar in dialog.query(KeyBar))
    room = dialog.size.height - footer - others - box.styles.gutter.height
    scroller.styles.max_height = max(3, min(getattr(dialog, "FIELDS_MAX_HEIGHT", 18), room))


def error_text(exc: BaseException) -> str:
    """A one-line message for a failed action (never a traceback)."""
    return one_line(str(exc)) or exc.__class__.__name__


def dialog_buttons(ok: str = "OK") -> Horizontal:
    """The OK and Cancel buttons of a quick dialog (Cancel dismisses with None)."""
    return Horizontal(Button(ok, variant="primary", classes="ok", compact=True),
                      Button("Cancel", classes="cancel", compact=True),
                      classes="dialog-buttons")


class OfficeDialog(ModalScreen[T]):
    """The base of every dialog: shared style, the dialog's keys in its footer, Escape cancels (None).

    Across a lock a dialog is opened again by the action that opened it (`opener`: the node and action
    string, noted by the app when the dialog was pushed), then given back what had been typed in it
    (`typed` / `retype`: every input, text area, choice and tick box with an id)."""

    DEFAULT_CSS = "OfficeDialog {" + DIALOG_CSS + "}"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog-cancel")]

    if TYPE_CHECKING:  # the running app, typed (Textual's own property at run time)
        app = getters.app(OfficeApp)

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.opener: tuple[DOMNode, str] | None = None

    def on_mount(self) -> None:
        self.mount(KeyBar(own_only=True))
        self.call_after_refresh(self.app.retype_into, self)

    @on(Button.Pressed, ".cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @property
    def kept_name(self) -> str:
        """What kind of dialog this is, to match it when it is opened again (class and title)."""
        return f"{type(self).__name__}:{getattr(self, 'form_title', '')}"

    def typed(self) -> dict[str, str | bool | None]:
        """What was typed or chosen in this dialog, by widget id."""
        out: dict[str, str | bool | None] = {}
        for widget in self.query("Input, TextArea, Select, Checkbox"):
            if not widget.id:
                continue
            if isinstance(widget, TextArea):
                out[widget.id] = widget.text
            elif isinstance(widget, Select):
                out[widget.id] = widget.selection
            elif isinstance(widget, (Input, Checkbox)):
                out[widget.id] = widget.value
        return out

    def retype(self, values: Mapping[str, object]) -> None:
        """Put back what `typed` kept (a choice no longer offered is left as it is)."""
        for wid, value in values.items():
            found = self.query(f"#{wid}")
            if not found:
                continue
            widget = found.first()
            if isinstance(widget, TextArea) and isinstance(value, str):
                widget.text = value
            elif isinstance(widget, Select):
                with contextlib.suppress(InvalidSelectValueError):
                    if value is not None:
                        widget.value = value
            elif isinstance(widget, Checkbox):
                widget.value = bool(value)
            elif isinstance(widget, Input) and isinstance(value, str):
                widget.value = value

    def on_resize(self) -> None:
        self.call_after_refresh(fit_fields, self)

    def action_cancel(self) -> None:
        self.dismiss(None)
