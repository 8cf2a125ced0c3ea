"""The office mailbox end to end in-process, on a real SQLCipher office and real servers (Dovecot, SMTP):
accounts, fetching, sending exactly once, bounces, approval, offline."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.mailbox.types import MailServerError
from mpoffice_tui.services import (
    cases,
    constituents,
    inbox,
    mail_accounts,
    mail_fetch,
    mail_send,
    mail_status,
    outbox,
    replies,
    settings,
)

pytestmark = pytest.mark.mail
CONSTITUENT = "mary.jones@example.net"


def mail(n: int, *, subject: str = "Housing repair", sender: str = CONSTITUENT, extra: str = "") -> bytes:
    return (f"From: Mary Jones <{sender}>\r\nTo: office@office.test\r\nSubject: {subject} {n}\r\n"
            f"Message-ID: <m{n}-{subject.replace(' ', '')}@example.net>\r\nDate: Mon, 3 Mar 2025 10:{n % 60:02d}:00 +0000\r\n"
            f"{extra}\r\nThe damp in flat {n} is worse.\r\n").encode()


def add(office, servers, **kw) -> mail_accounts.AccountView:
    args = {"user": servers.user, "password": servers.password, "imap_host": servers.host,
            "imap_port": servers.imaps_port, "smtp_host": servers.host, "smtp_port": servers.smtps_port,
            "security": "ssl", "trust_fingerprint": servers.fingerprint, "check": mail_accounts.check_servers}
    return mail_accounts.add_imap(office, "office", **{**args, **kw})


def case_for_mary(office) -> str:
    person = constituents.create(office, forenames="Mary", surname="Jones", email=CONSTITUENT)
    return cases.create_case(office, constituent_id=person.id, title="Damp flat", category="Housing").ref


# -- accounts -----------------------------------------------------------------------------------------
def test_adding_an_account_checks_both_servers_and_finds_the_sent_folder(office, mail_servers):
    view = add(office, mail_servers)
    assert view.here and view.mail_machine == "this machine" and view.sent_folder == "Sent"
    assert view.signed_in and view.address == mail_servers.user


def test_a_wrong_password_is_one_line_naming_the_account_and_nothing_is_stored(office, mail_servers):
    with pytest.raises(MailServerError) as err:
        add(office, mail_servers, password="not-the-password")
    assert err.value.kind == "auth" and "'office'" in str(err.value) and "not-the-password" not in str(err.value)
    assert mail_accounts.list_accounts(office) == []


def test_a_self_signed_certificate_is_refused_unless_its_fingerprint_is_trusted(office, mail_servers):
    with pytest.raises(MailServerError) as err:
        add(office, mail_servers, trust_fingerprint=None)
    assert err.value.kind == "certificate" and mail_servers.fingerprint in str(err.value)
    assert mail_accounts.list_accounts(office) == []


def test_the_password_is_sealed_in_the_op_log(office, mail_servers):
    add(office, mail_servers)
    with office.engine.connect() as conn:
        dump = "\n".join(str(r) for r in conn.exec_driver_sql("SELECT value FROM ops").fetchall())
    assert mail_servers.password not in dump


# -- fetching ------------------------------------------------------------------------------------------
def test_fetch_is_incremental_and_one_message_imported_from_a_file_and_fetched_is_one(office, mail_servers, tmp_path):
    add(office, mail_servers)
    (tmp_path / "one.eml").write_bytes(mail(1))
    assert inbox.import_paths(office, [tmp_path / "one.eml"]).imported == 1
    mail_servers.put_many([mail(i) for i in (1, 2, 3)])
    first = mail_fetch.fetch(office)
    assert (first.fetched, first.duplicates, first.problems) == (2, 1, [])
    assert mail_fetch.fetch(office).fetched == 0  # nothing new
    mail_servers.put(mail(4))
    assert mail_fetch.fetch(office).fetched == 1
    with office.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), count(DISTINCT message_id_header) FROM messages").fetchone() == (4, 4)
    assert "mail fetched" in mail_status.header_line(office)


def test_a_fetch_stopped_part_way_resumes_with_nothing_lost_or_twice(office, mail_servers):
    add(office, mail_servers)
    mail_servers.put_many([mail(i) for i in range(60)])
    stop = threading.Event()
    first = mail_fetch.fetch(office, stop=stop, batch=10, progress=lambda done, total: stop.set())
    assert first.stopped and first.fetched == 10
    rest = mail_fetch.fetch(office, batch=10)
    assert rest.fetched == 50 and rest.duplicates == 0


def test_a_renumbered_folder_is_read_again_and_explained(office, mail_servers):
    add(office, mail_servers)
    mail_servers.put_many([mail(i) for i in range(3)])
    assert mail_fetch.fetch(office).fetched == 3
    mail_servers.reset_uidvalidity("INBOX")
    again = mail_fetch.fetch(office)
    assert (again.fetched, again.duplicates) == (0, 3)
    assert any("renumbered" in n for n in again.notices)


def test_a_vanished_folder_is_skipped_and_said(office, mail_servers):
    mail_servers.create_folder("Casework")
    add(office, mail_servers, folders=["INBOX", "Casework"])
    mail_servers.put(mail(1), folder="Casework")
    assert mail_fetch.fetch(office).fetched == 1
    mail_servers.delete_folder("Casework")
    mail_servers.put(mail(2))
    report = mail_fetch.fetch(office)
    assert report.fetched == 1 and any("'Casework' is no longer on the server" in n for n in report.notices)


def test_a_server_that_drops_the_connection_mid_fetch_loses_nothing(office, mail_servers):
    add(office, mail_servers)
    mail_servers.put_many([mail(i) for i in range(40)])
    calls = []

    def drop(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 1:
            mail_servers.stop_imap()

    report = mail_fetch.fetch(office, batch=10, progress=drop)
    assert report.fetched == 10 and len(report.problems) == 1 and "'office'" in report.problems[0]
    assert "offline" in mail_status.header_line(office)
    mail_servers.start_imap()
    assert mail_fetch.fetch(office, batch=10).fetched == 30


# -- sending -------------------------------------------------------------------------------------------
def test_a_reply_from_a_case_is_sent_filed_in_sent_and_the_answer_threads_back(office, mail_servers):
    add(office, mail_servers)
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="{salutation},\n\nWe have written to the council.\n")
    assert done.state == "queued"
    report = mail_send.send_queued(office)
    assert (report.sent, report.problems) == (1, [])
    [delivery] = mail_servers.wait_deliveries(1)
    sent = message_from_bytes(delivery.raw)
    assert sent["From"].endswith(f"<{mail_servers.user}>") and CONSTITUENT in delivery.rcpts
    assert ref in sent["Subject"] and "X-Unsent" not in sent
    out = outbox.get(office, done.id)
    assert out.state == "sent" and out.sent_at
    assert any(sent["Message-ID"].encode() in m for m in mail_servers.folder_messages("Sent"))
    # the constituent answers: it comes back onto the same case
    mail_servers.put(mail(9, subject="Re: Damp flat", extra=f"In-Reply-To: {sent['Message-ID']}\r\n"))
    assert mail_fetch.fetch(office).auto_filed == 1
    timeline = cases.get_case(office, ref).timeline
    assert any(i.state == "sent" for i in timeline) and sum(i.kind == "message" for i in timeline) == 2


def test_a_temporary_refusal_waits_with_a_growing_delay_then_goes(office, mail_servers):
    add(office, mail_servers)
    ref = case_for_mary(office)
    mail_servers.reject(CONSTITUENT, 451)
    done = replies.reply_on_case(office, ref, body="Hello")
    report = mail_send.send_queued(office)
    assert report.retry_later == 1 and report.sent == 0
    o = outbox.get(office, done.id)
    assert o.state == "queued" and o.attempts == 1 and "451" in (o.reason or "") + str(report.problems)
    assert mail_send.send_queued(office).sent == 0  # not due yet: nothing is tried
    mail_servers.clear_rejects()
    later = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert mail_send.send_queued(office, now=later).sent == 1


def test_a_permanent_refusal_fails_with_the_servers_reason_and_can_be_retried(office, mail_servers):
    add(office, mail_servers)
    ref = case_for_mary(office)
    mail_servers.reject(CONSTITUENT, 550)
    done = replies.reply_on_case(office, ref, body="Hello")
    assert mail_send.send_queued(office).failed == 1
    o = outbox.get(office, done.id)
    assert o.state == "failed" and o.reason
    mail_servers.clear_rejects()
    outbox.queue(office, [done.id])
    assert mail_send.send_queued(office).sent == 1


def test_a_bounce_fetched_later_fails_the_message_and_shows_on_its_case(office, mail_servers):
    add(office, mail_servers)
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="Hello")
    mail_send.send_queued(office)
    mid = outbox.get(office, done.id)
    with office.engine.connect() as conn:
        header = conn.exec_driver_sql("SELECT message_id_header FROM messages WHERE id = ?", (mid.id,)).fetchone()[0]
    dsn = ("From: Mail Delivery System <MAILER-DAEMON@example.net>\r\nTo: office@office.test\r\n"
           "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@example.net>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
           "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
           "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
           f"Final-Recipient: rfc822; {CONSTITUENT}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
           "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n"
           f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {header}\r\nSubject: x\r\n--B--\r\n").encode()
    mail_servers.put(dsn)
    mail_fetch.fetch(office)
    o = outbox.get(office, done.id)
    assert o.state == "failed" and "bounced" in o.reason and "mailbox unavailable" in o.reason
    titles = [i.title for i in cases.get_case(office, ref).timeline]
    assert any("Undelivered" in t for t in titles) and any("failed" in t for t in titles)


def test_with_sign_off_mail_waits_for_the_mp_or_a_manager(office, mail_servers):
    add(office, mail_servers)
    settings.change(office, "mail_approval", "yes")
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="Hello")
    assert done.state == "awaiting_approval"
    assert mail_send.send_queued(office).sent == 0
    outbox.approve(office, [done.id])  # the office's creator is a manager
    assert mail_send.send_queued(office).sent == 1


def test_with_no_account_and_no_office_email_a_draft_says_so_and_cannot_be_queued(office):
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="Hello", queue=False)
    assert "no From address" in (outbox.get(office, done.id).reason or "")
    with pytest.raises(OfficeError, match="no From address"):
        outbox.queue(office, [done.id])


def test_a_message_interrupted_while_sending_is_found_in_sent_and_not_sent_twice(office, mail_servers):
    """The state a kill leaves (tests/e2e/test_mail_cli.py kills a real process): `sending`, and the
    server has the message. With the server filing sent mail (as Microsoft 365 does), it is found."""
    add(office, mail_servers)
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="Hello")
    mail_send.send_queued(office)
    mail_servers.wait_deliveries(1)
    with office.writing() as w:  # as if killed after the server took it, before the answer was recorded
        from sqlmodel import select

        from mpoffice_tui.db.models import OutgoingMail

        o = w.session.exec(select(OutgoingMail).where(OutgoingMail.message_id == done.id)).one()
        w.update(o, state="sending", sent_at=None)
    report = mail_send.send_queued(office)
    assert report.found_in_sent == 1 and report.sent == 0
    assert len(mail_servers.deliveries()) == 1 and outbox.get(office, done.id).state == "sent"


# -- the mail machine ------------------------------------------------------------------------------------
@pytest.fixture
def two_machines(tmp_path):
    from sync_helpers import make_replicas, open_pair

    make_replicas(tmp_path / "template", ("a", "b"))
    a, b = open_pair(tmp_path / "template", tmp_path / "open")
    yield a, b
    a.close()
    b.close()


def test_only_the_mail_machine_sends_and_handing_the_role_over_never_sends_twice(two_machines, mail_servers):
    from sync_helpers import exchange

    a, b = two_machines
    add(a, mail_servers)
    ref = case_for_mary(a)
    exchange(a, b)
    # B sees the account and queues a reply, but B is not the mail machine: it sends nothing
    replies.reply_on_case(b, ref, body="From machine B")
    assert mail_send.send_queued(b).sent == 0 and mail_accounts.accounts_here(b) == []
    with pytest.raises(OfficeError, match="is its mail machine"):
        mail_accounts.move(b, "office", "here")  # taking the role needs --force (the old one may be sending)
    exchange(a, b)
    assert mail_send.send_queued(a).sent == 1  # A, the mail machine, sends B's reply
    mail_accounts.move(a, "office", b.site_code)  # handed over from A: A stops at once
    replies.reply_on_case(a, ref, body="Second")
    assert mail_send.send_queued(a).sent == 0
    exchange(a, b)
    assert mail_send.send_queued(b).sent == 1 and mail_send.send_queued(a).sent == 0
    exchange(a, b)
    assert len(mail_servers.deliveries()) == 2
    assert all(o.state == "sent" for o in outbox.list_outgoing(a)) and len(outbox.list_outgoing(a)) == 2


def test_campaign_acknowledgements_go_out_paced_with_a_state_per_recipient(office, mail_servers):
    from mpoffice_tui.services import campaigns

    add(office, mail_servers)
    text = ("Dear MP, I urge you to support the Clean Rivers Bill and to speak for it in the debate next week. "
            "Our rivers are full of sewage and it has to stop now, for wildlife and for the people who swim. ") * 3
    for i in range(3):
        mail_servers.put(f"From: Voter {i} <voter{i}@example.net>\r\nSubject: Clean rivers\r\nMessage-ID: "
                         f"<cr{i}@example.net>\r\n\r\n{text}\r\nVoter {i}\r\n".encode())
    mail_fetch.fetch(office)
    [camp] = campaigns.list_campaigns(office)
    drafts = replies.draft_campaign_acknowledgements(office, camp.id, send=True)
    states = [outbox.get(office, d.id) for d in drafts]
    assert len(states) == 3 and {s.state for s in states} == {"queued"}
    due = sorted(s.next_attempt_at for s in states)
    assert due[0] < due[1] < due[2]  # paced, 20 a minute by default
    assert mail_send.send_queued(office).sent == 1  # only the first is due now
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert mail_send.send_queued(office, now=later).sent == 2
    assert sorted(r for d in mail_servers.deliveries() for r in d.rcpts) == [f"voter{i}@example.net" for i in range(3)]


def test_mail_queued_to_a_person_who_is_then_erased_is_never_sent(office, mail_servers):
    from mpoffice_tui.services import retention

    add(office, mail_servers)
    ref = case_for_mary(office)
    done = replies.reply_on_case(office, ref, body="About your immigration appeal")
    person = cases.get_case(office, ref).constituent.id
    retention.erase(office, [f"constituent:{person}"], reason="asked to be forgotten", confirm=True)
    assert mail_send.send_queued(office).sent == 0 and mail_servers.deliveries() == []
    with office.engine.connect() as conn:  # never tried, and nothing of it is left to read
        attempts, reason = conn.exec_driver_sql("SELECT attempts, reason FROM outgoing_mail WHERE message_id = ?",
                                                (done.id,)).fetchone()
    assert attempts == 0 and reason is None
