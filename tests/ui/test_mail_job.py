"""The app's mail job on its own (no Pilot): it ends at once where this machine fetches for no account, backs
off when the servers are unreachable, and a stop ends it promptly with nothing queued lost."""

from __future__ import annotations

import queue
import threading

import pytest

from mpoffice_tui.services import mail_accounts, outbox, replies
from mpoffice_tui.ui.jobs import MailJob

pytestmark = pytest.mark.mail


def test_with_no_account_here_the_job_ends_at_once(office):
    job = MailJob(office, 600, lambda r: None)
    job.run()
    assert job.finished.is_set()


def test_unreachable_servers_back_off_and_a_stop_ends_it_with_the_mail_still_queued(office, mail_servers):
    from mpoffice_tui.services import cases, constituents

    mail_accounts.add_imap(office, "office", user=mail_servers.user, password=mail_servers.password,
                           imap_host=mail_servers.host, imap_port=mail_servers.imaps_port, smtp_host=mail_servers.host,
                           smtp_port=mail_servers.smtps_port, security="ssl", trust_fingerprint=mail_servers.fingerprint)
    person = constituents.create(office, forenames="Mary", surname="Jones", email="mary.jones@example.net")
    case = cases.create_case(office, constituent_id=person.id, title="Damp flat", category="Housing")
    queued = replies.reply_on_case(office, case.id, body="Hello")
    mail_servers.stop_imap()
    mail_servers.close()  # SMTP gone too: nothing answers
    rounds: queue.Queue = queue.Queue()
    job = MailJob(office, 600, rounds.put)
    thread = threading.Thread(target=job.run)
    thread.start()
    try:
        first = rounds.get(timeout=60)
        assert first.offline and first.problems and "'office'" in first.problems[0]
        assert job.failures == 1  # now waiting a minute before trying again
    finally:
        assert job.stop(wait=10), "the job did not stop"
        thread.join(10)
    assert outbox.get(office, queued.id).state == "queued"
