"""Cleaning of register fields: placeholders, postcodes, UPRNs, dates, elector numbers, name folding,
and the stable elector key that links constituents to electors across publications."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from hashlib import blake2b

from anyascii import anyascii

PLACEHOLDERS = {"n/a", "na", "n.a.", "#n/a", "null", "none", "-", "--"}
MAX_ENO_DIGITS = 9  # elector numbers run to five or six digits; more is a damaged row (and would not fit)
MAX_SUFFIX_DIGITS = 4
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
_NUMBER = re.compile(r"^\s*([A-Za-z]{1,4}[0-9]{0,2}[A-Za-z]?)?\s*[-/ ]?\s*([0-9]+)\s*(?:[/.-]\s*([0-9]+))?\s*$")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y%m%d", "%d %b %Y",
                 "%d %B %Y", "%Y/%m/%d")


def clean(value: str | None) -> str:
    """Trimmed text with placeholders such as "n/a" treated as empty."""
    if value is None:
        return ""
    value = value.strip().strip("\ufeff")
    return "" if value.casefold() in PLACEHOLDERS else value


@lru_cache(maxsize=65536)
def postcode(value: str | None) -> str:
    """ "bb101aa" -> "BB10 1AA"; other text is kept, upper-cased and trimmed."""
    raw = clean(value).upper()
    compact = re.sub(r"\s+", "", raw)
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else raw


def looks_like_postcode(text: str) -> str | None:
    """The normalised full postcode if `text` is one, else None."""
    compact = re.sub(r"\s+", "", text.upper())
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def outward_code(text: str) -> str | None:
    """ "BB10" / "bb10 1" (a postcode's start), else None."""
    t = re.sub(r"\s+", " ", text.strip().upper())
    return t if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?( \d[A-Z]?)?", t) else None


def uprn(value: str | None) -> str | None:
    """A UPRN without zero padding; None when missing or zero."""
    v = clean(value)
    if v.isdigit():
        v = v.lstrip("0")
    return v or None


def parse_date(value: str | None) -> str | None:
    """ISO date from the usual register formats; None if empty; ValueError if not a date."""
    v = clean(value)
    if not v:
        return None
    v = v.split(" 00:00")[0].split("T00:00")[0]
    m = _DMY.match(v)  # the common case, without strptime
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{v!r} is not a date")


def bounded_int(digits: str, what: str, max_digits: int) -> int:
    """A whole number of at most `max_digits` digits; ValueError (with the reason) otherwise."""
    if len(digits.lstrip("0")) > max_digits:
        shown = digits if len(digits) <= 20 else digits[:20] + "…"
        raise ValueError(f"{what} {shown} is too long to be one ({len(digits)} digits; at most {max_digits})")
    return int(digits)


def parse_int(value: str | None, what: str, max_digits: int = MAX_ENO_DIGITS) -> int | None:
    """A whole number such as "12" or "12.0"; None if empty; ValueError if not one or too long."""
    v = clean(value)
    if not v:
        return None
    whole = v[:-2] if v.endswith(".0") else v
    if whole.isdigit() and whole.isascii():
        return bounded_int(whole, what, max_digits)
    raise ValueError(f"{what} {v[:20]!r} is not a number")


def split_number(value: str) -> tuple[str, int, int] | None:
    """ "AB1-124/1" -> ("AB1", 124, 1); "124" -> ("", 124, 0); None if not an elector number;
    ValueError if its number or suffix is too long to be one."""
    if value.isdigit() and value.isascii():
        return "", bounded_int(value, "elector number", MAX_ENO_DIGITS), 0
    m = _NUMBER.match(value or "")
    if not m:
        return None
    return ((m.group(1) or "").upper(), bounded_int(m.group(2), "elector number", MAX_ENO_DIGITS),
            bounded_int(m.group(3) or "0", "elector number suffix", MAX_SUFFIX_DIGITS))


def elector_number(pd: str, eno: int | None, suffix: int | None) -> str:
    """Display form: polling district, number, and the suffix only when not zero (`AB1-124/1`)."""
    if eno is None:
        return pd or ""
    base = f"{pd}-{eno}" if pd else str(eno)
    return f"{base}/{suffix}" if suffix else base


_SEP = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=262144)
def fold(text: str | None) -> str:
    """Accent-free, lower-case, apostrophes dropped, other punctuation as spaces: for matching."""
    if not text:
        return ""
    t = (text if text.isascii() else anyascii(text)).lower().replace("'", "").replace("`", "")
    return _SEP.sub(" ", t).strip()


def name_key(forename: str, surname: str, folded: str | None = None) -> str:
    """Folded "forename surname" plus joined forms of hyphenated/apostrophe names (search aid).
    `folded` is fold(f"{forename} {surname}") when the caller already has it."""
    base = fold(f"{forename} {surname}") if folded is None else folded
    joined = fold(surname).replace(" ", "") if surname else ""
    extra = f" {joined}" if joined and joined not in base.split() else ""
    return base + extra


def elector_key(council: str, *, surname: str, forename: str, uprn_value: str | None, postcode_value: str,
                address: str, pd: str, eno: int | None, suffix: int, folded_name: str | None = None) -> str:
    """A key for the same person at the same address in any publication of the council's register.

    Elector numbers are re-sequenced at each canvass, so the key is built from the name and the
    property (UPRN, or postcode and address); an entry without a name (anonymous) falls back to its
    number. Hashed so that the key itself says nothing about the person. `folded_name` is
    fold(f"{forename} {surname}") when the caller already has it.
    """
    name = fold(f"{forename} {surname}") if folded_name is None else folded_name
    if name:
        place = uprn_value or f"{postcode_value}|{fold(address)}"
        basis = f"{fold(council)}|{place}|{name}"
    else:
        basis = f"{fold(council)}|#{pd}|{eno}|{suffix}"
    return "E" + blake2b(basis.encode("utf-8"), digest_size=10).hexdigest()


def today() -> date:
    return date.today()
