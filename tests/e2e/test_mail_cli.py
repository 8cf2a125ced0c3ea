"""`mpoffice mail ...` and `mpoffice case REF reply` in a subprocess against real servers, including a
process killed with SIGKILL mid-send and mid-fetch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PASSPHRASE

pytestmark = pytest.mark.mail
CONSTITUENT = "mary.jones@example.net"


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def mail_run(run, mail_servers, tmp_path):
    """`run` with a mail account `office` on the test servers, this machine its mail machine."""
    pw = tmp_path / "mail-password"
    pw.write_text(mail_servers.password + "\n", encoding="utf-8")
    r = run("mail", "account", "add", "office", "--imap-host", mail_servers.host, "--imap-port",
            mail_servers.imaps_port, "--smtp-host", mail_servers.host, "--smtp-port", mail_servers.smtps_port,
            "--user", mail_servers.user, "--password-file", pw, "--trust-fingerprint", mail_servers.fingerprint)
    assert r.returncode == 0, r.stderr
    return run


def popen(office_path, passphrase_file, *args) -> subprocess.Popen:
    env = {**os.environ, "MPOFFICE_TODAY": "2025-03-05", "MPOFFICE_NO_KEYRING": "1"}
    return subprocess.Popen([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path), "--passphrase-file",
                             str(passphrase_file), *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def a_case(run) -> str:
    r = run("case", "new", "--constituent", "Mary Jones", "--forenames", "Mary", "--surname", "Jones",
            "--postcode", "WX1 2AB", "--category", "Housing", "--title", "Damp flat", "--json")
    assert r.returncode == 0, r.stderr
    assert run("constituent", "Mary Jones", "set", "--email", CONSTITUENT).returncode == 0
    return json.loads(r.stdout)["ref"]


@pytest.mark.parametrize("what, args, words", [
    ("wrong password", {"password": "wrong-pw-123"}, "user name or password"),
    ("unknown host", {"host": "no-such-host.invalid"}, "no-such-host.invalid"),
    ("untrusted certificate", {"trust": False}, "not trusted"),
])
def test_account_errors_are_one_line_naming_the_account(run, mail_servers, tmp_path, what, args, words):
    pw = tmp_path / "pw"
    pw.write_text(args.get("password", mail_servers.password), encoding="utf-8")
    host = args.get("host", mail_servers.host)
    cmd = ["mail", "account", "add", "office", "--imap-host", host, "--imap-port", mail_servers.imaps_port,
           "--smtp-host", host, "--smtp-port", mail_servers.smtps_port, "--user", mail_servers.user,
           "--password-file", pw]
    if args.get("trust", True):
        cmd += ["--trust-fingerprint", mail_servers.fingerprint]
    r = run(*cmd)
    assert r.returncode == 1, what
    [line] = r.stderr.strip().splitlines()
    assert "'office'" in line and words in line and "Traceback" not in r.stderr
    assert mail_servers.password not in r.stderr and "wrong-pw-123" not in r.stderr
    listed = json.loads(run("mail", "account", "list", "--json").stdout)
    assert listed == []


def test_reply_from_a_case_is_sent_with_its_attachment(mail_run, mail_servers, tmp_path):
    ref = a_case(mail_run)
    body = tmp_path / "body.txt"
    body.write_text("{salutation},\n\nPlease find the council's letter attached.\n", encoding="utf-8")
    scan = tmp_path / "council letter.pdf"
    scan.write_bytes(b"%PDF-1.4 pretend")
    r = mail_run("case", ref, "reply", "--body-file", body, "--attach", scan, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["state"] == "sent" and out["attachments"] == ["council letter.pdf"]
    [d] = mail_servers.wait_deliveries(1)
    assert b"council letter.pdf" in d.raw and CONSTITUENT in d.rcpts
    status = json.loads(mail_run("mail", "status", "--json").stdout)
    assert status["accounts"][0]["queued"] == 0 and status["accounts"][0]["online"] is True
    shown = mail_run("case", ref).stdout
    assert "— sent" in shown


def test_killed_while_sending_it_is_found_in_sent_and_not_sent_twice(mail_run, mail_servers, office_path,
                                                                    passphrase_file):
    ref = a_case(mail_run)
    mail_servers.save_sent(True)  # the server files what it sends, as Microsoft 365 and Gmail do
    assert mail_run("case", ref, "reply", "--template", "x", "--queue-only").returncode == 1  # no such template
    body = office_path.parent / "b.txt"
    body.write_text("", encoding="utf-8")
    r = mail_run("case", ref, "reply", "--body-file", body, "--queue-only")
    assert r.returncode == 1 and "empty" in r.stderr
    body.write_text("Hello", encoding="utf-8")
    assert mail_run("case", ref, "reply", "--body-file", body, "--queue-only").returncode == 0
    mail_servers.hold_smtp()
    proc = popen(office_path, passphrase_file, "mail", "send")
    try:
        mail_servers.wait_smtp_held(1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        mail_servers.release_smtp()
    mail_servers.wait_deliveries(1)
    [o] = json.loads(mail_run("mail", "outbox", "--json").stdout)
    assert o["state"] == "sending"  # the kill left it there
    r = mail_run("mail", "send", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["found_in_sent"] == 1
    assert len(mail_servers.deliveries()) == 1
    assert json.loads(mail_run("mail", "outbox", "--json").stdout)[0]["state"] == "sent"


def test_killed_while_fetching_a_second_fetch_gets_the_rest_once(mail_run, mail_servers, office_path, passphrase_file):
    n = 2500
    mail_servers.put_many([(f"From: Voter {i} <v{i}@example.net>\r\nSubject: Bins {i}\r\nMessage-ID: <bins{i}@example.net>"
                            f"\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\nThe bins on street {i} were not emptied.\r\n"
                            ).encode() for i in range(n)])
    wal = Path(str(office_path) + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    proc = popen(office_path, passphrase_file, "mail", "fetch")
    # kill once a few batches have been committed (the write-ahead log has grown), while it still runs
    wait_until(lambda: proc.poll() is not None or (wal.exists() and wal.stat().st_size > start + 3_000_000),
               60, "the fetch to commit some batches")
    assert proc.poll() is None, "the fetch ended before it could be killed; make the mailbox bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    r = mail_run("mail", "fetch", "--json")
    assert r.returncode == 0, r.stderr
    second = json.loads(r.stdout)
    assert 0 < second["fetched"] < n
    from mpoffice_tui.db.engine import open_office

    office = open_office(office_path, PASSPHRASE, use_keyring=False)
    try:
        with office.engine.connect() as conn:
            total, distinct = conn.exec_driver_sql(
                "SELECT count(*), count(DISTINCT message_id_header) FROM messages WHERE direction = 'in'").fetchone()
    finally:
        office.close()
    assert total == distinct == n
