"""`mpoffice search TEXT... [--limit N] [--json]`: search everything (cases, people, contacts, notes,
messages, attachments' names), grouped by kind, newest and best first."""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json
from mpoffice_tui.text import one_line


def register(sub) -> None:
    p = sub.add_parser("search", help="search everything: cases, people, contacts, notes, messages and "
                                      "attachments' names")
    p.add_argument("text", nargs="+", metavar="TEXT", help="words, a name (typos are forgiven) or a case reference")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="at most N hits of each kind (default 10)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)


def cmd_search(args, ctx) -> int:
    from mpoffice_tui.services.search import search_everything

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    result = search_everything(ctx.office(), " ".join(args.text), limit_per_kind=args.limit)
    if args.json:
        emit_json(result.as_dict())
        return EXIT_OK
    if not result.found:
        print(f"Nothing matches {one_line(result.query)!r}.")
        return EXIT_OK
    for group in result.groups:
        print(f"{group.label} ({len(group.hits)}{'+' if group.more else ''})")
        for h in group.hits:
            when = (h.at or "")[:10]
            print(f"  {when:<10}  {one_line(h.title)}" + (f"  |  {one_line(h.detail)}" if h.detail else ""))
            if h.snippet:
                print(f"              {one_line(h.snippet)}")
    return EXIT_OK
