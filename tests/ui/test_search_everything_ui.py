"""Search everything under Pilot: Ctrl+F from any screen, typing (debounced, off the UI thread), opening hits."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets import Input, OptionList

from conftest import PASSPHRASE
from mpoffice_tui.services import cases, constituents
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.search import SearchDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.constituent import ConstituentScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.register import RegisterScreen


def _plant(office):
    person = constituents.create(office, forenames="Mary", surname="O'Brien", postcode="WX1 2AB")
    case = cases.create_case(office, constituent_id=person.id, title="[bold]Damp[/bold] in the flat")
    cases.add_note(office, case.ref, "Black mould in the bedroom, [red]not markup[/red].")
    return person, case


async def search_from_inbox(pilot, text: str, kind: str) -> None:
    """From the Inbox, Ctrl+F, type `text` and wait until hits of `kind` are listed."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog))
    await pilot.press(*text)
    await wait_for(pilot, lambda: showing(app, kind))


def showing(app, kind: str) -> bool:
    screen = app.screen
    return isinstance(screen, SearchDialog) and any(h.kind == kind for h in screen.hits.values())


async def test_ctrl_f_typing_and_opening_a_case_and_a_person(office, office_path):
    person, case = _plant(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await search_from_inbox(pilot, "mould", "note")
        await pilot.press("enter")  # the first hit: the case, whose title holds the word
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        assert app.screen.detail.detail.case.id == case.id

        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog))
        await pilot.press(*"obrian")  # a typo, typed joined up
        await wait_for(pilot, lambda: showing(app, "constituent"))
        await pilot.press("down")  # to the list: the first hit highlighted
        listing = app.screen.query_one("#search-results", OptionList)
        await wait_for(pilot, lambda: listing.has_focus and listing.highlighted is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConstituentScreen) and app.screen.person is not None)
        assert app.screen.constituent_id == person.id


async def test_results_follow_the_latest_text_and_escape_closes(office, office_path):
    _plant(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        await pilot.press("f10")  # the Register keeps Ctrl+F for its own search box
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog))
        box = app.screen.query_one("#search-text", Input)
        await pilot.press(*"damp")
        await pilot.press(*["backspace"] * 4, *"zzqq")
        await wait_for(pilot, lambda: app.screen.shown_query == "zzqq")
        assert app.screen.hits == {} and box.value == "zzqq"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))


async def test_a_click_opens_the_hit(office, office_path):
    _, case = _plant(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await search_from_inbox(pilot, "damp", "case")
        listing = app.screen.query_one("#search-results", OptionList)
        await pilot.click(listing, offset=(4, 1))  # the row under the "Cases" heading
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        assert app.screen.detail.detail.case.id == case.id
