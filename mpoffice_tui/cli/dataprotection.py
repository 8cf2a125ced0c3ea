"""Data-protection commands: audit, export sar, sar, retention, transfer, consent.

Every command acts as the staff member whose passphrase (or keyring slot) unlocked the office, and
the services enforce that person's role (a volunteer cannot read the audit log or export anything).
"""

from __future__ import annotations

import json

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table, report


def register(sub) -> None:
    p = sub.add_parser("audit", help="the audit log: who did what, when (managers)")
    p.add_argument("--action", metavar="A", help="an action or its prefix, e.g. sar or retention.erase")
    p.add_argument("--staff", metavar="S", help="a staff member's name or id")
    p.add_argument("--since", metavar="D", help="from this date or time (YYYY-MM-DD)")
    p.add_argument("--until", metavar="D", help="up to this date or time")
    p.add_argument("--target", metavar="T", help="a target such as case:ID, or its prefix")
    p.add_argument("--case", metavar="REF", help="everything recorded about one case: who opened it, when, "
                   "from which machine, and what they did")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)

    export = sub.add_parser("export", help="export personal data (audited)").add_subparsers(
        dest="export_command", metavar="WHAT", required=True)
    p = export.add_parser("sar", help="the subject access pack for one person: DIR/send/ (a PDF with the covering "
                          "letter, the same as JSON, files) and a reviewer's checklist that is not sent")
    p.add_argument("person", metavar="PERSON", help="a constituent id, email address or name")
    p.add_argument("--to", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--request", metavar="ID", help="the request it answers (default: the person's open request)")
    p.add_argument("--no-redact", action="store_true", help="keep other people's details (review first!)")
    p.add_argument("--include-confidential", action="store_true", help="include confidential notes' text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export_sar)

    sarp = sub.add_parser("sar", help="subject access requests").add_subparsers(
        dest="sar_command", metavar="ACTION", required=True)
    p = sarp.add_parser("new", help="record a request (due one calendar month after it was received)")
    p.add_argument("person", metavar="PERSON", help="whose data: a constituent id, email address or name")
    p.add_argument("--received", metavar="D", help="date received (default today)")
    p.add_argument("--by", metavar="NAME", help="a representative who asked on the person's behalf")
    p.add_argument("--relation", metavar="R", help="the representative's capacity: solicitor, parent, advocate...")
    p.add_argument("--address", metavar="TEXT", help="the representative's address (lines separated by \\n)")
    p.add_argument("--authority", metavar="TEXT", help="the authority seen for the representative")
    p.add_argument("--notes", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_new)
    p = sarp.add_parser("authority", help="record the authority seen for a representative")
    p.add_argument("id")
    p.add_argument("authority", metavar="TEXT", help="e.g. 'signed form of authority, 3 March'")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_authority)
    p = sarp.add_parser("review", help="every proposed redaction of other people's data in a person's pack, in context")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_review)
    for name, what in (("keep", "keep proposed redactions withheld"), ("release", "release proposed redactions")):
        p = sarp.add_parser(name, help=what + " (keys from `sar review`)")
        p.add_argument("person", metavar="PERSON")
        p.add_argument("keys", nargs="+", metavar="KEY")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_sar_decide, decision=name)
    p = sarp.add_parser("list", help="list requests, soonest due first")
    p.add_argument("--open", action="store_true", help="only requests not yet completed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_list)
    p = sarp.add_parser("extend", help="extend a request's deadline (by up to two further months)")
    p.add_argument("id")
    p.add_argument("--reason", required=True, choices=["complex", "numerous"],
                   help="why: the request is complex, or one of a number from the person")
    p.add_argument("--to", metavar="D", help="default: the latest allowed (three months after receipt)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_extend)
    p = sarp.add_parser("complete", help="mark a request answered")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sar_complete)

    ret = sub.add_parser("retention", help="the retention policy, its review list and erasure").add_subparsers(
        dest="retention_command", metavar="ACTION", required=True)
    p = ret.add_parser("set", help="set the policy (managers); a rule by --category and/or --outcome with --years")
    p.add_argument("--closed-case-years", type=int, metavar="N", help="the default for closed cases")
    p.add_argument("--inactive-constituent-years", type=int, metavar="N")
    p.add_argument("--category", metavar="C", help="a rule for cases of this category, e.g. Immigration")
    p.add_argument("--outcome", metavar="O", help="a rule for cases closed with this outcome, e.g. Resolved")
    p.add_argument("--years", type=int, metavar="N", help="the rule's period after closing")
    p.add_argument("--remove", action="store_true", help="remove the rule for --category/--outcome")
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

    office = ctx.office()
    if args.case:
        rows = [r for r in audit.case_history(office, args.case, limit=args.limit)
                if (not args.action or r.action == args.action or r.action.startswith(args.action.rstrip(".") + "."))
                and (not args.since or r.at >= args.since)]
    else:
        rows = audit.query(office, action=args.action, staff=args.staff, since=args.since, until=args.until,
                           target=args.target, limit=args.limit)
    if args.json:
        emit_json([r.__dict__ for r in rows])
    else:
        print_table([{**r.__dict__, "staff": r.staff_name or r.staff_id or "-"} for r in rows],
                    ["at", "staff", "action", "target", "detail"])
    return EXIT_OK


# -- subject access -----------------------------------------------------------------------------
def cmd_export_sar(args, ctx) -> int:
    from mpoffice_tui.services import sar_pack

    office = ctx.office()
    pid = _person(office, args.person)
    pack = sar_pack.build_pack(office, pid, args.to, redact=not args.no_redact,
                               include_confidential=args.include_confidential, request_id=args.request)
    result = {"folder": str(pack.folder), "pdf": str(pack.pdf), "json": str(pack.json),
              "checklist": str(pack.checklist), "cases": len(pack.cases), "messages": len(pack.messages),
              "notes": len(pack.notes), "notes_withheld": len(pack.withheld_notes), "letters": len(pack.letters),
              "attachments": len(pack.attachments), "withheld": pack.withheld, "released": pack.released,
              "not_reviewed": sum(1 for p in pack.proposals if not p.decided)}
    if args.json:
        emit_json(result)
    else:
        print(f"Subject access pack written to {pack.folder}: send the folder 'send' ({pack.pdf.name}, "
              f"{pack.json.name}{', files' if pack.attachments else ''}).")
        print(f"{result['cases']} cases, {result['messages']} messages, {result['notes']} notes, "
              f"{result['letters']} letters, {result['attachments']} files; {pack.withheld} passage(s) of other "
              f"people's details withheld, {pack.released} released.")
        if result["not_reviewed"]:
            print(f"{result['not_reviewed']} proposed redaction(s) not yet reviewed: mpoffice sar review {args.person!r}")
        print(f"Read {pack.checklist.name} before sending (it is not sent). The pack is plaintext: keep it on an "
              "encrypted drive and delete it once sent.")
    return EXIT_OK


def _sar_dict(v) -> dict:
    return {**v.__dict__, "effective_due": v.effective_due, "status": v.status(), "overdue": v.overdue(),
            "requested_by": v.requested_by}


def _print_sars(views, as_json: bool) -> None:
    from mpoffice_tui.services.sar_requests import STATUS_LABELS

    rows = [_sar_dict(v) for v in views]
    if as_json:
        emit_json(rows if len(rows) != 1 else rows[0])
    else:
        print_table([{**r, "id": r["id"][:13], "status": STATUS_LABELS.get(r["status"], r["status"]).upper()
                      if r["overdue"] else STATUS_LABELS.get(r["status"], r["status"])} for r in rows],
                    ["id", "person", "received_on", "effective_due", "status", "requested_by"])


def cmd_sar_new(args, ctx) -> int:
    from mpoffice_tui.services import sar_requests

    office = ctx.office()
    view = sar_requests.new_request(office, _person(office, args.person), received_on=args.received,
                                    notes=args.notes, requester_name=args.by, requester_relation=args.relation,
                                    requester_address=(args.address or "").replace("\\n", "\n") or None,
                                    authority=args.authority)
    _print_sars([view], args.json)
    if view.by_representative and not view.authority and not args.json:
        print(f"Made by {view.requester_name}: record the authority seen before the pack is produced "
              f"(mpoffice sar authority {view.id[:13]} TEXT).")
    return EXIT_OK


def cmd_sar_authority(args, ctx) -> int:
    from mpoffice_tui.services import sar_requests

    _print_sars([sar_requests.record_authority(ctx.office(), args.id, args.authority)], args.json)
    return EXIT_OK


def cmd_sar_list(args, ctx) -> int:
    from mpoffice_tui.services import sar_requests

    views = sar_requests.list_requests(ctx.office(), open_only=args.open)
    if args.json:
        emit_json([_sar_dict(v) for v in views])
    else:
        _print_sars(views, False)
    return EXIT_OK


def cmd_sar_extend(args, ctx) -> int:
    from mpoffice_tui.services import sar_requests

    _print_sars([sar_requests.extend(ctx.office(), args.id, reason=args.reason, to=args.to)], args.json)
    return EXIT_OK


def cmd_sar_complete(args, ctx) -> int:
    from mpoffice_tui.services import sar_requests

    _print_sars([sar_requests.complete(ctx.office(), args.id)], args.json)
    return EXIT_OK


def cmd_sar_review(args, ctx) -> int:
    from mpoffice_tui.services import sar_redaction
    from mpoffice_tui.text import clean

    office = ctx.office()
    rv = sar_redaction.review(office, _person(office, args.person))
    if args.json:
        emit_json({"person": rv.person, "withheld": rv.withheld, "undecided": rv.undecided,
                   "proposals": [{**p.__dict__, "label": p.label} for p in rv.proposals]})
        return EXIT_OK
    if not rv.proposals:
        print(f"Nothing of other people's found in {clean(rv.person)}'s pack.")
        return EXIT_OK
    for p in rv.proposals:
        state = ("withheld" if p.withheld else "released") + ("" if p.decided else " (not reviewed)")
        print(f"{p.key[:10]}  {state}: {p.label}, {clean(p.where)}")
        print(f"    ...{clean(p.before[-40:])}[[{clean(p.text)}]]{clean(p.after[:40])}...".replace("\n", " "))
    print(f"{rv.withheld} of {len(rv.proposals)} withheld; {rv.undecided} not reviewed. "
          "mpoffice sar keep|release PERSON KEY...")
    return EXIT_OK


def cmd_sar_decide(args, ctx) -> int:
    from mpoffice_tui.services import sar_redaction

    office = ctx.office()
    n = sar_redaction.decide(office, _person(office, args.person), args.keys, args.decision)
    return report(args, {"decision": args.decision, "decided": n},
                  f"{n} proposed redaction(s) {'kept withheld' if args.decision == 'keep' else 'released'}.")


# -- retention ----------------------------------------------------------------------------------
def cmd_retention_set(args, ctx) -> int:
    from mpoffice_tui.services import retention

    office = ctx.office()
    if args.category or args.outcome:
        if args.years is None and not args.remove:
            raise UsageError("say how long: --years N (or --remove the rule)")
        policy = retention.set_rule(office, years=None if args.remove else args.years, category=args.category,
                                    outcome=args.outcome)
    elif args.closed_case_years is None and args.inactive_constituent_years is None:
        raise UsageError("say what to set: --closed-case-years N, --inactive-constituent-years N, or a rule: "
                         "--category C [--outcome O] --years N")
    else:
        policy = retention.set_policy(office, closed_case_years=args.closed_case_years,
                                      inactive_constituent_years=args.inactive_constituent_years)
    if args.json:
        emit_json(json.loads(policy.as_json()))
    else:
        _print_policy(policy)
    return EXIT_OK


def _print_policy(policy) -> None:
    def years(v) -> str:
        return f"{v} years" if v is not None else "not set"

    print(f"Closed cases (default):       {years(policy.closed_case_years)} after closing")
    print(f"People with no activity:      {years(policy.inactive_constituent_years)}")
    for r in policy.rules:
        print(f"Rule: {r.label}")


def cmd_retention_show(args, ctx) -> int:
    from mpoffice_tui.services import retention

    policy = retention.get_policy(ctx.office())
    if args.json:
        emit_json(json.loads(policy.as_json()))
    else:
        _print_policy(policy)
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
                    ["item", "label", "since", "due_on", "rule"])
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
    return report(
        args, out,
        f"{len(result.cases)} case(s) of {result.people} people exported to {result.folder}; then {result.then}.")


def cmd_consent_add(args, ctx) -> int:
    from mpoffice_tui.services import consent

    office = ctx.office()
    view = consent.record(office, _person(office, args.person), args.kind, case=args.case, given_by=args.given_by,
                          given_on=args.given_on, details=args.details)
    return report(args, view.__dict__, f"Recorded {view.kind} consent ({view.id}).")


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
