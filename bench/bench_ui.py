"""UI latency, measured on the real app under Pilot (headless, 120×40) on the demo office.

Figures: inbox first rows after unlock, case list first rows after F3, keypress down / pagedown in the
case list (p50/p95 over ~60 presses each), case detail data on screen for the case with the most
timeline items (at least 200: see bench_cases.long_case). Pilot itself costs tens of ms per awaited action, so each figure is shown raw and as
the app's own cost: raw minus the median of a key that does nothing, measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from bench.harness import Ctx, Row

SIZE = (120, 40)
PRESSES = 60
BASELINE_PRESSES = 30
UNLOCKS = 4  # inbox after unlock: the automatic first unlock, then typed ones (one figure is too noisy)
NOOP_KEY = "f12"  # bound to nothing in the app


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]


async def _until(pilot, condition: Callable[[], bool], timeout: float = 30.0) -> float:
    """Let the app run until `condition()` holds, then until it is idle (the new state painted).

    Returns the time the condition was first seen to hold."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await asyncio.sleep(0.001)
    held = time.perf_counter()
    await pilot.pause()
    return held


async def _measure(path, passphrase: str, case_id: str) -> dict[str, float | list[float]]:
    from mpoffice_tui.ui.widgets.paged_table import PagedTable
    from mpoffice_tui.ui.widgets.timeline import Timeline

    out: dict[str, float | list[float]] = {}
    # table id -> (time, cursor) of its first frame with rows since the cursor last moved
    painted: dict[str, tuple[float, int]] = {}
    render_lines = PagedTable.render_lines

    def spy(table: PagedTable, crop):
        lines = render_lines(table, crop)
        key = table.id or ""
        if table.row_count and table.row_at(int(table.scroll_y)) is not None and \
                table.row_at(table.cursor) is not None and painted.get(key, (0, None))[1] != table.cursor:
            painted[key] = (time.perf_counter(), table.cursor)  # rows drawn, counted or not
        return lines

    timeline_lines = Timeline.render_lines

    def timeline_spy(timeline: Timeline, crop):
        lines = timeline_lines(timeline, crop)
        if timeline.items and "timeline" not in painted:
            painted["timeline"] = (time.perf_counter(), len(timeline.items))
        return lines

    PagedTable.render_lines = spy  # type: ignore[method-assign]
    Timeline.render_lines = timeline_spy  # type: ignore[method-assign]
    try:
        return await _run(path, passphrase, case_id, out, painted)
    finally:
        PagedTable.render_lines = render_lines  # type: ignore[method-assign]
        Timeline.render_lines = timeline_lines  # type: ignore[method-assign]


async def _run(path, passphrase: str, case_id: str, out: dict, painted: dict) -> dict[str, float | list[float]]:
    from textual.widgets import Input

    from mpoffice_tui.config import Settings
    from mpoffice_tui.ui.app import make_app
    from mpoffice_tui.ui.screens.case_list import CasesScreen
    from mpoffice_tui.ui.screens.inbox import InboxScreen
    from mpoffice_tui.ui.screens.unlock import UnlockScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    app = make_app(path, passphrase=passphrase, settings=Settings(idle_lock_minutes=0))
    unlocked: list[float] = []
    original = app.office_unlocked

    def office_unlocked(office, name: str = "") -> None:
        unlocked.append(time.perf_counter())
        original(office, name)

    app.office_unlocked = office_unlocked  # type: ignore[method-assign]

    try:
        async with app.run_test(size=SIZE) as pilot:
            inbox: list[float] = []
            for n in range(UNLOCKS):  # unlock, lock, and unlock again by typing the passphrase
                if n:
                    await app.lock("bench")
                    await _until(pilot, lambda: isinstance(app.screen, UnlockScreen) and not app.screen.busy)
                    painted.pop("messages", None)
                    await pilot.pause(1.5)  # a person types the passphrase (the app builds the Inbox meanwhile)
                    app.screen.query_one("#passphrase", Input).value = passphrase
                    await pilot.press("enter")
                await _until(pilot, lambda: isinstance(app.screen, InboxScreen) and "messages" in painted,
                             timeout=120)
                inbox.append((painted["messages"][0] - unlocked[-1]) * 1000)
                await pilot.pause(1.5)  # the caseworker reads the first message (the app builds Cases meanwhile)
            out["inbox"] = inbox

            base: list[float] = []
            for _ in range(BASELINE_PRESSES):
                t0 = time.perf_counter()
                await pilot.press(NOOP_KEY)
                await pilot.pause()
                base.append((time.perf_counter() - t0) * 1000)
            out["baseline"] = base

            t0 = time.perf_counter()
            await pilot.press("f3")
            await _until(pilot, lambda: isinstance(app.screen, CasesScreen) and "cases" in painted)
            out["f3"] = (time.perf_counter() - t0) * 1000
            out["f3_frame"] = (painted["cases"][0] - t0) * 1000
            table = app.screen.query_one("#cases", PagedTable)
            await pilot.pause(0.3)

            for key, name in (("down", "down"), ("pagedown", "pagedown")):
                times, frames = [], []
                for _ in range(PRESSES):
                    before = table.cursor
                    if before >= table.row_count - 1:  # a small office: the end of the list
                        break
                    t0 = time.perf_counter()
                    await pilot.press(key)
                    await _until(pilot, lambda b=before, t=t0: table.cursor != b and table.cursor_row is not None
                                 and painted["cases"][1] == table.cursor and painted["cases"][0] > t)
                    times.append((time.perf_counter() - t0) * 1000)
                    frames.append((painted["cases"][0] - t0) * 1000)
                out[name] = times
                out[name + "_frame"] = frames

            # first a case from the list (the detail screen is built then), and back; then the long case
            # twice in that reused screen: as after a few cases, and again
            first = table.cursor_row.id if table.cursor_row is not None else case_id
            for name, cid in (("detail_first", first), ("detail", case_id), ("detail_again", case_id)):
                painted.pop("timeline", None)
                t0 = time.perf_counter()
                await app.push_screen(app.case_screen(cid))
                await _until(pilot, lambda: "timeline" in painted, timeout=60)
                out[name] = (painted["timeline"][0] - t0) * 1000
                out[name + "_items"] = float(painted["timeline"][1])
                await pilot.pause(0.3)
                app.pop_screen()
                await _until(pilot, lambda: isinstance(app.screen, CasesScreen))
                await pilot.pause(0.3)
    except Exception as exc:  # noqa: BLE001
        if "detail_again" not in out:
            raise
        # every figure is in: an error while the app shuts down (a Textual race seen with the
        # inbox's Tabs) does not spoil them
        out["teardown_error"] = repr(exc)  # type: ignore[assignment]
    return out


def measure(ctx: Ctx) -> dict[str, float | list[float]]:
    from bench.bench_cases import long_case

    path, case_id, _ = long_case(ctx)
    with ctx.closed():
        return asyncio.run(_measure(path, ctx.passphrase, case_id))


def rows(ctx: Ctx) -> list[Row]:
    m = measure(ctx)
    base = statistics.median(m["baseline"])  # type: ignore[arg-type]
    out = [Row.info("ui: Pilot baseline (a key that does nothing)", base, "ms",
                    f"median of {BASELINE_PRESSES}; subtracted below")]
    inbox: list[float] = m["inbox"]  # type: ignore[assignment]
    out.append(Row.at_most("ui: inbox first rows after unlock", statistics.median(inbox), "ms", 150,
                           f"median of {len(inbox)} unlocks ({', '.join(f'{v:.0f}' for v in inbox)} ms), "
                           "from unlocked to the first frame of the table with rows"))
    f3, f3_frame = m["f3"], m["f3_frame"]
    out.append(Row.at_most("ui: case list first rows after F3", f3_frame, "ms", 100,  # type: ignore[arg-type]
                           f"press to first frame with rows; raw (press+idle) {f3:.0f} ms, "
                           f"raw - baseline {f3 - base:.0f} ms"))  # type: ignore[operator]
    for name in ("down", "pagedown"):
        times: list[float] = m[name]  # type: ignore[assignment]
        frames: list[float] = m[name + "_frame"]  # type: ignore[assignment]
        p50, p95 = statistics.median(times), _pct(times, 95)
        out.append(Row.at_most(f"ui: case list {name}: key to frame p95", _pct(frames, 95), "ms", 30,
                               f"frame p50 {statistics.median(frames):.0f}; raw p50 {p50:.0f} / p95 {p95:.0f}; "
                               f"raw - baseline p50 {p50 - base:.0f} / p95 {p95 - base:.0f}; {len(times)} presses"))
    detail = m["detail"]
    out.append(Row.at_most("ui: case detail data on screen", detail, "ms", 60,  # type: ignore[arg-type]
                           f"{m['detail_items']:.0f} timeline items, open to the first frame of the timeline; "
                           f"again {m['detail_again']:.0f} ms; the first case opened after unlock "
                           f"({m['detail_first_items']:.0f} items; its screen built while the inbox was read) "
                           f"{m['detail_first']:.0f} ms"))
    return out
