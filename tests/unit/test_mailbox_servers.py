"""The servers fixture itself (tests/servers): real Dovecot and SMTP, driven with plain clients."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import sys
import textwrap

import imapclient
import pytest

pytestmark = pytest.mark.mail


def _ctx(servers) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(servers.cert_path))
    return ctx


def _raw(n: int = 1, to: str = "office@office.test") -> bytes:
    return (f"From: A <a@example.org>\r\nTo: {to}\r\nSubject: test {n}\r\n"
            f"Message-ID: <m{n}@example.org>\r\n\r\nbody {n}\r\n").encode()


def test_imap_ssl_starttls_and_xoauth2(mail_servers):
    mail_servers.put(_raw(1))
    with imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers)) as c:
        c.login(mail_servers.user, mail_servers.password)
        folders = {name: flags for flags, _sep, name in c.list_folders()}
        assert b"\\Sent" in folders["Sent"] and "Drafts" in folders and "Trash" in folders
        c.select_folder("INBOX", readonly=True)
        assert c.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"] == _raw(1)
    with imapclient.IMAPClient("localhost", mail_servers.imap_port, ssl=False) as c:
        c.starttls(_ctx(mail_servers))
        c.oauth2_login(mail_servers.user, mail_servers.oauth_token)
        assert c.select_folder("INBOX")[b"EXISTS"] == 1
    with imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers)) as c, \
            pytest.raises(imapclient.exceptions.LoginError):
        c.oauth2_login(mail_servers.user, "not-the-token")


def test_smtp_delivers_into_inbox_and_sent(mail_servers):
    mail_servers.save_sent()
    with smtplib.SMTP_SSL("localhost", mail_servers.smtps_port, context=_ctx(mail_servers)) as s:
        s.login(mail_servers.user, mail_servers.password)
        s.sendmail("office@office.test", ["office@office.test"], _raw(1))
    with smtplib.SMTP("localhost", mail_servers.submission_port) as s:
        s.starttls(context=_ctx(mail_servers))
        s.login(mail_servers.user, mail_servers.password)
        s.sendmail("office@office.test", ["x@example.org"], _raw(2, "x@example.org"))
    got = mail_servers.deliveries()
    assert [(d.mail_from, d.rcpts, d.raw, d.message_id) for d in got] == [
        ("office@office.test", ["office@office.test"], _raw(1), "<m1@example.org>"),
        ("office@office.test", ["x@example.org"], _raw(2, "x@example.org"), "<m2@example.org>")]
    assert mail_servers.folder_messages("INBOX") == [_raw(1), _raw(2, "x@example.org")]
    assert mail_servers.folder_messages("Sent") == [_raw(1), _raw(2, "x@example.org")]


def test_smtp_wrong_password_and_rejections(mail_servers):
    with smtplib.SMTP_SSL("localhost", mail_servers.smtps_port, context=_ctx(mail_servers)) as s, \
            pytest.raises(smtplib.SMTPAuthenticationError):
        s.login(mail_servers.user, "wrong")
    mail_servers.reject(r"^perm@", 550)
    mail_servers.reject(r"^temp@", 451)
    with smtplib.SMTP_SSL("localhost", mail_servers.smtps_port, context=_ctx(mail_servers)) as s:
        s.login(mail_servers.user, mail_servers.password)
        refused = s.sendmail("office@office.test", ["perm@x.org", "temp@x.org", "ok@x.org"], _raw(1))
    assert {a: code for a, (code, _msg) in refused.items()} == {"perm@x.org": 550, "temp@x.org": 451}
    assert mail_servers.deliveries()[0].rcpts == ["ok@x.org"]


def test_held_message_is_delivered_after_the_client_is_killed(mail_servers):
    mail_servers.hold_smtp()
    client = textwrap.dedent(f"""
        import smtplib, ssl
        ctx = ssl.create_default_context(cafile={str(mail_servers.cert_path)!r})
        s = smtplib.SMTP_SSL("localhost", {mail_servers.smtps_port}, context=ctx)
        s.login({mail_servers.user!r}, {mail_servers.password!r})
        s.sendmail("office@office.test", ["c@example.org"], {_raw(7)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", client])
    try:
        mail_servers.wait_smtp_held(1)
        assert mail_servers.deliveries() == []
    finally:
        proc.kill()
        proc.wait()
    mail_servers.release_smtp()
    assert mail_servers.wait_deliveries(1)[0].raw == _raw(7)


def test_stop_and_start_imap_keep_ports_and_mail(mail_servers):
    mail_servers.put(_raw(1))
    c = imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers), timeout=5)
    c.login(mail_servers.user, mail_servers.password)
    c.select_folder("INBOX")
    mail_servers.stop_imap()
    with pytest.raises((imapclient.exceptions.IMAPClientError, OSError)):
        c.fetch([1], ["BODY.PEEK[]"])
    mail_servers.start_imap()
    with imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers)) as c2:
        c2.login(mail_servers.user, mail_servers.password)
        assert c2.select_folder("INBOX")[b"EXISTS"] == 1


def test_folders_and_uidvalidity(mail_servers):
    mail_servers.create_folder("Cases/Housing")
    mail_servers.put_many([_raw(i) for i in range(1, 4)], "Cases/Housing")

    def select() -> dict:
        with imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers)) as c:
            c.login(mail_servers.user, mail_servers.password)
            return c.select_folder("Cases/Housing", readonly=True)

    first = select()
    assert first[b"EXISTS"] == 3
    mail_servers.reset_uidvalidity("Cases/Housing")
    second = select()
    assert second[b"UIDVALIDITY"] != first[b"UIDVALIDITY"] and second[b"EXISTS"] == 3
    mail_servers.delete_folder("Cases/Housing")
    with imapclient.IMAPClient("localhost", mail_servers.imaps_port, ssl_context=_ctx(mail_servers)) as c:
        c.login(mail_servers.user, mail_servers.password)
        assert "Cases/Housing" not in [name for _f, _s, name in c.list_folders()]


@pytest.mark.parametrize(("ci", "outcome"), [("1", "failed"), ("true", "failed"), ("", "skipped")])
def test_missing_dovecot_skips_only_outside_ci(monkeypatch, ci, outcome):
    """Without Dovecot the mail tests are skipped on a dev machine, but fail loudly in CI."""
    from servers import dovecot, fixture

    monkeypatch.setattr(dovecot, "DOVECOT", "/nonexistent/dovecot")
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "failed" else pytest.skip.Exception
    with pytest.raises(expected, match="Dovecot is not installed"):
        fixture.require_dovecot()
