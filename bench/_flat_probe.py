"""Child process for the flat-costs benchmark: time the reads whose cost must not grow with the office.

    python bench/_flat_probe.py DB_PATH PASSPHRASE
Prints one JSON object: {measure: [milliseconds, ...]} for constituent search, register lookup (mixed
queries, including electors linked to known constituents), and the case list and inbox lanes at their
first page and deep in the list (by OFFSET, and by key when the list services can page by key).

The queries are drawn from the office itself, in a fixed order, so two checkouts of the code run the very
same queries against copies of the same office (`bench_flat.py` runs this script with `PYTHONPATH` set to
an older checkout to measure a baseline in the same run).
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
from pathlib import Path


def _ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _every(rows: list, n: int) -> list:
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def constituent_queries(conn) -> list[str]:
    """Common surnames, forenames, postcodes, two-word names and a one-letter prefix."""
    surnames = [r[0] for r in conn.exec_driver_sql(
        "SELECT surname FROM constituents WHERE deleted = 0 GROUP BY surname ORDER BY count(*) DESC, surname "
        "LIMIT 15")]
    people = conn.exec_driver_sql("SELECT forenames, surname, postcode FROM constituents WHERE deleted = 0 "
                                  "AND postcode IS NOT NULL ORDER BY id").fetchall()
    picked = _every(people, 15)
    return (surnames + [f"{f} {s}" for f, s, _ in picked[:8]] + [p for _, _, p in picked[8:]]
            + [p.split()[0] for _, _, p in picked[:3]] + [f for f, _, _ in picked[:4]] + ["a", "mar"])


def register_queries(conn) -> list[str]:
    """Names, postcodes and numbers of electors linked to known constituents, plus a general mix."""
    from mpoffice_tui.importers.register.normalise import elector_number

    linked = conn.exec_driver_sql(
        "SELECT e.forename, e.surname, e.postcode, e.pd, e.eno, e.suffix FROM constituents c "
        "JOIN electors e ON e.elector_key = c.elector_key WHERE c.deleted = 0 ORDER BY c.id").fetchall()
    out = []
    for f, s, pc, pd, eno, suffix in _every(linked, 12):
        out += [f"{f} {s}", s, pc, elector_number(pd or "", eno, suffix or 0)]
    return out + ["Smith", "J Smith", "Jonathon Smtih", "Mary Jones", "12 High Street", "Siobhan O Sullivan"]


def main() -> None:
    os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import cases, constituents, inbox
    from mpoffice_tui.services import register as reg

    office = open_office(Path(sys.argv[1]), sys.argv[2], use_keyring=False)
    out: dict[str, list[float]] = {}
    try:
        with office.engine.connect() as conn:
            cq, rq = constituent_queries(conn), register_queries(conn)
        constituents.search(office, "warm")
        out["constituent search"] = [_ms(lambda q=q: constituents.search(office, q)) for q in cq]
        reg.lookup(office, "warm up")
        out["register lookup"] = [_ms(lambda q=q: reg.lookup(office, q)) for q in rq]

        total = cases.count_cases(office)
        deep = max(0, total // 2)
        out["case list first page"] = [_ms(lambda: cases.list_cases(office, limit=100, with_total=False))
                                       for _ in range(5)]
        out["case list deep page (offset)"] = [_ms(lambda: cases.list_cases(
            office, offset=deep, limit=100, with_total=False)) for _ in range(5)]
        if "after" in inspect.signature(cases.list_cases).parameters:
            anchor = cases.list_cases(office, offset=deep - 1, limit=1, with_total=False).rows[0]
            out["case list deep page (by key)"] = [_ms(lambda: cases.list_cases(
                office, after=anchor, limit=100, with_total=False)) for _ in range(5)]
        lane = "done"
        depth = max(0, inbox.lane_counts(office).get(lane, 0) // 2)
        out["inbox lane first page"] = [_ms(lambda: inbox.list_inbox(office, lane, limit=100)) for _ in range(5)]
        out["inbox lane deep page (offset)"] = [_ms(lambda: inbox.list_inbox(office, lane, limit=100, offset=depth))
                                                for _ in range(5)]
        if "after" in inspect.signature(inbox.list_inbox).parameters:
            anchor = inbox.list_inbox(office, lane, limit=1, offset=depth - 1)[0]
            out["inbox lane deep page (by key)"] = [_ms(lambda: inbox.list_inbox(office, lane, limit=100,
                                                                                  after=anchor)) for _ in range(5)]
    finally:
        office.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
