"""What every register format produces: elector records, row problems, and the shared row mapper."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    problems: list[RowProblem] = field(default_factory=list)
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

    def plan(self, header: list[str]) -> tuple[dict[str, int], list[int]]:
        index = {}
        for i, h in enumerate(header):
            index.setdefault(header_key(h), i)
        cols = {}
        for fld, keys in self.aliases.items():
            for k in keys:
                if k in index:
                    cols[fld] = index[k]
                    break
        return cols, [index[k] for k in self.address if k in index]

    def skip(self, rec: ElectorRecord) -> bool:
        """True for dummy rows a system adds (not an error)."""
        return False

    def fix(self, rec: ElectorRecord) -> None:
        """Format-specific touches after the common mapping."""

    def record(self, fields: list[str], cols: dict[str, int], addr: list[int]) -> ElectorRecord | None:
        """The elector on a row, None for a dummy row; ValueError says why a row cannot be read.

        The hot loop of an import (100k+ rows): plain locals, no per-row closures or regexes on the
        common path.
        """
        width = len(fields)
        get = cols.get

        def val(name: str) -> str:
            i = get(name)
            if i is None or i >= width:
                return ""
            v = fields[i].strip()
            return "" if v and len(v) <= 5 and v.lower() in n.PLACEHOLDERS else v

        pd = val("pd").upper()
        eno: int | None = None
        suffix = 0
        number = val("eno")
        if number:
            if number.isdigit():
                eno = int(number)
            else:
                parts = n.split_number(number)
                if parts is None:
                    raise ValueError(f"elector number {number!r} is not a number")
                pd2, eno, suffix = parts
                pd = pd or pd2
        sfx = val("suffix")
        if sfx:
            suffix = int(sfx) if sfx.isdigit() else (n.parse_int(sfx, "elector number suffix") or 0)
        markers = val("markers")
        if markers:
            markers = markers.upper()
            if not markers.isalpha() or not markers.isascii():
                markers = _NOT_LETTERS.sub("", markers)
        status = val("status").upper()
        if status and len(status) <= 3:
            markers = "".join(dict.fromkeys(markers + _NOT_LETTERS.sub("", status)))
        forename = val("forename")
        middle = val("middle")
        if middle:
            forename = f"{forename} {middle}".strip()
        surname = val("surname")
        optout = False
        if surname[:3].lower() == "(z)":
            optout = True
            surname = surname[3:].strip()
        dob, attained = val("dob"), val("attainment")
        lines = []
        for i in addr:
            if i < width:
                line = fields[i].strip()
                if line and not (len(line) <= 5 and line.lower() in n.PLACEHOLDERS):
                    lines.append(line)
        rec = ElectorRecord(
            pd=pd, eno=eno, suffix=suffix, markers=markers, title=val("title") or None, forename=forename,
            surname=surname, initials=val("initials") or None,
            date_of_birth=_date(dob, "date of birth") if dob else None,
            attainment_date=_date(attained, "date of attainment") if attained else None,
            franchise=val("franchise") or None, open_register_optout=optout, address=", ".join(lines),
            postcode=n.postcode(val("postcode")), uprn=n.uprn(val("uprn")))
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


_NOT_LETTERS = re.compile(r"[^A-Z]")


def _date(value: str, what: str) -> str | None:
    try:
        return n.parse_date(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date") from None
