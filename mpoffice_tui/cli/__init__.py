"""The `mpoffice` command.

Each group of subcommands lives in its own module of this package and registers itself in
`COMMAND_MODULES`. Handlers take `(args, ctx)` and return an exit code. The database stack is
imported only when a command needs it, so `mpoffice` (the TUI) shows its first frame quickly.

Exit codes: 0 done, 1 some items failed, 2 usage error, 3 could not unlock.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, EXIT_UNLOCK, EXIT_USAGE, Context, fail
from mpoffice_tui.files import POSIX, PRIVATE_UMASK

__all__ = ["main", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_UNLOCK"]

# Modules that add subcommands: each defines register(subparsers).
COMMAND_MODULES = [
    "mpoffice_tui.cli.office",
    "mpoffice_tui.cli.imports",
    "mpoffice_tui.cli.dataprotection",
    "mpoffice_tui.cli.sync",
    "mpoffice_tui.cli.cases",
    "mpoffice_tui.cli.people",
    "mpoffice_tui.cli.register",
    "mpoffice_tui.cli.search",
    "mpoffice_tui.cli.interests",
    "mpoffice_tui.cli.mail",
    "mpoffice_tui.cli.mailbox",
    "mpoffice_tui.cli.templates",
    "mpoffice_tui.cli.settings",
    "mpoffice_tui.cli.surgery",
    "mpoffice_tui.cli.approvals",
    "mpoffice_tui.cli.directory",
]

EPILOG = """\
exit codes:
  0  done
  1  some items failed (for example, rejected files in an import)
  2  usage error
  3  could not unlock the office (wrong passphrase, missing key slots, not an office, in use)

environment:
  MPOFFICE_DB          the office database (as --db)
  MPOFFICE_PASSPHRASE  the passphrase, for scripts (prefer --passphrase-file)
  MPOFFICE_HOME        put data and settings under this folder instead of the platform's
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpoffice", description="Offline-first, encrypted casework for an MP's constituency office.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", help="the office database (default: MPOFFICE_DB or the "
                        "platform data folder)")
    parser.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE (scripts)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.version:
        from mpoffice_tui import __version__

        print(f"mpoffice {__version__}")
        return EXIT_OK
    ctx = Context(args)
    handler = getattr(args, "handler", None)
    # Everything this process creates (exports, folders, WAL files…) is the office user's alone.
    umask = os.umask(PRIVATE_UMASK) if POSIX else None
    try:
        if handler is None:  # the app: on your office, else the demo office, else a line saying how
            from mpoffice_tui.cli.office import run_app

            path, passphrase = ctx.app_office()
            return run_app(args, ctx, passphrase=passphrase, db_path=path)
        return int(handler(args, ctx) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into `head` and cut short: not an error worth a message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
        return fail(exc)
    finally:
        ctx.close()
        if umask is not None:
            os.umask(umask)
