"""SVG snapshot of the Sync screen on the small demo office (the random site id is masked)."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, settle, wait_for
from rich.text import Text

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.sync import SyncScreen

PASSPHRASE = "correct horse battery"  # the conftest's demo office passphrase


async def _settle(pilot) -> None:
    await settle(pilot, 0.2)


def test_sync_screen(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and "sync" in app.sub_title)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncScreen) and app.screen.loads >= 1)
        await _settle(pilot)
        site_id = app.screen.overview.summary.site_id
        machine = app.screen.query_one("#sync-machine")
        assert site_id in str(machine.render())
        machine.update(Text(str(machine.render()).replace(site_id, "<site id>")))  # differs per build
        await _settle(pilot)

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
