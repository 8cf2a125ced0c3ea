"""Office-level commands: the TUI, init, demo, passwd, staff, keyring, backup, doctor."""

from __future__ import annotations

import sys
from pathlib import Path

from mpoffice_tui.cli.context import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    ask_new_secret,
    emit_json,
    print_table,
    report,
)

DEMO_PASSPHRASE = "demo office"


def register(sub) -> None:
    p = sub.add_parser("init", help="create a new encrypted office")
    p.add_argument("--office-name", help="e.g. 'Office of Jane Smith MP'")
    p.add_argument("--mp", dest="mp_name", help="the MP's name")
    p.add_argument("--name", dest="staff_name", help="your name (you become the office manager)")
    p.add_argument("--new-passphrase-file", metavar="F", help="read your new passphrase from F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="create (if needed) and open the demo office")
    p.add_argument("--size", choices=["small", "full"], default="small")
    p.add_argument("--reset", action="store_true", help="rebuild the demo office from scratch")
    p.add_argument("--no-open", action="store_true", help="build it but do not open the app")
    p.add_argument("--json", action="store_true", help="say where it is, as JSON (and do not open the app)")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("passwd", help="change your passphrase (or a colleague's, for managers)")
    p.add_argument("--staff", metavar="NAME", help="whose passphrase to set (managers)")
    p.add_argument("--new-passphrase-file", metavar="F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_passwd)

    staff = sub.add_parser("staff", help="staff members and their roles").add_subparsers(
        dest="staff_command", metavar="ACTION", required=True)
    p = staff.add_parser("add", help="add a staff member with their own passphrase")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["mp", "manager", "caseworker", "volunteer"])
    p.add_argument("--new-passphrase-file", metavar="F", help="read their passphrase from F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_staff_add)
    p = staff.add_parser("list", help="list staff members")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_staff_list)
    p = staff.add_parser("remove", help="remove a staff member and their key slots")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_staff_remove)

    kr = sub.add_parser("keyring", help="remember the office in this computer's OS keyring").add_subparsers(
        dest="keyring_command", metavar="ACTION", required=True)
    p = kr.add_parser("remember", help="unlock without a passphrase on this computer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_keyring_remember)
    p = kr.add_parser("forget", help="remove this computer's keyring slot")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_keyring_forget)

    p = sub.add_parser("backup", help="write an encrypted copy of the office (plus its key slots)")
    p.add_argument("--to", required=True, metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("doctor", help="check the office: integrity, key slots, keyring, schema, file permissions")
    p.add_argument("--fix-permissions", action="store_true",
                   help="make the office's files owner-only (0600, folder 0700) without asking")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


# -- the app ---------------------------------------------------------------------------------
def run_app(args, ctx, *, passphrase: str | None = None, db_path: Path | None = None) -> int:
    """Open the TUI. The unlock screen comes first; the database stack loads while you type."""
    from mpoffice_tui.ui.app import make_app

    app = make_app(db_path or ctx.db_path, passphrase=passphrase or ctx.passphrase())
    app.run()
    return int(app.return_code or 0)


def cmd_init(args, ctx) -> int:
    from mpoffice_tui.db.engine import create_office

    path = ctx.db_path
    if path.exists():
        raise UsageError(f"{path}: an office already exists here (use --db for another file)")

    def ask(value: str | None, prompt: str) -> str:
        if value:
            return value
        if not sys.stdin.isatty():
            raise UsageError(f"{prompt.lower()} is needed: pass it as an option")
        return input(f"{prompt}: ").strip()

    office_name = ask(args.office_name, "Office name")
    mp_name = ask(args.mp_name, "MP's name")
    staff_name = ask(args.staff_name, "Your name")
    secret = ask_new_secret("Your new passphrase", args.new_passphrase_file)
    created = create_office(path, office_name=office_name, mp_name=mp_name, staff_name=staff_name,
                            passphrase=secret)
    created.office.close()
    if args.json:
        emit_json({"db": str(path), "recovery_code": created.recovery_code})
        return EXIT_OK
    print(f"Created the office {office_name!r} at {path}")
    print()
    print("RECOVERY CODE (shown once; print it or write it down and lock it away):")
    print(f"    {created.recovery_code}")
    print()
    print("It opens the office if every passphrase is forgotten. Anyone holding it can read the office.")
    return EXIT_OK


def cmd_demo(args, ctx) -> int:
    from mpoffice_tui import demo, paths

    path = Path(args.db) if args.db else paths.demo_db()
    if args.reset:
        for f in (path, paths.keyslots_for(path), path.with_name(path.name + "-wal"),
                  path.with_name(path.name + "-shm")):
            f.unlink(missing_ok=True)
    if not path.exists():
        print(f"Building the {args.size} demo office at {path} ...", file=sys.stderr)
        office = demo.build(path, size=args.size, passphrase=DEMO_PASSPHRASE)
        office.close()
    if args.json:
        emit_json({"path": str(path), "passphrase": DEMO_PASSPHRASE, "size": args.size})
        return EXIT_OK
    print(f"Demo office: {path}  (passphrase: {DEMO_PASSPHRASE!r})", file=sys.stderr)
    if args.no_open:
        return EXIT_OK
    return run_app(args, ctx, passphrase=DEMO_PASSPHRASE, db_path=path)


def cmd_passwd(args, ctx) -> int:
    from mpoffice_tui.services import staff

    office = ctx.office()
    secret = ask_new_secret("New passphrase", args.new_passphrase_file)
    view = staff.change_passphrase(office, secret, args.staff)
    return report(args, {"staff": view.name, "passphrase_changed": True}, f"Passphrase changed for {view.name}.")


def cmd_staff_add(args, ctx) -> int:
    from mpoffice_tui.services import staff

    office = ctx.office()
    secret = ask_new_secret(f"Passphrase for {args.name}", args.new_passphrase_file)
    view = staff.add(office, args.name, args.role, secret)
    return report(args, view.__dict__, f"Added {view.name} ({view.role}).")


def cmd_staff_list(args, ctx) -> int:
    from mpoffice_tui.services import staff

    rows = [v.__dict__ for v in staff.list_staff(ctx.office())]
    if args.json:
        emit_json(rows)
    else:
        print_table(rows, ["name", "role", "slots", "has_keyring_slot"])
    return EXIT_OK


def cmd_staff_remove(args, ctx) -> int:
    from mpoffice_tui.services import staff

    view = staff.remove(ctx.office(), args.name)
    return report(args, {**view.__dict__, "removed": True}, f"Removed {view.name}; their key slots are gone.")


def cmd_keyring_remember(args, ctx) -> int:
    from mpoffice_tui.services import staff

    view = staff.remember_on_this_computer(ctx.office())
    return report(args, {"staff": view.name, "remembered": True},
                  f"This computer's keyring now unlocks the office for {view.name}.")


def cmd_keyring_forget(args, ctx) -> int:
    from mpoffice_tui.services import staff

    removed = staff.forget_on_this_computer(ctx.office())
    return report(args, {"removed": removed}, f"Removed {removed} keyring slot(s).")


def cmd_backup(args, ctx) -> int:
    from mpoffice_tui.services.backup import backup

    done = backup(ctx.office(), args.to)
    if args.json:
        emit_json({"backup": str(done.path), "key_slots": str(done.key_slots)})
    else:
        print(f"Encrypted backup written to {done.path}")
        print(f"with its key slots in {done.key_slots} (open it with any staff passphrase "
              "or the recovery code: mpoffice --db FILE doctor)")
    return EXIT_OK


def cmd_doctor(args, ctx) -> int:
    from mpoffice_tui.db import engine, keys

    office = ctx.office()
    problems = office.integrity_check()
    version = office.schema_version()
    latest = engine.latest_version()
    if version != latest:
        problems.append(f"schema version {version}, expected {latest}")
    kinds: dict[str, int] = {}
    for slot in office.slots.slots:
        kinds[slot.kind] = kinds.get(slot.kind, 0) + 1
    if not kinds.get("recovery"):
        problems.append("no recovery-code slot")
    for _, reason in office.slots.damaged:
        problems.append(f"key-slot file: damaged {reason} (skipped)")
    loose, fixed = _permissions(office.path, args)
    problems += [f"{p}: mode {m:04o}, others on this computer can reach it (should be {want:04o})"
                 for p, m, want in loose]
    backend = keys.usable_keyring()
    report = {
        "healthy": not problems,
        "db": str(office.path),
        "office": office.name,
        "office_id": office.office_id,
        "site_id": office.site_id,
        "schema_version": version,
        "schema_latest": latest,
        "integrity": "ok" if not office.integrity_check() else "damaged",
        "key_slots": kinds,
        "keyring": type(backend).__module__ + "." + type(backend).__name__ if backend else None,
        "keyring_note": None if backend else keys.keyring_unavailable_reason(),
        "sqlcipher": _cipher_version(office),
        "permissions": [{"path": str(p), "mode": f"{m:04o}", "should_be": f"{want:04o}"} for p, m, want in loose],
        "permissions_fixed": [str(p) for p in fixed],
        "problems": problems,
    }
    if args.json:
        emit_json(report)
    else:
        for k, v in report.items():
            print(f"{k:15} {v}")
    return EXIT_OK if report["healthy"] else EXIT_FAILED


def _permissions(db: Path, args) -> tuple[list, list[Path]]:
    """(loose, fixed): the office's files and folder that others can reach, and those made owner-only now
    (with --fix-permissions, or when the person at the terminal says yes)."""
    from mpoffice_tui import files, paths

    candidates = [db, paths.keyslots_for(db), db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                  paths.lock_for(db), db.parent]
    loose = files.loose_permissions(candidates)
    if not loose:
        return [], []
    fix = args.fix_permissions
    if not fix and not args.json and sys.stdin.isatty():
        for p, m, want in loose:
            print(f"{p}: mode {m:04o}: others on this computer can reach it (should be {want:04o})")
        fix = input("Make them owner-only now? [y/N] ").strip().lower() in ("y", "yes")
    if not fix:
        return loose, []
    fixed = []
    for p, _, _ in loose:
        try:
            files.make_private(p)
            fixed.append(p)
        except OSError as exc:
            print(f"mpoffice: {p}: could not change its permissions ({exc.strerror or exc})", file=sys.stderr)
    return [x for x in loose if x[0] not in fixed], fixed


def _cipher_version(office) -> str:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA cipher_version").fetchone()[0]


