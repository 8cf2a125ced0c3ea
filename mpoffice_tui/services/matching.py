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


def _same_person(candidate: str, forenames: str, surname: str) -> bool:
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
                    if _same_person(n, fore, sur):
                        return Match("signature_constituent",
                                     f"signature names {fore} {sur} at {spaced}, a known constituent",
                                     constituent_id=cid)
            rows = self._q("SELECT e.elector_key, e.forename, e.surname, e.address FROM electors e "
                           "LEFT JOIN register_publication p ON p.id = e.publication_id "
                           "WHERE e.postcode IN (?, ?) AND coalesce(p.current, 1) = 1 LIMIT 500",
                           (spaced, compact))
            for key, fore, sur, _address in rows:
                for n in names:
                    if _same_person(n, fore, sur):
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
