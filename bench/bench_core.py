"""Core figures: first frame (as a ratio to a bare Textual app), database open, unlock, memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Ctx, Row, median_time

HERE = Path(__file__).resolve().parent
RUNS = 7


def _env(ctx: Ctx) -> dict[str, str]:
    env = dict(os.environ)
    env.update(MPOFFICE_NO_KEYRING="1", MPOFFICE_HOME=str(ctx.tmp / "home"))
    return env


def first_frame(mode: str, db: Path, env: dict[str, str]) -> float:
    """Seconds from starting a fresh interpreter to the first painted frame of `mode`'s app."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(HERE / "_first_frame.py"), mode, repr(t0), str(db)],
                         capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{mode}: exit {out.returncode}: {last}")
    return float(out.stdout.strip().splitlines()[-1])


def first_frame_rows(ctx: Ctx, mode: str = "app", runs: int = RUNS) -> list[Row]:
    """The app's first frame against a bare Header/Footer app, interleaved, medians of `runs` each."""
    env = _env(ctx)
    with ctx.closed() as db:
        first_frame("bare", db, env)  # warm the OS file cache for both
        try:
            first_frame(mode, db, env)
        except RuntimeError as exc:
            return [Row.failed("first frame / bare Textual", str(exc)[:120])]
        bare, app = [], []
        for _ in range(runs):
            bare.append(first_frame("bare", db, env))
            app.append(first_frame(mode, db, env))
    b, a = statistics.median(bare), statistics.median(app)
    return [
        Row.at_most("first frame / bare Textual", a / b, "×", 1.2,
                    f"median of {runs}: app {a * 1000:.0f} ms, bare {b * 1000:.0f} ms, headless "
                    f"(best-of ratio {min(app) / min(bare):.2f})"),
    ]


def open_rows(ctx: Ctx) -> list[Row]:
    """A keyed connection and a first query, with the data key already unwrapped (no KDF)."""
    from mpoffice_tui.db.engine import connect_raw

    key = ctx.office.data_key

    def once() -> None:
        conn = connect_raw(ctx.path, key)
        conn.execute("SELECT value FROM office_meta WHERE key = 'office_id'").fetchone()
        conn.close()

    once()
    seconds = median_time(once, runs=15)
    return [Row.at_most("database open (keyed + first query)", seconds * 1000, "ms", 1,
                        "excludes key derivation; median of 15")]


def unlock_rows(ctx: Ctx) -> list[Row]:
    """Argon2id on the passphrase and unwrapping the data key from its slot."""
    from mpoffice_tui import paths
    from mpoffice_tui.db import keys

    def once() -> None:
        keys.KeySlots.load(paths.keyslots_for(ctx.path)).unlock_with_secret(ctx.passphrase)

    seconds = median_time(once, runs=3)
    return [Row.at_most("unlock (Argon2id + slot unwrap)", seconds, "s", 1.0,
                        f"m={keys.ARGON2_MEMORY_KIB // 1024} MiB t={keys.ARGON2_TIME} p={keys.ARGON2_LANES}; "
                        "median of 3")]


def rss_rows(ctx: Ctx) -> list[Row]:
    """Resident memory of a process holding the office open after representative queries."""
    with ctx.closed() as db:
        out = subprocess.run([sys.executable, str(HERE / "_rss.py"), str(db), ctx.passphrase],
                             capture_output=True, text=True, env=_env(ctx), timeout=300)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row.failed(f"RSS, {ctx.size} office open", last[:120])]
    peak, current = (float(x) for x in out.stdout.split())
    return [Row.at_most(f"RSS, {ctx.size} office open", peak, "MB", 250,
                        f"peak incl. Argon2id's 64 MiB (now {current:.0f}) after list, inbox, FTS, lookup")]


def rows(ctx: Ctx) -> list[Row]:
    out: list[Row] = []
    app_exists = (Path(__file__).resolve().parents[1] / "mpoffice_tui" / "ui" / "app.py").exists()
    if app_exists:
        out += first_frame_rows(ctx)
    else:
        out.append(Row.failed("first frame / bare Textual", "mpoffice_tui/ui/app.py does not exist yet"))
    out += open_rows(ctx)
    out += unlock_rows(ctx)
    out += rss_rows(ctx)
    return out
