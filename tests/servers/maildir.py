"""The test user's Maildir++ storage, written directly (fast) the way a delivery agent does.

Folder "A/B" lives in `.A.B/`; INBOX is the root. When the tests run as root, Dovecot reads the mail as an
unprivileged user (it refuses uid 0), so everything written here is handed to that user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import time
from collections.abc import Iterable
from pathlib import Path

_counter = itertools.count()
_HOST = socket.gethostname().replace("/", "_").replace(":", "_")


def mail_owner() -> tuple[int, int]:
    """The uid/gid Dovecot reads the Maildir as: ourselves, or `nobody` when we are root."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


class Maildir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.uid, self.gid = mail_owner()
        self._chown = os.getuid() == 0
        self._ensure(path)

    def folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.path
        return self.path / ("." + folder.replace("/", "."))

    def _own(self, path: Path) -> None:
        if self._chown:
            os.chown(path, self.uid, self.gid)

    def _ensure(self, path: Path) -> None:
        if not path.exists():
            path.mkdir(parents=True)
            self._own(path)
        for sub in ("cur", "new", "tmp"):
            d = path / sub
            if not d.exists():
                d.mkdir()
                self._own(d)

    def create_folder(self, folder: str) -> Path:
        path = self.folder_path(folder)
        self._ensure(path)
        return path

    def delete_folder(self, folder: str) -> None:
        shutil.rmtree(self.folder_path(folder))

    def put(self, raw: bytes, folder: str = "INBOX", *, seen: bool = False) -> Path:
        """Write one message: into tmp/, then renamed into new/ (or cur/ with the Seen flag)."""
        return self._write(self.create_folder(folder), raw, seen)

    def _write(self, base: Path, raw: bytes, seen: bool) -> Path:
        name = f"{time.time_ns()}.M{next(_counter)}P{os.getpid()}.{_HOST}"
        tmp = base / "tmp" / name
        with open(tmp, "wb") as f:
            f.write(raw)
        if self._chown:
            os.chown(tmp, self.uid, self.gid)
        final = base / "cur" / f"{name}:2,S" if seen else base / "new" / name
        os.rename(tmp, final)
        return final

    def put_many(self, raws: Iterable[bytes], folder: str = "INBOX") -> int:
        """Write many messages (a bench seeds 10,000 this way); returns how many."""
        base = self.create_folder(folder)
        n = 0
        for raw in raws:
            self._write(base, raw, False)
            n += 1
        return n

    def reset_uidvalidity(self, folder: str) -> None:
        """Forget the folder's UID list and indexes: Dovecot gives it a new UIDVALIDITY and new UIDs."""
        base = self.create_folder(folder)
        for f in base.iterdir():
            if f.name.startswith("dovecot-uidlist") or f.name.startswith("dovecot.index"):
                f.unlink()

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """Every message in the folder, oldest first (by file name: delivery time)."""
        base = self.folder_path(folder)
        if not base.exists():
            return []
        files = [f for sub in ("new", "cur") for f in (base / sub).iterdir()]
        return [f.read_bytes() for f in sorted(files, key=lambda f: f.name)]
