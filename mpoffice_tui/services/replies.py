"""Replies: drafts from letter templates with merge fields, an outbox, and .eml export.

Nothing is ever sent by the app. A draft is an outgoing message (direction `out`, triage `outbox`)
whose `raw` is a ready RFC 5322 message (with `X-Unsent: 1`, so Outlook opens it as a draft to send).
`export_outbox` writes the drafts as .eml files; exported replies become `sent` and, being messages
on the case, appear on its timeline.

Merge fields are the letters' (services.letters.MERGE_FIELDS, {salutation}, {case_ref}, {mp_name}…) plus
{subject} and {topic} (a campaign's name, tidied: what a campaign acknowledgement says it is about);
without a case the case fields are empty. An unknown field is left as written. Campaign
acknowledgements use templates of kind `campaign`, replies those of kind `reply`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, LetterTemplate, Message
from mpoffice_tui.importers.mail.parse import content_hash as content_hash_of
from mpoffice_tui.services import letters

DEFAULT_REPLY = ("{salutation},\n\nThank you for contacting me. My office has recorded your "
                 "message under reference {case_ref} and a member of my team will be in touch.\n\n"
                 "Yours sincerely,\n\n{mp_name}\n")
DEFAULT_REPLY_UNFILED = ("{salutation},\n\nThank you for contacting me. A member of my team will look into "
                         "your message and be in touch.\n\nYours sincerely,\n\n{mp_name}\n")
DEFAULT_ACK = ("{salutation},\n\nThank you for writing to me about the “{topic}” campaign. I have received "
               "many messages on this issue and will respond in full as soon as I can.\n\n"
               "{sign_off},\n\n{mp_name}\n")


@dataclass(frozen=True)
class Draft:
    id: str
    to: str
    subject: str
    body: str
    case_ref: str | None


@dataclass(frozen=True)
class Exported:
    id: str
    path: Path


def merge(template: str, fields: dict[str, str]) -> str:
    """Fill {field} placeholders as letters do; unknown fields and stray braces are left as they are."""
    return letters.render(template, fields)[0]


def _campaign_name(office: Office, campaign_id: str | None) -> str | None:
    """A campaign's name (what it is about), or None."""
    if not campaign_id:
        return None
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT name FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
    return row[0] if row else None


def _setting(w, key: str) -> str:
    row = w.session.connection().exec_driver_sql(
        "SELECT value FROM settings WHERE key = ? AND deleted = 0", (key,)).fetchone()
    return row[0] if row else ""


def _template(s, template: str | None, kind: str) -> tuple[str, str]:
    """(subject, body) of a named template (or id), else the office's first of that kind, else built-in;
    `s` is a database session."""
    from sqlmodel import select

    if template:
        t = s.get(LetterTemplate, template) or s.exec(
            select(LetterTemplate).where(LetterTemplate.name == template, LetterTemplate.deleted == False)  # noqa: E712
        ).first()
        if t is None:
            raise OfficeError(f"no letter template {template!r}")
        return t.subject, t.body
    t = s.exec(select(LetterTemplate).where(LetterTemplate.kind == kind, LetterTemplate.deleted == False)  # noqa: E712
               .order_by(LetterTemplate.name, LetterTemplate.id)).first()
    if t:
        return t.subject, t.body
    return "", DEFAULT_ACK if kind == "campaign" else DEFAULT_REPLY


def _build_raw(*, from_name: str, from_addr: str, to_name: str, to_addr: str, subject: str, body: str,
               in_reply_to: str | None, references: str | None) -> tuple[bytes, str]:
    em = EmailMessage(policy=SMTP)
    em["From"] = f"{from_name} <{from_addr}>" if from_addr else from_name or "Constituency office"
    if to_addr:
        em["To"] = f"{to_name} <{to_addr}>" if to_name else to_addr
    em["Subject"] = subject
    em["Date"] = format_datetime(datetime.now(timezone.utc))
    mid = make_msgid(domain="mpoffice.invalid")
    em["Message-ID"] = mid
    if in_reply_to:
        em["In-Reply-To"] = in_reply_to
        em["References"] = " ".join(x for x in ((references or ""), in_reply_to) if x).strip()
    em["X-Unsent"] = "1"
    em.set_content(body)
    return em.as_bytes(), mid


def _draft(office: Office, w, *, to_name: str, to_addr: str, subject: str, body: str, case: Case | None,
           constituent_id: str | None, campaign_id: str | None, in_reply_to: str | None,
           references: str | None) -> Draft:
    raw, mid = _build_raw(from_name=_setting(w, "mp_name") or office.meta("mp_name") or "",
                          from_addr=_setting(w, "office_email"), to_name=to_name, to_addr=to_addr,
                          subject=subject, body=body, in_reply_to=in_reply_to, references=references)
    [draft_id] = w.insert_many(Message, [{
        "channel": "email", "direction": "out", "sender_name": _setting(w, "mp_name"),
        "sender_email": _setting(w, "office_email") or None, "recipients": to_addr, "subject": subject,
        "body_text": body, "received_at": utcnow(), "raw_hash": blobs.put(w, raw), "message_id_header": mid,
        "in_reply_to": in_reply_to, "references_header": references, "content_hash": content_hash_of(raw),
        "triage": "outbox", "case_id": case.id if case else None, "constituent_id": constituent_id,
        "campaign_id": campaign_id, "author_id": office.staff_id, "source": "draft reply"}])
    return Draft(draft_id, to_addr, subject, body, case.ref if case else None)


@dataclass(frozen=True)
class Composed:
    """A reply as it would be drafted, to read and change before it goes into the outbox."""

    to: str
    subject: str
    body: str


def compose_reply(office: Office, msg_id: str, template: str | None = None) -> Composed:
    """The reply to an incoming message, merged from a template (nothing is written)."""
    return _compose(office, msg_id, template)[0]


def _compose(office: Office, msg_id: str, template: str | None) -> tuple[Composed, dict[str, str], Message,
                                                                         Case | None]:
    with office.read() as s:
        msg = s.get(Message, msg_id)
        if msg is None or msg.deleted:
            raise OfficeError(f"no message {msg_id!r}")
        case = s.get(Case, msg.case_id) if msg.case_id else None
        person = s.get(Constituent, msg.constituent_id) if msg.constituent_id else None
        name = (" ".join(x for x in (person.preferred_name or person.forenames, person.surname) if x)
                if person else msg.sender_name or "")
        to_addr = msg.sender_email or (person.email if person else "") or ""
        tsubject, tbody = _template(s, template, "reply")
    if not to_addr:
        raise OfficeError("this message has no email address to reply to")
    fields = letters.reply_fields(office, case_id=case.id if case else None, constituent_id=msg.constituent_id,
                                  name=name, subject=msg.subject, topic=_campaign_name(office, msg.campaign_id))
    if tbody is DEFAULT_REPLY and case is None:
        tbody = DEFAULT_REPLY_UNFILED
    subject = merge(tsubject, fields) if tsubject else (
        msg.subject if msg.subject.lower().startswith("re:") else f"Re: {msg.subject}".strip())
    if case and case.ref not in subject:
        subject = f"{subject} [{case.ref}]"
    return Composed(f"{name} <{to_addr}>" if name else to_addr, subject, merge(tbody, fields)), fields, msg, case


def draft_reply(office: Office, msg_id: str, template: str | None = None, body: str | None = None,
                subject: str | None = None) -> Draft:
    """Draft a reply to an incoming message (to its case's constituent, threaded with it) into the
    outbox; `subject` and `body`, when given, are the caseworker's own (merge fields still filled)."""
    composed, fields, msg, case = _compose(office, msg_id, template)
    subject = merge(subject, fields).strip() if subject and subject.strip() else composed.subject
    body = merge(body, fields) if body is not None else composed.body
    if not body.strip():
        raise OfficeError("the reply is empty")
    name, _, addr = composed.to.rpartition(" <")
    with office.writing() as w:
        draft = _draft(office, w, to_name=name, to_addr=addr.rstrip(">") if name else composed.to,
                       subject=subject, body=body, case=case, constituent_id=msg.constituent_id,
                       campaign_id=None, in_reply_to=msg.message_id_header, references=msg.references_header)
        w.audit("reply.draft", target=f"message:{draft.id}", detail=f"reply drafted{' on ' + case.ref if case else ''}")
        return draft


@dataclass(frozen=True)
class AckPreview:
    """A campaign acknowledgement as it would be drafted: how many senders get one, which messages are
    left out (flagged: they may carry a real case), and the text the first sender would get."""

    campaign_id: str
    senders: int
    left_out: int  # flagged messages, left to be read one by one
    template: str  # the template's name ("built-in" without one)
    to: str
    subject: str
    body: str


def _ack_plan(office: Office, campaign_id: str) -> tuple[dict[str, tuple], list[str], list[str]]:
    """({sender address: (name, addr, subject, Message-ID, references, constituent id, fields)} for the
    senders to acknowledge, the waiting unflagged message ids (the group), the flagged ones left out)."""
    with office.engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM campaigns WHERE id = ? AND deleted = 0", (campaign_id,)).fetchone() is None:
            raise OfficeError(f"no campaign {campaign_id!r}")
        rows = conn.exec_driver_sql(
            "SELECT id, sender_name, sender_email, subject, message_id_header, references_header, constituent_id, "
            "flags FROM messages WHERE campaign_id = ? AND direction = 'in' AND deleted = 0 AND triage = 'campaign' "
            "ORDER BY received_at, id", (campaign_id,)).fetchall()
        done = {r[0] for r in conn.exec_driver_sql(
            "SELECT lower(recipients) FROM messages WHERE campaign_id = ? AND direction = 'out' AND deleted = 0",
            (campaign_id,)).fetchall()}
    shared = letters.office_fields(office) if rows else {}
    topic = _campaign_name(office, campaign_id) if rows else ""  # one topic for every sender
    senders: dict[str, tuple] = {}
    group, flagged = [], []
    for mid, name, addr, subject, mid_header, refs, cid, flags in rows:
        if "differs_from_campaign" in (flags or "").split(","):
            flagged.append(mid)
            continue
        group.append(mid)
        if addr and addr.lower() not in done and addr.lower() not in senders:
            fields = letters.reply_fields(office, case_id=None, constituent_id=cid, name=name or "",
                                          subject=subject, shared=shared, topic=topic)
            senders[addr.lower()] = (name or "", addr, subject, mid_header, refs, cid, fields)
    return senders, group, flagged


def _ack_text(tsubject: str, tbody: str, sender: tuple) -> tuple[str, str]:
    _name, _addr, subject, _mid, _refs, _cid, fields = sender
    return (merge(tsubject, fields) if tsubject else f"Re: {subject}".strip()), merge(tbody, fields)


def _ack_template(s, template: str | None) -> tuple[str, str, str]:
    """(name, subject, body) of the acknowledgement template: the one named, else the office's first of
    kind `campaign`, else the built-in one."""
    from sqlmodel import select

    if not template:
        t = s.exec(select(LetterTemplate).where(LetterTemplate.kind == "campaign",
                                                LetterTemplate.deleted == False)  # noqa: E712
                   .order_by(LetterTemplate.name)).first()
        template = t.id if t else None
    if template:
        subject, body = _template(s, template, "campaign")
        t = s.get(LetterTemplate, template)
        return (t.name if t else template), subject, body
    return "built-in", "", DEFAULT_ACK


def preview_campaign_acknowledgement(office: Office, campaign_id: str, template: str | None = None) -> AckPreview:
    """What `draft_campaign_acknowledgements` would draft (nothing is written)."""
    senders, _group, flagged = _ack_plan(office, campaign_id)
    with office.read() as s:
        name, tsubject, tbody = _ack_template(s, template)
    if not senders:
        return AckPreview(campaign_id, 0, len(flagged), name, "", "", "")
    first = next(iter(senders.values()))
    subject, body = _ack_text(tsubject, tbody, first)
    to = f"{first[0]} <{first[1]}>" if first[0] else first[1]
    return AckPreview(campaign_id, len(senders), len(flagged), name, to, subject, body)


def draft_campaign_acknowledgements(office: Office, campaign_id: str, template: str | None = None) -> list[Draft]:
    """One acknowledgement per distinct sender waiting in a campaign (merge fields filled per sender), from
    `template`, else the office's first template of kind `campaign`, else a built-in one (case letters are
    not used: a campaign sender has no case to quote). Flagged messages (words of their own: perhaps a
    real case) are left out and go back to their lane to be read one by one; the rest are done, so the
    group closes. One transaction."""
    senders, group, flagged = _ack_plan(office, campaign_id)
    drafts = []
    with office.writing() as w:
        _name, tsubject, tbody = _ack_template(w.session, template)
        for sender in senders.values():
            name, addr, _subject, mid_header, refs, cid, _fields = sender
            subj, body = _ack_text(tsubject, tbody, sender)
            drafts.append(_draft(office, w, to_name=name, to_addr=addr, subject=subj, body=body, case=None,
                                 constituent_id=cid, campaign_id=campaign_id, in_reply_to=mid_header,
                                 references=refs))
        for mid in group:
            w.update(w.get(Message, mid), triage="done")
        for mid in flagged:
            msg = w.get(Message, mid)
            suggested = msg.suggested_case_id or msg.suggested_constituent_id or msg.suggested_elector_key
            w.update(msg, triage="suggested" if suggested else "new")
        w.audit("campaign.acknowledge", target=f"campaign:{campaign_id}",
                detail=f"{len(drafts)} drafts; {len(group)} messages done; {len(flagged)} flagged left to read")
    return drafts


def discard_draft(office: Office, draft_id: str) -> None:
    """Throw away a draft still in the outbox (one exported as .eml is kept: it may have been sent)."""
    with office.writing() as w:
        msg = w.get(Message, draft_id)
        if msg is None or msg.deleted or msg.triage != "outbox":
            raise OfficeError("only a draft still in the outbox can be discarded")
        w.delete(msg)
        w.audit("reply.discard", target=f"message:{draft_id}", detail="draft discarded")


def list_outbox(office: Office) -> list[Draft]:
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT m.id, coalesce(m.recipients, ''), m.subject, m.body_text, c.ref FROM messages m "
            "LEFT JOIN cases c ON c.id = m.case_id WHERE m.triage = 'outbox' AND m.deleted = 0 "
            "ORDER BY m.received_at, m.id").fetchall()
    return [Draft(*r) for r in rows]


def _file_name(draft_id: str, subject: str, ref: str | None) -> str:
    stem = letters.file_slug(f"{ref or 'reply'}-{subject}", 60)  # 'Séan' -> 'Sean', as letters are named
    return f"{stem or 'reply'}-{draft_id[-8:]}.eml"


def export_outbox(office: Office, folder: str | os.PathLike, ids: list[str] | None = None) -> list[Exported]:
    """Write drafts as .eml files a mail client can send; they become `sent` (on the case timeline)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    exported = []
    with office.writing() as w:
        conn = w.session.connection()
        rows = conn.exec_driver_sql(
            "SELECT m.id, m.subject, c.ref FROM messages m LEFT JOIN cases c ON c.id = m.case_id "
            "WHERE m.triage = 'outbox' AND m.deleted = 0 ORDER BY m.received_at, m.id").fetchall()
        for mid, subject, ref in rows:
            if ids is not None and mid not in ids:
                continue
            msg = w.get(Message, mid)
            path = out / _file_name(mid, subject, ref)
            path.write_bytes(blobs.read(w, msg.raw_hash) or b"")
            w.update(msg, triage="sent")
            exported.append(Exported(mid, path))
        w.audit("reply.export", detail=f"{len(exported)} replies exported as .eml")
    return exported
