"""Staff members, their roles and their key slots."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError, PermissionDenied
from mpoffice_tui.db.models import Staff

ROLES = ("mp", "manager", "caseworker", "volunteer")
MANAGING_ROLES = ("mp", "manager")


@dataclass(frozen=True)
class StaffView:
    id: str
    name: str
    role: str
    slots: int
    has_keyring_slot: bool


def current(office: Office) -> StaffView | None:
    """The staff member whose passphrase (or keyring slot) unlocked the office."""
    if office.staff_id is None:
        return None
    with office.read() as s:
        staff = s.get(Staff, office.staff_id)
        return _view(office, staff) if staff and not staff.deleted else None


def current_role(office: Office) -> str:
    """The unlocking person's role; a recovery-code unlock acts as a manager (it is the office's key)."""
    me = current(office)
    return me.role if me else "manager"


def require_role(office: Office, *roles: str, action: str) -> None:
    role = current_role(office)
    if role not in roles:
        raise PermissionDenied(f"a {role} cannot {action}; ask an office manager")


def _view(office: Office, staff: Staff) -> StaffView:
    slots = office.slots.staff_slots(staff.id)
    return StaffView(staff.id, staff.name, staff.role, len(slots), any(s.kind == "keyring" for s in slots))


def list_staff(office: Office) -> list[StaffView]:
    with office.read() as s:
        rows = s.exec(select(Staff).where(Staff.deleted == False).order_by(Staff.name, Staff.id)).all()  # noqa: E712
        return [_view(office, r) for r in rows]


def find(office: Office, name: str) -> Staff:
    with office.read() as s:
        rows = s.exec(select(Staff).where(Staff.deleted == False).order_by(Staff.id)).all()  # noqa: E712
    matches = [r for r in rows if r.name.casefold() == name.casefold()]
    if not matches:
        raise OfficeError(f"no staff member called {name!r}")
    return matches[0]


def add(office: Office, name: str, role: str, passphrase: str) -> StaffView:
    """Add a staff member with their own passphrase slot (managers only)."""
    require_role(office, *MANAGING_ROLES, action="add staff")
    if role not in ROLES:
        raise OfficeError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    name = name.strip()
    if not name:
        raise OfficeError("a staff member needs a name")
    with office.read() as s:
        existing = s.exec(select(Staff).where(Staff.deleted == False)).all()  # noqa: E712
    if any(r.name.casefold() == name.casefold() for r in existing):
        raise OfficeError(f"there is already a staff member called {name!r}")
    with office.writing() as w:
        staff = w.insert(Staff, name=name, role=role)
        w.audit("staff.add", target=f"staff:{staff.id}", detail=f"{name} added as {role}")
    office.slots.add_secret_slot(office.data_key, passphrase, kind="passphrase", label=name, staff_id=staff.id)
    office.save_slots()
    return _view(office, staff)


def remove(office: Office, name: str) -> StaffView:
    """Remove a staff member: tombstone their record and delete their key slots (managers only)."""
    require_role(office, *MANAGING_ROLES, action="remove staff")
    staff = find(office, name)
    if staff.id == office.staff_id:
        raise OfficeError("you cannot remove yourself; ask another manager")
    managers = [s for s in list_staff(office) if s.role in MANAGING_ROLES and s.id != staff.id]
    if staff.role in MANAGING_ROLES and not managers:
        raise OfficeError("the office must keep at least one manager or MP")
    view = _view(office, staff)
    with office.writing() as w:
        w.delete(w.get(Staff, staff.id))
        w.audit("staff.remove", target=f"staff:{staff.id}", detail=f"{staff.name} removed")
    for slot in office.slots.staff_slots(staff.id):
        office.slots.remove(slot.id)
    office.save_slots()
    return view


def change_passphrase(office: Office, new_passphrase: str, staff_name: str | None = None) -> StaffView:
    """Rewrite one passphrase slot: the unlocking person's, or (managers) a named colleague's."""
    if staff_name:
        staff = find(office, staff_name)
        if staff.id != office.staff_id:
            require_role(office, *MANAGING_ROLES, action="change a colleague's passphrase")
    elif office.staff_id:
        with office.read() as s:
            staff = s.get(Staff, office.staff_id)
    else:
        raise OfficeError("unlocked with the recovery code: say whose passphrase to set with --staff NAME")
    for slot in office.slots.staff_slots(staff.id):
        if slot.kind == "passphrase":
            office.slots.remove(slot.id)
    office.slots.add_secret_slot(office.data_key, new_passphrase, kind="passphrase", label=staff.name,
                                 staff_id=staff.id)
    office.save_slots()
    with office.writing() as w:
        w.audit("staff.passphrase", target=f"staff:{staff.id}", detail=f"passphrase changed for {staff.name}")
    return _view(office, staff)


def remember_on_this_computer(office: Office) -> StaffView:
    """Add an OS-keyring slot for the unlocking person (raises if there is no real keyring)."""
    if not office.staff_id:
        raise OfficeError("unlock with your own passphrase first")
    staff = find_by_id(office, office.staff_id)
    for slot in office.slots.staff_slots(staff.id):
        if slot.kind == "keyring":
            office.slots.remove(slot.id)
    office.slots.add_keyring_slot(office.data_key, label=f"{staff.name} (keyring)", staff_id=staff.id)
    office.save_slots()
    return _view(office, staff)


def forget_on_this_computer(office: Office) -> int:
    removed = 0
    for slot in list(office.slots.slots):
        if slot.kind == "keyring" and slot.staff_id == office.staff_id:
            office.slots.remove(slot.id)
            removed += 1
    office.save_slots()
    return removed


def find_by_id(office: Office, staff_id: str) -> Staff:
    with office.read() as s:
        staff = s.get(Staff, staff_id)
    if staff is None:
        raise OfficeError("unknown staff member")
    return staff
