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

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, UsageError, emit_json, print_table, report


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
    q.add_argument("--json", action="store_true", help="the template's fields as JSON (not the file format)")
    q.set_defaults(handler=cmd_show)
    q = tsub.add_parser("add", help="add templates from files (name:, kind:, subject:, ---, body)")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--replace", action="store_true", help="replace a template of the same name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_add)
    q = tsub.add_parser("remove", help="delete a template (letters written from it are kept)")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_remove)
    q = tsub.add_parser("fields", help="the merge fields and kinds a template can use")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_fields)
    q = tsub.add_parser("starter", help="add the starter templates the office does not have yet")
    q.add_argument("--json", action="store_true")
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

    found = letters.find_template(ctx.office(), args.name)
    if args.json:
        emit_json(found.__dict__)
        return EXIT_OK
    print(letters.template_file(found), end="")
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
    results = []
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
                results.append({"file": str(path), "name": t["name"], "result": "replaced"})
            else:
                letters.add_template(office, t["name"], t["body"], kind=t["kind"], subject=t["subject"])
                results.append({"file": str(path), "name": t["name"], "result": "added"})
        except (UsageError, OfficeError) as exc:
            message = str(exc)
            results.append({"file": str(path), "name": None, "result": "rejected",
                            "error": message if message.startswith(str(path)) else f"{path}: {message}"})
        if not args.json:
            r = results[-1]
            if r["result"] == "rejected":
                print(f"rejected  {r['error']}")
                if "merge field" in r["error"]:
                    print("          (mpoffice templates fields lists the merge fields)")
            else:
                print(f"{r['result']:<9} {r['name']}  ({path})")
    if args.json:
        emit_json({"templates": results})
    return EXIT_FAILED if any(r["result"] == "rejected" for r in results) else EXIT_OK


def cmd_remove(args, ctx) -> int:
    from mpoffice_tui.services import letters

    t = letters.remove_template(ctx.office(), args.name)
    return report(args, {**t.__dict__, "removed": True}, f"removed {t.name} (letters already written from it are kept)")


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
    return report(args, {"added": n}, f"{n} starter template{'s' if n != 1 else ''} added")
