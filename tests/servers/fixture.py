"""`mail_servers`: a real Dovecot (IMAP) and aiosmtpd (SMTP) on 127.0.0.1 for one test, then gone.

Both use one self-signed certificate (for localhost and 127.0.0.1) and one user, `office@office.test`,
with a random password and an OAuth2 token (XOAUTH2). The SMTP server delivers every accepted message into
that user's INBOX, so what the office sends to itself comes back in a fetch. Tests that need Dovecot are
skipped where it is not installed, except under CI=1, where they fail: CI never silently skips mail tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mpoffice_tui.mailbox.types import Credentials, Server, ServerSettings
from servers import dovecot
from servers.certs import self_signed
from servers.maildir import Maildir
from servers.oauth import Introspection

SMTP_SCRIPT = Path(__file__).with_name("smtp_server.py")
USER = "office@office.test"
ACCOUNT = "office"


@dataclass(frozen=True)
class Delivery:
    """One message the SMTP server accepted: the envelope and the exact bytes."""

    mail_from: str
    rcpts: list[str]
    raw: bytes
    message_id: str


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_dovecot() -> None:
    """Skip without Dovecot, except in CI (CI=1), where a missing Dovecot is a failure."""
    if dovecot.installed():
        return
    message = f"Dovecot is not installed ({dovecot.DOVECOT}); apt-get install dovecot-imapd"
    if _in_ci():
        pytest.fail(message + " (CI must not skip the mail tests)", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


class MailServers:
    """The running servers and the handles a test needs (see the module docstring)."""

    host = "127.0.0.1"
    user = USER

    def __init__(self) -> None:
        # A short path of our own: Dovecot's unix sockets live under it (108-byte limit).
        self.root = Path(tempfile.mkdtemp(prefix="mpo-mail-"))
        self.root.chmod(0o755)  # when root, Dovecot's own users must reach the folders inside
        self.password = "pw-" + secrets.token_urlsafe(12)
        self.oauth_token = "ya29.test-" + secrets.token_urlsafe(24)
        cert = self_signed()
        self.fingerprint = cert.fingerprint
        self.cert_path = self.root / "cert.pem"
        self.cert_path.write_bytes(cert.cert_pem)
        key_path = self.root / "key.pem"
        key_path.write_bytes(cert.key_pem)
        key_path.chmod(0o600)
        self.control = self.root / "smtp-control"
        self.control.mkdir()
        self.maildir = Maildir(self.root / "Maildir")
        for folder in ("Sent", "Drafts", "Trash"):
            self.maildir.create_folder(folder)
        self._smtp: subprocess.Popen | None = None
        self._introspection = Introspection(self.oauth_token, USER)
        self.imap_port = _free_port()
        self.imaps_port = _free_port()
        self._dovecot = dovecot.Dovecot(
            self.root / "dovecot", self.maildir.path, user=USER, password=self.password,
            imap_port=self.imap_port, imaps_port=self.imaps_port, oauth_url=self._introspection.url,
            cert_pem=cert.cert_pem, key_pem=cert.key_pem, mail_uid=self.maildir.uid,
            mail_gid=self.maildir.gid)
        self.smtps_port = 0
        self.submission_port = 0

    # --- life cycle ---------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> MailServers:
        config = self.root / "smtp.json"
        config.write_text(json.dumps({
            "root": str(self.root / "smtp"), "control": str(self.control), "maildir": str(self.maildir.path),
            "user": USER, "password": self.password, "token": self.oauth_token,
            "cert": str(self.cert_path), "key": str(self.root / "key.pem")}), encoding="utf-8")
        (self.root / "smtp").mkdir()
        self._smtp_log = open(self.root / "smtp.log", "wb")  # noqa: SIM115 (closed in close())
        self._smtp = subprocess.Popen([sys.executable, str(SMTP_SCRIPT), str(config)], stdin=subprocess.DEVNULL,
                                      stdout=self._smtp_log, stderr=subprocess.STDOUT, start_new_session=True)
        for attempt in range(3):  # a free port can be taken by another test process before Dovecot binds it
            try:
                self._dovecot.start(timeout)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                self.imap_port, self.imaps_port = _free_port(), _free_port()
                self._dovecot.use_ports(self.imap_port, self.imaps_port)
        ready = self.root / "smtp" / "ports.json"
        with contextlib.suppress(TimeoutError):
            _wait(lambda: ready.exists() or self._smtp.poll() is not None, timeout, "the SMTP server")
        if not ready.exists():
            raise RuntimeError("the test SMTP server did not start:\n"
                               + (self.root / "smtp.log").read_text(errors="replace")[-3000:])
        ports = json.loads(ready.read_text(encoding="utf-8"))
        self.smtps_port = ports["smtps_port"]
        self.submission_port = ports["submission_port"]
        return self

    def close(self) -> None:
        """Stop everything this instance started and remove its folder."""
        try:
            self._dovecot.stop()
        finally:
            if self._smtp is not None:
                if self._smtp.poll() is None:
                    self._smtp.send_signal(signal.SIGTERM)
                    try:
                        self._smtp.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        self._smtp.kill()
                        self._smtp.wait()
                self._smtp = None
                self._smtp_log.close()
            self._introspection.stop()
            shutil.rmtree(self.root, ignore_errors=True)

    # --- what the code under test is given --------------------------------------------------------------
    def settings(self, security: str = "ssl", trust: bool = True, account: str = ACCOUNT) -> ServerSettings:
        """The account's settings; `trust` pins this server's self-signed certificate by fingerprint."""
        ssl_on = security == "ssl"
        return ServerSettings(
            account=account,
            imap=Server(self.host, self.imaps_port if ssl_on else self.imap_port, security),
            smtp=Server(self.host, self.smtps_port if ssl_on else self.submission_port, security),
            user=USER, trust_fingerprint=self.fingerprint if trust else None)

    def credentials(self, oauth: bool = False) -> Credentials:
        return Credentials(oauth_token=self.oauth_token) if oauth else Credentials(password=self.password)

    # --- the mailbox, directly ------------------------------------------------------------------------
    def put(self, raw: bytes, folder: str = "INBOX") -> None:
        self.maildir.put(raw, folder)

    def put_many(self, raws: Iterable[bytes], folder: str = "INBOX") -> int:
        return self.maildir.put_many(raws, folder)

    def create_folder(self, name: str) -> None:
        self.maildir.create_folder(name)

    def delete_folder(self, name: str) -> None:
        self.maildir.delete_folder(name)

    def reset_uidvalidity(self, folder: str) -> None:
        self.maildir.reset_uidvalidity(folder)

    def folder_messages(self, folder: str) -> list[bytes]:
        return self.maildir.messages(folder)

    # --- IMAP server control ----------------------------------------------------------------------------
    def stop_imap(self) -> None:
        """Stop Dovecot at once: every open IMAP connection drops."""
        self._dovecot.stop()

    def start_imap(self) -> None:
        """Start Dovecot again on the same ports, with the same mail."""
        self._dovecot.start()

    @property
    def imap_log(self) -> str:
        return self._dovecot.log

    # --- SMTP server control ----------------------------------------------------------------------------
    def deliveries(self) -> list[Delivery]:
        log = self.root / "smtp" / "deliveries.jsonl"
        if not log.exists():
            return []
        out = []
        for line in log.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append(Delivery(d["mail_from"], d["rcpts"], Path(d["path"]).read_bytes(), d["message_id"]))
        return out

    def hold_smtp(self) -> None:
        """From now on DATA is not answered until release_smtp() (a client can be killed mid-send)."""
        (self.control / "hold").touch()

    def release_smtp(self) -> None:
        """Let held messages through: they are delivered even if their client has gone."""
        (self.control / "hold").unlink(missing_ok=True)

    def smtp_held(self) -> int:
        """How many messages are waiting in DATA right now."""
        return len(list(self.control.glob("held-*")))

    def wait_smtp_held(self, count: int = 1, timeout: float = 10.0) -> None:
        _wait(lambda: self.smtp_held() >= count, timeout, f"{count} held SMTP message(s)")

    def wait_deliveries(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        _wait(lambda: len(self.deliveries()) >= count, timeout, f"{count} SMTP deliveries")
        return self.deliveries()

    def reject(self, pattern: str, code: int = 550) -> None:
        """Refuse RCPT TO addresses matching the regex `pattern` with `code` (550 permanent, 451 temporary)."""
        rules = self.control / "reject.json"
        current = json.loads(rules.read_text(encoding="utf-8")) if rules.exists() else []
        tmp = rules.with_suffix(".tmp")
        tmp.write_text(json.dumps([*current, [pattern, int(code)]]), encoding="utf-8")
        os.replace(tmp, rules)

    def clear_rejects(self) -> None:
        (self.control / "reject.json").unlink(missing_ok=True)

    def save_sent(self, on: bool = True) -> None:
        """Like Microsoft 365 and Gmail: the server also files each accepted message in Sent."""
        flag = self.control / "save_sent"
        if on:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)


@pytest.fixture
def mail_servers():
    """Fresh Dovecot + SMTP servers for one test (see MailServers); nothing is left running after."""
    require_dovecot()
    servers = MailServers()
    try:
        servers.start()
        yield servers
    finally:
        servers.close()


def pytest_collection_modifyitems(items) -> None:
    """Every test that uses the servers is marked `mail` (select them with -m mail)."""
    for item in items:
        if "mail_servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mail)
