"""The MP's desk: the Approvals lane of the inbox on the small demo office (two letters and an email waiting,
one letter returned with a comment), the first one read in the preview."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, settle, wait_for

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"


async def _approvals(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.query_one("#messages").loaded)
    await pilot.press("7")
    screen = app.screen
    table = screen.query_one("#messages", PagedTable)
    await wait_for(pilot, lambda: screen.lane == "approvals" and table.loaded and table.cursor_row is not None
                   and screen.counts.get("approvals") == 4)
    await wait_for(pilot, lambda: "3 to approve" in app.sub_title)
    await wait_for(pilot, lambda: str(screen.query_one("#preview-head").render()).strip() != "")
    await settle(pilot, 0.3)


def test_approvals_lane(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=SIZE,
                        run_before=_approvals)
