"""Snapshots of the casework screens on the small demo office: case list, case detail, constituent, statistics.

MPOFFICE_TODAY is pinned (tests/snapshots/conftest.py) so saved-view counts and chart months never drift.
"""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, settle, wait_for

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.case_list import CasesScreen
from mpoffice_tui.ui.screens.constituent import ConstituentScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"


async def _settle(pilot) -> None:
    await settle(pilot, 0.3)


async def _cases(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f3")

    def ready() -> bool:
        if not isinstance(app.screen, CasesScreen):
            return False
        table = app.screen.query_one("#cases", PagedTable)
        return table.loaded and table.cursor_row is not None and "(" in str(
            app.screen.query_one("#view-overdue").render())

    await wait_for(pilot, ready)
    await _settle(pilot)


async def _detail(pilot) -> None:
    app = pilot.app
    await _cases(pilot)
    await pilot.press("down", "down", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
    await _settle(pilot)


def test_casework_case_list(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=SIZE,
                        run_before=_cases)


def test_casework_case_list_80x24(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=(80, 24),
                        run_before=_cases)


def test_casework_case_detail(snap_compare, demo_office_path):
    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=SIZE,
                        run_before=_detail)


def test_casework_constituent(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _detail(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConstituentScreen) and app.screen.person is not None)
        await _settle(pilot)

    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=SIZE,
                        run_before=run_before)


def test_casework_statistics(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f6")
        await wait_for(pilot, lambda: getattr(app.screen, "stats", None) is not None)
        await _settle(pilot)

    assert snap_compare(make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE), terminal_size=SIZE,
                        run_before=run_before)
