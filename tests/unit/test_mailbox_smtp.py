"""mailbox/smtp.py against the real SMTP server (aiosmtpd in a subprocess, delivering into Dovecot)."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from mpoffice_tui.mailbox import smtp
from mpoffice_tui.mailbox.types import Credentials, MailServerError, Server

pytestmark = pytest.mark.mail


def _raw(n: int = 1, to: str = "office@office.test") -> bytes:
    return (f"From: Office <office@office.test>\r\nTo: {to}\r\nSubject: Your case {n}\r\n"
            f"Message-ID: <reply{n}@office.test>\r\n\r\nDear constituent,\r\n.\r\n..dots kept\r\n").encode()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_send_delivers_exact_bytes(mail_servers, security):
    refused = smtp.send(mail_servers.settings(security), mail_servers.credentials(), _raw(1),
                        "office@office.test", ["office@office.test"])
    assert refused == {}
    [delivery] = mail_servers.deliveries()
    assert (delivery.mail_from, delivery.rcpts, delivery.raw) == ("office@office.test", ["office@office.test"],
                                                                 _raw(1))
    assert mail_servers.folder_messages("INBOX") == [_raw(1)]


def test_xoauth2(mail_servers):
    settings = mail_servers.settings()
    assert smtp.send(settings, mail_servers.credentials(oauth=True), _raw(2), "office@office.test",
                     ["c@example.org"]) == {}
    assert [d.rcpts for d in mail_servers.deliveries()] == [["c@example.org"]]
    with pytest.raises(MailServerError) as err:
        smtp.send(settings, Credentials(oauth_token="expired-token-123"), _raw(3), "office@office.test",
                  ["c@example.org"])
    assert err.value.kind == "auth" and not err.value.transient
    assert "sign-in token" in str(err.value) and "expired-token-123" not in str(err.value)


def test_wrong_password(mail_servers):
    with pytest.raises(MailServerError) as err:
        smtp.send(mail_servers.settings("starttls"), Credentials(password="Sekr1t-wrong"), _raw(),
                  "office@office.test", ["c@example.org"])
    e = err.value
    assert (e.kind, e.transient, e.account) == ("auth", False, "office")
    assert str(e).startswith("mail account 'office': the server refused the user name or password")
    assert "Sekr1t-wrong" not in str(e) and mail_servers.password not in str(e)
    assert mail_servers.deliveries() == []


def test_permanent_and_temporary_refusals(mail_servers):
    mail_servers.reject(r"^gone@", 550)
    mail_servers.reject(r"^busy@", 451)
    settings, creds = mail_servers.settings(), mail_servers.credentials()
    with pytest.raises(MailServerError) as perm:
        smtp.send(settings, creds, _raw(), "office@office.test", ["gone@example.org"])
    assert (perm.value.kind, perm.value.transient, perm.value.code) == ("rejected", False, 550)
    assert "gone@example.org" in str(perm.value) and "mailbox unavailable" in str(perm.value)
    with pytest.raises(MailServerError) as temp:
        smtp.send(settings, creds, _raw(), "office@office.test", ["busy@example.org"])
    assert (temp.value.kind, temp.value.transient, temp.value.code) == ("rejected", True, 451)
    assert mail_servers.deliveries() == []


def test_partial_refusal_is_returned(mail_servers):
    mail_servers.reject(r"^gone@", 550)
    refused = smtp.send(mail_servers.settings(), mail_servers.credentials(), _raw(),
                        "office@office.test", ["gone@example.org", "ok@example.org"])
    assert list(refused) == ["gone@example.org"]
    assert refused["gone@example.org"].startswith("550 ") and "mailbox unavailable" in refused["gone@example.org"]
    assert [d.rcpts for d in mail_servers.deliveries()] == [["ok@example.org"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_servers_are_transient(mail_servers):
    closed_port = _free_port()
    base = mail_servers.settings()
    cases = {
        "refused the connection": Server("127.0.0.1", closed_port, "ssl"),
        "cannot find the server 'no-such-host.invalid'": Server("no-such-host.invalid", 465, "ssl"),
    }
    for expected, server in cases.items():
        with pytest.raises(MailServerError) as err:
            smtp.send(dataclasses.replace(base, smtp=server), mail_servers.credentials(), _raw(),
                      "office@office.test", ["c@example.org"], timeout=5)
        assert (err.value.kind, err.value.transient) == ("network", True)
        assert expected in str(err.value)


def test_starttls_not_offered_is_refused(mail_servers):
    """A server without STARTTLS never gets the password in clear."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            return "250 OK"

    port = _free_port()
    plain = Controller(Sink(), hostname="127.0.0.1", port=port)
    plain.start()
    try:
        settings = dataclasses.replace(mail_servers.settings(), smtp=Server("127.0.0.1", port, "starttls"))
        with pytest.raises(MailServerError) as err:
            smtp.send(settings, mail_servers.credentials(), _raw(), "office@office.test", ["c@example.org"])
    finally:
        plain.stop()
    assert err.value.kind == "protocol" and "does not offer STARTTLS" in str(err.value)


def test_no_recipients(mail_servers):
    with pytest.raises(MailServerError, match="no recipients"):
        smtp.send(mail_servers.settings(), mail_servers.credentials(), _raw(), "office@office.test", [])


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_check_signs_in_and_sends_nothing(mail_servers, security):
    smtp.check(mail_servers.settings(security), mail_servers.credentials())
    assert mail_servers.deliveries() == []
    with pytest.raises(MailServerError) as err:
        smtp.check(mail_servers.settings(security), Credentials(password="wrong-pw-456"))
    assert err.value.kind == "auth" and "wrong-pw-456" not in str(err.value) and "'office'" in str(err.value)
