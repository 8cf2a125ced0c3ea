"""The case timeline (one virtualised list, newest first), the reused case screen, and the key bar,
under Pilot on a real encrypted office."""

from __future__ import annotations

import pytest
from pilot_helpers import NO_IDLE, drawn_text, wait_for

from mpoffice_tui.services import cases, constituents
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.simple import TextDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen, load_case
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.timeline import FIRST_SCREENFUL, Timeline
from tests.ui.test_case_flows import PASSPHRASE

NOTES = FIRST_SCREENFUL + 36  # more than the first screenful, so the rest is added after a frame


@pytest.fixture
def two_cases(office, office_path):
    person = constituents.create(office, forenames="Ola", surname="Pennant")
    long = cases.create_case(office, constituent_id=person.id, title="Long-running housing case")
    for n in range(NOTES):
        cases.add_note(office, long.id, f"Housing note number {n}\nsecond line of note {n}")
    short = cases.create_case(office, constituent_id=person.id, title="Passport delay")
    cases.add_note(office, short.id, "Only the passport note")
    office.close()
    return office_path, long, short


async def open_case(pilot, case_id: str) -> CaseDetailScreen:
    app = pilot.app
    await app.open_case(case_id)
    await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None
                   and app.screen.detail.id == case_id)
    return app.screen


async def test_long_timeline_is_newest_first_complete_and_each_item_opens(two_cases):
    path, long, _ = two_cases
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = await open_case(pilot, long.id)
        timeline = screen.query_one(Timeline)
        await wait_for(pilot, lambda: timeline.option_count == NOTES + 1)  # the notes and the case's opening
        stamps = [item.at for item in timeline.items]
        assert stamps == sorted(stamps, reverse=True)
        assert timeline.highlighted == 0
        await pilot.pause()
        assert f"Housing note number {NOTES - 1}" in drawn_text(timeline)
        await pilot.press("end")
        oldest_note = max(n for n, i in enumerate(timeline.items) if i.kind == "note")
        while timeline.highlighted != oldest_note:
            await pilot.press("up")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "second line of note 0" in str(app.screen.query_one("#dialog-body").render())


async def test_the_case_screen_is_reused_and_shows_nothing_of_the_last_case(two_cases):
    path, long, short = two_cases
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        first = await open_case(pilot, long.id)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CaseDetailScreen))
        second = await open_case(pilot, short.id)
        assert second is first
        await pilot.pause()
        shown = drawn_text(second.query_one(Timeline)) + str(second.query_one("#case-head").render())
        assert "Passport delay" in shown and "Only the passport note" in shown
        assert "Housing" not in shown

        # a late answer for the case shown before is dropped
        # the long case's data, as a late worker would post it
        second.call_later(second.show_loaded, load_case(app.office, long.id))
        await pilot.pause(0.2)
        assert second.detail.id == short.id
        assert "Housing" not in drawn_text(second.query_one(Timeline))

        # locking drops it: the next unlock builds a fresh one
        await pilot.press("escape")
        await app.lock("test")
        assert app.case_screen(long.id) is not first


async def test_key_bar_keys_are_clickable_and_the_palette_key_stays_visible_at_80_columns(two_cases):
    path, _, short = two_cases
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = await open_case(pilot, short.id)
        bar = screen.query_one(KeyBar)
        line = drawn_text(bar)
        assert line.rstrip().endswith("^p palette") and len(line) == 80
        assert " n Note " in line
        await pilot.click(KeyBar, offset=(line.index(" n Note ") + 1, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert "note" in str(app.screen.query_one(".dialog-title").render()).lower()


async def test_cases_and_the_case_screen_are_built_while_the_inbox_is_read(two_cases):
    from mpoffice_tui.ui.screens.case_list import CasesScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    path, long, _ = two_cases
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 30)) as pilot:
        # the inbox's own focus first (its lane tabs, then its list once the first rows are in)
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.focused is not None
                       and app.focused.id == "messages")
        focused = app.focused
        # quiet: the app builds the other screens behind the inbox (a busy machine takes longer)
        await wait_for(pilot, lambda: app._in_a_stack("cases") and app._case_spare is not None
                       and app._case_spare.is_mounted)
        cases_table = app.get_screen_stack("cases")[0].query_one("#cases", PagedTable)
        await wait_for(pilot, lambda: cases_table.loaded)  # its first page is read in the background too
        assert isinstance(app.screen, InboxScreen) and app.focused is focused  # the person saw none of it
        screen = app.case_screen(long.id)
        assert screen.is_mounted  # built already: opening it costs only the case's data
        await pilot.press("f3")
        assert isinstance(app.screen, CasesScreen)
        assert app.screen.query_one("#cases", PagedTable).row_count == 2  # shown at once: nothing left to load
