"""The Surgery screen under Pilot, on the demo office with its today pinned: booking, a walk-in with one
key, arrival, and a visit captured into a new case in at most 6 keys besides the typing."""

from __future__ import annotations

import pytest
from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets import Checkbox, Input, OptionList, TextArea
from ui.test_no_database_on_event_loop import on_loop  # noqa: F401 - the fixture that watches the event loop

from conftest import PASSPHRASE
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.surgery import BookingDialog
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.surgery import SurgeryPersonScreen, SurgeryScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

DEMO_TODAY = "2026-11-02"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", DEMO_TODAY)


async def to_surgery(pilot) -> PagedTable:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f11")
    await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen) and app.screen.day is not None
                   and app.screen.query_one("#appointments", PagedTable).loaded)
    return app.screen.query_one("#appointments", PagedTable)


def rows(table: PagedTable) -> list:
    return [table.row_at(i) for i in range(table.row_count)]


async def cursor_to(pilot, table: PagedTable, test) -> object:
    for i, row in enumerate(rows(table)):
        if test(row):
            table.move_cursor(i)
            await wait_for(pilot, lambda row=row: table.cursor_row is row)
            return row
    raise AssertionError("no such row")


async def test_the_days_list_in_time_order_with_who_has_arrived(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_surgery(pilot)
        listed = rows(table)
        assert [a.time.split()[0] for a in listed] == ["10:00", "walk-in", "10:15", "10:30", "10:45", "11:15"]
        assert listed[0].status == "arrived" and listed[1].walk_in
        head = str(app.screen.query_one("#surgery-head").render())
        assert "Mon 2 Nov 2026, 10:00–13:00, Eastmoor Library" in head
        assert "2 here" in str(app.screen.query_one("#surgery-stats").render())
        booked = await cursor_to(pilot, table, lambda a: a.status == "booked")
        await pilot.press("a")
        await wait_for(pilot, lambda: any(a.id == booked.id and a.status == "arrived" for a in rows(table)))
        await pilot.press("left_square_bracket")  # the surgery before, with its statistics
        await wait_for(pilot, lambda: "Brackley Moor" in str(app.screen.query_one("#surgery-head").render()))
        stats = str(app.screen.query_one("#surgery-stats").render())
        assert "3 seen" in stats and "1 no-shows" in stats and "1 cases opened" in stats


async def test_booking_someone_from_the_list_of_known_people(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_surgery(pilot)
        before = table.row_count
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookingDialog))
        dialog = app.screen
        await pilot.press(*"MacDonald")
        people = dialog.query_one("#book-people", OptionList)
        await wait_for(pilot, lambda: people.option_count > 1)
        await pilot.press("enter", "enter")  # to the list, and the first person found
        await wait_for(pilot, lambda: dialog.who is not None)
        dialog.query_one("#field-topic", Input).value = "Pension credit"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen) and table.row_count == before + 1)
        new = next(a for a in rows(table) if a.topic == "Pension credit")
        assert new.slot == "11:00" and "MacDonald" in new.name  # the first free slot


async def test_a_walk_in_is_one_key_away(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_surgery(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, BookingDialog))
        dialog = app.screen
        assert dialog.walk_in and not dialog.query("#field-slot")
        await pilot.press(*"Ann Walker")
        people = dialog.query_one("#book-people", OptionList)
        await wait_for(pilot, lambda: people.option_count >= 1)
        await pilot.press("enter")
        people.highlighted = 0  # someone new
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.query_one("#book-surname", Input).value == "Walker")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen)
                       and any(a.name == "Ann Walker" for a in rows(table)))
        walker = next(a for a in rows(table) if a.name == "Ann Walker")
        assert walker.walk_in and walker.status == "arrived"


async def test_from_the_person_to_a_saved_case_in_at_most_six_keys(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_surgery(pilot)
        person = await cursor_to(pilot, table, lambda a: a.status == "booked" and "interpreter" in " ".join(a.needs))
        keys = 0

        async def key(*names: str) -> None:
            nonlocal keys
            keys += len(names)
            await pilot.press(*names)

        async def typing(text: str) -> None:  # typing is not counted
            await pilot.press(*text)

        await key("enter")  # the person across the table
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryPersonScreen) and app.screen.seen is not None)
        seen = app.screen.seen
        assert "Interpreter: Polish" in str(app.screen.query_one("#visit-flags").render())
        assert "on the register" in str(app.screen.query_one("#visit-register").render()).lower() \
            or seen.elector is None
        await key("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.form_title.startswith("Visit"))
        form = app.screen
        assert isinstance(app.focused, TextArea)
        await typing("My mother has been waiting eight months for the Home Office to decide her visa.")
        await key("tab")
        await typing("Write to the Home Office MP account")
        await key("tab")
        assert isinstance(app.focused, Checkbox)
        await key("space")
        await key("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not form)
        assert keys <= 6, keys
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryPersonScreen)
                       and app.screen.seen.appointment.status == "seen")
        done = app.screen.seen.appointment
        assert done.case_opened and done.case_ref
        from mpoffice_tui.services import cases, constituents

        detail = cases.get_case(app.office, done.case_ref)
        assert detail.case.title == "Settled status for my mother" and detail.case.category == "Immigration"
        assert [t.title for t in detail.tasks] == ["Write to the Home Office MP account"]
        assert any(i.channel == "surgery" and "eight months" in i.body for i in detail.timeline)
        assert any(c.case_id == done.case_id for c in constituents.get(app.office, person.constituent_id).consents)


@pytest.mark.parametrize("keys", [("b",), ("w",), ("n",), ("enter", "c")])
async def test_every_surgery_form_fits_80_by_24(demo_office_path, keys):
    from ui.test_keys_and_forms import assert_every_control_reachable

    from mpoffice_tui.ui.dialogs.base import OfficeDialog

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_surgery(pilot)
        for key in keys[:-1]:
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, SurgeryPersonScreen) and app.screen.seen is not None)
        await pilot.press(keys[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
        await pilot.pause()
        if isinstance(app.screen, BookingDialog):  # the person's fields show once "someone new" is chosen
            app.screen.query_one("#book-new").display = True
            await pilot.pause()
        await assert_every_control_reachable(pilot)


async def test_the_surgery_keys_are_in_the_help_and_the_palette(demo_office_path):
    from mpoffice_tui.ui.dialogs.keys import KeysHelp

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysHelp))
        assert "F11" in str(app.screen.query_one("#keys-help").render()) or "f11" in str(
            app.screen.query_one("#keys-help").render())
        await pilot.press("escape")
        await to_surgery(pilot)
        app.screen.set_focus(None)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for expected in ("No-show", "Move", "Cancel booking", "Email confirmation", "Reminders", "Print list",
                         "Still to do", "New surgery", "Previous surgery", "Next surgery"):
            assert any(t.startswith(f"{expected} (") for t in titles), (expected, titles)


async def test_the_surgery_screens_never_use_the_database_on_the_event_loop(demo_office_path, on_loop):  # noqa: F811
    from mpoffice_tui.ui.dialogs.base import OfficeDialog

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_surgery(pilot)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryPersonScreen) and app.screen._ready.is_set())
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen))
        for key in ("w", "b", "n"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, SurgeryScreen))
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "Wexcombe Town Hall" in str(app.screen.query_one("#surgery-head").render()))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.office is None)
    assert "\n".join(sorted(set(on_loop))) == ""
