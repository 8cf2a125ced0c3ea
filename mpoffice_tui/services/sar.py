"""Subject access requests (issue 7): record them with their due dates, and build the pack.

A request is due one calendar month after it was received (the same day next month, or that month's
last day when it has no such day), and can be extended by up to two further months.

The pack for one person is a folder: `index.html` (readable; every value escaped), `data.json`
(everything, machine-readable) and `files/` (attachments). It holds everything the office has about
them: their record, consents, cases (their own, raised by them, or naming them as a party), messages,
notes, letters, tasks, attachments and earlier requests. Confidential notes and other people's
personal data (other constituents on their cases, third-party contacts, senders of messages) are
listed for review and redacted by default. The pack is plaintext on purpose: it is what the person
asked for; the export is audited.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SubjectAccessRequest
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import add_months

FORMAT = "mpoffice-sar/1"
REDACTED = "[third party]"
WITHHELD = "[confidential note withheld pending review]"


class PersonNotFound(OfficeError):
    exit_code = 2


class PersonAmbiguous(OfficeError):
    """More than one person matches; `candidates` lists (id, name, email, postcode)."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[tuple[str, str, str | None, str | None]]):
        super().__init__(message)
        self.candidates = candidates


# -- dates --------------------------------------------------------------------------------------
def due_date(received: date) -> date:
    return add_months(received, 1)


# -- requests -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SarView:
    id: str
    constituent_id: str
    person: str
    received_on: str
    due_on: str
    extended_to: str | None
    completed_on: str | None
    notes: str

    @property
    def effective_due(self) -> str:
        return self.extended_to or self.due_on

    def overdue(self, today: date | None = None) -> bool:
        return self.completed_on is None and self.effective_due < (today or date.today()).isoformat()


_SAR_SQL = ("SELECT r.id, r.constituent_id, trim(coalesce(p.forenames, '') || ' ' || coalesce(p.surname, '')), "
            "r.received_on, r.due_on, r.extended_to, r.completed_on, r.notes FROM subject_access_requests r "
            "LEFT JOIN constituents p ON p.id = r.constituent_id WHERE r.deleted = 0")


def _as_date(value: str | date | None, what: str) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise OfficeError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from exc


def new_request(office: Office, person: str, *, received_on: str | date | None = None, notes: str = "") -> SarView:
    """Record a request from a person (id, email or name); due one calendar month later."""
    access.require(office, "sar.manage")
    pid = resolve_person(office, person)
    received = _as_date(received_on, "received date")
    with office.writing() as w:
        r = w.insert(SubjectAccessRequest, constituent_id=pid, received_on=received.isoformat(),
                     due_on=due_date(received).isoformat(), notes=notes)
        w.audit("sar.new", target=f"constituent:{pid}", detail=f"request {r.id} due {r.due_on}")
    return get_request(office, r.id)


def get_request(office: Office, sar_id: str) -> SarView:
    with office.engine.connect() as conn:
        row = conn.execute(text(_SAR_SQL + " AND (r.id = :k OR r.id LIKE :p)"),
                           {"k": sar_id, "p": sar_id + "%"}).fetchall()
    if len(row) != 1:
        raise OfficeError(f"no single subject access request {sar_id!r}")
    return SarView(*row[0])


def list_requests(office: Office, *, open_only: bool = False) -> list[SarView]:
    access.require(office, "sar.manage")
    sql = _SAR_SQL + (" AND r.completed_on IS NULL" if open_only else "") + \
        " ORDER BY coalesce(r.extended_to, r.due_on), r.id"
    with office.engine.connect() as conn:
        return [SarView(*r) for r in conn.execute(text(sql))]


def extend(office: Office, sar_id: str, *, to: str | date | None = None, months: int = 2) -> SarView:
    """Extend the deadline (by up to two further months after the original due date)."""
    access.require(office, "sar.manage")
    view = get_request(office, sar_id)
    limit = add_months(date.fromisoformat(view.due_on), 2)
    new = _as_date(to, "extension date") if to is not None else add_months(date.fromisoformat(view.due_on), months)
    if new > limit:
        raise OfficeError(f"a request can be extended by at most two further months (to {limit.isoformat()})")
    with office.writing() as w:
        w.update(w.get(SubjectAccessRequest, view.id), extended_to=new.isoformat())
        w.audit("sar.extend", target=f"constituent:{view.constituent_id}", detail=f"request {view.id} to {new}")
    return get_request(office, view.id)


def complete(office: Office, sar_id: str, *, on: str | date | None = None) -> SarView:
    access.require(office, "sar.manage")
    view = get_request(office, sar_id)
    day = _as_date(on, "completion date")
    with office.writing() as w:
        w.update(w.get(SubjectAccessRequest, view.id), completed_on=day.isoformat())
        w.audit("sar.complete", target=f"constituent:{view.constituent_id}", detail=f"request {view.id}")
    return get_request(office, view.id)


# -- finding the person -------------------------------------------------------------------------
def _fold(s: str | None) -> str:
    return " ".join((s or "").casefold().split())


def resolve_person(office: Office, token: str) -> str:
    """A constituent id from an id, an email address or a name; raises if none or several match."""
    token = (token or "").strip()
    if not token:
        raise PersonNotFound("say whose data: a constituent id, email address or name")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, forenames, surname, preferred_name, email, postcode FROM constituents "
            "WHERE deleted = 0 AND merged_into IS NULL ORDER BY id").fetchall()
    if any(r[0] == token for r in rows):
        return token
    want = _fold(token)
    if "@" in token:
        found = [r for r in rows if _fold(r[4]) == want]
    else:
        found = [r for r in rows if want in (_fold(f"{r[1]} {r[2]}"), _fold(f"{r[3]} {r[2]}"))]
        if not found and " " not in want:
            found = [r for r in rows if _fold(r[2]) == want]
    if not found:
        raise PersonNotFound(f"no constituent matches {token!r}")
    if len(found) > 1:
        cands = [(r[0], f"{r[1]} {r[2]}".strip(), r[4], r[5]) for r in found]
        listing = "; ".join(f"{c[0]} {c[1]} {c[3] or ''}".strip() for c in cands[:20])
        raise PersonAmbiguous(f"{len(found)} people match {token!r}; give an id or email: {listing}", cands)
    return found[0][0]


# -- the pack -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewEntry:
    kind: str  # confidential_note | third_party | attachment | original_email
    table: str
    id: str
    reason: str
    redacted: bool


@dataclass(frozen=True)
class Pack:
    folder: Path
    constituent_id: str
    cases: tuple[str, ...]  # case ids
    messages: tuple[str, ...]
    notes: tuple[str, ...]
    letters: tuple[str, ...]
    attachments: tuple[str, ...]
    review: tuple[ReviewEntry, ...]
    replacements: int


@dataclass
class _Redactor:
    enabled: bool
    terms: set[str] = field(default_factory=set)
    own: set[str] = field(default_factory=set)
    count: int = 0
    _rx: re.Pattern | None = None

    def add(self, *values: str | None, parts: bool = False) -> None:
        for v in values:
            v = (v or "").strip()
            if len(v) < 3:
                continue
            self.terms.add(v)
            if parts:
                self.terms.update(p for p in re.split(r"[\s,]+", v) if len(p) >= 3)
            self._rx = None

    def __call__(self, value: Any) -> Any:
        if not self.enabled or not isinstance(value, str) or not value:
            return value
        if self._rx is None:
            own = {_fold(o) for o in self.own}
            terms = sorted((t for t in self.terms if _fold(t) not in own), key=len, reverse=True)
            if not terms:
                return value
            self._rx = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.I)
        new, n = self._rx.subn(REDACTED, value)
        self.count += n
        return new


def _rows(conn, sql: str, params: dict) -> list[dict]:
    res = conn.execute(text(sql), params)
    cols = list(res.keys())
    return [dict(zip(cols, r, strict=True)) for r in res]


def _in(ids: list[str], prefix: str) -> tuple[str, dict]:
    if not ids:
        return "(NULL)", {}
    return "(" + ",".join(f":{prefix}{i}" for i in range(len(ids))) + ")", {f"{prefix}{i}": v for i, v in enumerate(ids)}


_PERSON = ["forenames", "surname", "preferred_name", "email", "phone", "address1", "address2", "address3",
           "town", "postcode", "date_of_birth"]


def build_pack(office: Office, person: str, target: str | Path, *, redact: bool = True,
               include_confidential: bool = False, purpose: str = "sar", audit: bool = True) -> Pack:
    """Write the pack for one person (id, email or name) into a new or empty folder `target`."""
    access.require(office, "export")
    if include_confidential:
        access.require(office, "note.confidential")
    pid = resolve_person(office, person)
    folder = Path(target)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OfficeError(f"{folder}: choose a new or empty folder for the pack")
    with office.engine.connect() as conn:
        data, review, red, attach = _collect(conn, pid, redact=redact, include_confidential=include_confidential)
    folder.mkdir(parents=True, exist_ok=True)
    files = folder / "files"
    for a, blob in attach:
        files.mkdir(exist_ok=True)
        (files / a["file"].split("/", 1)[1]).write_bytes(blob)
    data.update({"format": FORMAT, "purpose": purpose, "generated_at": utcnow(), "office": office.name,
                 "review": [r.__dict__ for r in review],
                 "redaction": {"enabled": redact, "replacements": red.count,
                               "confidential_notes_included": include_confidential}})
    (folder / "data.json").write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (folder / "index.html").write_text(render_html(data), encoding="utf-8")
    cases = data["cases"]
    pack = Pack(folder, pid, tuple(c["id"] for c in cases),
                tuple(m["id"] for c in cases for m in c["messages"]) + tuple(m["id"] for m in data["other_messages"]),
                tuple(n["id"] for c in cases for n in c["notes"]), tuple(x["id"] for c in cases for x in c["letters"]),
                tuple(a["id"] for a in data["attachments"]), tuple(review), red.count)
    if audit:
        shown = [n["id"] for c in cases for n in c["notes"] if n["confidential"] and include_confidential]
        with office.writing() as w:
            w.audit(f"{purpose}.pack", target=f"constituent:{pid}",
                    detail=f"{len(pack.cases)} cases, {len(pack.messages)} messages, {len(pack.notes)} notes, "
                           f"{len(pack.attachments)} attachments; redaction {'on' if redact else 'off'}, "
                           f"{len(review)} items for review")
            if shown:
                w.audit("note.view_confidential", target=f"constituent:{pid}",
                        detail=f"{len(shown)} confidential note(s) exported in a {purpose} pack")
    return pack


def _collect(conn, pid: str, *, redact: bool, include_confidential: bool):
    red = _Redactor(redact)
    review: list[ReviewEntry] = []
    staff = dict(conn.exec_driver_sql("SELECT id, name FROM staff").fetchall())
    subject = _rows(conn, "SELECT * FROM constituents WHERE id = :id", {"id": pid})[0]
    red.own.update(str(subject.get(k) or "") for k in _PERSON)
    if subject.get("safety_details"):
        review.append(ReviewEntry("safety_note", "constituents", pid, "a safety note about the person: check "
                                  "whether an exemption applies before release", False))
    red.own.update(p for k in ("forenames", "surname", "preferred_name")
                   for p in str(subject.get(k) or "").split())
    case_rows = _rows(conn, "SELECT * FROM cases WHERE constituent_id = :id OR raised_by_id = :id OR id IN "
                      "(SELECT case_id FROM case_parties WHERE constituent_id = :id) ORDER BY opened_at, id", {"id": pid})
    case_ids = [c["id"] for c in case_rows]
    cin, cparams = _in(case_ids, "c")
    # third parties: other constituents on these cases, contacts, senders who are not the subject
    others = {c[k] for c in case_rows for k in ("constituent_id", "raised_by_id") if c.get(k) and c[k] != pid}
    parties = _rows(conn, f"SELECT * FROM case_parties WHERE case_id IN {cin} ORDER BY created_at, id", cparams)
    others |= {p["constituent_id"] for p in parties if p["constituent_id"] and p["constituent_id"] != pid}
    oin, oparams = _in(sorted(others), "o")
    for o in _rows(conn, f"SELECT * FROM constituents WHERE id IN {oin}", oparams):
        red.add(f"{o['forenames']} {o['surname']}", o["forenames"], o["surname"], o["preferred_name"], parts=True)
        red.add(o["email"], o["phone"], o["address1"], o["date_of_birth"])
        review.append(ReviewEntry("third_party", "constituents", o["id"],
                                  "another constituent named on the person's cases", redact))
    contact_ids = sorted({p["contact_id"] for p in parties if p["contact_id"]})
    kin, kparams = _in(contact_ids, "k")
    contacts = {k["id"]: k for k in _rows(conn, f"SELECT * FROM contacts WHERE id IN {kin}", kparams)}
    for k in contacts.values():
        red.add(k["name"], parts=True)
        red.add(k["email"], k["phone"])
        if k["name"] or k["email"] or k["phone"]:
            review.append(ReviewEntry("third_party", "contacts", k["id"], "a named person at a third-party "
                                      "organisation", redact))
    messages = _rows(conn, f"SELECT * FROM messages WHERE case_id IN {cin} OR constituent_id = :pid "
                     "ORDER BY received_at, id", {**cparams, "pid": pid})
    own_email = _fold(subject.get("email"))
    for m in messages:
        if m["direction"] == "in" and m["sender_email"] and _fold(m["sender_email"]) != own_email:
            red.add(m["sender_name"], parts=True)
            red.add(m["sender_email"])
            review.append(ReviewEntry("third_party", "messages", m["id"], "sent by someone else", redact))
        if m["raw_hash"]:
            review.append(ReviewEntry("original_email", "messages", m["id"], "the original email source is held; "
                                      "only its text is in the pack (the source may name others)", True))
    mids = [m["id"] for m in messages]
    min_, mparams = _in(mids, "m")
    atts = _rows(conn, f"SELECT * FROM attachments WHERE case_id IN {cin} OR message_id IN {min_} ORDER BY created_at, id",
                 {**cparams, **mparams})
    notes = _rows(conn, f"SELECT * FROM notes WHERE case_id IN {cin} ORDER BY created_at, id", cparams)
    letters = _rows(conn, f"SELECT * FROM letters WHERE case_id IN {cin} ORDER BY created_at, id", cparams)
    tasks = _rows(conn, f"SELECT * FROM tasks WHERE case_id IN {cin} ORDER BY created_at, id", cparams)
    consents = _rows(conn, "SELECT * FROM consents WHERE constituent_id = :id ORDER BY given_on, created_at, id", {"id": pid})
    sars = _rows(conn, "SELECT * FROM subject_access_requests WHERE constituent_id = :id", {"id": pid})

    def clean(row: dict, drop: tuple[str, ...] = ()) -> dict:
        out = {}
        for k, v in row.items():
            if k in drop or isinstance(v, (bytes, memoryview)):
                continue
            out[k] = red(v) if k not in ("id", "created_at", "updated_at") and not k.endswith("_id") else v
        return out

    def note(n: dict) -> dict:
        d = clean(n)
        d["author"] = staff.get(n["author_id"])
        d["confidential"] = bool(n["confidential"])
        if n["confidential"]:
            review.append(ReviewEntry("confidential_note", "notes", n["id"], "confidential note",
                                      not include_confidential))
            if not include_confidential:
                d["body"] = WITHHELD
        return d

    def party(p: dict) -> dict:
        d = {"id": p["id"], "role": red(p["role"]), "contacted_on": p["contacted_on"],
             "reply_due": p["reply_due"], "replied_on": p["replied_on"]}
        if p["constituent_id"] == pid:
            d["person"] = "the requester"
        elif p["constituent_id"]:
            d["person"] = REDACTED if redact else p["constituent_id"]
        if p["contact_id"] in contacts:
            k = contacts[p["contact_id"]]
            d["organisation"] = " — ".join(x for x in (k["organisation"], k["department"]) if x)
            if not redact:
                d.update({"name": k["name"], "email": k["email"], "phone": k["phone"]})
        return d

    attachments, attach_files = [], []
    for i, a in enumerate(atts):
        safe = re.sub(r"[^\w.\-]+", "_", a["filename"] or "file")[-80:] or "file"
        name = f"files/{i + 1:03d}-{safe}"
        blob = blobs.read(conn, a["blob_hash"]) or b""
        if a["content_type"].startswith("text/") and redact:
            blob = red(blob.decode("utf-8", "replace")).encode("utf-8")
        else:
            review.append(ReviewEntry("attachment", "attachments", a["id"], "a file that may name other people: "
                                      "check it before release", False))
        d = clean(a, ("blob_hash",))
        d.update(file=name, sha256_held=a["blob_hash"], bytes_in_pack=len(blob))
        attachments.append(d)
        attach_files.append((d, blob))
    by_case = {cid: {"messages": [], "notes": [], "letters": [], "tasks": [], "parties": []} for cid in case_ids}
    other_messages = []
    for m in messages:
        d = clean(m, ("raw_hash", "content_hash"))
        d["author"] = staff.get(m["author_id"])
        (by_case[m["case_id"]]["messages"] if m["case_id"] in by_case else other_messages).append(d)
    for n in notes:
        by_case[n["case_id"]]["notes"].append(note(n))
    for x in letters:
        by_case[x["case_id"]]["letters"].append({**clean(x), "author": staff.get(x["author_id"])})
    for t in tasks:
        by_case[t["case_id"]]["tasks"].append(clean(t))
    for p in parties:
        by_case[p["case_id"]]["parties"].append(party(p))
    cases = []
    for c in case_rows:
        role = "subject" if c["constituent_id"] == pid else ("raised by the requester" if c["raised_by_id"] == pid
                                                               else "named as a party")
        cases.append({**clean(c), "requester_is": role, "assignee": staff.get(c["assignee_id"]), **by_case[c["id"]]})
    data = {"subject": {k: v for k, v in subject.items() if k not in ("merged_into",)},
            "consents": [clean(c) for c in consents], "cases": cases, "other_messages": other_messages,
            "attachments": attachments, "subject_access_requests": [clean(s) for s in sars]}
    return data, review, red, attach_files


# -- HTML ---------------------------------------------------------------------------------------
def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _table(d: dict, keys: list[str] | None = None) -> str:
    keys = keys or [k for k in d if not isinstance(d[k], (list, dict))]
    return "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(d.get(k))}</td></tr>" for k in keys
                               if d.get(k) not in (None, "")) + "</table>"


def render_html(data: dict) -> str:
    """A readable, self-contained index of the pack (every value escaped; no scripts, no links out)."""
    s = data["subject"]
    name = f"{s.get('forenames') or ''} {s.get('surname') or ''}".strip()
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>Information held about {_e(name)}</title><style>body{{font-family:sans-serif;max-width:60em;"
           "margin:auto}th{text-align:left;padding-right:1em;vertical-align:top}td{white-space:pre-wrap}"
           ".item{border-left:3px solid #888;padding-left:1em;margin:1em 0}</style></head><body>",
           f"<h1>Information held about {_e(name)}</h1>",
           f"<p>Prepared by {_e(data.get('office'))} on {_e(data.get('generated_at'))} ({_e(data.get('purpose'))}).</p>"]
    if data.get("review"):
        out.append("<h2>For review before release</h2><ul>")
        out += [f"<li>{_e(r['kind'])}: {_e(r['table'])} {_e(r['id'])} — {_e(r['reason'])}"
                f"{' (redacted)' if r['redacted'] else ''}</li>" for r in data["review"]]
        out.append("</ul>")
    out += ["<h2>Your record</h2>", _table(s)]
    if data["consents"]:
        out.append("<h2>Consents</h2>" + "".join(_table(c) for c in data["consents"]))
    for c in data["cases"]:
        out.append(f"<h2>Case {_e(c.get('ref'))}: {_e(c.get('title'))}</h2>")
        out.append(_table(c))
        for p in c["parties"]:
            out.append(f"<div class='item'><b>Party</b>{_table(p)}</div>")
        for kind in ("messages", "notes", "letters", "tasks"):
            for item in c[kind]:
                body = item.get("body_text") or item.get("body") or ""
                head = item.get("subject") or item.get("title") or kind[:-1]
                out.append(f"<div class='item'><h3>{_e(kind[:-1].title())}: {_e(head)}</h3>"
                           f"{_table(item, [k for k in item if k not in ('body_text', 'body')])}"
                           f"<p style='white-space:pre-wrap'>{_e(body)}</p></div>")
    if data["other_messages"]:
        out.append("<h2>Messages not on a case</h2>")
        for m in data["other_messages"]:
            out.append(f"<div class='item'><h3>{_e(m.get('subject'))}</h3>{_table(m, ['received_at', 'channel', 'direction', 'sender_name'])}"
                       f"<p style='white-space:pre-wrap'>{_e(m.get('body_text'))}</p></div>")
    if data["attachments"]:
        out.append("<h2>Files</h2><ul>")
        out += [f"<li>{_e(a.get('file'))} ({_e(a.get('filename'))}, {_e(a.get('content_type'))}, "
                f"{_e(a.get('bytes_in_pack'))} bytes)</li>" for a in data["attachments"]]
        out.append("</ul>")
    if data["subject_access_requests"]:
        out.append("<h2>Subject access requests</h2>" + "".join(_table(r) for r in data["subject_access_requests"]))
    out.append("</body></html>\n")
    return "\n".join(out)


def pack_digest(folder: Path) -> str:
    """A digest of the pack's files (for the audit trail or a covering letter)."""
    h = hashlib.sha256()
    for f in sorted(Path(folder).rglob("*")):
        if f.is_file():
            h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
