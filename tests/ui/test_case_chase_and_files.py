"""Chase letters for third parties overdue a reply (reminders F5 -> case -> letter on the timeline, and the
CLI), and saving an attachment out of a case, on real encrypted offices under Pilot."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, to_cases, wait_for
from textual.widgets import Input, TextArea

from mpoffice_tui.db.engine import open_office
from mpoffice_tui.services import cases, constituents, contacts, letters
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.simple import TextDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen, LetterEditor
from mpoffice_tui.ui.screens.reminders import RemindersScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from mpoffice_tui.ui.widgets.timeline import Timeline
from tests.ui.test_case_flows import PASSPHRASE, detail_loaded


async def submit_form(pilot, **values) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    for name, value in values.items():
        widget = app.screen.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value
    await pilot.press("ctrl+s")


def _overdue_case(office):
    """A case whose council was contacted 25 working days before the pinned today (2025-03-05)."""
    person = constituents.create(office, forenames="Nia", surname="Bellweather", title="Ms", postcode="WX3 1AB")
    row = cases.create_case(office, constituent_id=person.id, title="Blocked drain", category="Housing")
    council = contacts.add_contact(office, organisation="Wexford Borough Council", department="Drainage",
                                   reply_days=20)
    party = cases.add_party(office, row.id, "agency", contact_id=council.id, contacted_on="2025-01-29")
    return row, party


async def chases_in_reminders(pilot) -> PagedTable:
    """From the Inbox to F5, showing third parties overdue a reply only (one of them, highlighted)."""
    app = pilot.app
    await to_cases(pilot)
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, RemindersScreen) and app.screen.query_one("#reminders").loaded)
    await pilot.press("h")  # third parties overdue a reply only
    table = app.screen.query_one("#reminders", PagedTable)
    await wait_for(pilot, lambda: table.loaded and table.row_count == 1 and table.cursor_row is not None)
    return table


async def test_overdue_party_in_reminders_and_chase_letter_on_the_timeline(office, office_path, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-05")
    row, party = _overdue_case(office)
    [due] = letters.chase_due(office)
    assert due.party_id == party.id and due.working_days_late == 5
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await chases_in_reminders(pilot)
        assert table.cursor_row.when == "chase" and table.cursor_row.item.case_ref == row.ref
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await submit_form(pilot, party=party.id)
        await wait_for(pilot, lambda: isinstance(app.screen, LetterEditor))
        editor = app.screen
        preview = editor.query_one("#field-subject", Input).value + editor.query_one("#field-body", TextArea).text
        assert row.ref in preview and "29 January 2025" in preview
        assert "Wexford Borough Council" in str(editor.query_one(".dialog-intro").render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: any(i.kind == "letter"
                                                                         for i in x.detail.timeline)))
        assert isinstance(app.screen, CaseDetailScreen)
    office = open_office(office_path, PASSPHRASE)
    try:
        [letter_id] = [i.id for i in cases.get_case(office, row.ref).timeline if i.kind == "letter"]
        text = letters.letter_text(office, letter_id)
        assert "Wexford Borough Council" in text and row.ref in text and "Ms Nia Bellweather" in text
        assert letters.chase_due(office) == []  # the reply is due again
    finally:
        office.close()


async def test_attachment_saved_to_a_folder_and_audited(office, office_path, tmp_path):
    person = constituents.create(office, forenames="Ola", surname="Pennant")
    row = cases.create_case(office, constituent_id=person.id, title="Passport delay")
    cases.attach_file(office, row.id, data=b"%PDF-1.4 receipt", filename="receipt.pdf")
    office.close()
    out = tmp_path / "out"
    out.mkdir()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail_loaded(app) and app.screen.query_one(Timeline).items)
        timeline = app.screen.query_one(Timeline)
        timeline.highlighted = next(n for n, i in enumerate(timeline.items) if i.kind == "attachment")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.click("#text-save-file")
        await submit_form(pilot, folder=str(out))
        await wait_for(pilot, lambda: (out / "receipt.pdf").exists())
    assert (out / "receipt.pdf").read_bytes() == b"%PDF-1.4 receipt"
    office = open_office(office_path, PASSPHRASE)
    try:
        with office.engine.connect() as conn:
            actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_events")]
        assert "attachment.export" in actions
    finally:
        office.close()


async def test_case_raised_on_someones_behalf_shows_the_permission_banner_until_recorded(office, office_path):
    from textual.widgets import Checkbox, Input, OptionList

    from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog

    constituents.create(office, forenames="Rhys", surname="Tanner", postcode="WX5 5RT")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewCaseDialog))
        await pilot.press(*"Rhys Tanner")
        people = app.screen.query_one("#nc-people", OptionList)
        await wait_for(pilot, lambda: people.option_count >= 2)
        people.focus()
        people.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.person_id is not None)
        app.screen.query_one("#nc-behalf", Checkbox).value = True
        app.screen.query_one("#nc-raised-by", Input).value = "Gwen Tanner"
        app.screen.query_one("#nc-title", Input).value = "Care home fees"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: detail_loaded(app))
        d = app.screen.detail
        assert d.detail.raised_by.name == "Gwen Tanner" and d.detail.constituent.name == "Rhys Tanner"
        banner = app.screen.query_one("#case-consent")
        assert banner.display and "Gwen Tanner" in str(banner.render())
        await pilot.press("g")
        await submit_form(pilot, details="signed form by post")
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: not x.consent.needs_permission))
        assert not app.screen.query_one("#case-consent").display


async def test_constituent_details_edited_from_the_constituent_view(office, office_path):
    from mpoffice_tui.ui.screens.constituent import ConstituentScreen

    person = constituents.create(office, forenames="Ivo", surname="Marsh", postcode="WX1 1AA")
    cases.create_case(office, constituent_id=person.id, title="Bus pass")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail_loaded(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConstituentScreen) and app.screen.person is not None)
        await pilot.press("e")
        await submit_form(pilot, email="ivo@example.org", postcode="wx9 9zz", interpreter_language="Polish",
                          vulnerable=True)
        await wait_for(pilot, lambda: app.screen.person is not None
                       and app.screen.person.view.person.postcode == "WX9 9ZZ")
        shown = app.screen.person.view.person
        assert shown.email == "ivo@example.org" and shown.interpreter_language == "Polish" and shown.vulnerable
    office = open_office(office_path, PASSPHRASE)
    try:
        assert constituents.editable(office, person.id)["surname"] == "Marsh"
        with office.engine.connect() as conn:
            actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_events")]
        assert "constituent.edit" in actions
    finally:
        office.close()


async def test_a_reply_recorded_by_hand_in_reminders_stops_the_chase(office, office_path, monkeypatch):
    """The council rang back: y on its chase row (F5) records the reply, and it is no longer listed."""
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-05")
    row, party = _overdue_case(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await chases_in_reminders(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 0)
        assert letters.chase_due(app.office) == []
        [p] = cases.get_case(app.office, row.ref).parties
        assert p.id == party.id and p.replied_on == "2025-03-05"
