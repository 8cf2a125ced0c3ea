"""Readers for mail files: .eml, Outlook .msg, mbox, Maildir folders (and plain folders of files).

`read_paths(paths)` yields one `Item` per message found: either a `ParsedMessage` or the reason it
could not be read, always with the file and the position inside it (mbox message index, Maildir file).
Nothing here raises for bad mail: a broken item is reported and reading goes on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui.importers.mail.parse import MailError, ParsedMessage, looks_like_message, parse_bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MBOX_FROM = re.compile(rb"^From \S*.*$", re.M)


@dataclass(frozen=True)
class Item:
    """One message read from a file: `message` or `error` is set."""

    file: str
    position: str  # "" for a single-message file; "message 3" in an mbox
    size: int
    message: ParsedMessage | None = None
    error: str | None = None


def _parse(file: str, position: str, raw: bytes) -> Item:
    try:
        return Item(file, position, len(raw), message=parse_bytes(raw))
    except MailError as exc:
        return Item(file, position, len(raw), error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop a batch
        return Item(file, position, len(raw), error=f"unreadable message ({type(exc).__name__})")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Every mail file under the given paths (folders are walked; Maildir cur/new only)."""
    for p in paths:
        path = Path(p)
        if is_maildir(path):
            for sub in ("cur", "new"):
                yield from sorted(f for f in (path / sub).iterdir() if f.is_file() and not f.name.startswith("."))
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "tmp")
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def read_file(path: Path) -> Iterator[Item]:
    """The messages in one file, whatever its kind."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Item(file, "", 0, error=f"cannot read the file ({exc.strerror or exc})")
        return
    if raw.startswith(OLE_MAGIC) or path.suffix.lower() == ".msg":
        yield read_msg(file, raw)
    elif raw.startswith(b"From "):
        yield from read_mbox(file, raw)
    else:
        yield _parse(file, "", raw)


def read_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Item]:
    for path in iter_files(paths):
        if not path.exists():
            yield Item(str(path), "", 0, error="no such file or folder")
            continue
        yield from read_file(path)


def split_mbox(raw: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(index, line number, message bytes) for each message of an mbox (From_ lines removed)."""
    starts = [m.start() for m in MBOX_FROM.finditer(raw)
              if m.start() == 0 or raw[m.start() - 2:m.start()] == b"\n\n" or
              raw[max(0, m.start() - 4):m.start()] == b"\r\n\r\n"]
    line, counted = 1, 0
    for i, start in enumerate(starts):
        line += raw.count(b"\n", counted, start)
        counted = start
        end = starts[i + 1] if i + 1 < len(starts) else len(raw)
        chunk = raw[start:end]
        nl = chunk.find(b"\n")
        body = chunk[nl + 1:] if nl >= 0 else b""
        if body.endswith(b"\r\n"):  # the separating blank line belongs to the mbox, not the message
            body = body[:-2] if i + 1 < len(starts) else body
        elif body.endswith(b"\n") and i + 1 < len(starts):
            body = body[:-1]
        yield i + 1, line, body


def read_mbox(file: str, raw: bytes) -> Iterator[Item]:
    for index, line, body in split_mbox(raw):
        yield _parse(file, f"message {index} (line {line})", body)


def read_msg(file: str, raw: bytes) -> Item:
    """An Outlook .msg (OLE compound file) via extract-msg; the .msg bytes are kept as the raw."""
    if not raw.startswith(OLE_MAGIC):
        problem = looks_like_message(raw)
        if problem is None:  # an RFC 822 message saved with a .msg name
            return _parse(file, "", raw)
        return Item(file, "", len(raw), error="not an Outlook .msg file (no OLE compound-file header)")
    try:
        from mpoffice_tui.importers.mail.outlook import parse_msg

        return Item(file, "", len(raw), message=parse_msg(raw))
    except MailError as exc:
        return Item(file, "", len(raw), error=str(exc))
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds of errors on bad files
        return Item(file, "", len(raw), error=f"unreadable Outlook .msg file ({type(exc).__name__})")
