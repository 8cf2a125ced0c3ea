"""Five years of a busy office (issue 13, points 2, 3 and 5): what grows with the office, measured honestly.

- the database file (DESIGN §6: ≤ 1.2 GB at full size) and what is left of the op log;
- the real TUI headless under Pilot, each sample a fresh process (`bench/_tui_probe.py`): RSS after unlock
  and after visiting every screen (≤ 200 MB), the case list's first rows after the first F3 (cold) and
  after later ones (warm);
- a new machine joining by snapshot, invite and join each in a process of its own (`bench/_join_probe.py`):
  time, the enrolment file, peak RSS;
- sync of 10k field changes into the full office's op log (the joined replica; ≤ 2 s), several samples;
- mail import of realistic mail (a share from known constituents about their cases) into the office against
  an empty one, interleaved, as a ratio of medians (≤ 1.5×).

Run it at each size to see growth: `python -m bench --size small|full|huge --only scale`. Every figure
says how many samples it is and their spread.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Ctx, Row

HERE = Path(__file__).resolve().parent
TUI_RUNS = 3
SYNC_RUNS = 3
MAIL_RUNS = 5
# Mail imported into the office's copy before the samples. The demo office's indexes are packed full (built at
# once, then VACUUM, as after `mpoffice sync compact`): there nearly every message's random index entries split a
# page, and the first imports wrote 2.5x the pages they do once the pages have split, as in an office that grew by
# use. The first batch is shown apart: the cost right after a VACUUM.
WARM_UP = 10_000
FULL_FILE_BUDGET_GB = 1.2  # DESIGN §6: the full office's database file
MAIL_N = 2000
KNOWN_SHARE = 0.4  # of imported mail: from a known constituent, about their case (by its reference)
CHANGES_ROWS, FIELDS = 2000, ("surname", "phone", "town", "postcode", "email")  # 10k field changes
INVITE = "bench invitation words"


def spread(values: list[float], unit: str = "", fmt: str = "{:.0f}") -> str:
    """"n=3, median M (min–max)" for a note."""
    if not values:
        return "no samples"
    lo, hi = min(values), max(values)
    return (f"n={len(values)}, median {fmt.format(statistics.median(values))}{unit} "
            f"({fmt.format(lo)}–{fmt.format(hi)}{unit})")


def _child(script: str, *args: str, timeout: float = 1800) -> dict:
    done = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=HERE.parent)
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- size -----------------------------------------------------------------------------------------------
def size_rows(ctx: Ctx) -> list[Row]:
    path = Path(ctx.path)
    with ctx.office.engine.connect() as conn:
        ops = conn.exec_driver_sql("SELECT count(*) FROM ops").scalar()
        messages = conn.exec_driver_sql("SELECT count(*) FROM messages").scalar()
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()) / 1e9
    note = f"{messages:,} messages; {ops:,} ops left in the log after compaction (inserts folded into their rows)"
    if ctx.size != "full":  # DESIGN §6 sets the budget for the full office; other sizes show how it grows
        return [Row.info("database file", size, "GB", note + f"; {size / FULL_FILE_BUDGET_GB:.2f}× the full "
                         f"office's budget of {FULL_FILE_BUDGET_GB} GB")]
    return [Row.at_most("database file", size, "GB", FULL_FILE_BUDGET_GB, note)]


# -- the real TUI -----------------------------------------------------------------------------------------
def tui_rows(ctx: Ctx) -> list[Row]:
    runs = []
    with ctx.closed() as path:
        for _ in range(TUI_RUNS):
            runs.append(_child("_tui_probe.py", str(path), ctx.passphrase))
    screens = list(runs[0]["rss"])
    worst = {s: max(r["rss"][s] for r in runs) for s in screens}
    unlock = [r["rss"]["unlock"] for r in runs]
    after = [max(r["rss"].values()) for r in runs]
    peak = [r["peak"] for r in runs]
    cold = [r["f3_cold"] for r in runs]
    warm = [v for r in runs for v in r["f3_warm"]]
    per = ", ".join(f"{s} {worst[s]:.0f}" for s in screens)
    return [
        Row.at_most("tui: RSS after unlock", statistics.median(unlock), "MB", 200, spread(unlock, " MB")),
        Row.at_most("tui: RSS after visiting every screen", max(after), "MB", 200,
                    f"worst of {spread(after, ' MB')}; per screen, worst: {per}; peak (VmHWM, Argon2's 64 MiB "
                    f"included) {spread(peak, ' MB')}"),
        Row.at_most("tui: case list first rows after F3, cold", statistics.median(cold), "ms", 100,
                    spread(cold, " ms") + "; the first F3 of a fresh process, press to first frame with rows"),
        Row.at_most("tui: case list first rows after F3, warm", statistics.median(warm), "ms", 100,
                    spread(warm, " ms") + f"; F2 then F3 again, {len(warm) // TUI_RUNS} per process"),
    ]


# -- joining by snapshot, then sync into the full office ---------------------------------------------------
def _change(office, ids: list[str], n: int) -> None:
    from mpoffice_tui.db.models import Constituent

    with office.writing() as w:
        for i, row_id in enumerate(ids):
            obj = w.get(Constituent, row_id)
            w.update(obj, surname=f"Surname {n}-{i}", phone=f"07700 9{i:05d}", town=["Leeds", "York", "Hull"][(i + n) % 3],
                     postcode=f"LS{i % 30} {n % 9}AB", email=f"person{n}.{i}@example.org")


def join_and_sync_rows(ctx: Ctx) -> list[Row]:
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.sync import bundle

    a_path = ctx.scratch_copy("join-a")
    folder = ctx.tmp / "join"
    folder.mkdir()
    inv = _child("_join_probe.py", "invite", str(a_path), ctx.passphrase, str(folder), INVITE)
    joined = _child("_join_probe.py", "join", inv["file"], INVITE, str(folder / "b.mpo"))
    Path(inv["file"]).unlink()
    out = [Row.info("join by snapshot: invite (snapshot + sealed file)", inv["seconds"], "s",
                    f"n=1; enrolment file {inv['bytes'] / 1e9:.2f} GB; peak RSS {inv['peak']:.0f} MB"),
           Row.info("join by snapshot: join (authenticate, write, open)", joined["seconds"], "s",
                    f"n=1; {joined['ops']:,} ops held; peak RSS {joined['peak']:.0f} MB (bounded: one 1 MiB chunk "
                    "at a time)")]
    a = open_office(a_path, ctx.passphrase, use_keyring=False)
    b = open_office(folder / "b.mpo", ctx.passphrase, use_keyring=False)
    try:
        with a.engine.connect() as conn:
            ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM constituents WHERE deleted = 0 ORDER BY id "
                                                      "LIMIT ?", (CHANGES_ROWS,))]
        times, exports, imports, new = [], [], [], []
        for n in range(SYNC_RUNS):
            _change(a, ids, n)
            t0 = time.perf_counter()
            done = bundle.export_bundle(a, folder / f"s{n}.mposync")
            t1 = time.perf_counter()
            got = bundle.import_bundle(b, done.path)
            t2 = time.perf_counter()
            exports.append(t1 - t0)
            imports.append(t2 - t1)
            times.append(t2 - t0)
            new.append(got.new)
            done.path.unlink()
            bundle.import_bundle(a, bundle.export_bundle(b, folder / f"ack{n}.mposync").path)  # B acknowledges
    finally:
        a.close()
        b.close()
    out.append(Row.at_most(f"sync: export + import of {len(ids) * len(FIELDS):,} changes into the office",
                           statistics.median(times), "s", 2.0,
                           f"{spread(times, ' s', '{:.2f}')}; export {spread(exports, ' s', '{:.2f}')}, import "
                           f"{spread(imports, ' s', '{:.2f}')}; {statistics.median(new):.0f} new ops each, into a "
                           "replica holding the whole office"))
    return out


# -- mail import: the office against an empty one -------------------------------------------------------------
def realistic_mbox(path: Path, known: list[tuple[str, str, str, str]], n: int, seed: int) -> None:
    """`n` messages: a share from known constituents (name, email) quoting their case reference, the rest
    from strangers; bodies of ordinary casework words."""
    rng = random.Random(seed)
    words = ["housing", "council", "benefit", "repair", "damp", "landlord", "school", "place", "visa", "passport", "appeal", "pension", "universal", "credit", "hospital", "waiting", "list", "pothole", "bins", "parking", "noise", "planning"]
    out = []
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randrange(60, 200)))
        if known and rng.random() < KNOWN_SHARE:
            forenames, surname, email, ref = rng.choice(known)
            sender, subject = f"{forenames} {surname} <{email}>", f"Re: your ref {ref}"
            body += f"\n\nKind regards,\n{forenames} {surname}"
        else:
            sender, subject = f"Person {seed}-{i} <p{seed}.{i}@example.org>", f"Help with {rng.choice(words)} {i}"
        out.append(f"From x@y Mon Jan 1 00:00:00 2026\nFrom: {sender}\nTo: office@example.org\nSubject: {subject}\n"
                   f"Date: Mon, 05 Jan 2026 10:{i % 60:02d}:00 +0000\nMessage-ID: <scale-{seed}-{i}@example.org>\n\n"
                   f"Dear MP,\n\n{body}\n")
    path.write_text("\n".join(out), encoding="utf-8")


def mail_rows(ctx: Ctx) -> list[Row]:
    from mpoffice_tui.db.engine import create_office, open_office
    from mpoffice_tui.services import inbox

    with ctx.office.engine.connect() as conn:
        known = [tuple(r) for r in conn.exec_driver_sql(
            "SELECT k.forenames, k.surname, k.email, c.ref FROM cases c JOIN constituents k ON k.id = c.constituent_id "
            "WHERE c.deleted = 0 AND c.status != 'closed' AND k.email IS NOT NULL AND k.email != '' "
            "ORDER BY c.id LIMIT 2000")]
    full = open_office(ctx.scratch_copy("mail-full"), ctx.passphrase, use_keyring=False)
    empty = create_office(ctx.tmp / "mail-empty" / "empty.mpo", office_name="Empty", mp_name="MP", staff_name="Bench",
                          passphrase=ctx.passphrase).office
    rates: dict[str, list[float]] = {"office": [], "empty": []}
    filed = []

    def import_rate(office, name: str, seed: int) -> float:
        mbox = ctx.tmp / f"mail-{name}-{seed}.mbox"
        realistic_mbox(mbox, known, MAIL_N, seed=seed)
        t0 = time.perf_counter()
        report = inbox.import_paths(office, [mbox])
        rate = report.imported / (time.perf_counter() - t0)
        if name == "office":
            filed.append(report.auto_filed + report.suggested)
        mbox.unlink()
        return rate

    try:
        fresh = import_rate(full, "office", 900)  # right after the build's VACUUM (see WARM_UP)
        for n in range(1, WARM_UP // MAIL_N):
            import_rate(full, "office", 900 + n)
        filed.clear()
        for n in range(MAIL_RUNS):
            for name, office in (("office", full), ("empty", empty)):
                rates[name].append(import_rate(office, name, 1000 + n))
    finally:
        full.close()
        empty.close()
    ratio = statistics.median(rates["empty"]) / statistics.median(rates["office"])
    return [
        Row.info("mail import into the office, right after VACUUM", fresh, "msg/s",
                 f"its first {MAIL_N} messages (n=1): the indexes packed full, so nearly every entry splits a page"),
        Row.at_least("mail import into the office", statistics.median(rates["office"]), "msg/s", 1000,
                     f"{MAIL_N} messages per sample after {WARM_UP:,} imported first, {KNOWN_SHARE:.0%} from known "
                     f"constituents quoting their case; {spread(rates['office'], '/s')}; filed or suggested "
                     f"{spread([float(f) for f in filed])}"),
        Row.info("mail import into an empty office", statistics.median(rates["empty"]), "msg/s",
                 f"the same mail, interleaved; {spread(rates['empty'], '/s')}"),
        Row.at_most("mail import: office time / empty office time", ratio, "×", 1.5, "ratio of the medians"),
    ]


def rows(ctx: Ctx) -> list[Row]:
    out = size_rows(ctx)
    for part in (tui_rows, join_and_sync_rows, mail_rows):
        try:
            out += part(ctx)
        except Exception as exc:  # noqa: BLE001 - one part failing leaves the others' figures
            out.append(Row.failed(f"scale: {part.__name__}", f"error: {str(exc)[:200]}"))
    return out
