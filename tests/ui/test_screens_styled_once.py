"""A screen's first visit does not restyle the whole app, and a theme change still reaches every screen."""

from __future__ import annotations

import pytest
from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.app import App

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.case_list import CasesScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen

PASSPHRASE = "correct horse battery"


@pytest.fixture
def closed_office(office, office_path):
    office.close()
    return office_path, None


async def test_first_visit_of_a_screen_does_not_restyle_the_app(closed_office, monkeypatch):
    path, _ = closed_office
    restyles: list[str] = []
    refresh_css = App.refresh_css

    def counted(self, *args, **kwargs):
        restyles.append(type(self.screen).__name__)
        refresh_css(self, *args, **kwargs)

    monkeypatch.setattr(App, "refresh_css", counted)
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.query_one("#messages").loaded)
        restyles.clear()  # (the unlock screen's first restyle sets the theme's variables: kept)
        for key, screen in (("f3", CasesScreen), ("f2", InboxScreen), ("f3", CasesScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda s=screen: isinstance(app.screen, s))
        assert restyles == []  # Textual 8.2 restyled every widget twice on the first switch to each mode


async def test_a_theme_change_reaches_a_screen_built_before_it(closed_office):
    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        dark = app.screen.styles.background
        app.theme = "textual-light"
        await pilot.pause()
        light = app.screen.styles.background
        assert light != dark
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))
        await pilot.pause()
        assert app.screen.styles.background == light  # restyled with the new theme when shown again
