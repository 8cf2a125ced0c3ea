"""The office's own settings a person may change (the MP's name, the office's address...): their keys,
meanings and checks. No database here: the CLI reads it to build its help (services.settings stores them)."""

from __future__ import annotations

import re

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.text import clean

OFFICE_KEYS: dict[str, str] = {
    "mp_name": 'the MP\'s name as signed on letters and replies, e.g. "Helen Marchbanks MP"',
    "office_name": "the office's name (letterheads)",
    "office_address": "the office's postal address (letterheads; type \\n between lines)",
    "office_phone": "the office's phone number",
    "office_email": "the office's email address: the From address of exported replies",
    "nation": "whose bank holidays are not working days: ENG (England), WLS (Wales), SCT (Scotland), "
              "NIR (Northern Ireland)",
    "review_days": "days from opening to a new case's first review date (0: none; default 28)",
    "westminster_address": "the MP's Westminster address (letterheads; type \\n between lines), e.g. "
                           "House of Commons\\nLondon\\nSW1A 0AA",
    "letterhead_footer": "a line at the foot of every letter (e.g. what the office can and cannot help with)",
    "mail_approval": "yes: outgoing mail waits for the MP's or a manager's approval before it is sent "
                     "(default no)",
}
MULTILINE = frozenset({"office_address", "westminster_address"})
DEFAULT_REVIEW_DAYS = 28

NATIONS: dict[str, str] = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
_ALIASES = {"england": "ENG", "wales": "WLS", "england and wales": "ENG", "scotland": "SCT",
            "northern ireland": "NIR", "ni": "NIR"}


def normalise_nation(value: str | None) -> str:
    """ENG/WLS/SCT/NIR from a code or a name; ValueError for anything else."""
    raw = (value or "ENG").strip()
    code = raw.upper() if raw.upper() in NATIONS else _ALIASES.get(raw.casefold())
    if code is None:
        raise ValueError(f"unknown nation {value!r}: choose one of {', '.join(NATIONS)}")
    return code




def has_controls(value: str) -> bool:
    """Whether a one-line value holds anything the one text cleaner would remove, or a tab or line break."""
    return clean(value) != value or "\t" in value or "\n" in value


_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")


def office_key(key: str) -> str:
    """The setting's key (any case; '-' as '_'), or OfficeError listing the known keys."""
    k = key.strip().lower().replace("-", "_")
    if k not in OFFICE_KEYS:
        raise OfficeError(f"unknown setting {key!r}: choose one of {', '.join(OFFICE_KEYS)}")
    return k


def clean_value(key: str, value: str) -> str:
    """The value to store, or OfficeError saying what is wrong with it."""
    if key in MULTILINE:
        lines = value.replace("\\n", "\n").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = [line.strip() for line in lines if line.strip()]  # no blank lines in an address
        value = "\n".join(lines)
        bad = any(has_controls(line) for line in lines)
    else:
        value = value.strip()
        bad = has_controls(value)
    if bad:
        where = "" if key in MULTILINE else " or line breaks"
        raise OfficeError(f"{key}: the value {value!r} has control characters{where} in it")
    if key == "nation" and value:
        try:
            value = normalise_nation(value)
        except ValueError as exc:
            raise OfficeError(f"nation: {exc}") from None
    if key == "review_days" and value and not (value.isdigit() and int(value) <= 366):
        raise OfficeError(f"review_days: {value!r} is not a number of days from 0 to 366")
    if key == "mail_approval" and value:
        if value.lower() not in ("yes", "no"):
            raise OfficeError(f"mail_approval: {value!r} is not yes or no")
        value = value.lower()
    if key == "office_email" and value and not looks_like_email(value):
        raise OfficeError(f"office_email: {value!r} does not look like an email address "
                         "(one @, a dot in the domain, no spaces; e.g. casework@example.org)")
    return value


def looks_like_email(value: str) -> bool:
    if not _EMAIL.fullmatch(value):
        return False
    domain = value.rpartition("@")[2]
    return "." in domain and not domain.startswith(".") and not domain.endswith(".") and ".." not in domain
