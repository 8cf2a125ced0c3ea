"""What every subcommand shares: finding and unlocking the office, passphrases, output helpers."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNLOCK = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""

    exit_code = EXIT_USAGE


def fail(exc: BaseException) -> int:
    """Print a one-line message for an error and return its exit code."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.mailbox.types import MailServerError

    if isinstance(exc, MailServerError):  # one line naming the account and the cause, never a secret
        print(f"mpoffice: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if isinstance(exc, (OfficeError, UsageError)):
        print(f"mpoffice: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, (OSError, ValueError)):
        print(f"mpoffice: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"mpoffice: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_FAILED


def read_secret_file(path: str | os.PathLike) -> str:
    """A passphrase from a file: its first line, without the newline."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the passphrase file ({exc.strerror})") from exc
    return text.splitlines()[0] if text else ""


def ask_new_secret(prompt: str, file: str | None = None) -> str:
    """A new passphrase from a file, or asked twice at the terminal."""
    if file:
        secret = read_secret_file(file)
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for a new passphrase: use --new-passphrase-file FILE")
        secret = getpass.getpass(f"{prompt}: ")
        if getpass.getpass("Again: ") != secret:
            raise UsageError("the two passphrases differ")
    if len(secret) < 8:
        raise UsageError("a passphrase needs at least 8 characters (a few words is best)")
    return secret


class Context:
    """Lazily opens the office for a command and closes it afterwards."""

    def __init__(self, args):
        self.args = args
        self._office = None

    @property
    def db_path(self) -> Path:
        from mpoffice_tui import paths

        return Path(self.args.db) if getattr(self.args, "db", None) else paths.default_db()

    def chosen_db(self) -> bool:
        """Whether the office file was named (--db or MPOFFICE_DB) rather than the default one."""
        return bool(getattr(self.args, "db", None) or os.environ.get("MPOFFICE_DB"))

    def app_office(self) -> tuple[Path, str | None]:
        """The office a plain `mpoffice` opens, and its passphrase when known. With no office of one's own
        yet, the demo office (after `mpoffice demo`) is opened and says so; with neither, a one-line
        message says how to make one (OfficeNotFound, exit 3) instead of an unlock screen for no file."""
        from mpoffice_tui import paths
        from mpoffice_tui.db.errors import OfficeNotFound

        path = self.db_path
        if path.exists():
            return path, self.passphrase()
        demo = paths.demo_db()
        if not self.chosen_db() and demo.exists():
            from mpoffice_tui.cli.office import DEMO_PASSPHRASE

            print(f"No office of your own yet: opening the demo office ({demo}, passphrase "
                  f"{DEMO_PASSPHRASE!r}). `mpoffice init` creates yours; Ctrl+Q quits.", file=sys.stderr)
            return demo, self.passphrase() or DEMO_PASSPHRASE
        raise OfficeNotFound(self._not_found(path))

    def _not_found(self, path: Path) -> str:
        """One line: no office at `path`, and what to do about it."""
        from mpoffice_tui import paths

        demo = paths.demo_db()
        if not self.chosen_db() and demo.exists():
            return (f"{path}: no office of your own here yet. Create one with `mpoffice init`, or use the demo "
                    f"office: mpoffice --db {demo} ... (passphrase 'demo office').")
        return (f"{path}: no office here. Create one with `mpoffice init`, or try the demo office with "
                "`mpoffice demo`.")

    def passphrase(self) -> str | None:
        """From --passphrase-file, MPOFFICE_PASSPHRASE, or None (ask, or use the keyring)."""
        if getattr(self.args, "passphrase_file", None):
            return read_secret_file(self.args.passphrase_file)
        return os.environ.get("MPOFFICE_PASSPHRASE")

    def office(self):
        """Open the office: passphrase file/env, then this computer's keyring, then a prompt."""
        if self._office is not None:
            return self._office
        from mpoffice_tui.db import engine, keys
        from mpoffice_tui.db.errors import OfficeNotFound, UnlockError

        if not self.db_path.exists():
            raise OfficeNotFound(self._not_found(self.db_path))

        secret = self.passphrase()
        if secret is None:
            office = engine.try_keyring(self.db_path)
            if office is None:
                if not sys.stdin.isatty():
                    raise UnlockError(f"{self.db_path}: a passphrase is needed (use --passphrase-file or "
                                      "MPOFFICE_PASSPHRASE in scripts)")
                if keys.usable_keyring() is None:
                    print(f"({keys.keyring_unavailable_reason()})", file=sys.stderr)
                secret = getpass.getpass(f"Passphrase for {self.db_path.name}: ")
        if self._office is None and secret is not None:
            try:
                office = engine.open_office(self.db_path, secret)
            except UnlockError as exc:
                self._record_failed_unlock(exc)
                raise
        self._office = office
        from mpoffice_tui.services import audit

        audit.flush_unlock_failures(office)  # failures noted earlier become audit events now
        return office

    def _record_failed_unlock(self, exc) -> None:
        """A wrong passphrase changes no office file: it is noted on this computer and written to the
        audit log at the next successful unlock (services/audit.py)."""
        from mpoffice_tui.db.errors import WrongPassphrase

        if isinstance(exc, WrongPassphrase):
            from mpoffice_tui.services import audit

            audit.note_unlock_failure(self.db_path, "wrong passphrase")

    def close(self) -> None:
        if self._office is not None:
            self._office.close()
            self._office = None


def emit_json(data: Any) -> None:
    """Data as JSON on stdout; invisible characters in any string are shown as `\\uXXXX` escapes."""
    from mpoffice_tui.text import escape_all

    print(json.dumps(escape_all(json.loads(json.dumps(data, default=str))), indent=2, ensure_ascii=False))


def report(args, data: Any, text: str) -> int:
    """A command's result: `data` as JSON with --json, else `text` printed; the exit code (EXIT_OK)."""
    if getattr(args, "json", False):
        emit_json(data)
    else:
        print(text)
    return EXIT_OK


def print_table(rows: list[dict], columns: list[str]) -> None:
    """A plain aligned table (rich is not needed for scripts' output)."""
    if not rows:
        return
    widths = {c: max(len(c), *(len(str(r.get(c, "") or "")) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(str(r.get(c, "") or "").ljust(widths[c]) for c in columns).rstrip())
