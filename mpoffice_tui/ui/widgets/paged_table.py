"""A table that shows only the visible window of a long list, fetched from SQL in pages.

    table = PagedTable([Column("Ref", lambda r: r.ref, width=8), Column("Title", lambda r: r.title)])
    table.set_source(count=lambda: cases.count_cases(office, f),
                     fetch=lambda offset, limit: cases.list_cases(office, f, offset=offset, limit=limit).rows)

`count()` and `fetch(offset, limit)` run in a thread worker (never on the event loop); rows can be
any objects (frozen dataclasses from `services/lists.py`), turned into cell text by each column's
`value` function. Cell text is shown as plain text with control characters removed, never as markup.
Only blocks of `page_size` rows around the viewport are held in memory, so 50,000 rows cost what a
screenful costs. A source may also give `seek(row, limit, forward)`: the `limit` rows just after (or,
with forward=False, just before) a row already shown, in list order. Blocks next to a loaded block are
then fetched by key instead of by OFFSET, so scrolling deep into 250k messages costs what the first page
costs; a jump (End, a scrollbar drag) still fetches by offset. Keys: up/down/pageup/pagedown/home/end
move the cursor, enter selects; a click
moves the cursor (a second click, or a double click, selects); the wheel scrolls.

Messages: `RowHighlighted` (cursor moved onto a loaded row), `RowSelected` (enter/double click),
`HeaderClicked` (a column heading was clicked: sort by it), `Loaded` (a new source was counted),
`LoadFailed` (count or fetch raised; the table stays usable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from mpoffice_tui.ui.text import one_line

RowT = TypeVar("RowT")  # what a table's rows are: a frozen dataclass from services/, one kind per table
MessageRowT = TypeVar("MessageRowT")


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """A table column. `width=None` makes it flexible (shares the spare width, at least `min_width`).

    When the table is too narrow, columns with the highest `drop_order` are hidden first (0 = never).
    """

    label: str
    value: Callable[[RowT], object]
    width: int | None = None
    min_width: int = 10
    drop_order: int = 0


CountFn = Callable[[], int]
FetchFn = Callable[[int, int], Sequence[RowT]]
SeekFn = Callable[[RowT, int, bool], Sequence[RowT]]  # (anchor row, limit, forward) -> rows in list order


class PagedTable(ScrollView, Generic[RowT], can_focus=True):
    """A windowed, SQL-paged table (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", id="table-cursor-up", show=False),
        Binding("down", "cursor_down", "Down", id="table-cursor-down", show=False),
        Binding("pageup", "page_up", "Page up", id="table-page-up", show=False),
        Binding("pagedown", "page_down", "Page down", id="table-page-down", show=False),
        Binding("home", "first", "First", id="table-first", show=False),
        Binding("end", "last", "Last", id="table-last", show=False),
        Binding("enter", "select", "Open", id="table-select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paged-table--header", "paged-table--cursor", "paged-table--placeholder", "paged-table--empty",
    }
    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    PagedTable > .paged-table--header { background: $panel; color: $text; text-style: bold; }
    PagedTable > .paged-table--cursor { background: $block-cursor-blurred-background; }
    PagedTable:focus > .paged-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    PagedTable > .paged-table--placeholder { color: $text-muted; }
    PagedTable > .paged-table--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(-1, always_update=False, init=False)

    class RowHighlighted(Message, Generic[MessageRowT]):
        """The cursor moved onto a loaded row (a handler names the table's row type: `RowHighlighted[InboxRow]`)."""

        def __init__(self, table: PagedTable[MessageRowT], index: int, row: MessageRowT) -> None:
            super().__init__()
            self.table, self.index, self.row = table, index, row

        @property
        def control(self) -> PagedTable[MessageRowT]:
            return self.table

    class RowSelected(RowHighlighted[MessageRowT]):
        """Enter or a double click on a loaded row."""

    class HeaderClicked(Message):
        def __init__(self, table: PagedTable, column: int) -> None:
            super().__init__()
            self.table, self.column = table, column

        @property
        def control(self) -> PagedTable:
            return self.table

    class Loaded(Message):
        def __init__(self, table: PagedTable, count: int) -> None:
            super().__init__()
            self.table, self.count = table, count

        @property
        def control(self) -> PagedTable:
            return self.table

    class LoadFailed(Message):
        """Counting or fetching raised (the app decides whether to say so: a lock is not news)."""

        def __init__(self, table: PagedTable, error: Exception) -> None:
            super().__init__()
            self.table, self.error = table, error

        @property
        def control(self) -> PagedTable:
            return self.table

    class PageLoaded(Message, Generic[MessageRowT]):
        def __init__(self, generation: int, start: int, rows: Sequence[MessageRowT], count: int | None) -> None:
            super().__init__()
            self.generation, self.start, self.rows, self.count = generation, start, rows, count

    def __init__(self, columns: Sequence[Column[RowT]], *, page_size: int = 100, empty_text: str = "Nothing here.",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.page_size = max(10, page_size)
        self.empty_text = empty_text
        self.row_count = 0
        self.loaded = False  # True once the current source has been counted
        self._count: CountFn | None = None
        self._fetch: FetchFn[RowT] | None = None
        self._seek: SeekFn[RowT] | None = None
        self._rows_first = False
        self._generation = 0
        self._blocks: dict[int, list[RowT]] = {}
        self._pending: set[int] = set()
        self._announced: int | None = None
        self._column_layout: tuple[int, list[tuple[int, int]]] | None = None
        self._styles: dict[str, Style] = {}

    # -- public API -------------------------------------------------------------------------------
    def set_source(self, count: CountFn, fetch: FetchFn[RowT], *, seek: SeekFn[RowT] | None = None, keep_cursor: bool = False,
                   rows_first: bool = False) -> None:
        """Show a new list: counts it and fetches the first window in a thread worker.

        `seek` pages by key from a neighbouring loaded block (see the module docstring).
        `rows_first=True` fetches the first window before counting and shows it at once (for a big list
        whose count is slower than a page); only for sources whose `fetch` does not depend on `count`
        having run first.
        """
        self._count, self._fetch, self._seek, self._rows_first = count, fetch, seek, rows_first
        self.reload(keep_cursor=keep_cursor)

    def set_list(self, load: Callable[[], Sequence[RowT]], *, keep_cursor: bool = False) -> None:
        """Show a short list read whole by `load()` (in the table's thread worker, never on the event loop),
        then paged from memory: contacts, templates, reminders, a register lookup's hits."""
        rows: list[RowT] = []

        def count() -> int:
            rows[:] = load()
            return len(rows)

        self.set_source(count, lambda offset, limit: rows[offset:offset + limit], keep_cursor=keep_cursor)

    def set_columns(self, columns: Sequence[Column[RowT]]) -> None:
        """Show other columns (a list whose rows are of another kind); call before `set_source`."""
        self.columns = list(columns)
        self._column_layout = None
        self.refresh()

    def reload(self, *, keep_cursor: bool = True) -> None:
        """Count again and drop cached rows (after the data changed)."""
        if self._count is None or self._fetch is None:
            return
        self._generation += 1
        self._blocks.clear()
        self._pending.clear()
        self._announced = None
        self.loaded = False
        target = self.cursor if keep_cursor else 0
        if not keep_cursor:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._run_count(self._generation, max(target, 0))
        self.refresh()

    def row_at(self, index: int) -> RowT | None:
        """The row at `index` if it is loaded, else None."""
        block = self._blocks.get(index // self.page_size) if index >= 0 else None
        if block is None:
            return None
        offset = index % self.page_size
        return block[offset] if offset < len(block) else None

    @property
    def cursor_row(self) -> RowT | None:
        return self.row_at(self.cursor)

    def move_cursor(self, index: int) -> None:
        if self.row_count:
            self.cursor = max(0, min(index, self.row_count - 1))

    def place(self) -> dict[str, object]:
        """Where the cursor is: its index and the id of its row (see `go_back_to`)."""
        row = self.cursor_row
        return {"index": self.cursor, "id": getattr(row, "id", None)}

    def go_back_to(self, place: Mapping[str, object]) -> None:
        """Put the cursor back on the row it was on (found by id among the loaded rows, as the list may
        have moved), or else at the same position."""
        row_id, index = place.get("id"), place.get("index")
        index = index if isinstance(index, int) else 0
        if row_id is not None:
            for block, rows in sorted(self._blocks.items()):
                for offset, row in enumerate(rows):
                    if getattr(row, "id", None) == row_id:
                        self.move_cursor(block * self.page_size + offset)
                        return
        self.move_cursor(index)

    # -- workers ------------------------------------------------------------------------------------
    def _run_count(self, generation: int, around: int) -> None:
        count, fetch, size = self._count, self._fetch, self.page_size
        if count is None or fetch is None:
            return
        start = (around // size) * size

        rows_first = self._rows_first

        def work() -> None:
            try:
                if rows_first:  # the first rows go on screen before the (slower) count
                    rows = fetch(start, size)
                    if rows and not get_current_worker().is_cancelled:
                        self.post_message(self.PageLoaded(generation, start, rows, None))
                    total = count()
                else:
                    total = count()
                    rows = fetch(start, size) if total else []
            except Exception as exc:  # noqa: BLE001 - e.g. the office locked meanwhile
                self.post_message(self.LoadFailed(self, exc))
                return
            if not get_current_worker().is_cancelled:
                self.post_message(self.PageLoaded(generation, start, rows if total else [], total))

        self.run_worker(work, thread=True, exclusive=True, group=f"paged-count-{id(self)}")

    def _request(self, block: int) -> None:
        if block in self._blocks or block in self._pending or self._fetch is None:
            return
        self._pending.add(block)
        fetch, generation, start, size = self._fetch, self._generation, block * self.page_size, self.page_size
        fetch_block = self._by_key(block) or (lambda: fetch(start, size))

        def work() -> None:
            try:
                rows = fetch_block()
            except Exception as exc:  # noqa: BLE001
                self.post_message(self.LoadFailed(self, exc))
                return
            self.post_message(self.PageLoaded(generation, start, rows, None))

        self.run_worker(work, thread=True, group=f"paged-page-{id(self)}")

    def _by_key(self, block: int) -> Callable[[], Sequence[RowT]] | None:
        """A fetch of `block` by key from the loaded block before or after it, or None (fetch by offset).

        A block must hold exactly its rows: when the list changed meanwhile and a seek does not fill it
        (rows removed, or the anchor moved), the block is fetched by offset after all."""
        seek, fetch, size, start = self._seek, self._fetch, self.page_size, block * self.page_size
        if seek is None or fetch is None:
            return None
        before, after = self._blocks.get(block - 1), self._blocks.get(block + 1)
        expected = size if self.row_count <= 0 else min(size, self.row_count - start)
        if before and len(before) == size:
            anchor, forward = before[-1], True
        elif after and block >= 0:
            anchor, forward = after[0], False
        else:
            return None

        def by_key() -> Sequence[RowT]:
            rows = seek(anchor, size, forward)
            return rows if len(rows) == expected else fetch(start, size)

        return by_key

    def on_paged_table_page_loaded(self, message: PageLoaded[RowT]) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        block = message.start // self.page_size
        self._pending.discard(block)
        self._blocks[block] = list(message.rows)
        if message.count is None and not self.loaded:  # first rows before the count: show them now
            end = message.start + len(message.rows)  # a short page is the end of the list
            self.row_count = end if len(message.rows) < self.page_size else max(self.row_count, end)
            self.virtual_size = Size(self._content_width(), self.row_count + 1)
            if self.cursor < 0:
                self.cursor = 0
            self._announce()
            self.refresh()
            return
        if message.count is not None:
            self.row_count = message.count
            self.loaded = True
            self.virtual_size = Size(self._content_width(), self.row_count + 1)
            if self.row_count == 0:
                self.cursor = -1
            elif self.cursor < 0 or self.cursor >= self.row_count:
                self.cursor = 0 if self.cursor < 0 else self.row_count - 1
            self.post_message(self.Loaded(self, self.row_count))
        self._trim_cache()
        self._announce()
        self._ensure_window()
        top = int(self.scroll_y)
        if message.count is not None or (message.start < top + self.size.height
                                         and message.start + len(message.rows) > top):
            self.refresh()  # a block fetched ahead, out of view, needs no new frame

    def _trim_cache(self, keep: int = 40) -> None:
        if len(self._blocks) <= keep:
            return
        here = max(self.cursor, int(self.scroll_y)) // self.page_size
        for block in sorted(self._blocks, key=lambda b: abs(b - here), reverse=True)[: len(self._blocks) - keep]:
            del self._blocks[block]

    def _ensure_window(self) -> None:
        """Fetch any block the viewport (or the cursor) needs."""
        if not self.loaded or not self.row_count:
            return
        top = int(self.scroll_y)
        page = max(self.size.height - 1, 1)
        bottom = min(self.row_count - 1, top + page)
        needed = {top // self.page_size, bottom // self.page_size, max(self.cursor, 0) // self.page_size}
        # one screen ahead either way, so a page up/down rarely waits for SQL
        ahead = {max(0, top - page) // self.page_size, min(self.row_count - 1, bottom + page) // self.page_size}
        for block in sorted(needed) + sorted(ahead - needed):
            self._request(block)

    def _announce(self) -> None:
        if self.cursor < 0 or self._announced == self.cursor:
            return
        row = self.row_at(self.cursor)
        if row is not None:
            self._announced = self.cursor
            self.post_message(self.RowHighlighted(self, self.cursor, row))

    # -- cursor and scrolling -------------------------------------------------------------------
    @property
    def _rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        scrolled = False
        if new >= 0:
            top = int(self.scroll_y)
            if new < top:
                self.scroll_to(y=new, animate=False, immediate=True)
                scrolled = True
            elif new >= top + self._rows_visible:
                self.scroll_to(y=new - self._rows_visible + 1, animate=False, immediate=True)
                scrolled = True
        self._ensure_window()
        self._announce()
        if scrolled or old < 0 or new < 0:
            self.refresh()
        else:  # only the two rows whose highlight changed (virtual line = row index + 1)
            self.refresh_lines(old + 1)
            self.refresh_lines(new + 1)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._ensure_window()

    def on_resize(self, event: events.Resize) -> None:
        self._column_layout = None
        self.virtual_size = Size(self._content_width(), self.row_count + 1)
        self._ensure_window()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._rows_visible)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._rows_visible)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, self.cursor, row))

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        index = int(self.scroll_y) + y - 1
        if 0 <= index < self.row_count:
            again = index == self.cursor
            self.move_cursor(index)
            if again or event.chain >= 2:
                self.action_select()

    # -- rendering ----------------------------------------------------------------------------------
    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _fit_columns(self, width: int) -> list[tuple[int, int]]:
        """(column index, width) pairs that fit `width`, one space between columns."""
        if self._column_layout and self._column_layout[0] == width:
            return self._column_layout[1]
        shown = list(range(len(self.columns)))

        def needed(ids: list[int]) -> int:
            cols = [self.columns[i] for i in ids]
            return sum(c.width or c.min_width for c in cols) + max(len(cols) - 1, 0) + 1

        while needed(shown) > width:
            droppable = [i for i in shown if self.columns[i].drop_order > 0]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].drop_order, i)))
        cols = [self.columns[i] for i in shown]
        flex = [i for i in shown if self.columns[i].width is None]
        spare = width - needed(shown)
        widths = {i: (self.columns[i].width or self.columns[i].min_width) for i in shown}
        for n, i in enumerate(flex):
            share = spare // len(flex) + (1 if n < spare % len(flex) else 0)
            widths[i] = max(1, widths[i] + share)
        if not flex and cols and spare > 0:
            widths[shown[-1]] += spare
        result = [(i, widths[i]) for i in shown]
        self._column_layout = (width, result)
        return result

    def _column_at(self, x: int) -> int | None:
        pos = 1
        for index, width in self._fit_columns(self._content_width()):
            if pos <= x < pos + width + 1:
                return index
            pos += width + 1
        return None

    def _line(self, cells: list[str], width: int, style) -> Strip:
        parts = [" "]
        for (_, w), text in zip(self._fit_columns(width), cells, strict=False):
            parts.append(set_cell_size(text, w))
            parts.append(" ")
        line = "".join(parts)
        line = set_cell_size(line, width) if cell_len(line) != width else line
        return Strip([Segment(line, style)], width)

    def render_lines(self, crop):
        # computing styles costs ~0.4 ms each: once per render pass, not once per line
        base = self.rich_style
        self._styles = {name: base + self.get_component_rich_style(f"paged-table--{name}")
                        for name in ("header", "cursor", "placeholder", "empty")}
        self._styles["base"] = base
        self._styles["cursor-placeholder"] = self._styles["cursor"] + self.get_component_rich_style(
            "paged-table--placeholder")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        styles = self._styles
        base = styles["base"]
        if y == 0:
            labels = [self.columns[i].label for i, _ in self._fit_columns(width)]
            return self._line(labels, width, styles["header"])
        index = int(self.scroll_y) + y - 1
        if self.loaded and self.row_count == 0:
            if y == 1:
                style = styles["empty"]
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        if index >= self.row_count or not (self.loaded or self._blocks):
            if not self.loaded and y == 1:
                style = styles["placeholder"]
                return Strip([Segment(set_cell_size(" Loading…", width), style)], width)
            return Strip.blank(width, base)
        row = self.row_at(index)
        style = styles["cursor"] if index == self.cursor else base
        if row is None:
            placeholder = styles["cursor-placeholder" if index == self.cursor else "placeholder"]
            return self._line(["…"], width, placeholder)
        cells = []
        for i, _ in self._fit_columns(width):
            try:
                cells.append(one_line(self.columns[i].value(row)))
            except Exception:  # noqa: BLE001 - a bad value must not break the screen
                cells.append("?")
        return self._line(cells, width, style)
