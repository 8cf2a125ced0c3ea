"""The footer: the screen's keys on one line, drawn as one widget.

Textual's Footer builds a widget per key and restyles each whenever focus moves; on a busy screen that
was most of the time it took to open a case. This bar draws the same keys as one line of text, keeps
the command palette key at the right edge, and runs a key when it is clicked.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget

Entry = tuple[str, str, str, bool]  # (key, key as shown, description, enabled)
MORE: Entry = ("question_mark", "?", "more", True)


def entry_width(entry: Entry) -> int:
    """Cells a key takes in the bar: " key " and "description "."""
    return cell_len(f" {entry[1]} ") + (cell_len(f"{entry[2]} ") if entry[2] else 0)


class KeyBar(Widget):
    """The keys of the focused screen that are marked `show`, each clickable; Quit and the palette at the right."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    KeyBar > .keybar--key { color: $footer-key-foreground; background: $footer-key-background;
                            text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { color: $text-disabled; }
    """

    def __init__(self, *, id: str | None = None, own_only: bool = False) -> None:
        super().__init__(id=id)
        self.own_only = own_only  # a dialog's bar: its own keys, not the app's screen keys (F2, Lock…)
        self._spans: list[tuple[int, int, str]] = []  # (first cell, end cell, key) of each drawn key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        if screen is self.screen:
            self.refresh()

    def _keys(self) -> tuple[list[Entry], list[Entry], list[Entry]]:
        """The keys to draw: (this screen's, the app's such as F2 and Lock, those kept at the right edge:
        Quit and the command palette, in sight however many keys a screen has)."""
        own: list[Entry] = []
        app_keys: list[Entry] = []
        right: list[Entry] = []
        seen: set[str] = set()
        for key, (node, binding, enabled, _tip) in self.screen.active_bindings.items():
            entry = (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            if key == self.app.COMMAND_PALETTE_BINDING and self.app.ENABLE_COMMAND_PALETTE:
                right.append(entry)
            elif binding.id == "quit":
                right.insert(0, entry)
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                if node is not self.app:
                    own.append(entry)
                elif not self.own_only:
                    app_keys.append(entry)
        return own, app_keys, right

    def _fitting(self, room: int) -> list[Entry]:
        """Whole keys only, never one cut in half: the screen's own first, then the app's; when the
        screen's own do not all fit, the last place says `? more` (the full list)."""
        own, app_keys, _ = self._keys()
        chosen: list[Entry] = []
        used = 0
        for n, entry in enumerate(own):
            if used + entry_width(entry) + (entry_width(MORE) if n < len(own) - 1 else 0) > room:
                return chosen + ([MORE] if used + entry_width(MORE) <= room else [])
            chosen.append(entry)
            used += entry_width(entry)
        for entry in app_keys:
            if used + entry_width(entry) > room:
                break
            chosen.append(entry)
            used += entry_width(entry)
        return chosen

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        off_style = self.get_component_rich_style("keybar--disabled")

        def draw(into: Text, entry: Entry, spans: list[tuple[int, int, str]]) -> None:
            key, shown, description, enabled = entry
            start = into.cell_len
            into.append(f" {shown} ", key_style if enabled else off_style)
            into.append(f"{description} " if description else "", text_style if enabled else off_style)
            spans.append((start, into.cell_len, key))

        tail, tail_spans = Text(end=""), list[tuple[int, int, str]]()
        for entry in self._keys()[2]:
            draw(tail, entry, tail_spans)
        room = max(0, self.size.width - tail.cell_len - (1 if tail.cell_len else 0))
        spans: list[tuple[int, int, str]] = []
        line = Text(no_wrap=True, overflow="crop", end="")
        for entry in self._fitting(room):
            draw(line, entry, spans)
        if tail.cell_len:
            line.append(" " * (room + 1 - line.cell_len))
            line.append_text(tail)
            spans += [(a + room + 1, b + room + 1, key) for a, b, key in tail_spans]
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
