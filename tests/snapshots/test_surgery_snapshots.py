"""Snapshots of the Surgery screen (F11) on the small demo office, on its pinned today (2026-11-02, a surgery
day): the list in time order with who has arrived, a walk-in, a caution and an interpreter; 80×24 and 120×36.
Arrival times are shown in this computer's time zone, so the zone is pinned to UTC here."""

from __future__ import annotations

import time

import pytest
from pilot_helpers import NO_IDLE, settle, wait_for

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.surgery import SurgeryScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _surgery(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f11")
    await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen) and app.screen.day is not None
                   and app.screen.query_one("#appointments", PagedTable).loaded)
    await settle(pilot, 0.3)


def test_surgery_screen_80x24(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=(80, 24),
                        run_before=_surgery)


def test_surgery_screen_120x36(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=(120, 36),
                        run_before=_surgery)
