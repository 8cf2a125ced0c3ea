"""The drop folder: mail files saved into a folder are imported, then moved aside.

`scan(office, folder)` imports every file directly in `folder` (not older than `min_age` seconds, so
a file still being written is left for the next scan), then moves it to `processed/` or, when nothing
in it could be imported, to `rejected/`. The app calls it on a timer; the CLI can too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui.db.engine import Office
from mpoffice_tui.importers.mail import read_file
from mpoffice_tui.services.inbox import Rejected, import_items

PROCESSED, REJECTED = "processed", "rejected"


@dataclass(frozen=True)
class DropReport:
    imported: int
    duplicates: int
    rejected: tuple[Rejected, ...]
    processed_files: tuple[str, ...]
    rejected_files: tuple[str, ...]


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    return target


def scan(office: Office, folder: str | os.PathLike, min_age: float = 2.0) -> DropReport:
    """Import new files in the drop folder and move each to processed/ or rejected/."""
    root = Path(folder)
    if not root.is_dir():
        return DropReport(0, 0, (), (), ())
    now = time.time()
    imported = duplicates = 0
    rejected: list[Rejected] = []
    done, bad = [], []
    for path in sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            if now - path.stat().st_mtime < min_age:
                continue
        except OSError:
            continue
        report = import_items(office, list(read_file(path)))
        imported += report.imported
        duplicates += report.duplicates
        rejected += report.rejected
        if report.rejected and not (report.imported or report.duplicates):
            bad.append(str(_move(path, root / REJECTED)))
        else:
            done.append(str(_move(path, root / PROCESSED)))
    return DropReport(imported, duplicates, tuple(rejected), tuple(done), tuple(bad))
