"""Replies: what to write, from letter templates with merge fields, to whom, threaded with what.

A reply is drafted into the outbox (`services.outbox`: its states, queueing, export as .eml) and sent by
`services.mail_send` from the office's mailbox. From a message (`draft_reply`), from a case to its
constituent or a third party on it (`reply_on_case`), or to every sender of a campaign
(`draft_campaign_acknowledgements`).

Merge fields are the letters' (services.letters.MERGE_FIELDS, {salutation}, {case_ref}, {mp_name}…) plus
{subject} and {topic} (a campaign's name, tidied: what a campaign acknowledgement says it is about);
without a case the case fields are empty. An unknown field is left as written. Campaign
acknowledgements use templates of kind `campaign`, replies those of kind `reply`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, LetterTemplate, Message
from mpoffice_tui.services import letters, outbox
from mpoffice_tui.services.constituent_fields import display_name, name_sql

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


def _draft(office: Office, w, *, to_name: str, to_addr: str, subject: str, body: str, case: Case | None,
           constituent_id: str | None, campaign_id: str | None, in_reply_to: str | None,
           references: str | None, attachments: list[tuple[str, str, bytes]] = (), batch: str | None = None,
           template: str | None = None, needs_approval: bool = False) -> Draft:
    draft_id = outbox.create_draft(w, to_name=to_name, to_addr=to_addr, subject=subject, body=body,
                                   case_id=case.id if case else None, constituent_id=constituent_id,
                                   campaign_id=campaign_id, in_reply_to=in_reply_to, references=references,
                                   attachments=list(attachments), batch=batch, template=template,
                                   needs_approval=needs_approval)
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
        name = (display_name(person.forenames, person.surname, person.preferred_name) if person
                else msg.sender_name or "")
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
                subject: str | None = None, queue: bool = False, needs_approval: bool = False) -> Draft:
    """Draft a reply to an incoming message (to its case's constituent, threaded with it) into the
    outbox; `subject` and `body`, when given, are the caseworker's own (merge fields still filled). With
    `queue` it is also queued to send, in the same transaction."""
    composed, fields, msg, case = _compose(office, msg_id, template)
    subject = merge(subject, fields).strip() if subject and subject.strip() else composed.subject
    body = merge(body, fields) if body is not None else composed.body
    if not body.strip():
        raise OfficeError("the reply is empty")
    name, _, addr = composed.to.rpartition(" <")
    with office.writing() as w:
        draft = _draft(office, w, to_name=name, to_addr=addr.rstrip(">") if name else composed.to,
                       subject=subject, body=body, case=case, constituent_id=msg.constituent_id,
                       campaign_id=None, in_reply_to=msg.message_id_header, references=msg.references_header,
                       template=template, needs_approval=needs_approval)
        w.audit("reply.draft", target=f"message:{draft.id}", detail=f"reply drafted{' on ' + case.ref if case else ''}")
        if queue:
            outbox.queue_in(w, [draft.id])
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


def draft_campaign_acknowledgements(office: Office, campaign_id: str, template: str | None = None,
                                    send: bool = False) -> list[Draft]:
    """One acknowledgement per distinct sender waiting in a campaign (merge fields filled per sender), from
    `template`, else the office's first template of kind `campaign`, else a built-in one (case letters are
    not used: a campaign sender has no case to quote). Flagged messages (words of their own: perhaps a
    real case) are left out and go back to their lane to be read one by one; the rest are done, so the
    group closes. With `send`, they are queued too, paced to the account's messages per minute. One
    transaction."""
    senders, group, flagged = _ack_plan(office, campaign_id)
    drafts = []
    with office.writing() as w:
        tname, tsubject, tbody = _ack_template(w.session, template)
        for sender in senders.values():
            name, addr, _subject, mid_header, refs, cid, _fields = sender
            subj, body = _ack_text(tsubject, tbody, sender)
            drafts.append(_draft(office, w, to_name=name, to_addr=addr, subject=subj, body=body, case=None,
                                 constituent_id=cid, campaign_id=campaign_id, in_reply_to=mid_header,
                                 references=refs, batch=campaign_id,
                                 template=tname if tname != "built-in" else None))
        for mid in group:
            w.update(w.get(Message, mid), triage="done")
        for mid in flagged:
            msg = w.get(Message, mid)
            suggested = msg.suggested_case_id or msg.suggested_constituent_id or msg.suggested_elector_key
            w.update(msg, triage="suggested" if suggested else "new")
        if send and drafts:  # queued, paced to the sending account's rate, each with its own state
            outbox.queue_in(w, [d.id for d in drafts], spread_per_minute=outbox.send_rate(w.session.connection()))
        w.audit("campaign.acknowledge", target=f"campaign:{campaign_id}",
                detail=f"{len(drafts)} drafts; {len(group)} messages done; {len(flagged)} flagged left to read")
    return drafts


def discard_draft(office: Office, draft_id: str) -> None:
    """Throw away a draft (see `outbox.discard`)."""
    outbox.discard(office, draft_id)


def list_outbox(office: Office) -> list[Draft]:
    """Replies not yet sent (drafts, waiting, queued, failed), oldest first."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT m.id, coalesce(m.recipients, ''), m.subject, m.body_text, c.ref FROM messages m "
            "LEFT JOIN cases c ON c.id = m.case_id WHERE m.triage = 'outbox' AND m.deleted = 0 "
            "ORDER BY m.received_at, m.id").fetchall()
    return [Draft(*r) for r in rows]


def export_outbox(office: Office, folder: str | os.PathLike, ids: list[str] | None = None) -> list[outbox.Exported]:
    """Write drafts as .eml files another mail program can send; they stay drafts, marked exported."""
    return outbox.export_eml(office, folder, ids)


# -- replying from a case ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    """Someone on a case an email can go to: the constituent, or a party (a council, an agency)."""

    key: str  # "constituent", or the case party's id
    name: str
    email: str  # "" when the office has no address for them
    contact_id: str | None = None
    party_id: str | None = None


def recipients(office: Office, case: str) -> list[Recipient]:
    """Who on the case can be written to, the constituent first."""
    from mpoffice_tui.services.cases import find_case_id

    case_id = find_case_id(office, case)
    with office.engine.connect() as conn:
        person = conn.exec_driver_sql(
            f"SELECT {name_sql('p')}, coalesce(p.email, '') "
            "FROM cases c JOIN constituents p ON p.id = c.constituent_id WHERE c.id = ?", (case_id,)).fetchone()
        parties = conn.exec_driver_sql(
            "SELECT cp.id, cp.contact_id, cp.role, "
            "trim(coalesce(k.name || ', ', '') || coalesce(k.organisation, '') || coalesce(' — ' || k.department, '')), "
            f"coalesce(k.email, ''), {name_sql('p')}, "
            "coalesce(p.email, '') FROM case_parties cp LEFT JOIN contacts k ON k.id = cp.contact_id "
            "LEFT JOIN constituents p ON p.id = cp.constituent_id WHERE cp.case_id = ? AND cp.deleted = 0 "
            "ORDER BY cp.created_at, cp.id", (case_id,)).fetchall()
    out = [Recipient("constituent", person[0], person[1])] if person else []
    for pid, contact_id, role, org, org_email, pname, pemail in parties:
        name = org or pname or role
        out.append(Recipient(pid, f"{name} ({role})" if role and role not in name else name,
                             org_email or pemail, contact_id, pid))
    return out


def _recipient(office: Office, case: str, to: str) -> Recipient:
    """The recipient a caseworker named: "constituent", a party's id, or words of its name or role."""
    everyone = recipients(office, case)
    want = (to or "constituent").strip().casefold()
    found = [r for r in everyone if r.key.casefold() == want] or [
        r for r in everyone if r.key != "constituent" and want in r.name.casefold()]
    if not found:
        names = ", ".join(["constituent"] + [r.name for r in everyone if r.key != "constituent"])
        raise OfficeError(f"nobody called {to!r} on this case (choose from: {names})")
    if len(found) > 1:
        raise OfficeError(f"{to!r} matches more than one party: {', '.join(r.name for r in found)}")
    r = found[0]
    if not r.email:
        raise OfficeError(f"the office has no email address for {r.name}")
    return r


@dataclass(frozen=True)
class CaseReply:
    id: str
    to: str
    subject: str
    body: str
    case_ref: str
    state: str
    attachments: tuple[str, ...]


def compose_case_reply(office: Office, case: str, to: str = "constituent", template: str | None = None
                       ) -> Composed:
    """An email from a case to the constituent or a party, merged from a template (nothing is written)."""
    return _case_compose(office, case, to, template)[0]


def _case_compose(office: Office, case: str, to: str, template: str | None):
    from mpoffice_tui.services.cases import find_case_id

    case_id = find_case_id(office, case)
    r = _recipient(office, case_id, to)
    fields = letters.merge_fields(office, case_id, recipient_contact_id=r.contact_id,
                                  recipient="constituent" if r.key == "constituent" else "party", party_id=r.party_id)
    with office.engine.connect() as conn:
        ref, title = conn.exec_driver_sql("SELECT ref, title FROM cases WHERE id = ?", (case_id,)).fetchone()
        # thread with the last message from this recipient on the case, so their answer comes back here
        last = conn.exec_driver_sql(
            "SELECT subject, message_id_header, references_header FROM messages WHERE case_id = ? AND deleted = 0 "
            "AND direction = 'in' AND lower(coalesce(sender_email, '')) = lower(?) ORDER BY received_at DESC LIMIT 1",
            (case_id, r.email)).fetchone()
    with office.read() as s:
        tsubject, tbody = _template(s, template, "reply")
    if tbody is DEFAULT_REPLY and r.key != "constituent":
        tbody = "{salutation},\n\n\n\n{sign_off},\n\n{mp_name}\n"
    subject = merge(tsubject, fields) if tsubject else (f"Re: {last[0]}" if last and last[0] and not
                                                       last[0].lower().startswith("re:") else (last[0] if last else title))
    if ref not in subject:
        subject = f"{subject} [{ref}]"
    to_text = f"{r.name} <{r.email}>" if r.key == "constituent" and r.name else r.email
    return Composed(to_text, subject, merge(tbody, fields)), fields, r, case_id, last


def reply_on_case(office: Office, case: str, *, to: str = "constituent", template: str | None = None,
                  body: str | None = None, subject: str | None = None, files: list[tuple[str, bytes]] = (),
                  case_attachments: list[str] = (), letter_ids: list[str] = (), queue: bool = True,
                  needs_approval: bool = False) -> CaseReply:
    """Write an email on a case to its constituent or a party, from a template or the caseworker's own
    text, with files, files already on the case and letters written on it (as Word documents); queued to
    send unless `queue` is False (a draft). One transaction."""
    composed, fields, r, case_id, last = _case_compose(office, case, to, template)
    subject = merge(subject, fields).strip() if subject and subject.strip() else composed.subject
    body = merge(body, fields) if body is not None else composed.body
    if not body.strip():
        raise OfficeError("the email is empty")
    atts = [(name, outbox.guess_type(name), data) for name, data in files]
    from mpoffice_tui.services import cases as cs

    for aid in case_attachments:
        name, data = cs.attachment_data(office, aid)
        atts.append((name, outbox.guess_type(name), data))
    from mpoffice_tui.services import approvals

    for lid in letter_ids:
        lt = letters.get_letter(office, lid)
        if lt.case_id != case_id:
            raise OfficeError("that letter is on another case")
        approvals.ensure_cleared(office, "letter", lid, "attached to an email")
        atts.append((letters.docx_file_name(lt), "application/vnd.openxmlformats-officedocument."
                     "wordprocessingml.document", letters.letter_docx(office, lid)))
    with office.writing() as w:
        row = w.session.connection().exec_driver_sql("SELECT constituent_id FROM cases WHERE id = ?",
                                                     (case_id,)).fetchone()
        msg_id = outbox.create_draft(
            w, to_name=r.name if r.key == "constituent" else "", to_addr=r.email, subject=subject, body=body,
            case_id=case_id, constituent_id=row[0] if row else None, campaign_id=None,
            in_reply_to=last[1] if last else None, references=last[2] if last else None, attachments=atts,
            source="case reply", template=template, needs_approval=needs_approval)
        w.audit("reply.draft", target=f"message:{msg_id}", detail=f"email to {r.key if r.key == 'constituent' else 'a party'} drafted")
        if queue:
            outbox.queue_in(w, [msg_id])
    o = outbox.get(office, msg_id)
    return CaseReply(msg_id, o.to, o.subject, o.body, o.case_ref or "", o.state, o.attachments)
