"""A lock keeps the work: a half-written note survives Ctrl+L or an idle lock, kept encrypted inside the
office (not in memory, not in a plain file), and unlocking returns to the same case with the same text."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, to_cases, unlock, wait_for
from textual.widgets import Input, TextArea

from mpoffice_tui.config import Settings
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import OfficeInUse
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.unlock import UnlockScreen

PASSPHRASE = "correct horse battery"
NOTE = "Rang Wexford housing: Kwame's landlord agreed to fix the damp by Friday"



def kept_in_plaintext(office_path) -> bool:
    """Is the note's text anywhere on disk in the clear (the office file, its WAL, anything beside it)?"""
    needle = NOTE.encode("utf-8")
    return any(needle in f.read_bytes() for f in office_path.parent.rglob("*") if f.is_file())


async def start_a_note(pilot) -> str:
    app = pilot.app
    await to_cases(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
    case_id = app.screen.case_id
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.query(TextArea))
    app.screen.query_one(TextArea).text = NOTE
    app.screen.query_one("#field-confidential").value = True
    return case_id


async def the_note_is_back(pilot, case_id: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog)
                   and any(area.text == NOTE for area in app.screen.query(TextArea)))
    assert app.current_mode == "cases"
    below = app.screen_stack[-2]
    assert isinstance(below, CaseDetailScreen) and below.case_id == case_id
    assert app.screen.query_one("#field-confidential").value is True
    await pilot.press("ctrl+s")  # and it saves as any note does
    await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None
                   and any(NOTE in (item.body or "") for item in app.screen.detail.detail.timeline))


async def test_ctrl_l_keeps_a_half_written_note_encrypted_and_gives_it_back(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        case_id = await start_a_note(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.office is None)
        opened = []

        def closed_by_the_app() -> bool:
            try:
                opened.append(open_office(demo_office_path, PASSPHRASE))
            except OfficeInUse:
                return False
            return True

        await wait_for(pilot, closed_by_the_app)
        office = opened[0]
        # while locked: the text is in the office (encrypted), nowhere on disk in the clear
        assert not kept_in_plaintext(demo_office_path)
        try:
            with office.engine.connect() as conn:
                kept = [row[0] for row in conn.exec_driver_sql("SELECT value FROM office_meta WHERE key LIKE "
                                                               "'workspace:%'")]
        finally:
            office.close()
        assert len(kept) == 1 and NOTE in kept[0]
        await unlock(pilot)
        await the_note_is_back(pilot, case_id)


async def test_an_idle_lock_keeps_it_too(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=Settings(idle_lock_minutes=0.05))  # 3 s
    async with app.run_test(size=SIZE) as pilot:
        case_id = await start_a_note(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.office is None, timeout=20)
        await unlock(pilot)
        await the_note_is_back(pilot, case_id)


async def test_a_reply_being_written_comes_back_on_the_same_message(demo_office_path):
    from mpoffice_tui.ui.dialogs.simple import ChooseDialog
    from mpoffice_tui.ui.screens.inbox import InboxScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.detail is not None)
        await pilot.press("3")  # the Suggested lane, third message
        await wait_for(pilot, lambda: app.screen.lane == "suggested" and app.screen.detail is not None)
        await pilot.press("j", "j")
        table = app.screen.query_one("#messages", PagedTable)
        await wait_for(pilot, lambda: table.cursor == 2 and app.screen.detail.id == table.cursor_row.id)
        message_id = table.cursor_row.id
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, (ChooseDialog, FormDialog)))
        if isinstance(app.screen, ChooseDialog):
            await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.query(TextArea))
        app.screen.query_one(TextArea).text = NOTE
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.office is None)
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog)
                   and any(area.text == NOTE for area in app.screen.query(TextArea)))
        inbox = app.screen_stack[-2]
        assert isinstance(inbox, InboxScreen) and inbox.lane == "suggested"
        assert inbox.current_id() == message_id


async def test_the_case_list_comes_back_with_its_search_filters_sort_and_row(demo_office_path):
    from mpoffice_tui.ui.dialogs.form import FormValues
    from mpoffice_tui.ui.screens.case_list import CasesScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_cases(pilot)
        screen = app.screen
        screen.filters = FormValues({"status": "open"})  # (what the filter form hands back)
        screen.set_sort("ref", descending=False)
        screen.query_one("#case-search", Input).value = "a-002"
        await wait_for(pilot, lambda: screen.search_text == "a-002" and table.loaded and table.row_count > 3)
        await pilot.press("down", "down", "down")
        await wait_for(pilot, lambda: table.cursor == 3)
        row_id = table.cursor_row.id
        summary = str(screen.query_one("#cases-summary").render())
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.office is None)
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and app.screen.query_one(
            "#cases", PagedTable).loaded and app.screen.query_one("#cases", PagedTable).cursor_row is not None
            and app.screen.query_one("#cases", PagedTable).cursor_row.id == row_id)
        again = app.screen
        assert again is not screen  # a new screen (the old one was dropped), in the same place
        assert (again.filters, again.sort, again.descending, again.search_text) == ({"status": "open"}, "ref",
                                                                                    False, "a-002")
        assert again.query_one("#case-search", Input).value == "a-002"
        assert str(again.query_one("#cases-summary").render()) == summary
