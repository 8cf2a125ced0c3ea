"""The office mailbox in the app, on a real SQLCipher office and real servers (Dovecot, SMTP): the mail job
sends what a case reply queues, fetches what IDLE announces, says offline in the header, and never makes
the app wait on the network; the Outbox lane's keys."""

from __future__ import annotations

import pytest
from pilot_helpers import SIZE, drawn_text, wait_for
from textual.widgets import Static, TextArea

from mpoffice_tui.config import Settings
from mpoffice_tui.services import cases, constituents, mail_accounts, outbox, replies, settings, staff
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.mail_accounts import MailAccountsDialog
from mpoffice_tui.ui.dialogs.send_mail import CaseReplyDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from mpoffice_tui.ui.widgets.timeline import Timeline

pytestmark = pytest.mark.mail
PASSPHRASE = "correct horse battery"
MARY = "mary.jones@example.net"
QUIET = Settings(idle_lock_minutes=0, mail_poll_seconds=600)  # only IDLE or a wake brings a round


def add_account(office, servers) -> None:
    mail_accounts.add_imap(office, "office", user=servers.user, password=servers.password, imap_host=servers.host,
                           imap_port=servers.imaps_port, smtp_host=servers.host, smtp_port=servers.smtps_port,
                           security="ssl", trust_fingerprint=servers.fingerprint, check=mail_accounts.check_servers)


def mary_case(office) -> tuple[str, str]:
    person = constituents.create(office, forenames="Mary", surname="Jones", email=MARY)
    case = cases.create_case(office, constituent_id=person.id, title="Damp flat", category="Housing")
    return case.id, case.ref


def incoming(n: int) -> bytes:
    return (f"From: Sam Lee <sam.lee@example.net>\r\nTo: office@office.test\r\nSubject: Bins {n}\r\n"
            f"Message-ID: <bins{n}@example.net>\r\nDate: Mon, 3 Mar 2025 10:0{n}:00 +0000\r\n\r\n"
            "The bins were not collected.\r\n").encode()


def header_text(app) -> str:
    return str(app.sub_title)


async def open_case(pilot, case_id: str) -> CaseDetailScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await app.open_case(case_id)
    await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
    return app.screen


def timeline_text(screen) -> str:
    return drawn_text(screen.query_one(Timeline))


async def test_an_email_from_a_case_is_queued_sent_by_the_mail_job_and_shown_sent(office, office_path, mail_servers):
    add_account(office, mail_servers)
    case_id, ref = mary_case(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, case_id)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseReplyDialog))
        dialog = app.screen
        assert "Send" in str(dialog.query_one("#dialog-submit").label)
        body = dialog.query_one("#field-body", TextArea)
        assert body.text.startswith("Dear ")
        body.text = body.text.replace("Thank you for contacting me.", "The council has [b]agreed[/b].")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: len(mail_servers.deliveries()) == 1, timeout=30)
        [sent] = outbox.list_outgoing(app.office)
        await wait_for(pilot, lambda: outbox.get(app.office, sent.id).state == "sent", timeout=30)
        delivery = mail_servers.deliveries()[0]
        assert delivery.rcpts == [MARY] and b"The council has [b]agreed[/b]." in delivery.raw
        await wait_for(pilot, lambda: "— sent" in timeline_text(screen))  # the timeline follows by itself
        assert ref in outbox.get(app.office, sent.id).subject


async def test_the_header_says_to_send_while_the_server_refuses_and_offline_when_imap_stops(
        office, office_path, mail_servers):
    add_account(office, mail_servers)
    case_id, _ref = mary_case(office)
    office.close()
    mail_servers.reject(r"mary\.jones@", 451)  # "try again later"
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "mail fetched" in header_text(app), timeout=30)  # fetched on unlock
        await open_case(pilot, case_id)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseReplyDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen))
        await wait_for(pilot, lambda: outbox.list_outgoing(app.office)
                       and outbox.list_outgoing(app.office)[0].reason is not None, timeout=30)
        assert outbox.list_outgoing(app.office)[0].state == "queued"  # waits to be tried again: nothing lost
        await wait_for(pilot, lambda: "1 to send" in header_text(app), timeout=15)
        assert mail_servers.deliveries() == []
        mail_servers.stop_imap()  # the IDLE connection drops
        await wait_for(pilot, lambda: "offline" in header_text(app), timeout=30)
        assert "1 to send" in header_text(app)


async def test_new_mail_arrives_by_idle_without_a_key_press(office, office_path, mail_servers):
    add_account(office, mail_servers)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and "mail fetched" in header_text(app),
                       timeout=30)
        screen = app.screen
        await wait_for(pilot, lambda: screen.counts.get("new", -1) == 0)
        mail_servers.put(incoming(1))
        mail_servers.put(incoming(2))
        await wait_for(pilot, lambda: screen.counts.get("new") == 2, timeout=30)  # poll is 10 minutes away
        table = screen.query_one("#messages", PagedTable)
        await wait_for(pilot, lambda: table.loaded and table.row_count == 2)


async def test_mail_that_arrives_between_a_fetch_and_the_idle_is_not_left_for_the_poll(office, office_path,
                                                                                     mail_servers):
    """The job fetches, then sends (held here by the SMTP server), then IDLEs: mail delivered in between is
    already in the folder when IDLE starts, so IDLE alone would never report it."""
    add_account(office, mail_servers)
    _case_id, ref = mary_case(office)
    replies.reply_on_case(office, ref, body="Hello")
    office.close()
    mail_servers.hold_smtp()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=SIZE) as pilot:
        try:
            await wait_for(pilot, lambda: mail_servers.smtp_held() == 1, timeout=30)  # the fetch is done
            mail_servers.put(incoming(1))
            mail_servers.put(incoming(2))
        finally:
            mail_servers.release_smtp()
        screen = app.screen
        await wait_for(pilot, lambda: isinstance(screen, InboxScreen) and screen.counts.get("new") == 2,
                       timeout=30)  # the poll is 10 minutes away


async def test_outbox_lane_keys_send_refuse_approval_to_a_caseworker_and_discard(office, office_path, mail_servers):
    add_account(office, mail_servers)
    case_id, _ref = mary_case(office)
    settings.change(office, "mail_approval", "yes")
    staff.add(office, "Priya Shah", "caseworker", "priya's long passphrase")
    keep = replies.reply_on_case(office, case_id, body="First", queue=False)
    drop = replies.reply_on_case(office, case_id, body="Second", queue=False)
    office.close()
    app = make_app(office_path, passphrase="priya's long passphrase", settings=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("6")
        screen = app.screen
        table = screen.query_one("#messages", PagedTable)
        await wait_for(pilot, lambda: screen.lane == "outbox" and table.loaded and table.row_count == 2
                       and table.cursor_row is not None)
        bar = drawn_text(screen.query_one("KeyBar"))
        assert all(word in bar for word in ("Send", "Approve", "Redraft", "Discard")), bar  # o Export: under ? at 80
        assert "draft" in drawn_text(table)
        while table.cursor_row.id != keep.id:
            await pilot.press("j")
            await wait_for(pilot, lambda: table.cursor_row is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: outbox.get(app.office, keep.id).state == "awaiting_approval")
        await wait_for(pilot, lambda: "waiting for approval" in drawn_text(table))
        await pilot.press("a")  # a caseworker cannot approve: said so, nothing changes
        await wait_for(pilot, lambda: any("only the MP or a manager" in str(n.message)
                                          for n in app._notifications))
        assert outbox.get(app.office, keep.id).state == "awaiting_approval"
        await pilot.press("e")
        await wait_for(pilot, lambda: outbox.get(app.office, keep.id).state == "draft")
        await pilot.click("#messages", offset=(30, 1 + [table.row_at(i).id for i in range(2)].index(drop.id)))
        await wait_for(pilot, lambda: table.cursor_row.id == drop.id)
        await pilot.press("d")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: [o.id for o in outbox.list_outgoing(app.office)] == [keep.id])
        await wait_for(pilot, lambda: table.loaded and table.row_count == 1)


async def test_the_app_stays_responsive_while_the_server_holds_a_send(office, office_path, mail_servers):
    add_account(office, mail_servers)
    case_id, _ref = mary_case(office)
    office.close()
    mail_servers.hold_smtp()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_case(pilot, case_id)
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, CaseReplyDialog))
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen)
            await wait_for(pilot, lambda: mail_servers.smtp_held() == 1, timeout=30)  # the job is mid-SMTP
            await pilot.press("escape")  # back to the Cases list, then the Inbox: the screen changes at once
            await wait_for(pilot, lambda: type(app.screen).__name__ == "CasesScreen", timeout=5)
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), timeout=5)
            assert mail_servers.smtp_held() == 1 and mail_servers.deliveries() == []
            [held] = outbox.list_outgoing(app.office)
            assert held.state == "sending"
            mail_servers.release_smtp()
            await wait_for(pilot, lambda: outbox.get(app.office, held.id).state == "sent", timeout=30)
    finally:
        mail_servers.release_smtp()


async def test_the_mail_accounts_panel_shows_each_account_and_fetches_now(office, office_path, mail_servers):
    add_account(office, mail_servers)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and "mail fetched" in header_text(app),
                       timeout=30)
        inbox_screen = app.screen
        from mpoffice_tui.ui.dialogs.mail_accounts import open_mail_accounts

        open_mail_accounts(app)
        await wait_for(pilot, lambda: isinstance(app.screen, MailAccountsDialog) and app.screen.query("#mail-accounts"))
        panel = app.screen.query_one("#mail-accounts", Static)
        await wait_for(pilot, lambda: "online" in drawn_text(panel))
        text = drawn_text(panel)
        assert mail_servers.user in text and "this machine" in text and "Last fetch" in text
        assert "Fetch and send now" in drawn_text(app.screen.query_one("KeyBar"))
        mail_servers.put(incoming(3))
        await pilot.press("f")
        await wait_for(pilot, lambda: inbox_screen.counts.get("new") == 1, timeout=30)


async def test_the_case_email_dialog_fits_80x24_and_works_with_the_mouse(office, office_path, mail_servers):
    add_account(office, mail_servers)
    case_id, _ref = mary_case(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, case_id)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseReplyDialog))
        dialog = app.screen
        await wait_for(pilot, lambda: all(dialog.query_one(w).region.height for w in (
            "#dialog-submit", "#dialog-draft", "#dialog-cancel")))  # laid out
        for wid in ("#dialog-submit", "#dialog-draft", "#dialog-cancel"):  # every button in sight
            region = dialog.query_one(wid).region
            assert region.height and region.y >= 0 and region.bottom <= 24, wid
        await pilot.click("#dialog-draft")  # Save draft, by mouse
        await wait_for(pilot, lambda: app.screen is screen)
        [draft] = outbox.list_outgoing(app.office)
        assert draft.state == "draft"
        await wait_for(pilot, lambda: "— draft" in timeline_text(screen))
        assert mail_servers.deliveries() == []
