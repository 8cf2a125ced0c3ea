"""The directory: UK government departments, executive agencies and public bodies casework writes to, with
their public postal addresses, and ministers by department (a starter list, data/directory.csv), which each
office extends with its own routes (MPs' enquiry lines, named officers) and keeps in step across machines
(a shared, synced table). Importable and exportable as CSV.

    load_starter(office) -> int;  search(office, text=None, kind=None) -> [EntryView];  get_entry(office, id)
    add_entry(office, **fields);  update_entry(office, id, **fields);  remove_entry(office, id)
    import_csv(office, path) -> ImportResult   (all or nothing: a bad row names its line, nothing is written)
    export_csv(office, path) -> int
    third_parties(office, text) -> [PartyChoice]   (office contacts and the directory, together)
    add_to_case(office, case, entry_id, role, contacted_on=None)   (the entry becomes an office contact)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.files import MiB, read_regular, write_private

KINDS: dict[str, str] = {"department": "government department", "agency": "executive agency",
                         "public_body": "public body or regulator", "minister": "minister",
                         "route": "the office's own route (an MPs' enquiry line, a named officer)"}
FIELDS = ("kind", "organisation", "department", "role", "name", "address", "email", "phone", "notes")
CSV_COLUMNS = ("id", *FIELDS)
MAX_CSV = MiB(5)
_CONTACT_KIND = {"minister": "minister"}  # every other directory kind is an "agency" contact


@dataclass(frozen=True)
class EntryView:
    id: str
    kind: str
    organisation: str
    department: str
    role: str
    name: str
    address: str
    email: str
    phone: str
    notes: str
    source: str

    @property
    def label(self) -> str:
        """'Department for Work and Pensions — Secretary of State for Work and Pensions (Jane Doe)'."""
        parts = [self.organisation]
        if self.department:
            parts.append(self.department)
        if self.role:
            parts.append(self.role)
        return " — ".join(parts) + (f" ({self.name})" if self.name else "")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_SQL = ("SELECT id, kind, organisation, department, role, name, address, email, phone, notes, source "
        "FROM directory_entries WHERE deleted = 0 ")


_KEY_COLS = ("kind", "organisation", "department", "role")


def _key(row: dict) -> tuple[str, ...]:
    """What makes an entry the same entry: its kind, organisation, part and role."""
    return tuple((row.get(k) or "").casefold() for k in _KEY_COLS)


def check(fields: dict, where: str = "entry") -> dict:
    """The fields tidied (text cleaned, '\\n' as a line break in an address); OfficeError naming `where`."""
    from mpoffice_tui.text import clean

    out = {}
    for k, v in fields.items():
        if k not in FIELDS:
            raise OfficeError(f"{where}: a directory entry has no field {k!r}")
        v = clean("" if v is None else str(v)).replace("\\n", "\n")
        v = "\n".join(line.strip() for line in v.splitlines() if line.strip()) if k == "address" else " ".join(v.split())
        out[k] = v
    if "kind" in out:
        out["kind"] = out["kind"].lower().replace(" ", "_") or "department"
        if out["kind"] not in KINDS:
            raise OfficeError(f"{where}: unknown kind {out['kind']!r} (choose one of {', '.join(KINDS)})")
    if "organisation" in out and not out["organisation"]:
        raise OfficeError(f"{where}: an entry needs an organisation")
    if out.get("kind") == "minister" and not (out.get("role") or out.get("name")):
        raise OfficeError(f"{where}: a minister needs a role or a name")
    return out


def starter_rows() -> list[dict]:
    raw = (resources.files("mpoffice_tui") / "data" / "directory.csv").read_text(encoding="utf-8")
    return [check({k: r.get(k) for k in FIELDS}, f"directory.csv line {i}")
            for i, r in enumerate(csv.DictReader(io.StringIO(raw)), start=2)]


def load_starter(office: Office) -> int:
    """Add the starter list's entries the office does not have yet (idempotent); returns how many."""
    from mpoffice_tui.db.models import DirectoryEntry

    with office.engine.connect() as conn:
        have = {_key(dict(zip(_KEY_COLS, r, strict=True))) for r in conn.exec_driver_sql(
            "SELECT kind, organisation, department, role FROM directory_entries")}  # removed ones stay removed
    new = [{**r, "source": "starter"} for r in starter_rows() if _key(r) not in have]
    if new:
        with office.writing() as w:
            w.insert_many(DirectoryEntry, new)
            w.audit("directory.starter", detail=f"{len(new)} starter directory entries added")
    return len(new)


def _ensure_loaded(office: Office) -> None:
    with office.engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM directory_entries LIMIT 1").fetchone() is None:
            load_starter(office)
            return


def search(office: Office, text_: str | None = None, kind: str | None = None, limit: int = 500) -> list[EntryView]:
    """Entries by organisation, narrowed by words (of the organisation, part, role, name, notes); a new office's
    first search loads the starter list."""
    _ensure_loaded(office)
    sql, params = _SQL, []
    if kind:
        sql += "AND kind = ? "
        params.append(kind)
    for word in (text_ or "").split():
        sql += ("AND lower(organisation || ' ' || department || ' ' || role || ' ' || name || ' ' || notes) "
                "LIKE ? ")
        params.append(f"%{word.casefold()}%")
    sql += "ORDER BY organisation COLLATE NOCASE, kind = 'minister', department COLLATE NOCASE, role, id LIMIT ?"
    with office.engine.connect() as conn:
        return [EntryView(*r) for r in conn.exec_driver_sql(sql, (*params, limit)).fetchall()]


def get_entry(office: Office, entry_id: str) -> EntryView:
    with office.engine.connect() as conn:
        r = conn.exec_driver_sql(_SQL + "AND (id = ? OR (length(?) >= 6 AND id LIKE ?)) LIMIT 2",
                                 (entry_id, entry_id, f"%{entry_id}")).fetchall()
    if len(r) != 1:
        raise OfficeError(f"no directory entry {entry_id!r}" if not r else f"{entry_id!r} matches more than one entry")
    return EntryView(*r[0])


def add_entry(office: Office, **fields) -> EntryView:
    from mpoffice_tui.db.models import DirectoryEntry

    data = check({"kind": "route", **fields})
    if not data.get("organisation"):
        raise OfficeError("an entry needs an organisation")
    with office.writing() as w:
        row = w.insert(DirectoryEntry, **data, source="office")
        w.audit("directory.add", target=f"directory_entry:{row.id}", detail=data["organisation"])
    return get_entry(office, row.id)


def update_entry(office: Office, entry_id: str, **fields) -> EntryView:
    """Change an entry (a reshuffle: a minister's name); every machine gets it at the next sync."""
    from mpoffice_tui.db.models import DirectoryEntry

    data = check(fields)
    found = get_entry(office, entry_id)
    with office.writing() as w:
        w.update(w.get(DirectoryEntry, found.id), **data)
        w.audit("directory.edit", target=f"directory_entry:{found.id}", detail=", ".join(sorted(data)))
    return get_entry(office, found.id)


def remove_entry(office: Office, entry_id: str) -> EntryView:
    from mpoffice_tui.db.models import DirectoryEntry

    found = get_entry(office, entry_id)
    with office.writing() as w:
        w.delete(w.get(DirectoryEntry, found.id))
        w.audit("directory.remove", target=f"directory_entry:{found.id}", detail=found.organisation)
    return found


# -- CSV ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    """(line, row) of a CSV file with a header naming at least `organisation`; OfficeError naming the file."""
    try:
        raw = read_regular(path, MAX_CSV, "CSV file")
    except OSError as exc:
        raise OfficeError(f"{path}: cannot read the file ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        text_ = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text_ = raw.decode("cp1252", errors="replace")  # Excel's own CSV on Windows
    if "\x00" in text_:
        raise OfficeError(f"{path}: not a CSV file (it holds binary data)")
    try:
        reader = csv.DictReader(io.StringIO(text_, newline=""))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if "organisation" not in header:
            raise OfficeError(f"{path}: the first line must name the columns, organisation among them "
                              f"({', '.join(CSV_COLUMNS)})")
        unknown = [h for h in header if h and h not in CSV_COLUMNS]
        if unknown:
            raise OfficeError(f"{path}: unknown column(s) {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)})")
        reader.fieldnames = header
        rows = []
        for row in reader:
            if any((v or "").strip() for k, v in row.items() if k):
                rows.append((reader.line_num, {k: v for k, v in row.items() if k}))
        return rows
    except csv.Error as exc:
        raise OfficeError(f"{path}: not a readable CSV file ({exc})") from None


def import_csv(office: Office, path: str | Path) -> ImportResult:
    """Add and update entries from a CSV file (the columns `export_csv` writes; `id` optional: a row with an
    id or the same kind, organisation, part and role changes that entry). All or nothing, one transaction."""
    from mpoffice_tui.db.models import DirectoryEntry

    path = Path(path).expanduser()
    rows = _read_csv(path)
    if not rows:
        raise OfficeError(f"{path}: no entries in the file")
    checked = []
    for line, row in rows:
        entry_id = (row.pop("id", "") or "").strip()
        checked.append((entry_id, check({"kind": "route", **{k: v for k, v in row.items() if k in FIELDS}},
                                        f"{path} line {line}")))
    _ensure_loaded(office)
    added = updated = unchanged = 0
    with office.writing() as w:
        conn = w.session.connection()
        existing = {r[0]: r for r in conn.exec_driver_sql(
            "SELECT id, kind, organisation, department, role FROM directory_entries WHERE deleted = 0").fetchall()}
        by_key = {_key(dict(zip(_KEY_COLS, r[1:], strict=True))): r[0]
                  for r in existing.values()}
        for entry_id, data in checked:
            target = entry_id if entry_id in existing else by_key.get(_key(data))
            if target is None:
                row = w.insert(DirectoryEntry, **data, source="office")
                by_key[_key(data)] = row.id
                added += 1
                continue
            obj = w.get(DirectoryEntry, target)
            if all(getattr(obj, k) == v for k, v in data.items()):
                unchanged += 1
            else:
                w.update(obj, **data)
                updated += 1
        w.audit("directory.import", detail=f"{path.name}: {added} added, {updated} updated")
    return ImportResult(added, updated, unchanged)


def export_csv(office: Office, path: str | Path) -> int:
    """Write every entry as CSV (UTF-8 with a byte-order mark, so Excel reads accents), owner-only."""
    entries = search(office, limit=1_000_000)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(CSV_COLUMNS)
    for e in entries:
        out.writerow([getattr(e, c) for c in CSV_COLUMNS])
    path = Path(path).expanduser()
    try:
        write_private(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    except OSError as exc:
        raise OfficeError(f"{path}: cannot write the CSV file ({exc.strerror or exc})") from None
    with office.writing() as w:
        w.audit("directory.export", detail=f"{len(entries)} entries")
    return len(entries)


# -- third parties on a case ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyChoice:
    """One answer when adding a third party: an office contact, or a directory entry."""

    source: str  # contact | directory
    id: str
    label: str
    detail: str


def third_parties(office: Office, text_: str | None, limit: int = 100) -> list[PartyChoice]:
    """The office's contacts and the directory together, contacts first; a directory entry the office already
    has as a contact is shown once (as the contact)."""
    from mpoffice_tui.services import contacts

    found = contacts.list_contacts(office, text_, limit=limit)
    if not found and not (text_ or "").strip():
        contacts.load_starter_contacts(office)
        found = contacts.list_contacts(office, text_, limit=limit)
    out = [PartyChoice("contact", k.id, k.label, f"office contact · {k.kind} · {k.preferred_route}") for k in found]
    have = {(k.organisation.casefold(), (k.department or "").casefold()) for k in found}
    for e in search(office, text_, limit=limit):
        part = e.department or e.role
        if (e.organisation.casefold(), part.casefold()) in have:
            continue
        first = e.address.splitlines()[0] if e.address else "no address"
        out.append(PartyChoice("directory", e.id, e.label, f"directory · {KINDS[e.kind]} · {first}"))
    return out[:limit]


def contact_for(office: Office, entry_id: str) -> str:
    """The office contact for a directory entry: the one with its organisation and part, else a new one made
    from it (address, email, phone, kind). Returns the contact's id."""
    from mpoffice_tui.services import contacts

    e = get_entry(office, entry_id)
    part = e.department or e.role
    for k in contacts.list_contacts(office, e.organisation, limit=1000):
        same = k.organisation.casefold() == e.organisation.casefold() and (k.department or "").casefold() == part.casefold()
        if same and (not e.name or k.name == e.name):
            return k.id
    made = contacts.add_contact(office, organisation=e.organisation, department=part or None,
                                kind=_CONTACT_KIND.get(e.kind, "agency"), name=e.name or None, email=e.email or None,
                                phone=e.phone or None, address=e.address or None,
                                preferred_route="email" if e.email else "letter",
                                notes=e.notes or None)
    return made.id


def add_to_case(office: Office, case: str, entry_id: str, role: str, contacted_on: str | None = None):
    """Add a directory entry to a case as a third party (it becomes an office contact first, once)."""
    from mpoffice_tui.services import cases

    return cases.add_party(office, case, role, contact_id=contact_for(office, entry_id), contacted_on=contacted_on)
