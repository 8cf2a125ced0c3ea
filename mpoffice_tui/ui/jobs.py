"""The app's background jobs (DESIGN §2): here, the mail job.

While the office is unlocked and this machine is the mail machine of an account (the app checks with each
header refresh, so an account added or moved here is picked up), `MailJob.run` (in a thread worker, never
on the event loop) fetches on unlock, sends what is due, then waits on the INBOX
with IMAP IDLE in short slices: new mail on the server, the poll timer (`Settings.mail_poll_seconds`) or
a wake (`wake()`: something was queued, or "Fetch and send now") starts the next round. Network trouble
backs off (1, 2, 4 … 60 minutes; any wake tries again at once). One round at a time, one thread; every
state lives in the office, so stopping it (lock, quit) loses nothing queued.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.mail_accounts import MailAccount  # (the row services hand back to services)

MAX_BACKOFF_SECONDS = 60 * 60
IDLE_SLICE_SECONDS = 20.0  # one IDLE command at most this long (servers drop idlers after ~30 min)


@dataclass(frozen=True)
class MailRound:
    """What one round of the mail job did."""

    fetched: int = 0
    sent: int = 0
    failed: int = 0
    problems: tuple[str, ...] = ()
    offline: bool = False


class MailActivity(Message):
    """Posted to the screens after a round that fetched or sent mail, or changed how mail stands."""

    def __init__(self, result: MailRound) -> None:
        super().__init__()
        self.result = result


@dataclass
class _Asked:
    fetch: bool = True  # fetch on unlock
    send: bool = True
    extra: set[str] = field(default_factory=set)


class MailJob:
    """The mail loop for one open office (see the module docstring)."""

    def __init__(self, office: Office, poll_seconds: float, report: Callable[[MailRound], None]) -> None:
        self.office = office
        self.poll_seconds = max(1.0, float(poll_seconds or 120))
        self.report = report
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self._nudge = threading.Event()  # ends an IDLE or a back-off wait early
        self._lock = threading.Lock()
        self._asked = _Asked()
        self.failures = 0

    # -- from the event loop ---------------------------------------------------------------------
    def wake(self, *, fetch: bool = False) -> None:
        """Send what is due soon (and fetch too, with `fetch`)."""
        with self._lock:
            self._asked.send = True
            self._asked.fetch = self._asked.fetch or fetch
        self._nudge.set()

    def stop(self, wait: float = 0.0) -> bool:
        """Ask the loop to end; with `wait`, wait up to that long for it (True once it has ended)."""
        self.stopping.set()
        self._nudge.set()
        return self.finished.wait(wait) if wait else self.finished.is_set()

    # -- in the thread ---------------------------------------------------------------------------
    def _take(self) -> tuple[bool, bool]:
        with self._lock:
            asked = self._asked
            self._asked = _Asked(fetch=False, send=False)
            self._nudge.clear()
        return asked.fetch, asked.send

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - never a traceback: the office closed under it (lock, quit), or
            if not self.stopping.is_set():  # something unexpected, said once; the app starts it again later
                self.report(MailRound(problems=(f"mail stopped for a moment: {exc}",)))
        finally:
            self.finished.set()

    def _accounts(self) -> list[MailAccount]:
        from mpoffice_tui.services import mail_accounts

        return mail_accounts.accounts_here(self.office)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            accounts = self._accounts()
            fetch, send = self._take()
            if not accounts:  # not this machine's job (any more): the app starts it again if that changes
                return
            result = self._round(fetch=fetch or not send)
            if self.stopping.is_set():
                return
            self.report(result)
            if result.offline:
                self.failures += 1
                self._nudge.wait(min(MAX_BACKOFF_SECONDS, 60 * 2 ** (self.failures - 1)))
                with self._lock:
                    if not self._nudge.is_set():  # the back-off ran out: try everything again
                        self._asked.fetch = True
                continue
            self.failures = 0
            outcome, problem = self._idle(accounts[0])
            if outcome in ("new", "timeout"):
                with self._lock:
                    self._asked.fetch = True
            elif outcome == "offline":
                self.failures += 1
                self.report(MailRound(problems=(problem,), offline=True))
                self._nudge.wait(min(MAX_BACKOFF_SECONDS, 60 * 2 ** (self.failures - 1)))
                with self._lock:
                    self._asked.fetch = True

    def _round(self, *, fetch: bool) -> MailRound:
        """Fetch (when asked) then send what is due; one at a time, never both at once."""
        from mpoffice_tui.services import mail_fetch, mail_send, mail_status

        problems: list[str] = []
        fetched = 0
        if fetch:
            got = mail_fetch.fetch(self.office, stop=self.stopping)
            fetched = got.fetched
            problems += got.problems
        sent = failed = 0
        if not self.stopping.is_set():
            out = mail_send.send_queued(self.office, stop=self.stopping)
            sent, failed = out.sent + out.found_in_sent, out.failed
            problems += out.problems
        offline = any(a.online is False for a in mail_status.status(self.office) if a.here)
        return MailRound(fetched, sent, failed, tuple(dict.fromkeys(problems)), offline)

    def _idle(self, account: MailAccount) -> tuple[str, str]:
        """Wait on the account's INBOX: ("new", "") mail, "timeout" (the poll is due), "nudge", "stop", or
        ("offline", what went wrong) when the connection failed (noted on the account)."""
        from mpoffice_tui.db.errors import OfficeError
        from mpoffice_tui.mailbox.imap import ImapSession
        from mpoffice_tui.mailbox.types import MailServerError
        from mpoffice_tui.services import mail_accounts, mail_fetch, mail_status

        deadline = time.monotonic() + self.poll_seconds
        try:
            creds = mail_accounts.credentials(self.office, account)
            with ImapSession(mail_accounts.settings_of(account), creds) as session:
                status = session.open("INBOX")
                if mail_fetch.has_news(self.office, account.id, "INBOX", status.uidvalidity, status.uidnext):
                    return "new", ""  # it came between the last fetch and now
                while True:
                    if self.stopping.is_set():
                        return "stop", ""
                    if self._nudge.is_set():
                        return "nudge", ""
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return "timeout", ""
                    if session.idle(min(IDLE_SLICE_SECONDS, remaining), self._nudge):
                        return "new", ""
        except (MailServerError, OfficeError) as exc:
            if self.stopping.is_set():
                return "stop", ""
            network = isinstance(exc, MailServerError) and exc.kind == "network"
            mail_status.note(self.office, account.id, online=not network, problem=str(exc))
            return "offline", str(exc)
