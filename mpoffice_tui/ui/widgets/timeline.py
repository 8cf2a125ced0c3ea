"""A case's timeline as one virtualised list: only the lines on screen are drawn, however long the case.

Each item is an `OptionList` option (heading plus a few preview lines), so a case with hundreds of
messages and notes opens as fast as one with three. Enter or a click opens the highlighted item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

FIRST_SCREENFUL = 24  # items drawn before the rest are added: more than a tall terminal shows


ItemT = TypeVar("ItemT")  # what the timeline lists (a case's TimelineItem)
MessageItemT = TypeVar("MessageItemT")


class Timeline(OptionList, Generic[ItemT]):
    """The items of a case, in the order given; `Timeline.Open` is posted for the item chosen."""

    DEFAULT_CSS = """
    Timeline, Timeline:focus { height: 1fr; max-height: 100%; border: none; padding: 0;
                               background: $background; background-tint: 0%; }
    Timeline > .option-list--option { padding: 0 1; }
    Timeline > .option-list--option-highlighted { color: $foreground; background: $boost; text-style: none; }
    Timeline:focus > .option-list--option-highlighted { color: $foreground; background: $primary 25%;
                                                        text-style: none; }
    """

    BINDINGS = [Binding("enter", "select", "Read", id="timeline-select", show=False)]

    class Open(Message, Generic[MessageItemT]):
        """The caseworker asked to read an item in full."""

        def __init__(self, item: MessageItemT) -> None:
            super().__init__()
            self.item = item

    def __init__(self, render: Callable[[ItemT], Text], *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._render_item = render
        self.items: tuple[ItemT, ...] = ()
        self._generation = 0  # bumped by each show(), so a late "add the rest" of an older one is dropped

    def show(self, items: Sequence[ItemT], *, empty: str) -> None:
        """Replace the items, newest first: stay on the same item when nothing was added, else go to the top.

        The first screenful is drawn at once and the rest is added after that frame, so a case with
        hundreds of items shows as fast as a short one."""
        was, had = self.highlighted, len(self.items)
        self.items = tuple(items)
        self._generation += 1
        if not self.items:
            self.set_options([Option(Text(empty, style="italic"), disabled=True)])
            return
        # None after an option draws a divider line under it
        options: list[Option | None] = []
        for item in self.items:
            options += [Option(self._render_item(item)), None]
        options.pop()
        target = was if was is not None and len(self.items) == had else 0
        first, rest = options[:2 * FIRST_SCREENFUL], options[2 * FIRST_SCREENFUL:]
        self.set_options(first)
        if not rest:
            self.highlighted = target
            return
        if target < FIRST_SCREENFUL:
            self.highlighted = target
        generation = self._generation

        def add_rest() -> None:
            if generation == self._generation:
                self.add_options(rest)
                if target >= FIRST_SCREENFUL:
                    self.highlighted = target

        self.call_after_refresh(add_rest)

    @property
    def highlighted_item(self) -> ItemT | None:
        if self.highlighted is None or self.highlighted >= len(self.items):
            return None
        return self.items[self.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.items):
            self.post_message(self.Open(self.items[event.option_index]))
