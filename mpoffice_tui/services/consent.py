"""Consent (issue 7): implied or written consent to act, and written permission when a third party
(a relative, a neighbour) raises a case on someone else's behalf.

A case whose `raised_by_id` names someone other than its constituent reports `needs_permission`
until a `third_party_permission` consent is recorded for that constituent (for that case, or for
any case when the permission was given without naming one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Consent
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import parse_date, today

KINDS = ("implied", "written", "third_party_permission")


@dataclass(frozen=True)
class ConsentView:
    """One consent as recorded (the one type: a constituent's view and a case's consent state share it)."""

    id: str
    constituent_id: str
    case_id: str | None
    kind: str
    given_by: str | None
    given_on: str | None
    details: str | None
    attachment_id: str | None = None  # a scan of a signed form


# the columns of a ConsentView, in its order, for every query that builds one
CONSENT_COLS = "id, constituent_id, case_id, kind, given_by, given_on, details, attachment_id"


@dataclass(frozen=True)
class CaseConsent:
    case_id: str
    ref: str
    constituent_id: str | None
    raised_by_id: str | None
    raised_on_behalf: bool
    needs_permission: bool
    consents: tuple[ConsentView, ...]


def _case(conn, case: str):
    row = conn.execute(text("SELECT id, ref, constituent_id, raised_by_id FROM cases WHERE (id = :k OR ref = :u) "
                            "AND deleted = 0"), {"k": case, "u": case.strip().upper()}).fetchone()
    if row is None:
        raise OfficeError(f"no case {case!r}")
    return row


def record(office: Office, constituent_id: str, kind: str, *, case: str | None = None, given_by: str | None = None,
           given_on: str | date | None = None, details: str | None = None,
           attachment_id: str | None = None) -> ConsentView:
    """Record consent (staff, not volunteers); audited."""
    access.require(office, "consent.record")
    if kind not in KINDS:
        raise OfficeError(f"unknown kind of consent {kind!r}: choose one of {', '.join(KINDS)}")
    if kind == "third_party_permission" and not (given_by or "").strip():
        raise OfficeError("permission to act for another person needs who gave it (given_by)")
    try:
        day = (given_on if isinstance(given_on, date) else parse_date(given_on, "given on") or today()).isoformat()
    except ValueError as exc:
        raise OfficeError(str(exc)) from None
    with office.engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM constituents WHERE id = :k AND deleted = 0"),
                        {"k": constituent_id}).fetchone() is None:
            raise OfficeError(f"no constituent {constituent_id!r}")
        case_id = _case(conn, case)[0] if case else None
    with office.writing() as w:
        c = w.insert(Consent, constituent_id=constituent_id, case_id=case_id, kind=kind, given_by=given_by,
                     given_on=day, details=details, attachment_id=attachment_id)
        w.audit("consent.record", target=f"constituent:{constituent_id}",
                detail=f"{kind}" + (f" for case:{case_id}" if case_id else ""))
    return ConsentView(c.id, constituent_id, case_id, kind, given_by, day, details, attachment_id)


def consents_of(conn, constituent_id: str) -> list[ConsentView]:
    """A constituent's live consents, oldest first, on the caller's connection."""
    rows = conn.execute(text(f"SELECT {CONSENT_COLS} FROM consents WHERE constituent_id = :k AND deleted = 0 "
                             "ORDER BY given_on, created_at, id"), {"k": constituent_id}).fetchall()
    return [ConsentView(*r) for r in rows]


def for_constituent(office: Office, constituent_id: str) -> list[ConsentView]:
    with office.engine.connect() as conn:
        return consents_of(conn, constituent_id)


def case_status(office: Office, case: str) -> CaseConsent:
    """Consents for a case, and whether it still needs the written permission of its constituent."""
    with office.engine.connect() as conn:
        cid, ref, pid, raised_by = _case(conn, case)
        rows = conn.execute(text(f"SELECT {CONSENT_COLS} FROM consents "
                                 "WHERE deleted = 0 AND constituent_id = :p AND (case_id = :c OR case_id IS NULL) "
                                 "ORDER BY given_on, created_at, id"), {"p": pid or "", "c": cid}).fetchall()
    consents = tuple(ConsentView(*r) for r in rows)
    behalf = bool(raised_by and raised_by != pid)
    permitted = any(c.kind == "third_party_permission" for c in consents)
    return CaseConsent(cid, ref, pid, raised_by, behalf, behalf and not permitted, consents)


def cases_needing_permission(office: Office) -> list[str]:
    """Refs of open cases raised on someone's behalf with no written permission recorded."""
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT c.ref FROM cases c WHERE c.deleted = 0 AND c.status != 'closed' AND c.raised_by_id IS NOT NULL "
            "AND c.raised_by_id != coalesce(c.constituent_id, '') AND NOT EXISTS (SELECT 1 FROM consents k "
            "WHERE k.deleted = 0 AND k.kind = 'third_party_permission' AND k.constituent_id = c.constituent_id "
            "AND (k.case_id = c.id OR k.case_id IS NULL)) ORDER BY c.opened_at, c.ref")]
