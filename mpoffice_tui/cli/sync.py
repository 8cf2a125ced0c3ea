"""`mpoffice sync ...`: join machines to the office, exchange encrypted bundles, see the sync state."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from mpoffice_tui.cli.context import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    emit_json,
    print_table,
    read_secret_file,
    report,
)


def register(sub) -> None:
    sync = sub.add_parser("sync", help="sync with the office's other machines").add_subparsers(
        dest="sync_command", metavar="ACTION", required=True)

    p = sync.add_parser("invite", help="write an enrolment file for a new machine (managers)")
    p.add_argument("--to", required=True, metavar="DIR", help="folder to write the enrolment file into")
    p.add_argument("--label", default="", help="a name for the new machine, e.g. 'Westminster'")
    p.add_argument("--invite-passphrase-file", metavar="F", help="use the passphrase in F (else one is made)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_invite)

    p = sync.add_parser("join", help="create this machine's replica from an enrolment file (use --db NEW)")
    p.add_argument("file")
    p.add_argument("--invite-passphrase-file", metavar="F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_join)

    p = sync.add_parser("retire", help="retire a machine: its bundles are refused from now on")
    p.add_argument("site", help="its site code (e.g. B) or site id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retire)

    p = sync.add_parser("export", help="write a bundle of the changes other machines have not acknowledged")
    p.add_argument("--to", metavar="DIR", help="folder or file name (default: the sync folder, else here)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)

    p = sync.add_parser("import", help="apply bundles from other machines (each all or nothing)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)

    p = sync.add_parser("status", help="this machine, its peers, changes waiting, open conflicts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)

    p = sync.add_parser("conflicts", help="open conflicts: concurrent edits kept for a person to settle")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_conflicts)

    p = sync.add_parser("resolve", help="settle a conflict: keep this (shown) value, keep that one, or a new one")
    p.add_argument("conflict", metavar="ID", help="as `mpoffice sync conflicts` lists it")
    p.add_argument("choice", choices=["this", "that", "edit"])
    p.add_argument("value", nargs="?", help="with edit: the value to keep")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_resolve)

    folder = sync.add_parser("folder", help="the shared sync folder").add_subparsers(
        dest="folder_command", metavar="ACTION", required=True)
    p = folder.add_parser("set", help="use DIR (a OneDrive/SharePoint folder, network share, USB stick)")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_folder_set)

    p = sync.add_parser("now", help="export to and import from the sync folder now")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_now)

    p = sync.add_parser("compact", help="delete the change history every machine has and later changes replaced")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_compact)


def _invite_secret(file: str | None, prompt: str) -> str | None:
    if file:
        return read_secret_file(file)
    if prompt and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def cmd_invite(args, ctx) -> int:
    from mpoffice_tui.services import staff
    from mpoffice_tui.sync import enrol

    office = ctx.office()
    staff.require_role(office, *staff.MANAGING_ROLES, action="invite a machine")
    secret = _invite_secret(args.invite_passphrase_file, "")
    inv = enrol.invite(office, Path(args.to), passphrase=secret, label=args.label)
    if args.json:
        emit_json({"file": str(inv.path), "site_id": inv.site_id, "site_code": inv.site_code,
                   "passphrase": None if args.invite_passphrase_file else inv.passphrase})
        return EXIT_OK
    print(f"Enrolment file for machine {inv.site_code}: {inv.path}")
    if not args.invite_passphrase_file:
        print()
        print("ONE-TIME PASSPHRASE (give it to the person joining, separately from the file):")
        print(f"    {inv.passphrase}")
    print()
    print(f"On the new machine: mpoffice --db NEW.mpo sync join {inv.path.name}")
    print("The file holds the office's key and data: delete it once the machine has joined.")
    return EXIT_OK


def cmd_join(args, ctx) -> int:
    from mpoffice_tui.sync import enrol

    secret = _invite_secret(args.invite_passphrase_file, "One-time invitation passphrase: ")
    if not secret:
        raise UsageError("the invitation passphrase is needed: use --invite-passphrase-file F in scripts")
    path = ctx.db_path
    if path.exists():
        raise UsageError(f"{path}: an office already exists here (use --db for a new file)")
    joined = enrol.join(Path(args.file), secret, path)
    if args.json:
        emit_json(joined.__dict__)
        return EXIT_OK
    print(f"Joined {joined.office_name!r} as machine {joined.site_code}: {path} ({joined.ops} changes copied).")
    print("Open it with your usual passphrase. Delete the enrolment file now.")
    return EXIT_OK


def cmd_retire(args, ctx) -> int:
    from mpoffice_tui.services import staff
    from mpoffice_tui.sync import enrol

    office = ctx.office()
    staff.require_role(office, *staff.MANAGING_ROLES, action="retire a machine")
    site = enrol.retire(office, args.site)
    return report(args, {"site": site.site, "code": site.code, "retired": True},
                  f"Machine {site.code} ({site.site}) retired: its bundles are refused from now on.")


def _sync_folder() -> str | None:
    from mpoffice_tui import config

    return config.load().sync_folder


def cmd_export(args, ctx) -> int:
    from mpoffice_tui.sync import bundle

    office = ctx.office()
    target = Path(args.to or _sync_folder() or ".")
    if not target.parent.exists():
        raise UsageError(f"{target}: no such folder")
    done = bundle.export_bundle(office, target)
    return report(args, {"file": str(done.path), "ops": done.ops, "bytes": done.bytes},
                  f"Wrote {done.path} ({done.ops} changes, {done.bytes} bytes, encrypted).")


def cmd_import(args, ctx) -> int:
    from mpoffice_tui.sync import bundle

    office = ctx.office()
    results, failed = [], 0
    for name in args.files:
        try:
            got = bundle.import_bundle(office, Path(name))
        except bundle.BundleRefused as exc:
            failed += 1
            results.append({"file": name, "ok": False, "error": str(exc)})
            if not args.json:
                print(f"mpoffice: refused: {exc}", file=sys.stderr)
            continue
        results.append({"file": name, "ok": True, "from": got.code, "ops": got.ops, "new": got.new,
                        "rows": got.rows, "skipped": got.skipped})
        if not args.json:
            what = got.skipped or f"{got.new} new of {got.ops} changes, {got.rows} records updated"
            print(f"{name}: from machine {got.code}: {what}")
    if args.json:
        emit_json(results)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_status(args, ctx) -> int:
    from dataclasses import asdict

    from mpoffice_tui.sync import status

    s = status.summary(ctx.office(), _sync_folder())
    if args.json:
        emit_json(asdict(s))
        return EXIT_OK
    print(f"this machine   {s.site_code}  {s.site_id}")
    print(f"sync folder    {s.folder or '(not set: mpoffice sync folder set DIR)'}")
    print(f"state          {s.status_line}")
    print(f"waiting        {s.waiting} change(s) not yet acknowledged by every machine")
    print(f"conflicts      {s.conflicts} open")
    if s.peers:
        print()
        rows = [{"code": p.code, "site": p.site, "retired": "yes" if p.retired else "",
                 "acknowledged": sum(p.acknowledged.values()), "last_bundle": p.last_import_at or "never"}
                for p in s.peers]
        print_table(rows, ["code", "site", "retired", "acknowledged", "last_bundle"])
    return EXIT_OK


def _conflict_dict(c) -> dict:
    return {"id": c.id, "table": c.tbl, "row_id": c.row_id, "field": c.field, "this": c.this_value,
            "that": c.that_value, "that_machine": c.that_code, "this_group": c.this_group,
            "that_group": c.that_group}


def _shown(value) -> str:
    from mpoffice_tui.cli.cases import _clean

    if isinstance(value, dict):
        return ", ".join(f"{k}={_clean(v)}" for k, v in value.items() if v is not None)
    return _clean(value)


def cmd_conflicts(args, ctx) -> int:
    from mpoffice_tui.sync import conflicts

    found = conflicts.list_conflicts(ctx.office())
    if args.json:
        emit_json({"conflicts": [_conflict_dict(c) for c in found]})
        return EXIT_OK
    print_table([{"id": c.id, "field": f"{c.tbl}.{c.field}", "this": _shown(c.this_group or c.this_value),
                  "that": _shown(c.that_group or c.that_value), "from": c.that_code} for c in found],
                ["id", "field", "this", "that", "from"])
    print(f"({len(found)} open; `mpoffice sync resolve ID this|that|edit VALUE` settles one)")
    return EXIT_OK


def cmd_resolve(args, ctx) -> int:
    from mpoffice_tui.sync import conflicts

    if args.choice == "edit" and args.value is None:
        raise UsageError("say the value to keep: mpoffice sync resolve ID edit VALUE")
    if args.choice != "edit" and args.value is not None:
        raise UsageError(f"a value goes with edit, not with {args.choice}")
    c = conflicts.resolve(ctx.office(), args.conflict, args.choice, args.value)
    return report(args, {**_conflict_dict(c), "kept": args.choice},
                  f"Settled {c.tbl}.{c.field}: kept {args.choice}. The other machines settle it at their next sync.")


def cmd_folder_set(args, ctx) -> int:
    from dataclasses import replace

    from mpoffice_tui import config

    folder = Path(args.dir).expanduser().resolve()
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    settings = replace(config.load(), sync_folder=str(folder))
    settings.save()
    return report(args, {"folder": str(folder)}, f"Sync folder set to {folder}.")


def cmd_now(args, ctx) -> int:
    from mpoffice_tui.sync import auto

    folder = _sync_folder()
    if not folder:
        raise UsageError("no sync folder set: use `mpoffice sync folder set DIR` first")
    result = auto.sync_folder_once(ctx.office(), Path(folder))
    if args.json:
        emit_json({"online": result.online, "exported": result.exported, "new_changes": result.new_changes,
                   "imported": [i.path.name for i in result.imported], "refused": result.refused,
                   "message": result.message, "compacted": result.compacted})
    else:
        if not result.online:
            print(f"offline: {result.message}")
        else:
            print(f"synced: {result.exported} change(s) exported, {result.new_changes} new change(s) "
                  f"imported from {len(result.imported)} bundle(s)"
                  + (f", {result.compacted} old change(s) every machine has compacted" if result.compacted else ""))
        for msg in result.refused:
            print(f"mpoffice: refused: {msg}", file=sys.stderr)
    return EXIT_OK if result.online and not result.refused else EXIT_FAILED


def cmd_compact(args, ctx) -> int:
    from dataclasses import asdict

    from mpoffice_tui.sync import compact

    done = compact.compact(ctx.office())
    if args.json:
        emit_json(asdict(done))
        return EXIT_OK
    print(f"Compacted: {done.ops_deleted} of {done.ops_before} changes deleted (every machine has them and later "
          f"changes replaced them), {done.blobs_deleted} unused file(s) dropped; the office file went from "
          f"{done.bytes_before} to {done.bytes_after} bytes.")
    print("Kept: each record's first version, every value shown or in conflict, erasures, and whatever a "
          "machine has not yet acknowledged.")
    return EXIT_OK
