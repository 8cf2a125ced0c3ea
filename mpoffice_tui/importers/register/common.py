"""What every register format produces: elector records, row problems, and the shared row mapper."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mpoffice_tui.importers.register import normalise as n


@dataclass
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
        """The elector on a row, None for a dummy row; ValueError says why a row cannot be read."""
        def get(name: str) -> str:
            i = cols.get(name)
            return n.clean(fields[i]) if i is not None and i < len(fields) else ""

        rec = ElectorRecord()
        rec.pd = get("pd").upper()
        number = get("eno")
        if number:
            parts = n.split_number(number)
            if parts is None:
                raise ValueError(f"elector number {number!r} is not a number")
            pd2, rec.eno, suffix = parts
            rec.pd = rec.pd or pd2
            rec.suffix = suffix
        sfx = get("suffix")
        if sfx:
            rec.suffix = n.parse_int(sfx, "elector number suffix") or 0
        markers = get("markers")
        rec.markers = re.sub(r"[^A-Z]", "", markers.upper()) if markers else ""
        status = get("status").upper()
        if status and len(status) <= 3:
            rec.markers = "".join(dict.fromkeys(rec.markers + re.sub(r"[^A-Z]", "", status)))
        rec.title = get("title") or None
        rec.forename = get("forename")
        middle = get("middle")
        if middle:
            rec.forename = f"{rec.forename} {middle}".strip()
        rec.surname = get("surname")
        rec.initials = get("initials") or None
        dob, attained = get("dob"), get("attainment")
        rec.date_of_birth = _date(dob, "date of birth") if dob else None
        rec.attainment_date = _date(attained, "date of attainment") if attained else None
        rec.franchise = get("franchise") or None
        lines = [n.clean(fields[i]) for i in addr if i < len(fields)]
        rec.address = ", ".join(x for x in lines if x)
        rec.postcode = n.postcode(get("postcode"))
        rec.uprn = n.uprn(get("uprn"))
        if rec.surname.lower().startswith("(z)"):
            rec.open_register_optout = True
            rec.surname = rec.surname[3:].strip()
        self.fix(rec)
        if self.skip(rec):
            return None
        if rec.eno is None and not rec.surname and not rec.forename:
            raise ValueError("no elector number and no name")
        if not rec.surname and not rec.forename and "N" not in rec.markers:
            raise ValueError("no name (and not marked N, anonymous)")
        if "N" in rec.markers:  # anonymous: shown by number only
            rec.title = rec.initials = None
            rec.forename = rec.surname = ""
            rec.address = ""
            rec.date_of_birth = None
            rec.postcode, rec.uprn = "", None
        return rec


def _date(value: str, what: str) -> str | None:
    try:
        return n.parse_date(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date") from None
