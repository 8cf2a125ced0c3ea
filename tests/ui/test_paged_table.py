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
