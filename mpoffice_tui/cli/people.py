"""Constituents from the command line: find them, read one, change their details.

    mpoffice constituents WORDS [--limit N] [--json]      (name, email, postcode or address words)
    mpoffice constituent PERSON [--json]                   (PERSON: an id, email address or name)
    mpoffice constituent PERSON set [--surname S] [--phone P] ... [--json]
"""

from __future__ import annotations

from mpoffice_tui.cli.cases import _clean
from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table

_FLAGS = ("safety_caution", "vulnerable")  # yes / no
_YES, _NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")


def register(sub) -> None:
    p = sub.add_parser("constituents", help="find constituents by name, email, postcode or address")
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_constituents)

    p = sub.add_parser("constituent", help="show a constituent, or change their details: constituent PERSON set ...",
                       description="PERSON is a constituent id, email address or name. "
                       "`mpoffice constituent PERSON set --help` lists the details that can be changed.")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("action", nargs="?", choices=["show", "set"], default="show")
    p.add_argument("--json", action="store_true")
    for field in _fields():
        words = field.replace("_", " ")
        if field in _FLAGS:
            p.add_argument(f"--{field.replace('_', '-')}", metavar="yes|no", help=f"(set) {words}: yes or no")
        else:
            p.add_argument(f"--{field.replace('_', '-')}", metavar="VALUE", help=f"(set) the {words} ('' clears it)")
    p.set_defaults(handler=cmd_constituent)


def _fields() -> tuple[str, ...]:
    from mpoffice_tui.services.constituent_fields import EDITABLE

    return tuple(f for f in EDITABLE if f != "elector_key")


def cmd_constituents(args, ctx) -> int:
    from mpoffice_tui.services import constituents

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    found = constituents.search(ctx.office(), " ".join(args.words), limit=args.limit)
    if args.json:
        emit_json({"constituents": [r.as_dict() for r in found]})
        return EXIT_OK
    print_table([{"id": r.id, "name": _clean(r.name), "postcode": _clean(r.postcode), "email": _clean(r.email),
                  "open_cases": str(r.open_cases)} for r in found], ["id", "name", "postcode", "email", "open_cases"])
    print(f"({len(found)} found; `mpoffice constituent ID` shows one)")
    return EXIT_OK


def _changes(args) -> dict:
    changes = {}
    for field in _fields():
        value = getattr(args, field)
        if value is None:
            continue
        if field in _FLAGS:
            if value.casefold() not in _YES + _NO:
                raise UsageError(f"--{field.replace('_', '-')} takes yes or no, not {value!r}")
            value = value.casefold() in _YES
        changes[field] = value
    return changes


def cmd_constituent(args, ctx) -> int:
    from mpoffice_tui.cli.dataprotection import _person
    from mpoffice_tui.services import constituents

    changes = _changes(args)
    if args.action == "show" and changes:
        raise UsageError("to change details say `set`: mpoffice constituent PERSON set --phone ...")
    if args.action == "set" and not changes:
        raise UsageError("nothing to set: give one or more of "
                         + ", ".join(f"--{f.replace('_', '-')}" for f in _fields()))
    office = ctx.office()
    pid = _person(office, args.person)
    if changes:
        constituents.update(office, pid, **changes)
    view = constituents.get(office, pid)
    from mpoffice_tui.services import audit

    audit.record_view(office, "constituent", pid)  # reading a person's record is a use of it (who looked)
    if args.json:
        emit_json({"id": pid, **view.as_dict(), "changed": sorted(changes)})
        return EXIT_OK
    p = view.person
    if changes:
        print(f"Changed {', '.join(f.replace('_', ' ') for f in sorted(changes))} of {_clean(p.name)}.")
    print(f"{_clean(p.name)}  ({pid})")
    for label, value in (("email", p.email), ("phone", p.phone), ("address", p.address),
                         ("postcode", p.postcode), ("born", view.date_of_birth),
                         ("privacy", view.privacy_state)):
        if value:
            print(f"  {label:<9} {_clean(value)}")
    for flag in view.flags:
        print(f"  !! {_clean(flag)}")
    for c in view.cases:
        print(f"  case      {c.ref}  {c.status_label}  {_clean(c.title)}")
    return EXIT_OK
