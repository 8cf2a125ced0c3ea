"""What every screen that shows office data shares: the header, the footer, the open office."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual.screen import Screen

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp


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

    if TYPE_CHECKING:
        @property
        def app(self) -> OfficeApp: ...  # the running app, typed (Textual's own property at run time)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def keep(self) -> dict[str, Any]:
        """Where the person is on this screen, as JSON-able values (see `resume`)."""
        return {}

    def resume(self, state: dict[str, Any]) -> None:
        """Put the person back where `keep` said they were."""

    def on_screen_resume(self) -> None:
        self.app.refresh_status()
