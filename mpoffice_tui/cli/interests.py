"""`mpoffice interests add|list|check|not-advantaged`: the staff Register of Interests."""

from __future__ import annotations

from dataclasses import asdict

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table, report
from mpoffice_tui.services.interest_kinds import KINDS


def register(sub) -> None:
    group = sub.add_parser("interests", help="the staff Register of Interests (entries and checker)") \
        .add_subparsers(dest="interests_command", metavar="ACTION", required=True)
    p = group.add_parser("add", help="record an interest entry for a staff member")
    p.add_argument("--staff", required=True, metavar="NAME")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--source", required=True, metavar="TEXT", help="who paid or gave it")
    p.add_argument("--value", required=True, metavar="POUNDS", help="e.g. 450 or 120.50")
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="date received")
    p.add_argument("--charity", action="store_true", help="passed to charity (it still counts)")
    p.add_argument("--description", default="", metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)
    p = group.add_parser("list", help="list entries")
    p.add_argument("--staff", metavar="NAME")
    p.add_argument("--year", type=int, metavar="Y")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = group.add_parser("check", help="which entries must be registered, and by when")
    p.add_argument("--year", type=int, metavar="Y")
    p.add_argument("--staff", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check)
    p = group.add_parser("not-advantaged", help="mark an entry not advantaged by the pass, with a reason")
    p.add_argument("entry_id", metavar="ID", help="the entry id (or its first characters)")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_not_advantaged)


def cmd_add(args, ctx) -> int:
    from mpoffice_tui.services import interests as svc

    try:
        pence = svc.parse_pounds(args.value)
    except ValueError as exc:
        raise UsageError(f"--value: {exc}") from None
    entry = svc.add_entry(ctx.office(), staff=args.staff, kind=args.kind, source=args.source,
                          value_pence=pence, received_on=args.date, description=args.description,
                          to_charity=args.charity)
    return report(
        args, asdict(entry),
        f"Recorded {entry.kind} entry {entry.id[:13]} for {entry.staff_name}: {svc.pounds(entry.value_pence)} "
              f"from {entry.source} on {entry.received_on}.")


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import interests as svc

    entries = svc.list_entries(ctx.office(), staff=args.staff, year=args.year)
    if args.json:
        emit_json([asdict(e) for e in entries])
        return EXIT_OK
    if not entries:
        print("No entries.")
    print_table([{"id": e.id[:13], "staff": e.staff_name, "date": e.received_on, "kind": e.kind,
                  "source": e.source, "value": svc.pounds(e.value_pence), "charity": "yes" if e.to_charity else "",
                  "not advantaged": e.not_advantaged_reason or ""} for e in entries],
                ["id", "staff", "date", "kind", "source", "value", "charity", "not advantaged"])
    return EXIT_OK


def cmd_check(args, ctx) -> int:
    from mpoffice_tui.services import interests as svc

    verdicts = svc.check(ctx.office(), year=args.year, staff=args.staff)
    if args.json:
        emit_json([asdict(v) for v in verdicts])
        return EXIT_OK
    if not verdicts:
        print("No entries to check" + (f" for {args.year}." if args.year else "."))
    for v in verdicts:
        print(f"[{'REGISTER' if v.must_register else 'ok'}] {v.staff_name}, {v.source}, {v.year}: {v.explanation}")
    return EXIT_OK


def cmd_not_advantaged(args, ctx) -> int:
    from mpoffice_tui.services import interests as svc

    entry = svc.mark_not_advantaged(ctx.office(), args.entry_id, args.reason)
    return report(args, asdict(entry),
                  f"Entry {entry.id[:13]} marked not advantaged by the pass: {entry.not_advantaged_reason}")
