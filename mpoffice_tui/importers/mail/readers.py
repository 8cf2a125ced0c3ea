"""Readers for mail files: .eml, Outlook .msg, mbox, Maildir folders (and plain folders of files).

`read_paths(paths)` yields one `Item` per message found: either a `ParsedMessage` or the reason it
could not be read, always with the file and the position inside it (mbox message index, Maildir file).
Nothing here raises for bad mail: a broken item is reported and reading goes on; a folder that cannot
be read is reported too. Only regular files are opened (a FIFO, a device or a link to one is refused
before it can block), with their size checked first; an mbox is read streamed, one message at a time,
so memory stays bounded by the largest message (MAX_MESSAGE_BYTES), never by the file.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mpoffice_tui.files import FileRefused, MiB, open_regular, size_text
from mpoffice_tui.importers.mail.parse import MailError, ParsedMessage, looks_like_message, parse_bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MBOX_FROM = re.compile(rb"^From \S*.*$", re.M)
MAX_MESSAGE_BYTES = MiB(100)  # one message (.eml, .msg, or one of an mbox): a 50 MB attachment fits
MAX_MBOX_BYTES = MiB(16 * 1024)  # a whole mbox, read streamed
_LINE = MiB(1)  # an mbox is read in lines of at most this much (a longer line comes in pieces)


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


def iter_entries(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for every mail file under the given paths (folders walked; Maildir cur/new only),
    and (folder, reason) for each folder that could not be read."""
    for p in paths:
        path = Path(p)
        if is_maildir(path):
            for sub in ("cur", "new"):
                try:
                    names = sorted(f for f in (path / sub).iterdir() if not f.name.startswith("."))
                except OSError as exc:
                    yield path / sub, f"cannot read the folder ({exc.strerror or exc})"
                    continue
                yield from ((f, None) for f in names if not f.is_dir())
        elif path.is_dir():
            unreadable: list[OSError] = []
            for root, dirs, files in os.walk(path, onerror=unreadable.append):
                while unreadable:
                    exc = unreadable.pop(0)
                    yield Path(exc.filename or root), f"cannot read the folder ({exc.strerror or exc})"
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "tmp")
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name, None
            for exc in unreadable:  # the top folder itself
                yield Path(exc.filename or path), f"cannot read the folder ({exc.strerror or exc})"
        else:
            yield path, None


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Every mail file under the given paths (unreadable folders are left to `read_paths` to report)."""
    return (path for path, problem in iter_entries(paths) if problem is None)


def read_file(path: Path) -> Iterator[Item]:
    """The messages in one file, whatever its kind (only a regular file is opened)."""
    file = str(path)
    try:
        fh = open_regular(path, MAX_MBOX_BYTES, "mail file")
    except FileRefused as exc:
        yield Item(file, "", 0, error=_reason(exc, file))
        return
    try:
        with fh:
            head = fh.peek(8)[:8]
            if head.startswith(b"From ") and not head.startswith(OLE_MAGIC):
                yield from read_mbox_stream(file, fh)
                return
            raw = fh.read(MAX_MESSAGE_BYTES + 1)
            if len(raw) > MAX_MESSAGE_BYTES:
                yield Item(file, "", len(raw), error=f"the file is larger than {size_text(MAX_MESSAGE_BYTES)}, "
                                                     "the most one message may be; not imported")
                return
    except OSError as exc:  # FileRefused included: the file grew while it was read
        yield Item(file, "", 0, error=_reason(exc, file))
        return
    if raw.startswith(OLE_MAGIC) or path.suffix.lower() == ".msg":
        yield read_msg(file, raw)
    else:
        yield _parse(file, "", raw)


def _reason(exc: OSError, file: str) -> str:
    """An OSError as a reason beside the file name (which the Item already carries)."""
    text = str(exc) if isinstance(exc, FileRefused) else f"cannot read the file ({exc.strerror or exc})"
    return text[len(file) + 2:] if text.startswith(file + ": ") else text


def read_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Item]:
    for path, problem in iter_entries(paths):
        if problem is not None:
            yield Item(str(path), "", 0, error=problem)
        elif not path.exists() and not path.is_symlink():
            yield Item(str(path), "", 0, error="no such file or folder")
        else:
            yield from read_file(path)


def split_mbox(raw: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(index, line number, message bytes) for each message of an mbox (From_ lines removed)."""
    for index, line, body, _ in mbox_messages(io.BufferedReader(io.BytesIO(raw))):
        yield index, line, body or b""


def read_mbox(file: str, raw: bytes) -> Iterator[Item]:
    yield from read_mbox_stream(file, io.BufferedReader(io.BytesIO(raw)))


def read_mbox_stream(file: str, fh: BinaryIO) -> Iterator[Item]:
    """The messages of an mbox, read one at a time; one over MAX_MESSAGE_BYTES is reported, not read."""
    for index, line, body, size in mbox_messages(fh):
        position = f"message {index} (line {line})"
        if body is None:
            yield Item(file, position, size, error=f"larger than {size_text(MAX_MESSAGE_BYTES)}, the most one "
                                                   "message may be; not imported")
        else:
            yield _parse(file, position, body)


def _is_separator(line: bytes) -> bool:
    return line.startswith(b"From ") and MBOX_FROM.match(line) is not None


def mbox_messages(fh: BinaryIO) -> Iterator[tuple[int, int, bytes | None, int]]:
    """(index, line of its From_ line, message bytes or None if over MAX_MESSAGE_BYTES, size) for each
    message of an mbox read from `fh` line by line: memory holds one message, never the file.

    A From_ line starts a message at the start of the file or after a blank line; that blank line
    belongs to the mbox, not to the message before it.
    """
    index = start_line = line_no = size = 0
    parts: list[bytes] = []
    too_big = False
    prev_blank = at_line_start = True  # the start of the file counts as after a blank line
    while True:
        chunk = fh.readline(_LINE)
        if not chunk:
            break
        if at_line_start:
            line_no += 1
        if at_line_start and prev_blank and _is_separator(chunk):
            if index:
                if parts and parts[-1] in (b"\n", b"\r\n"):
                    parts.pop()
                yield index, start_line, None if too_big else b"".join(parts), size
            index, start_line = index + 1, line_no
            parts, size, too_big = [], 0, False
            while not chunk.endswith(b"\n"):  # the rest of a very long From_ line
                chunk = fh.readline(_LINE)
                if not chunk:
                    break
            prev_blank = False
            continue
        prev_blank = at_line_start and chunk in (b"\n", b"\r\n")
        at_line_start = chunk.endswith(b"\n")
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES:
            too_big, parts = True, []
        elif not too_big:
            parts.append(chunk)
    if index:
        yield index, start_line, None if too_big else b"".join(parts), size


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
