"""What every register format produces: elector records, row problems, and the shared row mapper."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from operator import itemgetter
from typing import Any

from mpoffice_tui.importers.register import normalise as n


@dataclass(slots=True)
class ElectorRecord:
    """One elector as read from an export (not yet keyed to a council)."""

    pd: str = ""
    eno: int | None = None
    suffix: int = 0
    markers: str = ""
    title: str | None = None
    forename: str = ""
    surname: str = ""
    initials: str | None = None
    date_of_birth: str | None = None
    attainment_date: str | None = None
    franchise: str | None = None
    open_register_optout: bool = False
    address: str = ""
    postcode: str = ""
    uprn: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read: file, row (line) number and reason."""

    file: str
    row: int
    reason: str


@dataclass
class ParsedFile:
    """A whole export read into memory, with the rows that failed."""

    path: str
    format: str
    format_label: str
    encoding: str
    delimiter: str
    records: list[ElectorRecord] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # rows not read (each skipped)
    notes: list[RowProblem] = field(default_factory=list)  # rows read, but worth a look (another encoding)
    skipped: int = 0  # dummy/placeholder records some systems add


def header_key(name: str) -> str:
    """ "Elector Number Prefix" -> "electornumberprefix"."""
    return re.sub(r"[^a-z0-9]", "", name.strip().strip("\ufeff").lower())


class Format:
    """An export format: how to recognise its header and where each field lives.

    `aliases` maps a record field to the header keys that may hold it (first found wins);
    `address` lists the header keys of the address lines in order.
    """

    name = ""
    label = ""
    required: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = {}
    address: tuple[str, ...] = ()

    def matches(self, keys: set[str]) -> bool:
        return all(k in keys for k in self.required)

    def plan(self, header: list[str]) -> Plan:
        """Where each field of this file lives (absent fields read as empty)."""
        index: dict[str, int] = {}
        for i, h in enumerate(header):
            index.setdefault(header_key(h), i)
        cols = [next((index[k] for k in self.aliases.get(f, ()) if k in index), -1) for f in FIELDS]
        addr = [index[k] for k in self.address if k in index]
        return Plan(len(header), itemgetter(*cols), itemgetter(*addr) if addr else None, len(addr))

    def skip(self, rec: ElectorRecord) -> bool:
        """True for dummy rows a system adds (not an error)."""
        return False

    def fix(self, rec: ElectorRecord) -> None:
        """Format-specific touches after the common mapping."""

    def record(self, fields: list[str], plan: Plan) -> ElectorRecord | None:
        """The elector on a row, None for a dummy row; ValueError says why a row cannot be read.

        The hot loop of an import (100k+ rows): fields are picked with C-level itemgetters, an absent
        column reads the empty cell appended to every row, and placeholders are looked for with one set
        test per row.
        """
        short = plan.width - len(fields)
        if short > 0:
            fields.extend([""] * short)
        fields.append("")  # index -1: every absent column
        vals = list(map(str.strip, plan.pick(fields)))
        if not _PLACEHOLDERS.isdisjoint(vals):
            vals = ["" if v in _PLACEHOLDERS else v for v in vals]
        (pd, number, sfx, markers, status, title, forename, middle, surname, initials, dob, attained,
         franchise, postcode, uprn) = vals
        pd = pd.upper()
        eno: int | None = None
        suffix = 0
        if number:
            if number.isdigit() and number.isascii():
                eno = n.bounded_int(number, "elector number", n.MAX_ENO_DIGITS)
            else:
                parts = n.split_number(number)
                if parts is None:
                    raise ValueError(f"elector number {number!r} is not a number")
                pd2, eno, suffix = parts
                pd = pd or pd2
        if sfx:
            suffix = n.parse_int(sfx, "elector number suffix", n.MAX_SUFFIX_DIGITS) or 0
        if markers:
            markers = markers.upper()
            if not (markers.isalpha() and markers.isascii()):
                markers = _NOT_LETTERS.sub("", markers)
        status = status.upper()
        if status and len(status) <= 3:
            markers = "".join(dict.fromkeys(markers + _NOT_LETTERS.sub("", status)))
        if middle:
            forename = f"{forename} {middle}".strip()
        optout = False
        if surname[:3].lower() == "(z)":
            optout = True
            surname = surname[3:].strip()
        address = ""
        if plan.address:
            lines = plan.address(fields)
            if plan.address_count == 1:
                lines = (lines,)
            lines = [x for x in map(str.strip, lines) if x and x not in _PLACEHOLDERS]
            address = ", ".join(lines)
        rec = ElectorRecord(
            pd=pd, eno=eno, suffix=suffix, markers=markers, title=title or None, forename=forename,
            surname=surname, initials=initials or None,
            date_of_birth=_date(dob, "date of birth") if dob else None,
            attainment_date=_date(attained, "date of attainment") if attained else None,
            franchise=franchise or None, open_register_optout=optout, address=address,
            postcode=n.postcode(postcode), uprn=n.uprn(uprn) if uprn else None)
        self.fix(rec)
        if self.skip(rec):
            return None
        if rec.eno is None and not rec.surname and not rec.forename:
            raise ValueError("no elector number and no name")
        if "N" in rec.markers:  # anonymous: shown by number only
            rec.title = rec.initials = None
            rec.forename = rec.surname = ""
            rec.address = ""
            rec.date_of_birth = None
            rec.postcode, rec.uprn = "", None
        elif not rec.surname and not rec.forename:
            raise ValueError("no name (and not marked N, anonymous)")
        return rec


# The fields a format's `aliases` may map, in the order `Format.record` unpacks them.
FIELDS = ("pd", "eno", "suffix", "markers", "status", "title", "forename", "middle", "surname", "initials",
          "dob", "attainment", "franchise", "postcode", "uprn")


@dataclass(frozen=True)
class Plan:
    """Where a file's fields live: header width, a picker of FIELDS and one of the address lines."""

    width: int
    pick: Callable[[list[str]], tuple[str, ...]]
    address: Callable[[list[str]], Any] | None
    address_count: int


def _case_variants(word: str) -> set[str]:
    return {"".join(cs) for cs in product(*({c.lower(), c.upper()} for c in word))}


# Every upper/lower-case spelling of the placeholders, so that one set test per row finds them.
_PLACEHOLDERS = frozenset().union(*(_case_variants(p) for p in n.PLACEHOLDERS))
_NOT_LETTERS = re.compile(r"[^A-Z]")


def _date(value: str, what: str) -> str | None:
    try:
        return n.parse_date(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date") from None
