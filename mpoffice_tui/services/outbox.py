"""The outbox: every outgoing email and its way out (DESIGN §5a).

    draft ──queue──▶ awaiting_approval ──approve──▶ queued ──▶ sending ──▶ sent
                     (when the office asks)            ▲          │
                                                       └─retry── failed (the server's reason)

An outgoing email is a message on the case (direction `out`: the timeline shows it with its state) plus
an `OutgoingMail` row for its state. Its Message-ID is fixed when it is drafted and never changes; its
raw bytes (From the sending account, attachments included) are built when it is queued and are exactly
what is sent. Exporting a draft as .eml for another program is not sending: it stays where it is,
marked exported. `services.mail_send` moves queued mail out.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Attachment, Message, OutgoingMail
from mpoffice_tui.importers.mail.parse import content_hash as content_hash_of
from mpoffice_tui.services.exports import save_private

STATES: dict[str, str] = {  # state -> what a caseworker reads
    "draft": "draft",
    "awaiting_approval": "waiting for approval",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed",
}
WAITING = ("awaiting_approval", "queued", "sending")  # on their way out
MSGID_DOMAIN = "mpoffice.invalid"  # until queued with an account: then the account's domain
NO_FROM = ("no From address: add a mail account (`mpoffice mail account add`) or set the office's "
           "email (`mpoffice settings set office_email ADDRESS`)")


@dataclass(frozen=True)
class Outgoing:
    id: str  # the message's id
    state: str
    state_label: str
    reason: str | None
    to: str
    subject: str
    body: str
    case_ref: str | None
    account: str | None
    queued_at: str | None
    sent_at: str | None
    attempts: int
    next_attempt_at: str | None
    exported_at: str | None
    attachments: tuple[str, ...]
    from_address: str  # "" when there is none yet (the draft says why in `reason`)
    drafted_at: str = ""  # when it was written (UTC ISO)


@dataclass(frozen=True)
class Exported:
    id: str
    path: Path


# -- what is sent ---------------------------------------------------------------------------------
def _setting(conn, key: str) -> str:
    row = conn.exec_driver_sql("SELECT value FROM settings WHERE key = ? AND deleted = 0", (key,)).fetchone()
    return row[0] if row else ""


def sender(conn, account_id: str | None = None) -> tuple[str | None, str, str]:
    """(account id, From name, From address) for outgoing mail: the given account, else the office's
    first (its sending account), else the office's email setting; the address is "" when there is none."""
    sql = ("SELECT id, display_name, address FROM mail_accounts WHERE deleted = 0 "
           + ("AND id = ? " if account_id else "") + "ORDER BY created_at, id LIMIT 1")
    row = conn.exec_driver_sql(sql, (account_id,) if account_id else ()).fetchone()
    mp = _setting(conn, "mp_name")
    if row:
        return row[0], row[1] or mp, row[2]
    return None, mp, _setting(conn, "office_email")


def send_rate(conn) -> int:
    """Messages per minute a batch (campaign acknowledgements) is paced to: the sending account's."""
    row = conn.exec_driver_sql("SELECT send_per_minute FROM mail_accounts WHERE deleted = 0 "
                               "ORDER BY created_at, id LIMIT 1").fetchone()
    return max(1, int(row[0])) if row and row[0] else 20


def new_message_id(address: str = "") -> str:
    domain = address.rpartition("@")[2] if "@" in address else MSGID_DOMAIN
    return make_msgid(domain=domain)


def build_raw(*, from_name: str, from_addr: str, to: str, subject: str, body: str, message_id: str,
              in_reply_to: str | None, references: str | None, attachments: list[tuple[str, str, bytes]],
              date: datetime | None = None) -> bytes:
    """The RFC 5322 message exactly as it is sent (no X-Unsent; that is only for an exported .eml)."""
    em = EmailMessage(policy=SMTP)
    em["From"] = formataddr((from_name, from_addr)) if from_addr else from_name or "Constituency office"
    if to:
        em["To"] = to
    em["Subject"] = subject
    em["Date"] = format_datetime(date or datetime.now(timezone.utc))
    em["Message-ID"] = message_id
    if in_reply_to:
        em["In-Reply-To"] = in_reply_to
        em["References"] = " ".join(x for x in ((references or ""), in_reply_to) if x).strip()
    em.set_content(body)
    for name, ctype, data in attachments:
        main, _, sub = (ctype or "application/octet-stream").partition("/")
        em.add_attachment(data, maintype=main or "application", subtype=sub or "octet-stream", filename=name)
    return em.as_bytes()


def display_address(name: str, addr: str) -> str:
    """`Seán O'Brien <sean@example.net>` as a person reads it (quoted where the name needs it; the
    message itself encodes it when it is built)."""
    from email.headerregistry import Address

    if not name:
        return addr
    try:
        return str(Address(display_name=name, addr_spec=addr))
    except (ValueError, IndexError, TypeError):
        return addr


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# -- creating a draft -------------------------------------------------------------------------------
def create_draft(w, *, to_name: str, to_addr: str, subject: str, body: str, case_id: str | None,
                 constituent_id: str | None, campaign_id: str | None, in_reply_to: str | None,
                 references: str | None, attachments: list[tuple[str, str, bytes]] = (),
                 batch: str | None = None, source: str = "draft reply", template: str | None = None,
                 needs_approval: bool = False) -> str:
    """Write a draft inside the caller's transaction: the message (on the case timeline) and its outbox
    row, with its Message-ID fixed now. When a sign-off rule for its `template` applies (or the writer asks,
    `needs_approval`), it is marked as needing approval when it is sent. Returns the message id."""
    conn = w.session.connection()
    account_id, from_name, from_addr = sender(conn)
    to = display_address(to_name, to_addr)
    mid = new_message_id(from_addr)
    raw = build_raw(from_name=from_name, from_addr=from_addr, to=to, subject=subject, body=body, message_id=mid,
                    in_reply_to=in_reply_to, references=references, attachments=list(attachments))
    [msg_id] = w.insert_many(Message, [{
        "channel": "email", "direction": "out", "sender_name": from_name or None,
        "sender_email": from_addr or None, "recipients": to, "subject": subject, "body_text": body,
        "received_at": utcnow(), "raw_hash": blobs.put(w, raw), "message_id_header": mid, "in_reply_to": in_reply_to,
        "references_header": references, "content_hash": content_hash_of(raw), "triage": "outbox",
        "case_id": case_id, "constituent_id": constituent_id, "campaign_id": campaign_id,
        "author_id": w.staff_id, "source": source}])
    if attachments:
        w.insert_many(Attachment, [{"message_id": msg_id, "case_id": case_id, "filename": n, "content_type": t,
                                    "size": len(d), "blob_hash": blobs.put(w, d)} for n, t, d in attachments])
    w.insert(OutgoingMail, message_id=msg_id, account_id=account_id, state="draft", batch=batch,
             reason=None if from_addr else NO_FROM)
    if template or needs_approval:
        from mpoffice_tui.services import approvals

        facts, _case = approvals._email_facts(conn, msg_id)
        approvals.check_in(w, "email", msg_id, case_id, approvals.Facts(
            "email", template_name(conn, template), facts.category, facts.recipient_kind, needs_approval),
            state="needed")
    return msg_id


def template_name(conn, template: str | None) -> str:
    """A template's name from its id or name ("" for none)."""
    if not template:
        return ""
    row = conn.exec_driver_sql("SELECT name FROM letter_templates WHERE id = ? AND deleted = 0", (template,)).fetchone()
    return row[0] if row else template


# -- reading ---------------------------------------------------------------------------------------
_SQL = ("SELECT m.id, o.state, o.reason, coalesce(m.recipients, ''), m.subject, m.body_text, c.ref, a.name, "
        "o.queued_at, o.sent_at, o.attempts, o.next_attempt_at, o.exported_at, coalesce(m.sender_email, ''), "
        "(SELECT group_concat(filename, '\n') FROM attachments t WHERE t.message_id = m.id AND t.deleted = 0), "
        "m.received_at "
        "FROM outgoing_mail o JOIN messages m ON m.id = o.message_id "
        "LEFT JOIN cases c ON c.id = m.case_id LEFT JOIN mail_accounts a ON a.id = o.account_id "
        "WHERE o.deleted = 0 AND m.deleted = 0")


def _row(r) -> Outgoing:
    return Outgoing(r[0], r[1], STATES.get(r[1], r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                    r[11], r[12], tuple((r[14] or "").split("\n")) if r[14] else (), r[13], r[15] or "")


def list_outgoing(office: Office, states: tuple[str, ...] | None = None, limit: int = 500,
                  offset: int = 0) -> list[Outgoing]:
    """Outgoing mail, newest first, in the given states (every state when None)."""
    where, args = "", []
    if states:
        where = f" AND o.state IN ({','.join('?' * len(states))})"
        args = list(states)
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(_SQL + where + " ORDER BY m.received_at DESC, m.id DESC LIMIT ? OFFSET ?",
                                    (*args, limit, offset)).fetchall()
    return [_row(r) for r in rows]


def count_outgoing(office: Office) -> int:
    """How many outgoing messages there are, in every state (the Outbox lane's rows)."""
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM outgoing_mail o JOIN messages m ON m.id = o.message_id "
                                        "WHERE o.deleted = 0 AND m.deleted = 0").scalar() or 0)


def from_address(office: Office) -> str:
    """The address outgoing mail would be sent from now ("" when there is none: drafts only)."""
    with office.engine.connect() as conn:
        return sender(conn)[2]


def get(office: Office, msg_id: str) -> Outgoing:
    with office.engine.connect() as conn:
        r = conn.exec_driver_sql(_SQL + " AND m.id = ?", (msg_id,)).fetchone()
    if r is None:
        raise OfficeError(f"no outgoing message {msg_id!r}")
    return _row(r)


def counts(office: Office) -> dict[str, int]:
    """How many outgoing messages are in each state."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT state, count(*) FROM outgoing_mail WHERE deleted = 0 GROUP BY state"
                                    ).fetchall()
    return {s: 0 for s in STATES} | dict(rows)


def find(office: Office, token: str) -> str:
    """An outgoing message's id from its id or a unique suffix (as `mpoffice mail list` shows it)."""
    t = token.strip()
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT message_id FROM outgoing_mail WHERE deleted = 0 AND "
                                    "(message_id = ? OR message_id LIKE ?) LIMIT 2", (t, f"%{t}")).fetchall()
    if len(rows) != 1 or not t:
        raise OfficeError(f"no outgoing message {token!r}" if not rows else f"{token!r} matches more than one message")
    return rows[0][0]


# -- moving along ----------------------------------------------------------------------------------
def _outgoing(w, msg_id: str) -> OutgoingMail:
    from sqlmodel import select

    o = w.session.exec(select(OutgoingMail).where(OutgoingMail.message_id == msg_id,
                                                  OutgoingMail.deleted == False)).first()  # noqa: E712
    if o is None:
        raise OfficeError(f"no outgoing message {msg_id!r}")
    return o


def _finalise(w, o: OutgoingMail, *, strict: bool = True) -> None:
    """Build the message as it will be sent (From the sending account, its attachments), keeping its
    Message-ID; refuse when there is no From address or nobody to send to (unless not `strict`: a draft)."""
    conn = w.session.connection()
    msg = w.get(Message, o.message_id)
    account_id, from_name, from_addr = sender(conn, o.account_id)
    if strict and not from_addr:
        raise OfficeError(f"{msg.subject!r}: {NO_FROM}")
    if strict and not (msg.recipients or "").strip():
        raise OfficeError(f"{msg.subject!r} has nobody to send it to")
    atts = [(n, t, blobs.read(conn, h) or b"") for n, t, h in conn.exec_driver_sql(
        "SELECT filename, content_type, blob_hash FROM attachments WHERE message_id = ? AND deleted = 0 "
        "ORDER BY created_at, id", (msg.id,)).fetchall()]
    raw = build_raw(from_name=from_name, from_addr=from_addr, to=msg.recipients, subject=msg.subject,
                    body=msg.body_text, message_id=msg.message_id_header, in_reply_to=msg.in_reply_to,
                    references=msg.references_header, attachments=atts)
    w.update(msg, raw_hash=blobs.put(w, raw), sender_name=from_name or None, sender_email=from_addr,
             content_hash=content_hash_of(raw))
    if o.account_id != account_id:
        w.update(o, account_id=account_id)


def rewrite_in(w, msg_id: str, *, subject: str, body: str) -> None:
    """Change a message not yet on its way out (inside the caller's transaction); its raw is built again."""
    o = _outgoing(w, msg_id)
    if o.state in ("queued", "sending", "sent"):
        raise OfficeError(f"{msg_id[-8:]} is {STATES[o.state]}: it can no longer be changed")
    w.update(w.get(Message, msg_id), subject=subject, body_text=body)
    _finalise(w, o, strict=False)


def queue_in(w, msg_ids: list[str], *, spread_per_minute: int | None = None) -> str:
    """Queue drafts inside the caller's transaction; returns the state they reach."""
    from mpoffice_tui.services import approvals

    now = datetime.now(timezone.utc)
    reached: dict[str, int] = {}
    state = "queued"
    for i, mid in enumerate(msg_ids):
        o = _outgoing(w, mid)
        if o.state not in ("draft", "failed"):
            raise OfficeError(f"{mid[-8:]} is {STATES[o.state]}: only a draft or failed message can be queued")
        _finalise(w, o)
        msg = w.get(Message, mid)
        wait = approvals.gate_email_in(w, mid, msg.subject, msg.body_text, msg.recipients or "")
        state = "awaiting_approval" if wait else "queued"
        reached[state] = reached.get(state, 0) + 1
        due = now + timedelta(seconds=60 * i / spread_per_minute) if spread_per_minute else now
        w.update(o, state=state, reason=None, queued_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                 next_attempt_at=due.isoformat(timespec="seconds").replace("+00:00", "Z"), attempts=0)
    w.audit("mail.queue", detail="; ".join(f"{n} message(s) {STATES[s]}" for s, n in reached.items())
            or "nothing queued")
    return "awaiting_approval" if "awaiting_approval" in reached else state


def queue(office: Office, msg_ids: list[str], *, spread_per_minute: int | None = None) -> list[Outgoing]:
    """Put drafts (or failed mail, to try again) on their way: queued, or waiting for approval when the
    office asks for sign-off. `spread_per_minute` paces a batch (campaign acknowledgements). One transaction."""
    with office.writing() as w:
        queue_in(w, msg_ids, spread_per_minute=spread_per_minute)
    return [get(office, m) for m in msg_ids]


def approve(office: Office, msg_ids: list[str]) -> list[Outgoing]:
    """Approve mail waiting for sign-off (the MP or a manager): it is queued (services.approvals). One
    transaction."""
    from mpoffice_tui.services import approvals

    ids = []
    for mid in msg_ids:
        o = get(office, mid)
        found = approvals.for_target(office, "email", mid)
        if o.state != "awaiting_approval" or found is None:
            raise OfficeError(f"{mid[-8:]} is {o.state_label}, not waiting for approval")
        ids.append(found.id)
    approvals.approve(office, ids)
    return [get(office, m) for m in msg_ids]


def back_to_draft(office: Office, msg_id: str) -> Outgoing:
    """Take a message that has not started sending back to draft (to change it)."""
    with office.writing() as w:
        o = _outgoing(w, msg_id)
        if o.state not in ("awaiting_approval", "queued", "failed"):
            raise OfficeError(f"{msg_id[-8:]} is {STATES[o.state]}: it cannot go back to draft")
        w.update(o, state="draft", next_attempt_at=None)
        w.audit("mail.unqueue", target=f"message:{msg_id}", detail="taken back to draft")
    return get(office, msg_id)


def discard(office: Office, msg_id: str) -> None:
    """Throw away a message that has not started sending (an exported draft is kept: it may have been
    sent by hand)."""
    with office.writing() as w:
        o = _outgoing(w, msg_id)
        if o.state in ("sending", "sent"):
            raise OfficeError(f"{msg_id[-8:]} is {STATES[o.state]}: it cannot be discarded")
        if o.exported_at:
            raise OfficeError("this draft was exported as .eml and may have been sent from another program; "
                              "it is kept")
        w.delete(o)
        w.delete(w.get(Message, msg_id))
        w.audit("reply.discard", target=f"message:{msg_id}", detail="outgoing message discarded")


def _file_name(msg_id: str, subject: str, ref: str | None) -> str:
    from mpoffice_tui.services import letters

    stem = letters.file_slug(f"{ref or 'reply'}-{subject}", 60)
    return f"{stem or 'reply'}-{msg_id[-8:]}.eml"


def export_eml(office: Office, folder: str | os.PathLike, ids: list[str] | None = None) -> list[Exported]:
    """Write drafts as .eml files another mail program can send (marked `X-Unsent: 1`). Not sending: each
    stays a draft in the outbox, marked exported (without `ids`, the drafts not exported yet). Refused, with nothing written, while there is no From
    address (no account and no office email). One transaction."""
    from mpoffice_tui.services import approvals

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    exported = []
    with office.writing() as w:
        todo = [o for o in list_outgoing(office, ("draft",), limit=100_000)
                if (o.id in ids if ids is not None else not o.exported_at)]
        for o in todo:  # every one checked before any file is written
            try:
                approvals.ensure_cleared(w.session.connection(), "email", o.id, "exported")
            except OfficeError as exc:
                raise OfficeError(f"{o.subject!r} (to {o.to}): {exc}; nothing was exported") from None
        for o in todo:
            _finalise(w, _outgoing(w, o.id))  # From the sending account as it is now; refused with none
            msg = w.get(Message, o.id)
            path = out / _file_name(o.id, o.subject, o.case_ref)
            save_private(b"X-Unsent: 1\r\n" + (blobs.read(w.session.connection(), msg.raw_hash) or b""), path, "draft")
            w.update(_outgoing(w, o.id), exported_at=utcnow())
            exported.append(Exported(o.id, path))
        w.audit("reply.export", detail=f"{len(exported)} drafts exported as .eml (not sent)")
    return exported
