"""Casework commands: `cases` (list), `case` (show, note, set, new), `stats`, `reminders`.

    mpoffice cases [--status S] [--category C] [--assignee A|me|none] [--tag T] [--overdue]
                   [--awaiting-days N] [--open] [--search TEXT] [--view V] [--sort COL] [--asc] [--json]
    mpoffice case REF [--json]
    mpoffice case REF note TEXT [--confidential]
    mpoffice case REF set [--status S] [--outcome O] [--assignee A] [--review-date D] [--category C]
                          [--title T] [--priority P]
    mpoffice case REF letter TEMPLATE [--party NAME] [--docx PATH] [--pdf PATH] [--needs-approval] [--json]
    mpoffice case REF chase [--party NAME] [--json]   (a chase letter to a third party overdue a reply)
    mpoffice case REF replied [--party NAME] [--on DATE]  (a third party replied: it is no longer chased)
    mpoffice chases [--json]                          (third parties overdue a reply, across cases)
    mpoffice case new --constituent WHO --category C [--title T] [--forenames F --surname S --postcode P]
    (`mpoffice case new --help`, `mpoffice case REF set --help`...: the options of each action)
    mpoffice stats [--json | --csv [--bom]] [--months N]
    mpoffice reminders [--mine] [--json]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, UsageError, emit_json, print_table
from mpoffice_tui.text import clean as _clean

MAX_AWAITING_DAYS = 365  # working days (about 17 months): the cutoff is counted back day by day
_CASE_USAGE = ("mpoffice case REF [--json] | case REF note TEXT [--confidential] | "
               "case REF set [--status S] [--outcome O] [--assignee A] [--review-date D] [--category C] "
               "[--title T] [--priority P] | "
               "case REF letter TEMPLATE [--party NAME] [--docx PATH] [--pdf PATH] [--needs-approval] | "
               "case REF chase [--party NAME] | "
               "case REF replied [--party NAME] [--on DATE] | "
               "case REF reply [--to constituent|PARTY] (--template NAME | --body-file F) [--attach FILE] "
               "[--queue-only] | "
               "case new --constituent WHO --category C [--title T]. "
               "Each action has --help: mpoffice case new --help, mpoffice case REF set --help ...")


def _table(rows: list[dict], columns: list[str]) -> None:
    """print_table, with numbers (0 included) shown as numbers."""
    print_table([{k: (str(v) if isinstance(v, (int, float)) else v) for k, v in r.items()} for r in rows], columns)




def register(sub) -> None:
    p = sub.add_parser("cases", help="list cases (filters, saved views, search)")
    p.add_argument("--status", action="append", default=[], metavar="S",
                   help="new, open, awaiting_constituent, awaiting_third_party, closed (repeatable)")
    p.add_argument("--category", action="append", default=[], metavar="C", help="(repeatable)")
    p.add_argument("--assignee", action="append", default=[], metavar="A",
                   help="a staff name, 'me' or 'none' (repeatable)")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="(repeatable: all must match)")
    p.add_argument("--overdue", action="store_true", help="review date passed, case not closed")
    p.add_argument("--awaiting-days", type=int, metavar="N",
                   help=f"awaiting a third party for more than N working days (0 to {MAX_AWAITING_DAYS})")
    p.add_argument("--open", dest="open_only", action="store_true", help="only cases not closed")
    p.add_argument("--search", metavar="TEXT", help="words of the reference, title, tags or constituent")
    p.add_argument("--view", metavar="V", help="saved view: my_open, overdue, awaiting_agency, closed_this_month")
    p.add_argument("--sort", default="opened", metavar="COL",
                   help="ref, title, category, status, priority, assignee, constituent, opened, review, updated")
    p.add_argument("--asc", action="store_true", help="ascending order (default: descending)")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_cases)

    p = sub.add_parser("case", help="show a case, or: case REF note TEXT | set ... | letter TEMPLATE | chase | case new ...",
                       description=_CASE_USAGE)
    p.add_argument("--json", action="store_true")
    p.add_argument("words", nargs=argparse.REMAINDER, metavar="REF|new ...")
    p.set_defaults(handler=cmd_case)

    p = sub.add_parser("stats", help="casework statistics (by category, status, month; workload; time to close)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.add_argument("--bom", action="store_true", help="with --csv: start with a UTF-8 byte-order mark, so Excel "
                   "and LibreOffice read accents (Santé) right")
    p.add_argument("--months", type=int, default=12)
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("chases", help="third parties overdue a reply (UK working days), across open cases")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_chases)

    p = sub.add_parser("reminders", help="review dates and tasks due today or overdue")
    p.add_argument("--mine", action="store_true", help="only mine")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reminders)


# -- cases ----------------------------------------------------------------------------------------
def _staff_ids(office, names: list[str]) -> tuple[tuple[str, ...], bool]:
    from mpoffice_tui.services.cases import resolve_staff

    ids, unassigned = [], False
    for n in names:
        if n.casefold() == "none":
            unassigned = True
        elif n.casefold() == "me":
            ids.append(office.staff_id or "")
        else:
            ids.append(resolve_staff(office, n))
    return tuple(ids), unassigned


def cmd_cases(args, ctx) -> int:
    from dataclasses import replace

    from mpoffice_tui.services import cases as cs

    if args.sort not in cs.SORTS:
        raise UsageError(f"cannot sort by {args.sort!r}: choose one of {', '.join(cs.SORTS)}")
    for s in args.status:
        if s not in cs.STATUSES:
            raise UsageError(f"unknown status {s!r}: choose one of {', '.join(cs.STATUSES)}")
    if args.view and args.view not in cs.SAVED_VIEWS:
        raise UsageError(f"unknown view {args.view!r}: choose one of {', '.join(cs.SAVED_VIEWS)}")
    if args.limit < 1 or args.offset < 0:
        raise UsageError("--limit must be at least 1 and --offset at least 0")
    if args.awaiting_days is not None and not 0 <= args.awaiting_days <= MAX_AWAITING_DAYS:
        raise UsageError(f"--awaiting-days {args.awaiting_days}: give a number of working days from 0 to "
                         f"{MAX_AWAITING_DAYS}")
    office = ctx.office()
    base = cs.saved_view_filter(office, args.view) if args.view else cs.CaseFilter()
    ids, unassigned = _staff_ids(office, args.assignee)
    f = replace(base,
                statuses=tuple(args.status) or base.statuses,
                categories=tuple(args.category) or base.categories,
                assignee_ids=ids or base.assignee_ids,
                unassigned=unassigned or base.unassigned,
                tags=tuple(args.tag) or base.tags,
                overdue=args.overdue or base.overdue,
                awaiting_days=args.awaiting_days if args.awaiting_days is not None else base.awaiting_days,
                open_only=args.open_only or base.open_only,
                text=args.search or base.text)
    page = cs.list_cases(office, f, sort=args.sort, descending=not args.asc, offset=args.offset, limit=args.limit)
    if args.json:
        emit_json({"total": page.total, "offset": page.offset, "limit": page.limit, "sort": page.sort,
                   "descending": page.descending, "cases": [r.as_dict() for r in page.rows]})
        return EXIT_OK
    rows = [{"ref": r.ref, "status": r.status, "category": _clean(r.category), "title": _clean(r.title)[:50],
             "constituent": _clean(r.constituent), "assignee": _clean(r.assignee), "opened": r.opened_at[:10],
             "review": r.review_date} for r in page.rows]
    print_table(rows, ["ref", "status", "category", "title", "constituent", "assignee", "opened", "review"])
    shown = f"{page.offset + 1}-{page.offset + len(page.rows)}" if page.rows else "0"
    print(f"({shown} of {page.total} cases)")
    return EXIT_OK


# -- case -----------------------------------------------------------------------------------------
class _Done(Exception):
    """An action's parser ended the command (-h/--help printed its help): exit with `status`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An action's own options (after `case REF ACTION`): -h/--help prints them and exits 0."""

    def error(self, message):  # usage errors become UsageError (exit 2), not SystemExit
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status=0, message=None):  # after --help: end the command, not the process
        if message:
            print(message, end="", file=sys.stderr)
        raise _Done(status)


def _new_parser() -> _Parser:
    p = _Parser(prog="mpoffice case new", description="Open a case for an existing constituent (--constituent) "
                "or a new one (--forenames, --surname, --postcode, --email).")
    p.add_argument("--constituent", metavar="WHO", help="name, email or id of an existing constituent")
    p.add_argument("--forenames", help="a new constituent's forenames")
    p.add_argument("--surname", help="a new constituent's surname")
    p.add_argument("--postcode", help="a new constituent's postcode")
    p.add_argument("--email", help="a new constituent's email (or finds one by it)")
    p.add_argument("--category", required=True, help="e.g. Housing, Benefits, Immigration")
    p.add_argument("--title", help="default: 'CATEGORY enquiry'")
    p.add_argument("--assignee", help="a staff name")
    p.add_argument("--priority", default="normal", help="(default: normal)")
    p.add_argument("--tag", action="append", default=[], help="(repeatable)")
    p.add_argument("--review-date", help="DD/MM/YYYY, YYYY-MM-DD, +14 (days) or +2w; default: the office's review_days setting")
    p.add_argument("--json", action="store_true")
    return p


def _note_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF note", description="Add a note to the case's timeline.")
    p.add_argument("text", nargs="+", help="the note (the words are joined with spaces)")
    p.add_argument("--confidential", action="store_true", help="not shown to volunteers")
    p.add_argument("--json", action="store_true")
    return p


def _set_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF set", description="Change the case's status, assignee, review date, "
                "category, title or priority.")
    p.add_argument("--status", help="new, open, awaiting_constituent, awaiting_third_party, closed")
    p.add_argument("--outcome", help="why it closed, e.g. Resolved (needed with --status closed)")
    p.add_argument("--assignee", help="a staff name, or 'none'")
    p.add_argument("--review-date", help="DD/MM/YYYY, YYYY-MM-DD, +14 (days) or +2w, or 'none' to clear")
    p.add_argument("--category", help="e.g. Housing, Benefits, Immigration")
    p.add_argument("--title", help="the case's title")
    p.add_argument("--priority", help="low, normal, high or urgent")
    p.add_argument("--json", action="store_true")
    return p


def _chase_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF chase", description="Write a chase letter to a third party on the case "
                "that is overdue a reply.")
    p.add_argument("--party", metavar="NAME", help="which third party (words of its organisation)")
    p.add_argument("--json", action="store_true")
    return p


def _replied_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF replied", description="Record that a third party on the case replied "
                "(a call, a letter): it is no longer awaited or chased.")
    p.add_argument("--party", metavar="NAME", help="which third party (words of its organisation)")
    p.add_argument("--on", metavar="DATE", help="the day it replied (default today)")
    p.add_argument("--json", action="store_true")
    return p


def _letter_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF letter", description="Write a letter on the case from a template "
                "(mpoffice templates lists them), or export one written before (--letter ID).")
    p.add_argument("template", nargs="*", help="the template's name (or words of it)")
    p.add_argument("--letter", metavar="ID", help="a letter already on the case (its id or the end of it; `latest` "
                   "for the newest): export it with --pdf/--docx instead of writing a new one")
    p.add_argument("--party", metavar="NAME", help="to this third party on the case (words of its organisation); "
                   "default: the constituent")
    p.add_argument("--docx", metavar="PATH", help="also save the letter as .docx (a plaintext file); PATH may be "
                   "a folder: the file is then named for the case, the day and the recipient")
    p.add_argument("--pdf", metavar="PATH", help="also save the letter on the office's letterhead as PDF (a "
                   "plaintext file); PATH may be a folder")
    p.add_argument("--needs-approval", action="store_true", help="ask for the MP's or a manager's sign-off "
                   "before it can be exported or sent")
    p.add_argument("--json", action="store_true")
    return p


def _reply_parser() -> _Parser:
    p = _Parser(prog="mpoffice case REF reply", description="Email the constituent or a third party on the "
                "case, from a template or your own text; it is queued and, on the mail machine, sent at once.")
    p.add_argument("--to", default="constituent", metavar="constituent|PARTY",
                   help="the constituent (default) or a party on the case (words of its name or role)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--template", metavar="NAME", help="a reply template (mpoffice templates lists them)")
    g.add_argument("--body-file", metavar="F", help="the text, from a file (merge fields such as {salutation} work)")
    p.add_argument("--subject", help="the subject (default: Re: their last message, or the case title)")
    p.add_argument("--attach", action="append", default=[], metavar="FILE",
                   help="a file to attach: a path, or the name of a file on the case (repeatable)")
    p.add_argument("--attach-letter", action="append", default=[], metavar="ID|latest",
                   help="a letter written on the case, attached as a Word document (repeatable)")
    p.add_argument("--queue-only", action="store_true", help="queue it; do not send now")
    p.add_argument("--needs-approval", action="store_true", help="ask for the MP's or a manager's sign-off first")
    p.add_argument("--draft", action="store_true", help="keep it as a draft (not queued)")
    p.add_argument("--json", action="store_true")
    return p


def cmd_case(args, ctx) -> int:
    words = list(args.words)
    if "--json" in words:
        words.remove("--json")
        args.json = True
    if not words:
        raise UsageError("say which case: mpoffice case REF [note TEXT | set ... | letter TEMPLATE], "
                         "or mpoffice case new ...")
    try:
        return _case_action(words, args, ctx)
    except _Done as done:
        return done.status


def _case_action(words: list[str], args, ctx) -> int:
    if words[0] in ("-h", "--help") or (words[0] != "new" and words[1:2] in (["-h"], ["--help"])):
        import textwrap

        print(textwrap.fill(f"usage: {_CASE_USAGE}", width=100, subsequent_indent="  "))
        return EXIT_OK
    if words[0] == "new":
        return _case_new(_new_parser().parse_args(words[1:]), args.json, ctx)
    ref, rest = words[0], words[1:]
    if not rest:
        return _case_show(ref, args.json, ctx)
    action, rest = rest[0], rest[1:]
    if action == "note":
        return _case_note(ref, _note_parser().parse_args(rest), args.json, ctx)
    if action == "set":
        return _case_set(ref, _set_parser().parse_args(rest), args.json, ctx)
    if action == "chase":
        return _case_chase(ref, _chase_parser().parse_args(rest), args.json, ctx)
    if action == "letter":
        return _case_letter(ref, _letter_parser().parse_args(rest), args.json, ctx)
    if action == "replied":
        return _case_replied(ref, _replied_parser().parse_args(rest), args.json, ctx)
    if action == "reply":
        return _case_reply(ref, _reply_parser().parse_args(rest), args.json, ctx)
    raise UsageError(f"unknown case action {action!r}: use note, set, letter, chase, replied or reply")


def _case_show(ref: str, as_json: bool, ctx) -> int:
    from mpoffice_tui.services import audit
    from mpoffice_tui.services import cases as cs

    office = ctx.office()
    detail = cs.get_case(office, ref)
    audit.record_view(office, "case", detail.case.id)  # reading a case is a use of the data (who looked)
    if as_json:
        emit_json(detail.as_dict())
        return EXIT_OK
    c = detail.case
    print(f"{c.ref}  {_clean(c.title)}")
    print(f"  status    {c.status_label}" + (f" ({_clean(c.outcome)})" if c.outcome else ""))
    print(f"  category  {_clean(c.category)}   priority {c.priority}")
    print(f"  assignee  {_clean(c.assignee) or '-'}   review {c.review_date or '-'}   opened {c.opened_at[:10]}")
    if c.tags:
        print(f"  tags      {', '.join(c.tags)}")
    if detail.constituent:
        p = detail.constituent
        print(f"  constituent {_clean(p.name)}  {_clean(p.postcode or '')}  {_clean(p.email or '')}")
        for flag in p.flags:
            print(f"  !! {_clean(flag)}")
    for party in detail.parties:
        due = f", reply due {party.reply_due}" if party.reply_due and not party.replied_on else ""
        print(f"  party     {_clean(party.name)} ({_clean(party.role)}{due})")
    print()
    for item in detail.timeline:
        who = f" [{_clean(item.author)}]" if item.author else ""
        print(f"{item.at[:16].replace('T', ' ')}  {item.kind:<10} {_clean(item.title)}{who}")
        if item.redacted:
            print("    (confidential: not shown to volunteers)")
        elif item.body:
            for line in _clean_lines(item.body):
                print(f"    {line}")
    return EXIT_OK


def _clean_lines(body: str) -> list[str]:
    return [_clean(line) for line in body.strip().splitlines()]


def _case_note(ref: str, a, as_json: bool, ctx) -> int:
    from mpoffice_tui.services import cases as cs

    office = ctx.office()
    note_id = cs.add_note(office, ref, " ".join(a.text), confidential=a.confidential)
    if as_json or a.json:
        emit_json({"case": cs.case_row(office, ref).ref, "note_id": note_id, "confidential": a.confidential})
    else:
        print(f"Note added to {cs.case_row(office, ref).ref}" + (" (confidential)." if a.confidential else "."))
    return EXIT_OK


def _case_set(ref: str, a, as_json: bool, ctx) -> int:
    from mpoffice_tui.services import cases as cs

    if not any([a.status, a.outcome, a.assignee, a.review_date, a.category, a.title, a.priority]):
        raise UsageError("nothing to set: give --status, --outcome, --assignee, --review-date, --category, --title "
                         "or --priority")
    if a.priority and a.priority not in cs.PRIORITIES:
        raise UsageError(f"unknown priority {a.priority!r}: choose one of {', '.join(cs.PRIORITIES)}")
    if a.status and a.status not in cs.STATUSES:
        raise UsageError(f"unknown status {a.status!r}: choose one of {', '.join(cs.STATUSES)}")
    if a.status == "closed" and not a.outcome:
        raise UsageError("closing a case needs --outcome (e.g. Resolved)")
    office = ctx.office()
    row = cs.case_row(office, ref)
    if a.outcome and not a.status and row.status != "closed":
        raise UsageError("--outcome goes with --status closed")
    if a.status or a.outcome:
        row = cs.change_status(office, ref, a.status or row.status, outcome=a.outcome)
    if a.assignee:
        row = cs.assign(office, ref, None if a.assignee.casefold() == "none" else a.assignee)
    if a.review_date:
        row = cs.set_review_date(office, ref, None if a.review_date.casefold() == "none" else a.review_date)
    if a.category:
        row = cs.set_category(office, ref, a.category)
    if a.title:
        row = cs.set_title(office, ref, a.title)
    if a.priority:
        row = cs.set_priority(office, ref, a.priority)
    if as_json or a.json:
        emit_json(row.as_dict())
    else:
        print(f"{row.ref}: {row.status_label}" + (f" ({row.outcome})" if row.outcome else "")
              + f", assignee {row.assignee or '-'}, review {row.review_date or '-'}, category {_clean(row.category)}"
              + f", priority {row.priority}")
    return EXIT_OK


def _case_new(a, as_json: bool, ctx) -> int:
    from mpoffice_tui.services import cases as cs
    from mpoffice_tui.services import constituents as people

    if not a.constituent and not (a.forenames or a.surname):
        raise UsageError("say who the case is for: --constituent NAME|EMAIL, or --forenames/--surname/--postcode")
    office = ctx.office()
    person, created = people.find_or_create(office, a.constituent or a.email, forenames=a.forenames,
                                            surname=a.surname, postcode=a.postcode, email=a.email)
    title = a.title or f"{a.category} enquiry"
    row = cs.create_case(office, constituent_id=person.id, title=title, category=a.category,
                         assignee=a.assignee, priority=a.priority, tags=a.tag, review_date=a.review_date)
    if as_json or a.json:
        emit_json({**row.as_dict(), "constituent_created": created})
    else:
        print(f"Opened {row.ref} for {_clean(person.name)}" + (" (new constituent)" if created else "")
              + f": {_clean(row.title)}")
    return EXIT_OK


# -- chasing --------------------------------------------------------------------------------------
def _chase_dict(i) -> dict:
    return {"party_id": i.party_id, "case_ref": i.case_ref, "organisation": i.organisation,
            "contacted_on": i.contacted_on, "reply_due": i.reply_due, "working_days_late": i.working_days_late}


def _case_chase(ref: str, a, as_json: bool, ctx) -> int:
    """Write a chase letter to one of the case's third parties overdue a reply."""
    from mpoffice_tui.services import letters
    from mpoffice_tui.services.cases import find_case_id

    office = ctx.office()
    case_id = find_case_id(office, ref)
    due = letters.chase_due(office, case_id=case_id)
    if a.party:
        due = [i for i in due if a.party.casefold() in i.organisation.casefold()]
    if not due:
        raise UsageError(f"{ref}: no third party" + (f" matching {a.party!r}" if a.party else "")
                         + " is overdue a reply")
    if len(due) > 1:
        names = "; ".join(_clean(i.organisation) for i in due)
        raise UsageError(f"{ref}: several third parties are overdue a reply ({names}): choose one with --party")
    letter = letters.write_chase_letter(office, due[0].party_id)
    if as_json or a.json:
        emit_json({"chased": _chase_dict(due[0]), "letter_id": letter.id, "case_ref": letter.case_ref,
                   "recipient": letter.recipient_name, "subject": letter.subject, "body": letter.body_text})
    else:
        print(f"Chase letter to {_clean(letter.recipient_name)} saved on {letter.case_ref} "
              f"({due[0].working_days_late} working days late)")
    return EXIT_OK


def _case_replied(ref: str, a, as_json: bool, ctx) -> int:
    """Record a third party's reply by hand (the one awaited, or the one named with --party)."""
    from mpoffice_tui.services import cases as cs

    office = ctx.office()
    awaited = [p for p in cs.get_case(office, ref).parties if p.contact_id and p.contacted_on and not p.replied_on]
    if a.party:
        awaited = [p for p in awaited if a.party.casefold() in p.name.casefold()]
    if len(awaited) != 1:
        what = f" matching {a.party!r}" if a.party else ""
        if not awaited:
            raise UsageError(f"{ref}: no third party{what} is awaiting a reply")
        names = "; ".join(_clean(p.name) for p in awaited)
        raise UsageError(f"{ref}: several third parties are awaiting a reply ({names}): choose one with --party")
    party = awaited[0]
    cs.mark_party_replied(office, party.id, a.on)
    [after] = [p for p in cs.get_case(office, ref).parties if p.id == party.id]
    if as_json or a.json:
        emit_json({"case_ref": ref.upper(), "party_id": party.id, "organisation": party.name,
                   "replied_on": after.replied_on})
    else:
        print(f"Reply from {_clean(party.name)} on {ref.upper()} recorded ({after.replied_on}): no longer chased")
    return EXIT_OK


def _case_letter(ref: str, a, as_json: bool, ctx) -> int:
    """Write a letter from a template on the case (it goes on the timeline); optionally save the .docx."""
    from mpoffice_tui.services import cases as cs
    from mpoffice_tui.services import letters

    office = ctx.office()
    contact = None
    if a.party:
        parties = [p for p in cs.get_case(office, ref).parties
                   if p.contact_id and a.party.casefold() in p.name.casefold()]
        if len(parties) != 1:
            raise UsageError(f"{ref}: {'no' if not parties else 'more than one'} third party with a contact "
                             f"matches {a.party!r}")
        contact = parties[0].contact_id
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import approvals, letter_pdf

    if bool(a.template) == bool(a.letter):
        raise UsageError("say which template to write from, or --letter ID to export a letter already written")
    if a.letter:
        mine = [i for i in cs.get_case(office, ref).timeline if i.kind == "letter"]
        pick = mine[-1:] if a.letter == "latest" else [i for i in mine if i.id == a.letter or i.id.endswith(a.letter)]
        if len(pick) != 1 or not (a.pdf or a.docx):
            raise UsageError(f"{a.letter}: no such letter on {ref}" if len(pick) != 1 else "say where: --pdf FILE or "
                             "--docx FILE")
        letter = letters.get_letter(office, pick[0].id)
    else:
        letter = letters.write_letter(office, ref, " ".join(a.template), recipient_contact_id=contact,
                                      needs_approval=a.needs_approval)
    waiting = approvals.for_target(office, "letter", letter.id)
    saved, pdf, refused = None, None, None
    try:  # the letter is on the case either way; a file only once it has been signed off (if it must be)
        saved = letters.save_docx(office, letter.id, a.docx) if a.docx else None
        pdf = letter_pdf.save_pdf(office, letter.id, a.pdf) if a.pdf else None
    except OfficeError as exc:
        refused = str(exc)
    if as_json or a.json:
        emit_json({"letter_id": letter.id, "case_ref": letter.case_ref, "recipient": letter.recipient_name,
                   "subject": letter.subject, "body": letter.body_text, "docx": str(saved) if saved else None,
                   "pdf": str(pdf) if pdf else None, "unknown_fields": list(letter.unknown_fields),
                   "approval": waiting.as_dict() if waiting else None, "refused": refused})
    else:
        written = [f"{kind} written to {path}" for kind, path in ((".docx", saved), ("PDF", pdf)) if path]
        print(f"Letter to {_clean(letter.recipient_name)} {'on' if a.letter else 'saved on'} {letter.case_ref}"
              + (f"; {' and '.join(written)} (a plaintext file: keep it safe)" if written else ""))
        if waiting and waiting.state == "pending":
            print(f"  waiting for approval by the MP or a manager ({_clean(waiting.reason)}): "
                  f"mpoffice approvals approve {waiting.id[-8:]}")
        if letter.unknown_fields:
            print(f"  unknown merge fields left as typed: {', '.join(letter.unknown_fields)}")
    if refused:
        print(f"mpoffice: {refused}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _case_reply(ref: str, a, as_json: bool, ctx) -> int:
    """Email from the case: queued (or a draft), then sent at once when this is the mail machine."""
    from pathlib import Path

    from mpoffice_tui.files import MiB, read_regular, regular_problem
    from mpoffice_tui.services import cases as cs
    from mpoffice_tui.services import mail_accounts, mail_send, outbox, replies

    office = ctx.office()
    body = None
    if a.body_file:
        body = read_regular(a.body_file, MiB(1), "text file").decode("utf-8", errors="replace")
    detail = cs.get_case(office, ref)
    files, on_case = [], []
    for item in a.attach:
        if Path(item).exists():
            problem = regular_problem(item)
            if problem:
                raise UsageError(f"{item}: {problem}")
            files.append((Path(item).name, read_regular(item, MiB(25), "attachment")))
            continue
        found = [x for x in detail.attachments if x.filename.casefold() == item.casefold()]
        if not found:
            raise UsageError(f"{item}: no such file, and no file of that name on {detail.case.ref}")
        on_case.append(found[-1].id)
    letters_ = []
    for lid in a.attach_letter:
        mine = [i for i in detail.timeline if i.kind == "letter"]
        pick = mine[-1:] if lid == "latest" else [i for i in mine if i.id == lid or i.id.endswith(lid)]
        if len(pick) != 1:
            raise UsageError(f"{lid}: no such letter on {detail.case.ref}")
        letters_.append(pick[0].id)
    done = replies.reply_on_case(office, ref, to=a.to, template=a.template, body=body, subject=a.subject,
                                 files=files, case_attachments=on_case, letter_ids=letters_, queue=not a.draft,
                                 needs_approval=a.needs_approval)
    sent_report = None
    if done.state == "queued" and not a.queue_only and mail_accounts.accounts_here(office):
        sent_report = mail_send.send_queued(office)
    final = outbox.get(office, done.id)
    if as_json or a.json:
        emit_json({"id": final.id, "case_ref": done.case_ref, "to": final.to, "subject": final.subject,
                   "state": final.state, "reason": final.reason, "attachments": list(final.attachments),
                   "problems": sent_report.problems if sent_report else []})
    else:
        print(f"Email to {_clean(final.to)} on {done.case_ref}: {final.state_label}"
              + (f" ({_clean(final.reason)})" if final.reason else ""))
    if sent_report and sent_report.problems:
        for line in sent_report.problems:
            print(f"mpoffice: {line}", file=sys.stderr)
    return EXIT_FAILED if final.state == "failed" else EXIT_OK


def cmd_chases(args, ctx) -> int:
    from mpoffice_tui.services import letters

    due = letters.chase_due(ctx.office())
    if args.json:
        emit_json({"chases": [_chase_dict(i) for i in due]})
        return EXIT_OK
    _table([{**_chase_dict(i), "organisation": _clean(i.organisation)} for i in due],
           ["case_ref", "organisation", "contacted_on", "reply_due", "working_days_late"])
    print(f"({len(due)} third parties overdue a reply)")
    return EXIT_OK


# -- stats, reminders -----------------------------------------------------------------------------
def cmd_stats(args, ctx) -> int:
    from mpoffice_tui.services import stats

    if args.months < 1 or args.months > 240:
        raise UsageError("--months must be between 1 and 240")
    if args.bom and not args.csv:
        raise UsageError("--bom goes with --csv")
    st = stats.office_stats(ctx.office(), months=args.months)
    if args.json:
        emit_json(st.as_dict())
        return EXIT_OK
    if args.csv:  # bytes, so the file is UTF-8 whatever the console's own encoding
        sys.stdout.flush()
        sys.stdout.buffer.write(stats.csv_bytes(stats.stats_csv(st), bom=args.bom))
        sys.stdout.buffer.flush()
        return EXIT_OK
    print(f"{st.total} cases, {st.open} open (as of {st.today})\n")
    _table([{"status": c.key, "cases": c.count} for c in st.by_status], ["status", "cases"])
    print()
    _table([{"category": _clean(c.key), "cases": c.count} for c in st.by_category], ["category", "cases"])
    print()
    _table([m.__dict__ for m in st.by_month], ["month", "opened", "closed"])
    print()
    _table([{**w.__dict__, "staff": _clean(w.staff)} for w in st.workload],
                ["staff", "open_cases", "overdue_reviews", "open_tasks", "closed_last_30_days"])
    print()
    _table([{**t.__dict__, "category": _clean(t.category)} for t in st.time_to_close],
                ["category", "closed", "median_days", "mean_days"])
    return EXIT_OK


def cmd_reminders(args, ctx) -> int:
    from mpoffice_tui.services import reminders

    office = ctx.office()
    r = reminders.due(office, assignee_id=office.staff_id if args.mine else None)
    items = [*r.overdue, *r.due_today]
    day = date.fromisoformat(r.today)
    sars = [{"id": v.id, "person": v.person, "received_on": v.received_on, "due": v.effective_due,
             "overdue": v.overdue(day), "requested_by": v.requested_by} for v in r.requests]
    if args.json:
        emit_json({"today": r.today, "overdue": [i.__dict__ for i in r.overdue],
                   "due_today": [i.__dict__ for i in r.due_today], "subject_access_requests": sars})
        return EXIT_OK
    _table([{"due": i.due, "when": "OVERDUE" if i.overdue else "today", "case": i.case_ref,
                  "what": _clean(i.title), "assignee": _clean(i.assignee)} for i in items]
           + [{"due": s["due"], "when": "OVERDUE" if s["overdue"] else "soon", "case": "SAR",
               "what": _clean(f"Subject access request: {s['person']}"), "assignee": ""} for s in sars],
                ["due", "when", "case", "what", "assignee"])
    print(f"({len(r.overdue)} overdue, {len(r.due_today)} due today"
          + (f", {len(sars)} subject access request{'s' if len(sars) != 1 else ''} due" if sars else "") + ")")
    return EXIT_OK
