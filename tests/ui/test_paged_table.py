"""PagedTable on its own: 50,000 rows, only visible windows fetched, keyboard and mouse."""

from __future__ import annotations

import threading
import time

from textual.app import App, ComposeResult

from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable

ROWS = 50_000


class TableApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[tuple[int, int]] = []
        self.threads: set[str] = set()
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield PagedTable([Column("N", lambda r: r[0], width=8), Column("Text", lambda r: r[1])], id="t")

    def on_mount(self) -> None:
        def fetch(offset: int, limit: int):
            self.fetches.append((offset, limit))
            self.threads.add(threading.current_thread().name)
            return [(i, f"row {i} [b]x[/b]\x1b[31m") for i in range(offset, min(offset + limit, ROWS))]

        self.query_one(PagedTable).set_source(lambda: ROWS, fetch)

    def on_paged_table_row_selected(self, event: PagedTable.RowSelected) -> None:
        self.selected.append(event.index)


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        await pilot.pause(0.02)


async def test_windowed_fetching_keyboard_and_mouse():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(PagedTable)
        await wait_for(pilot, lambda: table.loaded and table.cursor_row is not None)
        assert table.row_count == ROWS and table.cursor_row[0] == 0
        assert threading.main_thread().name not in app.threads  # fetched in a worker thread
        await pilot.press("down", "down", "pagedown")
        assert table.cursor == 2 + table._rows_visible
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor_row[0] == ROWS - 1
        await pilot.press("home")
        assert table.cursor == 0
        fetched = sum(limit for _, limit in app.fetches)
        assert fetched <= 5 * table.page_size  # a few windows, never the whole list
        await pilot.click(PagedTable, offset=(5, 3))  # header is line 0: line 3 is row 2
        assert table.cursor == 2
        await pilot.click(PagedTable, offset=(5, 3))  # a second click opens it
        assert app.selected == [2]
        await pilot.press("enter")
        assert app.selected == [2, 2]
        line = "".join(seg.text for seg in table.render_line(3))
        assert "row 2 [b]x[/b]" in line and "\x1b" not in line and "[31m" not in line


class SeekApp(App):
    """A 50,000-row source that can page by key: `seek(row, limit, forward)`."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[int] = []
        self.seeks: list[tuple[int, bool]] = []

    def compose(self) -> ComposeResult:
        yield PagedTable([Column("N", lambda r: r[0], width=8)], id="t", page_size=20)

    def on_mount(self) -> None:
        def fetch(offset: int, limit: int):
            self.fetches.append(offset)
            return [(i,) for i in range(offset, min(offset + limit, ROWS))]

        def seek(anchor, limit: int, forward: bool):
            self.seeks.append((anchor[0], forward))
            start = anchor[0] + 1 if forward else max(0, anchor[0] - limit)
            end = min(start + limit, ROWS) if forward else anchor[0]
            return [(i,) for i in range(start, end)]

        self.query_one(PagedTable).set_source(lambda: ROWS, fetch, seek=seek)


async def test_scrolling_pages_by_key_from_the_loaded_neighbour():
    app = SeekApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PagedTable)
        await wait_for(pilot, lambda: table.loaded and table.cursor_row is not None)
        for _ in range(12):  # down through several blocks of 20
            await pilot.press("pagedown")
            await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor_row == (table.cursor,)
        assert app.fetches == [0]  # only the first block by offset; the rest by key from the one before
        assert app.seeks and all(forward for _, forward in app.seeks)
        assert [a for a, _ in app.seeks][:3] == [19, 39, 59]
        await pilot.press("end")  # a jump: fetched by offset
        await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor_row == (ROWS - 1,) and ROWS - 20 in app.fetches
        jumps = len(app.fetches)
        app.seeks.clear()
        for _ in range(6):  # and back up from there, by key from the block after
            await pilot.press("pageup")
            await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor_row == (table.cursor,)
        assert app.seeks and not any(forward for _, forward in app.seeks)
        assert len(app.fetches) == jumps  # no more fetches by offset
