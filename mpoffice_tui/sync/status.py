"""A summary of this machine's sync state, for `mpoffice sync status` and the app's status bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mpoffice_tui.sync import conflicts, state


@dataclass(frozen=True)
class PeerView:
    site: str
    code: str
    label: str
    retired: bool
    acknowledged: dict[str, int]  # what it told us it holds, per origin site
    last_import_at: str | None


@dataclass(frozen=True)
class SyncSummary:
    site_id: str
    site_code: str
    peers: list[PeerView]
    waiting: int  # this machine's changes some active peer has not acknowledged
    conflicts: int
    state: str  # "ok" | "offline" | "never"
    last_sync_at: str | None
    folder: str | None
    status_line: str


def _clock(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return iso


def summary(office, folder: str | None = None) -> SyncSummary:
    with office.engine.connect() as conn:
        known = state.sites(conn)
        acks = state.peer_acks(conn)
        last = {s: at for s, at in conn.exec_driver_sql("SELECT site, last_import_at FROM peer")}
        waiting = state.waiting(conn, office.site_id)
        open_conflicts = conflicts.count_open(conn)
    peers = []
    for site in sorted(set(known) | set(acks)):
        if site == office.site_id:
            continue
        info = known.get(site)
        peers.append(PeerView(site, info.code if info else "?", info.label if info else "",
                              bool(info and info.retired), acks.get(site, {}), last.get(site)))
    sync_state = office.meta("sync.state") or "never"
    last_ok = office.meta("sync.last_ok_at") or office.meta("sync.last_import_at")
    waiting_text = f"{waiting} change{'s' if waiting != 1 else ''} waiting"
    if sync_state == "offline":
        line = f"offline, {waiting_text}"
    elif last_ok:
        line = f"synced {_clock(last_ok)}" + (f", {waiting_text}" if waiting else "")
    elif peers:
        line = f"not synced yet, {waiting_text}"
    else:
        line = "single machine"
    if open_conflicts:
        line += f", {open_conflicts} conflict{'s' if open_conflicts != 1 else ''}"
    return SyncSummary(office.site_id, office.site_code, peers, waiting, open_conflicts, sync_state, last_ok,
                       folder, line)
