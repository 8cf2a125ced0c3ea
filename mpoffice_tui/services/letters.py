"""Letters from templates with merge fields, rendered to .docx (python-docx) and to plain text.

A template's body and subject use {field} placeholders (see MERGE_FIELDS); unknown placeholders are
left as they are and reported. A written letter is a `letters` row, so it appears on the case timeline.

    load_starter_templates(office) -> int   (data/letter_templates/*.txt; idempotent by name)
    list_templates(office) -> [TemplateView];  find_template(office, id_or_name) -> TemplateView
    add_template(office, name, body, kind=, subject=);  update_template(...);  remove_template(office, t)
    template_file(t) -> str   (the file format parse_template_file reads)
    merge_fields(office, case, recipient_contact_id=None, recipient="constituent") -> dict
    render(template_text, fields) -> (text, unknown_fields)
    write_letter(office, case, template, recipient_contact_id=None) -> LetterView (stored)
    letter_text(office, letter_id) -> str;  letter_docx(office, letter_id) -> bytes
    save_docx(office, letter_id, path)  (a plaintext file on purpose: the user asked for it)
    chase_due(office) -> [ChaseItem];  write_chase_letter(office, party_id) -> LetterView  (chase_template)
    preview_chase_letter(office, party_id) -> (subject, body, unknown_fields)
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import CaseParty, Letter, LetterTemplate
from mpoffice_tui.services import settings
from mpoffice_tui.services.clock import now_iso, parse_date, today

MERGE_FIELDS: dict[str, str] = {
    "constituent_name": "the constituent's full name, with title",
    "constituent_forename": "their (preferred) first name",
    "constituent_surname": "their surname",
    "constituent_address": "their address, one part per line",
    "constituent_address_line": "their address on one line",
    "constituent_postcode": "their postcode",
    "case_ref": "the case reference",
    "case_title": "the case title",
    "case_category": "the case category",
    "case_opened": "the date the case was opened",
    "case_outcome": "the outcome (closed cases)",
    "recipient_name": "who the letter is to (person or organisation)",
    "recipient_organisation": "the recipient's organisation",
    "recipient_department": "the recipient's department",
    "recipient_address": "the recipient's address",
    "salutation": "'Dear Mrs Smith', or 'Dear Sir or Madam' for an organisation",
    "mp_name": "the MP's name",
    "office_name": "the office's name",
    "office_address": "the office's address (setting office_address)",
    "office_phone": "the office's phone (setting office_phone)",
    "office_email": "the office's email (setting office_email)",
    "staff_name": "who is writing",
    "date": "today, e.g. 5 March 2026",
    "subject": "the subject of the email being answered (replies); the case title (letters)",
    "contacted_on": "when the third party was contacted (chase letters)",
    "reply_due": "when their reply was due (chase letters)",
}
KINDS: dict[str, str] = {
    "letter": "a letter on a case (w on a case)",
    "acknowledgement": "a first letter to the constituent on a new case",
    "chase": "a chase letter to a third party that has not replied",
    "reply": "an email reply to a message (r in the Inbox)",
    "campaign": "an acknowledgement to every sender in a campaign (A in the Inbox)",
}
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def long_date(d: date | str | None) -> str:
    d = parse_date(d) if not isinstance(d, date) else d
    return f"{d.day} {d.strftime('%B %Y')}" if d else ""


def render(template: str, fields: dict[str, str]) -> tuple[str, list[str]]:
    """Fill {field} placeholders; unknown ones stay as typed. Returns (text, unknown field names)."""
    unknown: list[str] = []

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key in fields:
            return str(fields[key] or "")
        if key not in unknown:
            unknown.append(key)
        return m.group(0)

    return _FIELD.sub(sub, template or ""), unknown


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
def _address_lines(*parts: str | None) -> list[str]:
    return [p.strip() for p in parts if p and p.strip()]


_PERSON_SQL = ("SELECT title, forenames, preferred_name, surname, address1, address2, address3, town, postcode "
               "FROM constituents WHERE id = :id")


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


def _person_fields(p) -> dict[str, str]:
    """The constituent's fields from a _PERSON_SQL row; 'Dear Ms Ó Súilleabháin' (title and surname), else
    'Dear Siobhán'."""
    fore = p[2] or p[1] or ""
    lines = _address_lines(p[4], p[5], p[6], p[7], p[8])
    salutation = f"Dear {p[0]} {p[3]}" if p[0] and p[3] else f"Dear {fore}" if fore else "Dear Sir or Madam"
    return {"constituent_name": " ".join(x for x in (p[0], fore, p[3]) if x), "constituent_forename": fore,
            "constituent_surname": p[3] or "", "constituent_address": "\n".join(lines),
            "constituent_address_line": ", ".join(lines), "constituent_postcode": p[8] or "",
            "salutation": salutation}


def merge_fields(office: Office, case: str, *, recipient_contact_id: str | None = None,
                 recipient: str = "constituent", party_id: str | None = None) -> dict[str, str]:
    """Every merge field for a letter on `case` to a contact, or to the constituent."""
    from mpoffice_tui.services.cases import find_case_id

    case_id = find_case_id(office, case)
    with office.engine.connect() as conn:
        c = conn.execute(text("SELECT ref, title, category, opened_at, outcome, constituent_id FROM cases "
                              "WHERE id = :id"), {"id": case_id}).fetchone()
        p = conn.execute(text(_PERSON_SQL), {"id": c[5]}).fetchone()
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
    person = _person_fields(p) if p is not None else {}
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
    return f


def reply_fields(office: Office, *, case_id: str | None, constituent_id: str | None, name: str, subject: str,
                 shared: dict[str, str] | None = None) -> dict[str, str]:
    """Merge fields for an email reply: a letter's fields when the message is on a case; else the known
    constituent's, else the sender's name. `shared` is office_fields(office), when already read."""
    if case_id:
        f = merge_fields(office, case_id)
    else:
        f = dict.fromkeys(MERGE_FIELDS, "") | (shared if shared is not None else office_fields(office))
        p = None
        if constituent_id:
            with office.engine.connect() as conn:
                p = conn.execute(text(_PERSON_SQL), {"id": constituent_id}).fetchone()
        if p is not None:
            f.update(_person_fields(p))
        else:
            name = " ".join(name.replace('"', "").split())
            f.update(constituent_name=name, constituent_forename=name.split()[0] if " " in name else "",
                     constituent_surname=name.split()[-1] if " " in name else name,
                     salutation=f"Dear {name}" if name else "Dear Sir or Madam")
        f["recipient_name"] = f["constituent_name"]
    f["subject"] = subject or "your message"
    return f


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


def write_letter(office: Office, case: str, template: str, *, recipient_contact_id: str | None = None,
                 recipient: str = "constituent", party_id: str | None = None,
                 extra_fields: dict[str, str] | None = None, body: str | None = None) -> LetterView:
    """Render a template for a case and store the letter on the case's timeline."""
    from mpoffice_tui.services.cases import find_case_id

    t = find_template(office, template)
    fields = merge_fields(office, case, recipient_contact_id=recipient_contact_id, recipient=recipient,
                          party_id=party_id)
    fields.update(extra_fields or {})
    subject, unknown_s = render(t.subject, fields)
    text_, unknown_b = render(body if body is not None else t.body, fields)
    case_id = find_case_id(office, case)
    with office.writing() as w:
        letter = w.insert(Letter, case_id=case_id, template_id=t.id, recipient_contact_id=recipient_contact_id,
                          recipient_name=fields["recipient_name"], subject=subject, body_text=text_,
                          author_id=office.staff_id, created_at=now_iso())
        w.audit("letter.write", target=f"case:{case_id}", detail=t.name)
    return LetterView(letter.id, case_id, fields["case_ref"], t.id, recipient_contact_id, fields["recipient_name"],
                      fields["recipient_address"], subject, text_, letter.created_at, None,
                      tuple(dict.fromkeys(unknown_s + unknown_b)))


def get_letter(office: Office, letter_id: str) -> LetterView:
    with office.engine.connect() as conn:
        r = conn.execute(text(
            "SELECT l.id, l.case_id, c.ref, l.template_id, l.recipient_contact_id, l.recipient_name, "
            "coalesce(k.address, ''), l.subject, l.body_text, l.created_at, l.sent_on, c.constituent_id "
            "FROM letters l JOIN cases c ON c.id = l.case_id LEFT JOIN contacts k ON k.id = l.recipient_contact_id "
            "WHERE l.id = :id AND l.deleted = 0"), {"id": letter_id}).fetchone()
    if r is None:
        raise OfficeError("no such letter")
    address = r[6]
    if not r[4]:
        address = merge_fields(office, r[1])["constituent_address"]
    return LetterView(*r[:6], address, *r[7:11])


def mark_sent(office: Office, letter_id: str, on: str | date | None = None) -> None:
    day = (parse_date(on, "sent on") or today()).isoformat()
    with office.writing() as w:
        letter = w.get(Letter, letter_id)
        if letter is None:
            raise OfficeError("no such letter")
        w.update(letter, sent_on=day)
        w.audit("letter.sent", target=f"case:{letter.case_id}", detail=letter.id)


def _letterhead(office: Office) -> list[str]:
    lines = [settings.get(office, "office_name") or office.name]
    lines += [x for x in settings.get(office, "office_address").splitlines() if x.strip()]
    return lines


def letter_text(office: Office, letter_id: str) -> str:
    """The whole letter as plain text: letterhead, date, recipient, reference, subject, body."""
    lt = get_letter(office, letter_id)
    parts = ["\n".join(_letterhead(office)), long_date(lt.sent_on or lt.created_at[:10]),
             "\n".join([lt.recipient_name, *[x for x in lt.recipient_address.splitlines() if x.strip()]]),
             f"Our ref: {lt.case_ref}"]
    if lt.subject:
        parts.append(lt.subject)
    parts.append(lt.body_text.strip())
    return "\n\n".join(p for p in parts if p) + "\n"


def letter_docx(office: Office, letter_id: str) -> bytes:
    """The letter as a .docx document (bytes, built in memory)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    lt = get_letter(office, letter_id)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for i, line in enumerate(_letterhead(office)):
        run = head.add_run(line)
        run.bold = i == 0
        if i < len(_letterhead(office)) - 1:
            run.add_break()
    doc.add_paragraph(long_date(lt.sent_on or lt.created_at[:10])).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    to = doc.add_paragraph()
    lines = [lt.recipient_name, *[x for x in lt.recipient_address.splitlines() if x.strip()]]
    for i, line in enumerate(lines):
        run = to.add_run(line)
        if i < len(lines) - 1:
            run.add_break()
    doc.add_paragraph(f"Our ref: {lt.case_ref}")
    if lt.subject:
        doc.add_paragraph().add_run(lt.subject).bold = True
    for para in re.split(r"\n\s*\n", lt.body_text.strip()):
        p = doc.add_paragraph()
        lines = para.splitlines()
        for i, line in enumerate(lines):
            run = p.add_run(line)
            if i < len(lines) - 1:
                run.add_break()
    doc.core_properties.title = lt.subject
    doc.core_properties.author = settings.get(office, "office_name") or office.name
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def save_docx(office: Office, letter_id: str, path: str | Path) -> Path:
    """Write the letter's .docx to `path` (a plaintext file the user asked for), audited."""
    path = Path(path)
    data = letter_docx(office, letter_id)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OfficeError(f"{path}: cannot write the letter ({exc.strerror or exc})") from exc
    with office.writing() as w:
        w.audit("letter.export", target=f"letter:{letter_id}", detail="docx written")
    return path


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


def chase_due(office: Office, on: str | date | None = None) -> list[ChaseItem]:
    """Third parties on open cases who were contacted and have not replied within their reply days."""
    from mpoffice_tui.services.reminders import add_working_days, nation, working_days_between

    day = parse_date(on) or today()
    nat = nation(office)
    with office.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT cp.id, c.id, c.ref, k.id, k.organisation || coalesce(' — ' || k.department, ''), "
            "cp.contacted_on, cp.reply_due, k.reply_days FROM case_parties cp "
            "JOIN cases c ON c.id = cp.case_id JOIN contacts k ON k.id = cp.contact_id "
            "WHERE cp.deleted = 0 AND c.deleted = 0 AND c.status != 'closed' AND cp.contacted_on IS NOT NULL "
            "AND cp.replied_on IS NULL")).fetchall()
    out = []
    for pid, cid, ref, kid, org, contacted, due, days in rows:
        due_day = parse_date(due) or add_working_days(parse_date(contacted), int(days or 20), nat)
        if due_day < day:
            out.append(ChaseItem(pid, cid, ref, kid, org, contacted, due_day.isoformat(),
                                 working_days_between(due_day, day, nat)))
    out.sort(key=lambda i: (i.reply_due, i.case_ref, i.party_id))
    return out


def chase_template(office: Office) -> TemplateView:
    """The office's chase letter: its first template of kind `chase` (the starter one when it has none)."""
    found = list_templates(office, "chase")
    if not found:
        load_starter_templates(office)
        found = list_templates(office, "chase")
    if not found:
        raise OfficeError("no chase letter template: add one of kind 'chase' (Templates screen, F9)")
    return found[0]


def preview_chase_letter(office: Office, party_id: str,
                         template: str | None = None) -> tuple[str, str, list[str]]:
    """The chase letter to a third party as it would be written: (subject, body, unknown fields)."""
    with office.engine.connect() as conn:
        r = conn.execute(text("SELECT case_id, contact_id FROM case_parties WHERE id = :id AND deleted = 0"),
                         {"id": party_id}).fetchone()
    if r is None or not r[1]:
        raise OfficeError("no such third party on a case")
    t = find_template(office, template) if template else chase_template(office)
    fields = merge_fields(office, r[0], recipient_contact_id=r[1], party_id=party_id)
    subject, unknown_s = render(t.subject, fields)
    body, unknown_b = render(t.body, fields)
    return subject, body, list(dict.fromkeys(unknown_s + unknown_b))


def write_chase_letter(office: Office, party_id: str, template: str | None = None) -> LetterView:
    """A chase letter to a third party that has not replied; their reply is then due again in
    their reply days from today."""
    from mpoffice_tui.services.reminders import add_working_days, nation

    with office.engine.connect() as conn:
        r = conn.execute(text("SELECT cp.case_id, cp.contact_id, k.reply_days FROM case_parties cp "
                              "LEFT JOIN contacts k ON k.id = cp.contact_id WHERE cp.id = :id AND cp.deleted = 0"),
                         {"id": party_id}).fetchone()
    if r is None or not r[1]:
        raise OfficeError("no such third party on a case")
    t = find_template(office, template) if template else chase_template(office)
    letter = write_letter(office, r[0], t.id, recipient_contact_id=r[1], party_id=party_id)
    with office.writing() as w:
        party = w.get(CaseParty, party_id)
        w.update(party, reply_due=add_working_days(today(), int(r[2] or 20), nation(office)).isoformat())
    return letter
