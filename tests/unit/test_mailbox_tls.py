"""mailbox/tls.py against the real servers: verified certificates, trust by fingerprint, refusals."""

from __future__ import annotations

import dataclasses

import pytest

from mpoffice_tui.mailbox import smtp
from mpoffice_tui.mailbox.imap import ImapSession
from mpoffice_tui.mailbox.tls import fingerprint_of, normalise_fingerprint, probe_fingerprint
from mpoffice_tui.mailbox.types import MailServerError, Server

pytestmark = pytest.mark.mail

RAW = b"From: office@office.test\r\nTo: office@office.test\r\nSubject: t\r\nMessage-ID: <t@o>\r\n\r\nhi\r\n"


def test_fingerprint_forms():
    from servers.certs import self_signed

    cert = self_signed()
    assert fingerprint_of(cert.der) == cert.fingerprint
    assert normalise_fingerprint(cert.fingerprint.replace(":", "").lower()) == cert.fingerprint
    assert normalise_fingerprint(" " + cert.fingerprint.lower() + "\n") == cert.fingerprint
    with pytest.raises(ValueError, match="64 hex digits"):
        normalise_fingerprint("3A:0F")


def test_probe_fingerprint_every_way_in(mail_servers):
    s = mail_servers
    assert probe_fingerprint(Server(s.host, s.imaps_port, "ssl")) == s.fingerprint
    assert probe_fingerprint(Server(s.host, s.imap_port, "starttls")) == s.fingerprint
    assert probe_fingerprint(Server(s.host, s.smtps_port, "ssl"), "smtp") == s.fingerprint
    assert probe_fingerprint(Server(s.host, s.submission_port, "starttls"), "smtp") == s.fingerprint


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_self_signed_refused_without_trust(mail_servers, security):
    settings = mail_servers.settings(security, trust=False)
    with pytest.raises(MailServerError) as imap_err, ImapSession(settings, mail_servers.credentials()):
        pass
    with pytest.raises(MailServerError) as smtp_err:
        smtp.send(settings, mail_servers.credentials(), RAW, mail_servers.user, [mail_servers.user])
    for err, port in ((imap_err.value, settings.imap.port), (smtp_err.value, settings.smtp.port)):
        assert err.kind == "certificate" and not err.transient
        assert str(err).startswith("mail account 'office': the certificate of 127.0.0.1:")
        assert f"127.0.0.1:{port} is not trusted (self-signed)" in str(err)
        assert f"--trust-fingerprint {mail_servers.fingerprint}" in str(err)
    assert mail_servers.deliveries() == []
    assert "Login: user=" not in mail_servers.imap_log  # nothing was signed in over the untrusted link


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_trusted_fingerprint_in_any_form_works(mail_servers, security):
    fp = mail_servers.fingerprint.replace(":", "").lower()
    settings = dataclasses.replace(mail_servers.settings(security), trust_fingerprint=fp)
    with ImapSession(settings, mail_servers.credentials()) as imap:
        assert "INBOX" in imap.folders()
    assert smtp.send(settings, mail_servers.credentials(), RAW, mail_servers.user, [mail_servers.user]) == {}


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_wrong_fingerprint_refused_before_signing_in(mail_servers, security):
    wrong = ":".join(["AB"] * 32)
    settings = dataclasses.replace(mail_servers.settings(security), trust_fingerprint=wrong)
    with pytest.raises(MailServerError) as imap_err, ImapSession(settings, mail_servers.credentials()):
        pass
    with pytest.raises(MailServerError) as smtp_err:
        smtp.send(settings, mail_servers.credentials(), RAW, mail_servers.user, [mail_servers.user])
    for err in (imap_err.value, smtp_err.value):
        assert err.kind == "certificate"
        assert "is not the one this account trusts" in str(err)
        assert f"the server showed {mail_servers.fingerprint}" in str(err)
    assert mail_servers.deliveries() == []
    assert "Login: user=" not in mail_servers.imap_log


def test_certificate_verified_normally_when_its_issuer_is_known(mail_servers, monkeypatch):
    """Without a trusted fingerprint the chain and host name are verified the ordinary way."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mail_servers.cert_path))  # our certificate is now a known CA
    for security in ("ssl", "starttls"):
        settings = mail_servers.settings(security, trust=False)
        with ImapSession(settings, mail_servers.credentials()) as imap:
            assert "INBOX" in imap.folders()
        assert smtp.send(settings, mail_servers.credentials(), RAW, mail_servers.user, [mail_servers.user]) == {}
    other_name = dataclasses.replace(mail_servers.settings("ssl", trust=False),
                                     imap=Server("127.0.0.2", mail_servers.imaps_port, "ssl"))
    with pytest.raises(MailServerError) as err, ImapSession(other_name, mail_servers.credentials(), timeout=5):
        pass
    assert err.value.kind in ("certificate", "network")  # 127.0.0.2 is not in the certificate (or not bound)
