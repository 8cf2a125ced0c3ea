"""Files from outside, opened safely; files of the office, created owner-only.

Reading (shared folders, mail and register files, bundles, key slots):

    with open_regular(path, limit=MiB(64), what="mail file") as fh:   # a binary file object
        ...
    data = read_regular(path, limit, what)                            # the whole (small) file

Only a regular file is opened (a FIFO, a device, a symlink to /dev/zero or a directory is refused
before anything blocks), its size is checked against `limit` before any byte is read, and a reader
that keeps within `limit` (`read_regular`, `LimitedReader`) notices a file that grows while read.
Refusals are `FileRefused` (an OSError) whose message names the file and says why.

Writing (the database and its key slots, WAL/SHM, backups, bundles, enrolment files, exports):

    private_dir(folder)                  the folder and any missing parents, created 0700
    write_private(path, data)            a new file 0600, written then renamed into place
    create_private(path)                 an empty 0600 file (SQLite then keeps that mode for -wal/-shm)
    loose_permissions(paths)             [(path, mode, wanted)] for files or folders others can reach

Modes are set explicitly, whatever the process umask; on Windows (no POSIX modes) they are no-ops.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

POSIX = os.name == "posix"
FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


def MiB(n: float) -> int:  # noqa: N802 - reads as the unit it is
    return int(n * 1024 * 1024)


class FileRefused(OSError):
    """A file that is not opened or not read: not a regular file, too large, grew while read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def size_text(n: int) -> str:
    """1536 -> "1.5 KB" (for messages)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_problem(path: str | os.PathLike) -> str | None:
    """Why `path` is not a regular file that can be opened (None if it is one); never blocks."""
    try:
        st = os.stat(path)  # follows a symlink: a link to /dev/zero is a device
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return f"it is {_kind(st.st_mode)}, not a regular file"
    return None


def open_regular(path: str | os.PathLike, limit: int, what: str = "file") -> BinaryIO:
    """A binary reader of a regular file no larger than `limit` bytes; FileRefused otherwise."""
    name = os.fspath(path)
    problem = regular_problem(name)
    if problem is not None:
        raise FileRefused(f"{name}: {problem}; not opened")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise FileRefused(f"{name}: cannot read the {what} ({exc.strerror or exc})") from exc
    try:
        st = os.fstat(fd)  # what was opened (the name may have been swapped since the check)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{name}: it is {_kind(st.st_mode)}, not a regular file; not read")
        if st.st_size > limit:
            raise FileRefused(f"{name}: the {what} is {size_text(st.st_size)}, more than the "
                              f"{size_text(limit)} allowed; not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.BufferedReader(LimitedReader(io.FileIO(fd, "rb"), limit, name, what), buffer_size=1 << 20)
    except BaseException:
        with suppress(OSError):
            os.close(fd)
        raise


class LimitedReader(io.RawIOBase):
    """A file object that refuses to read past `limit` bytes (a file that grows while read)."""

    def __init__(self, raw: io.FileIO, limit: int, name: str, what: str):
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._read = 0
        self.name = name
        self._what = what

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._read = self._raw.seek(offset, whence)  # the limit counts from the start of the file
        return self._read

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer) -> int:
        room = self._limit + 1 - self._read
        view = memoryview(buffer)[:max(0, room)]
        got = self._raw.readinto(view) if len(view) else 0
        self._read += got
        if self._read > self._limit:
            raise FileRefused(f"{self.name}: the {self._what} grew past {size_text(self._limit)} while "
                              "it was read; not used")
        return got

    def close(self) -> None:
        with suppress(OSError):
            self._raw.close()
        super().close()


def read_regular(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most `limit` bytes (FileRefused otherwise)."""
    with open_regular(path, limit, what) as fh:
        return fh.read()


# -- owner-only files ------------------------------------------------------------------------------
def private_dir(folder: str | os.PathLike) -> Path:
    """`folder` and each missing parent created owner-only (0700); existing folders are left alone."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, DIR_MODE)
        except FileExistsError:
            continue
        if POSIX:
            os.chmod(part, DIR_MODE)  # whatever the umask
    return folder


def create_private(path: str | os.PathLike) -> None:
    """Create `path` empty and owner-only (0600) if it does not exist; an existing file is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    except FileExistsError:
        return
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private(path: str | os.PathLike) -> BinaryIO:
    """A new file opened for writing, owner-only (0600) from the moment it exists; must not exist."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    if POSIX:
        os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def write_private(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> int:
    """Write `data` (bytes or chunks) to a new owner-only file, then rename it into place (atomic:
    readers never see half a file). Returns the bytes written."""
    path = Path(path)
    tmp = temp_beside(path)
    written = 0
    try:
        with open_private(tmp) as fh:
            for chunk in ([data] if isinstance(data, (bytes, bytearray, memoryview)) else data):
                fh.write(chunk)
                written += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def make_private(path: str | os.PathLike) -> None:
    """Set owner-only permissions on an existing file (0600) or folder (0700)."""
    if POSIX:
        os.chmod(path, DIR_MODE if os.path.isdir(path) else FILE_MODE)


def loose_permissions(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, int, int]]:
    """(path, its mode, the mode it should have) for each existing path that group or others can reach."""
    if not POSIX:
        return []
    out = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            out.append((Path(p), mode, DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE))
    return out
