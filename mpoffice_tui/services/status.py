"""How this machine stands with sync: one line for the app's header, and the Sync screen's overview.

The header line is `sync.status.summary(office).status_line` ("offline, 12 changes waiting",
"synced 14:05", "synced 14:05, 3 changes waiting, 1 conflict"), with two cases of its own: "sync not
set up" (no sync folder and no other machine) and "offline, N changes waiting" when the sync folder
cannot be reached right now.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui import config
from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.models import SHARED_TABLES
from mpoffice_tui.sync import conflicts as sync_conflicts
from mpoffice_tui.sync import status as sync_status


def changes_waiting(office: Office) -> int:
    """This site's ops that some active peer has not acknowledged (0 with no peers)."""
    from mpoffice_tui.sync import state

    with office.engine.connect() as conn:
        return state.waiting(conn, office.site_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def line_for(summary: sync_status.SyncSummary, folder: str | None) -> str:
    """The header line for a summary and the configured sync folder."""
    if not folder and not summary.peers:
        return "sync not set up"
    if folder and not Path(folder).is_dir():
        line = f"offline, {_plural(summary.waiting, 'change')} waiting"
        return line + (f", {_plural(summary.conflicts, 'conflict')}" if summary.conflicts else "")
    if summary.status_line == "single machine":
        return "sync folder set, no other machine yet"
    return summary.status_line


def status_line(office: Office, settings: config.Settings | None = None) -> str:
    """A short sync status for the header."""
    settings = settings or config.load()
    return line_for(sync_status.summary(office, settings.sync_folder), settings.sync_folder)


@dataclass(frozen=True)
class SyncOverview:
    """Everything the Sync screen shows."""

    summary: sync_status.SyncSummary
    line: str
    last_export_at: str | None
    last_import_at: str | None  # the newest bundle imported from any peer
    conflicts: tuple[sync_conflicts.ConflictView, ...]


def sync_overview(office: Office, settings: config.Settings | None = None) -> SyncOverview:
    settings = settings or config.load()
    summary = sync_status.summary(office, settings.sync_folder)
    imports = [p.last_import_at for p in summary.peers if p.last_import_at]
    return SyncOverview(summary, line_for(summary, settings.sync_folder), office.meta("sync.last_export_at"),
                        max(imports) if imports else None, tuple(sync_conflicts.list_conflicts(office)))


def case_for(office: Office, tbl: str, row_id: str) -> str | None:
    """The case a conflicting record belongs to (the case itself, or the case of a note, task, ...)."""
    if tbl == "cases":
        return row_id
    if tbl not in SHARED_TABLES:
        return None
    with office.engine.connect() as conn:
        cols = {r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{tbl}")')}
        if "case_id" in cols:
            row = conn.exec_driver_sql(f'SELECT case_id FROM "{tbl}" WHERE id = ?', (row_id,)).fetchone()
            return row[0] if row and row[0] else None
        if tbl == "constituents":
            row = conn.exec_driver_sql("SELECT id FROM cases WHERE constituent_id = ? AND deleted = 0 "
                                       "ORDER BY opened_at DESC, id LIMIT 1", (row_id,)).fetchone()
            return row[0] if row else None
    return None
