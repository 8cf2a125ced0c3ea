"""What every screen that shows office data shares: the header, the footer, the open office."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.screen import Screen

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office


class OfficeScreen(Screen):
    """A screen of office data. Removed from the app when the office locks.

    `self.app.office` is the open office, or None once locked: check it, and do database work only
    through `fetch` (a thread worker) or a PagedTable source.
    """

    def on_screen_resume(self) -> None:
        refresh_status = getattr(self.app, "refresh_status", None)
        if refresh_status is not None:
            refresh_status()

    def fetch(self, group: str, query: Callable[[Office], Any], reply: Callable[[Any], Message]) -> None:
        """Run `query(office)` in a thread worker and post `reply(result)` back to this screen.

        If the office locks meanwhile the result is dropped; a real failure becomes a notification,
        never a crash.
        """
        office = getattr(self.app, "office", None)
        if office is None:
            return
        app = self.app

        def work() -> None:
            try:
                result = query(office)
            except Exception as exc:  # noqa: BLE001 - reported, never a traceback on screen
                if app.office is office:  # type: ignore[attr-defined]
                    app.call_from_thread(app.notify, f"Could not load: {exc}", severity="error")
                return
            self.post_message(reply(result))

        self.run_worker(work, thread=True, exclusive=True, group=group)
