"""The footer: the screen's keys on one line, drawn as one widget.

Textual's Footer builds a widget per key and restyles each whenever focus moves; on a busy screen that
was most of the time it took to open a case. This bar draws the same keys as one line of text, keeps
the command palette key at the right edge, and runs a key when it is clicked.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget):
    """The keys of the focused screen that are marked `show`, each clickable."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    KeyBar > .keybar--key { color: $footer-key-foreground; background: $footer-key-background;
                            text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { color: $text-disabled; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []  # (first cell, end cell, key) of each drawn key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        if screen is self.screen:
            self.refresh()

    def _keys(self) -> tuple[list[tuple[str, str, str, bool]], tuple[str, str, str, bool] | None]:
        """(key, shown key, description, enabled) of the keys to draw, and of the palette key."""
        keys, seen, palette = [], set(), None
        for key, (_, binding, enabled, _tip) in self.screen.active_bindings.items():
            entry = (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            if key == self.app.COMMAND_PALETTE_BINDING and self.app.ENABLE_COMMAND_PALETTE:
                palette = entry
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append(entry)
        return keys, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        off_style = self.get_component_rich_style("keybar--disabled")
        keys, palette = self._keys()

        def draw(into: Text, entry: tuple[str, str, str, bool], spans: list[tuple[int, int, str]]) -> None:
            key, shown, description, enabled = entry
            start = into.cell_len
            into.append(f" {shown} ", key_style if enabled else off_style)
            into.append(f"{description} " if description else "", text_style if enabled else off_style)
            spans.append((start, into.cell_len, key))

        spans: list[tuple[int, int, str]] = []
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        for entry in keys:
            draw(line, entry, spans)
        if palette is not None:  # kept at the right edge, however many keys there are
            tail, tail_spans = Text(end=""), []
            draw(tail, palette, tail_spans)
            right = max(0, self.size.width - tail.cell_len - 1)  # a space before it
            if line.cell_len > right:
                line.truncate(right, overflow="ellipsis")
                spans = [span for span in spans if span[1] <= right]
            line.append(" " * (right + 1 - line.cell_len))
            line.append_text(tail)
            spans += [(a + right + 1, b + right + 1, key) for a, b, key in tail_spans]
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
