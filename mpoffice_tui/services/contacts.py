"""The directory of third parties: council departments, police, NHS bodies, agencies' MP hotlines,
ministers' offices, each with a preferred contact route and how many working days to wait for a reply.

    load_starter_contacts(office) -> int   (the shipped directory, data/contacts.csv; idempotent)
    list_contacts(office, text=None, kind=None) -> [ContactView];  get_contact(office, id)
    add_contact(office, organisation=, department=, kind=, ...) -> ContactView;  update_contact(...)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Contact

KINDS = ("council", "police", "nhs", "agency", "minister", "other")
ROUTES = ("email", "phone", "letter", "portal")
FIELDS = ("organisation", "department", "kind", "name", "email", "phone", "address", "preferred_route",
          "reply_days", "notes")


@dataclass(frozen=True)
class ContactView:
    id: str
    organisation: str
    department: str | None
    kind: str
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    preferred_route: str
    reply_days: int
    notes: str | None

    @property
    def label(self) -> str:
        return self.organisation + (f" — {self.department}" if self.department else "")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_SQL = ("SELECT id, organisation, department, kind, name, email, phone, address, preferred_route, reply_days, "
        "notes FROM contacts WHERE deleted = 0 ")


def _check(fields: dict) -> dict:
    out = {}
    for k, v in fields.items():
        if k not in FIELDS:
            raise OfficeError(f"a contact has no field {k!r}")
        if isinstance(v, str):
            v = v.strip() or None
        out[k] = v
    if "organisation" in out and not out["organisation"]:
        raise OfficeError("a contact needs an organisation")
    if out.get("kind") is not None and out["kind"] not in KINDS:
        raise OfficeError(f"unknown contact kind {out['kind']!r}: choose one of {', '.join(KINDS)}")
    if out.get("preferred_route") is not None and out["preferred_route"] not in ROUTES:
        raise OfficeError(f"unknown route {out['preferred_route']!r}: choose one of {', '.join(ROUTES)}")
    if out.get("reply_days") is not None:
        try:
            out["reply_days"] = int(out["reply_days"])
        except (TypeError, ValueError) as exc:
            raise OfficeError(f"reply days must be a whole number, not {out['reply_days']!r}") from exc
        if not 0 < out["reply_days"] <= 365:
            raise OfficeError("reply days must be between 1 and 365")
    return out


def list_contacts(office: Office, text_: str | None = None, kind: str | None = None,
                  limit: int = 500) -> list[ContactView]:
    """Contacts by organisation, optionally narrowed by words (organisation, department, name, notes)."""
    sql, params = _SQL, {"limit": limit}
    if kind:
        sql += "AND kind = :kind "
        params["kind"] = kind
    for i, word in enumerate((text_ or "").split()):
        params[f"w{i}"] = f"%{word.casefold()}%"
        sql += (f"AND lower(organisation || ' ' || coalesce(department, '') || ' ' || coalesce(name, '') "
                f"|| ' ' || coalesce(notes, '')) LIKE :w{i} ")
    sql += "ORDER BY organisation COLLATE NOCASE, department COLLATE NOCASE, id LIMIT :limit"
    with office.engine.connect() as conn:
        return [ContactView(*r) for r in conn.execute(text(sql), params)]


def get_contact(office: Office, contact_id: str) -> ContactView:
    with office.engine.connect() as conn:
        r = conn.execute(text(_SQL + "AND id = :id"), {"id": contact_id}).fetchone()
    if r is None:
        raise OfficeError("no such contact")
    return ContactView(*r)


def add_contact(office: Office, **fields) -> ContactView:
    data = _check(fields)
    if not data.get("organisation"):
        raise OfficeError("a contact needs an organisation")
    with office.writing() as w:
        c = w.insert(Contact, **{k: v for k, v in data.items() if v is not None})
        w.audit("contact.add", target=f"contact:{c.id}", detail=c.organisation)
    return get_contact(office, c.id)


def update_contact(office: Office, contact_id: str, **fields) -> ContactView:
    data = _check(fields)
    with office.writing() as w:
        c = w.get(Contact, contact_id)
        if c is None or c.deleted:
            raise OfficeError("no such contact")
        w.update(c, **data)
        w.audit("contact.edit", target=f"contact:{c.id}", detail=", ".join(sorted(data)))
    return get_contact(office, contact_id)


def starter_rows() -> list[dict]:
    """The shipped starter directory (organisations and routes only, no personal data)."""
    raw = (resources.files("mpoffice_tui") / "data" / "contacts.csv").read_text(encoding="utf-8")
    rows = []
    for r in csv.DictReader(io.StringIO(raw)):
        rows.append(_check({k: r.get(k) for k in ("organisation", "department", "kind", "preferred_route",
                                                   "reply_days", "notes")}))
    return rows


def load_starter_contacts(office: Office) -> int:
    """Add the starter directory's entries the office does not have yet; returns how many were added."""
    with office.engine.connect() as conn:
        have = {(o.casefold(), (d or "").casefold()) for o, d in conn.exec_driver_sql(
            "SELECT organisation, department FROM contacts WHERE deleted = 0")}
    new = [r for r in starter_rows() if (r["organisation"].casefold(), (r["department"] or "").casefold())
           not in have]
    if new:
        with office.writing() as w:
            w.insert_many(Contact, new)
            w.audit("contact.starter", detail=f"{len(new)} starter contacts added")
    return len(new)
