"""Other people's personal data in a subject access pack: found, proposed for withholding, reviewed (issue 17).

What is withheld is other *people's* data, never a list of words: names, email addresses, phone numbers,
postal addresses and dates of birth of other constituents, family members, neighbours, people who wrote
in, and named officers at organisations. They are found two ways:

- from the office's own records: every other constituent's name (as given, or preferred, with the
  surname), a title with another person's surname ("Mrs Thirdpartyson"), the forenames of people linked
  to the person's cases, contacts that are people, senders of messages on the cases;
- from the text: email addresses, UK phone numbers, street addresses and the postcodes after them,
  postcodes of other people on record, dates of birth ("born 3/4/2012", "DOB"), and names after a
  relationship ("my son Jack", "her neighbour, Mrs Patel").

The person's own details, the office's staff and the MP, and organisations and public bodies (the
office's contacts with an organisation, their addresses, phones and shared mailboxes; anything named
Council, Department, Agency, Police, NHS ...) are never withheld. Each proposal has a stable `key`;
a reviewer keeps or releases each (`decide`), and the pack applies the decisions. The count in the
summary is the number of passages withheld, not of words.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import RedactionDecision
from mpoffice_tui.services import access
from mpoffice_tui.services.sar import fold, resolve_person
from mpoffice_tui.services.sar_held import Held, Passage, gather, passages

REDACTED = "[other person's details withheld]"
CONTEXT = 60  # characters of context either side, for the reviewer
KINDS = {"name": "a name", "email": "an email address", "phone": "a phone number", "address": "an address",
         "postcode": "a postcode", "date_of_birth": "a date of birth", "sender": "who wrote"}


def _words(s: str) -> list[str]:
    return s.split()


# Words that make a run of capitalised words an organisation or a place, never a person.
ORG_WORDS = frozenset(_words("""council department dept agency office police nhs trust service services borough county
district city ministry authority association ltd limited plc llp court tribunal school academy college university
hospital surgery practice centre center bank group partnership commission board committee parliament house home
homes housing team unit benefits revenue customs foundation charity society church federation union clinic
library station estate estates government gov hmrc dwp ombudsman regulator network company corporation
citizens advice jobcentre inc uk england wales scotland ireland britain"""))
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "lady", "lord")
RELATIONS = ("son|daughter|child|children|kids?|baby|husband|wife|partner|ex-partner|ex-husband|ex-wife|mother|"
             "father|mum|mom|dad|brother|sister|stepson|stepdaughter|stepfather|stepmother|grandson|granddaughter|"
             "grandmother|grandfather|grandma|grandad|granddad|nan|gran|aunt|auntie|uncle|nephew|niece|cousin|"
             "neighbou?rs?|landlord|landlady|carer|friend|flatmate|lodger|tenant|boyfriend|girlfriend|"
             "fianc[ée]e?|lad|girl|boy")
NOT_NAMES = frozenset(_words("""i i'm i've he she they it we you and but the this that there then when what who how why
is was has had have will would can could did does do not no yes so if on in at to for from of a an as
our my his her their its all some both also just please thanks thank dear regards yours"""))
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*\w)?")
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(0\)\s?|\+44\s?|0)(?:\d[\s\-]?){8,9}\d(?!\d)")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
_STREET = re.compile(
    r"\b(?:Flat\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+(?:" + _CAP + r"\s+){1,3}"
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Court|Crescent|Place|Gardens|Terrace|Grove|Hill|"
    r"Walk|Row|Square|Mews|Rise|Park|View|Yard|Green|Parade|Vale|Croft|Fields|Meadow|Wharf|Quay|Cottages|Gate)\b"
    r"(?:,?\s*(?:" + _CAP + r"(?:\s+" + _CAP + r")?,?\s+)?[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b)?")
_DATE = r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\s+\d{4}"
_DOB = re.compile(r"(?i:\b(?:born(?:\s+on)?|d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birthday)\b\s*(?:is|was|:|-)?\s*)"
                  r"(" + _DATE + r")")
_RELATION = re.compile(r"(?i:\b(?:my|his|her|their|our|the|a)\s+(?:(?:late|eldest|youngest|older|younger|little|"
                       r"elder|new|former|next[\s-]door)\s+)?(?:" + RELATIONS + r")\b,?\s+(?:called\s+|named\s+)?)"
                       r"(" + _CAP + r"(?:\s+" + _CAP + r"){0,2})")
_ROLE_MAILBOX = frozenset(_words("""info enquiries enquiry contact admin office casework help support noreply no-reply
mp members complaints team general mail post reception housing council customerservices"""))


@dataclass(frozen=True)
class Proposal:
    """A passage proposed for withholding, in its context, and whether it is withheld after review."""

    key: str
    kind: str  # a key of KINDS
    table: str
    row_id: str
    field: str
    start: int
    end: int
    text: str
    before: str
    after: str
    where: str  # "Case AB-0001: Email to the office, 2024-03-05" (for the reviewer)
    withheld: bool = True
    decided: bool = False

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def _key(p: Passage, start: int, found: str) -> str:
    raw = "\x1f".join((p.table, p.row_id, p.field, str(start), found))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def _digits(s: str | None) -> str:
    d = re.sub(r"\D", "", s or "")
    return "0" + d[2:] if d.startswith("44") else d


def _pc(s: str | None) -> str:
    return "".join((s or "").split()).upper()


def _tokens(s: str | None) -> tuple[str, ...]:
    return tuple(fold(w) for w in _WORD.findall(s or ""))


class Finder:
    """Finds other people's personal data in text, knowing who the person and the office are."""

    def __init__(self, conn, held: Held, office_lines: Iterable[str] = ()) -> None:
        office_lines = list(office_lines)  # the letterhead's lines, then the MP's name
        me = held.people["subject"]
        self.own_tokens = {t for k in ("forenames", "surname", "preferred_name") for t in _tokens(me.get(k))}
        self.own_emails = {fold(me.get("email"))} - {""}
        self.own_phones = {_digits(me.get("phone"))} - {""}
        self.own_postcodes = {_pc(me.get("postcode"))} - {""}
        self.own_address = fold(me.get("address1"))
        self.own_dob = me.get("date_of_birth") or ""
        office_text = "\n".join(office_lines)
        rows = conn.exec_driver_sql("SELECT organisation, department, name, email, phone, address FROM contacts "
                                    "WHERE deleted = 0").fetchall()
        self.org_names = sorted({fold(x) for r in rows for x in (r[0], r[1]) if x and len(x) >= 4}, key=len,
                                reverse=True)
        self.org_emails = {fold(r[3]) for r in rows if r[3] and not r[2]} | {fold(e) for e in _EMAIL.findall(office_text)}
        self.org_phones = {_digits(r[4]) for r in rows if r[4] and not r[2]} | {
            _digits(x) for x in _PHONE.findall(office_text)}
        org_addresses = [r[5] or "" for r in rows] + [office_text]
        self.org_postcodes = {_pc(x) for a in org_addresses for x in _POSTCODE.findall(a)}
        self.org_streets = {fold(x.group(0)) for a in org_addresses for x in _STREET.finditer(a)}
        staff = [r[0] for r in conn.exec_driver_sql("SELECT name FROM staff")]
        mp = [x for x in office_lines if x][-1:] if office_lines else []
        office_people = [_tokens(n) for n in (*staff, *mp)]
        office_people += [t[:-1] for t in office_people if t and t[-1] == "mp"]  # "Helen Marchbanks MP"
        self.safe_names = set(office_people)
        office_tokens = {t for name in office_people for t in name}
        self.staff_emails = {fold(r[0]) for r in conn.exec_driver_sql(
            "SELECT email FROM staff WHERE email IS NOT NULL UNION SELECT address FROM mail_accounts")}
        # other people on record: every other constituent, contacts that are people, senders on these cases
        self.names: dict[tuple[str, ...], str] = {}
        self.surnames: set[str] = set()
        self.postcodes: set[str] = set()
        for fore, sur, pref, pc, cid in conn.exec_driver_sql(
                "SELECT forenames, surname, preferred_name, postcode, id FROM constituents WHERE deleted = 0"):
            if cid == held.subject_id:
                continue
            self._person(fore, sur, pref)
            if pc:
                self.postcodes.add(_pc(pc))
        for r in rows:
            if r[2]:
                self._person(r[2], None, None)
        self.local_forenames: set[str] = set()
        for o in held.people["others"]:
            self.local_forenames |= {t for t in _tokens(o["forenames"]) + _tokens(o["preferred_name"]) if len(t) > 2}
        for k in held.people["contacts"]:
            if k["name"]:
                self.local_forenames |= set(_tokens(k["name"])[:1])
        for name, _email in held.people["senders"]:
            self._person(name, None, None)
            self.local_forenames |= set(_tokens(name)[:1])
        self.local_forenames -= self.own_tokens | NOT_NAMES | ORG_WORDS | office_tokens
        self.postcodes -= self.own_postcodes | self.org_postcodes
        self.surnames -= self.own_tokens | office_tokens

    def _person(self, fore: str | None, sur: str | None, pref: str | None) -> None:
        full = _tokens(" ".join(x for x in (fore, sur) if x))
        for name in (full, _tokens(" ".join(x for x in (pref, sur) if x and pref))):
            if len(name) >= 2 and not set(name) & ORG_WORDS and name not in self.safe_names:
                self.names.setdefault(name, "on record")
        if sur:
            self.surnames.add(fold(sur))
        elif len(full) >= 2:
            self.surnames.add(full[-1])

    # -- finding ----------------------------------------------------------------------------------
    def _org_spans(self, text_: str) -> list[tuple[int, int]]:
        low = text_.casefold()
        spans = []
        for org in self.org_names:
            i = low.find(org)
            while i >= 0:
                spans.append((i, i + len(org)))
                i = low.find(org, i + 1)
        return spans

    def find(self, text_: str) -> list[tuple[int, int, str]]:
        """(start, end, kind) of other people's data in `text_`, longest first where they overlap."""
        if not text_:
            return []
        found: list[tuple[int, int, str]] = []
        for m in _EMAIL.finditer(text_):
            e = fold(m.group(0))
            local = re.split(r"[._+\-]", e.split("@")[0])
            if e in self.own_emails or e in self.org_emails or e in self.staff_emails:
                continue
            if set(local) & _ROLE_MAILBOX and not set(local) & (self.surnames | self.local_forenames):
                continue
            found.append((m.start(), m.end(), "email"))
        for m in _PHONE.finditer(text_):
            d = _digits(m.group(0))
            if d not in self.own_phones and d not in self.org_phones:
                found.append((m.start(), m.end(), "phone"))
        for m in _STREET.finditer(text_):
            s = fold(m.group(0))
            if (self.own_address and s.startswith(self.own_address)) or any(s.startswith(o) for o in self.org_streets):
                continue
            if self.own_address and self.own_address in s:
                continue
            pcs = {_pc(x) for x in _POSTCODE.findall(m.group(0))}
            if pcs and pcs <= (self.own_postcodes | self.org_postcodes):
                continue
            found.append((m.start(), m.end(), "address"))
        for m in _POSTCODE.finditer(text_):
            if _pc(m.group(0)) in self.postcodes:
                found.append((m.start(), m.end(), "postcode"))
        for m in _DOB.finditer(text_):
            if m.group(1) not in (self.own_dob, ) and not self._same_day(m.group(1), self.own_dob):
                found.append((m.start(1), m.end(1), "date_of_birth"))
        found += self._names(text_)
        orgs = self._org_spans(text_)
        found = [f for f in found if f[2] != "name" or not any(a <= f[0] and f[1] <= b for a, b in orgs)]
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out: list[tuple[int, int, str]] = []
        for f in found:
            if out and f[0] < out[-1][1]:
                if f[1] > out[-1][1]:  # overlapping: one passage covering both
                    out[-1] = (out[-1][0], f[1], out[-1][2])
                continue
            out.append(f)
        return out

    @staticmethod
    def _same_day(a: str, b: str) -> bool:
        from mpoffice_tui.services.clock import parse_date

        try:
            return bool(b) and parse_date(a) == parse_date(b)
        except ValueError:
            return False

    def _names(self, text_: str) -> list[tuple[int, int, str]]:
        words = list(_WORD.finditer(text_))
        folded = [fold(w.group(0)) for w in words]
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            hit = None
            for n in (3, 2):  # a full name of someone on record, written as a name (capitalised)
                window = tuple(folded[i:i + n])
                if len(window) == n and window in self.names and words[i].group(0)[:1].isupper() and \
                        self._adjacent(text_, words, i, n):
                    hit = (words[i].start(), words[i + n - 1].end(), n)
                    break
            if hit is None and folded[i] in TITLES and i + 1 < len(words) and folded[i + 1] in self.surnames \
                    and words[i + 1].group(0)[:1].isupper() and self._adjacent(text_, words, i, 2, title=True):
                hit = (words[i].start(), words[i + 1].end(), 2)
            if hit is None and folded[i] in self.local_forenames and words[i].group(0)[:1].isupper():
                hit = (words[i].start(), words[i].end(), 1)
            if hit is not None:
                out.append((hit[0], hit[1], "name"))
                i += hit[2]
            else:
                i += 1
        for m in _RELATION.finditer(text_):
            kept = []
            for w in _WORD.finditer(m.group(1)):
                if fold(w.group(0)) in NOT_NAMES or fold(w.group(0)) in ORG_WORDS:
                    break
                kept.append(w)
            if kept and not all(fold(w.group(0)) in self.own_tokens for w in kept):
                out.append((m.start(1), m.start(1) + kept[-1].end(), "name"))
        return out

    @staticmethod
    def _adjacent(text_: str, words: list, i: int, n: int, title: bool = False) -> bool:
        """The words are one name: only spaces (or a title's full stop) between them, on one line."""
        for k in range(i, i + n - 1):
            gap = text_[words[k].end():words[k + 1].start()]
            if gap not in (" ", ". ") or (gap == ". " and not title):
                return False
        return True


# -- proposals and decisions -------------------------------------------------------------------------
def _where(held: Held) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for c in held.cases:
        out[("cases", c.id)] = f"Case {c.ref}: title"
        for e in c.entries:
            for _, v in e.lines:
                if isinstance(v, Passage):
                    out[(v.table, v.row_id)] = f"Case {c.ref}: {e.kind}, {e.at[:10]}"
            if e.body is not None:
                out[(e.body.table, e.body.row_id)] = f"Case {c.ref}: {e.kind}, {e.at[:10]}"
    for e in held.other:
        if e.body is not None:
            out[(e.body.table, e.body.row_id)] = f"Not on a case: {e.kind}, {e.at[:10]}"
    for f in held.files:
        out[("attachments", f.id)] = f"File {f.name.text}"
    return out


def propose(conn, held: Held, decisions: dict[str, str], office_lines: Iterable[str] = ()) -> list[Proposal]:
    """Every proposed redaction in what is held, in order, with the reviewer's decisions applied."""
    finder = Finder(conn, held, office_lines)
    where = _where(held)
    out: list[Proposal] = []
    for p in passages(held):
        spans = [(0, len(p.text), "sender")] if p.person and p.text.strip() else finder.find(p.text)
        for start, end, kind in spans:
            found = p.text[start:end]
            key = _key(p, start, found)
            decision = decisions.get(key)
            before = p.text[max(0, start - CONTEXT):start]
            after = p.text[end:end + CONTEXT]
            out.append(Proposal(key, kind, p.table, p.row_id, p.field, start, end, found, before, after,
                                where.get((p.table, p.row_id), p.table), decision != "release", decision is not None))
    return out


def apply(p: Passage, proposals: dict[tuple[str, str, str], list[Proposal]]) -> str:
    """The passage's text with its withheld proposals replaced by REDACTED."""
    text_ = p.text
    for pr in sorted(proposals.get(p.source, ()), key=lambda x: x.start, reverse=True):
        if pr.withheld:
            text_ = text_[:pr.start] + REDACTED + text_[pr.end:]
    return text_


def decisions_for(conn, pid: str) -> dict[str, str]:
    """key -> keep | release, the latest decision for each passage about this person."""
    rows = conn.exec_driver_sql("SELECT key, decision FROM redaction_decisions WHERE constituent_id = ? AND "
                                "deleted = 0 ORDER BY updated_at, id", (pid,)).fetchall()
    return {k: d for k, d in rows}


@dataclass(frozen=True)
class Review:
    """What a reviewer sees before a pack is produced."""

    constituent_id: str
    person: str
    proposals: tuple[Proposal, ...]

    @property
    def withheld(self) -> int:
        return sum(1 for p in self.proposals if p.withheld)

    @property
    def undecided(self) -> int:
        return sum(1 for p in self.proposals if not p.decided)


def office_lines(office: Office) -> list[str]:
    """The office's own letterhead lines (its name, address, phone, email): never withheld."""
    from mpoffice_tui.services.letters import letterhead, office_fields

    return [*letterhead(office).lines, office_fields(office)["mp_name"]]


def review(office: Office, person: str, *, include_confidential: bool = False) -> Review:
    """Every proposed redaction in a person's pack (id, email or name), in context, with decisions so far."""
    access.require(office, "sar.manage")
    pid = resolve_person(office, person)
    lines = office_lines(office)
    with office.engine.connect() as conn:
        held = gather(conn, pid, include_confidential=include_confidential)
        found = propose(conn, held, decisions_for(conn, pid), lines)
    return Review(pid, held.name, tuple(found))


def decide(office: Office, person: str, keys: Iterable[str], decision: str, *, request_id: str | None = None) -> int:
    """Keep withheld (`keep`) or `release` these proposals (keys, or unique key prefixes); one transaction."""
    access.require(office, "sar.manage")
    if decision not in ("keep", "release"):
        raise OfficeError(f"a decision is keep or release, not {decision!r}")
    current = review(office, person)
    known = {p.key for p in current.proposals}
    chosen = []
    for k in keys:
        k = (k or "").strip()
        match = [x for x in known if x == k or (len(k) >= 6 and x.startswith(k))]
        if len(match) != 1:
            raise OfficeError(f"no single proposed redaction {k!r} for this person (see `mpoffice sar review`)")
        chosen.append(match[0])
    if not chosen:
        return 0
    with office.writing() as w:
        conn = w.session.connection()
        rows = dict(conn.execute(text("SELECT key, id FROM redaction_decisions WHERE constituent_id = :p AND "
                                      "deleted = 0"), {"p": current.constituent_id}).fetchall())
        for k in dict.fromkeys(chosen):
            if k in rows:
                w.update(w.get(RedactionDecision, rows[k]), decision=decision)
            else:
                w.insert(RedactionDecision, constituent_id=current.constituent_id, request_id=request_id, key=k,
                         decision=decision)
        w.audit("sar.review", target=f"constituent:{current.constituent_id}",
                detail=f"{len(set(chosen))} proposed redaction(s): {decision}")
    return len(set(chosen))
