"""The Inbox screen under Pilot on real encrypted offices filled through the services with real mail files."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from pilot_helpers import drawn_text, wait_for
from textual.widgets import Input, Select, TextArea

from mpoffice_tui.config import Settings
from mpoffice_tui.db.models import Case, Constituent, Message
from mpoffice_tui.services import inbox, replies
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.capture import CaptureDialog, ImportDialog
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.message_case import MessageCaseDialog
from mpoffice_tui.ui.dialogs.simple import AskDialog, ChooseDialog, ConfirmDialog, PickDialog, PreviewDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

PASSPHRASE = "correct horse battery"
SIZE = (80, 24)  # the smallest terminal the app promises to work in
NO_IDLE = Settings(idle_lock_minutes=0)
MAIL = Path(__file__).parent.parent / "fixtures" / "mail"




def eml(folder: Path, name: str, sender: str, subject: str, body: str, msgid: str) -> Path:
    path = folder / name
    path.write_text(f"From: {sender}\nTo: office@example.org\nSubject: {subject}\n"
                    f"Date: Mon, 09 Mar 2026 10:00:00 +0000\nMessage-ID: <{msgid}>\n"
                    f"Content-Type: text/plain; charset=utf-8\n\n{body}\n", encoding="utf-8")
    return path


def messages(app) -> PagedTable:
    return app.screen.query_one("#messages", PagedTable)


def mounted(app) -> bool:
    """The Inbox is on screen with its widgets mounted (the screen exists a moment before its children)."""
    return isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")) and messages(app).loaded


async def ready(pilot, lane_key: str | None = None, rows: int | None = None) -> PagedTable:
    """Wait for the inbox, optionally switch lane (1-5), and wait for its rows."""
    app = pilot.app
    await wait_for(pilot, lambda: mounted(app))
    if lane_key:
        await pilot.press(lane_key)
    table = app.screen.query_one("#campaigns" if lane_key == "4" else "#messages", PagedTable)
    await wait_for(pilot, lambda: table.loaded and (rows is None or table.row_count == rows)
                   and (table.row_count == 0 or table.cursor_row is not None))
    return table


async def wait_preview(pilot, message_id: str) -> None:
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.detail is not None and screen.detail.id == message_id)


def detail(app, message_id: str):
    return inbox.get_message(app.office, message_id)


@pytest.fixture
def mail_office(office, office_path, tmp_path):
    """An office with one constituent and her open case, and three messages imported from files:
    one from her (a suggestion), one from a stranger with a signature, one quoting her case's reference."""
    with office.writing() as w:
        who = w.insert(Constituent, forenames="Ada", surname="Okafor", email="ada@example.org", postcode="AB1 2CD")
        case = w.insert(Case, ref="A-00007", title="Damp flat", constituent_id=who.id, status="open",
                        category="Housing", opened_at="2024-01-02T10:00:00Z")
    folder = tmp_path / "mail"
    folder.mkdir()
    eml(folder, "a.eml", "Ada Okafor <ada@example.org>", "Still damp", "The damp is back.", "a1@example.org")
    eml(folder, "b.eml", "Mary Jones <mary.j@example.net>", "Bus stop moved",
        "Our bus stop has gone.\n\nKind regards,\nMary Jones\n3 Mill Lane\nWX1 2AB", "b1@example.net")
    eml(folder, "c.eml", "Housing Team <housing@council.example>", "Your ref A-00007",
        "We have inspected the flat.", "c1@council.example")
    report = inbox.import_paths(office, [folder])
    assert report.imported == 3 and report.suggested == 1 and report.auto_filed == 1
    ids = {inbox.get_message(office, i).subject: i for i in report.message_ids}
    office.close()
    return office_path, ids, case.id


async def test_accept_suggestion_in_one_key(mail_office):
    path, ids, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, "3", rows=1)
        mid = ids["Still damp"]
        await wait_preview(pilot, mid)
        meta = str(app.screen.query_one("#preview-meta").render())
        assert "Suggested: case A-00007" in meta and "ada@example.org" in meta  # the suggestion and its reason
        await pilot.press("a")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 0)
        assert detail(app, mid).case_id == case_id and detail(app, mid).triage == "done"


async def test_new_case_with_constituent_prefilled(mail_office):
    path, ids, _ = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, rows=1)
        mid = ids["Bus stop moved"]
        await wait_preview(pilot, mid)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageCaseDialog))
        values = {n: app.screen.query_one(f"#person-{n}", Input).value
                  for n in ("forenames", "surname", "email", "postcode")}
        assert values == {"forenames": "Mary", "surname": "Jones", "email": "mary.j@example.net",
                          "postcode": "WX1 2AB"}
        assert app.screen.query_one("#case-title", Input).value == "Bus stop moved"
        category = app.screen.query_one("#case-category", Input)
        category.focus()
        category.value = ""
        await pilot.press("h", "o", "u")
        await wait_for(pilot, lambda: "housing" in drawn_text(category))  # a category the office already uses
        await pilot.press("right", "enter")  # the form says "Enter opens the case": it does
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and detail(app, mid).case_id)
        await wait_for(pilot, lambda: app.screen.detail is not None
                       and app.screen.detail.detail.case.title == "Bus stop moved")
        await pilot.press("escape")  # and Esc comes back to the Inbox
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        with app.office.read() as s:
            person = s.get(Constituent, detail(app, mid).constituent_id)
            case = s.get(Case, detail(app, mid).case_id)
        assert (person.surname, person.email, person.postcode) == ("Jones", "mary.j@example.net", "WX1 2AB")
        assert case.title == "Bus stop moved" and case.constituent_id == person.id and case.category == "Housing"


async def test_ignore_then_restore(mail_office):
    path, ids, _ = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, rows=1)
        mid = ids["Bus stop moved"]
        await wait_preview(pilot, mid)
        await pilot.press("i")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 0)
        assert detail(app, mid).triage == "ignored"
        done = await ready(pilot, "5", rows=1)
        assert done.cursor_row.id == mid
        await wait_preview(pilot, mid)
        await pilot.press("u")
        await wait_for(pilot, lambda: done.loaded and done.row_count == 0)
        assert detail(app, mid).triage == "new"


async def test_undo_auto_filing(mail_office):
    path, ids, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, "2", rows=1)
        mid = ids["Your ref A-00007"]
        await wait_preview(pilot, mid)
        meta = str(app.screen.query_one("#preview-meta").render())
        assert "Auto-filed to A-00007" in meta and "case reference A-00007 quoted in the subject" in meta
        await pilot.press("u")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 0)
        after = detail(app, mid)
        assert after.triage == "suggested" and after.case_id is None and after.suggested_case_id == case_id


def phone_calls(app) -> list[Message]:
    """The phone calls logged in the app's office."""
    from sqlmodel import select

    with app.office.read() as s:
        return list(s.exec(select(Message).where(Message.channel == "phone")).all())


async def test_capture_phone_call_onto_a_case(mail_office):
    path, _, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CaptureDialog))
        await pilot.press(*"Ada Okafor")  # the name field has the focus; the kind is a phone call already
        dialog = app.screen
        dialog.query_one("#capture-case", Input).value = "a-99999"  # a typo: refused, nothing typed is lost
        dialog.query_one("#capture-body", TextArea).text = "Rang: the damp is [b]worse[/b]."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "A-99999" in drawn_text(dialog.query_one("#capture-error")).upper())
        assert app.screen is dialog and dialog.query_one("#capture-body", TextArea).text.startswith("Rang")
        dialog.query_one("#capture-case", Input).value = "a-00007"
        await pilot.press("ctrl+s")

        # the dialog closes at once; the call is saved by a worker just after
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and phone_calls(app))
        calls = phone_calls(app)
        assert len(calls) == 1
        assert calls[0].case_id == case_id and calls[0].triage == "done" and calls[0].sender_name == "Ada Okafor"
        assert calls[0].body_text == "Rang: the damp is [b]worse[/b]."


async def test_capture_an_outgoing_call_names_the_person_called(mail_office):
    """A call we made is logged from the caseworker to the person called; the case says whom we rang."""
    path, _, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CaptureDialog))
        dialog = app.screen
        dialog.query_one("#capture-channel", Select).value = "phone_out"
        dialog.query_one("#capture-name", Input).value = "Housing officer"
        dialog.query_one("#capture-case", Input).value = "A-00007"
        dialog.query_one("#capture-body", TextArea).text = "Asked when the repair is booked."
        await pilot.press("ctrl+s")

        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and phone_calls(app))
        [call] = phone_calls(app)
        assert (call.direction, call.sender_name, call.recipients) == ("out", "Ann Manager", "Housing officer")
        from mpoffice_tui.services import cases

        timeline = cases.get_case(app.office, case_id).timeline
        assert [t.title for t in timeline if t.kind == "call"] == ["Call to Housing officer"]


async def test_import_mail_from_the_tui_reports_the_bad_file(office, office_path, tmp_path):
    office.close()
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(MAIL / "encoded_headers.eml", folder)
    shutil.copy(MAIL / "empty.eml", folder)
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, rows=0)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        dialog.query_one("#import-path", Input).value = str(folder)
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.report is not None and not dialog.running)
        summary = str(dialog.query_one("#import-summary").render())
        assert "1 imported" in summary and "1 rejected" in summary and "empty.eml" in summary
        assert dialog.query_one("#import-progress").display
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and table.loaded and table.row_count == 1)


async def test_campaign_lane_shows_the_group_and_the_flagged_message(office, office_path):
    inbox.import_paths(office, [MAIL / "campaign.mbox"])
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        groups = await ready(pilot, "4", rows=1)
        group = groups.cursor_row
        assert group.waiting == 40 and group.flagged == 1
        await wait_for(pilot, lambda: "1 flagged" in str(app.screen.query_one("#preview-meta").render()))
        await pilot.press("enter")
        table = messages(app)
        await wait_for(pilot, lambda: table.display and table.loaded and table.row_count == 40
                       and table.cursor_row is not None)
        first = table.cursor_row
        assert "differs_from_campaign" in first.flags  # the flagged one is first, and it opens
        await wait_preview(pilot, first.id)
        assert "pension credit" in str(app.screen.query_one("#preview-body").render())
        assert "differs from the campaign" in str(app.screen.query_one("#preview-meta").render())
        await pilot.press("backspace")
        await wait_for(pilot, lambda: app.screen.query_one("#campaigns").display)
        await pilot.press("A")  # one acknowledgement per sender, previewed first, into the outbox
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewDialog))
        preview = drawn_text(app.screen.query_one("#preview-text"))
        assert "To 39 sender(s)" in preview and "1 flagged message(s) left out" in preview
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(replies.list_outbox(app.office)) == 39)  # the flagged one is left out
        assert replies.list_outbox(app.office)[0].body.startswith("Dear ")
        await wait_for(pilot, lambda: groups.loaded and groups.row_count == 0)  # the group is closed


async def test_reply_attachment_and_outbox_export(office, office_path, tmp_path):
    inbox.import_paths(office, [MAIL / "attachment.eml"])
    from mpoffice_tui.services import settings as office_settings

    office_settings.change(office, "office_email", "casework@example.org")  # a From address: .eml can be written
    office.close()
    out = tmp_path / "out"
    out.mkdir()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, rows=1)
        mid = table.cursor_row.id
        await wait_preview(pilot, mid)
        assert "Attachments:" in str(app.screen.query_one("#preview-meta").render())
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, (AskDialog, ChooseDialog)))
        if isinstance(app.screen, ChooseDialog):
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        app.screen.query_one("#answer", Input).value = str(out)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(out.iterdir()))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, (ChooseDialog, FormDialog)))
        if isinstance(app.screen, ChooseDialog):
            await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))  # the reply, to read and change first
        reply = app.screen
        body = reply.query_one("#field-body", TextArea)
        assert body.text.startswith("Dear ") and not replies.list_outbox(app.office)
        body.text = body.text.replace("Thank you for contacting me.", "Thank you for the [b]photos[/b].")
        await pilot.press("ctrl+t")  # Save draft (Ctrl+S would queue it to send)
        await wait_for(pilot, lambda: len(replies.list_outbox(app.office)) == 1)
        assert "Thank you for the [b]photos[/b]." in replies.list_outbox(app.office)[0].body
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        app.screen.query_one("#answer", Input).value = str(out / "eml")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (out / "eml").is_dir() and any((out / "eml").glob("*.eml")))
        assert b"X-Unsent: 1" in next((out / "eml").glob("*.eml")).read_bytes()


async def test_drop_folder_is_scanned(office, office_path, tmp_path):
    office.close()
    drop = tmp_path / "dropfolder"
    drop.mkdir()
    shutil.copy(MAIL / "encoded_headers.eml", drop)
    os.utime(drop / "encoded_headers.eml", (time.time() - 60, time.time() - 60))
    app = make_app(office_path, passphrase=PASSPHRASE, settings=Settings(idle_lock_minutes=0, drop_folder=str(drop)))
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot)
        await wait_for(pilot, lambda: table.loaded and table.row_count == 1)
        assert (drop / "processed" / "encoded_headers.eml").exists()


async def test_markup_and_escapes_in_a_subject_are_shown_literally(office, office_path):
    with office.writing() as w:
        w.insert_many(Message, [dict(channel="email", sender_name="[red]Eve[/]", sender_email="eve@example.org",
                                     subject="[bold red]x[/] \x1b[31mred\x1b[0m", body_text="[b]hi[/b]\x1b]0;title\x07",
                                     received_at="2026-03-01T09:00:00Z", content_hash="h1", triage="new")])
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 24)) as pilot:
        table = await ready(pilot, rows=1)
        await wait_preview(pilot, table.cursor_row.id)
        await pilot.pause(0.05)
        head = str(app.screen.query_one("#preview-head").render())
        body = str(app.screen.query_one("#preview-body").render())
        line = "".join(segment.text for segment in table.render_line(1))
        for shown in (head, line):
            assert "[bold red]x[/]" in shown and "[red]Eve[/]" in shown and "\x1b" not in shown
        assert "[b]hi[/b]" in body and "\x1b" not in body and "\x07" not in body


async def test_outbox_lane_lists_drafts_to_their_recipient_and_discards_one(mail_office):
    path, ids, case_id = mail_office
    from mpoffice_tui.db.engine import open_office

    office = open_office(path, PASSPHRASE)
    try:
        inbox.file_to_case(office, ids["Still damp"], "A-00007")
        first = replies.draft_reply(office, ids["Still damp"])
        second = replies.draft_reply(office, ids["Still damp"], body="Second thoughts")
    finally:
        office.close()
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(pilot, "6", rows=2)  # the sixth lane: drafts waiting to be exported
        assert {table.row_at(i).id for i in range(2)} == {first.id, second.id}
        assert drawn_text(table).count("Ada Okafor") == 2  # who each draft is to (by name; the preview has the address)
        assert "Discard" in drawn_text(app.screen.query_one("KeyBar"))
        await pilot.press("a")  # triage keys do nothing to a draft
        await pilot.pause(0.3)
        assert isinstance(app.screen, InboxScreen) and len(replies.list_outbox(app.office)) == 2
        doomed = table.cursor_row.id
        await wait_preview(pilot, doomed)
        assert "To: Ada Okafor <ada@example.org>" in drawn_text(app.screen.query_one("#preview-head"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: [d.id for d in replies.list_outbox(app.office)] == [
            x for x in (first.id, second.id) if x != doomed])
        await wait_for(pilot, lambda: table.loaded and table.row_count == 1)


async def test_lane_counts_that_arrive_before_the_tabs_are_mounted_are_kept(office_path):
    """Counts can reach the Inbox before its tabs are mounted (CI: NoMatches '#lane-new'): never a crash,
    and the tabs show the counts once they are."""
    app = make_app(office_path, settings=Settings(idle_lock_minutes=0))
    async with app.run_test():
        screen = InboxScreen()  # not mounted: no tab is in the DOM yet
        screen.show_counts({"new": 3, "outbox": 1})
        assert screen.lane_tabs["new"].label.plain == "New 3"
        assert screen.lane_tabs["outbox"].label.plain == "Outbox 1"


# -- issue 19: triage a caseworker can trust ----------------------------------------------------------------
def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_undo_from_the_lane_takes_back_an_ignore_and_a_filing(mail_office):
    """u works in the lane where the user is: an ignore comes back, and a filing comes off the case."""
    path, ids, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        table = await ready(pilot, rows=1)
        mid = ids["Bus stop moved"]
        await wait_preview(pilot, mid)
        await pilot.press("i")
        await wait_for(pilot, lambda: table.loaded and table.row_count == 0)
        await pilot.press("u")  # still in New, where the message was ignored from
        await wait_for(pilot, lambda: detail(app, mid).triage == "new" and table.loaded and table.row_count == 1)
        await wait_for(pilot, lambda: any("Undone: ignored" in n for n in notices(app)))
        await wait_preview(pilot, mid)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press(*"okafor", "enter")  # by the constituent's name
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # Ada's case, Mary's message
        question = " ".join(drawn_text(app.screen.query_one(".dialog-text")).split())
        assert "is Ada Okafor's case, but this message is from Mary Jones" in question
        await pilot.press("enter")  # a second Enter is a no: nothing is filed by accident
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert detail(app, mid).case_id is None
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press(*"okafor", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: detail(app, mid).case_id == case_id and table.loaded and table.row_count == 0)
        await pilot.press("u")
        await wait_for(pilot, lambda: detail(app, mid).case_id is None and table.loaded and table.row_count == 1)
        from mpoffice_tui.services import cases

        assert mid not in {i.id for i in cases.get_case(app.office, "A-00007").timeline}
        assert detail(app, mid).triage == "new"
        await wait_for(pilot, lambda: any("Undone: filed to A-00007" in n for n in notices(app)))


async def test_undo_in_the_done_lane_takes_the_highlighted_message_off_its_case(mail_office):
    path, ids, case_id = mail_office
    from mpoffice_tui.db.engine import open_office

    office = open_office(path, PASSPHRASE)
    try:
        inbox.file_to_case(office, ids["Bus stop moved"], "A-00007")
    finally:
        office.close()
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        done = await ready(pilot, "5", rows=1)
        await wait_preview(pilot, ids["Bus stop moved"])
        await pilot.press("u")
        await wait_for(pilot, lambda: done.loaded and done.row_count == 0)
        after = detail(app, ids["Bus stop moved"])
        assert (after.triage, after.case_id) == ("new", None)


async def test_a_typo_in_the_file_dialog_keeps_it_open(mail_office):
    path, ids, case_id = mail_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "3", rows=1)  # Ada's own message: no question asked
        mid = ids["Still damp"]
        await wait_preview(pilot, mid)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        dialog = app.screen
        await pilot.press(*"A-0070", "enter")  # no such case
        await wait_for(pilot, lambda: app.screen is not dialog or "Nothing matches 'A-0070'" in drawn_text(
            dialog.query_one("#pick-message")))
        assert app.screen is dialog and detail(app, mid).case_id is None  # still open, with what was typed
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*"007", "enter")  # part of the reference
        await wait_for(pilot, lambda: detail(app, mid).case_id == case_id)
        assert isinstance(app.screen, InboxScreen)


async def test_new_case_finds_the_known_person_suggests_a_category_and_opens(mail_office, tmp_path):
    path, ids, _ = mail_office
    from mpoffice_tui.db.engine import open_office

    office = open_office(path, PASSPHRASE)
    try:  # Mary's first message already made her a constituent; a second one arrives from her
        first = inbox.new_case(office, ids["Bus stop moved"])
        folder = tmp_path / "more"
        folder.mkdir()
        eml(folder, "d.eml", "Mary Jones <mary.j@example.net>", "Damp in my flat",
            "The landlord will not repair the mould.", "d1@example.net")
        inbox.import_paths(office, [folder])
        people = len(office_people(office))
    finally:
        office.close()
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, "3", rows=2)
        table = messages(app)
        row = next(table.row_at(i) for i in range(2) if table.row_at(i).subject == "Damp in my flat")
        table.move_cursor(next(i for i in range(2) if table.row_at(i).id == row.id))
        await wait_preview(pilot, row.id)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageCaseDialog))
        known = drawn_text(app.screen.query_one("#case-known"))
        assert "Mary Jones" in known and not app.screen.query("#person-surname")  # no second Mary to type
        assert app.screen.query_one("#case-category", Input).value == "Housing"  # from the words of the message
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        assert app.screen.detail.detail.case.title == "Damp in my flat"
        assert detail(app, row.id).constituent_id == first.constituent_id
        assert len(office_people(app.office)) == people


def office_people(office) -> list:
    from sqlmodel import select

    with office.read() as s:
        return list(s.exec(select(Constituent).where(Constituent.deleted == False)).all())  # noqa: E712


async def test_acknowledge_a_campaign_with_a_chosen_template(office, office_path):
    from mpoffice_tui.services import letters

    inbox.import_paths(office, [MAIL / "campaign.mbox"])
    letters.add_template(office, "Rivers thanks", "{salutation},\n\nThank you for writing about our rivers.",
                         kind="campaign", subject="Clean rivers")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        groups = await ready(pilot, "4", rows=1)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseDialog))
        await pilot.press("enter")  # the office's campaign template (the built-in one is also offered)
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewDialog))
        preview = drawn_text(app.screen.query_one("#preview-text"))
        assert "Thank you for writing about our rivers." in preview and "Subject: Clean rivers" in preview
        await pilot.press("escape")  # nothing drafted without a yes
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert replies.list_outbox(app.office) == []
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(replies.list_outbox(app.office)) == 39)
        assert all(d.subject == "Clean rivers" for d in replies.list_outbox(app.office))
        await wait_for(pilot, lambda: groups.loaded and groups.row_count == 0)
        assert inbox.lane_counts(app.office)["new"] == 2  # the flagged one waits to be read on its own


async def test_eight_bit_names_show_intact_in_the_inbox(office, office_path, tmp_path):
    raw = ("From: Siobhán Ó Súilleabháin <siobhan@example.org>\nTo: office@example.org\n"
           "Subject: Damp – Siobhán\nMessage-ID: <8bit-ui@example.org>\n\nThe damp is back.\n")
    (tmp_path / "8bit.eml").write_bytes(raw.encode("utf-8"))
    assert inbox.import_paths(office, [tmp_path / "8bit.eml"]).imported == 1
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(100, 24)) as pilot:
        table = await ready(pilot, rows=1)
        await wait_preview(pilot, table.cursor_row.id)
        head = drawn_text(app.screen.query_one("#preview-head"))
        assert "Siobhán Ó Súilleabháin" in head and "Damp – Siobhán" in head and "\ufffd" not in head
