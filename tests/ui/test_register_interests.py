"""The Register of Interests tab under Pilot: add an entry by keyboard, see the verdict, mark not advantaged."""

from __future__ import annotations

from pilot_helpers import wait_for
from textual.widgets import Input

from conftest import PASSPHRASE
from mpoffice_tui.config import Settings
from mpoffice_tui.services import interests as svc
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.interests import InterestForm, InterestsPane, ReasonScreen
from mpoffice_tui.ui.screens.register import RegisterScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

SIZE = (110, 32)
NO_IDLE = Settings(idle_lock_minutes=0)




def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_register(pilot) -> RegisterScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
    return app.screen


async def test_add_entry_see_verdict_then_not_advantaged(office, office_path):
    svc.add_entry(office, staff="Ann Manager", kind="gift", source="Acme Lobbying Ltd", value_pence=30000,
                  received_on="2025-01-10")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        await pilot.press("ctrl+t")
        pane = screen.query_one(InterestsPane)
        await wait_for(pilot, lambda: pane.loads >= 1)
        pane.query_one("#interests-year", Input).value = "2025"
        entries = pane.query_one("#interests-entries", PagedTable)
        await wait_for(pilot, lambda: pane.loaded_year == 2025 and entries.loaded and entries.row_count == 1)
        assert "Not registrable" in shown(app, "#verdicts-text")  # £300 is under the £450 threshold

        entries.focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, InterestForm))
        form = app.screen
        assert form.query_one("#f-staff", Input).value == "Ann Manager"
        form.query_one("#f-source", Input).value = "Acme Lobbying Ltd"
        await pilot.press("tab", *"200", "tab")  # source, value, then the date
        assert form.focused is form.query_one("#f-date", Input)
        form.query_one("#f-date", Input).value = "2025-03-02"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, InterestForm))
        await wait_for(pilot, lambda: entries.loaded and entries.row_count == 2)
        verdicts = shown(app, "#verdicts-text")
        assert "MUST REGISTER" in verdicts and "by 2025-03-30" in verdicts
        assert "crossed on 2025-03-02" in verdicts and "cumulatively over 2 entries" in verdicts

        entries.move_cursor(1)
        await wait_for(pilot, lambda: entries.cursor_row is not None and entries.cursor_row.value_pence == 20000)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        app.screen.query_one("#reason", Input).value = "Family friend, nothing to do with the pass"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "MUST REGISTER" not in shown(app, "#verdicts-text"))
        verdicts = shown(app, "#verdicts-text")
        assert "not advantaged by the pass" in verdicts and "Family friend" in verdicts


async def test_form_refuses_a_bad_value_and_keeps_the_form(office, office_path):
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        await pilot.press("ctrl+t")
        pane = screen.query_one(InterestsPane)
        await wait_for(pilot, lambda: pane.loads >= 1)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, InterestForm))
        app.screen.query_one("#f-source", Input).value = "Someone"
        await pilot.press("tab", *"lots", "enter")
        await wait_for(pilot, lambda: "not an amount" in shown(app, "#f-error"))
        assert isinstance(app.screen, InterestForm)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InterestForm))
