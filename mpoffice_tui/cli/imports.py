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
    p = group.add_parser("register", help="import electoral register exports (Xpress, EROS, Idox, DC)",
                         description="Import a council's register export(s). A replacement that would remove "
                                     "a large share of a council's electors, an older publication, or a file "
                                     "whose name does not say its council asks first (at a terminal) or is "
                                     "held back: --replace replaces anyway.")
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--council", metavar="NAME", help="the council the files are from (default: from the file "
                                                     "names)")
    p.add_argument("--published", metavar="YYYY-MM-DD", help="the publication date (default: from the file names)")
    p.add_argument("--replace", action="store_true", help="replace the council's register without asking")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("mpoffice_tui.cli.register", "cmd_import_register"))
