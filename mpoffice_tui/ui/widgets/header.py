"""The app's header: Textual's, made safe when a title changes while its screen is being dropped."""

from __future__ import annotations

from textual import events
from textual.widgets import Header as TextualHeader
from textual.widgets import Static


class Header(TextualHeader):
    """Textual's Header. Its own title watcher queries its title child and fails (NoMatches) when the
    watcher runs after a lock has begun dropping its screen; this one then does nothing."""

    def _on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # instead of Textual's handler, which registers the failing watcher

        def set_title() -> None:
            for title in self.query("HeaderTitle").results(Static):  # none once the screen is being dropped
                title.update(self.format_title())

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
