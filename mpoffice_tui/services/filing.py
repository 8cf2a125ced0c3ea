"""Filing a message to a case: finding the case from what was typed, and whether to ask first.

    find_cases_to_file(office, text, limit=12) -> [cases.CaseRow]
        by reference (or any part of one), else words of the title or the constituent's name
    check_filing(office, msg_id, case_ref_or_id) -> FilingCheck
        `.warning` when the case's constituent is not the sender (the caller asks before filing)

Both only read; the filing itself is `services.inbox.file_to_case` (one transaction, undoable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, Message
from mpoffice_tui.services.cases import CaseFilter, CaseRow, case_row, find_case_id, list_cases
from mpoffice_tui.services.constituent_fields import display_name
from mpoffice_tui.services.matching import norm_name, replying_parties, same_person


def find_cases_to_file(office: Office, text: str, limit: int = 12) -> list[CaseRow]:
    """Cases a message could be filed to, from what was typed: a reference or any part of one ("153",
    "a-0015"), else words of the title or the constituent's name (every word must match). The exact
    reference first, then open cases before closed ones, newest first."""
    text = " ".join((text or "").split())
    if not text:
        return []
    found: dict[str, CaseRow] = {}
    ref = re.fullmatch(r"([A-Z]{1,2})?-?(\d+)", re.sub(r"\s+", "", text).upper())
    if ref:  # "A-00153", "a-153", "0015", "153": the site's letters, and digits anywhere in the number
        prefix, digits = ref.group(1), ref.group(2)
        with office.engine.connect() as conn:
            ids = [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM cases WHERE deleted = 0 AND ref LIKE ? AND substr(ref, instr(ref, '-') + 1) LIKE ? "
                "ORDER BY CAST(substr(ref, instr(ref, '-') + 1) AS INTEGER) = ? DESC, status = 'closed', "
                "opened_at DESC, id LIMIT ?",
                (f"{prefix}-%" if prefix else "%", f"%{digits}%", int(digits), int(limit))).fetchall()]
        for case_id in ids:
            found[case_id] = case_row(office, case_id)
    if len(found) < limit:
        page = list_cases(office, CaseFilter(text=text), limit=limit * 2, with_total=False)
        for row in sorted(page.rows, key=lambda r: r.status == "closed"):
            found.setdefault(row.id, row)
    return list(found.values())[:limit]


@dataclass(frozen=True)
class FilingCheck:
    """What filing a message to a case would do, to ask before a surprising one (`warning` is set)."""

    case_id: str
    case_ref: str
    case_title: str
    constituent: str | None  # the case's constituent, by name
    sender: str
    warning: str | None = None


def _sender_text(name: str | None, email: str | None) -> str:
    name = (name or "").strip()
    return f"{name} <{email}>" if name and email else name or email or "an unknown sender"


def check_filing(office: Office, msg_id: str, case_ref_or_id: str) -> FilingCheck:
    """Before filing: the case, and a warning when the case's constituent is not the message's sender
    (nor someone on the case for them, nor a third party awaited on it)."""
    case_id = find_case_id(office, case_ref_or_id)
    with office.read() as s:
        msg = s.get(Message, msg_id)
        if msg is None or msg.deleted:
            raise OfficeError(f"no message {msg_id!r}")
        case = s.get(Case, case_id)
        person = s.get(Constituent, case.constituent_id) if case.constituent_id else None
        sender = _sender_text(msg.sender_name, msg.sender_email)
        if person is None or person.deleted:
            return FilingCheck(case.id, case.ref, case.title, None, sender)
        who = display_name(person.forenames, person.surname, person.preferred_name) or "a constituent"
        if _is_the_sender(s, msg, case, person):
            return FilingCheck(case.id, case.ref, case.title, who, sender)
        warning = (f"{case.ref} ({case.title}) is {who}'s case, but this message is from {sender}. "
                   "File it there anyway?")
        return FilingCheck(case.id, case.ref, case.title, who, sender, warning)


def _is_the_sender(s, msg: Message, case: Case, person: Constituent) -> bool:
    """Is the message from the case's constituent, someone on the case (acting for them, a relative), or
    a third party on it?"""
    if msg.constituent_id and msg.constituent_id in (case.constituent_id, case.raised_by_id):
        return True
    conn = s.connection()
    sender = (msg.sender_email or "").strip().lower()
    people = [person.id] + [r[0] for r in conn.exec_driver_sql(
        "SELECT constituent_id FROM case_parties WHERE case_id = ? AND constituent_id IS NOT NULL "
        "AND deleted = 0", (case.id,)).fetchall()] + ([case.raised_by_id] if case.raised_by_id else [])
    folded = norm_name(msg.sender_name or "")
    for pid in people:
        p = s.get(Constituent, pid)
        if p is None:
            continue
        if sender and (p.email or "").strip().lower() == sender:
            return True
        if folded and same_person(folded, p.forenames, p.surname):
            return True
    if replying_parties(conn, case.id, sender_email=msg.sender_email, sender_name=msg.sender_name,
                        subject=msg.subject, body=msg.body_text):
        return True
    domains = {(r[0] or "").rpartition("@")[2].lower() for r in conn.exec_driver_sql(
        "SELECT k.email FROM case_parties cp JOIN contacts k ON k.id = cp.contact_id WHERE cp.case_id = ? "
        "AND cp.deleted = 0", (case.id,)).fetchall()} - {""}
    return bool(sender) and sender.rpartition("@")[2] in domains
