"""mailbox/imap.py against a real Dovecot: sign-in, folders, UIDs, fetch, append, IDLE, and failures."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import imapclient
import pytest

from mpoffice_tui.mailbox import smtp
from mpoffice_tui.mailbox.imap import FETCH_BATCH, FolderStatus, ImapSession
from mpoffice_tui.mailbox.types import Credentials, MailServerError, Server

pytestmark = pytest.mark.mail


def _raw(n: int) -> bytes:
    return (f"From: Constituent {n} <c{n}@example.org>\r\nTo: office@office.test\r\nSubject: Help {n}\r\n"
            f"Message-ID: <msg{n}@example.org>\r\n\r\nPlease help with case {n}.\r\n").encode()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_login_password_and_xoauth2(mail_servers, security):
    for creds in (mail_servers.credentials(), mail_servers.credentials(oauth=True)):
        with ImapSession(mail_servers.settings(security), creds) as imap:
            assert set(imap.folders()) == {"INBOX", "Sent", "Drafts", "Trash"}


def test_wrong_password_names_the_account_and_hides_the_password(mail_servers):
    with pytest.raises(MailServerError) as err, \
            ImapSession(mail_servers.settings(), Credentials(password="Sekr1t-wrong")):
        pass
    e = err.value
    assert (e.kind, e.transient, e.account) == ("auth", False, "office")
    assert str(e) == ("mail account 'office': the server refused the user name or password "
                      "(user office@office.test)")
    assert "Sekr1t-wrong" not in str(e) and mail_servers.password not in str(e)


def test_wrong_token(mail_servers):
    with pytest.raises(MailServerError) as err, \
            ImapSession(mail_servers.settings(), Credentials(oauth_token="ya29.stale")):
        pass
    assert err.value.kind == "auth" and "sign-in token" in str(err.value) and "ya29.stale" not in str(err.value)


def test_unknown_host_and_refused_port_are_transient_network_errors(mail_servers):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    base = mail_servers.settings()
    for server, expected in ((Server("no-such-host.invalid", 993), "cannot find the server 'no-such-host.invalid'"),
                             (Server("127.0.0.1", closed), f"127.0.0.1:{closed} refused the connection")):
        with pytest.raises(MailServerError) as err, \
                ImapSession(dataclasses.replace(base, imap=server), mail_servers.credentials(), timeout=5):
            pass
        assert (err.value.kind, err.value.transient) == ("network", True)
        assert expected in str(err.value)


def test_folders_and_sent_folder(mail_servers):
    mail_servers.create_folder("Cases/Housing")
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        assert "Cases/Housing" in imap.folders()
        assert imap.sent_folder() == "Sent"


def test_uids_after_and_exact_bytes(mail_servers):
    raws = [_raw(n) for n in range(1, 4)]
    mail_servers.put_many(raws)
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        status = imap.open("INBOX")
        assert isinstance(status, FolderStatus) and (status.exists, status.uidnext) == (3, 4)
        assert imap.uids_after(0) == [1, 2, 3]
        assert imap.uids_after(1) == [2, 3]
        assert imap.uids_after(3) == []  # UID 4:* would still match UID 3
        assert imap.uids_after(99) == []
        assert list(imap.fetch([1, 2, 3])) == list(zip([1, 2, 3], raws, strict=True))
        assert list(imap.fetch([2, 77])) == [(2, raws[1])]  # a vanished UID is skipped
    with imapclient.IMAPClient("localhost", mail_servers.imaps_port,
                               ssl_context=__import__("ssl").create_default_context(
                                   cafile=str(mail_servers.cert_path))) as c:
        c.login(mail_servers.user, mail_servers.password)
        c.select_folder("INBOX", readonly=True)
        assert all(b"\\Seen" not in flags for flags in c.get_flags([1, 2, 3]).values())  # nothing marked read


def test_uidvalidity_change_is_visible(mail_servers):
    mail_servers.put_many([_raw(1), _raw(2)])
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        before = imap.open("INBOX")
    mail_servers.reset_uidvalidity("INBOX")
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        after = imap.open("INBOX")
    assert after.uidvalidity != before.uidvalidity and after.exists == 2


def test_deleted_folder_is_gone(mail_servers):
    mail_servers.create_folder("Campaigns")
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        imap.open("Campaigns")
        mail_servers.delete_folder("Campaigns")
        with pytest.raises(MailServerError) as err:
            imap.open("Campaigns")
        with pytest.raises(MailServerError) as err2:
            imap.append("Campaigns", _raw(1))
    for e in (err.value, err2.value):
        assert e.kind == "gone" and not e.transient
        assert "the folder 'Campaigns' no longer exists on the server" in str(e)


def test_server_stopped_mid_fetch_is_a_transient_network_error(mail_servers):
    mail_servers.put_many(_raw(n) for n in range(1, FETCH_BATCH + 51))
    started = time.monotonic()
    got = []
    with ImapSession(mail_servers.settings(), mail_servers.credentials(), timeout=5) as imap:
        imap.open("INBOX")
        with pytest.raises(MailServerError) as err:
            for uid, _raw_bytes in imap.fetch(imap.uids_after(0)):
                got.append(uid)
                if len(got) == 1:
                    mail_servers.stop_imap()
    assert (err.value.kind, err.value.transient) == ("network", True)
    assert "127.0.0.1" in str(err.value)
    assert len(got) == FETCH_BATCH  # the first batch had arrived; the second never did
    assert time.monotonic() - started < 10
    mail_servers.start_imap()  # the next fetch resumes where it stopped
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        imap.open("INBOX")
        assert [uid for uid, _ in imap.fetch(imap.uids_after(got[-1]))] == list(range(FETCH_BATCH + 1,
                                                                                         FETCH_BATCH + 51))


def test_find_message_id_after_append(mail_servers):
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        assert not imap.find_message_id("Sent", "<msg5@example.org>")
        imap.append("Sent", _raw(5))
        assert imap.find_message_id("Sent", "<msg5@example.org>")
        assert not imap.find_message_id("Sent", "<msg6@example.org>")
    assert [m.replace(b"\r\n", b"\n") for m in mail_servers.folder_messages("Sent")] == \
        [_raw(5).replace(b"\r\n", b"\n")]


def test_idle_sees_mail_delivered_by_smtp(mail_servers):
    settings, creds = mail_servers.settings(), mail_servers.credentials()
    with ImapSession(settings, creds) as imap:
        imap.open("INBOX")
        sender = threading.Thread(target=smtp.send, args=(settings, creds, _raw(9), "c9@example.org",
                                                          ["office@office.test"]))
        started = time.monotonic()
        sender.start()
        try:
            assert imap.idle(20) is True
        finally:
            sender.join()
        assert time.monotonic() - started < 10
        assert [raw for _uid, raw in imap.fetch(imap.uids_after(0))] == [_raw(9)]  # still usable after IDLE


def test_idle_returns_false_on_timeout_and_promptly_on_stop(mail_servers):
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        imap.open("INBOX")
        assert imap.idle(0.3) is False
        stop = threading.Event()
        timer = threading.Timer(0.2, stop.set)
        started = time.monotonic()
        timer.start()
        assert imap.idle(30, stop) is False
        assert time.monotonic() - started < 2.5
        assert imap.uids_after(0) == []


def test_a_server_that_goes_away_during_idle_is_seen_at_once(mail_servers):
    """imapclient's idle_check swallows the EOF of a closed connection: IDLE must not sit out its slice."""
    with ImapSession(mail_servers.settings(), mail_servers.credentials()) as imap:
        imap.open("INBOX")
        timer = threading.Timer(0.3, mail_servers.stop_imap)
        started = time.monotonic()
        timer.start()
        with pytest.raises(MailServerError) as err:
            imap.idle(30)
        assert time.monotonic() - started < 5
        assert err.value.kind == "network" and err.value.transient


def test_wrong_security_for_the_port_is_explained(mail_servers):
    """Implicit TLS against the STARTTLS port: a clear hint, not a traceback."""
    settings = dataclasses.replace(mail_servers.settings(),
                                   imap=Server("127.0.0.1", mail_servers.imap_port, "ssl"))
    with pytest.raises(MailServerError) as err, ImapSession(settings, mail_servers.credentials(), timeout=5):
        pass
    assert err.value.kind == "protocol"
    assert f"TLS with 127.0.0.1:{mail_servers.imap_port} failed" in str(err.value)
    assert "check the port and the security setting (ssl)" in str(err.value)
