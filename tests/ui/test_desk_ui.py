"""The MP's desk in the app: the Approvals lane (a approves, R returns with a comment that lands on the case,
a caseworker is refused), and adding a third party from the government directory on a case."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, drawn_text, wait_for
from textual.widgets import Input, OptionList, TextArea

from mpoffice_tui.services import approvals, cases, constituents, contacts, letters, staff
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.simple import PickDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"
CASEWORKER = "caseworker's own passphrase"


def _two_letters(office) -> tuple[str, str, str]:
    person = constituents.create(office, title="Ms", forenames="Gwenllïan", surname="Llŷr", address1="1 Ffordd",
                                 postcode="LL53 5AA")
    case = cases.create_case(office, constituent_id=person.id, title="Blue badge", category="Transport")
    letters.load_starter_templates(office)
    approvals.add_rule(office, "category", "Transport")
    first = letters.write_letter(office, case.ref, "Acknowledgement")
    second = letters.write_letter(office, case.ref, "Acknowledgement")
    return case.id, approvals.for_target(office, "letter", first.id).id, approvals.for_target(office, "letter", second.id).id


async def _approvals_lane(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("7")
    screen = app.screen
    table = screen.query_one("#messages", PagedTable)
    await wait_for(pilot, lambda: screen.lane == "approvals" and table.loaded and table.cursor_row is not None)
    return screen, table


async def test_the_approvals_lane_approves_with_one_key_and_returns_with_a_comment(office, office_path):
    case_id, first, second = _two_letters(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _approvals_lane(pilot)
        assert "Approve" in drawn_text(screen.query_one("KeyBar"))
        await wait_for(pilot, lambda: "Dear Ms Llŷr" in str(screen.query_one("#preview-body").render()))
        await wait_for(pilot, lambda: "2 to approve" in app.sub_title)  # the header's count
        assert table.cursor_row.id == first
        await pilot.press("a")
        await wait_for(pilot, lambda: approvals.get_approval(app.office, first).state == "approved")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 1 and table.cursor_row.id == second)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#field-comment", TextArea).text = "Mention the badge number."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: approvals.get_approval(app.office, second).state == "returned")
        notes = [i.body for i in cases.get_case(app.office, case_id).timeline if i.kind == "note"]
        assert any("Mention the badge number." in n for n in notes)


async def test_a_caseworker_is_told_only_the_mp_or_a_manager_approves(office, office_path):
    _case_id, first, _second = _two_letters(office)
    staff.add(office, "Priya Shah", "caseworker", CASEWORKER)
    office.close()
    app = make_app(office_path, passphrase=CASEWORKER, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        _screen, _table = await _approvals_lane(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: any("only the MP or a manager" in str(n.message) for n in app._notifications))
        assert approvals.get_approval(app.office, first).state == "pending"


async def test_a_third_party_comes_from_the_government_directory(office, office_path):
    person = constituents.create(office, forenames="Ann", surname="Jones", postcode="TT1 1TT")
    case = cases.create_case(office, constituent_id=person.id, title="Title deeds")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.open_case(case.id)
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        app.screen.query_one("#pick-search", Input).value = "land registry"
        options = app.screen.query_one("#pick-list", OptionList)
        await wait_for(pilot, lambda: options.option_count > 0 and "HM Land Registry" in str(
            options.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(p.name.startswith("HM Land Registry")
                                          for p in cases.get_case(app.office, case.id).parties))
        party = cases.get_case(app.office, case.id).parties[0]  # an office contact now, with the postal address
        assert "Croydon" in contacts.get_contact(app.office, party.contact_id).address
