"""Electoral register: import rows/s (including FTS indexing) and lookup p95 over 110k electors.

A synthetic Xpress export (made-up names, no real people) is written to the scratch folder, imported
into a scratch office, then searched with a mix of names (with typos, accents, initials, reversed),
postcodes, addresses and elector numbers. The demo office's own register is searched too when it has one.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bench.harness import Row

N_ELECTORS = 110_000
FORENAMES = ["Siobhán", "Patrick", "Mary", "John", "Aisha", "Mohammed", "Zoë", "René", "Chloé", "Jan", "Anjali",
             "Tom", "Sue", "Áine", "Kasia", "Oliver", "Amelia", "Harry", "Isla", "Jack", "Olivia", "George",
             "Emily", "Noah", "Ava", "Leo", "Grace", "Oscar", "Freya", "Arthur", "Ivy", "Muhammad", "Fatima"]
SURNAMES = ["Ó Súilleabháin", "O'Brien-Smythe", "Smith", "Jones", "Patel", "Khan", "Lefèvre", "Brontë",
            "Kowalski", "Ashworth", "Nowak", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
            "Thomas", "Roberts", "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White",
            "Mac Giolla Phádraig", "Hughes", "Edwards", "Green", "Hall", "Begum", "Hussain", "Ahmed"]
STREETS = ["Acacia Avenue", "Mill Street", "Church Lane", "Bank Street", "Peel Street", "Union Road",
           "Manchester Road", "Colne Road", "Todmorden Road", "Yorkshire Street"]


def write_export(path: Path, n: int, seed: int = 5) -> list[tuple[str, str, str, str]]:
    rnd = random.Random(seed)
    head = ["Elector Number Prefix", "Elector Number", "Elector Number Suffix", "Elector Markers", "Elector DOB",
            "Elector Surname", "Elector Forename", "PostCode", "Address1", "Address2", "Address3", "Address4",
            "Address5", "Address6", "UPRN"]
    lines, samples = ["\t".join(head)], []
    eno, house = 0, 0
    while eno < n:
        house += 1
        pd = f"{'ABCDEFGH'[house % 8]}{'ABCDEFGH'[(house // 8) % 8]}{house % 9 + 1}"
        pc = f"BB{house % 12 + 1}{(house // 12) % 10} {house % 9 + 1}{'ABDEFGHJLN'[house % 10]}{'PQRSTUWXYZ'[(house // 10) % 10]}"
        street = f"{house % 300 + 1} {STREETS[house % len(STREETS)]}"
        for _ in range(rnd.choice([1, 1, 2, 2, 2, 3, 4])):
            eno += 1
            f, s = rnd.choice(FORENAMES), rnd.choice(SURNAMES)
            f2 = f + rnd.choice(["", "", "", " Ann", " Lee", " James", " Marie"])
            lines.append("\t".join([pd, str(eno), "0", "", "", s + str(rnd.randint(1, 300)), f2, pc, street, "",
                                    "Burnley", "", "", "", f"{100000000 + house:012d}"]))
            if rnd.random() < 0.002:
                samples.append((f2, s, pc, f"{pd}-{eno}"))
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return samples


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def queries(samples, rnd: random.Random) -> list[str]:
    out = []
    for f, s, pc, number in samples:
        first = f.split()[0]
        out += [f"{f} {s}", f"{_typo(first, rnd)} {s}", f"{first[0]} {s}", f"{s} {first}", pc.replace(" ", "").lower(),
                number]
    out += ["Siobhan O Sullivan", "obrien smythe", "Rene Lefevre", "12 Acacia Avenue", "BB10", "Nobody Atall"]
    return out


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)


def time_lookups(office, qs: list[str]) -> tuple[float, float]:
    from mpoffice_tui.services import register as reg

    reg.lookup(office, "warm up")  # loads the name vocabulary once
    times = []
    for q in qs:
        t = time.perf_counter()
        reg.lookup(office, q)
        times.append((time.perf_counter() - t) * 1000)
    return p95(times), statistics.median(times)


def rows(ctx) -> list[Row]:
    from mpoffice_tui.db.engine import create_office
    from mpoffice_tui.services import register as reg

    out: list[Row] = []
    export = Path(ctx.tmp) / "benchtown_xpress_2025-01-01.tsv"
    samples = write_export(export, N_ELECTORS)
    office = create_office(Path(ctx.tmp) / "register-bench.mpo", office_name="bench", mp_name="bench",
                           staff_name="Bench", passphrase="bench passphrase").office
    try:
        summary = reg.import_register(office, [export])
        out.append(Row.at_least("register import (110k electors, incl. FTS)", round(summary.rows_per_second),
                                "rows/s", 20_000, f"{summary.imported:,} rows in {summary.seconds:.2f} s"))
        qs = queries(samples, random.Random(7))
        worst, median = time_lookups(office, qs)
        out.append(Row.at_most("register lookup p95 (110k electors)", round(worst, 1), "ms", 25,
                               f"{len(qs)} mixed queries, median {median:.1f} ms"))
    finally:
        office.close()
        export.unlink(missing_ok=True)
    try:
        with ctx.office.engine.connect() as conn:
            held = conn.exec_driver_sql("SELECT count(*) FROM electors").scalar() or 0
        if held:
            worst, median = time_lookups(ctx.office, ["Smith", "J Smith", "Jonathon Smtih", "BB10 1AA",
                                                      "Mary Jones", "12 High Street", "AB1-12"] * 5)
            out.append(Row.at_most("register lookup p95 (demo office)", round(worst, 1), "ms", 25,
                                   f"{held:,} electors, median {median:.1f} ms"))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails the run
        out.append(Row.failed("register lookup p95 (demo office)", str(exc)))
    return out
