"""`?` on any screen: every key that screen answers to, from its own bindings (the same table that
feeds the footer and the command palette), then the keys that work everywhere; each with its binding id,
the name a person uses to choose another key for it ("keymap" in the settings file, see ui/keymap.py)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from mpoffice_tui.ui.dialogs.base import OfficeDialog

KeyRow = tuple[str, str, str, str]  # (key as shown, its name in the footer, what it does, its binding id)
# Textual's own keys of every screen (Tab, Shift+Tab, copy): they work everywhere, so they are listed there
GENERIC_ACTIONS = frozenset(binding.action for binding in Screen.BINDINGS if isinstance(binding, Binding))


def screen_keys(screen: Screen) -> tuple[list[KeyRow], list[KeyRow]]:
    """(this screen's keys, the app's keys) as they stand now: enabled bindings with a description,
    each action once, with the longer tooltip where there is one."""
    app = screen.app
    own: list[KeyRow] = []
    everywhere: list[KeyRow] = []
    seen: set[tuple[int, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not active.enabled:
            continue
        mark = (id(active.node), binding.action)
        if mark in seen:
            continue
        seen.add(mark)
        row = (app.get_key_display(binding), binding.description, binding.tooltip, binding.id or "")
        (everywhere if active.node is app or binding.action in GENERIC_ACTIONS else own).append(row)
    return own, everywhere


class KeysHelp(OfficeDialog[None]):
    """The keys of the screen below, in a scrolling box; Escape, `?`, `q` or Enter closes it."""

    BINDINGS = [Binding("escape,question_mark,q,enter", "dismiss(None)", "Close", id="keys-close")]

    def __init__(self, title: str, own: list[KeyRow], everywhere: list[KeyRow]) -> None:
        super().__init__()
        self.help_title, self.own, self.everywhere = title, own, everywhere

    @classmethod
    def for_screen(cls, screen: Screen) -> KeysHelp:
        own, everywhere = screen_keys(screen)
        return cls(f"{screen.__class__.__name__.removesuffix('Screen')} keys", own, everywhere)

    def compose(self) -> ComposeResult:
        text = Text()
        width = max((len(key) for key, *_ in (*self.own, *self.everywhere)), default=4)
        for heading, rows in (("On this screen", self.own), ("Everywhere", self.everywhere)):
            if not rows:
                continue
            if text.plain:
                text.append("\n\n")
            text.append(heading, "bold underline")
            for key, name, more, binding_id in rows:
                text.append(f"\n{key:>{width}}  ", "bold")
                text.append(name)
                if more and more != name:
                    text.append(f" · {more}", "dim")
                if binding_id:
                    text.append(f"  [{binding_id}]", "dim italic")
        with Vertical(classes="dialog-box dialog-wide"):
            yield Static(Text(self.help_title, style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-text", can_focus=True):
                yield Static(text, id="keys-help")
            yield Static(Text("Esc or ? closes · Ctrl+P finds any action by name · [ids] choose other keys in "
                              "the settings file's keymap", style="dim"))

    def on_mount(self) -> None:
        self.query_one(".dialog-text").focus()
