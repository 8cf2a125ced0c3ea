"""The role matrix (issue 7): what an MP, office manager, caseworker or volunteer may do.

The rule lives here and is enforced by services (not only hidden by the UI), so the CLI, which acts
as the staff member whose passphrase unlocked the office, obeys the same rules::

    access.require(office, "export")          # raises PermissionDenied for a volunteer
    if access.can(office, "note.confidential"): ...

A volunteer sees the inbox and can log calls and walk-ins, but not confidential notes, the details
of safety flags, other people's interests entries, exports or the electoral register in bulk. Only
a manager (or the MP) adds or removes staff, changes retention, erases data or reads the audit log.
"""

from __future__ import annotations

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import PermissionDenied

ROLES = ("mp", "manager", "caseworker", "volunteer")
_ALL = frozenset(ROLES)
_STAFF = frozenset({"mp", "manager", "caseworker"})
_MANAGERS = frozenset({"mp", "manager"})

# action -> roles allowed; and how to say the action in a refusal ("a volunteer cannot ...")
MATRIX: dict[str, tuple[frozenset[str], str]] = {
    "inbox.read": (_ALL, "read the inbox"),
    "call.log": (_ALL, "log a call"),
    "walkin.log": (_ALL, "log a walk-in"),
    "case.read": (_ALL, "read cases"),
    "case.write": (_ALL, "update cases"),
    "register.lookup": (_ALL, "look up one elector"),
    "interests.own": (_ALL, "read or add their own interests entries"),
    "note.confidential": (_STAFF, "read confidential notes"),
    "safety.details": (_STAFF, "read the details of safety flags"),
    "interests.others": (_STAFF, "read other people's interests entries"),
    "register.bulk": (_STAFF, "list or export the electoral register in bulk"),
    "export": (_STAFF, "export personal data"),
    "sar.manage": (_STAFF, "record or answer subject access requests"),
    "consent.record": (_STAFF, "record consent"),
    "staff.manage": (_MANAGERS, "add or remove staff"),
    "retention.change": (_MANAGERS, "change the retention policy"),
    "retention.erase": (_MANAGERS, "erase or anonymise personal data"),
    "transfer": (_MANAGERS, "transfer casework to another office"),
    "audit.read": (_MANAGERS, "read the audit log"),
    "settings.change": (_MANAGERS, "change the office's settings"),
    "approvals.decide": (_MANAGERS, "approve or return letters and emails"),
}


def role_of(office_or_role: Office | str) -> str:
    """A role given as text, or the role of whoever unlocked the office."""
    if isinstance(office_or_role, str):
        return office_or_role
    from mpoffice_tui.services.staff import current_role

    return current_role(office_or_role)


def can(office_or_role: Office | str, action: str) -> bool:
    """Whether this role (or the unlocking person) may do `action` (a key of MATRIX)."""
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}")
    return role_of(office_or_role) in MATRIX[action][0]


def require(office_or_role: Office | str, action: str) -> str:
    """Raise PermissionDenied unless the role may do `action`; returns the role."""
    role = role_of(office_or_role)
    if not can(role, action):
        article = "an" if role[:1] in "aeiou" else "a"
        raise PermissionDenied(f"{article} {role} cannot {MATRIX[action][1]}; ask an office manager")
    return role


def allowed_actions(office_or_role: Office | str) -> list[str]:
    role = role_of(office_or_role)
    return sorted(a for a, (roles, _) in MATRIX.items() if role in roles)
