"""`mpoffice import register FILE...` and `mpoffice lookup QUERY`: the electoral register."""

from __future__ import annotations

import sys
from dataclasses import asdict

from mpoffice_tui.cli.context import EXIT_FAILED, EXIT_OK, UsageError, emit_json
from mpoffice_tui.text import one_line as _safe


def register(sub) -> None:
    p = sub.add_parser("lookup", help="look someone up on the electoral register (name, postcode, "
                                      "address or elector number)")
    p.add_argument("query", nargs="+", metavar="QUERY")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N electors (default 20)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lookup)




def _ask(question) -> bool:
    """Ask at the terminal whether to go ahead with a replacement (no terminal: no)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    print(f"\n{_safe(question.question)}", file=sys.stderr)
    try:
        answer = input("Replace it? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_import_register(args, ctx) -> int:
    from datetime import date

    from mpoffice_tui.services import register as reg

    if args.published:
        try:
            date.fromisoformat(args.published)
        except ValueError:
            raise UsageError(f"--published {args.published!r}: give the date as YYYY-MM-DD") from None
    office = ctx.office()
    shown = {"last": -1}

    def progress(done: int, total: int, label: str) -> None:
        pct = int(done * 100 / total) if total else 100
        if pct != shown["last"]:
            shown["last"] = pct
            print(f"\rimporting {_safe(label)}: {done:,}/{total:,} electors ({pct}%)", end="",
                  file=sys.stderr, flush=True)

    def confirm(question) -> bool:
        if shown["last"] >= 0:
            print(file=sys.stderr)
        return _ask(question)

    summary = reg.import_register(office, args.paths, council=args.council, published_on=args.published,
                                  progress=progress, replace=args.replace, confirm=confirm)
    if shown["last"] >= 0:
        print(file=sys.stderr)
    if args.json:
        data = asdict(summary)
        data["ok"] = summary.ok
        data["rows_per_second"] = round(summary.rows_per_second)
        data["held_back"] = [asdict(h) | {"question": h.question} for h in summary.held_back]
        emit_json(data)
        return EXIT_OK if summary.ok else EXIT_FAILED
    for f in summary.files:
        if f.held_back:
            print(f"HELD    {_safe(f.error)}")
        elif f.error:
            print(f"FAILED  {_safe(f.error)}")
        else:
            print(f"{'ok' if f.ok else 'PART'}    {_safe(f.path)}: {f.format}, {f.encoding}, {f.delimiter}-separated, "
                  f"council {_safe(f.council)}, published {f.published_on}: {f.imported:,} electors"
                  + (f", {f.skipped} dummy rows skipped" if f.skipped else ""))
        for p in f.problems:
            print(f"        {_safe(p.file)} line {p.row}: {_safe(p.reason)}")
        for p in f.notes:
            print(f"        note: {_safe(p.file)}" + (f" line {p.row}" if p.row else "") + f": {_safe(p.reason)}")
    print(f"{summary.imported:,} electors imported in {summary.seconds:.2f} s; "
          f"{summary.failed_rows} unreadable rows; {summary.failed_files} files not imported"
          + (f"; replaced {summary.replaced:,} electors of earlier publications" if summary.replaced else "")
          + (f"; constituent links kept {summary.links_kept}, no longer on the register "
             f"{summary.links_lost}" if summary.links_kept or summary.links_lost else ""))
    if summary.held_back:
        print("To replace anyway, run the import again with --replace"
              + (" (and --council NAME for a file whose name does not say its council)"
                 if any("unnamed" in h.reasons for h in summary.held_back) else "") + ".")
    return EXIT_OK if summary.ok else EXIT_FAILED


def cmd_lookup(args, ctx) -> int:
    from mpoffice_tui.services import register as reg

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    result = reg.lookup(ctx.office(), " ".join(args.query), limit=args.limit)
    if args.json:
        emit_json(asdict(result))
        return EXIT_OK
    print(_safe(result.message))
    for h in result.hits:
        e = h.elector
        where = f"{e.address}, {e.postcode}".strip(", ") or "(no address shown)"
        print(f"  {e.number:<12} {_safe(e.name)}  |  {_safe(where)}  [{_safe(e.council)}]")
        for note in e.notes:
            print(f"      {_safe(note)}")
        if h.household:
            print("      also here: " + "; ".join(f"{_safe(o.name)} ({o.number})" for o in h.household)
                  + (f"; and {h.household_more} more" if h.household_more else ""))
        for c in h.constituents:
            print(f"      known constituent: {_safe(c.name)}, {c.open_cases} open case(s)")
    return EXIT_OK
