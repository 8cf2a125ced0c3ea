"""An encrypted backup of the office: a copy under the same key, with its key slots beside it, audited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui import paths
from mpoffice_tui.db.engine import Office


@dataclass(frozen=True)
class Backup:
    path: Path
    key_slots: Path


def backup(office: Office, target: str | Path) -> Backup:
    """Write the backup to `target` (a new file) and record it in the audit log (one transaction)."""
    target = Path(target)
    office.backup_to(target)
    with office.writing() as w:
        w.audit("office.backup", target=str(target.name), detail="encrypted backup written")
    return Backup(target, paths.keyslots_for(target))
