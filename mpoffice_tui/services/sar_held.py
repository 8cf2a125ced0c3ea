"""What the office holds about one person, gathered for their subject access pack (issue 17).

`gather(conn, pid)` reads the person's record, consents, cases (their own, raised by them, or naming them
as a party) with their messages, notes, letters and tasks, their messages not on a case, attachments and
earlier requests, and shapes them as a person would read them: in time order, in words, with no internal
identifiers, flags or raw database fields. Every piece of free text is a `Passage` that remembers where
it came from (table, row, field), so that `sar_redaction` can propose what to withhold and the reviewer's
decisions hold for that exact passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mpoffice_tui.db import blobs
from mpoffice_tui.services.cases import STATUS_LABELS
from mpoffice_tui.services.constituent_fields import ADDRESS, address_lines, display_name
from mpoffice_tui.services.letters import long_date
from mpoffice_tui.services.sar import fold

CHANNELS = {"email": "Email", "letter": "Letter", "phone": "Phone call", "walk_in": "Visit to the office",
            "surgery": "Surgery appointment"}
CONSENT_KINDS = {"implied": "You asked us to act for you", "written": "You gave written consent for us to act",
                 "third_party_permission": "Written permission for someone to act on your behalf"}


@dataclass(frozen=True)
class Passage:
    """A piece of free text and where it is held; `person` when the whole text names someone (a sender)."""

    table: str
    row_id: str
    field: str
    text: str
    person: bool = False

    @property
    def source(self) -> tuple[str, str, str]:
        return (self.table, self.row_id, self.field)


@dataclass
class Entry:
    """One thing on a case (or not on one): an email, a call, a note, a letter, a task."""

    at: str  # ISO date or time
    kind: str  # "Email from you", "Note by Priya Shah", ...
    lines: list[tuple[str, Passage | str]] = field(default_factory=list)  # ("From", ...), ("Subject", ...)
    body: Passage | None = None


@dataclass
class CaseHeld:
    id: str  # internal: never shown
    ref: str
    title: Passage
    category: str
    status: str
    opened: str
    closed: str | None
    handled_by: str | None
    your_part: str  # "your case", "raised by you for someone else", "you are named on it"
    organisations: list[str]
    entries: list[Entry]


@dataclass
class FileHeld:
    id: str  # internal
    name: Passage
    content_type: str
    data: bytes
    text: Passage | None  # a text file's content (so it can be redacted)
    case_ref: str | None


@dataclass
class Held:
    subject_id: str
    name: str
    record: list[tuple[str, str]]  # ("Name", "Marjorie Quill"), ("Address", ...)
    address: list[str]
    email: str | None
    consents: list[str]
    cases: list[CaseHeld]
    other: list[Entry]  # messages not on a case
    files: list[FileHeld]
    requests: list[str]
    sources: list[str]  # where the data came from
    recipients: list[str]  # organisations it was shared with
    categories: list[tuple[str, str | None]]  # (category, outcome) of the cases, for the retention rules
    checklist: list[str]  # for the reviewer only: what needs a decision before release
    ids: dict[str, list[str]]  # internal: messages, notes, letters, tasks, attachments included
    people: dict[str, Any] = field(default_factory=dict)  # for sar_redaction: who is who on these cases


def _rows(conn, sql: str, params: tuple = ()) -> list[dict]:
    res = conn.exec_driver_sql(sql, params)
    cols = [c[0] for c in res.cursor.description]
    return [dict(zip(cols, r, strict=True)) for r in res]


def _marks(ids: list[str]) -> str:
    return ",".join("?" * len(ids)) or "NULL"


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10]


def _long(d: str | None) -> str:
    """'5 March 2026' for a date held as text (the text itself when it is not a date)."""
    try:
        return long_date(d) or ""
    except ValueError:
        return d or ""


def _name(row: dict) -> str:
    return display_name(row.get("forenames"), row.get("surname"), row.get("preferred_name"), row.get("title"))


def gather(conn, pid: str, *, include_confidential: bool = False) -> Held:
    """Everything held about the person `pid` (see the module)."""
    staff = {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql("SELECT id, name, role FROM staff")}
    me = _rows(conn, "SELECT * FROM constituents WHERE id = ?", (pid,))[0]
    checklist: list[str] = []
    record = [("Name", " ".join(x for x in (me["title"], me["forenames"], me["surname"]) if x))]
    if me["preferred_name"]:
        record.append(("Known as", me["preferred_name"]))
    address = address_lines(*(me[k] for k in ADDRESS))
    if address:
        record.append(("Address", ", ".join(address)))
    for label, key in (("Email", "email"), ("Phone", "phone"), ("Date of birth", "date_of_birth"),
                       ("Interpreter needed", "interpreter_language"), ("Accessibility needs", "accessibility")):
        if me[key]:
            record.append((label, _long(me[key]) if key == "date_of_birth" else str(me[key])))
    if me["vulnerable"]:
        record.append(("Support", "We note that you may need extra support when we deal with you"))
    if me["elector_key"]:
        record.append(("Electoral register", "Your record is matched to your entry on the electoral register"))
    if me["safety_caution"] or me["safety_details"]:
        checklist.append("SAFETY NOTE: the person's record carries a safety caution for staff. It is NOT in the "
                         "pack. Decide whether an exemption applies (serious harm); release it by hand if not.")
    consents = [f"{_long(_day(c['given_on'] or c['created_at']))}: {CONSENT_KINDS.get(c['kind'], c['kind'])}"
                + (f" (given by {c['given_by']})" if c["given_by"] and c["kind"] != "implied" else "")
                for c in _rows(conn, "SELECT * FROM consents WHERE constituent_id = ? AND deleted = 0 "
                                     "ORDER BY given_on, created_at", (pid,))]
    case_rows = _rows(conn, "SELECT * FROM cases WHERE deleted = 0 AND (constituent_id = ? OR raised_by_id = ? OR id IN "
                      "(SELECT case_id FROM case_parties WHERE constituent_id = ? AND deleted = 0)) "
                      "ORDER BY opened_at, ref", (pid, pid, pid))
    case_ids = [c["id"] for c in case_rows]
    marks = _marks(case_ids)
    parties = _rows(conn, f"SELECT * FROM case_parties WHERE deleted = 0 AND case_id IN ({marks}) "
                    "ORDER BY created_at", tuple(case_ids))
    contact_ids = sorted({p["contact_id"] for p in parties if p["contact_id"]})
    contacts = {k["id"]: k for k in _rows(conn, f"SELECT * FROM contacts WHERE id IN ({_marks(contact_ids)})",
                                          tuple(contact_ids))}
    messages = _rows(conn, f"SELECT * FROM messages WHERE deleted = 0 AND (case_id IN ({marks}) OR constituent_id = ?) "
                     "ORDER BY received_at, id", (*case_ids, pid))
    mids = [m["id"] for m in messages]
    notes = _rows(conn, f"SELECT * FROM notes WHERE deleted = 0 AND case_id IN ({marks}) ORDER BY created_at, id",
                  tuple(case_ids))
    letters = _rows(conn, f"SELECT * FROM letters WHERE deleted = 0 AND case_id IN ({marks}) ORDER BY created_at, id",
                    tuple(case_ids))
    tasks = _rows(conn, f"SELECT * FROM tasks WHERE deleted = 0 AND case_id IN ({marks}) ORDER BY created_at, id",
                  tuple(case_ids))
    atts = _rows(conn, f"SELECT * FROM attachments WHERE deleted = 0 AND (case_id IN ({marks}) OR message_id IN "
                 f"({_marks(mids)})) ORDER BY created_at, id", (*case_ids, *mids))
    others = sorted({c[k] for c in case_rows for k in ("constituent_id", "raised_by_id") if c[k] and c[k] != pid}
                    | {p["constituent_id"] for p in parties if p["constituent_id"] and p["constituent_id"] != pid})
    people = {"others": _rows(conn, f"SELECT * FROM constituents WHERE id IN ({_marks(others)})", tuple(others)),
              "contacts": list(contacts.values()), "staff": [v[0] for v in staff.values()], "subject": me,
              "senders": []}

    own_email = fold(me["email"])
    org_emails = {fold(k["email"]) for k in contacts.values() if k["email"] and not k["name"]}
    staff_names = {fold(v[0]) for v in staff.values()}
    by_case: dict[str, list[Entry]] = {cid: [] for cid in case_ids}
    other: list[Entry] = []
    sources: list[str] = []
    third_party_sources = False
    raw_held = 0
    own_channels: list[str] = []
    for m in messages:
        channel = CHANNELS.get(m["channel"], m["channel"].replace("_", " ").capitalize())
        sender_is_me = m["direction"] == "in" and (fold(m["sender_email"]) == own_email and own_email
                                                  or m["constituent_id"] == pid and not m["sender_email"]
                                                  and m["channel"] != "email")
        author = staff.get(m["author_id"])
        e = Entry(m["received_at"], "")
        if m["direction"] == "out":
            e.kind = f"{channel} from the office" + (f" ({author[0]})" if author else "")
            if m["recipients"]:
                e.lines.append(("To", Passage("messages", m["id"], "recipients", m["recipients"])))
        elif sender_is_me:
            e.kind = f"{channel} from you"
        else:
            e.kind = f"{channel} to the office"
            if m["sender_name"] or m["sender_email"]:
                org = fold(m["sender_email"]) in org_emails
                person = not org and fold(m["sender_name"]) not in staff_names
                if person and m["channel"] in ("email", "letter"):
                    third_party_sources = True
                    people["senders"].append((m["sender_name"], m["sender_email"]))
                who = " ".join(x for x in (m["sender_name"], f"<{m['sender_email']}>" if m["sender_email"] else "") if x)
                e.lines.append(("From", Passage("messages", m["id"], "sender", who, person=person)))
        if m["subject"]:
            e.lines.append(("Subject", Passage("messages", m["id"], "subject", m["subject"])))
        e.body = Passage("messages", m["id"], "body_text", m["body_text"] or "")
        if m["raw_hash"]:
            raw_held += 1
        by_case.get(m["case_id"], other).append(e)
        if m["direction"] == "in" and sender_is_me:
            own_channels.append(channel.lower())
    if raw_held:
        checklist.append(f"{raw_held} original email source(s) held: only their text is in the pack (their headers "
                         "may name other people); send the originals only after checking them.")
    if own_channels:
        sources.append("you (" + ", ".join(dict.fromkeys(own_channels)) + ")")
    withheld = 0
    for n in notes:
        who = staff.get(n["author_id"])
        kind = {"call": "Record of a phone call", "status": "Change of status", "system": "Update"}.get(n["kind"], "Note")
        e = Entry(n["created_at"], kind + (f" by {who[0]}" if who else ""))
        if n["confidential"] and not include_confidential:
            withheld += 1
            checklist.append(f"CONFIDENTIAL NOTE of {_day(n['created_at'])} withheld pending review (not in the pack): "
                             "release it unless an exemption applies (e.g. it would reveal another person, or "
                             "serious harm).")
            continue
        e.body = Passage("notes", n["id"], "body", n["body"])
        by_case[n["case_id"]].append(e)
    for lt in letters:
        e = Entry(lt["sent_on"] or lt["created_at"], "Letter from the office" + (" (sent)" if lt["sent_on"] else ""))
        if lt["recipient_name"]:
            e.lines.append(("To", Passage("letters", lt["id"], "recipient_name", lt["recipient_name"])))
        if lt["subject"]:
            e.lines.append(("Subject", Passage("letters", lt["id"], "subject", lt["subject"])))
        e.body = Passage("letters", lt["id"], "body_text", lt["body_text"])
        by_case[lt["case_id"]].append(e)
    for t in tasks:
        e = Entry(t["created_at"], "Action planned" + (" (done)" if t["done"] else ""))
        e.lines.append(("Action", Passage("tasks", t["id"], "title", t["title"])))
        if t["due_date"]:
            e.lines.append(("Due", _long(t["due_date"])))
        by_case[t["case_id"]].append(e)
    files = []
    case_ref = {c["id"]: c["ref"] for c in case_rows}
    msg_case = {m["id"]: m["case_id"] for m in messages}
    for a in atts:
        data = blobs.read(conn, a["blob_hash"]) or b""
        is_text = (a["content_type"] or "").startswith("text/")
        text = Passage("attachments", a["id"], "content", data.decode("utf-8", "replace")) if is_text else None
        if not is_text:
            checklist.append(f"FILE {a['filename']!r}: check it for other people's details before release (a "
                             "file that is not text cannot be redacted automatically).")
        files.append(FileHeld(a["id"], Passage("attachments", a["id"], "filename", a["filename"] or "file"),
                              a["content_type"] or "application/octet-stream", data, text,
                              case_ref.get(a["case_id"] or msg_case.get(a["message_id"]))))
    organisations: dict[str, list[str]] = {cid: [] for cid in case_ids}
    for p in parties:
        k = contacts.get(p["contact_id"])
        if k is not None:
            org = ", ".join(x for x in (k["department"], k["organisation"]) if x)
            if org not in organisations[p["case_id"]]:
                organisations[p["case_id"]].append(org)
    for lt in letters:  # a letter to a contact not (or no longer) a party
        k = contacts.get(lt["recipient_contact_id"]) if lt["recipient_contact_id"] in contacts else None
        if k is not None:
            org = ", ".join(x for x in (k["department"], k["organisation"]) if x)
            if org not in organisations[lt["case_id"]]:
                organisations[lt["case_id"]].append(org)
    cases = []
    for c in case_rows:
        part = ("your case" if c["constituent_id"] == pid else
                "raised by you for someone else" if c["raised_by_id"] == pid else "you are named on it")
        if c["raised_by_id"] and c["raised_by_id"] != pid and c["constituent_id"] == pid:
            third_party_sources = True
        entries = sorted(by_case[c["id"]], key=lambda e: e.at)
        status = STATUS_LABELS.get(c["status"], c["status"].replace("_", " ").capitalize())
        if c["outcome"]:
            status += f" ({c['outcome']})"
        cases.append(CaseHeld(c["id"], c["ref"], Passage("cases", c["id"], "title", c["title"]), c["category"],
                              status, _day(c["opened_at"]), _day(c["closed_at"]) or None,
                              (staff.get(c["assignee_id"]) or (None,))[0], part, organisations[c["id"]], entries))
    recipients = list(dict.fromkeys(o for c in cases for o in c.organisations))
    if recipients:
        sources.append("organisations we contacted for you (" + "; ".join(recipients) + ")")
    if third_party_sources:
        sources.append("other people who contacted us about you or on your behalf")
    if me["elector_key"]:
        sources.append("the electoral register (your name and address)")
    requests = [f"Received {r['received_on']}" + (f", answered {r['completed_on']}" if r["completed_on"] else "")
                for r in _rows(conn, "SELECT received_on, completed_on FROM subject_access_requests WHERE "
                                     "constituent_id = ? AND deleted = 0 ORDER BY received_on", (pid,))]
    ids = {"cases": case_ids, "messages": mids, "notes": [n["id"] for n in notes if include_confidential
                                                          or not n["confidential"]],
           "letters": [x["id"] for x in letters], "tasks": [t["id"] for t in tasks],
           "attachments": [a["id"] for a in atts]}
    ids["confidential_notes"] = [n["id"] for n in notes if n["confidential"] and include_confidential]
    if withheld:
        ids["withheld_notes"] = [n["id"] for n in notes if n["confidential"]]
    return Held(pid, _name(me) or "(no name)", record, address, me["email"], consents, cases,
                sorted(other, key=lambda e: e.at), files, requests, list(dict.fromkeys(sources)), recipients,
                sorted({(c["category"], c["outcome"]) for c in case_rows}, key=lambda x: (x[0], x[1] or "")),
                checklist, ids, people)


def passages(held: Held) -> list[Passage]:
    """Every passage of free text in what is held (what redaction looks through)."""
    out: list[Passage] = []

    def entry(e: Entry) -> None:
        out.extend(v for _, v in e.lines if isinstance(v, Passage))
        if e.body is not None:
            out.append(e.body)

    for c in held.cases:
        out.append(c.title)
        for e in c.entries:
            entry(e)
    for e in held.other:
        entry(e)
    for f in held.files:
        out.append(f.name)
        if f.text is not None:
            out.append(f.text)
    return out
