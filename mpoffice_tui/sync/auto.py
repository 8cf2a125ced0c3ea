"""The sync folder: export this machine's bundle to it and import its peers' bundles.

Each machine keeps one bundle file in the folder (`<code>-<site id>.mposync`), replaced atomically
whenever it has something new, so the folder never grows. An unreachable or read-only folder (a
OneDrive folder not yet mounted, a USB stick not plugged in) means "offline", not an error.

A peer's file is read again only when it changed (its size, time or inode): bundles are streamed and
only regular files are opened, so a FIFO, a device, a link to /dev/zero or a folder named like a bundle
is refused with a message (once, until it changes), never read.

A round that reached the folder ends by compacting the op history every machine has acknowledged, once
enough of it has built up (`compact.compact_if_due`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from mpoffice_tui.sync import bundle, compact

PREFIX = "sync.seen."


@dataclass(frozen=True)
class SyncResult:
    online: bool
    exported: int = 0  # ops in the bundle written (0: nothing new, no file written)
    imported: list[bundle.Imported] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one message per refused file
    message: str = ""
    compacted: int = 0  # ops folded or deleted by the compaction at the end of the round (sync.compact)

    @property
    def new_changes(self) -> int:
        return sum(i.new for i in self.imported)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def folder_usable(folder: Path) -> bool:
    """Reachable and writable (probed by creating and removing a small file)."""
    try:
        if not folder.is_dir():
            return False
        probe = folder / f".mpoffice-probe-{secrets.token_hex(4)}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def own_file(office, folder: Path) -> Path:
    return folder / f"{office.site_code}-{office.site_id}{bundle.SUFFIX}"


def sync_folder_once(office, folder: Path | str) -> SyncResult:
    """Export new changes to the folder and import every peer bundle there that changed since last time."""
    folder = Path(folder)
    if not folder_usable(folder):
        office.set_meta("sync.state", "offline")
        return SyncResult(False, message=f"{folder}: not reachable or not writable (offline)")
    refused: list[str] = []
    imported: list[bundle.Imported] = []
    mine = own_file(office, folder)
    try:
        for path in sorted(folder.glob(f"*{bundle.SUFFIX}")):
            if path.name == mine.name or path.name.startswith("."):
                continue
            try:
                stamp = _stamp(path)
            except OSError as exc:
                refused.append(f"{path}: cannot read ({exc.strerror or exc})")
                continue
            if office.meta(PREFIX + path.name) == stamp:
                continue
            try:
                imported.append(bundle.import_bundle(office, path))
            except bundle.BundleRefused as exc:
                refused.append(str(exc))
            office.set_meta(PREFIX + path.name, stamp)
        sig = _export_sig(office)
        exported = 0
        if office.meta("sync.export_sig") != sig or not mine.exists():
            exported, _ = bundle.export_file(office, mine)
            office.set_meta("sync.export_sig", sig)
            office.set_meta("sync.last_export_at", _now())
    except OSError as exc:
        office.set_meta("sync.state", "offline")
        return SyncResult(False, 0, imported, refused, f"{folder}: {exc.strerror or exc} (offline)")
    office.set_meta("sync.state", "ok")
    office.set_meta("sync.last_ok_at", _now())
    done = compact.compact_if_due(office)  # what every machine now holds need not be kept twice
    return SyncResult(True, exported, imported, refused, "", done.ops_deleted if done else 0)


def _stamp(path: Path) -> str:
    """What changes when a peer replaces its bundle (without reading it): size, time and inode."""
    st = os.stat(path)
    return f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _export_sig(office) -> str:
    """What the exported bundle covers: changes when new ops arrive or peers acknowledge more."""
    from mpoffice_tui.sync import state

    with office.engine.connect() as conn:
        return hashlib.sha256(repr((sorted(state.vector(conn).items()),
                                    sorted(state.floor_for_export(conn, office.site_id).items()),
                                    )).encode()).hexdigest()
