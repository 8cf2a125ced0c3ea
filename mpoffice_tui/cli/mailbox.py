"""`mpoffice mail ...`: the office's mail accounts, fetching, sending and the outbox.

    mpoffice mail account add NAME --imap-host H [--imap-port P] --smtp-host H [--smtp-port P] --user U
                                   --password-file F [--security ssl|starttls] [--trust-fingerprint SHA256]
    mpoffice mail account add NAME --microsoft365 --user U [--client-id ID] [--mailbox ADDRESS]
    mpoffice mail account list|remove NAME|move NAME --to CODE|here [--force]|signin NAME
    mpoffice mail fetch [NAME] | send | status | outbox [--state S] | queue|approve|retry|discard ID...

Errors talking to a server are one line naming the account and the cause (exit 1); no secret is printed.
"""

from __future__ import annotations

import sys
import threading

from mpoffice_tui.cli.context import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    emit_json,
    print_table,
    read_secret_file,
    report,
)
from mpoffice_tui.cli.mail import _Bar


def register(sub) -> None:
    p = sub.add_parser("mail", help="the office's mailbox: accounts, fetch, send, status, outbox")
    acts = p.add_subparsers(dest="mail_command", metavar="ACTION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)  # `mpoffice mail` on its own: how mail stands

    acc = acts.add_parser("account", help="add, list, remove or move a mail account")
    accs = acc.add_subparsers(dest="account_command", metavar="ACTION")
    acc.add_argument("--json", action="store_true")
    acc.set_defaults(handler=cmd_account_list)  # `mpoffice mail account` on its own: the list
    a = accs.add_parser("add", help="add an IMAP + SMTP account, or a Microsoft 365 mailbox")
    a.add_argument("name")
    a.add_argument("--microsoft365", action="store_true", help="a Microsoft 365 mailbox (signs in with a code)")
    a.add_argument("--user", required=True, help="the login (Microsoft 365: the person who signs in)")
    a.add_argument("--mailbox", help="Microsoft 365: a shared mailbox's address (default: the user's own)")
    a.add_argument("--client-id", help="Microsoft 365: the office's app registration (or MPOFFICE_MS_CLIENT_ID)")
    a.add_argument("--tenant", default="organizations", help="Microsoft 365: the tenant (default: organizations)")
    a.add_argument("--imap-host")
    a.add_argument("--imap-port", type=int)
    a.add_argument("--smtp-host")
    a.add_argument("--smtp-port", type=int)
    a.add_argument("--password-file", help="a file whose first line is the password or app password")
    a.add_argument("--security", choices=("ssl", "starttls"), default="ssl",
                   help="ssl: TLS from the start (IMAP 993, SMTP 465); starttls: IMAP 143, SMTP 587")
    a.add_argument("--smtp-security", choices=("ssl", "starttls"), help="when SMTP differs from IMAP")
    a.add_argument("--trust-fingerprint", metavar="SHA256",
                   help="trust this self-signed certificate (its SHA-256 fingerprint) on purpose")
    a.add_argument("--address", help="the From address (default: the user)")
    a.add_argument("--display-name", default="", help="the From name (default: the MP's name)")
    a.add_argument("--folder", action="append", default=[], help="a folder to fetch besides INBOX (repeatable)")
    a.add_argument("--no-check", action="store_true", help="do not connect to check it (offline now)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_account_add)
    x = accs.add_parser("list", help="the office's mail accounts")
    x.add_argument("--json", action="store_true")
    x.set_defaults(handler=cmd_account_list)
    x = accs.add_parser("remove", help="remove an account (mail already fetched stays)")
    x.add_argument("name")
    x.add_argument("--json", action="store_true")
    x.set_defaults(handler=cmd_account_remove)
    x = accs.add_parser("move", help="make another machine the account's mail machine (it fetches and sends)")
    x.add_argument("name")
    x.add_argument("--to", required=True, metavar="CODE|here", help="a machine's code (see sync status), or here")
    x.add_argument("--force", action="store_true", help="take the role from a machine that is lost")
    x.add_argument("--json", action="store_true")
    x.set_defaults(handler=cmd_account_move)
    x = accs.add_parser("signin", help="sign in to a Microsoft 365 account again")
    x.add_argument("name")
    x.add_argument("--json", action="store_true")
    x.set_defaults(handler=cmd_account_signin)

    f = acts.add_parser("fetch", help="fetch new mail now (from this machine's accounts)")
    f.add_argument("name", nargs="?")
    f.add_argument("--json", action="store_true")
    f.set_defaults(handler=cmd_fetch)
    s = acts.add_parser("send", help="send what is queued now")
    s.add_argument("name", nargs="?")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_send)
    st = acts.add_parser("status", help="per account: mail machine, last fetch, queued, failed")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=cmd_status)
    o = acts.add_parser("outbox", help="outgoing mail and its state")
    o.add_argument("--state", action="append", default=[], help="draft, awaiting_approval, queued, sending, "
                   "sent, failed (repeatable)")
    o.add_argument("--limit", type=int, default=50)
    o.add_argument("--json", action="store_true")
    o.set_defaults(handler=cmd_outbox)
    k = acts.add_parser("acknowledge", help="acknowledge every sender of a campaign: queued, paced to the "
                        "account's rate, each with its own state (mail outbox)")
    k.add_argument("campaign", help="the campaign's id or name (words of it)")
    k.add_argument("--template", help="an acknowledgement template (default: the office's, else built in)")
    k.add_argument("--draft", action="store_true", help="draft them only (not queued)")
    k.add_argument("--post", metavar="FILE.pdf", help="by post instead: one PDF of letters on the letterhead, one "
                   "per sender the office has a postal address for (no emails are drafted)")
    k.add_argument("--json", action="store_true")
    k.set_defaults(handler=cmd_acknowledge)
    for name, helptext in (("queue", "queue drafts (or failed mail) to be sent"),
                           ("approve", "approve mail waiting for sign-off (MP or manager)"),
                           ("retry", "try failed mail again"),
                           ("unqueue", "take mail that has not started sending back to draft"),
                           ("discard", "throw away mail that has not been sent")):
        q = acts.add_parser(name, help=helptext)
        q.add_argument("ids", nargs="+", metavar="ID")
        q.add_argument("--json", action="store_true")
        q.set_defaults(handler=cmd_move, action=name)


def cmd_account_add(args, ctx) -> int:
    from mpoffice_tui.services import mail_accounts as ma

    office = ctx.office()
    if args.microsoft365:
        return _add_microsoft(args, office)
    missing = [n for n in ("imap_host", "smtp_host", "password_file") if not getattr(args, n)]
    if missing:
        raise UsageError("an IMAP account needs " + ", ".join("--" + m.replace("_", "-") for m in missing))
    password = read_secret_file(args.password_file)
    check = None if args.no_check else ma.check_servers
    view = ma.add_imap(office, args.name, user=args.user, password=password, imap_host=args.imap_host,
                       imap_port=args.imap_port, smtp_host=args.smtp_host, smtp_port=args.smtp_port,
                       security=args.security, smtp_security=args.smtp_security, address=args.address,
                       display_name=args.display_name, trust_fingerprint=args.trust_fingerprint,
                       folders=args.folder, check=check)
    return _show_added(view, args.json)


def _show_added(view, as_json: bool) -> int:
    if as_json:
        emit_json(view.__dict__)
    else:
        print(f"mail account {view.name} added: {view.address}, IMAP {view.imap}, SMTP {view.smtp}; "
              f"this machine fetches and sends for it")
    return EXIT_OK


def _add_microsoft(args, office) -> int:
    from mpoffice_tui.mailbox import microsoft
    from mpoffice_tui.services import mail_accounts as ma

    client_id = args.client_id or microsoft.client_id_for(None)
    if not client_id:
        raise UsageError(microsoft.NO_CLIENT_ID.replace("in the office's Microsoft 365 settings", "with --client-id"))
    sign_in = microsoft.MicrosoftSignIn(args.name, client_id=client_id, tenant=args.tenant)
    code = sign_in.start()
    print(code.message, file=sys.stderr)  # "To sign in, use a web browser to open ... and enter the code ..."
    who = sign_in.finish(code, threading.Event())
    view = ma.add_microsoft(office, args.name, user=args.mailbox or args.user, cache=sign_in.cache() or "",
                            client_id=client_id, tenant=args.tenant, address=args.address,
                            display_name=args.display_name, folders=args.folder)
    print(f"signed in as {who}", file=sys.stderr)
    return _show_added(view, args.json)


def cmd_account_signin(args, ctx) -> int:
    from mpoffice_tui.mailbox import microsoft
    from mpoffice_tui.services import mail_accounts as ma

    office = ctx.office()
    a = ma.account(office, args.name)
    if a.kind != "microsoft365":
        raise UsageError(f"mail account {a.name!r} signs in with a password: add it again to change it")
    sign_in = microsoft.MicrosoftSignIn(a.name, client_id=a.client_id, tenant=a.tenant or "organizations")
    code = sign_in.start()
    print(code.message, file=sys.stderr)
    who = sign_in.finish(code, threading.Event())
    ma.save_secret(office, a.id, sign_in.cache() or "")
    return report(args, {"account": a.name, "signed_in_as": who}, f"mail account {a.name}: signed in as {who}")


def cmd_account_list(args, ctx) -> int:
    from mpoffice_tui.services import mail_accounts as ma

    views = ma.list_accounts(ctx.office())
    if args.json:
        emit_json([v.__dict__ for v in views])
        return EXIT_OK
    if not views:
        print("no mail account (add one: mpoffice mail account add NAME ...)")
    print_table([{"name": v.name, "kind": v.kind, "address": v.address, "imap": v.imap, "smtp": v.smtp,
                  "folders": ",".join(v.folders), "mail machine": v.mail_machine} for v in views],
                ["name", "kind", "address", "imap", "smtp", "folders", "mail machine"])
    return EXIT_OK


def cmd_account_remove(args, ctx) -> int:
    from mpoffice_tui.services import mail_accounts as ma

    view = ma.remove(ctx.office(), args.name)
    return report(args, view.__dict__, f"mail account {view.name} removed (mail already fetched stays)")


def cmd_account_move(args, ctx) -> int:
    from mpoffice_tui.services import mail_accounts as ma

    view = ma.move(ctx.office(), args.name, args.to, force=args.force)
    return report(args, view.__dict__, f"mail account {view.name}: mail machine is now {view.mail_machine}")


def cmd_fetch(args, ctx) -> int:
    from mpoffice_tui.services import mail_fetch

    office = ctx.office()
    bar = _Bar("fetching mail")
    try:
        report = mail_fetch.fetch(office, args.name, progress=bar)
    finally:
        bar.close()
    if args.json:
        emit_json(report.as_dict())
    else:
        print(f"fetched {report.fetched}, already here {report.duplicates}, unreadable {report.rejected} "
              f"(auto-filed {report.auto_filed}, suggested {report.suggested}, campaign {report.campaign})")
        for line in report.notices:
            print(line)
    for line in report.problems:
        print(f"mpoffice: {line}", file=sys.stderr)
    return EXIT_FAILED if report.problems else EXIT_OK


def cmd_send(args, ctx) -> int:
    from mpoffice_tui.services import mail_send

    bar = _Bar("sending")
    try:
        report = mail_send.send_queued(ctx.office(), args.name, progress=bar)
    finally:
        bar.close()
    if args.json:
        emit_json(report.as_dict())
    else:
        print(f"sent {report.sent}" + (f", found already sent {report.found_in_sent}" if report.found_in_sent else "")
              + f", failed {report.failed}, to try again later {report.retry_later}")
    for line in report.problems:
        print(f"mpoffice: {line}", file=sys.stderr)
    return EXIT_FAILED if report.problems or report.failed else EXIT_OK


def cmd_status(args, ctx) -> int:
    from mpoffice_tui.services import mail_status

    office = ctx.office()
    rows = mail_status.status(office)
    if args.json:
        emit_json({"summary": mail_status.header_line(office), "accounts": [r.as_dict() for r in rows]})
        return EXIT_OK
    print(mail_status.header_line(office) or "no mail account")
    print_table([{"name": r.name, "mail machine": r.mail_machine,
                  "online": {True: "yes", False: "no", None: "-"}[r.online],
                  "last fetch": (r.last_fetch or "-")[:16].replace("T", " "), "queued": str(r.queued),
                  "approval": str(r.awaiting_approval), "failed": str(r.failed), "problem": (r.problem or "")[:60]}
                 for r in rows], ["name", "mail machine", "online", "last fetch", "queued", "approval", "failed",
                                  "problem"])
    return EXIT_OK


def cmd_outbox(args, ctx) -> int:
    from mpoffice_tui.services import outbox
    from mpoffice_tui.text import clean

    bad = [s for s in args.state if s not in outbox.STATES]
    if bad:
        raise UsageError(f"unknown state {bad[0]!r}: choose from {', '.join(outbox.STATES)}")
    rows = outbox.list_outgoing(ctx.office(), tuple(args.state) or None, limit=args.limit)
    if args.json:
        emit_json([r.__dict__ for r in rows])
        return EXIT_OK
    if not rows:
        print("the outbox is empty")
    print_table([{"id": r.id[-8:], "state": r.state_label, "to": clean(r.to)[:30], "subject": clean(r.subject)[:40],
                  "case": r.case_ref or "", "reason": clean(r.reason or "")[:50]} for r in rows],
                ["id", "state", "to", "subject", "case", "reason"])
    return EXIT_OK


def cmd_acknowledge(args, ctx) -> int:
    from mpoffice_tui.services import outbox, replies
    from mpoffice_tui.services.campaigns import find_campaign

    office = ctx.office()
    cid, name = find_campaign(office, args.campaign)
    if args.post:
        from mpoffice_tui.services import letter_pdf

        post = letter_pdf.save_campaign_post(office, cid, args.post, args.template)
        if args.json:
            emit_json({"pdf": args.post, "letters": post.letters, "without_address": post.without_address,
                       "left_out": post.left_out})
        else:
            print(f"{post.letters} letter(s) for {name!r} written to {args.post} (a plaintext file: keep it "
                  f"safe); {post.without_address} sender(s) without a postal address, {post.left_out} flagged left out")
        return EXIT_OK
    drafts = replies.draft_campaign_acknowledgements(office, cid, args.template, send=not args.draft)
    states = [outbox.get(office, d.id) for d in drafts]
    return report(
        args, [s.__dict__ for s in states],
        f"{len(states)} acknowledgement(s) {'drafted' if args.draft else 'queued'} for "
              f"{name!r}" + ("" if args.draft else " (paced; `mpoffice mail outbox` shows each one)"))


def cmd_move(args, ctx) -> int:
    from mpoffice_tui.services import outbox

    office = ctx.office()
    ids = [outbox.find(office, t) for t in args.ids]
    if args.action in ("queue", "retry"):
        done = outbox.queue(office, ids)
    elif args.action == "approve":
        done = outbox.approve(office, ids)
    elif args.action == "unqueue":
        done = [outbox.back_to_draft(office, i) for i in ids]
    else:
        for i in ids:
            outbox.discard(office, i)
        done = []
    if args.json:
        emit_json([d.__dict__ for d in done] if done else {"discarded": ids})
    else:
        from mpoffice_tui.text import clean

        for d in done:
            print(f"{d.id[-8:]}  {d.state_label}  {clean(d.subject)}")
        if args.action == "discard":
            print(f"{len(ids)} discarded")
    return EXIT_OK
