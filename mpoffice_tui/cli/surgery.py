"""`mpoffice surgery add|list|book|show|print|arrive|no-show|cancel|move|remind|visit`: advice surgeries."""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table, report


def register(sub) -> None:
    group = sub.add_parser("surgery", help="advice surgeries: the day's list, bookings, walk-ins and visits") \
        .add_subparsers(dest="surgery_command", metavar="ACTION", required=True)
    p = group.add_parser("add", help="add a surgery (today or later)")
    p.add_argument("--date", required=True, metavar="DATE", help="e.g. 2027-01-15 or 15/01/2027")
    p.add_argument("--place", required=True, metavar="TEXT")
    p.add_argument("--from", dest="starts", required=True, metavar="HH:MM")
    p.add_argument("--to", dest="ends", required=True, metavar="HH:MM")
    p.add_argument("--slot", default="15", metavar="MINUTES", help="length of a slot (default 15)")
    p.add_argument("--held-by", metavar="NAME", help="a member of staff (default: the MP)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)
    p = group.add_parser("list", help="surgeries with their statistics")
    p.add_argument("--since", metavar="DATE", help="from this date on (e.g. today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = group.add_parser("book", help="book a constituent at a surgery (the first free slot unless --time)")
    p.add_argument("surgery", metavar="DATE_OR_ID")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--constituent", metavar="NAME", help="a known constituent: name, email or id")
    who.add_argument("--elector", metavar="NUMBER", help="an elector number on the register, e.g. AB1-124/1")
    who.add_argument("--surname", metavar="NAME", help="someone new: their surname (with --forenames, --postcode)")
    p.add_argument("--forenames", default="", metavar="NAMES")
    p.add_argument("--postcode", default="", metavar="POSTCODE")
    p.add_argument("--email", default="", metavar="ADDRESS")
    p.add_argument("--time", metavar="HH:MM")
    p.add_argument("--topic", default="", metavar="TEXT")
    p.add_argument("--phone", metavar="NUMBER", help="a number to reach them about the booking")
    p.add_argument("--interpreter", metavar="LANGUAGE")
    p.add_argument("--access", metavar="TEXT", help="access needs (e.g. wheelchair, hearing loop)")
    p.add_argument("--walk-in", action="store_true", help="they came in on the day without a booking")
    p.add_argument("--confirm", action="store_true", help="email them a confirmation (queued in the outbox)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_book)
    p = group.add_parser("show", help="a surgery's list in time order, its free slots and statistics")
    p.add_argument("surgery", metavar="DATE_OR_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)
    p = group.add_parser("print", help="the day's list for the MP as a PDF or text file")
    p.add_argument("surgery", metavar="DATE_OR_ID")
    p.add_argument("--to", required=True, metavar="FILE", help="a file ending .pdf or .txt")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_print)
    for name, text in (("arrive", "they have arrived"), ("no-show", "they did not come"),
                       ("cancel", "cancel the booking (the slot is free again)")):
        p = group.add_parser(name, help=text)
        p.add_argument("appointment", metavar="ID", help="the appointment (its id, or the end of it as `show` prints)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_change, change=name)
    p = group.add_parser("move", help="move a booking to another time or surgery")
    p.add_argument("appointment", metavar="ID")
    p.add_argument("--time", metavar="HH:MM")
    p.add_argument("--surgery", metavar="DATE_OR_ID", help="another surgery")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_move)
    p = group.add_parser("remind", help="email a reminder to everyone booked who has not had one (queued)")
    p.add_argument("surgery", metavar="DATE_OR_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_remind)
    p = group.add_parser("visit", help="record a visit: the problem in their words, on a new case or theirs")
    p.add_argument("appointment", metavar="ID")
    p.add_argument("--problem", required=True, metavar="TEXT", help="the problem, in the person's own words")
    p.add_argument("--case", metavar="REF", help="an existing case (default: a new one)")
    p.add_argument("--title", metavar="TEXT", help="the new case's title (default: the booking's topic)")
    p.add_argument("--category", metavar="TEXT", help="default: suggested from what they said")
    p.add_argument("--consent", choices=("implied", "written"),
                   help="consent to act: agreed in person (implied) or a signed form (written)")
    p.add_argument("--follow-up", metavar="TEXT", help="the follow-up task")
    p.add_argument("--due", metavar="DATE", help="when the follow-up is due (default: a week)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit)


def _appointment_row(a) -> dict:
    return {"id": a.short_id, "time": a.time, "name": a.name, "status": a.status_label, "topic": a.topic,
            "case": a.case_ref or "", "needs": "; ".join(a.needs)}


def _print_surgery(s) -> None:
    st = s.stats
    print(f"{s.label}  (id {s.id[:13]})")
    print(f"  held by {s.held_by or 'the MP'} · {s.slot_minutes}-minute slots · {s.free} of {s.slots} free")
    print(f"  booked {st.booked} (walk-ins {st.walk_ins}) · seen {st.seen} · no-shows {st.no_shows} · "
          f"cancelled {st.cancelled} · cases opened {st.cases_opened} · added to cases {st.cases_added}")


def cmd_add(args, ctx) -> int:
    from mpoffice_tui.services import surgeries

    s = surgeries.add_surgery(ctx.office(), held_on=args.date, place=args.place, starts=args.starts, ends=args.ends,
                              slot_minutes=args.slot, held_by=args.held_by)
    return report(args, s.as_dict(),
                  f"Added the surgery {s.label} ({s.slots} slots of {s.slot_minutes} minutes), id {s.id[:13]}.")


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import surgeries

    found = surgeries.list_surgeries(ctx.office(), since=args.since)
    if args.json:
        emit_json([s.as_dict() for s in found])
        return EXIT_OK
    if not found:
        print("No surgeries." + ("" if args.since else " Add one with `mpoffice surgery add`."))
    print_table([{"id": s.id[:13], "date": s.held_on, "time": f"{s.starts_at}-{s.ends_at}", "place": s.place,
                  "held by": s.held_by or "", "booked": s.stats.booked, "free": s.free, "seen": s.stats.seen,
                  "no-shows": s.stats.no_shows, "cases opened": s.stats.cases_opened} for s in found],
                ["id", "date", "time", "place", "held by", "booked", "free", "seen", "no-shows", "cases opened"])
    return EXIT_OK


def cmd_book(args, ctx) -> int:
    from mpoffice_tui.services import constituents, surgeries
    from mpoffice_tui.services.surgeries import Who

    office = ctx.office()
    if args.constituent:
        who = Who(constituent_id=constituents.find_or_create(office, args.constituent, postcode=args.postcode
                                                             or None)[0].id)
    elif args.elector:
        who = Who(elector=args.elector)
    else:
        if not args.surname.strip():
            raise UsageError("--surname: give the new person's surname")
        who = Who(forenames=args.forenames, surname=args.surname, postcode=args.postcode, email=args.email)
    a = surgeries.book(office, args.surgery, who, slot=args.time, topic=args.topic, phone=args.phone,
                       interpreter=args.interpreter, access=args.access, walk_in=args.walk_in, confirm=args.confirm)
    if args.json:
        emit_json(a.as_dict())
        return EXIT_OK
    s = surgeries.get_surgery(office, a.surgery_id)
    what = "Walk-in added" if a.walk_in else f"Booked {a.slot}"
    print(f"{what}: {a.name} at {s.label} (appointment {a.short_id}).")
    if a.needs:
        print(f"  Note: {'; '.join(a.needs)}")
    if args.confirm:
        print("  Confirmation emailed (in the outbox)." if a.confirmation_id else
              "  No confirmation: they have no email address.")
    return EXIT_OK


def cmd_show(args, ctx) -> int:
    from mpoffice_tui.services import surgeries, surgery_visits

    office = ctx.office()
    day = surgeries.surgery_day(office, args.surgery)
    todo = surgery_visits.still_to_do(office, day.surgery.id)
    if args.json:
        emit_json({**day.as_dict(), "still_to_do": [{"appointment": f.appointment.id, "name": f.appointment.name,
                                                     "needs": f.needs} for f in todo]})
        return EXIT_OK
    _print_surgery(day.surgery)
    print()
    if day.appointments:
        print_table([_appointment_row(a) for a in day.appointments],
                    ["id", "time", "name", "status", "topic", "case", "needs"])
    else:
        print("Nobody is booked yet.")
    if day.free_slots:
        print(f"\nFree slots: {', '.join(day.free_slots)}")
    if todo:
        print("\nStill to do: " + "; ".join(f"{f.appointment.name} needs {f.needs}" for f in todo))
    return EXIT_OK


def cmd_print(args, ctx) -> int:
    from mpoffice_tui.services import surgery_print

    path = surgery_print.print_day(ctx.office(), args.surgery, args.to)
    return report(args, {"path": str(path)},
                  f"Wrote the surgery list to {path} (personal data: keep it safe, shred it afterwards).")


def cmd_change(args, ctx) -> int:
    from mpoffice_tui.services import surgeries

    office = ctx.office()
    aid = surgeries.find_appointment(office, args.appointment)
    act = {"arrive": surgeries.arrive, "no-show": surgeries.no_show, "cancel": surgeries.cancel}[args.change]
    a = act(office, aid)
    return report(args, a.as_dict(), f"{a.name} ({a.time}): {a.status_label}.")


def cmd_move(args, ctx) -> int:
    from mpoffice_tui.services import surgeries

    if not (args.time or args.surgery):
        raise UsageError("say where to move it: --time HH:MM and/or --surgery DATE_OR_ID")
    office = ctx.office()
    a = surgeries.move(office, surgeries.find_appointment(office, args.appointment), slot=args.time,
                       surgery=args.surgery)
    return report(args, a.as_dict(),
                  f"Moved {a.name} to {a.slot} at {surgeries.get_surgery(office, a.surgery_id).label}.")


def cmd_remind(args, ctx) -> int:
    from mpoffice_tui.services import surgeries, surgery_mail

    office = ctx.office()
    done = surgery_mail.send_reminders(office, surgeries.find_surgery(office, args.surgery))
    if args.json:
        emit_json({"drafted": done.drafted, "state": done.state, "already": done.already,
                   "no_email": [{"name": n, "phone": p} for n, p in done.no_email]})
        return EXIT_OK
    where = {"queued": "queued to send", "awaiting_approval": "waiting for approval"}.get(done.state, "drafts (no "
                                                                                           "From address yet)")
    print(f"{done.drafted} reminder{'s' if done.drafted != 1 else ''} {where}; {done.already} reminded before.")
    for name, phone in done.no_email:
        print(f"  No email: ring {name}" + (f" on {phone}" if phone else " (no number on file)"))
    return EXIT_OK


def cmd_visit(args, ctx) -> int:
    from mpoffice_tui.services import surgeries, surgery_visits

    office = ctx.office()
    v = surgery_visits.capture(office, surgeries.find_appointment(office, args.appointment), problem=args.problem,
                               case=args.case, title=args.title, category=args.category, consent=args.consent,
                               follow_up=args.follow_up, follow_up_due=args.due)
    return report(
        args, {k: getattr(v, k) for k in v.__dataclass_fields__},
        f"Visit recorded on {'the new case' if v.case_opened else 'case'} {v.case_ref} ({v.category})"
              + (", consent recorded" if v.consent_id else "") + (", follow-up task added" if v.task_id else "") + ".")
