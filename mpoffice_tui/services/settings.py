"""Office-wide settings (the shared `settings` table): read and write one key at a time."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.models import Setting


def get(office: Office, key: str, default: str = "") -> str:
    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT value FROM settings WHERE key = :k AND deleted = 0"),
                           {"k": key}).fetchone()
    return row[0] if row else default


def put(office: Office, key: str, value: str) -> None:
    """Create or change a setting (one op), audited."""
    with office.writing() as w:
        row = w.session.exec(select(Setting).where(Setting.key == key)).first()
        if row is None:
            w.insert(Setting, key=key, value=value)
        else:
            w.update(row, value=value, deleted=False)
        w.audit("setting.change", target=f"setting:{key}", detail=f"{key} changed")


def change(office: Office, key: str, value: str) -> None:
    """A person's change to an office setting: the MP and managers only (it signs every letter)."""
    from mpoffice_tui.services import access

    access.require(office, "settings.change")
    put(office, key, value)
