"""Search everything: cases, people, third parties, notes, messages and attachments' names at once.

    search_everything(office, "o'brien housing", limit_per_kind=10) -> SearchResults
        .groups: one SearchGroup per kind with hits (cases, people, contacts, notes, messages, attachments),
        each hit saying what to open (kind + id, and its case) with a cleaned one-line snippet.

Newest and best first, with bounded work per kind (DESIGN §6, "Known costs"): each full-text index gives
its newest CANDIDATES matches (`ORDER BY rowid DESC LIMIT`, a few ms even for a common word over 500k
messages), and only those are ranked: a match of the whole phrase or of every word in the title first,
then the newest. A case reference typed exactly (A-00153) comes first of all. People's names are
typo-tolerant as in the register lookup (close spellings from the names held, Gaelic/Welsh/anglicised
equivalents, the same name scoring). Confidential notes are found only by those who may read them, and
show no text here (opening the case shows, and audits, them); erased or anonymised people and anything
erased with them are never found.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.search import JOINED_HEAD, match_query, word_query, words
from mpoffice_tui.importers.register.normalise import fold
from mpoffice_tui.services import access, refs
from mpoffice_tui.services.constituent_fields import name_sql
from mpoffice_tui.services.inbox import LANES
from mpoffice_tui.text import one_line

KINDS = ("case", "constituent", "contact", "note", "message", "attachment")
KIND_LABELS = {"case": "Cases", "constituent": "People", "contact": "Contacts", "note": "Notes",
               "message": "Messages", "attachment": "Attachments"}
CANDIDATES = 200  # newest matches ranked per kind: the work of a search does not grow with the office
NAME_CANDIDATES = 400  # people found by close spellings of a name, scored as the register lookup does
NAME_SCORE = 70.0  # a person found only by a close spelling is shown from this name score (0-100)
DEFAULT_LIMIT = 10
SNIPPET = 90  # characters of context around the first word found
BODY_READ = 4000  # characters of a message or note read to find the words for a snippet
VOCAB_SECONDS = 60.0  # the names vocabulary is re-read at most this often (and when someone is added)
_NAME_COLS = "{forenames surname preferred_name}"
_LOOSE_REF = re.compile(r"([A-Za-z]{1,2})\s*-?\s*(\d{1,9})")
_TRIAGE_LANE = {state: lane for lane, states in LANES.items() for state in states}


@dataclass(frozen=True)
class SearchHit:
    """One thing found: `kind` and `id` say what to open; `case_id` the case it belongs to, if any."""

    kind: str  # case | constituent | contact | note | message | attachment
    id: str
    title: str  # one line, cleaned
    detail: str  # where it is (case ref, sender, postcode ...), one line, cleaned
    snippet: str  # the words found in context, one line, cleaned ("" when there is nothing to show)
    at: str | None  # when (opened, written, received), ISO
    case_id: str | None = None
    case_ref: str | None = None
    constituent_id: str | None = None
    lane: str | None = None  # a message's inbox lane
    exact: bool = False  # a case reference typed exactly

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    label: str
    hits: tuple[SearchHit, ...]
    more: bool  # more matched than are shown

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "more": self.more, "hits": [h.as_dict() for h in self.hits]}


@dataclass(frozen=True)
class SearchResults:
    query: str
    groups: tuple[SearchGroup, ...]  # kinds with hits; cases first when a reference was typed exactly

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        return tuple(h for g in self.groups for h in g.hits)

    @property
    def found(self) -> bool:
        return bool(self.groups)

    def as_dict(self) -> dict:
        return {"query": self.query, "groups": [g.as_dict() for g in self.groups]}


def search_everything(office: Office, text: str, limit_per_kind: int = DEFAULT_LIMIT) -> SearchResults:
    """Everything matching what was typed, grouped by kind, newest and best first (see module doc)."""
    query = " ".join((text or "").split())
    q = match_query(query, typing=True)
    if q is None:
        return SearchResults(query, ())
    limit = max(1, int(limit_per_kind))
    typed = words(query)
    conf = access.can(office, "note.confidential")
    groups: dict[str, SearchGroup] = {}
    with office.engine.connect() as conn:
        raw = conn.connection.driver_connection  # plain DB-API: no per-row ORM cost
        exact = _exact_cases(raw, query)
        found = {
            "case": _cases(raw, q, typed, exact, limit),
            "constituent": _people(office, raw, q, query, limit),
            "contact": _contacts(office, query, limit),
            "note": _notes(raw, q, typed, conf, limit),
            "message": _messages(raw, q, match_query(query, prefix=False), typed, limit),
            "attachment": _attachments(raw, q, typed, limit),
        }
    for kind in KINDS:
        hits, more = found[kind]
        if hits:
            groups[kind] = SearchGroup(kind, KIND_LABELS[kind], tuple(hits), more)
    return SearchResults(query, tuple(groups.values()))


# -- ranking ---------------------------------------------------------------------------------------
def _tier(typed: list[str], title: str | None) -> int:
    """0: the whole phrase in the title; 1: every word in it; 2: every word begins a word of it; 3: not."""
    t = fold(title)
    ws = [fold(w) for w in typed]
    ws = [w for w in ws if w]
    if not ws or not t:
        return 3
    if re.search(r"\b" + r"\s+".join(map(re.escape, ws)) + r"\b", t):
        return 0
    found = set(t.split())
    if all(w in found for w in ws):
        return 1
    if all(re.search(r"\b" + re.escape(w), t) for w in ws):
        return 2
    return 3


def _ranked(rows: list[tuple[int, str, Callable[[], SearchHit]]], limit: int) -> tuple[list[SearchHit], bool]:
    """(tier, when, make the hit): best tier first, then newest; only the hits shown are made (snippets)."""
    rows.sort(key=lambda r: r[1] or "", reverse=True)
    rows.sort(key=lambda r: r[0])
    return [make() for _, _, make in rows[:limit]], len(rows) > limit


def snippet(body: str | None, typed: list[str], width: int = SNIPPET) -> str:
    """One cleaned line of `body` around the first typed word found in it (else its beginning)."""
    line = one_line(body)
    if not line:
        return ""
    at = -1
    for w in typed:
        m = re.search(r"\b" + re.escape(w), line, re.IGNORECASE)
        if m and (at < 0 or m.start() < at):
            at = m.start()
    start = max(0, at - width // 3) if at > 0 else 0
    if start:
        space = line.rfind(" ", 0, start + 1)
        start = space + 1 if space > start - 15 else start
    piece = line[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(line) else "")


# -- cases -----------------------------------------------------------------------------------------
def _ref_keys(query: str) -> list[str]:
    """Case references the query is, or quotes: "A-00153", "a153", "a-153" all name A-00153."""
    out = refs.find_refs(query)
    m = _LOOSE_REF.fullmatch(query.strip())
    if m:
        ref = refs.format_ref(m.group(1).upper(), int(m.group(2)))
        if ref not in out:
            out.insert(0, ref)
    return out


def _exact_cases(raw, query: str) -> set[str]:
    keys = _ref_keys(query)
    if not keys:
        return set()
    marks = ",".join("?" * len(keys))
    return {r[0] for r in raw.execute(f"SELECT id FROM cases WHERE ref IN ({marks}) AND deleted = 0 AND NOT EXISTS "
                                      "(SELECT 1 FROM erased e WHERE e.tbl = 'cases' AND e.row_id = cases.id)",
                                      keys)}


def _newest(fts: str) -> str:
    """The newest CANDIDATES matches of an index, read first (joined with CROSS JOIN, so that the planner,
    which has no statistics, never walks a whole table probing the index row by row)."""
    return f"(SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid DESC LIMIT {CANDIDATES})"


def _not_erased(tbl: str, alias: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM erased e WHERE e.tbl = '{tbl}' AND e.row_id = {alias}.id)"


_CASE_COLS = ("c.id, c.ref, c.title, c.category, c.status, c.opened_at, c.constituent_id, "
              + name_sql("p"))


def _case_hit(r, exact: bool) -> SearchHit:
    status = r[4].replace("_", " ")
    detail = " · ".join(x for x in (one_line(r[7]), one_line(r[3]), status) if x)
    return SearchHit("case", r[0], f"{r[1]}  {one_line(r[2])}", detail, "", r[5], r[0], r[1], r[6], exact=exact)


def _cases(raw, q: str, typed: list[str], exact: set[str], limit: int) -> tuple[list[SearchHit], bool]:
    rows = raw.execute(f"SELECT {_CASE_COLS} FROM {_newest('cases_fts')} f CROSS JOIN cases c ON c.rowid = f.rowid "
                       "LEFT JOIN constituents p ON p.id = c.constituent_id "
                       f"WHERE c.deleted = 0 AND {_not_erased('cases', 'c')}", (q,)).fetchall()
    have = {r[0] for r in rows}
    missing = sorted(exact - have)
    if missing:  # a reference typed exactly is found whatever the words say
        rows += raw.execute(f"SELECT {_CASE_COLS} FROM cases c LEFT JOIN constituents p ON p.id = c.constituent_id "
                            f"WHERE c.id IN ({','.join('?' * len(missing))})", missing).fetchall()
    ranked = [(-1 if r[0] in exact else _tier(typed, f"{r[1]} {r[2]}"), r[5], partial(_case_hit, r, r[0] in exact))
              for r in rows]
    return _ranked(ranked, limit)


# -- people ----------------------------------------------------------------------------------------
@dataclass
class _Names:
    stamp: int
    read_at: float
    terms: list[str] = field(default_factory=list)
    docs: dict[str, int] = field(default_factory=dict)


_NAMES: dict[str, _Names] = {}
_NAMES_LOCK = threading.Lock()


def _name_vocab(office: Office, raw) -> tuple[list[str], dict[str, int]]:
    """The distinct words of constituents' names (for close spellings), cached per office; re-read when
    someone is added or after VOCAB_SECONDS (an edited name)."""
    stamp = raw.execute("SELECT coalesce(max(rowid), 0) FROM constituents").fetchone()[0]
    key = str(office.path)
    with _NAMES_LOCK:
        held = _NAMES.get(key)
        if held is not None and held.stamp == stamp and time.monotonic() - held.read_at < VOCAB_SECONDS:
            return held.terms, held.docs
    docs: dict[str, int] = {}
    for term, doc in raw.execute("SELECT term, doc FROM constituents_vocab "
                                 "WHERE col IN ('forenames', 'surname', 'preferred_name')"):
        docs[term] = docs.get(term, 0) + doc
    held = _Names(stamp, time.monotonic(), list(docs), docs)
    with _NAMES_LOCK:
        _NAMES[key] = held
    return held.terms, held.docs


def _name_match(office: Office, raw, query: str) -> tuple[list[str], list[str], list[str]] | None:
    """FTS5 expressions finding people by close spellings of each name word, with the folded words and
    all the tokens (initials too) for scoring; None when the query is not a name (digits, an email)."""
    from mpoffice_tui.services.register import _alternatives, _equivalent_terms

    if "@" in query or any(ch.isdigit() for ch in query):
        return None
    tokens = fold(query).split()
    long = [t for t in tokens if len(t) >= 2]
    if not long:
        return None
    terms, docs = _name_vocab(office, raw)
    equivalents = _equivalent_terms(tokens, long)
    groups = []
    for j, t in enumerate(long):
        alts = _alternatives(t, terms) if len(t) >= 3 else []
        alts += [e for e in sorted(equivalents.get(j, ())) if e in docs and e != t and e not in alts]
        parts = [word_query(t, True)] + [f'"{a}"' for a in alts] + _joined_typos(t, terms, docs)
        groups.append(f"{_NAME_COLS} : (" + " OR ".join(parts) + ")")
    return groups, long, tokens


def _joined_typos(token: str, terms: list[str], docs: dict[str, int]) -> list[str]:
    """A name typed joined up and misspelt ("obrein", "mcdonnald"): its head as a word held ("o", "mc")
    followed by close spellings of the rest, as FTS5 phrases ("o brien")."""
    from mpoffice_tui.services.register import _alternatives

    out = []
    for k in range(1, min(JOINED_HEAD, len(token) - 3) + 1):
        head, tail = token[:k], token[k:]
        if head in docs:
            out += [f'"{head} {a}"' for a in _alternatives(tail, terms)]
    return out


_PERSON_COLS = ("p.rowid, p.id, p.forenames, p.surname, p.preferred_name, p.email, p.postcode, p.address1, "
                "p.created_at, p.safety_caution")
_LIVE_PERSON = ("p.deleted = 0 AND p.merged_into IS NULL AND p.privacy_state != 'anonymised' AND "
                + _not_erased("constituents", "p"))


def _named(raw, match: str, cap: int) -> dict[int, tuple]:
    return {r[0]: r for r in raw.execute(
        f"SELECT {_PERSON_COLS} FROM (SELECT rowid FROM constituents_fts WHERE constituents_fts MATCH ? "
        f"ORDER BY rowid DESC LIMIT {cap}) f CROSS JOIN constituents p ON p.rowid = f.rowid WHERE {_LIVE_PERSON}", (match,))}


def _people(office: Office, raw, q: str, query: str, limit: int) -> tuple[list[SearchHit], bool]:
    from mpoffice_tui.services.register import _name_scores

    rows = {r[0]: r for r in raw.execute(
        f"SELECT {_PERSON_COLS} FROM {_newest('constituents_fts')} f CROSS JOIN constituents p ON p.rowid = f.rowid "
        f"WHERE {_LIVE_PERSON}", (q,))}
    plain = set(rows)
    named = _name_match(office, raw, query)
    score: dict[int, float] = {}
    if named is not None:
        groups, long, tokens = named
        found = _named(raw, " AND ".join(groups), NAME_CANDIDATES)
        if len(found) < 20 and len(groups) > 1:  # one word misspelt past finding: each word alone, then scored
            for g in groups:
                found.update(_named(raw, g, NAME_CANDIDATES // len(groups)))
        for r in found.values():
            rows.setdefault(r[0], r)
        cands = list(rows.values())
        if cands:
            initials = [t for t in tokens if len(t) == 1]
            scored = _name_scores(" ".join(long), initials,
                                  [(r[0], r[4] or r[2], r[3]) for r in cands], tokens)
            plain_first = _name_scores(" ".join(long), initials, [(r[0], r[2], r[3]) for r in cands], tokens)
            score = {r[0]: max(a, b) for r, a, b in zip(cands, scored, plain_first, strict=True)}
    keep = [r for r in rows.values() if r[0] in plain or score.get(r[0], 0.0) >= NAME_SCORE]
    keep.sort(key=lambda r: r[8] or "", reverse=True)
    keep.sort(key=lambda r: -min(score.get(r[0], 0.0), 100.0))
    out = []
    for r in keep[:limit]:
        name = " ".join(x for x in (r[4] or r[2], r[3]) if x)
        if r[4] and r[2] and fold(r[4]) != fold(r[2]):
            name += f" ({r[2]})"
        detail = " · ".join(one_line(x) for x in (r[7], r[6], r[5]) if x)
        out.append(SearchHit("constituent", r[1], one_line(name) + (" ⚠" if r[9] else ""), detail, "", r[8],
                             constituent_id=r[1]))
    return out, len(keep) > limit


# -- third parties -----------------------------------------------------------------------------------
def _contacts(office: Office, query: str, limit: int) -> tuple[list[SearchHit], bool]:
    from mpoffice_tui.services.contacts import list_contacts

    out = []
    found = list_contacts(office, " ".join(words(query)), limit=limit + 1)
    for k in found[:limit]:
        detail = " · ".join(one_line(x) for x in (k.name, k.kind, k.email or k.phone) if x)
        out.append(SearchHit("contact", k.id, one_line(k.label), detail, snippet(k.notes, words(query)), None))
    return out, len(found) > limit


# -- notes, messages, attachments --------------------------------------------------------------------
def _notes(raw, q: str, typed: list[str], confidential: bool, limit: int) -> tuple[list[SearchHit], bool]:
    rows = raw.execute(
        f"SELECT n.id, n.case_id, c.ref, c.title, substr(n.body, 1, {BODY_READ}), n.created_at, n.confidential, "
        f"c.constituent_id FROM {_newest('notes_fts')} f CROSS JOIN notes n ON n.rowid = f.rowid "
        "CROSS JOIN cases c ON c.id = n.case_id WHERE n.deleted = 0 AND c.deleted = 0 "
        f"AND (? OR n.confidential = 0) AND {_not_erased('notes', 'n')} AND {_not_erased('cases', 'c')}",
        (q, int(confidential))).fetchall()
    def make(r) -> SearchHit:
        title = f"{'Confidential note' if r[6] else 'Note'} on {r[2]}"
        text = "(confidential: open the case to read it)" if r[6] else snippet(r[4], typed)
        return SearchHit("note", r[0], title, one_line(r[3]), text, r[5], r[1], r[2], r[7])

    return _ranked([(3 if r[6] else _tier(typed, r[4][:300]), r[5], partial(make, r)) for r in rows], limit)


def _newest_whole_words_first(raw, fts: str, q: str, q_words: str | None) -> list[int]:
    """The newest CANDIDATES matches, trying the words as typed before the last one as a prefix: a prefix of a
    common word ("you"*: you, your, young ...) makes FTS5 merge every matching term's whole list (40 ms and
    more over 500k messages), while the word itself is read newest first and stops at the cap. When the
    word alone fills the cap, more letters will narrow it anyway; else the prefix is cheap or needed."""
    sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid DESC LIMIT {CANDIDATES}"
    rowids = [r[0] for r in raw.execute(sql, (q_words,))] if q_words and q_words != q else []
    if len(rowids) < CANDIDATES:
        rowids = [r[0] for r in raw.execute(sql, (q,))]
    return rowids


def _messages(raw, q: str, q_words: str | None, typed: list[str], limit: int) -> tuple[list[SearchHit], bool]:
    rowids = _newest_whole_words_first(raw, "messages_fts", q, q_words)
    rows = raw.execute(
        f"SELECT m.id, m.subject, substr(m.body_text, 1, {BODY_READ}), m.sender_name, m.sender_email, m.recipients, "
        "m.received_at, m.case_id, c.ref, m.triage, m.direction, m.channel, m.constituent_id "
        "FROM json_each(?) f CROSS JOIN messages m ON m.rowid = f.value LEFT JOIN cases c ON c.id = m.case_id "
        f"WHERE m.deleted = 0 AND {_not_erased('messages', 'm')}", (json.dumps(rowids),)).fetchall()
    def make(r) -> SearchHit:
        who = f"to {r[5] or '?'}" if r[10] == "out" else (r[3] or r[4] or "")
        detail = " · ".join(one_line(x) for x in (who, r[8] or "not filed", r[11]) if x)
        return SearchHit("message", r[0], one_line(r[1]) or "(no subject)", detail, snippet(r[2], typed), r[6],
                         r[7], r[8], r[12], lane=_TRIAGE_LANE.get(r[9]))

    return _ranked([(min(_tier(typed, r[1]), 2 if _tier(typed, f"{r[3]} {r[4]}") < 3 else 3), r[6], partial(make, r))
                    for r in rows], limit)


def _attachments(raw, q: str, typed: list[str], limit: int) -> tuple[list[SearchHit], bool]:
    rows = raw.execute(
        "SELECT a.id, a.filename, a.content_type, a.size, a.created_at, coalesce(a.case_id, m.case_id), c.ref, "
        f"m.subject, c.constituent_id FROM {_newest('attachments_fts')} f CROSS JOIN attachments a ON a.rowid = f.rowid "
        "LEFT JOIN messages m ON m.id = a.message_id LEFT JOIN cases c ON c.id = coalesce(a.case_id, m.case_id) "
        f"WHERE a.deleted = 0 AND (m.id IS NULL OR m.deleted = 0) AND {_not_erased('attachments', 'a')}",
        (q,)).fetchall()
    def make(r) -> SearchHit:
        detail = " · ".join(one_line(x) for x in (r[6], r[7] and f"in “{r[7]}”", f"{r[3]:,} bytes") if x)
        return SearchHit("attachment", r[0], one_line(r[1]), detail, "", r[4], r[5], r[6], r[8])

    return _ranked([(_tier(typed, r[1]), r[4], partial(make, r)) for r in rows], limit)
