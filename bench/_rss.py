"""Child process for the memory benchmark: open an office, run representative queries, print RSS (MiB).

    python bench/_rss.py DB_PATH PASSPHRASE
Prints "peak current" in MiB. Imports the UI stack too, as the app process would.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

QUERIES = [
    # the case list's first page, newest first, with the constituent's name
    "SELECT c.ref, c.title, c.status, c.opened_at, k.forenames, k.surname FROM cases c "
    "LEFT JOIN constituents k ON k.id = c.constituent_id WHERE c.deleted = 0 "
    "ORDER BY c.opened_at DESC LIMIT 50",
    # inbox lane counts and the first page of new mail
    "SELECT triage, count(*) FROM messages GROUP BY triage",
    "SELECT id, sender_name, subject, received_at FROM messages WHERE triage = 'new' "
    "ORDER BY received_at DESC LIMIT 50",
    # a full-text search, newest first
    "SELECT m.id, m.subject FROM messages_fts f JOIN messages m ON m.rowid = f.rowid "
    "WHERE messages_fts MATCH '\"housing\"*' ORDER BY m.received_at DESC LIMIT 50",
    # a quick lookup by name and postcode
    "SELECT id, forenames, surname, postcode FROM constituents WHERE surname LIKE 'O''B%' LIMIT 20",
    "SELECT forename, surname, address FROM electors WHERE postcode LIKE 'WX1 %' LIMIT 50",
]


def rss_mib() -> tuple[float, float]:
    current = peak = float("nan")
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        import resource

        raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = raw / (1024 * 1024) if sys.platform == "darwin" else raw / 1024
        current = peak
    return peak, current


def main() -> None:
    os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")
    import textual.app  # noqa: F401 - the app process carries the UI stack

    with contextlib.suppress(ImportError):
        import mpoffice_tui.ui.app  # noqa: F401
    from mpoffice_tui.db.engine import open_office

    office = open_office(Path(sys.argv[1]), sys.argv[2], use_keyring=False)
    with office.engine.connect() as conn:
        for sql in QUERIES:
            conn.exec_driver_sql(sql).fetchall()
    peak, current = rss_mib()
    office.close()
    print(f"{peak:.1f} {current:.1f}")


if __name__ == "__main__":
    main()
