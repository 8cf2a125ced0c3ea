"""Mail benchmarks: import rate (msgs/s incl. matching, campaigns, FTS), matching one message, inbox first rows.

    rows(ctx) -> list[Row]     (bench harness: ctx.office is the demo office, ctx.tmp a scratch folder)
    python bench/bench_mail.py [N_INBOX]   standalone: a scratch office with N_INBOX synthetic messages
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

PASS = "bench passphrase"


def _row(name, value, unit, budget, ok, note=""):
    try:
        from bench.harness import Row
    except ImportError:  # standalone run
        from collections import namedtuple

        Row = namedtuple("Row", "name value unit budget ok note")
    return Row(name, value, unit, budget, ok, note)


def make_mbox(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    words = ["housing", "council", "benefit", "repair", "damp", "landlord", "school", "place", "visa", "passport", "appeal", "pension", "universal", "credit", "hospital", "waiting", "list", "pothole", "bins", "parking", "noise", "planning"]
    out = []
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randrange(60, 200)))
        out.append(f"From x@y Mon Jan 1 00:00:00 2026\nFrom: Person {i} <p{i}@example.org>\n"
                   f"To: office@example.org\nSubject: Help with {rng.choice(words)} {i}\n"
                   f"Date: Mon, 05 Jan 2026 10:{i % 60:02d}:00 +0000\nMessage-ID: <bench-{seed}-{i}@example.org>\n\n"
                   f"Dear MP,\n\n{body}\n\nRegards,\nPerson {i}\n")
    path.write_text("\n".join(out), encoding="utf-8")


def bench_import(office, tmp: Path, n: int = 2000) -> float:
    from mpoffice_tui.services import inbox

    f = tmp / "bench.mbox"
    make_mbox(f, n, seed=int(time.time()))
    t = time.perf_counter()
    report = inbox.import_paths(office, [f])
    dt = time.perf_counter() - t
    assert report.imported == n, report.as_dict()
    return n / dt


def bench_match(office) -> float:
    from mpoffice_tui.services.matching import Matcher

    times = []
    with office.engine.connect() as conn:
        m = Matcher(conn)
        for i in range(200):
            t = time.perf_counter()
            m.match(subject=f"Re: your ref A-{i:05d}", body="Thanks.\n\nKind regards,\nJo Bloggs\nAB1 2CD",
                    sender_email=f"p{i}@example.org", sender_name="Jo Bloggs", in_reply_to=f"<bench-1-{i}@x>",
                    references=())
            times.append((time.perf_counter() - t) * 1000)
    return statistics.quantiles(times, n=20)[18]


def bench_first_rows(office) -> float:
    from mpoffice_tui.services import inbox

    times = []
    for lane in ("new", "done", "suggested", "campaign") * 5:
        t = time.perf_counter()
        inbox.list_inbox(office, lane, limit=50)
        times.append((time.perf_counter() - t) * 1000)
    return max(times)


def rows(ctx) -> list:
    from mpoffice_tui.db.engine import create_office

    scratch = create_office(Path(ctx.tmp) / "mail-bench.mpo", office_name="Bench", mp_name="MP",
                            staff_name="Bench", passphrase=PASS).office
    try:
        rate = bench_import(scratch, Path(ctx.tmp))
    finally:
        scratch.close()
    with ctx.office.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM messages").fetchone()[0]
    p95 = bench_match(ctx.office)
    first = bench_first_rows(ctx.office)
    return [_row("mail import", round(rate), "msg/s", ">= 300", rate >= 300, "2000-message mbox, new office"),
            _row("match one message p95", round(p95, 2), "ms", "<= 20", p95 <= 20, f"{total} messages"),
            _row("inbox first rows (worst lane)", round(first, 1), "ms", "<= 150", first <= 150,
                 f"{total} messages")]


def _fill(office, n: int) -> None:
    """Synthetic messages straight through the write path (bulk), spread over lanes."""
    from mpoffice_tui.db.models import Message
    from mpoffice_tui.importers.mail.parse import content_hash

    rng = random.Random(5)
    lanes = ["done"] * 8 + ["new", "suggested", "campaign", "auto_filed"]
    for start in range(0, n, 10_000):
        batch = []
        for i in range(start, min(n, start + 10_000)):
            body = f"message {i} about housing repairs and benefits"
            batch.append({"channel": "email", "sender_name": f"Person {i}", "sender_email": f"p{i}@example.org",
                          "subject": f"Subject {i}", "body_text": body,
                          "received_at": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
                          "message_id_header": f"<fill-{i}@x>", "content_hash": content_hash(body.encode()),
                          "triage": rng.choice(lanes)})
        with office.writing() as w:
            w.insert_many(Message, batch)


if __name__ == "__main__":
    from mpoffice_tui.db.engine import create_office

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as d:
        office = create_office(Path(d) / "b.mpo", office_name="B", mp_name="MP", staff_name="B", passphrase=PASS).office
        t = time.perf_counter()
        _fill(office, n)
        print(f"filled {n} messages in {time.perf_counter() - t:.1f}s")
        print(f"import: {bench_import(office, Path(d)):.0f} msg/s (into an office of {n})")
        print(f"match one message p95: {bench_match(office):.2f} ms")
        print(f"inbox first rows (worst lane): {bench_first_rows(office):.1f} ms")
        office.close()
