"""Data-protection commands: audit, export sar, sar, retention, transfer, consent.

Every command acts as the staff member whose passphrase (or keyring slot) unlocked the office, and
the services enforce that person's role (a volunteer cannot read the audit log or export anything).
"""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table


def register(sub) -> None:
    p = sub.add_parser("audit", help="the audit log: who did what, when (managers)")
    p.add_argument("--action", metavar="A", help="an action or its prefix, e.g. sar or retention.erase")
    p.add_argument("--staff", metavar="S", help="a staff member's name or id")
    p.add_argument("--since", metavar="D", help="from this date or time (YYYY-MM-DD)")
    p.add_argument("--until", metavar="D", help="up to this date or time")
    p.add_argument("--target", metavar="T", help="a target such as case:ID, or its prefix")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)

    export = sub.add_parser("export", help="export personal data (audited)").add_subparsers(
        dest="export_command", metavar="WHAT", required=True)
    p = export.add_parser("sar", help="the subject access pack for one person (a folder: index.html, "
                          "data.json, files/)")
    p.add_argument("person", metavar="PERSON", help="a constituent id, email address or name")
    p.add_argument("--to", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--no-redact", action="store_true", help="keep other people's details (review first!)")
    p.add_argument("--include-confidential", action="store_true", help="include confidential notes' text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export_sar)

    sarp = sub.add_parser("sar", help="subject access requests").add_subparsers(
        dest="sar_command", metavar="ACTION", required=True)
    p = sarp.add_parser("new", help="record a request (due one calendar month after it was received)")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--received", metavar="D", help="date received (default today)")
    p.add_argument("--notes", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_new)
    p = sarp.add_parser("list", help="list requests, soonest due first")
    p.add_argument("--open", action="store_true", help="only requests not yet completed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_list)
    p = sarp.add_parser("extend", help="extend a request's deadline (by up to two further months)")
    p.add_argument("id")
    p.add_argument("--to", metavar="D")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_extend)
    p = sarp.add_parser("complete", help="mark a request answered")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_complete)

    ret = sub.add_parser("retention", help="the retention policy, its review list and erasure").add_subparsers(
        dest="retention_command", metavar="ACTION", required=True)
    p = ret.add_parser("set", help="set the policy (managers)")
    p.add_argument("--closed-case-years", type=int, metavar="N")
    p.add_argument("--inactive-constituent-years", type=int, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention_set)
    p = ret.add_parser("show", help="show the policy")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention_show)
    p = ret.add_parser("review", help="what has passed its retention date")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention_review)
    p = ret.add_parser("erase", help="erase (or anonymise) items; replicated to every machine by sync")
    p.add_argument("items", nargs="*", metavar="ITEM", help="case:ID, case:REF or constituent:ID")
    p.add_argument("--all-due", action="store_true", help="everything on the review list")
    p.add_argument("--anonymise", action="store_true", help="keep non-personal statistics (cases)")
    p.add_argument("--reason", default="retention policy", help="recorded in the deletion log")
    p.add_argument("--confirm", action="store_true", help="really erase (without it: show what would go)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention_erase)
    p = ret.add_parser("log", help="the deletion log (what was erased, when, by whom, why)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention_log)

    p = sub.add_parser("transfer", help="boundary change or a constituent who moves: export cases by postcode")
    p.add_argument("--postcodes", nargs="+", required=True, metavar="PC", help="postcodes, sectors or districts")
    p.add_argument("--to", required=True, metavar="DIR")
    p.add_argument("--then", choices=["keep", "return", "erase"], default="keep",
                   help="afterwards keep the cases, close them as transferred, or erase them")
    p.add_argument("--include-closed", action="store_true")
    p.add_argument("--confirm", action="store_true", help="needed with --then erase")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_transfer)

    con = sub.add_parser("consent", help="consent to act, and third-party permission").add_subparsers(
        dest="consent_command", metavar="ACTION", required=True)
    p = con.add_parser("add", help="record consent")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--kind", required=True, choices=["implied", "written", "third_party_permission"])
    p.add_argument("--case", metavar="REF")
    p.add_argument("--given-by")
    p.add_argument("--given-on", metavar="D")
    p.add_argument("--details")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_consent_add)
    p = con.add_parser("status", help="a case's consents, and whether it still needs permission")
    p.add_argument("case", metavar="REF")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_consent_status)


def _person(office, token: str) -> str:
    from mpoffice_tui.services import sar

    try:
        return sar.resolve_person(office, token)
    except sar.PersonAmbiguous as exc:
        lines = [f"{len(exc.candidates)} people match {token!r}; give an id or email address:"]
        lines += [f"  {c[0]}  {c[1]}  {c[2] or ''}  {c[3] or ''}".rstrip() for c in exc.candidates]
        raise UsageError("\n".join(lines)) from exc
    except sar.PersonNotFound as exc:
        raise UsageError(str(exc)) from exc


# -- audit --------------------------------------------------------------------------------------
def cmd_audit(args, ctx) -> int:
    from mpoffice_tui.services import audit

    rows = audit.query(ctx.office(), action=args.action, staff=args.staff, since=args.since, until=args.until,
                       target=args.target, limit=args.limit)
    if args.json:
        emit_json([r.__dict__ for r in rows])
    else:
        print_table([{**r.__dict__, "staff": r.staff_name or r.staff_id or "-"} for r in rows],
                    ["at", "staff", "action", "target", "detail"])
    return EXIT_OK


# -- subject access -----------------------------------------------------------------------------
def cmd_export_sar(args, ctx) -> int:
    from mpoffice_tui.services import sar

    office = ctx.office()
    pid = _person(office, args.person)
    pack = sar.build_pack(office, pid, args.to, redact=not args.no_redact,
                          include_confidential=args.include_confidential)
    result = {"folder": str(pack.folder), "constituent_id": pid, "cases": len(pack.cases),
              "messages": len(pack.messages), "notes": len(pack.notes), "letters": len(pack.letters),
              "attachments": len(pack.attachments), "replacements": pack.replacements,
              "review": [r.__dict__ for r in pack.review]}
    if args.json:
        emit_json(result)
    else:
        print(f"Subject access pack written to {pack.folder} (open index.html): {result['cases']} cases, "
              f"{result['messages']} messages, {result['notes']} notes, {result['attachments']} files.")
        if pack.review:
            print(f"{len(pack.review)} item(s) to review before release (listed in index.html); "
                  f"{pack.replacements} mention(s) of other people redacted.")
        print("The pack is plaintext: keep it on an encrypted drive and delete it once sent.")
    return EXIT_OK


def _sar_dict(v) -> dict:
    return {**v.__dict__, "effective_due": v.effective_due, "overdue": v.overdue()}


def _print_sars(views, as_json: bool) -> None:
    rows = [_sar_dict(v) for v in views]
    if as_json:
        emit_json(rows if len(rows) != 1 else rows[0])
    else:
        print_table([{**r, "id": r["id"][:13], "overdue": "OVERDUE" if r["overdue"] else ""} for r in rows],
                    ["id", "person", "received_on", "effective_due", "completed_on", "overdue"])


def cmd_sar_new(args, ctx) -> int:
    from mpoffice_tui.services import sar

    office = ctx.office()
    view = sar.new_request(office, _person(office, args.person), received_on=args.received, notes=args.notes)
    _print_sars([view], args.json)
    return EXIT_OK


def cmd_sar_list(args, ctx) -> int:
    from mpoffice_tui.services import sar

    views = sar.list_requests(ctx.office(), open_only=args.open)
    if args.json:
        emit_json([_sar_dict(v) for v in views])
    else:
        _print_sars(views, False)
    return EXIT_OK


def cmd_sar_extend(args, ctx) -> int:
    from mpoffice_tui.services import sar

    _print_sars([sar.extend(ctx.office(), args.id, to=args.to)], args.json)
    return EXIT_OK


def cmd_sar_complete(args, ctx) -> int:
    from mpoffice_tui.services import sar

    _print_sars([sar.complete(ctx.office(), args.id)], args.json)
    return EXIT_OK


# -- retention ----------------------------------------------------------------------------------
def cmd_retention_set(args, ctx) -> int:
    from mpoffice_tui.services import retention

    if args.closed_case_years is None and args.inactive_constituent_years is None:
        raise UsageError("say what to set: --closed-case-years N and/or --inactive-constituent-years N")
    policy = retention.set_policy(ctx.office(), closed_case_years=args.closed_case_years,
                                  inactive_constituent_years=args.inactive_constituent_years)
    if args.json:
        emit_json(policy.__dict__)
    else:
        print(f"Retention policy: closed cases reviewed after {policy.closed_case_years} years; inactive "
              f"constituents after {policy.inactive_constituent_years} years.")
    return EXIT_OK


def cmd_retention_show(args, ctx) -> int:
    from mpoffice_tui.services import retention

    policy = retention.get_policy(ctx.office())
    if args.json:
        emit_json(policy.__dict__)
    else:
        for k, v in policy.__dict__.items():
            print(f"{k:28} {v if v is not None else 'not set'}")
    return EXIT_OK


def cmd_retention_review(args, ctx) -> int:
    from mpoffice_tui.services import retention

    items = retention.review(ctx.office())
    if args.json:
        emit_json([i.__dict__ for i in items])
    elif not items:
        print("Nothing has passed its retention date.")
    else:
        print_table([{**i.__dict__, "item": f"{i.kind}:{i.id}"} for i in items],
                    ["item", "label", "since", "due_on", "reason"])
    return EXIT_OK


def cmd_retention_erase(args, ctx) -> int:
    from mpoffice_tui.services import retention

    office = ctx.office()
    items: list = list(args.items)
    if args.all_due:
        items += retention.review(office)
    if not items:
        raise UsageError("name items to erase (case:ID, case:REF, constituent:ID) or use --all-due")
    if not args.confirm:
        from mpoffice_tui.services import access

        access.require(office, "retention.erase")
        shown = [i if isinstance(i, str) else f"{i.kind}:{i.id} ({i.label})" for i in items]
        if args.json:
            emit_json({"erased": [], "would_erase": shown, "confirmed": False})
        else:
            print("Would erase:\n  " + "\n  ".join(shown))
            print("Nothing erased: run again with --confirm.")
        return EXIT_OK
    done = retention.erase(office, items, reason=args.reason, confirm=True, anonymise=args.anonymise)
    if args.json:
        emit_json({"erased": [d.__dict__ for d in done], "confirmed": True})
    else:
        for d in done:
            print(f"{d.mode}d {d.kind}:{d.id} ({sum(d.rows.values())} rows)")
    return EXIT_OK


def cmd_retention_log(args, ctx) -> int:
    from mpoffice_tui.services import retention

    entries = retention.deletion_log(ctx.office())
    if args.json:
        emit_json([e.__dict__ for e in entries])
    else:
        print_table([{"at": e.at, "action": e.action, "target": e.target, "staff": e.staff_id,
                      "reason": e.detail.get("reason"), "rows": sum(e.detail.get("rows", {}).values())}
                     for e in entries], ["at", "action", "target", "staff", "rows", "reason"])
    return EXIT_OK


# -- transfer and consent -----------------------------------------------------------------------
def cmd_transfer(args, ctx) -> int:
    from mpoffice_tui.services import transfer

    result = transfer.transfer(ctx.office(), args.postcodes, args.to, then=args.then,
                               include_closed=args.include_closed, confirm=args.confirm)
    out = {"folder": str(result.folder), "people": result.people, "cases": list(result.cases), "then": result.then}
    if args.json:
        emit_json(out)
    else:
        print(f"{len(result.cases)} case(s) of {result.people} people exported to {result.folder}; then {result.then}.")
    return EXIT_OK


def cmd_consent_add(args, ctx) -> int:
    from mpoffice_tui.services import consent

    office = ctx.office()
    view = consent.record(office, _person(office, args.person), args.kind, case=args.case, given_by=args.given_by,
                          given_on=args.given_on, details=args.details)
    if args.json:
        emit_json(view.__dict__)
    else:
        print(f"Recorded {view.kind} consent ({view.id}).")
    return EXIT_OK


def cmd_consent_status(args, ctx) -> int:
    from mpoffice_tui.services import consent

    st = consent.case_status(ctx.office(), args.case)
    if args.json:
        emit_json({**st.__dict__, "consents": [c.__dict__ for c in st.consents]})
    else:
        print(f"{st.ref}: raised on someone's behalf: {'yes' if st.raised_on_behalf else 'no'}; "
              f"{'NEEDS WRITTEN PERMISSION' if st.needs_permission else 'permission in order'}")
        print_table([c.__dict__ for c in st.consents], ["kind", "given_by", "given_on", "case_id", "details"])
    return EXIT_OK
