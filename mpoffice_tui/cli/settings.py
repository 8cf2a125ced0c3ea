"""Office-wide settings: `settings` (list), `settings set KEY VALUE`, `settings unset KEY`.

    mpoffice settings [list] [--json]
    mpoffice settings set KEY VALUE        e.g. mpoffice settings set mp_name "Helen Marchbanks MP"
    mpoffice settings unset KEY

Letters and replies use these (their merge fields {mp_name}, {office_address}...; an exported reply is
From: "mp_name <office_email>"). The office's settings are shared: they sync to every machine.
In office_address, type \\n between the lines: "1 High Street\\nWexford\\nWX1 1AA".
"""

from __future__ import annotations

from mpoffice_tui.cli.context import EXIT_OK, UsageError, emit_json, print_table
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services.office_settings import DEFAULT_REVIEW_DAYS
from mpoffice_tui.services.office_settings import OFFICE_KEYS as KEYS
from mpoffice_tui.text import one_line


def register(sub) -> None:
    p = sub.add_parser("settings", help="the office's settings: the MP's name, the office's address, phone, email",
                       description="The office's settings, used by letters and replies. Keys: "
                       + ", ".join(KEYS) + ".")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    ssub = p.add_subparsers(dest="settings_command", metavar="ACTION")
    q = ssub.add_parser("list", help="every setting, its value and what it is for")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_list)
    q = ssub.add_parser("set", help="change a setting", description="Change a setting. Keys: "
                        + "; ".join(f"{k}: {v}" for k, v in KEYS.items()) + ".")
    q.add_argument("key", metavar="KEY", help=", ".join(KEYS))
    q.add_argument("value", metavar="VALUE", help="the new value, as one argument (quote it); in office_address "
                   "a \\n starts a new line")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_set)
    q = ssub.add_parser("image", help="the letterhead's logo or the MP's signature: read once from a PNG or JPEG "
                        "file and kept (encrypted) inside the office")
    q.add_argument("name", choices=("logo", "signature"))
    q.add_argument("file", nargs="?", metavar="FILE", help="the image (PNG or JPEG, at most 2 MB)")
    q.add_argument("--remove", action="store_true", help="stop using it")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_image)
    q = ssub.add_parser("unset", help="clear a setting")
    q.add_argument("key", metavar="KEY", help=", ".join(KEYS))
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_unset)


def known_key(key: str) -> str:
    """The setting's key, or UsageError listing the known keys."""
    from mpoffice_tui.services import office_settings

    try:
        return office_settings.office_key(key)
    except OfficeError as exc:
        raise UsageError(str(exc)) from None


def clean_value(key: str, value: str) -> str:
    """The value to store, or UsageError saying what is wrong with it."""
    from mpoffice_tui.services import office_settings

    try:
        return office_settings.clean_value(key, value)
    except OfficeError as exc:
        raise UsageError(str(exc)) from None


def _shown(value: str) -> str:
    """A value for one line of a table: control characters removed, lines joined with ', '."""
    return ", ".join(one_line(line) for line in value.splitlines() if line.strip()) or "-"


def cmd_list(args, ctx) -> int:
    from mpoffice_tui.services import settings

    office = ctx.office()
    values = {k: settings.get(office, k) for k in KEYS}
    values["nation"] = values["nation"] or "ENG"  # (the defaults)
    values["review_days"] = values["review_days"] or str(DEFAULT_REVIEW_DAYS)
    values["mail_approval"] = values["mail_approval"] or "no"
    from mpoffice_tui.services import letterhead

    images = letterhead.images(office)
    if args.json:
        emit_json({"settings": [{"key": k, "value": values[k] or None, "meaning": m} for k, m in KEYS.items()],
                   "images": {n: images[n].as_dict() if n in images else None for n in letterhead.IMAGES}})
        return EXIT_OK
    print_table([{"key": k, "value": _shown(values[k]), "meaning": m} for k, m in KEYS.items()]
                + [{"key": n, "value": _shown(images[n].filename) if n in images else "-", "meaning": m}
                   for n, m in letterhead.IMAGES.items()], ["key", "value", "meaning"])
    print("(`mpoffice settings set KEY VALUE` changes one; `mpoffice settings unset KEY` clears it; "
          "`mpoffice settings image logo FILE` sets the letterhead's logo)")
    return EXIT_OK


def cmd_image(args, ctx) -> int:
    from mpoffice_tui.services import letterhead

    if bool(args.file) == bool(args.remove):
        raise UsageError(f"give the image file, or --remove: mpoffice settings image {args.name} FILE")
    office = ctx.office()
    if args.remove:
        letterhead.remove_image(office, args.name)
        info = None
    else:
        info = letterhead.set_image(office, args.name, args.file)
    if args.json:
        emit_json({"image": args.name, "set": info.as_dict() if info else None})
    elif info:
        print(f"{args.name} set from {_shown(info.filename)} ({info.size} bytes, kept inside the office: the file "
              "is no longer needed)")
    else:
        print(f"{args.name} removed")
    return EXIT_OK


def cmd_set(args, ctx) -> int:
    from mpoffice_tui.services import settings

    key = known_key(args.key)
    value = clean_value(key, args.value)
    office = ctx.office()
    settings.change(office, key, value)
    if args.json:
        emit_json({"key": key, "value": value or None})
    elif value:
        print(f"{key} set to {_shown(value)}")
    else:
        _say_unset(office, key)
    return EXIT_OK


def cmd_unset(args, ctx) -> int:
    from mpoffice_tui.services import settings

    key = known_key(args.key)
    office = ctx.office()
    settings.change(office, key, "")
    if args.json:
        emit_json({"key": key, "value": None})
    else:
        _say_unset(office, key)
    return EXIT_OK


def _say_unset(office, key: str) -> None:
    """Letters fall back to the names given when the office was created: say so, or it looks unchanged."""
    fallback = {"mp_name": office.meta("mp_name") or "", "office_name": office.name}.get(key, "")
    print(f"{key} unset" + (f" (letters and replies use {_shown(fallback)!r}, from when the office was created)"
                            if fallback else ""))
