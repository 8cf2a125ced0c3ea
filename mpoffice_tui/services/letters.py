"""Letters from templates with merge fields, rendered to .docx (python-docx) and to plain text.

A template's body and subject use {field} placeholders (see MERGE_FIELDS); unknown placeholders are
left as they are and reported. A field whose value has several lines (an address) keeps its lines only
on a line of its own; inside a sentence it is written on one line, comma-separated. A written letter is
a `letters` row, so it appears on the case timeline; its layout (address block, one date, subject line
with the reference, salutation, sign-off) is added when it is drawn, so the text holds only the letter.

    load_starter_templates(office) -> int   (data/letter_templates/*.txt; idempotent by name)
    list_templates(office) -> [TemplateView];  find_template(office, id_or_name) -> TemplateView
    add_template(office, name, body, kind=, subject=);  update_template(...);  remove_template(office, t)
    template_file(t) -> str   (the file format parse_template_file reads)
    merge_fields(office, case, recipient_contact_id=None, recipient="constituent") -> dict
    render(template_text, fields) -> (text, unknown_fields)
    compose_letter(office, case, template, ...) -> Composed   (what write_letter would store; nothing written)
    write_letter(office, case, template, recipient_contact_id=None, subject=None, body=None) -> LetterView
    letter_layout(office, letter_id) -> LetterLayout   (letterhead, date, address block, salutation, subject
        with the reference, body, sign-off: the one layout every output is drawn from)
    layout_text(layout) -> str;  layout_docx(layout) -> bytes;  letter_text / letter_docx (by letter id)
    save_docx(office, letter_id, path)  (a plaintext file on purpose: the user asked for it; a folder gets
        docx_file_name(...), e.g. A-00153-2026-03-05-Mr-Sean-Mahmood.docx)
    chase_due(office, case_id=None) -> [ChaseItem];  count_chase_due / page_chase_due / seek_chase_due (the Due list,
        paged in SQL);  write_chase_letter(office, party_id) -> LetterView  (chase_template)
    compose_chase_letter(office, party_id) -> ComposedLetter;  preview_chase_letter(...) -> (subject, body, unknown)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from anyascii import anyascii
from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import CaseParty, Letter, LetterTemplate
from mpoffice_tui.services import settings
from mpoffice_tui.services.clock import now_iso, parse_date, today
from mpoffice_tui.services.constituent_fields import (
    LETTER_COLS,
    address_lines,
    cols,
    display_name,
    salutation,
    split_name,
)

MERGE_FIELDS: dict[str, str] = {
    "constituent_name": "the constituent's full name, with title",
    "constituent_forename": "their (preferred) first name",
    "constituent_surname": "their surname",
    "constituent_address": "their address, one part per line (inside a sentence: on one line)",
    "constituent_address_line": "their address on one line",
    "constituent_postcode": "their postcode",
    "case_ref": "the case reference",
    "case_title": "the case title (a heading: best in the subject line, not mid-sentence)",
    "case_category": "the case category",
    "case_opened": "the date the case was opened",
    "case_outcome": "the outcome (closed cases)",
    "recipient_name": "who the letter is to (person or organisation)",
    "recipient_organisation": "the recipient's organisation",
    "recipient_department": "the recipient's department",
    "recipient_address": "the recipient's address",
    "salutation": "'Dear Mrs Smith', or 'Dear Sir or Madam' for an organisation",
    "sign_off": "'Yours sincerely' after a name, 'Yours faithfully' after 'Dear Sir or Madam'",
    "mp_name": "the MP's name",
    "office_name": "the office's name",
    "office_address": "the office's address (setting office_address)",
    "office_phone": "the office's phone (setting office_phone)",
    "office_email": "the office's email (setting office_email)",
    "staff_name": "who is writing",
    "date": "today, e.g. 5 March 2026",
    "subject": "the subject of the email being answered (replies); the case title (letters)",
    "topic": "what a campaign is about, from its name (campaign acknowledgements); else the subject, tidied",
    "contacted_on": "when the third party was contacted (chase letters)",
    "reply_due": "when their reply was due (chase letters)",
    "surgery_date": "the day of their surgery appointment, e.g. Friday 15 January 2027 (surgery emails)",
    "surgery_time": "the time of their appointment, e.g. 10:30 (surgery emails)",
    "surgery_place": "where the surgery is held (surgery emails)",
    "surgery_holder": "who holds the surgery: the MP or a caseworker (surgery emails)",
}
KINDS: dict[str, str] = {
    "letter": "a letter on a case (w on a case)",
    "acknowledgement": "a first letter to the constituent on a new case",
    "chase": "a chase letter to a third party that has not replied",
    "reply": "an email reply to a message (r in the Inbox)",
    "campaign": "an acknowledgement to every sender in a campaign (A in the Inbox)",
    "surgery": "an email about a surgery appointment: its confirmation and the reminder before it",
}
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def long_date(d: date | str | None) -> str:
    d = parse_date(d) if not isinstance(d, date) else d
    return f"{d.day} {d.strftime('%B %Y')}" if d else ""


def render(template: str, fields: dict[str, str]) -> tuple[str, list[str]]:
    """Fill {field} placeholders; unknown ones stay as typed. Returns (text, unknown field names).

    A value of several lines (an address) keeps them only where the placeholder has its line to itself;
    inside a sentence ("of {constituent_address}, who") it is written on one line, comma-separated."""
    unknown: list[str] = []
    template = template or ""

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in fields:
            if key not in unknown:
                unknown.append(key)
            return m.group(0)
        value = str(fields[key] or "")
        if "\n" in value:
            start = template.rfind("\n", 0, m.start()) + 1
            end = template.find("\n", m.end())
            if template[start:end if end >= 0 else len(template)].strip() != m.group(0):
                value = ", ".join(x.strip() for x in value.splitlines() if x.strip())
        return value

    return _FIELD.sub(sub, template), unknown


_TAG = re.compile(r"^\s*(\[[^\]]{0,40}\]\s*|(re|fwd?|fw|aw|sv|campaign)\s*:\s*|(urgent|please)\b[\s:!,-]*)+", re.I)


def topic_of(text_: str | None) -> str:
    """What a campaign or message is about, fit to name in a sentence: 'Campaign: Fwd: PLEASE act on
    sewage!!' -> 'Act on sewage' (reply and tag prefixes, 'please' and shouting dropped)."""
    t = " ".join((text_ or "").split())
    t = _TAG.sub("", t).strip().rstrip("!?.;:, ").strip(" \"'“”‘’")
    if t.isupper() and len(t) > 4:
        t = t.capitalize()
    return t[:1].upper() + t[1:]


# -- templates --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateView:
    id: str
    name: str
    kind: str
    subject: str
    body: str


def parse_template_file(raw: str, source: str = "template") -> dict:
    """`name: ...`, `kind: ...`, `subject: ...` lines, a `---` line, then the body."""
    head, sep, body = raw.partition("\n---\n")
    if not sep:
        raise OfficeError(f"{source}: no '---' line between the header and the body")
    meta = {}
    for line in head.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            meta[k.strip().lower()] = v.strip()
    if not meta.get("name"):
        raise OfficeError(f"{source}: the header needs a 'name:' line")
    return {"name": meta["name"], "kind": meta.get("kind", "letter"), "subject": meta.get("subject", ""),
            "body": body.strip() + "\n"}


def starter_templates() -> list[dict]:
    folder = resources.files("mpoffice_tui") / "data" / "letter_templates"
    return [parse_template_file(f.read_text(encoding="utf-8"), f.name)
            for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".txt")]


def list_templates(office: Office, kind: str | None = None) -> list[TemplateView]:
    sql = "SELECT id, name, kind, subject, body FROM letter_templates WHERE deleted = 0 "
    params = {}
    if kind:
        sql += "AND kind = :kind "
        params["kind"] = kind
    with office.engine.connect() as conn:
        return [TemplateView(*r) for r in conn.execute(text(sql + "ORDER BY name COLLATE NOCASE, id"), params)]


def _checked(name: str, body: str, kind: str, subject: str, *, office: Office, other_than: str | None = None
             ) -> tuple[str, str, str, str]:
    """The template's fields, tidied; OfficeError with the reason when it cannot be saved."""
    name, subject = (name or "").strip(), (subject or "").strip()
    if not name or not (body or "").strip():
        raise OfficeError("a template needs a name and a body")
    if kind not in KINDS:
        raise OfficeError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    _, unknown = render(subject + "\n" + body, dict.fromkeys(MERGE_FIELDS, ""))
    if unknown:
        raise OfficeError(f"template {name!r}: unknown merge field(s) {', '.join('{' + u + '}' for u in unknown)}")
    if any(t.name.casefold() == name.casefold() and t.id != other_than for t in list_templates(office)):
        raise OfficeError(f"there is already a template called {name!r}")
    return name, body.strip() + "\n", kind, subject


def add_template(office: Office, name: str, body: str, *, kind: str = "letter", subject: str = "") -> TemplateView:
    name, body, kind, subject = _checked(name, body, kind, subject, office=office)
    with office.writing() as w:
        t = w.insert(LetterTemplate, name=name, kind=kind, subject=subject, body=body)
        w.audit("letter.template", target=f"letter_template:{t.id}", detail=name)
    return TemplateView(t.id, name, kind, subject, body)


def update_template(office: Office, template: str, *, name: str, body: str, kind: str, subject: str = ""
                    ) -> TemplateView:
    """Change a template (by id or name); letters already written keep their own text."""
    old = find_template(office, template)
    name, body, kind, subject = _checked(name, body, kind, subject, office=office, other_than=old.id)
    with office.writing() as w:
        w.update(w.get(LetterTemplate, old.id), name=name, kind=kind, subject=subject, body=body)
        w.audit("letter.template", target=f"letter_template:{old.id}", detail=f"{name} changed")
    return TemplateView(old.id, name, kind, subject, body)


def remove_template(office: Office, template: str) -> TemplateView:
    """Delete a template (by id or name); letters already written from it are kept."""
    t = find_template(office, template)
    with office.writing() as w:
        w.delete(w.get(LetterTemplate, t.id))
        w.audit("letter.template", target=f"letter_template:{t.id}", detail=f"{t.name} removed")
    return t


def template_file(t: TemplateView) -> str:
    """The template in the file format `templates add` reads (header, '---', body)."""
    return f"name: {t.name}\nkind: {t.kind}\nsubject: {t.subject}\n---\n{t.body.rstrip()}\n"


def load_starter_templates(office: Office) -> int:
    have = {t.name.casefold() for t in list_templates(office)}
    new = [t for t in starter_templates() if t["name"].casefold() not in have]
    if new:
        with office.writing() as w:
            w.insert_many(LetterTemplate, new)
            w.audit("letter.template", detail=f"{len(new)} starter templates added")
    return len(new)


def find_template(office: Office, template: str) -> TemplateView:
    """A template by id or name (any case); a new office's first use loads the starter templates."""
    found = list_templates(office)
    if not found:
        load_starter_templates(office)
        found = list_templates(office)
    wanted = template.strip().casefold()
    for t in found:
        if template == t.id or t.name.casefold() == wanted:
            return t
    partial = [t for t in found if wanted and wanted in t.name.casefold()]
    if len(partial) == 1:  # "closing" finds "Closing letter"
        return partial[0]
    if partial:
        raise OfficeError(f"{template!r} could be any of: {', '.join(t.name for t in partial)}")
    raise OfficeError(f"no letter template {template!r}")


# -- merge fields -----------------------------------------------------------------------------------
_PERSON_SQL = f"SELECT {cols(LETTER_COLS)} FROM constituents WHERE id = :id"


def office_fields(office: Office) -> dict[str, str]:
    """The merge fields every letter and reply shares: the MP, the office, who is writing, today."""
    with office.engine.connect() as conn:
        staff = conn.execute(text("SELECT name FROM staff WHERE id = :id"), {"id": office.staff_id}).fetchone()
    return {"mp_name": settings.get(office, "mp_name") or office.meta("mp_name") or "",
            "office_name": settings.get(office, "office_name") or office.name,
            "office_address": settings.get(office, "office_address"),
            "office_phone": settings.get(office, "office_phone"),
            "office_email": settings.get(office, "office_email"),
            "staff_name": staff[0] if staff else "", "date": long_date(today())}


def person_fields(conn, constituent_id: str | None) -> dict[str, str] | None:
    """The constituent's merge fields (None when there is no such person), read on `conn` (a connection or
    the caller's transaction's session): 'Dear Ms Ó Súilleabháin' (title and surname), else 'Dear Siobhán'."""
    p = conn.execute(text(_PERSON_SQL), {"id": constituent_id}).fetchone() if constituent_id else None
    if p is None:
        return None
    title, forenames, preferred, surname, *address = p
    lines = address_lines(*address)
    return {"constituent_name": display_name(forenames, surname, preferred, title),
            "constituent_forename": preferred or forenames or "", "constituent_surname": surname or "",
            "constituent_address": "\n".join(lines), "constituent_address_line": ", ".join(lines),
            "constituent_postcode": p[-1] or "", "salutation": salutation(title, forenames, preferred, surname)}


def merge_fields(office: Office, case: str, *, recipient_contact_id: str | None = None,
                 recipient: str = "constituent", party_id: str | None = None) -> dict[str, str]:
    """Every merge field for a letter on `case` to a contact, or to the constituent."""
    from mpoffice_tui.services.cases import find_case_id

    case_id = find_case_id(office, case)
    with office.engine.connect() as conn:
        c = conn.execute(text("SELECT ref, title, category, opened_at, outcome, constituent_id FROM cases "
                              "WHERE id = :id"), {"id": case_id}).fetchone()
        person = person_fields(conn, c[5]) or {}
        k = None
        if recipient_contact_id:
            k = conn.execute(text("SELECT organisation, department, name, address FROM contacts WHERE id = :id"),
                             {"id": recipient_contact_id}).fetchone()
            if k is None:
                raise OfficeError("no such contact")
        party = None
        if party_id:
            party = conn.execute(text("SELECT contacted_on, reply_due FROM case_parties WHERE id = :id"),
                                 {"id": party_id}).fetchone()
    f: dict[str, str] = dict.fromkeys(MERGE_FIELDS, "")
    f.update(office_fields(office))
    f.update({k_: v for k_, v in person.items() if k_ != "salutation"})
    f.update(case_ref=c[0], case_title=c[1], case_category=c[2], case_opened=long_date(c[3]),
             case_outcome=c[4] or "", subject=c[1])
    if k is not None:
        org = k[0] + (f", {k[1]}" if k[1] else "")
        f["recipient_name"] = k[2] or org
        f["recipient_organisation"] = k[0]
        f["recipient_department"] = k[1] or ""
        f["recipient_address"] = k[3] or ""
        f["salutation"] = f"Dear {k[2]}" if k[2] else "Dear Sir or Madam"
    elif recipient == "constituent" and person:
        f["recipient_name"] = f["constituent_name"]
        f["recipient_address"] = f["constituent_address"]
        f["salutation"] = person["salutation"]
    else:
        f["salutation"] = "Dear Sir or Madam"
    if party is not None:
        f["contacted_on"] = long_date(party[0])
        f["reply_due"] = long_date(party[1])
    return _finish(f)


def sign_off_for(salutation: str) -> str:
    """'Yours faithfully' after 'Dear Sir or Madam' (or no name), else 'Yours sincerely'."""
    s = (salutation or "").strip().rstrip(",").casefold()
    return "Yours faithfully" if s in ("", "dear sir or madam", "dear sir/madam", "dear sirs") else "Yours sincerely"


def _finish(f: dict[str, str]) -> dict[str, str]:
    """The fields that follow from the others: the sign-off that fits the salutation, the topic."""
    f["sign_off"] = sign_off_for(f.get("salutation", ""))
    f["topic"] = f.get("topic") or topic_of(f.get("subject"))
    return f


def reply_fields(office: Office, *, case_id: str | None, constituent_id: str | None, name: str, subject: str,
                 shared: dict[str, str] | None = None, topic: str | None = None) -> dict[str, str]:
    """Merge fields for an email reply: a letter's fields when the message is on a case; else the known
    constituent's, else the sender's name. `shared` is office_fields(office), when already read; `topic`
    what the message is about (a campaign's name), else its subject tidied."""
    if case_id:
        f = merge_fields(office, case_id)
    else:
        f = dict.fromkeys(MERGE_FIELDS, "") | (shared if shared is not None else office_fields(office))
        person = None
        if constituent_id:
            with office.engine.connect() as conn:
                person = person_fields(conn, constituent_id)
        if person is not None:
            f.update(person)
        else:
            name = " ".join(name.replace('"', "").split())
            forenames, surname = split_name(name)
            f.update(constituent_name=name, constituent_forename=forenames.split()[0] if forenames else "",
                     constituent_surname=surname,
                     salutation=f"Dear {name}" if name else "Dear Sir or Madam")
        f["recipient_name"] = f["constituent_name"]
    f["subject"] = subject or "your message"
    f["topic"] = topic_of(topic) or topic_of(subject) or "your message"
    return _finish(f)


# -- letters ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LetterView:
    id: str
    case_id: str
    case_ref: str
    template_id: str | None
    recipient_contact_id: str | None
    recipient_name: str
    recipient_address: str
    subject: str
    body_text: str
    created_at: str
    sent_on: str | None
    unknown_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComposedLetter:
    """A letter as it would be written from a template (nothing stored): to read and change first."""

    template_id: str
    template_name: str
    recipient_contact_id: str | None
    recipient_name: str
    address: tuple[str, ...]  # the address block it will carry
    subject: str
    body: str
    unknown_fields: tuple[str, ...] = ()


_OWN_DATE = re.compile(r"\A\s*\{date\}[ \t]*\n(?:[ \t]*\n)*")  # a template's own date line: the layout dates it


def _letter_parts(office: Office, case: str, template: str, *, recipient_contact_id: str | None,
                  recipient: str, party_id: str | None, extra_fields: dict[str, str] | None,
                  subject: str | None, body: str | None) -> tuple[TemplateView, dict[str, str], str, str, list[str]]:
    """(template, fields, subject, body, unknown fields) of a letter; `subject`/`body` are the
    caseworker's own text when given (merge fields in it still filled)."""
    t = find_template(office, template)
    fields = merge_fields(office, case, recipient_contact_id=recipient_contact_id, recipient=recipient,
                          party_id=party_id)
    fields.update(extra_fields or {})
    subject_, unknown_s = render(subject if subject and subject.strip() else t.subject, fields)
    text_, unknown_b = render(body if body is not None else _OWN_DATE.sub("", t.body), fields)
    return t, fields, subject_.strip(), text_, list(dict.fromkeys(unknown_s + unknown_b))


def compose_letter(office: Office, case: str, template: str, *, recipient_contact_id: str | None = None,
                   recipient: str = "constituent", party_id: str | None = None,
                   extra_fields: dict[str, str] | None = None) -> ComposedLetter:
    """The letter `write_letter` would store, to read and change before saving (nothing is written)."""
    t, fields, subject, body, unknown = _letter_parts(
        office, case, template, recipient_contact_id=recipient_contact_id, recipient=recipient,
        party_id=party_id, extra_fields=extra_fields, subject=None, body=None)
    block = _address_block(office, fields, recipient_contact_id, fields["recipient_name"])
    return ComposedLetter(t.id, t.name, recipient_contact_id, fields["recipient_name"], block, subject, body,
                          tuple(unknown))


def write_letter(office: Office, case: str, template: str, *, recipient_contact_id: str | None = None,
                 recipient: str = "constituent", party_id: str | None = None,
                 extra_fields: dict[str, str] | None = None, body: str | None = None,
                 subject: str | None = None, needs_approval: bool = False) -> LetterView:
    """Render a template for a case (or store the caseworker's edited `subject`/`body`) on its timeline. It
    waits for sign-off when a rule asks (services.approvals) or the writer does (`needs_approval`)."""
    from mpoffice_tui.services.cases import find_case_id

    parts = _letter_parts(office, case, template, recipient_contact_id=recipient_contact_id, recipient=recipient,
                          party_id=party_id, extra_fields=extra_fields, subject=subject, body=body)
    case_id = find_case_id(office, case)
    with office.writing() as w:
        return _insert_letter(office, w, case_id, recipient_contact_id, parts, needs_approval=needs_approval)


def _insert_letter(office: Office, w, case_id: str, recipient_contact_id: str | None, parts: tuple, *,
                   needs_approval: bool = False) -> LetterView:
    """Store a letter (the `_letter_parts` read before) inside the caller's transaction `w`; it waits for
    sign-off when a rule or the writer asks."""
    from mpoffice_tui.services import approvals

    t, fields, subject_, text_, unknown = parts
    if not text_.strip():
        raise OfficeError("the letter is empty: write its text first")
    letter = w.insert(Letter, case_id=case_id, template_id=t.id, recipient_contact_id=recipient_contact_id,
                      recipient_name=fields["recipient_name"], subject=subject_, body_text=text_,
                      author_id=office.staff_id, created_at=now_iso())
    w.audit("letter.write", target=f"case:{case_id}", detail=t.name)
    w.session.flush()
    facts = approvals.letter_facts(w.session.connection(), letter.id, flagged=needs_approval)
    approvals.check_in(w, "letter", letter.id, case_id, facts, state="pending")
    return LetterView(letter.id, case_id, fields["case_ref"], t.id, recipient_contact_id, fields["recipient_name"],
                      fields["recipient_address"], subject_, text_, letter.created_at, None, tuple(unknown))


_LETTER_SQL = ("SELECT l.id, l.case_id, c.ref, l.template_id, l.recipient_contact_id, l.recipient_name, "
               "coalesce(k.address, ''), l.subject, l.body_text, l.created_at, l.sent_on FROM letters l "
               "JOIN cases c ON c.id = l.case_id LEFT JOIN contacts k ON k.id = l.recipient_contact_id "
               "WHERE l.id = :id AND l.deleted = 0")


def get_letter(office: Office, letter_id: str) -> LetterView:
    with office.engine.connect() as conn:
        r = conn.execute(text(_LETTER_SQL), {"id": letter_id}).fetchone()
    if r is None:
        raise OfficeError("no such letter")
    address = r[6]
    if not r[4]:
        address = merge_fields(office, r[1])["constituent_address"]
    return LetterView(*r[:6], address, *r[7:11])


def mark_sent(office: Office, letter_id: str, on: str | date | None = None) -> None:
    """Record that the letter was posted (refused while it needs sign-off)."""
    from mpoffice_tui.services import approvals

    approvals.ensure_cleared(office, "letter", letter_id, "sent")
    day = (parse_date(on, "sent on") or today()).isoformat()
    with office.writing() as w:
        letter = w.get(Letter, letter_id)
        if letter is None:
            raise OfficeError("no such letter")
        w.update(letter, sent_on=day)
        w.audit("letter.sent", target=f"case:{letter.case_id}", detail=letter.id)


# -- layout: one structure for every output (text, .docx; a PDF on letterhead later) ----------------
@dataclass(frozen=True)
class LetterLayout:
    """A letter laid out as a letter: each part once, in order. The office's address, phone and email are in
    the letterhead only (never again under the signature)."""

    letterhead: tuple[str, ...]  # the office's name, address, phone, email
    date: str  # "5 March 2026"
    address: tuple[str, ...]  # the recipient's name and address block
    salutation: str  # "Dear Mr Mahmood,"
    subject: str  # the subject line, always with the case reference
    body: tuple[str, ...]  # paragraphs (a paragraph may hold line breaks)
    closing: str  # "Yours sincerely,"
    signature: tuple[str, ...] = field(default_factory=tuple)  # the signatory's lines
    mp_name: str = ""  # the letterhead's name (the MP's)
    westminster: tuple[str, ...] = ()  # the MP's Westminster address
    footer: str = ""  # a line at the foot of every page
    logo: bytes | None = field(default=None, repr=False)  # the letterhead's logo (PNG/JPEG)
    signature_image: bytes | None = field(default=None, repr=False)  # above the signatory's name
    author: str = ""  # the document's author (the office)
    reference: str = ""  # the case reference


_DATE_PARA = re.compile(r"\d{1,2}(st|nd|rd|th)? [A-Z][a-z]+,? \d{4}|\d{4}-\d{2}-\d{2}")
_SALUTATION = re.compile(r"(?i)dear\b.{1,80}")
_CLOSING = re.compile(r"(?i)(yours\s+(sincerely|faithfully|truly|ever)|(with\s+)?(kind|best|warm|warmest)\s+"
                      r"(regards|wishes)|regards|many\s+thanks|with\s+thanks)\s*[,.!]?")


def _lines(block: str | None) -> list[str]:
    """An address as lines: its own lines, or a one-line address split at its commas."""
    block = (block or "").strip()
    parts = block.splitlines() if "\n" in block else block.split(",")
    return [p.strip() for p in parts if p.strip()]


def _address_block(office: Office, fields: dict[str, str], contact_id: str | None, name: str) -> tuple[str, ...]:
    """Who the letter goes to, as an envelope would show it (no line twice)."""
    if contact_id:
        with office.engine.connect() as conn:
            k = conn.execute(text("SELECT name, organisation, department, address, email FROM contacts "
                                  "WHERE id = :id"), {"id": contact_id}).fetchone()
        if k is None:
            lines = [name]
        else:
            lines = [k[0] or "", k[1] or "", k[2] or "", *_lines(k[3])]
            if not _lines(k[3]) and k[4]:
                lines.append(f"By email: {k[4]}")
    else:
        lines = [name or fields.get("constituent_name", ""), *_lines(fields.get("constituent_address"))]
    seen: set[str] = set()
    out = []
    for line in (x.strip() for x in lines):
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            out.append(line)
    return tuple(out)


@dataclass(frozen=True)
class Letterhead:
    """The office's letterhead: what every letter carries once, at the top (and its footer)."""

    lines: tuple[str, ...]  # the office's name, constituency address, phone, email
    mp_name: str
    westminster: tuple[str, ...]
    footer: str
    logo: bytes | None = field(default=None, repr=False)
    signature_image: bytes | None = field(default=None, repr=False)


_LETTERHEAD_KEYS = ("office_name", "office_address", "office_phone", "office_email", "mp_name",
                    "westminster_address", "letterhead_footer")


def letterhead(office: Office) -> Letterhead:
    """The letterhead from the office's settings and images (services.letterhead)."""
    from mpoffice_tui.services import letterhead as images

    with office.engine.connect() as conn:
        marks = ",".join("?" * len(_LETTERHEAD_KEYS))
        got = dict(conn.exec_driver_sql(f"SELECT key, value FROM settings WHERE deleted = 0 AND key IN ({marks})",
                                        _LETTERHEAD_KEYS).fetchall())
        logo, signature = images.image(conn, "logo"), images.image(conn, "signature")
    lines = [got.get("office_name") or office.name]
    lines += [x.strip() for x in (got.get("office_address") or "").splitlines() if x.strip()]
    if phone := got.get("office_phone"):
        lines.append(f"Tel: {phone}")
    if email := got.get("office_email"):
        lines.append(f"Email: {email}")
    westminster = tuple(x.strip() for x in (got.get("westminster_address") or "").splitlines() if x.strip())
    return Letterhead(tuple(lines), got.get("mp_name") or office.meta("mp_name") or "", westminster,
                      (got.get("letterhead_footer") or "").strip(), logo, signature)


def _in_letterhead(line: str, head: Letterhead) -> bool:
    """Whether a signature line repeats the letterhead (the office's address, phone or email)."""
    folded = " ".join(line.casefold().split())
    known = {" ".join(x.casefold().split()) for x in (*head.lines[1:], *head.westminster)}
    known |= {x.split(": ", 1)[1].casefold() for x in head.lines if x.startswith(("Tel: ", "Email: "))}
    return bool(folded) and (folded in known or folded.removeprefix("tel: ").removeprefix("email: ") in known)


def layout_for(office: Office, case: str, *, subject: str, body: str, day: date | str | None = None,
               recipient_contact_id: str | None = None, recipient_name: str | None = None) -> LetterLayout:
    """Lay out a letter's text on a case: the office's letterhead, one date (a date the text opens with is
    used, not repeated), the address block, the salutation and sign-off the text has (else the ones that
    fit the recipient), and a subject line that carries the case reference."""
    fields = merge_fields(office, case, recipient_contact_id=recipient_contact_id)
    to = _address_block(office, fields, recipient_contact_id, recipient_name or fields["recipient_name"])
    return layout_text_as_letter(office, fields, to, subject=subject, body=body, day=day)


def layout_text_as_letter(office: Office, fields: dict[str, str], to: tuple[str, ...], *, subject: str, body: str,
                          day: date | str | None = None, head: Letterhead | None = None) -> LetterLayout:
    """Lay out a letter's text to the address block `to` (merge `fields` give the salutation, sign-off, MP and
    reference that fit when the text has none); `head` is letterhead(office), when already read."""
    paras = [p.strip() for p in re.split(r"\n[ \t]*\n", (body or "").strip()) if p.strip()]
    when = long_date(day or today())
    while paras and _DATE_PARA.fullmatch(paras[0]):
        own = paras.pop(0)
        when = long_date(own) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", own) else own
    salutation = f"{fields['salutation']},"
    if paras and "\n" not in paras[0] and _SALUTATION.fullmatch(paras[0]):
        salutation = paras.pop(0)
    closing, signature = f"{fields['sign_off']},", (fields["mp_name"],) if fields["mp_name"] else ()
    for i in range(len(paras) - 1, max(-1, len(paras) - 4), -1):
        first, *rest = paras[i].splitlines()
        if _CLOSING.fullmatch(first.strip()):
            closing = first.strip()
            signature = tuple(x.strip() for x in [*rest, *"\n".join(paras[i + 1:]).splitlines()] if x.strip())
            paras = paras[:i]
            break
    else:  # no sign-off written: one that fits, above the signature the text ends with (if it does)
        if paras and fields["mp_name"] and paras[-1].splitlines()[0].strip() == fields["mp_name"]:
            signature = tuple(x.strip() for x in paras.pop().splitlines() if x.strip())
    line = " ".join((subject or "").split()) or fields.get("case_title", "")
    ref = fields.get("case_ref", "")
    if ref and ref not in line:
        line = f"{line} (our ref {ref})"
    head = head or letterhead(office)
    signature = tuple(x for x in signature if not _in_letterhead(x, head))  # the letterhead has them, once
    return LetterLayout(head.lines, when, to, salutation, line, tuple(paras), closing, signature,
                        mp_name=head.mp_name, westminster=head.westminster, footer=head.footer, logo=head.logo,
                        signature_image=head.signature_image, author=head.lines[0] if head.lines else "",
                        reference=ref)


def letter_layout(office: Office, letter_id: str) -> LetterLayout:
    """A stored letter, laid out (dated the day it was sent, else written)."""
    lt = get_letter(office, letter_id)
    return layout_for(office, lt.case_id, subject=lt.subject, body=lt.body_text,
                      day=lt.sent_on or lt.created_at[:10], recipient_contact_id=lt.recipient_contact_id,
                      recipient_name=lt.recipient_name)


def layout_text(lay: LetterLayout) -> str:
    """The letter as plain text, each part once."""
    parts = ["\n".join(lay.letterhead), "\n".join(lay.westminster), lay.date, "\n".join(lay.address),
             lay.salutation, lay.subject, *lay.body, lay.closing, "\n".join(lay.signature), lay.footer]
    return "\n\n".join(p for p in parts if p) + "\n"


def created_now() -> datetime:
    """When a document is made (on the pinned MPOFFICE_TODAY date when that is set), for its properties."""
    return datetime.fromisoformat(now_iso().replace("Z", "+00:00"))


def layout_docx(lay: LetterLayout, created: datetime | None = None) -> bytes:
    """The letter as a .docx document for editing in Word (bytes, built in memory): A4, the letterhead (logo,
    the MP, the office's addresses, phone and email) once, the address where a window envelope shows it, the
    signature image, the footer, and true document properties."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4, not python-docx's US Letter
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(15), Mm(20)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    style.paragraph_format.space_after = Pt(6)

    def lines(paragraph, items, bold_first: bool = False) -> None:
        for i, line in enumerate(items):
            run = paragraph.add_run(line)
            run.bold = bold_first and i == 0
            if i < len(items) - 1:
                run.add_break()

    top = doc.add_paragraph()  # the letterhead, top right: the logo above the MP and the office
    top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if lay.logo:
        top.add_run().add_picture(io.BytesIO(lay.logo), height=Mm(20))
        top.add_run().add_break()
    lines(top, [x for x in (lay.mp_name, *lay.letterhead) if x], bold_first=bool(lay.mp_name))
    if lay.westminster:
        west = doc.add_paragraph()
        west.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        lines(west, lay.westminster)
    to = doc.add_paragraph()
    to.paragraph_format.space_before = Mm(8)  # into the envelope's window (DL, left window)
    lines(to, lay.address)
    doc.add_paragraph(lay.date).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(lay.salutation)
    doc.add_paragraph().add_run(lay.subject).bold = True
    for para in lay.body:
        lines(doc.add_paragraph(), para.splitlines())
    doc.add_paragraph(lay.closing)
    if lay.signature_image:
        doc.add_paragraph().add_run().add_picture(io.BytesIO(lay.signature_image), height=Mm(15))
    elif lay.signature:
        doc.add_paragraph()  # room to sign
    if lay.signature:
        lines(doc.add_paragraph(), lay.signature)
    if lay.footer:
        foot = section.footer.paragraphs[0]
        foot.text = lay.footer
        foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
        foot.runs[0].font.size = Pt(8)
    when = created or created_now()
    props = doc.core_properties
    props.title, props.subject = lay.subject, lay.reference
    props.author = props.last_modified_by = lay.author
    props.comments, props.keywords, props.category = "", lay.reference, "Letter"
    props.created = props.modified = when.replace(tzinfo=None)
    props.revision = 1
    props.language = "en-GB"
    for rpr in (style.element.get_or_add_rPr(),):
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang)
        lang.set(qn("w:val"), "en-GB")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def letter_text(office: Office, letter_id: str) -> str:
    """The whole letter as plain text: letterhead, date, address, salutation, subject, body, sign-off."""
    return layout_text(letter_layout(office, letter_id))


def letter_docx(office: Office, letter_id: str) -> bytes:
    """The letter as a .docx document (bytes, built in memory)."""
    return layout_docx(letter_layout(office, letter_id))


def file_slug(text_: str | None, limit: int = 40) -> str:
    """Words of a name for a file name, readable on any system: 'Mr Seán O'Brien' -> 'Mr-Sean-OBrien'."""
    ascii_ = re.sub(r"['`]", "", anyascii(text_ or ""))
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-")[:limit].strip("-")


def docx_file_name(lt: LetterView) -> str:
    """e.g. A-00153-2026-03-05-Mr-Sean-Mahmood.docx"""
    return f"{lt.case_ref}-{lt.created_at[:10]}-{file_slug(lt.recipient_name) or 'letter'}.docx"


def export_path(office: Office, letter_id: str, path: str | Path, suffix: str) -> Path:
    """`path`, or when it is a folder a new file in it named for the letter (docx_file_name, with `suffix`),
    never one that is there already."""
    path = Path(path).expanduser()
    if not path.is_dir():
        return path
    stem = docx_file_name(get_letter(office, letter_id))[:-len(".docx")]
    target, n = path / f"{stem}{suffix}", 2
    while target.exists():
        target = path / f"{stem}-{n}{suffix}"
        n += 1
    return target


def save_docx(office: Office, letter_id: str, path: str | Path) -> Path:
    """Write the letter's .docx to `path`, or into the folder `path` under its own name (never over another
    file): a plaintext file the user asked for, audited. Refused while it needs sign-off."""
    return export_letter(office, letter_id, path, ".docx", lambda: letter_docx(office, letter_id))


_FORMATS = {".docx": "docx", ".pdf": "PDF"}  # as the audit log names them


def export_letter(office: Office, letter_id: str, path: str | Path, suffix: str, render) -> Path:
    """Save the letter as `render()` makes it (.docx or .pdf) to `path` (or a new file in the folder `path`),
    owner-only, and audit it; refused while it needs sign-off."""
    from mpoffice_tui.services import approvals
    from mpoffice_tui.services.exports import save_private

    approvals.ensure_cleared(office, "letter", letter_id, "exported")
    written = save_private(render(), export_path(office, letter_id, path, suffix), "letter")
    with office.writing() as w:
        w.audit("letter.export", target=f"letter:{letter_id}", detail=f"{_FORMATS[suffix]} written")
    return written


# -- chasing ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChaseItem:
    party_id: str
    case_id: str
    case_ref: str
    contact_id: str
    organisation: str
    contacted_on: str
    reply_due: str
    working_days_late: int


# The list is filtered, ordered, counted and paged in SQL. A party with no stored reply date has one worked out
# from its contact's reply days in working days (REPLY_DUE_FN, given to each connection that asks).
REPLY_DUE_FN = "mp_reply_due"
_CHASES_SQL = (
    "SELECT party, case_id, ref, contact, org, contacted, due FROM (SELECT cp.id AS party, c.id AS case_id, "
    "c.ref AS ref, k.id AS contact, k.organisation || coalesce(' — ' || k.department, '') AS org, "
    "cp.contacted_on AS contacted, "
    f"coalesce(nullif(substr(cp.reply_due, 1, 10), ''), {REPLY_DUE_FN}(cp.contacted_on, k.reply_days)) AS due "
    "FROM case_parties cp JOIN cases c ON c.id = cp.case_id JOIN contacts k ON k.id = cp.contact_id "
    "WHERE cp.deleted = 0 AND c.deleted = 0 AND c.status != 'closed' AND cp.contacted_on IS NOT NULL "
    "AND cp.replied_on IS NULL{case}) WHERE due < :day{beyond}")
_CHASE_ORDER = ("due", "ref", "party")  # the list's order: reply date, case, party (unique)


@contextmanager
def _chase_reader(office: Office, nation_: str) -> Iterator[Any]:
    """A read connection that knows REPLY_DUE_FN for the office's nation."""
    from mpoffice_tui.services.reminders import add_working_days

    def reply_due(contacted: str | None, days: int | None) -> str | None:
        try:
            return add_working_days(parse_date(contacted), int(days or 20), nation_).isoformat()
        except (TypeError, ValueError):  # a date nobody can read is never overdue
            return None

    with office.raw() as conn:
        conn.create_function(REPLY_DUE_FN, 2, reply_due, deterministic=True)
        yield conn


@dataclass(frozen=True)
class _ChaseQuery:
    sql: str  # the overdue chases (unordered), with :day and the anchor's values bound from `params`
    params: dict[str, object]
    day: date
    nation: str
    forward: bool


def _chase_query(office: Office, on: str | date | None, *, case_id: str | None = None,
                 anchor: ChaseItem | None = None, forward: bool = True) -> _ChaseQuery:
    """The overdue chases on `on` (default today): all, one case's, or those beyond `anchor` by key."""
    from mpoffice_tui.services.reminders import nation

    day = parse_date(on) or today()
    params: dict[str, object] = {"day": day.isoformat(), "case": case_id}
    beyond = ""
    if anchor is not None:
        params.update(k_due=anchor.reply_due, k_ref=anchor.case_ref, k_party=anchor.party_id)
        beyond = f" AND ({', '.join(_CHASE_ORDER)}) {'>' if forward else '<'} (:k_due, :k_ref, :k_party)"
    sql = _CHASES_SQL.format(case=" AND c.id = :case" if case_id else "", beyond=beyond)
    return _ChaseQuery(sql, params, day, nation(office), forward)


def _chases(office: Office, q: _ChaseQuery, offset: int = 0, limit: int = -1) -> list[ChaseItem]:
    """The rows of `q` in list order, `limit` of them from `offset` (nearest the anchor, for a seek)."""
    from mpoffice_tui.services.reminders import working_days_between

    order = ", ".join(f"{c} {'ASC' if q.forward else 'DESC'}" for c in _CHASE_ORDER)
    with _chase_reader(office, q.nation) as conn:
        rows = conn.execute(f"{q.sql} ORDER BY {order} LIMIT :limit OFFSET :offset",
                            {**q.params, "limit": int(limit), "offset": max(0, int(offset))}).fetchall()
    items = [ChaseItem(pid, cid, ref, kid, org, contacted, due,
                       working_days_between(date.fromisoformat(due), q.day, q.nation))
             for pid, cid, ref, kid, org, contacted, due in rows]
    return items if q.forward else items[::-1]


def chase_due(office: Office, on: str | date | None = None, *, case_id: str | None = None) -> list[ChaseItem]:
    """Third parties on open cases (or on the case `case_id`) who were contacted and have not replied within
    their reply days, by reply date. The whole list: a screen pages it (page_chase_due, seek_chase_due)."""
    return _chases(office, _chase_query(office, on, case_id=case_id))


def count_chase_due(office: Office, on: str | date | None = None) -> int:
    """How many third parties are overdue a reply (counted in SQL: no row is read into Python)."""
    q = _chase_query(office, on)
    with _chase_reader(office, q.nation) as conn:
        return int(conn.execute(f"SELECT count(*) FROM ({q.sql})", q.params).fetchone()[0])


def page_chase_due(office: Office, offset: int, limit: int, on: str | date | None = None) -> list[ChaseItem]:
    """One window of chase_due's list, by position."""
    return _chases(office, _chase_query(office, on), offset, limit)


def seek_chase_due(office: Office, anchor: ChaseItem, limit: int, forward: bool = True,
                   on: str | date | None = None) -> list[ChaseItem]:
    """The `limit` chases just after (or before) `anchor`, a row of the list already shown, in list order:
    by key, not by OFFSET."""
    return _chases(office, _chase_query(office, on, anchor=anchor, forward=forward), 0, limit)


def chase_template(office: Office) -> TemplateView:
    """The office's chase letter: its first template of kind `chase` (the starter one when it has none)."""
    found = list_templates(office, "chase")
    if not found:
        load_starter_templates(office)
        found = list_templates(office, "chase")
    if not found:
        raise OfficeError("no chase letter template: add one of kind 'chase' (Templates screen, F9)")
    return found[0]


def _party(office: Office, party_id: str) -> tuple[str, str]:
    """(case id, contact id) of a third party on a case."""
    with office.engine.connect() as conn:
        r = conn.execute(text("SELECT case_id, contact_id FROM case_parties WHERE id = :id AND deleted = 0"),
                         {"id": party_id}).fetchone()
    if r is None or not r[1]:
        raise OfficeError("no such third party on a case")
    return r[0], r[1]


def compose_chase_letter(office: Office, party_id: str, template: str | None = None) -> ComposedLetter:
    """The chase letter to a third party as it would be written, to read and change (nothing stored)."""
    case_id, contact_id = _party(office, party_id)
    t = find_template(office, template) if template else chase_template(office)
    return compose_letter(office, case_id, t.id, recipient_contact_id=contact_id, recipient="contact",
                          party_id=party_id)


def preview_chase_letter(office: Office, party_id: str,
                         template: str | None = None) -> tuple[str, str, list[str]]:
    """The chase letter to a third party as it would be written: (subject, body, unknown fields)."""
    c = compose_chase_letter(office, party_id, template)
    return c.subject, c.body, list(c.unknown_fields)


def write_chase_letter(office: Office, party_id: str, template: str | None = None, *, subject: str | None = None,
                       body: str | None = None, needs_approval: bool = False) -> LetterView:
    """A chase letter to a third party that has not replied (the caseworker's edited `subject`/`body` when
    given); their reply is then due again in their reply days from today."""
    from mpoffice_tui.services.reminders import add_working_days, nation

    with office.engine.connect() as conn:
        r = conn.execute(text("SELECT cp.case_id, cp.contact_id, k.reply_days FROM case_parties cp "
                              "LEFT JOIN contacts k ON k.id = cp.contact_id WHERE cp.id = :id AND cp.deleted = 0"),
                         {"id": party_id}).fetchone()
    if r is None or not r[1]:
        raise OfficeError("no such third party on a case")
    t = find_template(office, template) if template else chase_template(office)
    due = add_working_days(today(), int(r[2] or 20), nation(office)).isoformat()
    parts = _letter_parts(office, r[0], t.id, recipient_contact_id=r[1], recipient="contact", party_id=party_id,
                          extra_fields=None, subject=subject, body=body)
    with office.writing() as w:  # the letter and the new reply date: one action, one transaction
        letter = _insert_letter(office, w, r[0], r[1], parts, needs_approval=needs_approval)
        w.update(w.get(CaseParty, party_id), reply_due=due)
    return letter
