"""Office-wide settings (the shared `settings` table): read and write one key at a time."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.models import Setting
from mpoffice_tui.services.office_settings import clean_value, office_key


def get(office: Office, key: str, default: str = "") -> str:
    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT value FROM settings WHERE key = :k AND deleted = 0"),
                           {"k": key}).fetchone()
    return row[0] if row else default


def put(office: Office, key: str, value: str) -> None:
    """Create or change a setting (one op), audited."""
    put_many(office, {key: value})


def put_many(office: Office, values: dict[str, str]) -> None:
    """Create or change settings together: all are written or none."""
    with office.writing() as w:
        for key, value in values.items():
            row = w.session.exec(select(Setting).where(Setting.key == key)).first()
            if row is None:
                w.insert(Setting, key=key, value=value)
            else:
                w.update(row, value=value, deleted=False)
            w.audit("setting.change", target=f"setting:{key}", detail=f"{key} changed")


def change(office: Office, key: str, value: str) -> str:
    """A person's change to one of OFFICE_KEYS (checked and tidied, see clean_value): the MP and managers
    only (it signs every letter). Returns the value stored."""
    return change_many(office, {key: value})[office_key(key)]


def change_many(office: Office, values: dict[str, str]) -> dict[str, str]:
    """Several of OFFICE_KEYS at once: every value is checked before any is written (a bad one changes
    nothing). The MP and managers only. Returns the values stored."""
    from mpoffice_tui.services import access

    cleaned = {office_key(key): clean_value(office_key(key), value) for key, value in values.items()}
    access.require(office, "settings.change")
    put_many(office, cleaned)
    return cleaned
