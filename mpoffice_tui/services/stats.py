"""Casework statistics: cases by category, status and month, staff workload, time to close; CSV export.

    office_stats(office, months=12) -> Stats;  stats_csv(stats) -> str;  Stats.as_dict()
    csv_bytes(text, bom=True) -> bytes   (UTF-8; with a byte-order mark Excel and LibreOffice read "Santé")
All figures come from SQL aggregates (fast at 50k cases); months are by the case's opened/closed date.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from mpoffice_tui.db.engine import Office
from mpoffice_tui.services.clock import today


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    opened: int
    closed: int


@dataclass(frozen=True)
class Workload:
    staff_id: str | None
    staff: str  # "(unassigned)" for cases with nobody
    open_cases: int
    overdue_reviews: int
    open_tasks: int
    closed_last_30_days: int


@dataclass(frozen=True)
class CloseTime:
    category: str
    closed: int
    median_days: float | None
    mean_days: float | None


@dataclass(frozen=True)
class Stats:
    today: str
    total: int
    open: int
    by_status: tuple[Count, ...]
    by_category: tuple[Count, ...]
    open_by_category: tuple[Count, ...]
    by_month: tuple[MonthRow, ...]
    workload: tuple[Workload, ...]
    time_to_close: tuple[CloseTime, ...]  # per category, then "All" last

    def as_dict(self) -> dict:
        def plain(x):
            return {k: getattr(x, k) for k in x.__dataclass_fields__}

        return {"today": self.today, "total": self.total, "open": self.open,
                "by_status": {c.key: c.count for c in self.by_status},
                "by_category": {c.key: c.count for c in self.by_category},
                "open_by_category": {c.key: c.count for c in self.open_by_category},
                "by_month": [plain(m) for m in self.by_month], "workload": [plain(w) for w in self.workload],
                "time_to_close": [plain(t) for t in self.time_to_close]}


def _month_back(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return date(y, m + 1, 1)


def office_stats(office: Office, months: int = 12) -> Stats:
    day = today()
    iso = day.isoformat()
    start = _month_back(day, months - 1).isoformat()
    with office.engine.connect() as conn:
        q = lambda sql, **p: conn.execute(text(sql), p).fetchall()  # noqa: E731
        by_status = [Count(s, n) for s, n in q(
            "SELECT status, count(*) FROM cases WHERE deleted = 0 GROUP BY status ORDER BY count(*) DESC, status")]
        by_cat = [Count(c, n) for c, n in q(
            "SELECT category, count(*) FROM cases WHERE deleted = 0 GROUP BY category ORDER BY count(*) DESC, category")]
        open_cat = [Count(c, n) for c, n in q(
            "SELECT category, count(*) FROM cases WHERE deleted = 0 AND status != 'closed' GROUP BY category "
            "ORDER BY count(*) DESC, category")]
        opened = dict(q("SELECT substr(opened_at, 1, 7), count(*) FROM cases WHERE deleted = 0 "
                        "AND opened_at >= :s GROUP BY 1", s=start))
        closed = dict(q("SELECT substr(closed_at, 1, 7), count(*) FROM cases WHERE deleted = 0 "
                        "AND status = 'closed' AND closed_at >= :s GROUP BY 1", s=start))
        since30 = date.fromordinal(day.toordinal() - 30).isoformat()
        work = q(
            "SELECT c.assignee_id, coalesce(s.name, '(unassigned)'), "
            "sum(c.status != 'closed'), "
            "sum(c.status != 'closed' AND c.review_date IS NOT NULL AND c.review_date < :today), "
            "sum(c.status = 'closed' AND c.closed_at >= :since) "
            "FROM cases c LEFT JOIN staff s ON s.id = c.assignee_id WHERE c.deleted = 0 "
            "GROUP BY c.assignee_id ORDER BY 3 DESC, 2, 1", today=iso, since=since30)
        tasks = dict(q("SELECT t.assignee_id, count(*) FROM tasks t WHERE t.deleted = 0 AND t.done = 0 "
                       "GROUP BY t.assignee_id"))
        durations = q("SELECT category, julianday(substr(closed_at, 1, 10)) - julianday(substr(opened_at, 1, 10)) "
                      "FROM cases WHERE deleted = 0 AND status = 'closed' AND closed_at IS NOT NULL")
    months_list = [_month_back(day, i).isoformat()[:7] for i in range(months - 1, -1, -1)]
    by_month = tuple(MonthRow(m, int(opened.get(m, 0)), int(closed.get(m, 0))) for m in months_list)
    workload = tuple(Workload(sid, name, int(o or 0), int(ov or 0), int(tasks.get(sid, 0)), int(cl or 0))
                     for sid, name, o, ov, cl in work)
    per_cat: dict[str, list[float]] = {}
    for cat, days in durations:
        if days is not None and days >= 0:
            per_cat.setdefault(cat, []).append(float(days))
    everything = [d for v in per_cat.values() for d in v]

    def close_time(cat: str, values: list[float]) -> CloseTime:
        if not values:
            return CloseTime(cat, 0, None, None)
        return CloseTime(cat, len(values), float(statistics.median(values)), round(statistics.fmean(values), 1))

    ttc = [close_time(c, v) for c, v in sorted(per_cat.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    ttc.append(close_time("All", everything))
    total = sum(c.count for c in by_status)
    open_n = sum(c.count for c in by_status if c.key != "closed")
    return Stats(iso, total, open_n, tuple(by_status), tuple(by_cat), tuple(open_cat), by_month, workload,
                 tuple(ttc))


def stats_csv(stats: Stats) -> str:
    """One long table: section, key, measure, value (easy to pivot in a spreadsheet)."""
    out = io.StringIO()
    w = _SafeWriter(csv.writer(out, lineterminator="\n"))
    w.writerow(["section", "key", "measure", "value"])
    for c in stats.by_status:
        w.writerow(["status", c.key, "cases", c.count])
    for c in stats.by_category:
        w.writerow(["category", c.key, "cases", c.count])
    for c in stats.open_by_category:
        w.writerow(["category", c.key, "open_cases", c.count])
    for m in stats.by_month:
        w.writerow(["month", m.month, "opened", m.opened])
        w.writerow(["month", m.month, "closed", m.closed])
    for wl in stats.workload:
        w.writerow(["workload", wl.staff, "open_cases", wl.open_cases])
        w.writerow(["workload", wl.staff, "overdue_reviews", wl.overdue_reviews])
        w.writerow(["workload", wl.staff, "open_tasks", wl.open_tasks])
        w.writerow(["workload", wl.staff, "closed_last_30_days", wl.closed_last_30_days])
    for t in stats.time_to_close:
        w.writerow(["time_to_close", t.category, "closed", t.closed])
        w.writerow(["time_to_close", t.category, "median_days", "" if t.median_days is None else t.median_days])
        w.writerow(["time_to_close", t.category, "mean_days", "" if t.mean_days is None else t.mean_days])
    return out.getvalue()


SPREADSHEET_ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark: how Excel knows a CSV is UTF-8


def csv_bytes(csv_text: str, *, bom: bool = True) -> bytes:
    """A CSV's bytes: UTF-8, with a byte-order mark unless `bom` is False (for scripts that do not want one).
    Without the mark Excel reads UTF-8 as the local code page: "Santé" comes out as "SantÃ©"."""
    return csv_text.encode(SPREADSHEET_ENCODING if bom else "utf-8")


class _SafeWriter:
    """Cells starting with = + - @ are prefixed with ' so a spreadsheet never runs them as formulas."""

    def __init__(self, writer):
        self._w = writer

    def writerow(self, row) -> None:
        self._w.writerow([f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
