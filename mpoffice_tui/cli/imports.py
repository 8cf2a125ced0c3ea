"""`mpoffice import mail|register ...`: the import group; handlers live with their capability."""

from __future__ import annotations

import importlib


def _lazy(module: str, name: str):
    def handler(args, ctx):
        return getattr(importlib.import_module(module), name)(args, ctx)

    return handler


def register(sub) -> None:
    group = sub.add_parser("import", help="bring mail or electoral register exports in").add_subparsers(
        dest="import_command", metavar="KIND", required=True)
    p = group.add_parser("mail", help="import .eml, .msg, mbox files or Maildir folders")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("mpoffice_tui.cli.mail", "cmd_import_mail"))
    p = group.add_parser("register", help="import electoral register exports (Xpress, EROS, Idox, DC)")
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("mpoffice_tui.cli.register", "cmd_import_register"))
