"""Subject access (issues 7 and 17): finding the person a request is about.

The rest lives in three modules: `sar_requests` (the register of requests and their deadlines),
`sar_redaction` (finding other people's personal data in what is held, and the reviewer's decisions)
and `sar_pack` (the pack: a covering letter and the person's data as a PDF and JSON, and the
reviewer's checklist, which is not sent).
"""

from __future__ import annotations

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services.constituent_fields import MATCH_COLS, cols


class PersonNotFound(OfficeError):
    exit_code = 2


class PersonAmbiguous(OfficeError):
    """More than one person matches; `candidates` lists (id, name, email, postcode)."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[tuple[str, str, str | None, str | None]]):
        super().__init__(message)
        self.candidates = candidates


def fold(s: str | None) -> str:
    """Case- and space-folded text, for comparing names and addresses."""
    return " ".join((s or "").casefold().split())


def resolve_person(office: Office, token: str) -> str:
    """A constituent id from an id, an email address or a name; raises if none or several match."""
    token = (token or "").strip()
    if not token:
        raise PersonNotFound("say whose data: a constituent id, email address or name")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {cols(MATCH_COLS)} FROM constituents "
            "WHERE deleted = 0 AND merged_into IS NULL ORDER BY id").fetchall()
    if any(r[0] == token for r in rows):
        return token
    want = fold(token)
    if "@" in token:
        found = [r for r in rows if fold(r[4]) == want]
    else:
        found = [r for r in rows if want in (fold(f"{r[1]} {r[2]}"), fold(f"{r[3]} {r[2]}"))]
        if not found and " " not in want:
            found = [r for r in rows if fold(r[2]) == want]
    if not found:
        raise PersonNotFound(f"no constituent matches {token!r}: nothing recorded or released "
                             "(check the spelling, or add them as a constituent first)")
    if len(found) > 1:
        cands = [(r[0], f"{r[1]} {r[2]}".strip(), r[4], r[5]) for r in found]
        listing = "; ".join(f"{c[0]} {c[1]} {c[3] or ''}".strip() for c in cands[:20])
        raise PersonAmbiguous(f"{len(found)} people match {token!r}; give an id or email: {listing}", cands)
    return found[0][0]
