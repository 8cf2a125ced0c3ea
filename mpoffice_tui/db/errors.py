"""Errors the store raises; each carries a message a person can act on (no tracebacks for users)."""

from __future__ import annotations


class OfficeError(Exception):
    """Base class: `str(err)` is the message shown to the user."""

    exit_code = 1


class UnlockError(OfficeError):
    """The office could not be unlocked (wrong passphrase, missing key slots, damaged file)."""

    exit_code = 3


class WrongPassphrase(UnlockError):
    pass


class MissingKeySlots(UnlockError):
    pass


class NotAnOffice(UnlockError):
    pass


class OfficeInUse(UnlockError):
    pass


class OfficeExists(OfficeError):
    exit_code = 2


class OfficeNotFound(UnlockError):
    pass


class PermissionDenied(OfficeError):
    """The unlocked staff member's role does not allow this action."""


class KeySlotsDamaged(UnlockError):
    """The key-slot file (or a slot in it) is corrupt, truncated, foreign or has unsafe parameters."""


class DatabaseProblem(OfficeError):
    """The database refused or failed an operation; the message never holds SQL or the data in it."""


class OfficeBusy(DatabaseProblem):
    """Another program held the database too long (SQLite's "database is locked")."""
