"""The inbox: bring mail in, keep it, and triage it into cases.

Service API (plain Python; every function takes the open `Office` and returns frozen dataclasses):

Importing
    import_paths(office, paths, progress=None) -> ImportReport
        .eml / .msg / mbox files and Maildir or plain folders. Each message is all-or-nothing; bad
        mail is reported in `report.rejected` (file, position, reason) and never stops the batch.
        Re-importing adds nothing (Message-ID, else a content hash). `progress(done_bytes, total_bytes)`.
    import_items(office, items, progress=None) -> ImportReport     (items from importers.mail)

Reading (SQL-paged, cheap)
    LANES (services/lanes)         lane name -> triage states: new, auto_filed, suggested, campaigns,
                                   done (done + ignored), outbox, sent
    lane_counts(office) -> dict[str, int]
    list_inbox(office, lane="new", limit=50, offset=0) -> list[InboxRow]   newest first
        (after=row / before=row: the page just after/before a row shown, by key instead of OFFSET)
    get_message(office, msg_id) -> MessageDetail   (body, flags, attachments' metadata; no raw)
    raw_message(office, msg_id) -> bytes | None    the original, byte for byte
    find_message(office, token) -> str             a full id from an id or a unique prefix/suffix
    safe_text(s) -> str                            strip terminal control characters (keep \\n, \\t)

Triage (each one transaction, audited, and undoable: see services.triage_undo)
    accept_suggestion(office, msg_id) -> Filed     confirm an auto-filing, file to the suggested case, or
                                                   open a new case for the suggested constituent/elector
    (services.filing finds the case to file to, and says when to ask first)
    file_to_case(office, msg_id, case_ref_or_id) -> Filed   (a third party's reply is recorded: .replied)
    case_draft(office, msg_id) -> CaseDraft        the new-case form: known person, suggested category
    new_case(office, msg_id, title=None, category=None, constituent_id=None, person=None) -> Filed
                                                   (person: given, the form's (found, else made), linked,
                                                   suggested, same email / name and postcode, elector,
                                                   else made from the sender)
    link_constituent(office, msg_id, constituent_id) -> None
    ignore(office, msg_id)
    mark_campaign(office, msg_id, campaign_id=None) -> str (campaign id; a new one from this message)
    undo(office, msg_id) -> Undone                 the message's last triage put back exactly
    undo_auto_filing(office, msg_id) -> Undone     the same, only for an auto-filed message

Manual capture
    capture(office, channel, sender_name=..., body=..., subject="", sender_email=None,
            case_ref=None, constituent_id=None, attachment_path=None, received_at=None, direction="in") -> str
        channel: phone | letter | walk_in | surgery | email; straight onto a case if case_ref given.
        direction "out" (a call we made): from the member of staff, to `sender_name` (the person called).

Attachments
    open_attachment(office, attachment_id, launch=True) -> OpenedAttachment
        writes a PLAINTEXT temp copy only because the user asked, and says so in `.notice`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import Attachment, Campaign, Case, CaseParty, Constituent, Message, Staff
from mpoffice_tui.files import MiB
from mpoffice_tui.importers.mail import Item, ParsedMessage, read_paths
from mpoffice_tui.importers.mail.readers import iter_files
from mpoffice_tui.services import lanes as lane_names
from mpoffice_tui.services import triage_undo
from mpoffice_tui.services.bounces import apply_bounce
from mpoffice_tui.services.campaigns import (
    CampaignIndex,
    campaign_name,
    differs_reason,
    personal_text,
    shingles,
    signature_text,
)
from mpoffice_tui.services.cases import find_case
from mpoffice_tui.services.constituent_fields import split_name
from mpoffice_tui.services.exports import save_private
from mpoffice_tui.services.lanes import LANES
from mpoffice_tui.services.matching import (
    Matcher,
    find_constituent,
    replying_parties,
    signature_candidates,
    suggest_category,
)
from mpoffice_tui.services.triage_undo import Recorder, Undone
from mpoffice_tui.text import clean

LANE_ALIASES = lane_names.ALIASES
CHANNELS = ("email", "letter", "phone", "walk_in", "surgery")
BATCH = 200
BATCH_BYTES = MiB(8)  # a batch is stored once it holds this much mail: big attachments go a few at a time

def safe_text(s: str | None) -> str:
    """Text fit for a terminal: the one cleaner (`mpoffice_tui.text.clean`); keeps \\n and \\t.

    It does not escape Rich markup: show the result as `rich.text.Text` / `markup=False`.
    """
    return clean(s)


# -- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejected:
    file: str
    position: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    imported: int
    duplicates: int
    rejected: tuple[Rejected, ...]
    auto_filed: int = 0
    suggested: int = 0
    campaign: int = 0
    campaigns_created: int = 0
    message_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates,
                "rejected": [r.__dict__ for r in self.rejected], "auto_filed": self.auto_filed,
                "suggested": self.suggested, "campaign": self.campaign,
                "campaigns_created": self.campaigns_created}


@dataclass(frozen=True)
class InboxRow:
    id: str
    received_at: str
    channel: str
    direction: str
    sender_name: str
    sender_email: str
    subject: str
    triage: str
    case_ref: str | None
    suggestion_reason: str | None
    flags: str
    attachments: int
    recipients: str = ""  # who an outgoing message (a draft reply) is to


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageDetail:
    id: str
    channel: str
    direction: str
    sender_name: str
    sender_email: str
    recipients: str
    subject: str
    body_text: str
    received_at: str
    triage: str
    flags: tuple[str, ...]
    case_id: str | None
    case_ref: str | None
    constituent_id: str | None
    campaign_id: str | None
    suggested_case_id: str | None
    suggested_case_ref: str | None
    suggested_constituent_id: str | None
    suggested_elector_key: str | None
    suggestion_reason: str | None
    message_id_header: str | None
    in_reply_to: str | None
    source: str | None
    attachments: tuple[AttachmentInfo, ...] = ()
    has_raw: bool = False


@dataclass(frozen=True)
class Filed:
    message_id: str
    case_id: str
    case_ref: str
    constituent_id: str | None
    created_case: bool = False
    replied: tuple[str, ...] = ()  # third parties whose reply this message is (their reply recorded)


@dataclass(frozen=True)
class OpenedAttachment:
    path: Path
    notice: str


# -- importing -----------------------------------------------------------------------------------
@dataclass
class _Run:
    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    auto_filed: int = 0
    suggested: int = 0
    campaign: int = 0
    campaigns_created: int = 0
    ids: list[str] = field(default_factory=list)
    index: CampaignIndex | None = None
    tag: str = ""  # names the run in its audit events
    parts: int = 0  # batches committed (each with its audit event)
    summed: bool = False  # the event summing up the whole run is written
    on_commit: Callable[[Any, list[Item]], None] | None = None


def import_paths(office: Office, paths: Iterable[str | os.PathLike],
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import every message under `paths` (files and folders)."""
    paths = list(paths)
    total = 0
    for f in iter_files(paths):
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return import_items(office, read_paths(paths), progress=progress, total=total)


BIG_IMPORT = 1000  # messages: an import this big refreshes the planner's statistics afterwards


def import_items(office: Office, items: Iterable[Item], progress: Callable[[int, int], None] | None = None,
                 total: int = 0, on_commit: Callable[[Any, list[Item]], None] | None = None) -> ImportReport:
    """Store parsed items in batches of at most BATCH messages or BATCH_BYTES of mail (so memory stays
    bounded whatever the attachments weigh); a batch that fails is retried one item per transaction.

    Each committed batch carries its own `mail.import` audit event in the same transaction, so an import
    killed part-way leaves a record of what it stored; the last one sums up the whole run. `on_commit(w,
    items)` runs inside each batch's transaction (a fetch records how far it got there).
    """
    run = _Run(tag=new_id()[-8:], on_commit=on_commit)
    done = 0
    batch: list[Item] = []
    weight = 0
    for item in items:
        done += item.size
        if item.error is not None:
            run.rejected.append(Rejected(item.file, item.position, item.error))
        else:
            if len(batch) >= BATCH or weight >= BATCH_BYTES:  # full, and more follows
                _store_batch(office, run, batch, last=False)
                batch, weight = [], 0
            batch.append(item)
            weight += item.size
        if progress:
            progress(done, max(total, done))
    if batch:
        _store_batch(office, run, batch, last=True)
    if not run.summed and (run.parts or run.rejected):  # the summing-up event had no batch to go with
        with office.writing() as w:
            w.audit("mail.import", detail=_audit_detail(run, None, last=True))
    if run.imported >= BIG_IMPORT:
        office.optimize()  # the planner's statistics, where the import changed a table's size a lot
    return ImportReport(run.imported, run.duplicates, tuple(run.rejected), run.auto_filed, run.suggested,
                        run.campaign, run.campaigns_created, tuple(run.ids))


def _audit_detail(run: _Run, counts: dict | None, *, last: bool) -> str:
    """What an import's audit event says: the totals so far, including the batch being committed."""
    imported = run.imported + (counts["imported"] if counts else 0)
    duplicates = run.duplicates + (counts["duplicates"] if counts else 0)
    if last:
        return (f"{imported} imported, {duplicates} duplicates, {len(run.rejected)} rejected"
                + (f" (import {run.tag}, in {run.parts + 1} parts)" if run.parts else ""))
    return (f"{imported} imported so far, {duplicates} duplicates, {len(run.rejected)} rejected "
            f"(import {run.tag}, part {run.parts + 1}; more follows)")


def _store_batch(office: Office, run: _Run, batch: list[Item], *, last: bool) -> None:
    try:
        with office.writing() as w:
            counts = _store(w, run, batch)
            w.audit("mail.import", detail=_audit_detail(run, counts, last=last))
            if run.on_commit:
                run.on_commit(w, batch)
        _apply(run, counts)
        run.parts += 1
        run.summed = last
    except Exception:  # noqa: BLE001 - isolate the failing item: each item is all-or-nothing
        run.index = None
        for i, item in enumerate(batch):
            try:
                with office.writing() as w:
                    counts = _store(w, run, [item])
                    w.audit("mail.import", detail=_audit_detail(run, counts, last=last and i == len(batch) - 1))
                    if run.on_commit:
                        run.on_commit(w, [item])
                _apply(run, counts)
                run.parts += 1
                run.summed = last and i == len(batch) - 1
            except Exception as exc:  # noqa: BLE001
                run.index = None
                run.rejected.append(Rejected(item.file, item.position,
                                             f"could not be stored ({type(exc).__name__}: {exc})"[:300]))


def _apply(run: _Run, counts: dict) -> None:
    run.imported += counts["imported"]
    run.duplicates += counts["duplicates"]
    run.auto_filed += counts["auto_filed"]
    run.suggested += counts["suggested"]
    run.campaign += counts["campaign"]
    run.campaigns_created += counts["campaigns_created"]
    run.ids += counts["ids"]


def _exists(conn, msg: ParsedMessage) -> bool:
    if msg.message_id:
        row = conn.exec_driver_sql("SELECT 1 FROM messages WHERE message_id_header = ? LIMIT 1",
                                   (msg.message_id,)).fetchone()
    else:
        row = conn.exec_driver_sql("SELECT 1 FROM messages WHERE content_hash = ? LIMIT 1",
                                   (msg.content_hash,)).fetchone()
    return row is not None


def _add_flag(flags: str, flag: str) -> str:
    parts = [f for f in flags.split(",") if f]
    if flag not in parts:
        parts.append(flag)
    return ",".join(parts)


def _store(w, run: _Run, batch: list[Item]) -> dict:
    """Insert one batch inside the writer's transaction; returns the counts (applied on commit)."""
    conn = w.session.connection()
    if run.index is None:
        run.index = CampaignIndex.load(conn)
    index = run.index
    fast = w.raw  # the per-message reads below: without SQLAlchemy's per-statement cost
    matcher = Matcher(fast)
    counts = {"imported": 0, "duplicates": 0, "auto_filed": 0, "suggested": 0, "campaign": 0,
              "campaigns_created": 0, "ids": []}
    rows: list[dict] = []
    pending: dict[str, dict] = {}
    seen_keys: set[str] = set()
    attachments: list[dict] = []
    now = utcnow()
    for item in batch:
        msg = item.message
        key = msg.message_id or msg.content_hash
        if key in seen_keys or _exists(fast, msg):
            counts["duplicates"] += 1
            continue
        seen_keys.add(key)
        mid = new_id()
        row = {"id": mid, "channel": "email", "direction": "in", "sender_name": msg.sender_name,
               "sender_email": msg.sender_email, "recipients": msg.recipients, "subject": msg.subject,
               "body_text": msg.body_text, "received_at": msg.date or now, "raw_hash": blobs.put(w, msg.raw),
               "message_id_header": msg.message_id, "in_reply_to": msg.in_reply_to,
               "references_header": " ".join(msg.references) or None, "content_hash": msg.content_hash,
               "triage": "new", "flags": ",".join(msg.flags),
               "source": Path(item.file).name + (f" [{item.position}]" if item.position else "")}
        if apply_bounce(w, row, msg.raw):  # a bounce of one of ours: on that message's case, done
            rows.append(row)
            counts["ids"].append(mid)
            continue
        matches = matcher.match(subject=msg.subject, body=msg.body_text, sender_email=msg.sender_email,
                                sender_name=msg.sender_name, in_reply_to=msg.in_reply_to,
                                references=msg.references)
        auto = next((m for m in matches if m.auto), None)
        if auto:
            row.update(triage="auto_filed", case_id=auto.case_id, constituent_id=auto.constituent_id,
                       suggestion_reason=auto.reason)
            counts["auto_filed"] += 1
            if msg.message_id:
                matcher.pending_threads[msg.message_id] = (auto.case_id, auto.case_ref)
        else:
            sh = shingles(msg.body_text)
            decision = index.decide(msg.sender_email, sh, msg.body_text)
            if decision.campaign_id or decision.form_with:
                cid = decision.campaign_id
                if cid is None:
                    cid = _form_campaign(w, index, decision, row, sh, pending)
                    counts["campaigns_created"] += 1
                    counts["campaign"] += _regroup(w, decision, cid, pending)
                row.update(triage="campaign", campaign_id=cid,
                           suggestion_reason="near-identical to other campaign emails")
                if decision.differs:
                    row["flags"] = _add_flag(row["flags"], "differs_from_campaign")
                    row["suggestion_reason"] = differs_reason(decision.own)
                index.add(mid, msg.sender_email, sh, cid, body=msg.body_text)
                counts["campaign"] += 1
            else:
                index.add(mid, msg.sender_email, sh, body=msg.body_text)
            hint = next((m for m in matches if not m.auto), None)
            if hint:
                row.update(suggested_case_id=hint.case_id, suggested_constituent_id=hint.constituent_id,
                           suggested_elector_key=hint.elector_key)
                if row["triage"] == "new":
                    row.update(triage="suggested", suggestion_reason=hint.reason)
                    counts["suggested"] += 1
                else:
                    row["suggestion_reason"] = (row["suggestion_reason"] or "") + f"; {hint.reason}"
        rows.append(row)
        pending[mid] = row
        for att in msg.attachments:
            attachments.append(_attachment_row(w, mid, att.filename, att.content_type, att.data))
        counts["ids"].append(mid)
    if rows:
        w.insert_many(Message, rows)
    if attachments:
        w.insert_many(Attachment, attachments)
    for row in rows:
        if row["triage"] == "auto_filed":
            _auto_filed_replies(w, row)
    counts["imported"] = len(rows)
    return counts


def _auto_filed_replies(w, row: dict) -> None:
    """An auto-filed message from a third party awaited on its case records that party's reply (undo of
    the auto-filing takes it back)."""
    ref = w.raw.exec_driver_sql("SELECT ref FROM cases WHERE id = ?", (row["case_id"],)).fetchone()
    if ref is None:
        return
    r = Recorder(w)
    replied = _record_replies(r, row["case_id"], row)
    if replied:
        r.save(row["id"], "auto_file", f"auto-filed to {ref[0]} (reply from {', '.join(replied)} recorded)", "new")


def _attachment_row(w, message_id: str | None, filename: str, content_type: str, data: bytes,
                    case_id: str | None = None) -> dict:
    """An attachment row, its bytes kept as a blob (once, however many messages carry them)."""
    return {"message_id": message_id, "case_id": case_id, "filename": filename or "attachment",
            "content_type": content_type or "application/octet-stream", "size": len(data),
            "blob_hash": blobs.put(w, data)}


def _form_campaign(w, index: CampaignIndex, decision, row: dict, sh, pending: dict[str, dict]) -> str:
    if decision.template_id:
        tpl_row = pending.get(decision.template_id)
        if tpl_row is not None:
            text = tpl_row["body_text"]
        else:
            text = w.session.connection().exec_driver_sql(
                "SELECT body_text FROM messages WHERE id = ?", (decision.template_id,)).fetchone()[0]
    else:
        text = row["body_text"]
    tsh = shingles(text)
    camp = w.insert(Campaign, name=campaign_name(row["subject"]), template_text=text,
                    signature=signature_text(text))
    index.add_campaign(camp.id, tsh)
    index.grouped(decision.form_with, camp.id)
    return camp.id


def _regroup(w, decision, cid: str, pending: dict[str, dict]) -> int:
    """Move the earlier members of a new campaign into it (only those still untriaged)."""
    moved = 0
    for mid in decision.form_with:
        own = decision.differing.get(mid, "")
        reason = differs_reason(own) if own else "near-identical to other campaign emails"
        if mid in pending:
            r = pending[mid]
            if r["triage"] in ("new", "suggested"):
                r.update(triage="campaign", campaign_id=cid, suggestion_reason=reason)
                if own:
                    r["flags"] = _add_flag(r["flags"], "differs_from_campaign")
                moved += 1
            continue
        obj = w.get(Message, mid)
        if obj is None or obj.triage not in ("new", "suggested"):
            continue
        changes = {"triage": "campaign", "campaign_id": cid, "suggestion_reason": reason}
        if own:
            changes["flags"] = _add_flag(obj.flags, "differs_from_campaign")
        w.update(obj, **changes)
        moved += 1
    return moved


# -- reading -------------------------------------------------------------------------------------
def lane_of(name: str) -> str:
    key = LANE_ALIASES.get(name.lower(), name.lower())
    if key not in LANES:
        raise OfficeError(f"unknown lane {name!r}: choose one of {', '.join(LANES)}")
    return key


def lane_counts(office: Office) -> dict[str, int]:
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT triage, count(*) FROM messages WHERE deleted = 0 "
                                    "GROUP BY triage").fetchall()
    by_state = dict(rows)
    return {lane: sum(by_state.get(s, 0) for s in states) for lane, states in LANES.items()}


_LIST_COLS = ("m.id, m.received_at, m.channel, m.direction, coalesce(m.sender_name, ''), "
              "coalesce(m.sender_email, ''), m.subject, m.triage, m.case_id, m.suggestion_reason, m.flags, "
              "coalesce(m.recipients, '')")


def list_inbox(office: Office, lane: str = "new", limit: int = 50, offset: int = 0, *,
               after: InboxRow | None = None, before: InboxRow | None = None) -> list[InboxRow]:
    """One page of a lane, newest first (index-ordered: fast at any size).

    `after`/`before` (a row already shown) page by key instead of OFFSET: the `limit` messages just after
    (or before) it, so a page deep in a lane of 250k messages costs what the first page does."""
    from mpoffice_tui.services import keyset

    states = LANES[lane_of(lane)]
    anchor = after if after is not None else before
    forward = before is None
    cond, order = ("1", "m.received_at DESC, m.id DESC")
    bound: dict = {}
    if anchor is not None:
        ((cond, order),) = keyset.segments("m.received_at", "m.id", descending=True, key=anchor.received_at,
                                           forward=forward, nullable=False)
        bound = {"k_key": anchor.received_at, "k_tie": anchor.id}
    first = "DESC" if forward else "ASC"
    parts = []
    for i, st in enumerate(states):
        parts.append(f"SELECT * FROM (SELECT {_LIST_COLS} FROM messages m INDEXED BY ix_messages_triage_received "
                     f"WHERE m.triage = :st{i} AND m.deleted = 0 AND {cond} ORDER BY {order} LIMIT :each)")
        bound[f"st{i}"] = st
    bound.update(each=limit + offset, limit=limit, offset=offset)
    sql = " UNION ALL ".join(parts) + f" ORDER BY 2 {first}, 1 {first} LIMIT :limit OFFSET :offset"
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, bound).fetchall()
        if not forward:
            rows.reverse()
        case_ids = tuple({r[8] for r in rows if r[8]})
        refs = dict(conn.exec_driver_sql(
            f"SELECT id, ref FROM cases WHERE id IN ({','.join('?' * len(case_ids))})", case_ids).fetchall()
        ) if case_ids else {}
        ids = tuple(r[0] for r in rows)
        atts = dict(conn.exec_driver_sql(
            f"SELECT message_id, count(*) FROM attachments WHERE message_id IN ({','.join('?' * len(ids))}) "
            "AND deleted = 0 GROUP BY message_id", ids).fetchall()) if ids else {}
    return [InboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], refs.get(r[8]), r[9], r[10] or "",
                     atts.get(r[0], 0), r[11]) for r in rows]


def find_message(office: Office, token: str) -> str:
    """A message id from the full id or an unambiguous prefix or suffix (at least 6 characters)."""
    token = (token or "").strip()
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT id FROM messages WHERE id = ?", (token,)).fetchone()
        if row:
            return row[0]
        if len(token) < 6:
            raise OfficeError(f"no message {token!r} (give at least 6 characters of its id)")
        rows = conn.exec_driver_sql("SELECT id FROM messages WHERE id LIKE ? OR id LIKE ? LIMIT 2",
                                    (token + "%", "%" + token)).fetchall()
    if not rows:
        raise OfficeError(f"no message {token!r}")
    if len(rows) > 1:
        raise OfficeError(f"{token!r} matches more than one message: give more of its id")
    return rows[0][0]


def _ref_of(conn, case_id: str | None) -> str | None:
    if not case_id:
        return None
    row = conn.exec_driver_sql("SELECT ref FROM cases WHERE id = ?", (case_id,)).fetchone()
    return row[0] if row else None


def get_message(office: Office, msg_id: str) -> MessageDetail:
    with office.engine.connect() as conn:
        r = conn.exec_driver_sql(
            "SELECT id, channel, direction, coalesce(sender_name,''), coalesce(sender_email,''), "
            "coalesce(recipients,''), subject, body_text, received_at, triage, flags, case_id, constituent_id, "
            "campaign_id, suggested_case_id, suggested_constituent_id, suggested_elector_key, "
            "suggestion_reason, message_id_header, in_reply_to, source, raw_hash IS NOT NULL "
            "FROM messages WHERE id = ?", (msg_id,)).fetchone()
        if r is None:
            raise OfficeError(f"no message {msg_id!r}")
        atts = conn.exec_driver_sql("SELECT id, filename, content_type, size FROM attachments "
                                    "WHERE message_id = ? AND deleted = 0 ORDER BY created_at, id", (msg_id,)).fetchall()
        return MessageDetail(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
            tuple(f for f in (r[10] or "").split(",") if f), r[11], _ref_of(conn, r[11]), r[12], r[13], r[14],
            _ref_of(conn, r[14]), r[15], r[16], r[17], r[18], r[19], r[20],
            tuple(AttachmentInfo(*a) for a in atts), bool(r[21]))


def raw_message(office: Office, msg_id: str) -> bytes | None:
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT raw_hash FROM messages WHERE id = ?", (msg_id,)).fetchone()
        return blobs.read(conn, row[0]) if row else None


# -- triage --------------------------------------------------------------------------------------
def _message(w, msg_id: str) -> Message:
    obj = w.get(Message, msg_id)
    if obj is None or obj.deleted:
        raise OfficeError(f"no message {msg_id!r}")
    return obj


def _incoming(w, msg_id: str) -> Message:
    """A message that can be triaged (not a drafted reply)."""
    msg = _message(w, msg_id)
    if msg.triage in ("outbox", "sent"):
        raise OfficeError("this is a reply drafted by the office, not mail to triage")
    return msg


def _record_replies(r: Recorder, case_id: str, msg: dict) -> tuple[str, ...]:
    """The third parties on the case this message (its fields, by name) is the reply from: their reply is
    recorded (dated the day the message arrived), so they are no longer chased. Returns their names."""
    from mpoffice_tui.services.cases import party_replied

    found = replying_parties(r.raw, case_id, sender_email=msg["sender_email"],
                             sender_name=msg["sender_name"], subject=msg["subject"], body=msg["body_text"])
    for p in found:
        party_replied(r, r.get(CaseParty, p.party_id), (msg["received_at"] or utcnow())[:10],
                      via=f"message {msg['id']}: {p.reason}")
    return tuple(p.organisation for p in found)


def _fields(msg: Message) -> dict:
    return {k: getattr(msg, k) for k in ("id", "sender_email", "sender_name", "subject", "body_text", "received_at")}


def file_to_case(office: Office, msg_id: str, case_ref_or_id: str) -> Filed:
    """Put a message on a case (it leaves the inbox: triage `done`); a third party's reply is recorded."""
    with office.writing() as w:
        return _file_to_case(w, msg_id, case_ref_or_id)


def _file_to_case(w: Any, msg_id: str, case_ref_or_id: str) -> Filed:
    r = Recorder(w)
    msg = _incoming(w, msg_id)
    case = find_case(w, case_ref_or_id)
    lane = msg.triage
    r.update(msg, case_id=case.id, constituent_id=msg.constituent_id or case.constituent_id, triage="done")
    replied = _record_replies(r, case.id, _fields(msg))
    w.audit("message.file", target=f"message:{msg.id}", detail=f"filed to case {case.ref}")
    r.save(msg.id, "file", f"filed to {case.ref}", lane)
    return Filed(msg.id, case.id, case.ref, msg.constituent_id, replied=replied)


# -- the person and category of a new case --------------------------------------------------------------
@dataclass(frozen=True)
class CaseDraft:
    """What a new case from a message starts with: its title, a category suggested from the text, and
    its person: a known constituent (`known_id`, with `known` saying who and why), else the sender's
    details from the message and its signature, to check."""

    message_id: str
    title: str
    category: str | None
    known_id: str | None = None
    known: str | None = None
    elector_key: str | None = None
    forenames: str = ""
    surname: str = ""
    email: str = ""
    postcode: str = ""


def _known_person(conn, msg: Message) -> tuple[str | None, str | None]:
    """(constituent id, who and why) of the person a message is from when the office knows them."""
    for cid, why in ((msg.constituent_id, "linked to this message"),
                     (msg.suggested_constituent_id, msg.suggestion_reason or "suggested")):
        if cid:
            row = conn.exec_driver_sql("SELECT forenames, surname FROM constituents WHERE id = ? AND deleted = 0 "
                                       "AND merged_into IS NULL", (cid,)).fetchone()
            if row:
                return cid, f"{row[0]} {row[1]}".strip() + f" ({why})"
    names, postcodes = signature_candidates(msg.body_text, msg.sender_name or "")
    found = find_constituent(conn, email=msg.sender_email, names=names, postcodes=postcodes)
    if found:
        return found.constituent_id, f"{found.name} (a known constituent: {found.reason})"
    if msg.suggested_elector_key:
        row = conn.exec_driver_sql("SELECT id, forenames, surname FROM constituents WHERE elector_key = ? "
                                   "AND deleted = 0 AND merged_into IS NULL LIMIT 1",
                                   (msg.suggested_elector_key,)).fetchone()
        if row:
            return row[0], f"{row[1]} {row[2]}".strip() + " (a known constituent: the elector in the signature)"
    return None, None


def case_draft(office: Office, msg_id: str) -> CaseDraft:
    """The new-case form's starting values for a message (reads only)."""
    with office.read() as s:
        msg = s.get(Message, msg_id)
        if msg is None or msg.deleted:
            raise OfficeError(f"no message {msg_id!r}")
        conn = s.connection()
        title = (msg.subject or "(no subject)").strip()[:200]
        category = suggest_category(conn, msg.subject, msg.body_text)
        known_id, known = _known_person(conn, msg)
        if known_id:
            return CaseDraft(msg.id, title, category, known_id, known)
        if msg.suggested_elector_key:
            return CaseDraft(msg.id, title, category, None,
                             f"the elector named in the signature ({msg.suggestion_reason or 'on the register'})",
                             msg.suggested_elector_key)
        fore, sur = split_name(msg.sender_name or "")
        names, postcodes = signature_candidates(msg.body_text, msg.sender_name or "")
        if not (fore or sur) and names:
            fore, sur = split_name(names[0].title())
        return CaseDraft(msg.id, title, category, forenames=fore, surname=sur, email=msg.sender_email or "",
                         postcode=postcodes[0] if postcodes else "")


def _constituent_from_elector(r: Recorder, key: str) -> str | None:
    row = r.session.connection().exec_driver_sql(
        "SELECT title, forename, surname, address, postcode, elector_key FROM electors WHERE elector_key = ? "
        "ORDER BY rowid DESC LIMIT 1", (key,)).fetchone()
    if row is None:
        return None
    lines = [x.strip() for x in (row[3] or "").split(",") if x.strip()]
    c = r.insert(Constituent, title=row[0], forenames=row[1] or "", surname=row[2] or "",
                 address1=lines[0] if lines else None, address2=lines[1] if len(lines) > 1 else None,
                 town=lines[-1] if len(lines) > 2 else None, postcode=row[4] or None, elector_key=row[5])
    return c.id


def _constituent_for(r: Recorder, msg: Message) -> str | None:
    """The person a new case from this message is for: known (linked, suggested, same email, same name
    and postcode, the elector already on file), else made from the elector in the signature, else from
    the sender."""
    known_id, _ = _known_person(r.session.connection(), msg)
    if known_id:
        return known_id
    if msg.suggested_elector_key:
        cid = _constituent_from_elector(r, msg.suggested_elector_key)
        if cid:
            if msg.sender_email:
                r.update(r.get(Constituent, cid), email=msg.sender_email)
            return cid
    if not (msg.sender_name or msg.sender_email):
        return None
    fore, sur = split_name(msg.sender_name or "")
    _, postcodes = signature_candidates(msg.body_text, msg.sender_name or "")
    c = r.insert(Constituent, forenames=fore, surname=sur or (msg.sender_email or ""), email=msg.sender_email,
                 postcode=postcodes[0] if postcodes else None)
    return c.id


def _person_from_form(r: Recorder, person: dict[str, str]) -> str:
    """The constituent for the person as typed in the form: an existing one with that email, or that name
    at that postcode, else a new record."""
    from mpoffice_tui.services.constituents import format_postcode

    p = {k: " ".join((person.get(k) or "").split()) for k in ("forenames", "surname", "email", "postcode")}
    if not (p["forenames"] or p["surname"] or p["email"]):
        raise OfficeError("give the constituent a name or an email")
    found = find_constituent(r.session.connection(), email=p["email"],
                             names=[f"{p['forenames']} {p['surname']}"], postcodes=[p["postcode"]])
    if found:
        return found.constituent_id
    c = r.insert(Constituent, forenames=p["forenames"], surname=p["surname"] or p["email"],
                 email=p["email"] or None, postcode=format_postcode(p["postcode"]) if p["postcode"] else None)
    r.audit("constituent.create", target=f"constituent:{c.id}")
    return c.id


def new_case(office: Office, msg_id: str, title: str | None = None, category: str | None = None,
             constituent_id: str | None = None, person: dict[str, str] | None = None) -> Filed:
    """Open a new case from a message, in one transaction. Its person: `constituent_id`, else `person` (the
    form's fields: an existing constituent with that email or name and postcode, else a new one), else the
    sender as the office knows them (see `_constituent_for`). Its category: as given, else suggested from
    the text, else General; always in the office's own spelling."""
    with office.writing() as w:
        return _new_case(w, office, msg_id, title, category, constituent_id, person)


def _new_case(w: Any, office: Office, msg_id: str, title: str | None, category: str | None,
              constituent_id: str | None, person: dict[str, str] | None) -> Filed:
    from mpoffice_tui.services.cases import known_category, open_case

    r = Recorder(w)
    msg = _incoming(w, msg_id)
    if msg.case_id and msg.triage != "auto_filed":  # (an auto-filing may be put right this way)
        filed = w.get(Case, msg.case_id)
        raise OfficeError(f"this message is already filed to {filed.ref if filed else 'a case'}: "
                          "file it to another case instead (f, or --case REF)")
    lane = msg.triage
    conn = w.session.connection()
    if constituent_id:
        known = w.get(Constituent, constituent_id)
        if known is None or known.deleted:
            raise OfficeError(f"no constituent {constituent_id!r}")
        cid = known.id
    elif person:
        cid = _person_from_form(r, person)
    else:
        cid = _constituent_for(r, msg)
    category = known_category(conn, category or suggest_category(conn, msg.subject, msg.body_text))
    case = open_case(r, office, constituent_id=cid, category=category, assignee=office.staff_id,
                     title=(title or msg.subject or "(no subject)").strip()[:200])
    ref = case.ref
    r.update(msg, case_id=case.id, constituent_id=cid, triage="done")
    r.save(msg.id, "new_case", f"new case {ref}", lane)
    return Filed(msg.id, case.id, ref, cid, created_case=True)


def accept_suggestion(office: Office, msg_id: str) -> Filed:
    """The one-key triage: confirm an auto-filing, else the suggested case, else a new case for the
    suggested person; decided and done in one transaction (what it acts on cannot change in between)."""
    with office.writing() as w:
        msg = w.get(Message, msg_id)
        if msg is None or msg.deleted:
            raise OfficeError(f"no message {msg_id!r}")
        if msg.triage == "auto_filed" and msg.case_id:
            r = Recorder(w)
            case = w.get(Case, msg.case_id)
            r.update(msg, triage="done")
            w.audit("message.file", target=f"message:{msg.id}", detail=f"auto-filing to {case.ref} confirmed")
            r.save(msg.id, "confirm", f"auto-filing to {case.ref} confirmed", "auto_filed")
            return Filed(msg.id, msg.case_id, case.ref if case else "", msg.constituent_id)
        if msg.suggested_case_id:
            return _file_to_case(w, msg_id, msg.suggested_case_id)
        if msg.suggested_constituent_id or msg.suggested_elector_key:
            return _new_case(w, office, msg_id, None, None, None, None)
    raise OfficeError("this message has no suggestion to accept: file it to a case or open a new case")


def link_constituent(office: Office, msg_id: str, constituent_id: str) -> None:
    with office.writing() as w:
        r = Recorder(w)
        msg = _incoming(w, msg_id)
        c = w.get(Constituent, constituent_id)
        if c is None or c.deleted:
            raise OfficeError(f"no constituent {constituent_id!r}")
        r.update(msg, constituent_id=c.id)
        w.audit("message.link", target=f"message:{msg.id}", detail=f"linked to constituent {c.id}")
        r.save(msg.id, "link", "linked to a constituent", msg.triage)


def ignore(office: Office, msg_id: str) -> None:
    """Move a message to Done/Ignored (undo puts it back where it was)."""
    with office.writing() as w:
        r = Recorder(w)
        msg = _incoming(w, msg_id)
        lane = msg.triage
        r.update(msg, triage="ignored")
        w.audit("message.ignore", target=f"message:{msg.id}")
        r.save(msg.id, "ignore", "ignored", lane)


def undo(office: Office, msg_id: str) -> Undone:
    """Undo the message's last triage exactly (see services.triage_undo); says what it undid."""
    return triage_undo.undo(office, msg_id)


def undo_auto_filing(office: Office, msg_id: str) -> Undone:
    """Take an auto-filed message off its case (to Suggested, the case suggested); any reply it recorded
    is taken back too."""
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT triage, case_id FROM messages WHERE id = ?", (msg_id,)).fetchone()
    if row is None or row[0] != "auto_filed" or not row[1]:
        raise OfficeError("this message was not filed automatically")
    return triage_undo.undo(office, msg_id)


def mark_campaign(office: Office, msg_id: str, campaign_id: str | None = None) -> str:
    """Put a message in a campaign (a new one, with this message as its template, if none is given); one
    that adds a personal paragraph of its own to the campaign's text is flagged."""
    with office.writing() as w:
        r = Recorder(w)
        msg = _incoming(w, msg_id)
        lane = msg.triage
        flags = msg.flags or ""
        if campaign_id is None:
            camp = r.insert(Campaign, name=campaign_name(msg.subject), template_text=msg.body_text,
                            signature=signature_text(msg.body_text))
            campaign_id = camp.id
        else:
            camp = w.get(Campaign, campaign_id)
            if camp is None or camp.deleted:
                raise OfficeError(f"no campaign {campaign_id!r}")
            if personal_text(msg.body_text, shingles(camp.template_text)):
                flags = _add_flag(flags, "differs_from_campaign")
        r.update(msg, campaign_id=campaign_id, triage="campaign", flags=flags)
        w.audit("message.campaign", target=f"message:{msg.id}", detail=f"campaign {campaign_id}")
        r.save(msg.id, "campaign", "put in a campaign", lane)
        return campaign_id


# -- manual capture --------------------------------------------------------------------------------
def capture(office: Office, channel: str, *, sender_name: str, body: str, subject: str = "",
            sender_email: str | None = None, case_ref: str | None = None, constituent_id: str | None = None,
            attachment_path: str | os.PathLike | None = None, received_at: str | None = None,
            direction: str = "in") -> str:
    """Log a phone call, letter (with a scanned file), walk-in or surgery visit; returns the message id.
    `direction` "out" is a call the office made: from the member of staff, to `sender_name`."""
    if channel not in CHANNELS:
        raise OfficeError(f"unknown channel {channel!r}: choose one of {', '.join(CHANNELS)}")
    if direction not in ("in", "out"):
        raise OfficeError("a contact's direction is 'in' or 'out'")
    data = None
    if attachment_path is not None:
        from mpoffice_tui.services.cases import read_attachment

        p = Path(attachment_path)
        data = read_attachment(p)
    import hashlib

    with office.writing() as w:
        case = find_case(w, case_ref) if case_ref else None
        cid = constituent_id or (case.constituent_id if case else None)
        now = utcnow()
        text = body or ""
        other, recipients = sender_name, None
        if direction == "out":  # we called them: from the member of staff, to the person called
            me = w.get(Staff, office.staff_id) if office.staff_id else None
            sender_name, recipients = (me.name if me else ""), " ".join(x for x in (other, sender_email) if x)
            sender_email = None
        row = {"channel": channel, "direction": direction, "sender_name": sender_name, "sender_email": sender_email,
               "recipients": recipients or None,
               "subject": subject or (f"{channel.replace('_', '-')} to {other}" if direction == "out"
                                      else f"{channel.replace('_', '-')} from {sender_name}").strip(),
               "body_text": text, "received_at": received_at or now,
               "content_hash": hashlib.sha256(f"{channel}|{sender_name}|{now}|{text}".encode()).hexdigest(),
               "triage": "done" if case else "new", "case_id": case.id if case else None,
               "constituent_id": cid, "author_id": office.staff_id, "source": "manual capture"}
        [mid] = w.insert_many(Message, [row])
        if data is not None:
            w.insert_many(Attachment, [_attachment_row(w, mid, Path(attachment_path).name,
                                                       _guess_type(Path(attachment_path).name), data,
                                                       case_id=case.id if case else None)])
        w.audit("message.capture", target=f"message:{mid}", detail=f"{channel} logged")
        return mid


def _guess_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# -- attachments -----------------------------------------------------------------------------------
def open_attachment(office: Office, attachment_id: str, launch: bool = True) -> OpenedAttachment:
    """Open in the default app: this writes a plaintext temp copy, only because the user asked."""
    from mpoffice_tui.services.cases import attachment_data, disk_name

    name, data = attachment_data(office, attachment_id)
    folder = Path(tempfile.mkdtemp(prefix="mpoffice-open-"))
    path = folder / disk_name(name)
    save_private(data, path, "copy")  # owner-only from the first byte
    with office.writing() as w:
        w.audit("attachment.open", target=f"attachment:{attachment_id}", detail="opened via a temp file")
    if launch:
        _launch(path)
    return OpenedAttachment(path, f"A plaintext copy was written to {path} to open it; delete it when done.")


def _launch(path: Path) -> None:
    import subprocess

    if sys.platform.startswith("win"):
        os.startfile(str(path))  # type: ignore[attr-defined]
    elif sys.platform == "darwin":
        subprocess.Popen(["open", str(path)])
    else:
        subprocess.Popen(["xdg-open", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
