"""Match an incoming message to casework, always with the reason.

In order of strength:
1. thread: In-Reply-To/References name a message already on a case -> that case (auto-filed);
2. reference: a case reference quoted in the subject or body ("Your ref A-00153") -> that case (auto-filed);
3. sender: a known constituent's address -> that constituent and their open cases (suggestion);
4. signature: a name and postcode in the signature -> a constituent, or an elector on the register
   (suggestion; a simple normalised match: the fuzzy register lookup lives elsewhere).

`Matcher(conn)` runs on a SQLAlchemy connection (the import's own transaction, so messages written
earlier in the same import are seen). Queries are indexed: one message takes a few milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anyascii import anyascii

from mpoffice_tui.services.refs import find_refs

POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
SIGN_OFF = re.compile(r"^\s*(yours( sincerely| faithfully| truly)?|regards|kind regards|best regards|"
                      r"best wishes|many thanks|thanks|thank you|best|cheers|sincerely|warm regards)[,.!]?\s*$",
                      re.I)
AUTO_KINDS = ("thread", "reference")


@dataclass(frozen=True)
class Match:
    """One reason to connect a message to a case, constituent or elector."""

    kind: str  # thread | reference | sender | signature_constituent | signature_elector
    reason: str
    case_id: str | None = None
    case_ref: str | None = None
    constituent_id: str | None = None
    elector_key: str | None = None

    @property
    def auto(self) -> bool:
        return self.kind in AUTO_KINDS


def norm_name(s: str) -> str:
    """Folded name for comparison: ASCII, lower case, letters and spaces only."""
    return " ".join(re.sub(r"[^a-z ]+", " ", anyascii(s or "").lower()).split())


def norm_postcode(s: str) -> tuple[str, str]:
    """('SW1A 1AA', 'SW1A1AA') for a postcode as typed."""
    compact = re.sub(r"\s+", "", (s or "").upper())
    return (compact[:-3] + " " + compact[-3:] if len(compact) > 3 else compact), compact


def signature_tail(body: str, lines: int = 15) -> str:
    """The last lines of the writer's own text (quoted replies removed)."""
    own = []
    for line in (body or "").splitlines():
        if line.startswith(">") or re.match(r"^\s*(-{2,} ?Original Message|On .{5,80} wrote:\s*$)", line):
            break
        own.append(line)
    return "\n".join([x for x in own if x.strip()][-lines:])


def signature_candidates(body: str, sender_name: str) -> tuple[list[str], list[str]]:
    """(names, postcodes) found in a message's signature; the sender's display name is a name too."""
    tail = signature_tail(body)
    postcodes = []
    for m in POSTCODE.finditer(tail.upper()):
        pc = f"{m.group(1)} {m.group(2)}"
        if pc not in postcodes:
            postcodes.append(pc)
    names = []
    lines = tail.splitlines()
    for i, line in enumerate(lines):
        if SIGN_OFF.match(line) and i + 1 < len(lines):
            names.append(lines[i + 1].strip())
    if sender_name:
        names.append(sender_name)
    out = []
    for n in names:
        folded = norm_name(n)
        if folded and 1 < len(folded.split()) <= 5 and folded not in out:
            out.append(folded)
    return out, postcodes


def same_person(candidate: str, forenames: str, surname: str) -> bool:
    words = candidate.split()
    sur = norm_name(surname)
    fore = norm_name(forenames).split()
    if not sur or not words:
        return False
    titles = {"mr", "mrs", "ms", "miss", "dr", "prof", "rev", "mx", "sir", "lady"}
    words = [w for w in words if w not in titles]
    if len(words) < 2 or " ".join(words[-len(sur.split()):]) != sur:
        return False
    if not fore:
        return True
    first = words[0]
    return first == fore[0] or (len(first) == 1 and first == fore[0][0])


class Matcher:
    """Finds matches for messages on one connection."""

    def __init__(self, conn):
        self.conn = conn
        self.pending_threads: dict[str, tuple[str, str | None]] = {}  # Message-ID -> (case_id, ref) not yet stored

    def _q(self, sql: str, params: tuple = ()):
        return self.conn.exec_driver_sql(sql, params).fetchall()

    def thread(self, in_reply_to: str | None, references: tuple[str, ...] | list[str]) -> Match | None:
        ids = [i for i in ([in_reply_to] if in_reply_to else []) + list(reversed(references)) if i][:20]
        if not ids:
            return None
        for mid in ids:
            if mid in self.pending_threads:
                case_id, ref = self.pending_threads[mid]
                return Match("thread", f"reply in a thread: answers {mid} on case {ref}", case_id=case_id,
                             case_ref=ref)
        marks = ",".join("?" * len(ids))
        rows = self._q(
            f"SELECT m.message_id_header, c.id, c.ref, c.constituent_id FROM messages m "
            f"JOIN cases c ON c.id = m.case_id AND c.deleted = 0 "
            f"WHERE m.message_id_header IN ({marks}) AND m.deleted = 0 "
            f"ORDER BY m.received_at DESC, m.id DESC", tuple(ids))
        if not rows:
            return None
        by_id = {r[0]: r for r in rows}
        for mid in ids:  # the message answered directly wins over older references
            if mid in by_id:
                r = by_id[mid]
                return Match("thread", f"reply in a thread: answers {mid} on case {r[2]}", case_id=r[1],
                             case_ref=r[2], constituent_id=r[3])
        return None

    def reference(self, subject: str, body: str) -> Match | None:
        refs = find_refs(subject)
        where = "subject"
        if not refs:
            refs, where = find_refs((body or "")[:200_000]), "body"
        if not refs:
            return None
        refs = refs[:20]
        rows = self._q(f"SELECT ref, id, constituent_id FROM cases WHERE ref IN ({','.join('?' * len(refs))}) "
                       "AND deleted = 0 AND id NOT IN (SELECT row_id FROM erased WHERE tbl = 'cases')",
                       tuple(refs))  # (an anonymised case is statistics only: nothing is filed to it)
        found = {r[0]: r for r in rows}
        for ref in refs:
            if ref in found:
                r = found[ref]
                return Match("reference", f"case reference {ref} quoted in the {where}", case_id=r[1],
                             case_ref=ref, constituent_id=r[2])
        return None

    def sender(self, email: str | None) -> Match | None:
        if not email:
            return None
        rows = self._q("SELECT id, forenames, surname FROM constituents WHERE email IN (?, ?) AND deleted = 0 "
                       "AND merged_into IS NULL ORDER BY updated_at DESC, id LIMIT 5", (email, email.lower()))
        if not rows:
            return None
        cid, fore, sur = rows[0]
        cases = self._q("SELECT id, ref FROM cases WHERE constituent_id = ? AND deleted = 0 AND status != 'closed' "
                        "ORDER BY opened_at DESC, id LIMIT 10", (cid,))
        who = f"{fore} {sur}".strip() or email
        if cases:
            refs = ", ".join(r[1] for r in cases)
            reason = f"sender {email} is {who}, with open case{'s' if len(cases) > 1 else ''} {refs}"
            return Match("sender", reason, case_id=cases[0][0], case_ref=cases[0][1], constituent_id=cid)
        return Match("sender", f"sender {email} is {who} (no open cases)", constituent_id=cid)

    def signature(self, body: str, sender_name: str) -> Match | None:
        names, postcodes = signature_candidates(body, sender_name)
        if not names or not postcodes:
            return None
        for pc in postcodes[:3]:
            spaced, compact = norm_postcode(pc)
            rows = self._q("SELECT id, forenames, surname FROM constituents WHERE postcode IN (?, ?) "
                           "AND deleted = 0 AND merged_into IS NULL LIMIT 200", (spaced, compact))
            for cid, fore, sur in rows:
                for n in names:
                    if same_person(n, fore, sur):
                        return Match("signature_constituent",
                                     f"signature names {fore} {sur} at {spaced}, a known constituent",
                                     constituent_id=cid)
            rows = self._q("SELECT e.elector_key, e.forename, e.surname, e.address FROM electors e "
                           "LEFT JOIN register_publication p ON p.id = e.publication_id "
                           "WHERE e.postcode IN (?, ?) AND coalesce(p.current, 1) = 1 LIMIT 500",
                           (spaced, compact))
            for key, fore, sur, _address in rows:
                for n in names:
                    if same_person(n, fore, sur):
                        return Match("signature_elector",
                                     f"signature names {fore} {sur} at {spaced}, on the electoral register",
                                     elector_key=key)
        return None

    def match(self, *, subject: str, body: str, sender_email: str | None, sender_name: str,
              in_reply_to: str | None = None, references: tuple[str, ...] = ()) -> list[Match]:
        """Every match for one message, strongest first."""
        out = []
        for m in (self.thread(in_reply_to, references), self.reference(subject, body)):
            if m:
                out.append(m)
        if not out:
            s = self.sender(sender_email)
            if s:
                out.append(s)
            sig = self.signature(body, sender_name) if not s else None
            if sig:
                out.append(sig)
        return out


def match_message(office, message_id: str) -> list[Match]:
    """The matches for a stored message (for the preview pane and `mpoffice inbox`)."""
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT subject, body_text, sender_email, sender_name, in_reply_to, references_header "
            "FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            return []
        refs = tuple((row[5] or "").split())
        return Matcher(conn).match(subject=row[0], body=row[1], sender_email=row[2], sender_name=row[3] or "",
                                   in_reply_to=row[4], references=refs)


# -- third parties replying ---------------------------------------------------------------------------
# Addresses at these domains belong to people, not organisations: a shared domain says nothing.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com", "live.co.uk",
    "msn.com", "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "mac.com", "aol.com", "aol.co.uk",
    "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "protonmail.com", "proton.me",
    "gmx.com", "gmx.co.uk", "mail.com", "example.com", "example.org", "example.net"})


@dataclass(frozen=True)
class PartyReply:
    """A third party on a case that a message is (most likely) the reply from, and why."""

    party_id: str
    organisation: str
    reason: str


def _domain(email: str | None) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def _words(s: str) -> set[str]:
    return {w for w in norm_name(s).split() if len(w) > 2} - {"the", "and", "for", "council", "team", "office"}


def replying_parties(conn, case_id: str, *, sender_email: str | None, sender_name: str | None, subject: str,
                     body: str) -> list[PartyReply]:
    """The third parties on a case, awaiting a reply, that this message answers.

    From the party: the sender is the contact's address, or writes from its organisation's own domain.
    Quoting the case's reference from elsewhere (not the constituent): the party named in the sender's
    name or the message, else the one party awaiting a reply when there is only one.
    """
    rows = conn.exec_driver_sql(
        "SELECT cp.id, k.organisation, coalesce(k.department, ''), coalesce(k.email, '') FROM case_parties cp "
        "JOIN contacts k ON k.id = cp.contact_id WHERE cp.case_id = ? AND cp.deleted = 0 "
        "AND cp.contacted_on IS NOT NULL AND cp.replied_on IS NULL ORDER BY cp.created_at, cp.id",
        (case_id,)).fetchall()
    if not rows:
        return []
    sender = (sender_email or "").strip().lower()
    org_of = {r[0]: r[1] + (f" — {r[2]}" if r[2] else "") for r in rows}
    same = [r[0] for r in rows if sender and r[3].lower() == sender]
    if same:
        return [PartyReply(p, org_of[p], f"from {sender}, the party's address") for p in same]
    dom = _domain(sender)
    if dom and dom not in PUBLIC_MAIL_DOMAINS:
        by_domain = [r[0] for r in rows if _domain(r[3]) == dom]
        if by_domain:
            return [PartyReply(p, org_of[p], f"from {sender}, at the party's own domain {dom}") for p in by_domain]
    case = conn.exec_driver_sql(
        "SELECT c.ref, lower(coalesce(p.email, '')) FROM cases c LEFT JOIN constituents p ON p.id = c.constituent_id "
        "WHERE c.id = ?", (case_id,)).fetchone()
    if case is None or not sender or sender == case[1]:
        return []
    if case[0] not in find_refs(subject) + find_refs((body or "")[:200_000]):
        return []
    said = _words(f"{sender_name or ''} {dom.replace('.', ' ')} {signature_tail(body, 8)}")
    named = [r[0] for r in rows if said & (_words(r[2]) or _words(r[1]))]
    if len(named) == 1:
        return [PartyReply(named[0], org_of[named[0]], f"quotes {case[0]} and names {org_of[named[0]]}")]
    if len(rows) == 1:
        return [PartyReply(rows[0][0], org_of[rows[0][0]],
                           f"quotes {case[0]}, and {org_of[rows[0][0]]} is the party awaited")]
    return []


# -- the person a new case is for -------------------------------------------------------------------
@dataclass(frozen=True)
class KnownPerson:
    """An existing constituent a message's sender (or a typed name) already is, and why."""

    constituent_id: str
    name: str
    reason: str


def find_constituent(conn, *, email: str | None = None, names: list[str] | tuple[str, ...] = (),
                     postcodes: list[str] | tuple[str, ...] = ()) -> KnownPerson | None:
    """The existing constituent with this email address, else with one of these names at one of these
    postcodes (names compared folded: "Siobhán O'Brien" is "siobhan o brien"). None when nobody is."""
    email = (email or "").strip()
    if email:
        row = conn.exec_driver_sql(
            "SELECT id, forenames, surname FROM constituents WHERE lower(email) = lower(?) AND deleted = 0 "
            "AND merged_into IS NULL ORDER BY updated_at DESC, id LIMIT 1", (email,)).fetchone()
        if row:
            return KnownPerson(row[0], f"{row[1]} {row[2]}".strip(), f"same email {email}")
    folded = [n for n in (norm_name(x) for x in names) if len(n.split()) >= 2]
    for pc in [p for p in postcodes if p][:3]:
        spaced, compact = norm_postcode(pc)
        rows = conn.exec_driver_sql(
            "SELECT id, forenames, surname FROM constituents WHERE postcode IN (?, ?) AND deleted = 0 "
            "AND merged_into IS NULL ORDER BY updated_at DESC, id LIMIT 200", (spaced, compact)).fetchall()
        for cid, fore, sur in rows:
            if any(same_person(n, fore, sur) for n in folded):
                return KnownPerson(cid, f"{fore} {sur}".strip(), f"same name and postcode ({spaced})")
    return None


# -- a category for a new case --------------------------------------------------------------------------
# Words that say what a piece of casework is about, by the category offices usually file it under. The
# office's own spelling of the category is used when it has one (see `suggest_category`).
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "Housing": ("housing", "damp", "mould", "mold", "landlord", "tenant", "tenancy", "rent", "evict",
                "eviction", "homeless", "homelessness", "repair", "repairs", "disrepair", "flat", "overcrowd",
                "overcrowded", "section 21", "temporary accommodation", "housing association", "council house"),
    "Benefits": ("benefit", "benefits", "universal credit", "pip", "esa", "dwp", "jobcentre", "pension credit",
                 "carer's allowance", "child benefit", "sanction", "mandatory reconsideration", "state pension",
                 "housing benefit", "council tax reduction", "overpayment", "deduction"),
    "Immigration": ("visa", "home office", "asylum", "leave to remain", "ilr", "settlement scheme",
                    "biometric", "brp", "immigration", "citizenship", "naturalisation", "passport"),
    "Health": ("nhs", "hospital", "gp", "surgery appointment", "dentist", "waiting list", "operation",
               "camhs", "mental health", "ambulance", "prescription", "treatment", "consultant"),
    "Education": ("school", "ehcp", "send", "special educational", "teacher", "exclusion", "university",
                  "student loan", "admission", "admissions", "college", "nursery"),
    "Planning": ("planning", "planning application", "development", "extension", "planning permission",
                 "building control", "listed building"),
    "Crime and policing": ("police", "crime", "antisocial", "anti-social", "burglary", "assault", "theft",
                           "harassment", "drugs", "stalking", "fraud"),
    "Transport": ("bus", "buses", "train", "trains", "railway", "road", "roads", "pothole", "potholes",
                  "parking", "speeding", "traffic", "cycle lane", "dvla", "driving licence"),
    "Environment": ("sewage", "river", "rivers", "pollution", "flooding", "flood", "recycling", "bins",
                    "fly-tipping", "fly tipping", "climate", "trees", "noise"),
    "Consumer": ("refund", "energy bill", "broadband", "scam", "ombudsman", "insurance", "bank", "faulty"),
    "Tax": ("hmrc", "tax", "tax credits", "self assessment", "paye", "council tax"),
}


def suggest_category(conn, subject: str, body: str) -> str | None:
    """The category a message's words point to (the subject counts double), in the office's own spelling
    when one of its cases already uses it; None when the words say nothing clear."""
    text = " " + " ".join(re.findall(r"[a-z0-9'-]+", anyascii(f"{subject} {subject} {body[:20_000]}").lower())) + " "
    scores: dict[str, int] = {}
    for category, words in CATEGORY_WORDS.items():
        n = sum(text.count(f" {w} ") for w in words)
        if n:
            scores[category] = n
    if not scores:
        return None
    best = max(scores.items(), key=lambda kv: (kv[1], -list(CATEGORY_WORDS).index(kv[0])))[0]
    if sorted(scores.values())[-2:] == [scores[best]] * 2 and len(scores) > 1:
        return None  # a tie says nothing clear
    row = conn.exec_driver_sql(
        "SELECT category FROM cases WHERE deleted = 0 AND (category = ? COLLATE NOCASE "
        "OR category LIKE ? ESCAPE '\\') GROUP BY category ORDER BY count(*) DESC LIMIT 1",
        (best, best.split()[0].replace("%", "\\%").replace("_", "\\_") + "%")).fetchone()
    return row[0] if row else best
