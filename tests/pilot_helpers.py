"""Small helpers shared by the Pilot tests in tests/ui/."""

from __future__ import annotations

import time

from mpoffice_tui.config import Settings

SIZE = (100, 30)
NO_IDLE = Settings(idle_lock_minutes=0)


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:
    """Let the app run until `condition()` holds (DB work happens in thread workers)."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


async def unlock(pilot, passphrase: str = "correct horse battery") -> None:
    """Type the passphrase on the unlock screen (the conftest offices' by default) and press Enter; returns
    once the office is open, or the unlock screen has answered."""
    from textual.widgets import Input

    from mpoffice_tui.ui.screens.unlock import UnlockScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and not app.screen.busy)
    app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.office is not None or not app.screen.busy)


async def settle(pilot, pause: float = 0.2) -> None:
    """Let every running worker finish, then one short pause for the last paint. A worker cancelled
    meanwhile (an exclusive one replaced by a newer one, such as the header's status) counts as finished:
    Textual's `wait_for_complete` raised WorkerCancelled for it, failing snapshots on a busy machine."""
    import asyncio

    from textual.worker import WorkerCancelled

    done = await asyncio.gather(*(worker.wait() for worker in list(pilot.app.workers)), return_exceptions=True)
    failed = [e for e in done if isinstance(e, BaseException) and not isinstance(e, WorkerCancelled)]
    if failed:
        raise failed[0]
    await pilot.pause(pause)


async def to_cases(pilot):
    """From the Inbox, open the Cases screen and wait for its table; returns the table."""
    from mpoffice_tui.ui.screens.case_list import CasesScreen
    from mpoffice_tui.ui.screens.inbox import InboxScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and app.screen.query_one("#cases").loaded)
    return app.screen.query_one("#cases", PagedTable)


def drawn_text(widget) -> str:
    """The text a widget draws in its visible region, line by line, as the terminal would show it."""
    from textual.geometry import Region

    size = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, size.width, size.height)))
