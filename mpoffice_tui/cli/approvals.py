"""Sign-off from the command line: the approval queue, decisions, and the office's rules.

    mpoffice approvals [--all] [--json]                 letters and emails waiting for (or returned from) sign-off
    mpoffice approvals show ID [--json]                 one of them, with its whole text
    mpoffice approvals approve ID... [--json]           the MP or a manager: a letter may be exported, an email goes
    mpoffice approvals return ID --comment TEXT         back to the writer; the comment is a note on the case
    mpoffice approvals request letter|email ID          the writer asks for sign-off on this one
    mpoffice approvals rules [--json]
    mpoffice approvals rule add template|category|recipient_kind|all [VALUE] [--for letter|email|both]
    mpoffice approvals rule remove ID

ID is an approval's id, the end of it (as listed), or the letter's or email's id.
"""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, emit_json, print_table, report
from mpoffice_tui.text import clean, one_line


def register(sub) -> None:
    p = sub.add_parser("approvals", help="letters and emails waiting for the MP's or a manager's sign-off",
                       description="The approval queue, decisions on it, and the office's sign-off rules.")
    p.add_argument("--all", action="store_true", help="approved ones too (not only waiting or returned)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    acts = p.add_subparsers(dest="approvals_command", metavar="ACTION")
    q = acts.add_parser("show", help="one approval, with the whole text")
    q.add_argument("id", metavar="ID")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_show)
    q = acts.add_parser("approve", help="approve letters or emails (the MP or a manager)")
    q.add_argument("ids", nargs="+", metavar="ID")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_approve)
    q = acts.add_parser("return", help="return one to its writer with a comment (a note on the case)")
    q.add_argument("id", metavar="ID")
    q.add_argument("--comment", required=True, metavar="TEXT", help="what to change")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_return)
    q = acts.add_parser("request", help="ask for sign-off on a letter or email (the writer's flag)")
    q.add_argument("kind", choices=("letter", "email"))
    q.add_argument("id", metavar="ID", help="the letter's id or the email's id (or their ends)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_request)
    q = acts.add_parser("rules", help="what the office asks to be signed off")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_rules)
    r = acts.add_parser("rule", help="add or remove a sign-off rule (the MP or a manager)")
    rs = r.add_subparsers(dest="rule_command", metavar="add|remove", required=True)
    a = rs.add_parser("add", help="a new rule, e.g.: rule add recipient_kind minister;  rule add template "
                      "'Letter to agency' --for letter;  rule add category Immigration;  rule add all --for email")
    a.add_argument("kind", choices=("template", "category", "recipient_kind", "all"))
    a.add_argument("value", nargs="?", default="", help="the template's name, the category, or the recipient kind "
                   "(constituent, council, police, nhs, agency, minister, other)")
    a.add_argument("--for", dest="applies_to", choices=("letter", "email", "both"), default="both")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_rule_add)
    d = rs.add_parser("remove", help="remove a rule (its id, or the end of it, from `approvals rules`)")
    d.add_argument("id", metavar="ID")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=cmd_rule_remove)


def _row(a) -> dict:
    return {"id": a.id[-8:], "what": a.target_kind, "case": a.case_ref or "-", "to": one_line(a.to)[:28],
            "subject": one_line(a.subject)[:40], "state": a.state_label, "asked_by": one_line(a.requested_by)}


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    states = ("pending", "returned", "approved") if args.all else approvals.QUEUE_STATES
    found = approvals.list_approvals(office, states, limit=10_000)
    if args.json:
        emit_json({"approvals": [a.as_dict() for a in found]})
        return EXIT_OK
    print_table([_row(a) for a in found], ["id", "what", "case", "to", "subject", "state", "asked_by"])
    waiting = sum(a.state == "pending" for a in found)
    print(f"({waiting} waiting for approval" + (f", {len(found) - waiting} other" if len(found) > waiting else "")
          + "; `mpoffice approvals show ID` reads one, `approve ID` or `return ID --comment TEXT` decides)")
    return EXIT_OK


def _find(office, token: str) -> str:
    from mpoffice_tui.services import approvals

    return approvals.find(office, token)


def cmd_show(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    a = approvals.get_approval(office, _find(office, args.id))
    if args.json:
        emit_json(a.as_dict())
        return EXIT_OK
    print(f"{a.target_kind} on {a.case_ref or 'no case'} · {a.state_label} · why: {one_line(a.reason)}")
    print(f"To: {one_line(a.to)}\nSubject: {one_line(a.subject)}\nAsked by: {one_line(a.requested_by) or '-'}")
    if a.comment:
        print(f"Returned: {one_line(a.comment)}")
    print()
    print(clean(a.body).rstrip())
    return EXIT_OK


def cmd_approve(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    done = approvals.approve(office, [_find(office, t) for t in args.ids])
    if args.json:
        emit_json({"approved": [a.as_dict() for a in done]})
        return EXIT_OK
    for a in done:
        then = "queued to send" if a.target_kind == "email" else "it may now be exported or sent"
        print(f"Approved {a.target_kind} {a.id[-8:]} ({one_line(a.subject)}): {then}")
    return EXIT_OK


def cmd_return(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    a = approvals.return_to_writer(office, _find(office, args.id), args.comment)
    return report(args, a.as_dict(),
                  f"Returned {a.target_kind} {a.id[-8:]} to its writer; the comment is on {a.case_ref or 'the record'}")


def cmd_request(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    a = approvals.request(office, args.kind, approvals.find_target(office, args.kind, args.id))
    return report(args, a.as_dict(), f"{a.target_kind.capitalize()} {a.target_id[-8:]}: {a.state_label}")


def cmd_rules(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    office = ctx.office()
    rules = approvals.list_rules(office)
    mail_all = approvals.every_email(office)
    if args.json:
        emit_json({"rules": [r.as_dict() for r in rules], "mail_approval": mail_all})
        return EXIT_OK
    print_table([{"id": r.id[-8:], "rule": one_line(r.description)} for r in rules], ["id", "rule"])
    if mail_all:
        print("(and every email: setting mail_approval is yes)")
    if not rules and not mail_all:
        print("No sign-off rules: nothing waits for approval unless its writer asks.")
    return EXIT_OK


def cmd_rule_add(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    r = approvals.add_rule(ctx.office(), args.kind, args.value, args.applies_to)
    return report(args, r.as_dict(),
                  f"Rule {r.id[-8:]}: {one_line(r.description)} need the MP's or a manager's approval")


def cmd_rule_remove(args, ctx) -> int:
    from mpoffice_tui.services import approvals

    r = approvals.remove_rule(ctx.office(), args.id)
    return report(args, {"removed": r.as_dict()}, f"Removed: {one_line(r.description)}")
