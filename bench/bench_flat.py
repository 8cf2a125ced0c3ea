"""Flat costs (issue 13 point 4): constituent search, register lookup over mixed queries (including
electors linked to known constituents), `mpoffice lookup NAME` from a shell, and deep pages of the case
list and an inbox lane, by OFFSET and by key.

The reads run in a fresh process (`bench/_flat_probe.py`), ROUNDS times; every figure gives its sample
count, median, p95 and spread. With `MPOFFICE_BENCH_BASELINE=CODE_DIR:DB` the same probe and command also
run with an older checkout of the code (`CODE_DIR`, e.g. `git archive main | tar -x -C DIR`) against its
own copy of the office (`DB`, not yet migrated by this code), interleaved with this code's runs, and each
note adds the baseline's figure measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Ctx, Row

HERE = Path(__file__).resolve().parent
ROUNDS = 3
CLI_RUNS = 7
LOOKUP_NAME = "Smith"


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)


def spread(xs: list[float]) -> str:
    return (f"n={len(xs)}, median {statistics.median(xs):.1f}, p95 {p95(xs):.1f}, "
            f"range {min(xs):.1f}–{max(xs):.1f} ms")


def _env(code: Path | None, ctx: Ctx) -> dict[str, str]:
    env = dict(os.environ, MPOFFICE_NO_KEYRING="1", MPOFFICE_HOME=str(ctx.tmp / "home"))
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def _probe(db: Path, passphrase: str, env: dict[str, str], cwd: Path) -> dict[str, list[float]]:
    out = subprocess.run([sys.executable, str(HERE / "_flat_probe.py"), str(db), passphrase], capture_output=True,
                         text=True, env=env, timeout=900, cwd=cwd)
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _lookup_once(db: Path, secret: Path, env: dict[str, str], cwd: Path) -> float:
    """Wall milliseconds of `mpoffice lookup NAME` in a fresh interpreter."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(db), "--passphrase-file", str(secret),
                          "lookup", LOOKUP_NAME], capture_output=True, text=True, env=env, timeout=120, cwd=cwd)
    ms = (time.perf_counter() - t) * 1000
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["no output"])[-1])
    return ms


def _import_ms(db: Path, secret: Path, env: dict[str, str], cwd: Path) -> float:
    """Milliseconds `mpoffice lookup` spends importing modules (`python -X importtime`, top-level sum)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mpoffice_tui", "--db", str(db),
                          "--passphrase-file", str(secret), "lookup", LOOKUP_NAME], capture_output=True,
                         text=True, env=env, timeout=120, cwd=cwd)
    total = 0
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|", 2)
            if not name.startswith("  ") and cumulative.strip().isdigit():
                total += int(cumulative)
    return total / 1000


def _baseline() -> tuple[Path, Path] | None:
    raw = os.environ.get("MPOFFICE_BENCH_BASELINE", "")
    if not raw:
        return None
    code, _, db = raw.partition(":")
    return Path(code), Path(db)


def rows(ctx: Ctx) -> list[Row]:
    base = _baseline()
    secret = ctx.tmp / "flat-passphrase.txt"
    secret.write_text(ctx.passphrase + "\n", encoding="utf-8")
    runs: dict[str, dict[str, list[float]]] = {"new": {}, "base": {}}
    with ctx.closed() as db:
        sides = [("new", None, db, HERE.parent)]
        if base is not None:  # run from the old checkout's folder so `-m mpoffice_tui` finds its code first
            sides.insert(0, ("base", base[0], base[1], base[0]))
        for _ in range(ROUNDS):
            for side, code, path, cwd in sides:
                for name, xs in _probe(path, ctx.passphrase, _env(code, ctx), cwd).items():
                    runs[side].setdefault(name, []).extend(xs)
        for _side, code, path, cwd in sides:
            _lookup_once(path, secret, _env(code, ctx), cwd)  # warm the OS file cache
        for _ in range(CLI_RUNS):
            for side, code, path, cwd in sides:
                runs[side].setdefault("cli lookup", []).append(_lookup_once(path, secret, _env(code, ctx), cwd))
        for side, code, path, cwd in sides:
            runs[side]["cli imports"] = [_import_ms(path, secret, _env(code, ctx), cwd) for _ in range(3)]
    new, old = runs["new"], runs["base"]

    def note(name: str) -> str:
        text = spread(new[name])
        return text + (f"; baseline {spread(old[name])}" if name in old else "")

    out = [
        Row.at_most("constituent search p95", round(p95(new["constituent search"]), 1), "ms", 20,
                    note("constituent search")),
        Row.at_most("register lookup p95 (mixed, linked electors)", round(p95(new["register lookup"]), 1), "ms", 25,
                    note("register lookup")),
        Row.at_most("`mpoffice lookup NAME` cold (median)", round(statistics.median(new["cli lookup"])), "ms", 400,
                    note("cli lookup")),
        Row.info("`mpoffice lookup NAME`: importing", round(statistics.median(new["cli imports"])), "ms",
                 note("cli imports")),
    ]
    for lane in ("case list", "inbox lane"):
        first = statistics.median(new[f"{lane} first page"])
        for how in ("by key", "offset"):
            name = f"{lane} deep page ({how})"
            if name in new:
                deep = statistics.median(new[name])
                row = Row.at_most if how == "by key" else Row.info
                args = (f"{lane}: deep page / first page ({how})", round(deep / max(first, 0.01), 1), "×")
                out.append(row(*args, 2, note(name)) if how == "by key" else row(*args, note(name)))
    return out
