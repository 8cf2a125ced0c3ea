"""Statistics by category, status and month; workload; time to close; CSV export."""

from __future__ import annotations

import csv
import io

from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import stats


def test_stats_and_csv(office, monkeypatch):
    with office.writing() as w:
        p = w.insert(Constituent, forenames="A", surname="B")
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-03")
    a = cs.create_case(office, constituent_id=p.id, title="a", category="Housing", assignee=office.staff_id,
                       review_date="2025-03-01")
    b = cs.create_case(office, constituent_id=p.id, title="b", category="Housing")
    cs.create_case(office, constituent_id=p.id, title="c", category="=HYPERLINK(1)")
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-04-02")
    cs.change_status(office, b.ref, "closed", outcome="Resolved")  # 30 days after opening
    cs.add_task(office, a.ref, "do it")
    st = stats.office_stats(office, months=3)
    d = st.as_dict()
    assert d["total"] == 3 and d["open"] == 2
    assert d["by_category"]["Housing"] == 2 and d["open_by_category"]["Housing"] == 1
    assert d["by_status"] == {"new": 2, "closed": 1}
    assert [(m.month, m.opened, m.closed) for m in st.by_month] == [("2025-02", 0, 0), ("2025-03", 3, 0),
                                                                    ("2025-04", 0, 1)]
    ann = next(w for w in st.workload if w.staff_id == office.staff_id)
    assert (ann.open_cases, ann.overdue_reviews, ann.open_tasks) == (1, 1, 1)
    housing = next(t for t in st.time_to_close if t.category == "Housing")
    assert housing.closed == 1 and housing.median_days == 30.0
    rows = list(csv.reader(io.StringIO(stats.stats_csv(st))))
    assert rows[0] == ["section", "key", "measure", "value"]
    assert ["category", "Housing", "cases", "2"] in rows
    assert ["category", "'=HYPERLINK(1)", "cases", "1"] in rows  # never a live formula
