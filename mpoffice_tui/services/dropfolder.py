"""The drop folder: mail files saved into a folder are imported, then moved aside.

`scan(office, folder)` imports every file directly in `folder` (not older than `min_age` seconds, so
a file still being written is left for the next scan), then moves it to `processed/` or, when nothing
in it could be imported, to `rejected/`. The app calls it on a timer; the CLI can too.

Only regular files are opened (importers.mail.read_file): a FIFO, a device or a link to one is
reported and moved to `rejected/` without being opened; subfolders are left alone. Mail is read and
stored as it streams (an mbox is never held whole).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui.db.engine import Office
from mpoffice_tui.files import private_dir, regular_problem
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
    private_dir(folder)
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
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        return DropReport(0, 0, (Rejected(str(root), "", f"cannot read the folder ({exc.strerror or exc})"),),
                          (), ())
    now = time.time()
    imported = duplicates = 0
    rejected: list[Rejected] = []
    done, bad = [], []
    for path in entries:
        if path.is_dir():
            continue  # processed/, rejected/ and anything else the office keeps there
        problem = regular_problem(path)
        if problem is not None:  # a FIFO, a device, a link to one: never opened, moved out of the way
            rejected.append(Rejected(str(path), "", problem))
            try:
                bad.append(str(_move(path, root / REJECTED)))
            except OSError:
                continue
            continue
        try:
            if now - path.stat().st_mtime < min_age:
                continue
        except OSError:
            continue
        report = import_items(office, read_file(path))
        imported += report.imported
        duplicates += report.duplicates
        rejected += report.rejected
        try:
            if report.rejected and not (report.imported or report.duplicates):
                bad.append(str(_move(path, root / REJECTED)))
            else:
                done.append(str(_move(path, root / PROCESSED)))
        except OSError as exc:
            rejected.append(Rejected(str(path), "", f"imported, but could not be moved aside "
                                                    f"({exc.strerror or exc})"))
    return DropReport(imported, duplicates, tuple(rejected), tuple(done), tuple(bad))
