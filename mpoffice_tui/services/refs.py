"""Case references: short, readable over the phone, unique across machines without coordination.

A reference is this machine's site code (a letter or two, unique within the office, handed out when a
machine joins) and a per-machine number: `A-00153`. Agencies quote it back ("Your ref A-00153"), so
`find_refs` picks references out of free text.
"""

from __future__ import annotations

import re

from sqlalchemy import text

REF_PATTERN = re.compile(r"\b([A-Z]{1,2})-(\d{5,})\b")


def format_ref(site_code: str, number: int) -> str:
    return f"{site_code}-{number:05d}"


def next_ref(office, session) -> str:
    """Allocate the next reference for this machine, inside the caller's write transaction."""
    code = office.site_code
    prefix = f"{code}-"
    row = session.execute(
        text("SELECT max(CAST(substr(ref, :n) AS INTEGER)) FROM cases WHERE ref LIKE :p"),
        {"n": len(prefix) + 1, "p": prefix + "%"},
    ).fetchone()
    return format_ref(code, int(row[0] or 0) + 1)


def find_refs(text_: str) -> list[str]:
    """Every case reference quoted in a piece of text, in order, without repeats."""
    seen: list[str] = []
    for m in REF_PATTERN.finditer((text_ or "").upper()):
        ref = f"{m.group(1)}-{m.group(2)}"
        if ref not in seen:
            seen.append(ref)
    return seen
