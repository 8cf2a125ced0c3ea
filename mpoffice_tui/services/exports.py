"""A plaintext copy the user asked for (a letter, a PDF, an attachment): written whole and readable only by
its owner, or a one-line message naming the file. Every service that saves such a copy uses `save_private`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mpoffice_tui import files
from mpoffice_tui.db.errors import OfficeError


def save_private(data: bytes | Iterable[bytes], path: str | Path, what: str) -> Path:
    """Write `data` (bytes, or pieces streamed one at a time) to a new owner-only file at `path`, renamed into
    place when whole; OfficeError '<path>: cannot write the <what> (<reason>)' on failure."""
    path = Path(path).expanduser()
    try:
        files.write_private(path, data)
    except OSError as exc:
        raise OfficeError(f"{path}: cannot write the {what} ({exc.strerror or exc})") from exc
    return path
