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

from typing import TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen

from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.key_bar import KeyBar

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
    scroller.styles.max_height = max(3, min(18, room))


def error_text(exc: BaseException) -> str:
    """A one-line message for a failed action (never a traceback)."""
    return one_line(str(exc)) or exc.__class__.__name__


class OfficeDialog(ModalScreen[T]):
    """The base of every dialog: shared style, the dialog's keys in its footer, Escape cancels (None)."""

    DEFAULT_CSS = "OfficeDialog {" + DIALOG_CSS + "}"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog-cancel")]

    def on_mount(self) -> None:
        self.mount(KeyBar(own_only=True))

    def on_resize(self) -> None:
        self.call_after_refresh(fit_fields, self)

    def action_cancel(self) -> None:
        self.dismiss(None)
