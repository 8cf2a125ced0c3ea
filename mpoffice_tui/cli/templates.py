"""Letter and reply templates: `templates` (list), `show`, `add`, `remove`, `fields`, `starter`.

    mpoffice templates [list] [--json]
    mpoffice templates show NAME            (the template as a file: edit it and `add --replace` it back)
    mpoffice templates add FILE... [--replace]
    mpoffice templates remove NAME
    mpoffice templates fields [--json]      (the merge fields a template can use, and the kinds)
    mpoffice templates starter              (add the starter templates the office does not have yet)

A template file is `name:`, `kind:` and `subject:` lines, a `---` line, then the body, e.g.

    name: Housing acknowledgement
    kind: acknowledgement
    subject: Your housing enquiry (our ref {case_ref})
    ---
    {salutation},
    ...
"""

from __future__ import annotations

from pathlib import Path

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, UsageError, emit_json, print_table


def register(sub) -> None:
    p = sub.add_parser("templates", help="letter and reply templates: list, show, add, remove, fields, starter")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    tsub = p.add_subparsers(dest="templates_command", metavar="ACTION")
    q = tsub.add_parser("list", help="the office's templates")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_list)
    q = tsub.add_parser("show", help="print a template in the file format `add` reads")
    q.add_argument("name")
    q.set_defaults(handler=cmd_show)
    q = tsub.add_parser("add", help="add templates from files (name:, kind:, subject:, ---, body)")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--replace", action="store_true", help="replace a template of the same name")
    q.set_defaults(handler=cmd_add)
    q = tsub.add_parser("remove", help="delete a template (letters written from it are kept)")
    q.add_argument("name")
    q.set_defaults(handler=cmd_remove)
    q = tsub.add_parser("fields", help="the merge fields and kinds a template can use")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_fields)
    q = tsub.add_parser("starter", help="add the starter templates the office does not have yet")
    q.set_defaults(handler=cmd_starter)


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import letters

    found = letters.list_templates(ctx.office())
    if args.json:
        emit_json({"templates": [t.__dict__ for t in found]})
        return EXIT_OK
    print_table([{"name": t.name, "kind": t.kind, "subject": t.subject} for t in found], ["name", "kind", "subject"])
    print(f"({len(found)} templates; `mpoffice templates show NAME` prints one)")
    return EXIT_OK


def cmd_show(args, ctx) -> int:
    from mpoffice_tui.services import letters

    print(letters.template_file(letters.find_template(ctx.office(), args.name)), end="")
    return EXIT_OK


def _read(path: Path) -> dict:
    """A template file, or UsageError naming the file and what is wrong with it."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import letters

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        return letters.parse_template_file(raw.decode("utf-8-sig").replace("\r\n", "\n"), str(path))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text (save it as UTF-8 and try again)") from None
    except OfficeError as exc:
        raise UsageError(str(exc)) from None


def cmd_add(args, ctx) -> int:
    """Every file is read and checked first; a bad one is reported and the others are still added."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import letters

    office = ctx.office()
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            t = _read(path)
            have = {x.name.casefold(): x for x in letters.list_templates(office)}
            old = have.get(t["name"].casefold())
            if old is not None and not args.replace:
                raise OfficeError(f"there is already a template called {old.name!r} (--replace replaces it)")
            if old is not None:
                letters.update_template(office, old.id, **t)
                print(f"replaced  {t['name']}  ({path})")
            else:
                letters.add_template(office, t["name"], t["body"], kind=t["kind"], subject=t["subject"])
                print(f"added     {t['name']}  ({path})")
        except (UsageError, OfficeError) as exc:
            failed += 1
            message = str(exc)
            print(f"rejected  {message if message.startswith(str(path)) else f'{path}: {message}'}")
            if "merge field" in message:
                print("          (mpoffice templates fields lists the merge fields)")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_remove(args, ctx) -> int:
    from mpoffice_tui.services import letters

    t = letters.remove_template(ctx.office(), args.name)
    print(f"removed {t.name} (letters already written from it are kept)")
    return EXIT_OK


def cmd_fields(args, ctx) -> int:
    from mpoffice_tui.services import letters

    if args.json:
        emit_json({"fields": letters.MERGE_FIELDS, "kinds": letters.KINDS})
        return EXIT_OK
    print_table([{"field": "{" + k + "}", "meaning": v} for k, v in letters.MERGE_FIELDS.items()], ["field", "meaning"])
    print()
    print_table([{"kind": k, "used for": v} for k, v in letters.KINDS.items()], ["kind", "used for"])
    return EXIT_OK


def cmd_starter(args, ctx) -> int:
    from mpoffice_tui.services import letters

    n = letters.load_starter_templates(ctx.office())
    print(f"{n} starter template{'s' if n != 1 else ''} added")
    return EXIT_OK
