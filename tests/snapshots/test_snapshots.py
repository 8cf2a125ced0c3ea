"""One SVG snapshot per main screen of the small demo office (deterministic: no clock on screen)."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, settle, wait_for
from textual.widgets import Input

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.cases import CaseDetailScreen, CasesScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.register import RegisterScreen
from mpoffice_tui.ui.screens.unlock import UnlockScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"  # the conftest's demo office passphrase


def _loaded(app, selector: str) -> bool:
    tables = app.screen.query(selector)
    return bool(tables) and tables.first(PagedTable).loaded and tables.first(PagedTable).cursor_row is not None


async def _settle(pilot) -> None:
    await settle(pilot, 0.2)


async def _inbox(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and _loaded(app, "#messages"))
    await wait_for(pilot, lambda: "sync" in app.sub_title)
    await wait_for(pilot, lambda: str(app.screen.query_one("#preview-head").render()).strip() != "")
    await _settle(pilot)


def test_unlock_screen(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and not app.screen.busy)
        await wait_for(pilot, lambda: "keyring" in str(app.screen.query_one("#keyring-note").render()))
        app.screen.query_one("#passphrase", Input).cursor_blink = False
        await _settle(pilot)

    assert snap_compare(make_app(demo_office_path, settings=NO_IDLE), terminal_size=SIZE, run_before=run_before)


def test_inbox_screen(snap_compare, demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    assert snap_compare(app, terminal_size=SIZE, run_before=_inbox)


def test_cases_screen(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _inbox(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and _loaded(app, "#cases"))
        await _settle(pilot)

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_case_detail_screen(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _inbox(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and _loaded(app, "#cases"))
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await _settle(pilot)

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_register_screen(snap_compare, demo_office_path):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _inbox(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and _loaded(app, "#electors"))
        await pilot.press(*"WX1")
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: _loaded(app, "#electors") and app.screen.result is not None
                       and app.screen.result.query == "WX1" and "WX1" in str(
                           app.screen.query_one("#elector-card").render()))
        app.screen.query_one("#register-search", Input).cursor_blink = False
        await _settle(pilot)

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
