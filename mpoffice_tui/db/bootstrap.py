"""Identity of a new replica: office id, this machine's site id and code, counters."""

from __future__ import annotations

from mpoffice_tui.db.ids import new_id

__all__ = ["new_id", "write_meta"]


def write_meta(conn, *, office_id: str, office_name: str, mp_name: str, site_id: str | None = None,
               site_code: str = "A", created_at: str = "") -> str:
    """Write office_meta on a raw connection; returns the site id."""
    site_id = site_id or new_id()
    meta = {"office_id": office_id, "site_id": site_id, "site_code": site_code,
            "office_name": office_name, "mp_name": mp_name, "created_at": created_at}
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)", list(meta.items()))
    conn.execute("COMMIT")
    return site_id
