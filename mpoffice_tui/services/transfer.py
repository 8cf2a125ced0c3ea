"""Boundary changes and constituents who move (issue 7): select cases by postcode, then transfer.

Postcodes are given as full postcodes ("SW1A 1AA"), sectors ("SW1A 1") or districts ("SW1A"), in any
case and spacing. A transfer writes one pack per person (the subject-access pack builder, here
without redaction and with confidential notes, since the whole casework passes to the new MP's
office) under `DIR/<constituent id>/` (a PDF and the same as JSON), plus an `index.html` listing them; then the cases are kept,
closed as transferred ("return"), or erased through retention.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case
from mpoffice_tui.services import access, retention, sar_pack


@dataclass(frozen=True)
class TransferCase:
    case_id: str
    ref: str
    title: str
    status: str
    constituent_id: str
    postcode: str


@dataclass(frozen=True)
class Transferred:
    folder: Path
    people: int
    cases: tuple[str, ...]  # refs
    then: str


def _norm(pc: str) -> str:
    return "".join(pc.split()).upper()


def _matches(postcode: str, tokens: list[str]) -> bool:
    pc = _norm(postcode)
    if len(pc) < 5:
        return False
    outward, inward = pc[:-3], pc[-3:]
    return any(t in (pc, outward, outward + inward[:1]) for t in tokens)


def select_cases(office: Office, postcodes: list[str], *, include_closed: bool = False) -> list[TransferCase]:
    """Cases whose constituent's postcode is in the set (full postcodes, sectors or districts)."""
    access.require(office, "transfer")
    tokens = [_norm(p) for p in postcodes if p.strip()]
    if not tokens:
        raise OfficeError("give at least one postcode, sector or district")
    sql = ("SELECT c.id, c.ref, c.title, c.status, c.constituent_id, p.postcode FROM cases c "
           "JOIN constituents p ON p.id = c.constituent_id WHERE c.deleted = 0 AND p.deleted = 0 "
           "AND p.postcode IS NOT NULL" + ("" if include_closed else " AND c.status != 'closed'")
           + " ORDER BY c.opened_at, c.ref")
    with office.engine.connect() as conn:
        return [TransferCase(*r) for r in conn.execute(text(sql)) if _matches(r[5], tokens)]


def transfer(office: Office, postcodes: list[str], target: str | Path, *, then: str = "keep",
             include_closed: bool = False, confirm: bool = False, reason: str = "boundary change") -> Transferred:
    """Export a pack per person for the new MP; then `keep`, `return` (close as transferred) or `erase`."""
    access.require(office, "transfer")
    if then not in ("keep", "return", "erase"):
        raise OfficeError(f"unknown --then {then!r}: keep, return or erase")
    if then == "erase":
        access.require(office, "retention.erase")
        if not confirm:
            raise retention.NotConfirmed("nothing exported or erased: erasing transferred cases needs confirmation")
    chosen = select_cases(office, postcodes, include_closed=include_closed)
    if not chosen:
        raise OfficeError("no cases match those postcodes")
    folder = Path(target)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OfficeError(f"{folder}: choose a new or empty folder for the transfer")
    people = list(dict.fromkeys(c.constituent_id for c in chosen))
    for pid in people:
        sar_pack.build_pack(office, pid, folder / pid, redact=False, include_confidential=True, purpose="transfer")
    pack = f"{sar_pack.SEND}/{sar_pack.PDF_NAME}"
    rows = "".join(f"<li><a href='{html.escape(c.constituent_id)}/{pack}'>{html.escape(c.ref)}</a>: "
                   f"{html.escape(c.title)} ({html.escape(c.postcode)})</li>" for c in chosen)
    (folder / "index.html").write_text(f"<!doctype html><meta charset='utf-8'><title>Transferred casework</title>"
                                       f"<h1>Transferred casework</h1><p>{html.escape(utcnow())}</p><ul>{rows}</ul>\n",
                                       encoding="utf-8")
    refs = tuple(c.ref for c in chosen)
    with office.writing() as w:
        w.audit("transfer.export", target="postcodes:" + ",".join(_norm(p) for p in postcodes)[:200],
                detail=f"{len(refs)} cases of {len(people)} people exported; then {then}")
        if then == "return":
            for c in chosen:
                w.update(w.get(Case, c.case_id), status="closed", outcome="transferred to another MP",
                         closed_at=utcnow())
    if then == "erase":
        retention.erase(office, [f"case:{c.case_id}" for c in chosen], reason=f"transferred: {reason}", confirm=True)
    return Transferred(folder, len(people), refs, then)
