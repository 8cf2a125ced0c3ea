"""While the passphrase is typed, the app builds the (empty) Inbox behind the unlock screen; what was
typed survives it, nothing of the office is shown, and after unlocking only the rows are left to load."""

from __future__ import annotations

import pytest
from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets import Input

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.unlock import UnlockScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from tests.ui.test_app_flows import PASSPHRASE, fill


@pytest.fixture
def office_with_mail(office, office_path):
    fill(office)
    office.close()
    return office_path


async def test_inbox_is_built_behind_the_unlock_screen_and_the_typed_passphrase_survives(office_with_mail):
    path = office_with_mail
    app = make_app(path, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and not app.screen.busy)
        half = len(PASSPHRASE) // 2
        await pilot.press(*PASSPHRASE[:half])
        await wait_for(pilot, lambda: app._in_a_stack("inbox"))  # built while they pause
        await pilot.pause(1.0)  # ...and its styles brought up to date
        assert isinstance(app.screen, UnlockScreen) and app.office is None
        box = app.screen.query_one("#passphrase", Input)
        assert box.value == PASSPHRASE[:half] and app.focused is box
        [inbox] = app.get_screen_stack("inbox")
        assert inbox.query_one("#messages", PagedTable).row_count == 0  # nothing loaded while locked
        await pilot.press(*PASSPHRASE[half:], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen)
                       and app.screen.query_one("#messages", PagedTable).row_count > 0)
