"""Statistics: cases by month, category and status, staff workload, time to close; charts and CSV export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.stats import Stats


def short(label: str, width: int = 14) -> str:
    label = one_line(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _axis(ticks: list[int]) -> list[float]:
    """Ticks as plotext's axis takes them (the same whole numbers)."""
    return list(ticks)


def count_ticks(top: int, most: int = 6) -> list[int]:
    """Axis ticks for a count: whole numbers from 0 to at least `top` on a 1-2-5 step, at most `most` of
    them (a count of cases is never 2.5)."""
    top, scale = max(int(top), 1), 1
    while True:
        for base in (1, 2, 5):
            step = base * scale
            if -(-top // step) <= most - 1:
                return list(range(0, -(-top // step) * step + 1, step))
        scale *= 10


class StatsScreen(OfficeScreen):
    """Charts drawn in the terminal (plotext); `e` exports every figure as CSV."""

    DEFAULT_CSS = """
    #stats-tabs { height: 1fr; }
    #stats-tabs PlotextPlot { height: 1fr; }
    .stats-table { height: auto; padding: 0 1; }
    """
    BINDINGS = [Binding("e", "export", "Export CSV", id="stats-export"), Binding("r", "reload", "Reload", id="stats-reload")]


    def __init__(self) -> None:
        super().__init__()
        self.stats: Stats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="stats-summary", classes="summary")
        with TabbedContent(id="stats-tabs"):
            with TabPane("By month", id="tab-month"):
                yield PlotextPlot(id="plot-month")
            with TabPane("By category", id="tab-category"):
                yield PlotextPlot(id="plot-category")
            with TabPane("Workload", id="tab-workload"):
                yield PlotextPlot(id="plot-workload")
                yield Static("", id="workload-table", classes="stats-table")
            with TabPane("Time to close", id="tab-close"):
                yield Static("", id="close-table", classes="stats-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        from mpoffice_tui.services.stats import office_stats

        run_office(self, "stats", office_stats, self._loaded)

    def action_reload(self) -> None:
        self.load()

    def _loaded(self, stats: Stats) -> None:
        s = self.stats = stats
        by_status = ", ".join(f"{c.key.replace('_', ' ')} {c.count:,}" for c in s.by_status)
        self.query_one("#stats-summary", Static).update(
            Text(f"{s.total:,} cases · {s.open:,} open · {by_status} · to {s.today}"))
        month = self.query_one("#plot-month", PlotextPlot)
        plt = month.plt
        plt.clear_figure()
        labels = [m.month[2:] for m in s.by_month]
        plt.multiple_bar(labels, [[m.opened for m in s.by_month], [m.closed for m in s.by_month]],
                         labels=["opened", "closed"])  # type: ignore[call-arg]  # (textual-plotext's stub says label)
        ticks = count_ticks(max([0, *(m.opened for m in s.by_month), *(m.closed for m in s.by_month)]))
        plt.yticks(_axis(ticks))
        plt.ylim(0, ticks[-1])
        plt.title("Cases opened and closed by month")
        month.refresh()
        cat = self.query_one("#plot-category", PlotextPlot)
        plt = cat.plt
        plt.clear_figure()
        top = list(s.open_by_category[:10])[::-1]
        plt.bar([short(c.key) for c in top], [c.count for c in top], orientation="horizontal", width=0.3)
        ticks = count_ticks(max([0, *(c.count for c in top)]))
        plt.xticks(_axis(ticks))
        plt.xlim(0, ticks[-1])
        plt.title("Open cases by category")
        cat.refresh()
        work = self.query_one("#plot-workload", PlotextPlot)
        plt = work.plt
        plt.clear_figure()
        staff = list(s.workload[:8])[::-1]
        plt.bar([short(w.staff) for w in staff], [w.open_cases for w in staff], orientation="horizontal",
                width=0.3)
        ticks = count_ticks(max([0, *(w.open_cases for w in staff)]))
        plt.xticks(_axis(ticks))
        plt.xlim(0, ticks[-1])
        plt.title("Open cases by assignee")
        work.refresh()
        table = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("Staff", "Open", "Overdue reviews", "Open tasks", "Closed (30 days)"):
            table.add_column(col, justify="left" if col == "Staff" else "right")
        for w in s.workload:
            table.add_row(Text(one_line(w.staff)), str(w.open_cases), str(w.overdue_reviews), str(w.open_tasks),
                          str(w.closed_last_30_days))
        self.query_one("#workload-table", Static).update(table)
        close = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("Category", "Closed", "Median days", "Mean days"):
            close.add_column(col, justify="left" if col == "Category" else "right")
        for t in s.time_to_close:
            close.add_row(Text(one_line(t.category), style="bold" if t.category == "All" else ""), str(t.closed),
                          "" if t.median_days is None else f"{t.median_days:g}",
                          "" if t.mean_days is None else f"{t.mean_days:g}")
        self.query_one("#close-table", Static).update(close)

    def action_export(self) -> None:
        from mpoffice_tui.services.stats import csv_bytes, office_stats, stats_csv

        def export(office: Office, v: FormValues) -> Path:
            target = Path(v.text("path")).expanduser()
            if target.is_dir():
                target = target / f"mpoffice-stats-{self.stats.today if self.stats else 'today'}.csv"
            try:
                target.write_bytes(csv_bytes(stats_csv(office_stats(office))))  # opens right in Excel
            except OSError as exc:
                raise ValueError(f"{target}: cannot write ({exc.strerror or exc})") from exc
            return target

        def done(path: Path | None) -> None:
            if isinstance(path, Path):
                self.notify(f"Saved {path}")

        self.app.push_screen(FormDialog("Export statistics as CSV", [
            Field("path", "File or folder", value=str(Path.home()), required=True)], export,
            intro="Counts only: no personal data. UTF-8 with a byte-order mark, so Excel and LibreOffice read "
                  "accents right.", submit_label="Export"), done)
