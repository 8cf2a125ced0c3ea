"""`mpoffice import mail`, `mpoffice inbox`: mail in, and quick triage from scripts.

    mpoffice import mail PATH... [--json]        progress on stderr, then a summary; exit 1 if rejects
    mpoffice inbox [--lane LANE] [--limit N] [--json]
    mpoffice inbox file MSG (--case REF [--yes] | --new-case)   someone else's case: asks (or --yes)
    mpoffice inbox undo MSG [--json]             the message's last triage put back exactly
    mpoffice inbox drop FOLDER [--json]          import a drop folder once
    mpoffice inbox export-replies FOLDER [--json]
"""

from __future__ import annotations

import sys
import time

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, UsageError, emit_json, print_table, report


def register(sub) -> None:
    p = sub.add_parser("inbox", help="list the inbox by lane, or file a message")
    p.add_argument("--lane", default="new", help="new, auto_filed, suggested, campaign, done, outbox, sent")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_inbox)
    acts = p.add_subparsers(dest="inbox_command", metavar="ACTION")
    f = acts.add_parser("file", help="file a message to a case, or open a new case from it")
    f.add_argument("message", metavar="MSG", help="message id (or a unique prefix/suffix)")
    g = f.add_mutually_exclusive_group(required=True)
    g.add_argument("--case", metavar="REF", help="the case reference, e.g. A-00012")
    g.add_argument("--new-case", action="store_true", help="open a new case from the message (for the person "
                   "the office knows by the sender's email, or name and postcode; category from its words)")
    f.add_argument("--yes", action="store_true",
                   help="file it even to a case whose constituent is not the sender (otherwise asked, or refused)")
    f.add_argument("--json", action="store_true")
    f.set_defaults(handler=cmd_inbox_file)
    u = acts.add_parser("undo", help="undo a message's last triage (filing, new case, ignore, auto-filing...)")
    u.add_argument("message", metavar="MSG", help="message id (or a unique prefix/suffix)")
    u.add_argument("--json", action="store_true")
    u.set_defaults(handler=cmd_inbox_undo)
    d = acts.add_parser("drop", help="import the files in a drop folder once (then move them aside)")
    d.add_argument("folder")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=cmd_inbox_drop)
    e = acts.add_parser("export-replies", help="write drafted replies as .eml files (nothing is sent)")
    e.add_argument("folder")
    e.add_argument("--json", action="store_true")
    e.set_defaults(handler=cmd_export_replies)


class _Bar:
    """A progress bar on stderr (only when stderr is a terminal; silent in scripts)."""

    def __init__(self, what: str = "importing mail") -> None:
        self.what = what
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        frac = done / total if total else 1.0
        width = 30
        fill = int(frac * width)
        sys.stderr.write(f"\r{self.what} [{'#' * fill}{'.' * (width - fill)}] {frac:4.0%}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def cmd_import_mail(args, ctx) -> int:
    from mpoffice_tui.services import inbox

    office = ctx.office()
    bar = _Bar()
    try:
        report = inbox.import_paths(office, args.paths, progress=bar)
    finally:
        bar.close()
    if args.json:
        emit_json(report.as_dict())
    else:
        print(f"imported {report.imported}, duplicates {report.duplicates}, rejected {len(report.rejected)}"
              f" (auto-filed {report.auto_filed}, suggested {report.suggested}, campaign {report.campaign})")
        for r in report.rejected:
            where = f" [{r.position}]" if r.position else ""
            print(f"rejected: {inbox.safe_text(r.file)}{where}: {inbox.safe_text(r.reason)}")
    return EXIT_FAILED if report.rejected else EXIT_OK


def cmd_inbox(args, ctx) -> int:
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import inbox

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    try:
        lane = inbox.lane_of(args.lane)
    except OfficeError as exc:  # an unknown lane is a mistake in the command, not in the office
        raise UsageError(str(exc)) from None
    rows = inbox.list_inbox(ctx.office(), lane, limit=args.limit)
    if args.json:
        emit_json([r.__dict__ for r in rows])
        return EXIT_OK
    clean = [{"id": r.id, "received": r.received_at[:16].replace("T", " "), "lane": r.triage,
              "from": inbox.safe_text(r.sender_name or r.sender_email)[:30],
              "subject": inbox.safe_text(r.subject).replace("\n", " ")[:50], "case": r.case_ref or "",
              "suggestion": inbox.safe_text(r.suggestion_reason or "")[:70]} for r in rows]
    if not clean:
        print(f"no messages in the {lane} lane")
    print_table(clean, ["id", "received", "lane", "from", "subject", "case", "suggestion"])
    return EXIT_OK


def cmd_inbox_file(args, ctx) -> int:
    from mpoffice_tui.services import filing, inbox

    office = ctx.office()
    msg_id = inbox.find_message(office, args.message)
    if not args.new_case and not args.yes:
        check = filing.check_filing(office, msg_id, args.case)
        if check.warning and not _confirmed(inbox.safe_text(check.warning)):
            why = inbox.safe_text(check.warning).removesuffix(" File it there anyway?").rstrip(".")
            print(f"mpoffice: not filed: {why}; add --yes to file it there", file=sys.stderr)
            return EXIT_FAILED
    filed = inbox.new_case(office, msg_id) if args.new_case else inbox.file_to_case(office, msg_id, args.case)
    if args.json:
        emit_json(filed.__dict__)
    else:
        verb = "opened new case" if filed.created_case else "filed to case"
        print(f"message {filed.message_id}: {verb} {filed.case_ref}")
        for who in filed.replied:
            print(f"reply from {inbox.safe_text(who)} recorded (no longer chased)")
    return EXIT_OK


def _confirmed(question: str) -> bool:
    """Ask on a terminal (y/N); a script (no terminal) is never taken as a yes."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_inbox_undo(args, ctx) -> int:
    from mpoffice_tui.services import inbox

    office = ctx.office()
    done = inbox.undo(office, inbox.find_message(office, args.message))
    return report(args, done.__dict__, done.notice)


def cmd_inbox_drop(args, ctx) -> int:
    from mpoffice_tui.services import dropfolder

    report = dropfolder.scan(ctx.office(), args.folder, min_age=0)
    if args.json:
        emit_json({"imported": report.imported, "duplicates": report.duplicates,
                   "rejected": [r.__dict__ for r in report.rejected],
                   "processed_files": report.processed_files, "rejected_files": report.rejected_files})
    else:
        print(f"imported {report.imported}, duplicates {report.duplicates}, rejected {len(report.rejected)}")
    return EXIT_FAILED if report.rejected else EXIT_OK


def cmd_export_replies(args, ctx) -> int:
    from mpoffice_tui.services import replies

    done = replies.export_outbox(ctx.office(), args.folder)
    if args.json:
        emit_json([{"id": e.id, "path": str(e.path)} for e in done])
    else:
        for e in done:
            print(e.path)
        print(f"{len(done)} replies exported (open each in your mail client to send it)")
    return EXIT_OK
