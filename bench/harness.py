"""The benchmark harness: build (or reuse) the demo office, run every `bench/bench_*.py`, print a table.

Each module defines `rows(ctx) -> list[Row]`. Benchmarks report; they never fail the run.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import shutil
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


@dataclass
class Row:
    """One measured figure. `budget` is shown as written (e.g. "≤ 1.3×", "≥ 300/s"); `ok` is the verdict
    (None when there is no budget or the figure could not be measured)."""

    name: str
    value: float | None
    unit: str = ""
    budget: str = ""
    ok: bool | None = None
    note: str = ""

    @classmethod
    def at_most(cls, name: str, value: float | None, unit: str, limit: float, note: str = "") -> Row:
        ok = None if value is None else value <= limit
        return cls(name, value, unit, f"≤ {limit:g} {unit}".strip(), ok, note)

    @classmethod
    def at_least(cls, name: str, value: float | None, unit: str, limit: float, note: str = "") -> Row:
        ok = None if value is None else value >= limit
        return cls(name, value, unit, f"≥ {limit:g} {unit}".strip(), ok, note)

    @classmethod
    def info(cls, name: str, value: float | None, unit: str = "", note: str = "") -> Row:
        return cls(name, value, unit, "", None, note)

    @classmethod
    def failed(cls, name: str, note: str) -> Row:
        return cls(name, None, "", "", None, note)


@dataclass
class Ctx:
    """What a benchmark module gets: the open demo office and where it lives."""

    path: Path
    passphrase: str
    tmp: Path
    size: str
    build_seconds: float | None = None  # set when the office was built in this run
    memo: dict[str, object] = field(default_factory=dict)  # shared between modules within one run
    _office: object | None = field(default=None, repr=False)

    @property
    def office(self):
        """The open office (opened on first use; one per run)."""
        if self._office is None:
            from mpoffice_tui.db.engine import open_office

            self._office = open_office(self.path, self.passphrase, use_keyring=False)
        return self._office

    @contextmanager
    def closed(self) -> Iterator[Path]:
        """Close the office for a while (so a subprocess can open it), reopening it on next use."""
        if self._office is not None:
            self._office.close()  # type: ignore[attr-defined]
            self._office = None
        yield self.path

    def scratch_copy(self, name: str = "scratch") -> Path:
        """A private copy of the demo office (database and key slots) in `tmp`, for benchmarks that write."""
        from mpoffice_tui import paths

        if self._office is not None:  # fold the WAL in so the copy is complete
            with self._office.engine.connect() as conn:  # type: ignore[attr-defined]
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        target = self.tmp / name / self.path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        shutil.copyfile(paths.keyslots_for(self.path), paths.keyslots_for(target))
        return target

    def close(self) -> None:
        if self._office is not None:
            self._office.close()  # type: ignore[attr-defined]
            self._office = None


def median_time(fn: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of `fn()` in seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# -- the cached demo office ----------------------------------------------------------------------------
def _fingerprint() -> str:
    """Changes whenever the demo builder or the schema changes, so a stale cache is rebuilt."""
    import mpoffice_tui.demo as demo
    from mpoffice_tui.db.engine import migrations

    h = hashlib.sha256(Path(demo.__file__).read_bytes())
    for version, sql in migrations():
        h.update(f"{version}:{sql}".encode())
    return h.hexdigest()[:16]


def demo_office(size: str, rebuild: bool = False) -> tuple[Path, str, float | None]:
    """The cached demo office of this size: (path, passphrase, build seconds or None if reused)."""
    from mpoffice_tui import demo, paths

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"demo-{size}.mpo"
    stamp = CACHE / f"demo-{size}.stamp"
    fp = _fingerprint()
    if not rebuild and path.exists() and stamp.exists() and stamp.read_text() == fp:
        return path, demo.DEMO_PASSPHRASE, None
    for f in (path, paths.keyslots_for(path), path.with_name(path.name + "-wal"),
              path.with_name(path.name + "-shm"), stamp):
        f.unlink(missing_ok=True)
    t0 = time.perf_counter()
    office = demo.build(path, size=size, passphrase=demo.DEMO_PASSPHRASE)
    with office.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    office.close()
    seconds = time.perf_counter() - t0
    stamp.write_text(fp)
    return path, demo.DEMO_PASSPHRASE, seconds


# -- running -----------------------------------------------------------------------------------------
def discover(only: str | None = None) -> list[str]:
    """Names of the bench modules (`bench.bench_*`), in order, filtered by `only` (a substring)."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if only:
        names = [n for n in names if only in n]
    return [f"bench.{n}" for n in names]


def run(size: str = "full", only: str | None = None, rebuild: bool = False,
        echo: Callable[[str], None] = print) -> list[Row]:
    echo(f"demo office ({size}): preparing ...")
    path, passphrase, seconds = demo_office(size, rebuild)
    echo(f"demo office ({size}): {path}" + (f" built in {seconds:.1f} s" if seconds else " (cached)"))
    rows: list[Row] = []
    if seconds is not None:
        rows.append(Row.info(f"demo build ({size})", seconds, "s", "built in this run"))
    with tempfile.TemporaryDirectory(prefix="mpoffice-bench-") as tmp:
        ctx = Ctx(path=path, passphrase=passphrase, tmp=Path(tmp), size=size, build_seconds=seconds)
        try:
            for name in discover(only):
                echo(f"running {name} ...")
                try:
                    module = importlib.import_module(name)
                    rows += list(module.rows(ctx))
                except Exception as exc:  # noqa: BLE001 - a broken benchmark is a row, not a crash
                    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    rows.append(Row.failed(name.removeprefix("bench."), f"error: {last}"))
                _fresh_process_state()
        finally:
            ctx.close()
    return rows


def _fresh_process_state() -> None:
    """Undo what a module that ran the app in this process left behind for the next ones: the app holds every
    SQLite page cache of the process to one budget (`engine.limit_page_caches`, a process-wide limit) and
    freezes the objects it imported out of the cycle collector. Left in place, a later module's imports and
    lookups ran under the app's cache budget (mail import into an empty office: 1,024 msg/s instead of 1,681)."""
    import gc

    from mpoffice_tui.db.engine import limit_page_caches

    limit_page_caches(0)  # SQLite: 0 is no limit
    gc.unfreeze()


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    """A plain-text table: name, measured, budget, ok, note."""
    head = ("benchmark", "measured", "budget", "ok", "note")
    body = [(r.name, f"{_fmt(r.value)} {r.unit}".strip(), r.budget,
             {True: "ok", False: "OVER", None: "-"}[r.ok], r.note) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
             for line in [head, tuple("-" * w for w in widths), *body]]
    return "\n".join(lines)
