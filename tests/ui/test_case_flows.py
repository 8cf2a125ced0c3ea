"""Casework under Pilot on real encrypted offices: a case from a new constituent to closed and reopened,
a confidential note, a letter exported as .docx and re-read, the list's search, views and filters."""

from __future__ import annotations

from docx import Document
from pilot_helpers import drawn_text, to_cases, wait_for
from textual.widgets import Input, OptionList, Select, TextArea

from mpoffice_tui.config import Settings
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.services import cases, constituents, letters
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen, LetterEditor
from mpoffice_tui.ui.screens.case_list import CasesScreen
from mpoffice_tui.ui.widgets.timeline import Timeline

PASSPHRASE = "correct horse battery"
SIZE = (100, 30)
NO_IDLE = Settings(idle_lock_minutes=0)


def detail_loaded(app, check=lambda d: True) -> bool:
    return isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None and check(app.screen.detail)


async def submit_form(pilot, **values) -> FormDialog:
    """Fill the open FormDialog's fields by name and press Ctrl+S."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    form = app.screen
    for name, value in values.items():
        widget = form.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value  # Input, Select, Checkbox
    await pilot.press("ctrl+s")
    return form


async def test_case_from_new_constituent_closed_and_reopened_with_a_confidential_note(office, office_path):
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_cases(pilot)
        assert table.row_count == 0
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewCaseDialog))
        await pilot.press(*"Zed Quill")
        people = app.screen.query_one("#nc-people", OptionList)
        await wait_for(pilot, lambda: people.option_count >= 1)
        people.focus()
        people.highlighted = 0  # "+ New constituent" (nobody matches)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.new_person)
        assert app.screen.query_one("#nc-forenames", Input).value == "Zed"
        assert app.screen.query_one("#nc-surname", Input).value == "Quill"
        app.screen.query_one("#nc-postcode", Input).value = "wx1 2ab"
        app.screen.query_one("#nc-title", Input).value = "Blue badge renewal"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: detail_loaded(app))
        d = app.screen.detail.detail
        assert d.constituent.name == "Zed Quill" and d.constituent.postcode == "WX1 2AB"
        assert d.case.title == "Blue badge renewal" and d.case.status == "new"
        ref = d.case.ref

        # a confidential note
        await pilot.press("n")
        await submit_form(pilot, body="Told us about [b]the debt[/b] in confidence", confidential=True)
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: any(
            i.confidential for i in x.detail.timeline)))
        await pilot.pause()
        shown = drawn_text(app.screen.query_one(Timeline))
        assert "Confidential note" in shown and "[b]the debt[/b]" in shown

        # closing without an outcome is refused in the dialog, with nothing lost
        await pilot.press("s")
        form = await submit_form(pilot, status="closed")
        await wait_for(pilot, lambda: "outcome" in str(form.query_one(".dialog-error").render()))
        assert app.screen is form
        form.query_one("#field-outcome", Select).value = "Resolved"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: x.detail.case.status == "closed"))
        assert app.screen.detail.detail.case.outcome == "Resolved"
        assert "Closed (Resolved)" in str(app.screen.query_one("#case-head").render())

        # reopen
        await pilot.press("s")
        await submit_form(pilot, reason="New letter from the council")
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: x.detail.case.status == "open"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and table.row_count == 1)

    again = open_office(office_path, PASSPHRASE)
    try:
        case = cases.get_case(again, ref)
        assert case.case.status == "open" and case.case.outcome is None
        bodies = [i.body for i in case.timeline]
        assert any("Outcome: Resolved" in b for b in bodies) and any(b.startswith("Reopened") for b in bodies)
        note = [i for i in case.timeline if i.confidential]
        assert len(note) == 1 and "the debt" in note[0].body
    finally:
        again.close()


async def test_letter_from_a_template_edited_then_exported_as_docx(office, office_path, tmp_path):
    """w writes the letter from its template into an editor: the caseworker changes the text, saves it on the
    timeline and exports the .docx, named so the person's name stays readable."""
    person = constituents.create(office, forenames="Seán", surname="Okonkwo-Hale", title="Mr", address1="4 Mill Lane",
                                 town="Wexford", postcode="WX2 9ZZ")
    row = cases.create_case(office, constituent_id=person.id, title="Council tax banding", category="Housing")
    letters.load_starter_templates(office)
    template = next(t for t in letters.list_templates(office) if t.name == "Acknowledgement")
    office.close()
    out = tmp_path / "letters"
    out.mkdir()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail_loaded(app))
        await pilot.press("w")
        await submit_form(pilot, template=template.id)
        await wait_for(pilot, lambda: isinstance(app.screen, LetterEditor))
        editor = app.screen
        body = editor.query_one("#field-body", TextArea).text
        subject = editor.query_one("#field-subject", Input).value
        assert body.startswith("Dear Mr Okonkwo-Hale,") and "{" not in body
        assert subject == f"Council tax banding (our ref {row.ref})"
        assert "4 Mill Lane, Wexford, WX2 9ZZ" in str(editor.query_one(".dialog-intro").render())
        edited = body.replace("Thank you for contacting me about the matter above.",
                              "Thank you for seeing me at Saturday's surgery.")
        await submit_form(pilot, body=edited, export=True)
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen is not editor)
        await submit_form(pilot, folder=str(out))
        await wait_for(pilot, lambda: list(out.glob("*.docx")), timeout=15)
        await wait_for(pilot, lambda: detail_loaded(app, lambda x: any(i.kind == "letter"
                                                                         for i in x.detail.timeline)))
    [path] = list(out.glob("*.docx"))
    assert path.name.startswith(row.ref) and path.name.endswith("-Mr-Sean-Okonkwo-Hale.docx")
    paras = [p.text for p in Document(str(path)).paragraphs]
    text = "\n".join(paras)
    for merged in ("Mr Seán Okonkwo-Hale\n4 Mill Lane\nWexford\nWX2 9ZZ", "Dear Mr Okonkwo-Hale,",
                   f"Council tax banding (our ref {row.ref})", "Thank you for seeing me at Saturday's surgery.",
                   "Yours sincerely,"):
        assert merged in paras or merged in text, merged
    assert "the matter above. I am sorry" not in text  # the text as edited, not the template's
    assert "{" not in text  # every merge field filled


async def test_list_search_views_filters_and_sort(office, office_path):
    person = constituents.create(office, forenames="Iwan", surname="Pryce", postcode="WX3 1AA")
    for n in range(12):
        row = cases.create_case(office, constituent_id=person.id, title=f"Case number {n}",
                                category="Housing" if n % 2 else "Benefits", review_date="2020-01-01" if n < 3 else None)
        if n >= 9:
            cases.change_status(office, row.id, "closed", outcome="Resolved")
    cases.create_case(office, constituent_id=None, title="Flood defence petition", category="Environment")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_cases(pilot)
        screen = app.screen
        assert table.row_count == 13
        await pilot.press("slash", *"flood")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 1)
        assert table.cursor_row.title == "Flood defence petition"
        await pilot.press("escape")
        screen.query_one("#case-search", Input).value = ""
        await wait_for(pilot, lambda: table.loaded and table.row_count == 13)
        await pilot.press("v")  # My open cases: none were assigned
        await wait_for(pilot, lambda: screen.view == "my_open" and table.loaded and table.row_count == 0)
        await pilot.press("v")  # Overdue: review date in the past, still open
        await wait_for(pilot, lambda: screen.view == "overdue" and table.loaded and table.row_count == 3)
        tabs = str(screen.query_one("#view-overdue").render())
        assert "(3)" in tabs
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.view == "all" and table.loaded and table.row_count == 13)
        await pilot.press("f")
        await submit_form(pilot, status="closed", category="Housing")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 2)  # n = 9, 11
        assert "Closed" in str(screen.query_one("#cases-summary").render())
        await pilot.press("x")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 13)
        await pilot.click("#cases", offset=(3, 0))  # the Ref heading: sort by reference
        await wait_for(pilot, lambda: screen.sort == "ref" and table.loaded and table.cursor_row is not None)
        first = table.cursor_row.ref
        await pilot.click("#cases", offset=(3, 0))  # again: the other way
        await wait_for(pilot, lambda: screen.descending is not False and table.loaded
                       and table.cursor_row is not None and table.cursor_row.ref != first)
        assert table.cursor_row.ref > first


async def test_sort_is_picked_from_a_list_and_all_not_closed_is_a_filter(office, office_path):
    person = constituents.create(office, forenames="Iwan", surname="Pryce", postcode="WX3 1AA")
    statuses = ("new", "open", "awaiting_constituent", "awaiting_third_party", "closed", "closed")
    for n, status in enumerate(statuses):
        row = cases.create_case(office, constituent_id=person.id, title=f"{'ZYXWVU'[n]} case", category="Housing")
        if status == "closed":
            cases.change_status(office, row.id, "closed", outcome="Resolved")
        elif status != "new":
            cases.change_status(office, row.id, status)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_cases(pilot)
        screen = app.screen
        await pilot.press("s")  # a list of every sort, not a cycle through them
        form = await submit_form(pilot, sort="title")
        assert [label for label, _ in form.fields[0].choices][:3] == ["Newest first", "Reference", "Review date"]
        await wait_for(pilot, lambda: screen.sort == "title" and not screen.descending and table.loaded
                       and table.cursor_row is not None and table.cursor_row.title == "U case")
        await pilot.press("s")
        await submit_form(pilot, sort="title", reverse=True)
        await wait_for(pilot, lambda: screen.descending and table.loaded and table.cursor_row.title == "Z case")
        assert "by title ↓" in str(screen.query_one("#cases-summary").render())
        await pilot.press("f")
        await submit_form(pilot, status="not_closed")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 4)
        assert "not closed" in str(screen.query_one("#cases-summary").render())


async def test_the_letter_editor_fits_80x24_with_its_text_in_focus(office, office_path):
    person = constituents.create(office, forenames="Ola", surname="Pennant", address1="1 Quay St", town="Wexford")
    cases.create_case(office, constituent_id=person.id, title="Bus pass", category="Transport")
    letters.load_starter_templates(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail_loaded(app))
        await pilot.press("w")
        await submit_form(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, LetterEditor))
        editor = app.screen
        body = editor.query_one("#field-body", TextArea)
        await wait_for(pilot, lambda: app.focused is body)
        await pilot.pause()
        save = editor.query_one("#dialog-submit").region
        assert save.bottom <= 24 and save.height > 0 and body.size.height >= 4
