"""Search everything (DESIGN §6: p95 ≤ 50 ms at full scale): `services.search.search_everything` over the
demo office with ~50 queries in four sets, each reported with its sample count and spread:
one common word, two common words, people's names with a typo (letters swapped), case references
(exact and loosely typed). Every query is run once to warm the page cache and the names vocabulary
(as a person's first keystrokes do), then timed `RUNS` times.
"""

from __future__ import annotations

import random
import statistics
import time

from bench.harness import Row

RUNS = 3
ONE_WORD = ["housing", "council", "benefit", "passport", "universal", "credit", "appeal", "school", "visa",
            "thank", "delay", "repair"]
TWO_WORDS = ["council tax", "universal credit", "housing repair", "thank you", "passport application",
             "benefit claim", "school place", "planning application", "dear ms", "waiting time", "your ref",
             "hip replacement"]


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def query_sets(office, rnd: random.Random) -> dict[str, list[str]]:
    with office.engine.connect() as conn:
        people = conn.exec_driver_sql("SELECT forenames, surname FROM constituents WHERE deleted = 0 "
                                      "ORDER BY random() LIMIT 14").fetchall()
        refs = [r[0] for r in conn.exec_driver_sql("SELECT ref FROM cases ORDER BY random() LIMIT 12")]
    names = [f"{f.split()[0] if f else ''} {_typo(s, rnd)}".strip() for f, s in people]
    loose = [r.split("-")[0].lower() + str(int(r.split("-")[1])) for r in refs[::2]]
    return {"one common word": ONE_WORD, "two common words": TWO_WORDS, "names with a typo": names,
            "references": refs[1::2] + loose}


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)


def time_queries(office, qs: list[str]) -> list[float]:
    from mpoffice_tui.services.search import search_everything

    for q in qs:
        search_everything(office, q)
    times = []
    for _ in range(RUNS):
        for q in qs:
            t = time.perf_counter()
            search_everything(office, q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def rows(ctx) -> list[Row]:
    office = ctx.office
    with office.engine.connect() as conn:
        messages = conn.exec_driver_sql("SELECT count(*) FROM messages").scalar() or 0
    sets = query_sets(office, random.Random(11))
    out: list[Row] = []
    every: list[float] = []
    for name, qs in sets.items():
        times = time_queries(office, qs)
        every += times
        out.append(Row.at_most(f"search everything p95: {name} ({ctx.size})", round(p95(times), 1), "ms", 50,
                               f"{len(qs)} queries × {RUNS}, median {statistics.median(times):.1f}, "
                               f"max {max(times):.1f} ms"))
    count = sum(len(q) for q in sets.values())
    out.insert(0, Row.at_most(f"search everything p95 ({ctx.size}, {messages:,} messages)", round(p95(every), 1),
                              "ms", 50, f"{count} queries × {RUNS} = {len(every)} samples, median "
                              f"{statistics.median(every):.1f}, max {max(every):.1f} ms"))
    return out
