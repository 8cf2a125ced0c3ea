"""The subject access pack (issue 17): what is sent to the person, and the reviewer's checklist (not sent).

`build_pack(office, person, DIR)` writes:

- `DIR/send/information-held.pdf`: a covering letter on the letterhead saying what the law asks for (what
  is held, why, where it came from, who it was shared with, how long it is kept, the person's rights,
  how to complain to the ICO), then their record, consents and cases in time order, with messages, notes
  and letters as readable documents;
- `DIR/send/information-held.json`: the same content, for portability;
- `DIR/send/files/`: the files held (text files redacted like the rest);
- `DIR/reviewer-checklist-do-not-send.txt`: what was withheld and what needs a decision before release.

No internal identifiers, flags or review items are in what is sent. Other people's personal data is
withheld as proposed by `sar_redaction` and decided by the reviewer. The pack is plaintext on purpose (it
is what the person asked for); building it is audited.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mpoffice_tui import files as files_
from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import access, pdf, retention
from mpoffice_tui.services.clock import today
from mpoffice_tui.services.constituent_fields import salutation
from mpoffice_tui.services.letter_pdf import draw_letter
from mpoffice_tui.services.letters import LetterLayout, letterhead, long_date, office_fields
from mpoffice_tui.services.sar import resolve_person
from mpoffice_tui.services.sar_held import Entry, Held, Passage, gather
from mpoffice_tui.services.sar_redaction import (
    REDACTED,
    Proposal,
    apply,
    decisions_for,
    office_lines,
    propose,
)
from mpoffice_tui.services.sar_requests import EXTENSION_REASONS, SarView, list_requests

FORMAT = "mpoffice-sar/2"
SEND = "send"
PDF_NAME = "information-held.pdf"
JSON_NAME = "information-held.json"
CHECKLIST_NAME = "reviewer-checklist-do-not-send.txt"
HEADINGS = ("Your request", "What we hold about you", "Why we hold it", "Where it came from",
            "Who it was shared with", "How long we keep it", "Your rights", "How to complain")
ICO = ("Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF; "
       "telephone 0303 123 1113; ico.org.uk/make-a-complaint")


class AuthorityMissing(OfficeError):
    """A representative asked, and no authority to act for the person has been recorded."""

    exit_code = 2


@dataclass(frozen=True)
class Pack:
    folder: Path
    constituent_id: str
    pdf: Path
    json: Path
    checklist: Path
    cases: tuple[str, ...]  # internal ids of what went in (for the audit trail and tests)
    messages: tuple[str, ...]
    notes: tuple[str, ...]
    withheld_notes: tuple[str, ...]
    letters: tuple[str, ...]
    attachments: tuple[str, ...]
    proposals: tuple[Proposal, ...]

    @property
    def withheld(self) -> int:
        """Passages of other people's data withheld (the true count)."""
        return sum(1 for p in self.proposals if p.withheld)

    @property
    def released(self) -> int:
        return sum(1 for p in self.proposals if not p.withheld)


@dataclass(frozen=True)
class CoveringLetter:
    """The covering letter: a letter's layout (letterhead, date, address, salutation, subject, opening,
    sign-off) with the required sections between the opening and the sign-off."""

    layout: LetterLayout
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, paragraphs)


# -- the covering letter ----------------------------------------------------------------------------
def _salutation(held: Held, request: SarView | None) -> tuple[str, tuple[str, ...]]:
    if request is not None and request.by_representative:
        lines = [request.requester_name or ""] + [x.strip() for x in (request.requester_address or "").splitlines()
                                                  if x.strip()]
        return f"Dear {request.requester_name}", tuple(lines)
    me = held.people["subject"]
    sal = salutation(me.get("title"), me.get("forenames"), me.get("preferred_name"), me.get("surname"))
    return sal, (held.record[0][1], *held.address)


def covering_letter(office: Office, held: Held, request: SarView | None, withheld: int, on: date) -> CoveringLetter:
    """The letter's words: each heading of HEADINGS, in plain English, for this person's data."""
    f = office_fields(office)
    mp = f["mp_name"] or f["office_name"]
    salutation, address = _salutation(held, request)
    received = long_date(request.received_on) if request else None
    if request is not None and request.by_representative:
        asked = (f"On {received} we received a request from you, as {request.requester_relation or 'representative'}, "
                 f"on behalf of {held.name}, for a copy of the personal information we hold about them. In this "
                 f"letter 'you' means {held.name}. This pack holds {held.name}'s information only.")
    elif received:
        asked = f"On {received} we received your request for a copy of the personal information we hold about you."
    else:
        asked = "You asked for a copy of the personal information we hold about you."
    request_paras = [asked, "This letter explains what we hold and why, and the pages after it set out the "
                     "information itself. The same information is enclosed as a JSON file, which a computer can "
                     "read, should you wish to take it elsewhere."]
    if request is not None and request.extended_to:
        request_paras.append(f"We extended the time to answer to {long_date(request.extended_to)} because "
                             f"{EXTENSION_REASONS.get(request.extension_reason or '', 'the request is complex')}.")
    n_items = sum(len(c.entries) for c in held.cases) + len(held.other)
    what = [f"Your contact details and how you would like us to deal with you ({len(held.record)} items)."]
    if held.cases:
        what.append(f"{len(held.cases)} case{'s' if len(held.cases) != 1 else ''} we have worked on with or for you ("
                    + ", ".join(c.ref for c in held.cases) + f"), with {n_items} emails, letters, calls, notes "
                    "and actions on them, in date order.")
    if held.consents:
        what.append("Your consent for us to act for you.")
    if held.files:
        what.append(f"{len(held.files)} file{'s' if len(held.files) != 1 else ''} you or others sent us.")
    why = [f"{mp} holds this information to help you with the matters you raised, as your Member of Parliament. "
           "The law allows this as a task carried out in the public interest (UK GDPR Article 6(1)(e)) and, for "
           "sensitive information such as health, by the Data Protection Act 2018 (Schedule 1, paragraph 23: "
           "elected representatives responding to requests)."]
    came = ["We received it from: " + "; ".join(held.sources) + "." if held.sources else
            "We received it from you."]
    shared = (["To help you, we shared the information needed with: " + "; ".join(held.recipients) + "."]
              if held.recipients else ["We have not shared your information with anyone outside the office."])
    shared.append("We do not sell your information or use it for any other purpose, and no decision about you is "
                  "made by automated means.")
    kept = retention.describe(retention.get_policy(office), held.categories)
    rights = ["You have the right to ask us to correct information that is wrong, to delete it, to limit what we "
              "do with it, or to object to our using it; and to have the information you gave us in a form a "
              "computer can read (the enclosed JSON file). Write to us at the address above to use any of these "
              "rights."]
    complain = [f"If you are unhappy with how we have handled your information, please tell us first. You also "
                f"have the right to complain to the {ICO}."]
    sections = [("Your request", tuple(request_paras)), ("What we hold about you", tuple(what)),
                ("Why we hold it", tuple(why)), ("Where it came from", tuple(came)),
                ("Who it was shared with", tuple(shared)), ("How long we keep it", tuple(kept)),
                ("Your rights", tuple(rights)), ("How to complain", tuple(complain))]
    held_back = len(held.ids.get("withheld_notes", ()))
    if withheld or held_back:
        paras = []
        if withheld:
            paras.append(f"We have withheld {withheld} passage{'s' if withheld != 1 else ''} that are other people's "
                         f"personal information (their names, contact details or addresses), shown as {REDACTED}. "
                         "The law does not allow us to give you another person's information without their consent.")
        if held_back:
            paras.append(f"We have withheld {held_back} further item{'s' if held_back != 1 else ''} under an "
                         "exemption in the Data Protection Act 2018.")
        sections.insert(2, ("What we have withheld", tuple(paras)))
    subject = (f"Request for the personal information of {held.name}" if request is not None
               and request.by_representative else f"Your request for your personal information: {held.name}")
    head = letterhead(office)
    layout = LetterLayout(head.lines, long_date(on), address, f"{salutation},", subject, (), "Yours sincerely,",
                          (mp,), mp_name=head.mp_name, westminster=head.westminster, footer=head.footer,
                          logo=head.logo, signature_image=head.signature_image,
                          author=head.lines[0] if head.lines else "")
    return CoveringLetter(layout, tuple(sections))


def render_covering_letter(doc: pdf.Document, letter: CoveringLetter) -> None:
    """The covering letter on the office's letterhead (the one letter layout: logo, addresses, window
    envelope, signature), its required sections as headed paragraphs."""

    def sections(d: pdf.Document) -> None:
        for heading, paras in letter.sections:
            d.heading(heading, size=12)
            for p in paras:
                d.para(p)

    draw_letter(doc, letter.layout, body=sections)


# -- the information itself ---------------------------------------------------------------------------
def _when(stamp: str) -> str:
    day = long_date(stamp[:10]) if stamp else ""
    return f"{day}, {stamp[11:16]}" if len(stamp) >= 16 and stamp[11:16] != "00:00" else day


def _content(held: Held, red: dict[tuple[str, str, str], list[Proposal]]) -> dict[str, Any]:
    """The person's information as plain data (the JSON, and what the PDF shows)."""
    def t(p: Passage | str) -> str:
        return apply(p, red) if isinstance(p, Passage) else p

    def entry(e: Entry) -> dict[str, Any]:
        d: dict[str, Any] = {"date": _when(e.at), "what": e.kind}
        for label, v in e.lines:
            d[label.lower()] = t(v)
        if e.body is not None:
            d["text"] = t(e.body).strip()
        return d

    return {
        "your_details": dict(held.record),
        "consents": list(held.consents),
        "cases": [{"reference": c.ref, "title": t(c.title), "category": c.category, "status": c.status,
                   "opened": long_date(c.opened), "closed": long_date(c.closed) if c.closed else None,
                   "handled_by": c.handled_by, "your_part": c.your_part,
                   "organisations_contacted": c.organisations, "items": [entry(e) for e in c.entries]}
                  for c in held.cases],
        "not_on_a_case": [entry(e) for e in held.other],
        "files": [{"name": t(f.name), "case": f.case_ref, "type": f.content_type} for f in held.files],
        "earlier_requests": list(held.requests),
    }


def _render_content(doc: pdf.Document, content: dict[str, Any], name: str) -> None:
    doc.add_page()
    doc.heading(f"The information we hold about {name}", size=15)
    doc.heading("Your details", size=12)
    doc.table(("", ""), [(k, v) for k, v in content["your_details"].items()], widths=(45, 125))
    if content["consents"]:
        doc.heading("Your consent", size=12)
        for c in content["consents"]:
            doc.para(c, gap=1)
        doc.ln(2)
    for c in content["cases"]:
        doc.heading(f"Case {c['reference']}: {c['title']}", size=13)
        facts = [f"Opened {c['opened']}", c["category"], c["status"]]
        if c["closed"]:
            facts.append(f"closed {c['closed']}")
        if c["handled_by"]:
            facts.append(f"handled by {c['handled_by']}")
        doc.para(" · ".join(facts) + f". This is {c['your_part']}.", italic=True, size=10)
        if c["organisations_contacted"]:
            doc.para("Organisations we contacted: " + "; ".join(c["organisations_contacted"]) + ".", size=10)
        for item in c["items"]:
            _render_item(doc, item)
    if content["not_on_a_case"]:
        doc.heading("Messages not on a case", size=13)
        for item in content["not_on_a_case"]:
            _render_item(doc, item)
    if content["files"]:
        doc.heading("Files", size=12)
        doc.para("These files are enclosed in the folder 'files'.", size=10)
        for f in content["files"]:
            doc.para(f"{f['name']}" + (f" (case {f['case']})" if f["case"] else ""), gap=1, size=10)
        doc.ln(2)
    if content["earlier_requests"]:
        doc.heading("Your earlier requests for your information", size=12)
        for r in content["earlier_requests"]:
            doc.para(r, gap=1, size=10)


def _render_item(doc: pdf.Document, item: dict[str, Any]) -> None:
    if doc.get_y() > doc.h - pdf.MARGIN - 35:
        doc.add_page()
    doc.para(f"{item['date']} — {item['what']}", bold=True, gap=1)
    for key, value in item.items():
        if key not in ("date", "what", "text"):
            doc.para(f"{key.capitalize()}: {value}", size=10, gap=0.5)
    if item.get("text"):
        doc.para(item["text"], gap=4)
    else:
        doc.ln(3)


# -- the pack -----------------------------------------------------------------------------------------
def _open_request(office: Office, pid: str, request_id: str | None) -> SarView | None:
    found = list_requests(office, constituent_id=pid)
    if request_id:
        chosen = [r for r in found if r.id == request_id or r.id.startswith(request_id)]
        if len(chosen) != 1:
            raise OfficeError(f"no single subject access request {request_id!r} for this person")
        return chosen[0]
    pending = [r for r in found if not r.completed_on]
    return pending[-1] if pending else (found[-1] if found else None)


def _checklist(held: Held, proposals: list[Proposal], request: SarView | None, redact: bool) -> str:
    out = [f"REVIEWER'S CHECKLIST: subject access pack for {held.name}. DO NOT SEND THIS FILE.", ""]
    if request is not None:
        out.append(f"Request received {request.received_on}, due {request.effective_due}; made by "
                   f"{request.requested_by}.")
        if request.by_representative:
            out.append(f"Authority for the representative: {request.authority}. The pack holds the data "
                       "subject's data only; it is addressed to the representative.")
        out.append("")
    withheld = [p for p in proposals if p.withheld]
    out.append(f"Other people's details withheld: {len(withheld)} passage(s); released by the reviewer: "
               f"{len(proposals) - len(withheld)}; not yet reviewed: {sum(1 for p in proposals if not p.decided)}."
               if redact else "Redaction is OFF: other people's details are in the pack.")
    for p in proposals:
        state = "withheld" if p.withheld else "RELEASED"
        out.append(f"  [{p.key[:8]}] {state}: {p.label} in {p.where}: ...{p.before[-30:]}«{p.text}»{p.after[:30]}...")
    out.append("")
    out += [f"- {c}" for c in held.checklist] or ["- Nothing else needs a decision."]
    out.append("")
    out.append("Send only the folder 'send'. Keep the pack on an encrypted drive and delete it once sent.")
    return "\n".join(out) + "\n"


def build_pack(office: Office, person: str, target: str | Path, *, redact: bool = True,
               include_confidential: bool = False, purpose: str = "sar", audit: bool = True,
               request_id: str | None = None) -> Pack:
    """Write the pack for one person (id, email or name) into a new or empty folder `target` (see the module)."""
    access.require(office, "export")
    if include_confidential:
        access.require(office, "note.confidential")
    pid = resolve_person(office, person)
    request = _open_request(office, pid, request_id) if purpose == "sar" and access.can(office, "sar.manage") else None
    if request is not None and request.by_representative and not request.authority:
        raise AuthorityMissing(f"{request.requester_name} asked on behalf of the person: record the authority "
                               f"seen first (mpoffice sar authority {request.id[:13]} \"signed form of authority\"); "
                               "nothing was written")
    folder = Path(target)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OfficeError(f"{folder}: choose a new or empty folder for the pack")
    lines = office_lines(office)
    with office.engine.connect() as conn:
        held = gather(conn, pid, include_confidential=include_confidential)
        proposals = propose(conn, held, decisions_for(conn, pid), lines) if redact else []
    red: dict[tuple[str, str, str], list[Proposal]] = {}
    for p in proposals:
        red.setdefault((p.table, p.row_id, p.field), []).append(p)
    withheld = sum(1 for p in proposals if p.withheld)
    on = today()
    letter = covering_letter(office, held, request, withheld, on)
    content = _content(held, red)
    data = {"format": FORMAT, "purpose": purpose, "prepared_on": on.isoformat(),
            "office": letter.layout.letterhead[0] if letter.layout.letterhead else office.name,
            "person": held.name,
            "covering_letter": {"date": letter.layout.date, "to": list(letter.layout.address),
                                "sections": [{"heading": h, "text": list(p)} for h, p in letter.sections]},
            **content,
            "withheld": {"other_people": withheld, "items_under_exemption": len(held.ids.get("withheld_notes", ()))}}
    doc = pdf.Document(title=f"Information held about {held.name}", author=data["office"],
                       subject="Subject access request")
    render_covering_letter(doc, letter)
    _render_content(doc, content, held.name)
    send = folder / SEND
    try:
        send.mkdir(parents=True, exist_ok=True)
        files_.write_private(send / JSON_NAME, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
        for i, f in enumerate(held.files):
            safe = re.sub(r"[^\w.\-]+", "_", _file_name(f.name, red))[-80:] or "file"
            body = apply(f.text, red).encode("utf-8") if f.text is not None and redact else f.data
            (send / "files").mkdir(exist_ok=True)
            files_.write_private(send / "files" / f"{i + 1:03d}-{safe}", body)
        files_.write_private(folder / CHECKLIST_NAME, _checklist(held, proposals, request, redact).encode("utf-8"))
    except OSError as exc:
        raise OfficeError(f"{folder}: cannot write the pack ({exc.strerror or exc})") from exc
    pdf.save(doc.to_bytes(), send / PDF_NAME, "subject access pack")
    pack = Pack(folder, pid, send / PDF_NAME, send / JSON_NAME, folder / CHECKLIST_NAME, tuple(held.ids["cases"]),
                tuple(held.ids["messages"]), tuple(held.ids["notes"]), tuple(held.ids.get("withheld_notes", ())),
                tuple(held.ids["letters"]), tuple(held.ids["attachments"]), tuple(proposals))
    if audit:
        with office.writing() as w:
            w.audit(f"{purpose}.pack", target=f"constituent:{pid}",
                    detail=f"{len(pack.cases)} cases, {len(pack.messages)} messages, {len(pack.notes)} notes, "
                           f"{len(pack.attachments)} attachments; redaction {'on' if redact else 'off'}: "
                           f"{pack.withheld} passages withheld, {pack.released} released"
                           + (f"; request {request.id}" if request else ""))
            if held.ids.get("confidential_notes"):
                w.audit("note.view_confidential", target=f"constituent:{pid}",
                        detail=f"confidential notes exported in a {purpose} pack")
    return pack


def _file_name(p: Passage, red: dict[tuple[str, str, str], list[Proposal]]) -> str:
    return apply(p, red).replace(REDACTED, "withheld")
