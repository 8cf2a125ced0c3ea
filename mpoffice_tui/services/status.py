"""One line for the app's header: how this machine stands with sync.

"sync not set up", "offline, 12 changes waiting" (the sync folder cannot be reached), or
"sync folder ready, 3 changes waiting". Changes waiting are this site's ops that not every peer has
acknowledged (all of this site's ops when there are no peers yet).
"""

from __future__ import annotations

import json
from pathlib import Path

from mpoffice_tui import config
from mpoffice_tui.db.engine import Office


def changes_waiting(office: Office) -> int:
    """This site's ops not yet acknowledged by every (non-retired) peer."""
    site = office.site_id
    with office.engine.connect() as conn:
        acked_rows = conn.exec_driver_sql("SELECT acked FROM peer WHERE NOT retired").fetchall()
        floor = None
        for (raw,) in acked_rows:
            try:
                seen = int(json.loads(raw or "{}").get(site, 0))
            except (ValueError, TypeError, AttributeError):
                seen = 0
            floor = seen if floor is None else min(floor, seen)
        return int(conn.exec_driver_sql("SELECT count(*) FROM ops WHERE site = ? AND seq > ?",
                                         (site, floor or 0)).scalar() or 0)


def _plural(n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''} waiting"


def status_line(office: Office, settings: config.Settings | None = None) -> str:
    """A short sync status for the header."""
    settings = settings or config.load()
    with office.engine.connect() as conn:
        peers = int(conn.exec_driver_sql("SELECT count(*) FROM peer WHERE NOT retired").scalar() or 0)
    if not settings.sync_folder and not peers:
        return "sync not set up"
    waiting = changes_waiting(office)
    if settings.sync_folder and Path(settings.sync_folder).is_dir():
        return f"sync folder ready, {_plural(waiting)}"
    return f"offline, {_plural(waiting)}"
