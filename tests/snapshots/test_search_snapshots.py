"""Snapshot of the search-everything dialog on the small demo office (pinned date), at 80×24."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, settle, wait_for
from textual.widgets import OptionList

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.search import SearchDialog
from mpoffice_tui.ui.screens.inbox import InboxScreen

PASSPHRASE = "correct horse battery"


async def _search(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await app.screen.ready()
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog))
    await pilot.press(*"o'brien")
    await wait_for(pilot, lambda: app.screen.shown_query == "o'brien" and app.screen.hits)
    await pilot.press("down")  # the list, first hit highlighted (and no blinking cursor in the box)
    listing = app.screen.query_one("#search-results", OptionList)
    await wait_for(pilot, lambda: listing.has_focus and listing.highlighted is not None)
    await settle(pilot, 0.3)


def test_search_everything_dialog_80x24(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=(80, 24),
                        run_before=_search)
