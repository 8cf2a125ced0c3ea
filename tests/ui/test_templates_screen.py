"""The Templates screen (F9) under Pilot on a real encrypted office: add a template (a bad merge field is
refused in the form with nothing lost), use it for a letter on a case, edit it, delete it."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, drawn_text, wait_for
from textual.widgets import TextArea

from mpoffice_tui.db.engine import open_office
from mpoffice_tui.services import cases, constituents, letters, settings
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog, TextDialog
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.templates import TemplateDialog, TemplatesScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from tests.ui.test_case_flows import PASSPHRASE, submit_form


def templates_table(app) -> PagedTable:
    return app.screen.query_one("#templates", PagedTable)


async def test_add_use_edit_and_delete_a_template(office, office_path):
    person = constituents.create(office, forenames="Ravi", surname="Khatri", title="Dr", postcode="WX3 1AB")
    case = cases.create_case(office, constituent_id=person.id, title="School transport")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatesScreen) and templates_table(app).loaded)
        assert templates_table(app).row_count == 0
        await pilot.press("l")  # the starter templates
        await wait_for(pilot, lambda: templates_table(app).row_count == len(letters.starter_templates()))

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplateDialog))
        form = app.screen
        assert form.query_one("#dialog-submit").region.bottom <= 24  # the buttons fit an 80×24 terminal
        body = "{salutation},\n\nAbout {case_titel}: the school has agreed.\n\n{mp_name}"
        await submit_form(pilot, name="Transport update", kind="letter", subject="{case_ref}", body=body)
        await wait_for(pilot, lambda: "case_titel" in str(form.query_one(".dialog-error").render()))
        assert app.screen is form and form.query_one("#field-body", TextArea).text == body  # nothing lost
        form.query_one("#field-body", TextArea).text = body.replace("case_titel", "case_title")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatesScreen)
                       and any(r.name == "Transport update" for r in letters.list_templates(app.office)))

        # the highlighted template's text is shown, as plain text
        table = templates_table(app)
        await wait_for(pilot, lambda: table.loaded and table.row_count == len(letters.starter_templates()) + 1)
        while table.cursor_row.name != "Transport update":
            await pilot.press("down")
        await wait_for(pilot, lambda: "the school has agreed" in drawn_text(app.screen.query_one("#template-body")))

        # it writes a letter on the case
        letter = letters.write_letter(app.office, case.ref, "transport update")
        assert "Dear Dr Khatri," in letter.body_text
        assert "About School transport: the school has agreed." in letter.body_text

        # edit it (Enter), then delete it (d, confirmed)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplateDialog))
        await submit_form(pilot, name="Transport: agreed")
        await wait_for(pilot, lambda: isinstance(app.screen, TemplatesScreen)
                       and any(r.name == "Transport: agreed" for r in letters.list_templates(app.office)))
        await wait_for(pilot, lambda: table.loaded and table.cursor_row.name == "Transport: agreed")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")  # "No" has the focus: Enter alone would keep it
        await wait_for(pilot, lambda: not any(r.name.startswith("Transport") for r in letters.list_templates(app.office)))
        await wait_for(pilot, lambda: table.loaded and table.row_count == len(letters.starter_templates()))

        await pilot.press("m")  # every merge field, listed
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "{salutation}" in str(app.screen.query_one("#dialog-body").render())

    again = open_office(office_path, PASSPHRASE)
    try:  # the letter written from the deleted template is kept on the case
        assert any(i.kind == "letter" for i in cases.get_case(again, case.ref).timeline)
    finally:
        again.close()


async def test_office_settings_from_the_palette_sign_the_letters(office, office_path):
    person = constituents.create(office, forenames="Ravi", surname="Khatri", postcode="WX3 1AB")
    case = cases.create_case(office, constituent_id=person.id, title="School transport")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("ctrl+p")
        await pilot.press(*"office settings")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await submit_form(pilot, office_address="Unit 4, Mill Lane\nWexford WX1 2AB", office_email="not an address")
        await wait_for(pilot, lambda: "does not look like an email" in drawn_text(form.query_one(".dialog-error")))
        assert app.screen is form  # refused in the form: nothing typed is lost, nothing saved
        assert settings.get(app.office, "office_address") == ""
        await submit_form(pilot, office_email="casework@example.org")
        await wait_for(pilot, lambda: settings.get(app.office, "office_email") == "casework@example.org")
        assert settings.get(app.office, "nation") == ""  # shown as England, untouched: not written
        letters.load_starter_templates(app.office)
        text = letters.letter_text(app.office, letters.write_letter(app.office, case.ref, "acknowledgement").id)
        assert "Unit 4, Mill Lane" in text and "Wexford WX1 2AB" in text
