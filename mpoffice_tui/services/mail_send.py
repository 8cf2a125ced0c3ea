"""Sending what is queued, exactly once, from this machine's mail accounts (DESIGN §5a).

For each message: it is marked `sending` (committed) before the SMTP conversation starts and `sent`
(committed) the moment the server accepts it. A message found in `sending` afterwards (the machine was
killed, the connection dropped before the server's answer) is looked up in the account's Sent folder by
its Message-ID before it is sent again: found there, it is recorded as sent and not sent twice. Mail is
then filed in the Sent folder (unless the server does that itself, as Microsoft 365 does).

Offline is normal: a network problem puts the message back in the queue with a growing wait (1, 2, 4 …
up to 60 minutes) and stops this account's round; a permanent refusal (5xx) fails it with the server's
words; a wrong password stops the round and says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import MailAccount, Message, OutgoingMail
from mpoffice_tui.mailbox.types import MailServerError
from mpoffice_tui.services import mail_accounts, mail_status

MAX_WAIT_MINUTES = 60


@dataclass
class SendReport:
    sent: int = 0
    found_in_sent: int = 0  # interrupted earlier, found already sent: not sent again
    failed: int = 0
    retry_later: int = 0
    problems: list[str] = field(default_factory=list)  # one line each, naming the account

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(MAX_WAIT_MINUTES, 2 ** max(0, attempts - 1)))


def _due(office: Office, a: MailAccount, first: bool, now: datetime) -> list[tuple[str, str]]:
    """(message id, state) of the account's mail to deal with now: every `sending` (interrupted) one, and
    queued ones whose time has come; never mail whose message is gone (discarded, or its person erased)."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT o.message_id, o.state FROM outgoing_mail o JOIN messages m ON m.id = o.message_id "
            "WHERE o.deleted = 0 AND m.deleted = 0 AND (o.account_id = ? OR (? AND o.account_id IS NULL)) AND "
            "(o.state = 'sending' OR (o.state = 'queued' AND coalesce(o.next_attempt_at, '') <= ?)) "
            "ORDER BY o.state = 'queued', o.next_attempt_at, o.message_id", (a.id, first, _iso(now))).fetchall()
    return [(r[0], r[1]) for r in rows]


def _unfiled(office: Office, a: MailAccount) -> list[str]:
    """Sent mail of the account not yet put in its Sent folder."""
    if a.server_saves_sent:
        return []
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT message_id FROM outgoing_mail WHERE deleted = 0 AND account_id = ? AND state = 'sent' "
            "AND in_sent_folder = 0 ORDER BY sent_at", (a.id,)).fetchall()]


def _update(office: Office, msg_id: str, *, triage: str | None = None, audit: tuple[str, str] | None = None,
            **changes) -> None:
    """Change one outgoing message's state (and its message's lane): one transaction."""
    from sqlmodel import select

    with office.writing() as w:
        o = w.session.exec(select(OutgoingMail).where(OutgoingMail.message_id == msg_id)).one()
        w.update(o, **changes)
        if triage:
            w.update(w.get(Message, msg_id), triage=triage)
        if audit:
            w.audit(audit[0], target=f"message:{msg_id}", detail=audit[1])


def _message(office: Office, msg_id: str) -> tuple[bytes, str, str, int, str | None]:
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT m.raw_hash, coalesce(m.recipients, ''), coalesce(m.message_id_header, ''), o.attempts, o.sending_site "
            "FROM messages m JOIN outgoing_mail o ON o.message_id = m.id WHERE m.id = ?", (msg_id,)).fetchone()
        raw = blobs.read(conn, row[0]) or b""
    return raw, row[1], row[2], int(row[3] or 0), row[4]


class _Round:
    """One account's sending round; the IMAP session is opened only when it is needed, once."""

    def __init__(self, office: Office, a: MailAccount, creds, report: SendReport) -> None:
        self.office, self.a, self.creds, self.report = office, a, creds, report
        self.settings = mail_accounts.settings_of(a)
        self.imap = None
        self.sent_folder = a.sent_folder
        self.error: MailServerError | None = None  # what stopped the round

    def session(self):
        if self.imap is None:
            from mpoffice_tui.mailbox.imap import ImapSession

            self.imap = ImapSession(self.settings, self.creds).__enter__()
            if not self.sent_folder:
                self.sent_folder = self.imap.sent_folder()
                if self.sent_folder:
                    mail_accounts.set_sent_folder(self.office, self.a.id, self.sent_folder)
        return self.imap

    def close(self) -> None:
        if self.imap is not None:
            try:
                self.imap.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - closing a dropped connection is not a problem to report
                self.imap = None
            self.imap = None

    def already_sent(self, message_id: str) -> bool:
        """Whether a message interrupted while sending is in the Sent folder already."""
        session = self.session()
        return bool(self.sent_folder) and bool(message_id) and session.find_message_id(self.sent_folder, message_id)

    def file_in_sent(self, msg_id: str) -> None:
        raw, _to, _mid, _n, _site = _message(self.office, msg_id)
        session = self.session()
        if not self.sent_folder:
            return
        session.append(self.sent_folder, raw, seen=True)
        _update(self.office, msg_id, in_sent_folder=True)

    def send_one(self, msg_id: str, state: str, now: datetime) -> bool:
        """Deal with one message; False when the account's round must stop (offline, signed out)."""
        from mpoffice_tui.mailbox import smtp

        raw, to, message_id, attempts, _site = _message(self.office, msg_id)
        if state == "sending" and self.already_sent(message_id):  # interrupted before: never send twice
            _update(self.office, msg_id, state="sent", sent_at=utcnow(), in_sent_folder=True, reason=None,
                    triage="sent", audit=("mail.sent", "found in the Sent folder after an interruption; not sent again"))
            self.report.found_in_sent += 1
            return True
        rcpts = [addr for _name, addr in getaddresses([to]) if addr]
        if not rcpts:
            _update(self.office, msg_id, state="failed", reason="it has no recipient address")
            self.report.failed += 1
            return True
        _update(self.office, msg_id, state="sending", sending_site=self.office.site_id, attempts=attempts + 1)
        try:
            refused = smtp.send(self.settings, self.creds, raw, self.a.address, rcpts)
        except MailServerError as exc:
            if exc.transient or exc.kind == "auth":
                self.error = exc
                _update(self.office, msg_id, state="queued", reason=exc.cause,
                        next_attempt_at=_iso(now + backoff(attempts + 1)))
                self.report.retry_later += 1
                self.report.problems.append(str(exc))
                return False
            _update(self.office, msg_id, state="failed", reason=exc.cause,
                    audit=("mail.failed", f"refused by the server: {exc.cause}"))
            self.report.failed += 1
            return True
        note = "; ".join(f"not delivered to {k}: {v}" for k, v in (refused or {}).items()) or None
        _update(self.office, msg_id, state="sent", sent_at=utcnow(), reason=note, triage="sent",
                audit=("mail.sent", f"sent from {self.a.name}" + (f" ({note})" if note else "")))
        self.report.sent += 1
        if not self.a.server_saves_sent:
            try:
                self.file_in_sent(msg_id)
            except MailServerError as exc:  # sent all the same; filed in Sent on a later round
                self.report.problems.append(str(exc))
                self.close()
        return True


def send_queued(office: Office, account: str | None = None, *, stop: threading.Event | None = None,
                progress: Callable[[int, int], None] | None = None, now: datetime | None = None) -> SendReport:
    """Send what is due from every account this machine is the mail machine of (or the one named)."""
    report = SendReport()
    now = now or _now()
    accounts = mail_accounts.accounts_here(office, account)
    first_id = mail_accounts.account(office).id if accounts else None
    for a in accounts:
        due = _due(office, a, a.id == first_id, now)
        unfiled = _unfiled(office, a)
        if not due and not unfiled:
            continue
        try:
            creds = mail_accounts.credentials(office, a)
        except (MailServerError, OfficeError) as exc:
            report.problems.append(str(exc))
            mail_status.note(office, a.id, online=not getattr(exc, "transient", False), problem=str(exc))
            continue
        rnd = _Round(office, a, creds, report)
        ok = True
        try:
            for i, (msg_id, state) in enumerate(due):
                if stop is not None and stop.is_set():
                    break
                try:
                    ok = rnd.send_one(msg_id, state, now)
                except MailServerError as exc:  # the Sent-folder lookup failed: the message waits
                    report.problems.append(str(exc))
                    rnd.error, ok = exc, False
                if progress:
                    progress(i + 1, len(due))
                if not ok:
                    break
            for msg_id in unfiled if ok else ():
                try:
                    rnd.file_in_sent(msg_id)
                except MailServerError as exc:
                    report.problems.append(str(exc))
                    break
        finally:
            rnd.close()
        err = rnd.error
        mail_status.note(office, a.id, online=not (err and err.kind == "network"), sent=bool(report.sent),
                         problem=str(err) if err else None)
    return report
