"""The electoral register: look electors up, suggest matches for forms (importing: register_import).

API (every result is a frozen dataclass; nothing here blocks casework: "not found" is advice):

    import_register(...) -> ImportSummary      see services/register_import.py (re-exported here)
    lookup(office, query, limit=20) -> LookupResult
        By name (typo-tolerant, accent-insensitive, initials, either order), postcode (everyone
        registered there), address, or elector number ("AB1-124/1"). Each Hit has the elector, the
        others at the address and known constituents linked to the elector with open case counts.
    suggest(office, forenames, surname, postcode=None, limit=5) -> list[Hit]
        Likely electors for a new-case/constituent form (same postcode ranked first).
    publications(office) -> list[PublicationView]   the registers currently held, per council
    elector_by_key(office, key) -> ElectorView | None

The register is local to this machine's office file: never synced, exported or bulk-mailed.
Lookups read through `Office.raw()` (plain DB-API, no SQLAlchemy), so `mpoffice lookup` starts quickly;
the import side is imported on first use.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from mpoffice_tui.importers.register import normalise as n
from mpoffice_tui.services.constituent_fields import name_sql

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.register_import import (
        FileSummary,
        ImportSummary,
        Replacement,
        council_from_filename,
        import_register,
        published_from_filename,
    )

_IMPORT_SIDE = ("FileSummary", "ImportSummary", "Replacement", "council_from_filename", "import_register",
                "published_from_filename")


def __getattr__(name: str):
    """The import side (services/register_import.py), loaded only when it is used."""
    if name in _IMPORT_SIDE:
        from mpoffice_tui.services import register_import

        return getattr(register_import, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["ConstituentLink", "ElectorView", "FileSummary", "Hit", "ImportSummary", "LookupResult",
           "PublicationView", "Replacement", "council_from_filename", "elector_by_key", "forget",
           "import_register", "lookup", "publications", "published_from_filename", "suggest"]

MARKER_NOTES = {
    "F": "overseas elector (no UK address shown)",
    "N": "anonymous elector (shown by number only)",
    "Z": "opted out of the open register",
}
NOT_FOUND_ADVICE = ("Not found on the register. That is information, not a refusal: many people who "
                    "need help are not registered (recent movers, homelessness, immigration status). "
                    "Carry on with the case.")


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ElectorView:
    key: str
    number: str  # e.g. AB1-124/1 (suffix only when not zero)
    name: str  # "Anonymous elector" for N entries
    title: str | None
    forename: str
    surname: str
    address: str
    postcode: str
    uprn: str | None
    markers: str
    notes: tuple[str, ...]  # markers in words, attainer date, open-register opt-out
    attainment_date: str | None
    open_register_optout: bool
    council: str
    published_on: str | None


@dataclass(frozen=True)
class ConstituentLink:
    id: str
    name: str
    open_cases: int


@dataclass(frozen=True)
class Hit:
    elector: ElectorView
    score: float  # 0-100
    matched_on: str  # name | address | postcode | number
    household: tuple[ElectorView, ...]  # the others registered at the same address (first HOUSEHOLD_SHOWN)
    constituents: tuple[ConstituentLink, ...]
    household_more: int = 0  # others at the address beyond those listed


@dataclass(frozen=True)
class LookupResult:
    query: str
    kind: str  # name | address | postcode | number | empty
    hits: tuple[Hit, ...]
    found: bool
    message: str  # always a sentence; when nothing is found, advice
    electors_held: int
    more: bool = False  # more matched than were returned


@dataclass(frozen=True)
class PublicationView:
    id: str
    council: str
    source_file: str
    format: str
    published_on: str | None
    imported_at: str
    rows: int


def publications(office: Office) -> list[PublicationView]:
    with office.raw() as conn:
        rows = conn.execute(
            "SELECT id, council, source_file, format, published_on, imported_at, rows FROM "
            "register_publication WHERE current = 1 ORDER BY council, source_file, id").fetchall()
    return [PublicationView(*r) for r in rows]


# -- lookup --------------------------------------------------------------------------------------
_COLS = ("e.rowid, e.elector_key, e.pd, e.eno, e.suffix, e.title, e.forename, e.surname, e.address, e.postcode, "
         "e.uprn, e.markers, e.attainment_date, e.open_register_optout, p.council, p.published_on")
_FROM = "FROM electors e LEFT JOIN register_publication p ON p.id = e.publication_id "
_SELECT = f"SELECT {_COLS} {_FROM}"
_STREET = {"road", "rd", "street", "st", "avenue", "ave", "lane", "ln", "close", "drive", "dr", "way", "court",
           "ct", "crescent", "grove", "place", "terrace", "gardens", "flat", "house", "hill", "square", "walk",
           "park", "view", "mews", "row", "green", "rise", "cottages", "farm", "apartment", "apartments"}


def _view(r) -> ElectorView:
    markers = r[11] or ""
    anonymous = "N" in markers
    name = "Anonymous elector" if anonymous else " ".join(x for x in (r[5], r[6], r[7]) if x)
    notes = [MARKER_NOTES[m] for m in markers if m in MARKER_NOTES]
    notes += [f"marker {m}" for m in markers if m not in MARKER_NOTES]
    if r[12]:
        notes.append(f"attainer: reaches voting age on {r[12]}")
    if r[13] and "Z" not in markers:
        notes.append(MARKER_NOTES["Z"])
    return ElectorView(key=r[1], number=n.elector_number(r[2] or "", r[3], r[4] or 0), name=name,
                       title=r[5], forename=r[6] or "", surname=r[7] or "", address=r[8] or "",
                       postcode=r[9] or "", uprn=r[10], markers=markers, notes=tuple(notes),
                       attainment_date=r[12], open_register_optout=bool(r[13]), council=r[14] or "",
                       published_on=r[15])


@dataclass
class _Held:
    """What lookups keep between calls for one office: the elector count and the name vocabulary."""

    stamp: tuple
    count: int
    terms: list[str] | None = None
    docs: dict[str, int] | None = None


_VOCAB: dict[str, _Held] = {}
# Cheap (index ends and a tiny table) and changed by every import, replacement or direct insert.
_STAMP = ("SELECT (SELECT max(rowid) FROM electors), (SELECT min(rowid) FROM electors), "
          "(SELECT count(*) FROM register_publication), (SELECT max(imported_at) FROM register_publication)")


def forget(office: Office) -> None:
    """Drop what lookups keep for this office (after an import)."""
    _VOCAB.pop(str(office.path), None)


def _held(office: Office, conn) -> _Held:
    """The cached facts about the register, refreshed when its stamp changes."""
    stamp = tuple(conn.execute(_STAMP).fetchone())
    held = _VOCAB.get(str(office.path))
    if held is None or held.stamp != stamp:
        count = int(conn.execute("SELECT count(*) FROM electors").fetchone()[0] or 0)
        held = _VOCAB[str(office.path)] = _Held(stamp, count)
    return held


def _vocab(office: Office, conn) -> tuple[list[str], dict[str, int]]:
    """Distinct name terms of the FTS index and how many electors have each (cached)."""
    held = _held(office, conn)
    if held.terms is None or held.docs is None:
        docs: dict[str, int] = defaultdict(int)
        for term, doc in conn.execute(
                "SELECT term, doc FROM electors_vocab WHERE col IN ('forename', 'surname')"):
            docs[term] += doc
        held.docs, held.terms = dict(docs), list(docs)
    return held.terms, held.docs


def _alternatives(token: str, terms: list[str]) -> list[str]:
    cutoff = 84 if len(token) <= 4 else 75
    found = process.extract(token, terms, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
    return [t for t, _, _ in found if t != token]


def _fts_group(token: str, alts: list[str]) -> str:
    parts = [f'"{token}"*'] + [f'"{a}"' for a in alts]
    return "{forename surname} : (" + " OR ".join(parts) + ")"


def _rowids(conn, match: str, cap: int) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM electors_fts WHERE electors_fts MATCH ? LIMIT ?", (match, cap)).fetchall()]


def _fetch(conn, rowids: list[int]) -> list[tuple]:
    out: list[tuple] = []
    for i in range(0, len(rowids), 900):
        chunk = rowids[i:i + 900]
        out += conn.execute(
            _SELECT + f"WHERE e.rowid IN ({','.join('?' for _ in chunk)})", tuple(chunk)).fetchall()
    return out


# -- name ranking --------------------------------------------------------------------------------
_PARTICLES = {"o", "ua", "ui", "ni", "nic", "mac", "mc", "ap", "ab", "de", "na", "a"}
_GLUED = {"o", "d"}  # single letters that begin a surname when typed apart: "O Sullivan", "D Souza"
COVER = 78  # a query part "matches" a name part at this fuzz.ratio or better
FORENAME_WEIGHT, SURNAME_WEIGHT = 0.4, 0.6
EQUIVALENT = 0.95  # an equivalent form (Murphy for Ó Murchú) counts a little below the spelling itself


def _joined(text: str) -> str:
    return n.fold(text).replace(" ", "")


@cache
def surname_equivalents() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Folded joined surname -> (its equivalent joined forms, their index terms), from
    data/surname_equivalents.csv (anglicised and Gaelic/Welsh forms of one surname; pairs sharing a
    form make one group)."""
    groups: dict[str, set[str]] = {}
    spelt: dict[str, str] = {}
    text = (resources.files("mpoffice_tui") / "data" / "surname_equivalents.csv").read_text(encoding="utf-8")
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        forms = [f for f in row[:2] if f.strip()]
        if len(forms) < 2:
            continue
        keys = [_joined(f) for f in forms]
        for f, k in zip(forms, keys, strict=True):
            spelt.setdefault(k, f)
        merged = set(keys).union(*(groups.get(k, set()) for k in keys))
        for k in merged:
            groups[k] = merged
    out = {}
    for k, group in groups.items():
        terms = {w for g in group for w in n.fold(spelt[g]).split() if w not in _PARTICLES and len(w) > 2}
        out[k] = (tuple(sorted(group - {k})), tuple(sorted(terms)))
    return out


def _equivalent_terms(tokens: list[str], long: list[str]) -> dict[int, set[str]]:
    """Index terms of the surname equivalents named by the query, per position in `long`.

    A surname may be typed across tokens ("o sullivan", "mac donald"), so spans of up to three
    tokens are tried; the terms go to every long token of the span (any one of them then finds it).
    """
    eq = surname_equivalents()
    out: dict[int, set[str]] = defaultdict(set)
    where = {}
    j = 0
    for i, t in enumerate(tokens):
        if len(t) >= 2:
            where[i] = j
            j += 1
    for end in range(len(tokens)):
        for start in range(max(0, end - 2), end + 1):
            key = "".join(tokens[start:end + 1])
            if key in eq:
                for i in range(start, end + 1):
                    if i in where:
                        out[where[i]].update(eq[key][1])
    return out


def _variants(long: list[str], tokens: list[str]) -> list[tuple[list[str], list[str]]]:
    """(name parts, initials) readings of the query: single letters as initials, and (when a query
    has "O Sullivan" or "D Souza") the letter glued to the word after it."""
    out = [(long, [t for t in tokens if len(t) == 1])]
    if any(t in _GLUED for t in tokens[:-1]):
        parts: list[str] = []
        initials: list[str] = []
        glue = ""
        for t in tokens:
            if len(t) == 1 and t in _GLUED and not glue:
                glue = t
                continue
            if len(t) == 1:
                initials += [glue, t] if glue else [t]
                glue = ""
                continue
            parts.append(glue + t)
            glue = ""
        if glue:
            initials.append(glue)
        if parts and parts != long:
            out.append((parts, initials))
    return out


def _part_scores(queries: set[str], names: list[str], forms_of) -> dict[str, list[float]]:
    """For each query string, its best weighted fuzz.ratio against the forms of each name."""
    forms: list[str] = []
    owner: list[int] = []
    weight: list[float] = []
    for i, name in enumerate(names):
        for form, w in forms_of(name):
            forms.append(form)
            owner.append(i)
            weight.append(w)
    out = {}
    for q in queries:
        best = [0.0] * len(names)
        for _, score, k in process.extract(q, forms, scorer=fuzz.ratio, limit=None, score_cutoff=40):
            s = score * weight[k]
            if s > best[owner[k]]:
                best[owner[k]] = s
        out[q] = best
    return out


def _forename_forms(f: str) -> list[tuple[str, float]]:
    words = f.split()
    return [(f, 1.0)] + [(w, 0.97 if i == 0 else 0.9) for i, w in enumerate(words) if len(words) > 1]


def _surname_forms(s: str) -> list[tuple[str, float]]:
    joined = s.replace(" ", "")
    words = s.split()
    out = [(joined, 1.0)] + [(w, 0.9) for w in words if len(words) > 1 and len(w) > 2]
    eq = surname_equivalents().get(joined)
    return out + [(e, EQUIVALENT) for e in eq[0]] if eq else out


def _readings(parts: list[str]) -> list[tuple[str, str]]:
    """(forename part, surname part) readings of the name parts: either order, any split, or all one."""
    out = [("", "".join(parts)), (" ".join(parts), "")]
    for k in range(1, len(parts)):
        out.append((" ".join(parts[:k]), "".join(parts[k:])))
        out.append((" ".join(parts[k:]), "".join(parts[:k])))
    return out


def _name_scores(q: str, initials: list[str], rows: list[tuple], tokens: list[str] | None = None) -> list[float]:
    """A score for each candidate (rowid, forename, surname); above 100 only to order the best.

    Forename and surname are scored apart (surname forms include its Gaelic/Welsh/anglicised
    equivalents) and combined, 0.4 forename + 0.6 surname, over every reading of the query (either
    order, any split). When every query part matches a name part (fuzz.ratio >= COVER) the score is
    lifted into a band above any candidate matching only some parts, so "Siobhan O Sullivan" finds
    Siobhán Ó Súilleabháin before Brian O'Sullivan. The whole-name comparisons (reordered, joined,
    typo-tolerant) still count, below that band unless nearly exact; initials given move the score.
    """
    names = [(n.fold(r[1]), n.fold(r[2])) for r in rows]
    full = [f"{f} {s}".strip() for f, s in names]
    whole = [0.0] * len(rows)
    for query, choices, scorer in (
            (q, full, fuzz.WRatio), (q, full, fuzz.token_sort_ratio),
            (q.replace(" ", ""), [c.replace(" ", "") for c in full], fuzz.ratio),
            (q, [f"{f} {s.replace(' ', '')}" for f, s in names], fuzz.token_sort_ratio)):
        for _, score, i in process.extract(query, choices, scorer=scorer, limit=None):
            if score > whole[i]:
                whole[i] = score
    variants = _variants(q.split(), tokens if tokens is not None else q.split() + initials)
    fnames = sorted({f for f, _ in names})
    snames = sorted({s for _, s in names})
    fidx = {f: i for i, f in enumerate(fnames)}
    sidx = {s: i for i, s in enumerate(snames)}
    readings = [(_readings(parts), inits) for parts, inits in variants]
    fq = {f for rs, _ in readings for f, _ in rs if f}
    sq = {s for rs, _ in readings for _, s in rs if s}
    fs = _part_scores(fq, fnames, _forename_forms)
    ss = _part_scores(sq, snames, _surname_forms)
    fi = [fidx[f] for f, _ in names]
    si = [sidx[s] for _, s in names]
    best = [0.0] * len(rows)
    for rs, inits in readings:
        score = [o if o >= 98 else min(o, 93.0) for o in whole]
        for fpart, spart in rs:
            if not fpart or not spart:
                part, idx = (ss[spart], si) if spart else (fs[fpart], fi)
                banded = [80 + 0.2 * x if x >= COVER else min(x, 93.0) for x in part]
                vals = [banded[j] for j in idx]
            else:
                a, b = fs[fpart], ss[spart]
                wa = [FORENAME_WEIGHT * x for x in a]
                wb = [SURNAME_WEIGHT * x for x in b]
                vals = [80 + 0.2 * (wa[i] + wb[j]) if a[i] >= COVER and b[j] >= COVER else min(wa[i] + wb[j], 93.0)
                        for i, j in zip(fi, si, strict=True)]
            score = list(map(max, score, vals))
        if inits:
            fits = [all(i in {w[0] for w in c.split()} for i in inits) for c in full]
            score = [x + (8 if ok else -25) for x, ok in zip(score, fits, strict=True)]
        best = list(map(max, best, score))
    return [0.0 if not c else x for c, x in zip(full, best, strict=True)]


def _name_candidates(office: Office, conn, q_tokens: list[str],
                     all_tokens: list[str] | None = None) -> list[tuple[int, str, str]]:
    """(rowid, forename, surname) of the electors worth scoring for these name tokens.

    Every token (or a close spelling of it) first; when that finds few, all tokens but one (one word
    wrong or missing); when that still finds few, each token alone, the rarest given the most room.
    A surname with Gaelic/Welsh/anglicised equivalents (data/surname_equivalents.csv) finds them too.
    """
    terms, docs = _vocab(office, conn)
    equivalents = _equivalent_terms(all_tokens if all_tokens is not None else q_tokens, q_tokens)
    groups = []
    for j, t in enumerate(q_tokens):
        alts = _alternatives(t, terms)
        alts += [e for e in sorted(equivalents.get(j, ())) if e in docs and e != t and e not in alts]
        weight = sum(docs.get(a, 0) for a in alts) + docs.get(t, 0)
        groups.append((weight, _fts_group(t, alts)))
    if not groups:
        return []
    rowids = _rowids(conn, " AND ".join(g for _, g in groups), 600)
    if len(rowids) < 20 and len(groups) > 1:
        found = set(rowids)
        if len(groups) > 2:
            for skip in range(len(groups)):
                found.update(_rowids(conn, " AND ".join(g for i, (_, g) in enumerate(groups) if i != skip), 400))
        if len(found) < 20:
            for i, (_, g) in enumerate(sorted(groups, key=lambda x: x[0])):
                found.update(_rowids(conn, g, 2500 if i == 0 else 400))
        rowids = list(found)
    out: list[tuple[int, str, str]] = []
    for i in range(0, len(rowids), 900):
        chunk = rowids[i:i + 900]
        out += conn.execute(f"SELECT rowid, forename, surname FROM electors WHERE rowid IN "
                                    f"({','.join('?' for _ in chunk)})", tuple(chunk)).fetchall()
    return out


def _classify(query: str) -> str:
    q = query.strip()
    if re.fullmatch(r"[A-Za-z]{1,4}\d{0,2}[A-Za-z]?\s*[-/ ]\s*\d+(\s*/\s*\d+)?", q) and not n.looks_like_postcode(q):
        return "number"
    if n.looks_like_postcode(q) or n.outward_code(q):
        return "postcode"
    words = n.fold(q).split()
    if any(w.isdigit() for w in words) or any(w in _STREET for w in words):
        return "address"
    return "name"


def lookup(office: Office, query: str, limit: int = 20) -> LookupResult:
    """Find electors by name, postcode, address or elector number (see module doc)."""
    query = (query or "").strip()
    with office.raw() as conn:
        held = _held(office, conn).count
        if not query:
            return LookupResult(query, "empty", (), False, "Type a name, postcode, address or elector "
                                "number.", held)
        if not held:
            return LookupResult(query, _classify(query), (), False, "No electoral register has been "
                                "imported yet, so nobody can be checked against it. " + NOT_FOUND_ADVICE, held)
        kind = _classify(query)
        scored: list[tuple[float, str, tuple]] = []
        if kind == "number":
            try:
                pd, eno, suffix = n.split_number(re.sub(r"\s+", "", query)) or ("", 0, 0)
            except ValueError:  # a number too long to be an elector's: nobody has it
                pd, eno, suffix = "", -1, 0
            rows = conn.execute(_SELECT + "WHERE e.pd = ? AND e.eno = ? ORDER BY e.suffix, e.id",
                                        (pd.upper(), eno)).fetchall()
            exact_suffix = "/" in query
            scored = [(100.0 if (r[4] or 0) == suffix else 80.0, "number", r) for r in rows
                      if not exact_suffix or (r[4] or 0) == suffix]
        elif kind == "postcode":
            full = n.looks_like_postcode(query)
            if full:
                rows = conn.execute(_SELECT + "WHERE e.postcode = ?", (full,)).fetchall()
            else:
                start = n.outward_code(query) or ""
                rows = conn.execute(_SELECT + "WHERE e.postcode >= ? AND e.postcode < ? LIMIT 2000",
                                            (start + " " if " " not in start else start,
                                             (start + " " if " " not in start else start) + "~")).fetchall()
            scored = [(100.0, "postcode", r) for r in rows]
            limit = max(limit, 500)
        if kind in ("address", "name") or (kind == "postcode" and not scored):
            tokens = n.fold(query).split()
            if kind == "address":
                scored = _address_search(conn, query, tokens)
                if scored:  # a street: everyone on it (a name with "Green" or "Hill" in it falls through)
                    limit = max(limit, 200)
            if not scored:
                long = [t for t in tokens if len(t) >= 2]
                initials = [t for t in tokens if len(t) == 1]
                q = " ".join(long)
                cands = _name_candidates(office, conn, long, tokens)
                good = {c[0]: s for s, c in zip(_name_scores(q, initials, cands, tokens), cands, strict=True)
                        if s >= 70}
                scored = [(good[r[0]], "name", r) for r in _fetch(conn, list(good))]
                kind = "name" if scored or kind != "address" else kind
            if not scored and kind == "name":
                scored = _address_search(conn, query, tokens)
                if scored:
                    kind = "address"
        scored.sort(key=lambda x: (-x[0], x[2][9] or "", address_order(x[2][8]), x[2][2] or "", x[2][3] or 0,
                                   x[2][4] or 0, x[2][0]))
        more = len(scored) > limit
        chosen = scored[:limit]
        hits = _hits(conn, chosen)
    if not hits:
        return LookupResult(query, kind, (), False, f"No elector matches {query!r}. " + NOT_FOUND_ADVICE,
                            held)
    what = {"number": "elector number", "postcode": "postcode", "address": "address", "name": "name"}[kind]
    msg = f"{len(hits)}{'+' if more else ''} elector{'s' if len(hits) != 1 else ''} found by {what}."
    return LookupResult(query, kind, tuple(hits), True, msg, held, more)


_HOUSE = re.compile(r"(\d+)\s*([A-Za-z]?)\b[\s,]+([^\d,][^,]*)")


def address_order(address: str | None) -> tuple:
    """A sort key that walks a street as a canvasser would: by street, then house number as a number
    (12 before 111, 12A after 12), then flat; named houses by name."""
    a = " ".join((address or "").split())
    found = list(_HOUSE.finditer(a))
    m = found[-1] if found else None  # the last: "Flat 7, Arkwright House, 156 Rowan Rise" is on Rowan Rise
    if m is None:
        return (a.casefold(), 0, "", (), a)
    flat = tuple(int(x) for x in re.findall(r"\d+", a[:m.start()]))
    return (m.group(3).strip().casefold(), int(m.group(1)), m.group(2).casefold(), flat, a)


def _address_search(conn, query: str, tokens: list[str]) -> list[tuple[float, str, tuple]]:
    if not tokens:
        return []
    parts = [f'"{t}"' if t.isdigit() else f'"{t}"*' for t in tokens]
    rowids = _rowids(conn, "{address postcode} : (" + " AND ".join(parts) + ")", 1500)
    rows = _fetch(conn, rowids)
    q = " ".join(tokens)
    return [(float(fuzz.token_set_ratio(q, n.fold(f"{r[8]} {r[9]}"))), "address", r) for r in rows]


HOUSEHOLD_SHOWN = 12  # others at an address listed with a hit (a hostel or care home can hold many more)


def _hits(conn, chosen: list[tuple[float, str, tuple]]) -> list[Hit]:
    if not chosen:
        return []
    homes: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    sizes: dict[tuple[str, str], int] = {}
    places = sorted({(r[9], r[8] or "") for _, _, r in chosen if r[9]})
    for i in range(0, len(places), 400):
        chunk = places[i:i + 400]
        marks = ",".join("(?, ?)" for _ in chunk)
        for r in conn.execute(  # rank the people at each address first, then read only those shown
                f"SELECT {_COLS}, h.size FROM (SELECT * FROM (SELECT e.rowid AS rid, row_number() OVER w AS rn, "
                "count(*) OVER (PARTITION BY e.postcode, e.address) AS size FROM electors e "
                f"WHERE e.postcode IN ({','.join('?' * len(chunk))}) AND (e.postcode, e.address) IN (VALUES {marks}) "
                "WINDOW w AS (PARTITION BY e.postcode, e.address ORDER BY e.pd, e.eno, e.suffix, e.id)) "
                f"WHERE rn <= {HOUSEHOLD_SHOWN + 1}) h JOIN electors e ON e.rowid = h.rid "
                "LEFT JOIN register_publication p ON p.id = e.publication_id ORDER BY h.rn, e.id",
                tuple(p[0] for p in chunk) + tuple(x for p in chunk for x in p)).fetchall():
            homes[(r[9], r[8])].append(r)
            sizes[(r[9], r[8])] = r[-1]
    keys = sorted({r[1] for _, _, r in chosen})
    links: dict[str, list[ConstituentLink]] = defaultdict(list)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for key, cid, name, open_cases in conn.execute(
                f"SELECT c.elector_key, c.id, {name_sql('c')}, "
                "(SELECT count(*) FROM cases k WHERE k.constituent_id = c.id AND k.deleted = 0 "
                "AND k.status != 'closed') FROM constituents c WHERE c.deleted = 0 AND c.merged_into IS NULL "
                f"AND c.elector_key IN ({','.join('?' for _ in chunk)})", tuple(chunk)).fetchall():
            links[key].append(ConstituentLink(cid, name, int(open_cases)))
    views: dict[int, ElectorView] = {}

    def view(r) -> ElectorView:
        v = views.get(r[0])
        if v is None:
            v = views[r[0]] = _view(r)
        return v

    hits = []
    for score, how, r in chosen:
        others: tuple[ElectorView, ...] = ()
        more = 0
        if r[9]:
            place = (r[9], r[8] or "")
            others = tuple(view(o) for o in homes.get(place, ()) if o[0] != r[0])[:HOUSEHOLD_SHOWN]
            more = max(0, sizes.get(place, 1) - 1 - len(others))
        hits.append(Hit(view(r), round(min(float(score), 100.0), 1), how, others, tuple(links.get(r[1], ())), more))
    return hits


def suggest(office: Office, forenames: str, surname: str, postcode: str | None = None,
            limit: int = 5) -> list[Hit]:
    """Likely register entries for a person being entered in a form; same postcode first."""
    name = f"{forenames or ''} {surname or ''}".strip()
    if len(n.fold(name)) < 2:
        return []
    result = lookup(office, name, limit=max(limit * 4, 20))
    if result.kind != "name":
        return []
    pc = n.looks_like_postcode(postcode or "") or n.postcode(postcode or "")
    ranked = sorted(result.hits, key=lambda h: -(h.score + (15 if pc and h.elector.postcode == pc else 0)))
    return ranked[:limit]


def elector_by_key(office: Office, key: str) -> ElectorView | None:
    with office.raw() as conn:
        r = conn.execute(_SELECT + "WHERE e.elector_key = ?", (key,)).fetchone()
    return _view(r) if r else None
