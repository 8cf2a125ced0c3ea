"""Constituents: find, create, view (every case, contact history, consents, flags), duplicates, merge.

    search(office, "o'brien sw1a", limit=20) -> [ConstituentRow]
    find_or_create(office, name_or_email, forenames=, surname=, postcode=) -> (ConstituentRow, created)
    create(office, forenames=, surname=, ...) -> ConstituentRow;  update(office, id, **fields)
    get(office, id) -> ConstituentView (.person, .cases, .history, .consents, .merged_from)
        (a safety caution's details only for those `services.access` allows: a volunteer sees the flag)
    duplicates(office, constituent_id=None) -> [DuplicateMatch]  (same email; same folded name and
        postcode; similar name (rapidfuzz) at the same postcode)
    merge(office, keep_id, other_id) -> MergeResult  (moves cases, messages, consents, parties and
        subject access requests to the kept record, fills its blanks, tombstones the other with
        `merged_into`; nothing is lost: the other record stays readable)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import combinations

from anyascii import anyascii
from rapidfuzz import fuzz
from sqlalchemy import text
from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, CaseParty, Consent, Constituent, Message, SubjectAccessRequest
from mpoffice_tui.db.search import match_query
from mpoffice_tui.importers.register.normalise import elector_number
from mpoffice_tui.services import access
from mpoffice_tui.services.cases import CaseFilter, CaseRow, PersonBrief, list_cases
from mpoffice_tui.services.consent import ConsentView, consents_of
from mpoffice_tui.services.constituent_fields import EDITABLE, MATCH_COLS, cols, name_sql

FUZZY_THRESHOLD = 70.0


def fold_name(*parts: str | None) -> str:
    """'Siân  O’Brien-Jones' -> 'sian obrien jones': ASCII, lower case, letters and single spaces."""
    s = anyascii(" ".join(p for p in parts if p)).casefold()
    s = re.sub(r"['’`]", "", s)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def norm_postcode(pc: str | None) -> str:
    return re.sub(r"\s+", "", (pc or "").upper())


def format_postcode(pc: str | None) -> str | None:
    p = norm_postcode(pc)
    if not p:
        return None
    return f"{p[:-3]} {p[-3:]}" if len(p) > 3 else p


@dataclass(frozen=True)
class ConstituentRow:
    id: str
    name: str
    email: str | None
    phone: str | None
    postcode: str | None
    address1: str | None
    safety_caution: bool
    open_cases: int = 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class ContactItem:
    at: str
    channel: str
    direction: str
    subject: str
    case_id: str | None
    case_ref: str | None
    message_id: str


@dataclass(frozen=True)
class ConstituentView:
    person: PersonBrief
    privacy_state: str
    elector_key: str | None
    date_of_birth: str | None
    merged_into: str | None
    cases: tuple[CaseRow, ...]
    other_cases: tuple[CaseRow, ...]  # cases where they raised it for someone, or are another party
    history: tuple[ContactItem, ...]  # newest first
    consents: tuple[ConsentView, ...]
    merged_from: tuple[ConstituentRow, ...]
    elector_number: str | None = None  # as the council writes it (AB1-124/1), when on the register held here

    @property
    def flags(self) -> tuple[str, ...]:
        return self.person.flags

    def as_dict(self) -> dict:
        def plain(x):
            return {k: getattr(x, k) for k in x.__dataclass_fields__}

        return {"person": {**plain(self.person), "flags": list(self.flags)}, "privacy_state": self.privacy_state,
                "elector_key": self.elector_key, "elector_number": self.elector_number,
                "date_of_birth": self.date_of_birth,
                "merged_into": self.merged_into, "cases": [c.as_dict() for c in self.cases],
                "other_cases": [c.as_dict() for c in self.other_cases],
                "history": [plain(h) for h in self.history], "consents": [plain(c) for c in self.consents],
                "merged_from": [m.as_dict() for m in self.merged_from]}


_ROW_COLS = (f"p.id, {name_sql('p')}, "
             "p.email, p.phone, p.postcode, p.address1, p.safety_caution, "
             "(SELECT count(*) FROM cases c WHERE c.constituent_id = p.id AND c.deleted = 0 "
             "AND c.status != 'closed')")  # an index search on ix_cases_constituent_live (0006)
_ROW_SQL = f"SELECT {_ROW_COLS} FROM constituents p "


def _crow(r) -> ConstituentRow:
    return ConstituentRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), int(r[7] or 0))


def row(office: Office, constituent_id: str) -> ConstituentRow:
    with office.engine.connect() as conn:
        r = conn.execute(text(_ROW_SQL + "WHERE p.id = :id"), {"id": constituent_id}).fetchone()
    if r is None:
        raise OfficeError("no such constituent")
    return _crow(r)


def search(office: Office, query: str, limit: int = 20) -> list[ConstituentRow]:
    """Live constituents matching words of a name, email, postcode or address (prefix match)."""
    q = match_query(query)
    if q is None:
        return []
    with office.engine.connect() as conn:
        # the page is chosen first and only its people's open cases are counted (a common prefix matches
        # thousands of people: counting for each before the LIMIT made search grow with the office)
        rows = conn.execute(text(
            f"SELECT {_ROW_COLS} FROM (SELECT rowid FROM constituents p WHERE p.rowid IN "
            "(SELECT rowid FROM constituents_fts WHERE constituents_fts MATCH :q) "
            "AND p.deleted = 0 AND p.merged_into IS NULL ORDER BY p.surname COLLATE NOCASE, p.forenames, p.id "
            "LIMIT :limit) page JOIN constituents p ON p.rowid = page.rowid "
            "ORDER BY p.surname COLLATE NOCASE, p.forenames, p.id"), {"q": q, "limit": limit}).fetchall()
    return [_crow(r) for r in rows]


def find_by_email(office: Office, email: str) -> list[ConstituentRow]:
    with office.engine.connect() as conn:
        rows = conn.execute(text(_ROW_SQL + "WHERE lower(p.email) = lower(:e) AND p.deleted = 0 "
                                 "AND p.merged_into IS NULL ORDER BY p.id"), {"e": (email or "").strip()}).fetchall()
    return [_crow(r) for r in rows]


def clean_fields(fields: dict) -> dict:
    """Editable fields as stored: spaces folded, a postcode formatted, a birth date checked."""
    out = {}
    for k, v in fields.items():
        if k not in EDITABLE:
            raise OfficeError(f"a constituent has no field {k!r}")
        if isinstance(v, str):
            v = " ".join(v.split()) or None
            if k in ("forenames", "surname"):
                v = v or ""
        if k == "postcode":
            v = format_postcode(v)
        if k == "email" and v:
            v = v.strip()
        if k == "date_of_birth" and v:
            v = _birth_date(v)
        out[k] = v
    return out


def _birth_date(value: str) -> str:
    """'1966-04-07', or as written in the UK ('7/4/1966', '07.04.1966'), as an ISO date."""
    from datetime import date

    from mpoffice_tui.services.clock import parse_date, today

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", value.strip()):
        raise OfficeError(f"date of birth {value!r} is not a date: use DD/MM/YYYY or YYYY-MM-DD")
    try:
        born = parse_date(value, "date of birth")
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    if not date(1900, 1, 1) <= born <= today():
        raise OfficeError(f"date of birth {value!r} is not a possible birth date")
    return born.isoformat()


def create(office: Office, *, forenames: str = "", surname: str = "", **fields) -> ConstituentRow:
    """Add a constituent (a name is needed: forenames or surname)."""
    data = clean_fields({"forenames": forenames, "surname": surname, **fields})
    if not (data.get("forenames") or data.get("surname")):
        raise OfficeError("a constituent needs a name")
    with office.writing() as w:
        p = w.insert(Constituent, **data)
        w.audit("constituent.create", target=f"constituent:{p.id}")
    return row(office, p.id)


def update(office: Office, constituent_id: str, **fields) -> ConstituentRow:
    """Change fields; the details of a safety caution only by those who may read them."""
    data = clean_fields(fields)
    if "safety_details" in data:  # a volunteer cannot read them, so cannot overwrite them blind either
        access.require(office, "safety.details")
    with office.writing() as w:
        p = w.get(Constituent, constituent_id)
        if p is None or p.deleted:
            raise OfficeError("no such constituent")
        w.update(p, **data)
        w.audit("constituent.edit", target=f"constituent:{p.id}", detail=", ".join(sorted(data)))
    return row(office, constituent_id)


def editable(office: Office, constituent_id: str) -> dict:
    """The current value of every field the viewer may edit (safety details only for roles that may read
    them), for an edit form: {field: value}."""
    names = [f for f in EDITABLE if f != "elector_key"]
    if not access.can(office, "safety.details"):
        names.remove("safety_details")
    with office.engine.connect() as conn:
        r = conn.execute(text(f"SELECT {', '.join(names)} FROM constituents WHERE id = :id AND deleted = 0"),
                         {"id": constituent_id}).fetchone()
    if r is None:
        raise OfficeError("no such constituent")
    return dict(zip(names, r, strict=True))


def find_or_create(office: Office, who: str | None, *, forenames: str | None = None,
                   surname: str | None = None, postcode: str | None = None, email: str | None = None,
                   ) -> tuple[ConstituentRow, bool]:
    """The one constituent meant by `who` (an email, an id or a name, narrowed by postcode), or a new
    one from forenames/surname when nobody matches. OfficeError when several match."""
    who = (who or "").strip()
    if who:
        if "@" in who:
            found = find_by_email(office, who)
            email = email or who
        else:
            with office.engine.connect() as conn:
                hit = conn.execute(text("SELECT id FROM constituents WHERE id = :id AND deleted = 0"),
                                   {"id": who}).fetchone()
            if hit:
                return row(office, hit[0]), False
            folded = fold_name(who)
            found = [r for r in search(office, who, limit=200) if fold_name(r.name) == folded
                     or folded in fold_name(r.name)]
        if postcode:
            found = [r for r in found if norm_postcode(r.postcode) == norm_postcode(postcode)]
        if len(found) == 1:
            return found[0], False
        if len(found) > 1:
            names = "; ".join(f"{r.name} ({r.postcode or r.email or r.id})" for r in found[:5])
            raise OfficeError(f"{len(found)} constituents match {who!r}: {names}. Add --postcode or use "
                              "an email address")
    if not (forenames or surname):
        if who and "@" not in who:
            raise OfficeError(f"no constituent matches {who!r}: give --forenames/--surname to create one")
        raise OfficeError("no constituent found: give --forenames and --surname (and --postcode) to create one")
    return create(office, forenames=forenames or "", surname=surname or "", postcode=postcode,
                  email=email), True


def get(office: Office, constituent_id: str, history_limit: int = 500) -> ConstituentView:
    """A constituent with every case, their contact history (newest first), consents and flags."""
    from mpoffice_tui.services.cases import _person

    show_safety = access.can(office, "safety.details")
    with office.engine.connect() as conn:
        person = _person(conn, constituent_id, safety_details=show_safety)
        if person is None:
            raise OfficeError("no such constituent")
        extra = conn.execute(text("SELECT privacy_state, elector_key, date_of_birth, merged_into FROM "
                                  "constituents WHERE id = :id"), {"id": constituent_id}).fetchone()
        other_ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM cases WHERE deleted = 0 AND raised_by_id = :id UNION "
            "SELECT case_id FROM case_parties WHERE deleted = 0 AND constituent_id = :id ORDER BY 1"),
            {"id": constituent_id})]
        history = tuple(ContactItem(*r) for r in conn.execute(text(
            "SELECT m.received_at, m.channel, m.direction, m.subject, m.case_id, c.ref, m.id FROM messages m "
            "LEFT JOIN cases c ON c.id = m.case_id WHERE m.constituent_id = :id AND m.deleted = 0 "
            "ORDER BY m.received_at DESC, m.id DESC LIMIT :n"), {"id": constituent_id, "n": history_limit}))
        consents = tuple(consents_of(conn, constituent_id))
        merged = tuple(_crow(r) for r in conn.execute(text(_ROW_SQL + "WHERE p.merged_into = :id ORDER BY p.id"),
                                                         {"id": constituent_id}))
        elector = conn.execute(text("SELECT pd, eno, suffix FROM electors WHERE elector_key = :k LIMIT 1"),
                               {"k": extra[1]}).fetchone() if extra[1] else None
    cases = list_cases(office, CaseFilter(constituent_id=constituent_id), limit=1000, with_total=False).rows
    others = []
    if other_ids:
        from mpoffice_tui.services.cases import case_row

        others = [case_row(office, cid) for cid in other_ids]
    return ConstituentView(person, extra[0], extra[1], extra[2], extra[3], cases, tuple(others), history,
                           consents, merged, elector_number(elector[0] or "", elector[1], elector[2]) if elector
                           else None)


# -- duplicates and merge ------------------------------------------------------------------------
@dataclass(frozen=True)
class DuplicateMatch:
    a: ConstituentRow
    b: ConstituentRow
    reason: str  # same email | same name and postcode | similar name at the same postcode
    score: float


def _candidates(office: Office, constituent_id: str | None):
    base = f"SELECT {cols(MATCH_COLS)} FROM constituents WHERE deleted = 0 AND merged_into IS NULL"
    with office.engine.connect() as conn:
        if constituent_id is None:
            return conn.execute(text(base)).fetchall()
        me = conn.execute(text(base + " AND id = :id"), {"id": constituent_id}).fetchone()
        if me is None:
            raise OfficeError("no such constituent")
        others = conn.execute(text(
            base + " AND id != :id AND ((:e != '' AND lower(email) = :e) OR "
            "(:pc != '' AND replace(upper(postcode), ' ', '') = :pc) OR "
            "(:sur != '' AND replace(replace(surname, '’', ''), '''', '') = :sur COLLATE NOCASE))"),
            {"id": constituent_id, "e": (me[4] or "").strip().lower(), "pc": norm_postcode(me[5]),
             "sur": re.sub(r"['’]", "", (me[2] or "").strip())}).fetchall()
        return [me, *others]


def name_similarity(asur: str, afores: tuple[str, ...], bsur: str, bfores: tuple[str, ...]) -> float:
    """0-100: surnames must be close (>= 80) and forenames close (>= 60) or one an initial of the other.

    'Mary O'Brien' / 'Marie O'Brian' match; 'John Smith' / 'Jane Smith' (a household) do not.
    """
    if not asur or not bsur:
        return 0.0
    s = fuzz.ratio(asur, bsur)
    if s < 80:
        return 0.0
    best = 0.0
    for fa in afores or ("",):
        for fb in bfores or ("",):
            if not fa or not fb:
                continue
            first_a, first_b = fa.split()[0], fb.split()[0]
            f = fuzz.ratio(first_a, first_b)
            if (len(first_a) == 1 or len(first_b) == 1) and first_a[0] == first_b[0]:
                f = 75.0
            best = max(best, f)
    if best < 60:
        return 0.0
    return min(98.0, round(0.6 * s + 0.4 * best, 1))  # below an exact match


def duplicates(office: Office, constituent_id: str | None = None, threshold: float = FUZZY_THRESHOLD,
               limit: int = 500) -> list[DuplicateMatch]:
    """Likely duplicate pairs, best first: of one constituent, or across the office."""
    people = _candidates(office, constituent_id)
    pairs: dict[tuple[str, str], tuple[str, float]] = {}

    def note(a: str, b: str, reason: str, score: float) -> None:
        if constituent_id and constituent_id not in (a, b):
            return
        key = (a, b) if a < b else (b, a)
        if key not in pairs or pairs[key][1] < score:
            pairs[key] = (reason, score)

    by_email: dict[str, list[str]] = {}
    by_pc: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    by_name: dict[str, list[tuple[str, bool]]] = {}
    for pid, fore, sur, pref, email, pc in people:
        if email and email.strip():
            by_email.setdefault(email.strip().lower(), []).append(pid)
        for first in {fold_name(fore), fold_name(pref)} - {""}:
            if fold_name(sur):
                by_name.setdefault(f"{first} {fold_name(sur)}", []).append((pid, bool(norm_postcode(pc))))
        if norm_postcode(pc):
            forenames = tuple(x for x in {fold_name(fore), fold_name(pref)} if x)
            by_pc.setdefault(norm_postcode(pc), []).append((pid, fold_name(sur), forenames))
    for ids in by_email.values():
        for a, b in combinations(ids, 2):
            note(a, b, "same email", 100.0)
    for group in by_pc.values():
        exact: dict[str, str] = {}
        for pid, sur, fores in group:
            for fore in fores or ("",):
                key = f"{fore} {sur}"
                if key in exact and exact[key] != pid:
                    note(exact[key], pid, "same name and postcode", 99.0)
                exact.setdefault(key, pid)
        if len(group) > 200:  # a block of flats with hundreds of records: exact names only
            continue
        for (a, asur, afores), (b, bsur, bfores) in combinations(group, 2):
            score = name_similarity(asur, afores, bsur, bfores)
            if score >= threshold:
                note(a, b, "similar name at the same postcode", score)
    for named in by_name.values():  # e.g. a new record from an email, with no postcode yet
        if len(named) <= 20:  # a common name: too many people to say which
            for (a, a_pc), (b, b_pc) in combinations(named, 2):
                if a != b and not (a_pc and b_pc):
                    note(a, b, "same name; one has no postcode", 90.0)
    ordered = sorted(pairs.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    ids = {i for (a, b), _ in ordered for i in (a, b)}
    rows: dict[str, ConstituentRow] = {}
    if ids:
        with office.engine.connect() as conn:
            for r in conn.execute(text(_ROW_SQL + "WHERE p.id IN (SELECT value FROM json_each(:ids))"),
                                  {"ids": json.dumps(sorted(ids))}):
                rows[r[0]] = _crow(r)
    return [DuplicateMatch(rows[a], rows[b], reason, score) for (a, b), (reason, score) in ordered]


@dataclass(frozen=True)
class MergeResult:
    kept_id: str
    merged_id: str
    cases: int
    messages: int
    consents: int
    parties: int
    subject_access_requests: int
    fields_filled: tuple[str, ...]


_FILL = ("title", "preferred_name", "email", "phone", "address1", "address2", "address3", "town", "postcode",
         "date_of_birth", "elector_key", "safety_details", "interpreter_language", "accessibility")


# what a merge moves to the kept record, by what MergeResult counts: (table, the column naming the person)
_MOVED = {
    "cases": ((Case, "constituent_id"), (Case, "raised_by_id")),
    "messages": ((Message, "constituent_id"),),
    "suggestions": ((Message, "suggested_constituent_id"),),  # moved, not counted
    "consents": ((Consent, "constituent_id"),),
    "parties": ((CaseParty, "constituent_id"),),
    "subject_access_requests": ((SubjectAccessRequest, "constituent_id"),),
}


def _move(w, model, column: str, from_id: str, to_id: str) -> int:
    """Point every row of `model` whose `column` names `from_id` at `to_id`; how many moved."""
    rows = w.session.exec(select(model).where(getattr(model, column) == from_id)).all()
    for r in rows:
        w.update(r, **{column: to_id})
    return len(rows)


def merge(office: Office, keep_id: str, other_id: str) -> MergeResult:
    """Merge `other_id` into `keep_id` in one transaction, keeping every piece of history."""
    from mpoffice_tui.services.staff import MANAGING_ROLES, require_role

    require_role(office, *MANAGING_ROLES, "caseworker", action="merge constituents")
    if keep_id == other_id:
        raise OfficeError("cannot merge a record into itself")
    with office.writing() as w:
        keep, other = w.get(Constituent, keep_id), w.get(Constituent, other_id)
        if keep is None or keep.deleted or keep.merged_into:
            raise OfficeError("the record to keep does not exist or was merged already")
        if other is None or other.deleted or other.merged_into:
            raise OfficeError("the record to merge does not exist or was merged already")
        moved = {what: sum(_move(w, model, column, other_id, keep_id) for model, column in links)
                 for what, links in _MOVED.items()}
        filled = {f: getattr(other, f) for f in _FILL if not getattr(keep, f) and getattr(other, f)}
        if not keep.forenames and other.forenames:
            filled["forenames"] = other.forenames
        for flag in ("safety_caution", "vulnerable"):
            if getattr(other, flag) and not getattr(keep, flag):
                filled[flag] = True
        if filled:
            w.update(keep, **filled)
        w.update(other, merged_into=keep_id, deleted=True)
        w.audit("constituent.merge", target=f"constituent:{keep_id}", detail=f"merged constituent:{other_id}")
    return MergeResult(keep_id, other_id, moved["cases"], moved["messages"], moved["consents"], moved["parties"],
                       moved["subject_access_requests"], tuple(sorted(filled)))
