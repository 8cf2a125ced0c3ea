"""What every screen that shows office data shares: the header, the footer, the open office."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual import getters

    from mpoffice_tui.ui.app import OfficeApp

ScreenState = dict[str, object]
"""Where the person is on a screen (`keep` / `resume`): JSON-able values, kept in the office across a lock and
read back, possibly by another version of the app, so `resume` checks each value's type before using it."""


class OfficeScreen(Screen):
    """A screen of office data. Removed from the app when the office locks.

    `self.app.office` is the open office, or None once locked: check it, and do database work only
    through `ui/work.run_office` (a thread worker) or a PagedTable source.

    Across a lock (see `ui/workspace.py`): `keep()` says where the person was on this screen (a list's
    filters and cursor, the case shown) and `resume(state)` puts them back; a screen pushed on top of a
    mode's list names itself with `KEEP_AS` so it can be opened again. A screen that loads its data says
    so with `LOADS_DATA` and calls `mark_ready()` once the data is on screen.
    """

    KEEP_AS: ClassVar[str | None] = None
    LOADS_DATA: ClassVar[bool] = False

    if TYPE_CHECKING:  # the running app, typed (Textual's own property at run time)
        app = getters.app(OfficeApp)

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self._ready = asyncio.Event()

    def on_mount(self) -> None:
        if not self.LOADS_DATA:
            self.mark_ready()

    def mark_ready(self) -> None:
        self._ready.set()

    def mark_loading(self) -> None:
        self._ready.clear()

    async def ready(self, timeout: float = 10.0) -> bool:
        """Wait until this screen's data is on screen (False when it did not come in `timeout`)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def keep(self) -> ScreenState:
        """Where the person is on this screen, as JSON-able values (see `resume`)."""
        return {}

    def resume(self, state: ScreenState) -> None:
        """Put the person back where `keep` said they were."""

    def on_screen_resume(self) -> None:
        self.app.refresh_status()
