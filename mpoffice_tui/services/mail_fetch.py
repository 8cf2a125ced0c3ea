"""Fetching the office's mailbox into the inbox: incremental, resumable, by (folder, UIDVALIDITY, UID).

Each folder remembers the UIDVALIDITY it was read under and the last UID stored. New messages come in
batches through the same import path as files (parsing, de-duplication by Message-ID, matching,
auto-filing, campaigns, bounces), and each batch records how far the folder got *in the batch's own
transaction*: a fetch stopped or killed at any moment resumes where it stopped, with nothing lost and
nothing twice. A folder renumbered by the server (UIDVALIDITY changed) is read again from the start (what
the office already has is recognised by Message-ID, not stored twice); a folder that has vanished is
skipped and said so; a server that drops the connection ends the round with the account named.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import MailAccount, MailFolder
from mpoffice_tui.importers.mail import Item
from mpoffice_tui.importers.mail.readers import _parse as parse_item
from mpoffice_tui.mailbox.types import MailServerError
from mpoffice_tui.services import inbox, mail_accounts, mail_status

BATCH = 200  # messages asked of the server at a time
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class FetchReport:
    fetched: int = 0  # new messages stored
    duplicates: int = 0  # already in the office (imported from a file, or fetched before)
    rejected: int = 0
    auto_filed: int = 0
    suggested: int = 0
    campaign: int = 0
    notices: list[str] = field(default_factory=list)  # renumbered or vanished folders, in words
    problems: list[str] = field(default_factory=list)  # what stopped an account's round, naming it
    stopped: bool = False  # the caller asked to stop

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def has_news(office: Office, account_id: str, folder: str, uidvalidity: int, uidnext: int) -> bool:
    """Whether a folder as the server shows it holds mail not fetched yet (renumbered, or a UID beyond the
    last one stored): what arrived between a fetch and the start of an IDLE."""
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT uidvalidity, last_uid FROM mail_folders WHERE account_id = ? AND name = ? "
                                   "AND deleted = 0", (account_id, folder)).fetchone()
    return row is None or row[0] != uidvalidity or uidnext - 1 > row[1]


def _folder_row(office: Office, a: MailAccount, name: str) -> MailFolder:
    from sqlmodel import select

    with office.read() as s:
        row = s.exec(select(MailFolder).where(MailFolder.account_id == a.id, MailFolder.name == name,
                                              MailFolder.deleted == False)).first()  # noqa: E712
    if row is None:
        with office.writing() as w:
            row = w.insert(MailFolder, account_id=a.id, name=name)
    return row


def _set_folder(office: Office, folder_id: str, **changes) -> None:
    with office.writing() as w:
        w.update(w.get(MailFolder, folder_id), **changes)


def _uid(item: Item) -> int:
    return int(item.position.rpartition(" ")[2])


class _Mark:
    """Records, inside each stored batch's transaction, the highest UID the folder has stored."""

    def __init__(self, folder_id: str, last_uid: int) -> None:
        self.folder_id = folder_id
        self.last_uid = last_uid

    def __call__(self, w, items: list[Item]) -> None:
        top = max((_uid(i) for i in items), default=0)
        if top > self.last_uid:
            self.last_uid = top
            w.update(w.get(MailFolder, self.folder_id), last_uid=top)


def _fetch_folder(office: Office, session, a: MailAccount, name: str, report: FetchReport,
                  stop: threading.Event | None, progress: Callable[[int, int], None] | None, batch: int) -> None:
    row = _folder_row(office, a, name)
    try:
        status = session.open(name)
    except MailServerError as exc:
        if exc.kind != "gone":
            raise
        words = f"mail account {a.name!r}: the folder {name!r} is no longer on the server; it was skipped"
        report.notices.append(words)
        if row.problem != words:
            _set_folder(office, row.id, problem=words)
        return
    last = row.last_uid
    if row.uidvalidity and row.uidvalidity != status.uidvalidity:
        words = (f"mail account {a.name!r}: the server renumbered the folder {name!r} (UIDVALIDITY changed); it "
                 "was read again from the start and what the office already had was recognised, not stored twice")
        report.notices.append(words)
        _set_folder(office, row.id, uidvalidity=status.uidvalidity, last_uid=0, problem=words)
        last = 0
    elif not row.uidvalidity or row.problem:
        _set_folder(office, row.id, uidvalidity=status.uidvalidity, problem=None)
    uids = session.uids_after(last)
    mark = _Mark(row.id, last)
    source = f"{a.name}:{name.replace('/', '.')}"
    done = 0
    for start in range(0, len(uids), batch):
        if stop is not None and stop.is_set():
            report.stopped = True
            return
        chunk = uids[start:start + batch]
        items = [parse_item(source, f"UID {uid}", raw) for uid, raw in session.fetch(chunk)]
        got = inbox.import_items(office, items, on_commit=mark)
        report.fetched += got.imported
        report.duplicates += got.duplicates
        report.rejected += len(got.rejected)
        report.auto_filed += got.auto_filed
        report.suggested += got.suggested
        report.campaign += got.campaign
        if chunk[-1] > mark.last_uid:  # the batch's unreadable messages are counted as seen, not refetched
            mark.last_uid = chunk[-1]
            _set_folder(office, row.id, last_uid=chunk[-1])
        done += len(chunk)
        if progress:
            progress(done, len(uids))


def fetch(office: Office, account: str | None = None, *, stop: threading.Event | None = None,
          progress: Callable[[int, int], None] | None = None, batch: int = BATCH) -> FetchReport:
    """Fetch new mail of every account this machine is the mail machine of (or the one named)."""
    from mpoffice_tui.mailbox.imap import ImapSession

    report = FetchReport()
    for a in mail_accounts.accounts_here(office, account):
        try:
            creds = mail_accounts.credentials(office, a)
            with ImapSession(mail_accounts.settings_of(a), creds) as session:
                for name in [f for f in a.folders.split(",") if f]:
                    _fetch_folder(office, session, a, name, report, stop, progress, batch)
                    if report.stopped:
                        break
                if not a.sent_folder:
                    sent = session.sent_folder()
                    if sent:
                        mail_accounts.set_sent_folder(office, a.id, sent)
        except (MailServerError, OfficeError) as exc:
            report.problems.append(str(exc))
            network = isinstance(exc, MailServerError) and exc.kind == "network"
            mail_status.note(office, a.id, online=not network, problem=str(exc))
            continue
        mail_status.note(office, a.id, online=True, fetched=not report.stopped)
        if report.stopped:
            break
    return report
