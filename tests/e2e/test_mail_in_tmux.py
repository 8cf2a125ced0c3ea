"""The installed `mpoffice` in a real terminal (tmux) with a real mailbox (Dovecot + SMTP): open a case,
`r`, Ctrl+S, and the timeline shows the email sent by the app's mail job."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tmux_helpers import Terminal

from mpoffice_tui.services import cases, constituents, mail_accounts

PASSPHRASE = "correct horse battery"  # the conftest's office
pytestmark = [pytest.mark.mail,
              pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                                 reason="tmux is not installed (CI installs it)")]


def test_an_email_from_a_case_is_sent_in_a_real_terminal(office, office_path, mail_servers, tmp_path):
    mail_accounts.add_imap(office, "office", user=mail_servers.user, password=mail_servers.password,
                           imap_host=mail_servers.host, imap_port=mail_servers.imaps_port,
                           smtp_host=mail_servers.host, smtp_port=mail_servers.smtps_port, security="ssl",
                           trust_fingerprint=mail_servers.fingerprint)
    person = constituents.create(office, forenames="Mary", surname="Jones", email="mary.jones@example.net")
    ref = cases.create_case(office, constituent_id=person.id, title="Damp flat", category="Housing").ref
    office.close()
    mpoffice = Path(sys.executable).with_name("mpoffice")
    assert mpoffice.exists(), "the mpoffice command is not installed in this environment"
    env = {"MPOFFICE_HOME": str(tmp_path / "home"), "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02",
           "MPOFFICE_IDLE_LOCK_MINUTES": "0", "MPOFFICE_MAIL_POLL_SECONDS": "600",
           "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    term = Terminal(Terminal.quote(str(mpoffice), "--db", str(office_path)), env)
    try:
        term.wait_for(lambda s: "Unlock the office" in s)
        term.keys(PASSPHRASE, literal=True)
        term.keys("Enter")
        term.wait_for(lambda s: "unlocked" in s and "Received" in s)
        term.keys("C-p")  # the palette finds the case by its reference
        term.wait_for(lambda s: "Search for commands" in s or "palette" in s.lower())
        term.keys(ref, literal=True)
        term.wait_for(lambda s: "Damp flat" in s)
        term.keys("Enter")
        term.wait_for(lambda s: "Constituent:" in s and "Mary Jones" in s)
        term.keys("r")
        term.wait_for(lambda s: f"Email from {ref}" in s and "Send" in s)
        term.keys("C-s")
        shown = term.wait_for(lambda s: "— sent" in s, timeout=60)
        assert ref in shown
        assert len(mail_servers.deliveries()) == 1
        term.keys("C-q")
        assert term.wait_gone(), "Ctrl+Q did not quit the app"
    finally:
        term.close()
