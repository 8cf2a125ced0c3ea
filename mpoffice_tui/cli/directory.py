"""The directory of government departments, agencies, public bodies and ministers.

    mpoffice directory [--search TEXT] [--kind K] [--json]
    mpoffice directory import FILE.csv [--json]      (all or nothing; a bad row names its line)
    mpoffice directory export FILE.csv [--json]      (UTF-8 with a byte-order mark: Excel reads the accents)
    mpoffice directory add --organisation ORG [--kind K] [--department D] [--role R] [--name N] [--address A] ...
    mpoffice directory set ID [--name N] [--role R] [--address A] ...   (a reshuffle: the minister's name)
    mpoffice directory remove ID
"""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table, report
from mpoffice_tui.text import one_line

_FIELD_HELP = {"kind": "department, agency, public_body, minister or route (the office's own)",
               "organisation": "e.g. Department for Work and Pensions", "department": "a part of it (a team, a line)",
               "role": "e.g. Secretary of State for Work and Pensions", "name": "a minister's or officer's name",
               "address": r"the postal address (type \n between lines)", "email": "", "phone": "", "notes": ""}


def _fields(p, *, required: bool) -> None:
    for field, text in _FIELD_HELP.items():
        p.add_argument(f"--{field}", required=required and field == "organisation", help=text or None)


def register(sub) -> None:
    p = sub.add_parser("directory", help="government departments, agencies, public bodies and ministers to write to",
                       description="The directory: a starter list of UK departments, agencies and public bodies with "
                       "their public postal addresses, and ministers by department, which the office extends.")
    p.add_argument("--search", metavar="TEXT", help="words of the organisation, part, role, name or notes")
    p.add_argument("--kind", metavar="K", help="department, agency, public_body, minister or route")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    acts = p.add_subparsers(dest="directory_command", metavar="ACTION")
    q = acts.add_parser("import", help="add and update entries from a CSV file (as `export` writes it)")
    q.add_argument("file", metavar="FILE.csv")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_import)
    q = acts.add_parser("export", help="write every entry to a CSV file")
    q.add_argument("file", metavar="FILE.csv")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_export)
    q = acts.add_parser("add", help="add an entry (the office's own route, a named officer, a minister)")
    _fields(q, required=True)
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_add)
    q = acts.add_parser("set", help="change an entry (e.g. a minister's name after a reshuffle)")
    q.add_argument("id", metavar="ID", help="the entry's id (or its last characters, from --json)")
    _fields(q, required=False)
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_set)
    q = acts.add_parser("remove", help="remove an entry")
    q.add_argument("id", metavar="ID")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_remove)


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import directory

    if args.kind and args.kind not in directory.KINDS:
        raise UsageError(f"unknown kind {args.kind!r}: choose one of {', '.join(directory.KINDS)}")
    found = directory.search(ctx.office(), args.search, args.kind, limit=max(1, args.limit))
    if args.json:
        emit_json({"entries": [e.as_dict() for e in found]})
        return EXIT_OK
    print_table([{"id": e.id[-8:], "kind": e.kind, "organisation": one_line(e.organisation)[:45],
                  "part/role": one_line(e.department or e.role)[:45], "name": one_line(e.name)[:24],
                  "address": one_line(e.address.replace("\n", ", "))[:50]} for e in found],
                ["id", "kind", "organisation", "part/role", "name", "address"])
    print(f"({len(found)} entries)")
    return EXIT_OK


def cmd_import(args, ctx) -> int:
    from mpoffice_tui.services import directory

    r = directory.import_csv(ctx.office(), args.file)
    return report(args, r.as_dict(), f"{args.file}: {r.added} added, {r.updated} updated, {r.unchanged} unchanged")


def cmd_export(args, ctx) -> int:
    from mpoffice_tui.services import directory

    n = directory.export_csv(ctx.office(), args.file)
    return report(args, {"file": args.file, "entries": n}, f"{n} entries written to {args.file}")


def _given(args) -> dict:
    return {k: getattr(args, k) for k in _FIELD_HELP if getattr(args, k) is not None}


def cmd_add(args, ctx) -> int:
    from mpoffice_tui.services import directory

    e = directory.add_entry(ctx.office(), **_given(args))
    return report(args, e.as_dict(), f"Added {one_line(e.label)} ({e.id[-8:]})")


def cmd_set(args, ctx) -> int:
    from mpoffice_tui.services import directory

    given = _given(args)
    if not given:
        raise UsageError("say what to change, e.g. --name 'Jane Doe MP'")
    e = directory.update_entry(ctx.office(), args.id, **given)
    return report(args, e.as_dict(), f"Changed {one_line(e.label)}")


def cmd_remove(args, ctx) -> int:
    from mpoffice_tui.services import directory

    e = directory.remove_entry(ctx.office(), args.id)
    return report(args, {"removed": e.as_dict()}, f"Removed {one_line(e.label)}")
