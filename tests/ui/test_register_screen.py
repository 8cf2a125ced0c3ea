"""The Register screen under Pilot on real offices: lookup, advice, import from the TUI, bulk list rights."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import wait_for
from textual.widgets import Input

from conftest import PASSPHRASE
from mpoffice_tui.config import Settings
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.register import RegisterScreen
from mpoffice_tui.ui.screens.register_import import ImportRegisterScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

SIZE = (110, 32)
NO_IDLE = Settings(idle_lock_minutes=0)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "register"




def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_register(pilot) -> RegisterScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen)
                   and app.screen.query_one("#electors", PagedTable).loaded)
    return app.screen


async def search(pilot, screen: RegisterScreen, text: str) -> None:
    screen.query_one("#register-search", Input).value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.result is not None and screen.result.query == text
                   and screen.query_one("#electors", PagedTable).loaded)


async def test_lookup_finds_siobhan_with_address_and_household(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        await search(pilot, screen, "Siobhan O Sullivan")
        table = screen.query_one("#electors", PagedTable)
        names = [table.row_at(i).name for i in range(table.row_count)]
        assert "Siobhán Ó Súilleabháin" in names
        assert "found by name" in shown(app, "#register-summary")
        table.move_cursor(names.index("Siobhán Ó Súilleabháin"))
        await wait_for(pilot, lambda: "Siobhán Ó Súilleabháin" in shown(app, "#elector-card"))
        card = shown(app, "#elector-card")
        assert "86 Saint Brigid's Way" in card and "WX5 9NY" in card
        assert "Also registered at this address" in card and "Colin Patel" in card
        assert "Known constituent" in card and "1 open case" in card
        assert table.cursor_row.number.startswith("WA3-754")


async def test_no_hit_is_advice_not_refusal(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        assert screen.query_one("#electors", PagedTable).row_count > 1000  # a manager sees the bulk list
        assert "Registers held: Brackley Moor" in shown(app, "#publications")
        await search(pilot, screen, "Xzqvbnm Wrtplk")
        assert screen.query_one("#electors", PagedTable).row_count == 0
        summary = screen.query_one("#register-summary")
        assert "Not found on the register" in shown(app, "#register-summary")
        assert "not a refusal" in shown(app, "#register-summary") and summary.has_class("advice")


async def test_import_register_files_from_the_tui(office, office_path):
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        assert "No electoral register imported yet" in shown(app, "#publications")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportRegisterScreen))
        dialog = app.screen
        files = [FIXTURES / "burnley_xpress_2024-12-01.csv", FIXTURES / "pendle_eros_2024-12-01.csv",
                 FIXTURES / "not_a_register.csv"]
        dialog.query_one("#import-paths", Input).value = "; ".join(str(f) for f in files)
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.summary is not None and not dialog.busy)
        text = shown(app, "#import-summary")
        assert "burnley_xpress_2024-12-01.csv" in text and "pendle_eros_2024-12-01.csv" in text
        assert "FAILED  not_a_register.csv" in text
        assert f"{dialog.summary.imported:,} electors" in text and dialog.summary.imported > 0
        bad = [(f.path, p) for f in dialog.summary.files for p in f.problems]
        for _, problem in bad:  # every unreadable row is listed with its row number and reason
            assert f"row {problem.row}: " in text
        assert dialog.query_one("#import-progress").percentage == 1.0
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen)
                       and "Burnley" in shown(app, "#publications"))
        await wait_for(pilot, lambda: screen.query_one("#electors", PagedTable).row_count
                       == dialog.summary.imported)


async def test_volunteer_looks_up_one_elector_but_gets_no_bulk_list(demo_office_path):
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import staff

    with open_office(demo_office_path, PASSPHRASE) as office:
        staff.add(office, "Vic Volunteer", "volunteer", "volunteer passphrase words")
    app = make_app(demo_office_path, passphrase="volunteer passphrase words", settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        await wait_for(pilot, lambda: screen.bulk_allowed is not None)
        assert screen.bulk_allowed is False
        assert screen.query_one("#electors", PagedTable).row_count == 0
        assert "not volunteers" in shown(app, "#register-summary")
        await search(pilot, screen, "Siobhan O Sullivan")
        assert screen.query_one("#electors", PagedTable).row_count > 0


async def test_a_case_from_the_register_in_two_keys(demo_office_path):
    """Enter on an elector opens a new case with their title, name, address and register link filled in;
    saving opens the case, and the constituent is linked to the elector."""
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import cases, register
    from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog
    from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_register(pilot)
        await search(pilot, screen, "Colin Patel")
        table = screen.query_one("#electors", PagedTable)
        colin = table.cursor_row
        assert colin.name == "Colin Patel" and not colin.known
        await pilot.press("enter")  # the search box was submitted: the table has focus; Enter opens the form
        await wait_for(pilot, lambda: isinstance(app.screen, NewCaseDialog))
        form = app.screen
        assert form.query_one("#nc-forenames", Input).value == "Colin"
        assert form.query_one("#nc-surname", Input).value == "Patel"
        assert form.query_one("#nc-postcode", Input).value == colin.postcode
        street, town = form.query_one("#nc-address1", Input).value, form.query_one("#nc-town", Input).value
        assert street and town and f"{street}, {town}" == colin.address
        assert form.elector_key == colin.key
        assert app.focused is form.query_one("#nc-title", Input)
        await pilot.press(*"Council tax band")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        ref = app.screen.detail.detail.case.ref
    office = open_office(demo_office_path, PASSPHRASE)
    try:
        case = cases.get_case(office, ref)
        assert case.constituent.name == "Colin Patel"
        hit = next(h for h in register.lookup(office, colin.number).hits if h.elector.key == colin.key)
        assert [c.id for c in hit.constituents] == [case.constituent.id]  # linked to the register entry
    finally:
        office.close()


async def test_the_new_case_forms_register_suggestions_take_enter_on_their_first_row(demo_office_path):
    from pilot_helpers import to_cases

    from mpoffice_tui.ui.dialogs.new_case import NEW, NewCaseDialog

    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewCaseDialog))
        form = app.screen
        await pilot.press(*"Zzyzx Nobody", "enter")  # nobody known: the list offers a new constituent
        await wait_for(pilot, lambda: form.query_one("#nc-people").option_count >= 1)
        people = form.query_one("#nc-people")
        people.highlighted = next(i for i in range(people.option_count) if people.get_option_at_index(i).id == NEW)
        await pilot.press("enter")
        await wait_for(pilot, lambda: form.new_person)
        form.query_one("#nc-forenames", Input).value = "Siobhan"
        form.query_one("#nc-surname", Input).value = "O Sullivan"
        form.query_one("#nc-surname", Input).focus()
        await wait_for(pilot, lambda: bool(form._suggestions))  # noqa: SLF001
        await pilot.press("enter")  # from the name field to the suggestions
        await pilot.press("enter")  # the first row
        await wait_for(pilot, lambda: form.elector_key is not None)
        assert form.query_one("#nc-forenames", Input).value == "Siobhán"
        assert app.focused is form.query_one("#nc-title", Input)
