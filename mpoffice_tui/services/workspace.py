"""A person's unfinished work kept across a lock: which screens were open, where, and what was being
typed in an open form. Kept inside the encrypted office (a local fact of this machine, never synced),
one per member of staff, and handed back once at their next unlock."""

from __future__ import annotations

import json
from typing import Any

from mpoffice_tui.db.engine import Office

PREFIX = "workspace:"
MAX_BYTES = 2_000_000  # a form's text, not a file: anything bigger is not kept


def _key(office: Office) -> str:
    return f"{PREFIX}{office.staff_id or 'unknown'}"


def save(office: Office, state: dict[str, Any]) -> bool:
    """Keep this person's workspace (replacing the last one); False when it is too big to keep."""
    data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    if len(data.encode("utf-8")) > MAX_BYTES:
        return False
    with office.engine.begin() as conn:
        conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)", (_key(office), data))
    return True


def take(office: Office) -> dict[str, Any] | None:
    """This person's kept workspace, removed as it is handed over (None when there is none)."""
    with office.engine.begin() as conn:
        row = conn.exec_driver_sql("SELECT value FROM office_meta WHERE key = ?", (_key(office),)).fetchone()
        if row is None:
            return None
        conn.exec_driver_sql("DELETE FROM office_meta WHERE key = ?", (_key(office),))
    try:
        state = json.loads(row[0])
    except ValueError:
        return None
    return state if isinstance(state, dict) else None
