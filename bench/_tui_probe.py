"""Child process for the TUI memory and case-list benchmarks: the real app, headless under Pilot.

    python bench/_tui_probe.py DB_PATH PASSPHRASE
Prints one JSON object: RSS (MiB, VmRSS) after unlock, after visiting each screen and after each F2-F3
round trip, the peak (VmHWM),
the case list's first rows after the first F3 (cold: its data never read in this process) and after
each later F3 (warm), each press to the first frame whose table shows rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

WARM = 5  # F3 again, after the inbox each time
SCREENS = ("register", "reminders", "stats", "contacts", "sync", "templates")  # F4 … F9 (F2, F3 measured apart)
KEYS = {"register": "f4", "reminders": "f5", "stats": "f6", "contacts": "f7", "sync": "f8", "templates": "f9"}


def _status(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _settle(app, pilot, condition=lambda: True, timeout: float = 120.0) -> float:
    """Wait for `condition`, then for the app's workers to finish and the screen to be idle (painted)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await asyncio.sleep(0.002)
    held = time.perf_counter()
    while any(w.is_running for w in app.workers) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    await pilot.pause()
    return held


async def probe(path: Path, passphrase: str) -> dict:
    from mpoffice_tui.config import Settings
    from mpoffice_tui.ui.app import make_app
    from mpoffice_tui.ui.screens.case_list import CasesScreen
    from mpoffice_tui.ui.screens.inbox import InboxScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    painted: dict[str, float] = {}
    render_lines = PagedTable.render_lines

    def spy(table: PagedTable, crop):
        lines = render_lines(table, crop)
        if table.row_count and table.row_at(int(table.scroll_y)) is not None and (table.id or "") not in painted:
            painted[table.id or ""] = time.perf_counter()
        return lines

    PagedTable.render_lines = spy  # type: ignore[method-assign]
    out: dict = {"rss": {}}
    app = make_app(path, passphrase=passphrase, settings=Settings(idle_lock_minutes=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot, lambda: isinstance(app.screen, InboxScreen) and "messages" in painted)
        await pilot.pause(1.0)  # the app builds the next screens behind the inbox, as while a person reads
        await _settle(app, pilot)
        out["rss"]["unlock"] = _status("VmRSS")
        painted.pop("cases", None)
        t0 = time.perf_counter()
        await pilot.press("f3")
        await _settle(app, pilot, lambda: isinstance(app.screen, CasesScreen) and "cases" in painted)
        out["f3_cold"] = (painted["cases"] - t0) * 1000
        out["rss"]["cases"] = _status("VmRSS")
        table = app.screen.query_one("#cases", PagedTable)
        await pilot.press("enter")  # a case's detail, and back
        await _settle(app, pilot, lambda: not isinstance(app.screen, CasesScreen))
        out["rss"]["case detail"] = _status("VmRSS")
        await pilot.press("escape")
        await _settle(app, pilot, lambda: isinstance(app.screen, CasesScreen))
        for name in SCREENS:
            await pilot.press(KEYS[name])
            await _settle(app, pilot, lambda n=name: app.current_mode == n)
            out["rss"][name] = _status("VmRSS")
        warm = []
        for n in range(1, WARM + 1):
            await pilot.press("f2")
            await _settle(app, pilot, lambda: isinstance(app.screen, InboxScreen))
            painted.pop("cases", None)
            table.refresh()
            t0 = time.perf_counter()
            await pilot.press("f3")
            await _settle(app, pilot, lambda: isinstance(app.screen, CasesScreen) and "cases" in painted)
            warm.append((painted["cases"] - t0) * 1000)
            out["rss"][f"F2-F3 {n}"] = _status("VmRSS")  # flat when returning to a screen keeps nothing new
        out["f3_warm"] = warm
        out["rss"]["end"] = _status("VmRSS")
        out["peak"] = _status("VmHWM")
    PagedTable.render_lines = render_lines  # type: ignore[method-assign]
    return out


def main() -> None:
    os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")
    print(json.dumps(asyncio.run(probe(Path(sys.argv[1]), sys.argv[2]))))


if __name__ == "__main__":
    main()
