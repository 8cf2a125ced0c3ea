"""Costs that must stay flat as an office grows: pages by key equal pages by OFFSET (ties and NULLs
included), the per-person open-case count uses its index, statistics are kept, each pooled connection has
a modest page cache, and `mpoffice lookup` runs without importing the ORM stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mpoffice_tui.db.models import Case, Constituent, Message, Staff
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import inbox


@pytest.fixture
def tied_cases(office):
    """40 cases whose sort keys tie a lot: 4 opening times, 3 categories, review dates mostly shared or
    missing, some unassigned, some with no constituent, every priority."""
    with office.writing() as w:
        ann = w.insert(Constituent, forenames="Ann", surname="Zed")
        bob = w.insert(Constituent, forenames="Bob", surname="abel")  # NOCASE sorts him first
        staff = w.insert(Staff, name="Cat Worker", role="caseworker")
        w.insert_many(Case, [{
            "ref": f"A-{i:05d}", "title": f"case {i % 5}", "category": ("Housing", "Benefits", "Visas")[i % 3],
            "status": ("open", "closed", "new", "awaiting_third_party")[i % 4],
            "priority": ("low", "normal", "high", "urgent")[i % 4],
            "opened_at": f"2025-01-0{1 + i % 4}T09:00:00Z",
            "review_date": None if i % 3 == 0 else ("2025-02-01" if i % 2 else "2025-03-01"),
            "assignee_id": staff.id if i % 2 else None,
            "constituent_id": (ann.id, bob.id, None)[i % 3],
        } for i in range(40)])
    return office


def _walk(office, sort: str, descending: bool, forward: bool, size: int = 7, **kw) -> list[str]:
    """Every case, a page at a time by key, in list order."""
    first = cs.list_cases(office, sort=sort, descending=descending, limit=size, with_total=False, **kw).rows
    if not forward:  # start from the last page (by offset) and walk back by key
        total = cs.count_cases(office, kw.get("f"))
        first = cs.list_cases(office, sort=sort, descending=descending, offset=max(0, total - size), limit=size,
                              with_total=False, **kw).rows
    seen, page = list(first), first
    while page:
        anchor = {"after": seen[-1]} if forward else {"before": seen[0]}
        page = cs.list_cases(office, sort=sort, descending=descending, limit=size, with_total=False,
                             **anchor, **kw).rows
        seen = seen + list(page) if forward else list(page) + seen
    return [r.ref for r in seen]


@pytest.mark.parametrize("sort", sorted(cs.SORTS))
def test_case_pages_by_key_equal_pages_by_offset(tied_cases, sort):
    for descending in (True, False):
        by_offset = [r.ref for r in cs.list_cases(tied_cases, sort=sort, descending=descending, limit=100,
                                                   with_total=False).rows]
        assert len(by_offset) == 40
        assert _walk(tied_cases, sort, descending, forward=True) == by_offset, (sort, descending, "forward")
        assert _walk(tied_cases, sort, descending, forward=False) == by_offset, (sort, descending, "backward")


def test_case_pages_by_key_keep_to_the_filter(tied_cases):
    f = cs.CaseFilter(open_only=True, categories=("Housing", "Visas"))
    by_offset = [r.ref for r in cs.list_cases(tied_cases, f, sort="review", limit=100).rows]
    assert 0 < len(by_offset) < 40
    assert _walk(tied_cases, "review", True, forward=True, f=f) == by_offset
    assert _walk(tied_cases, "review", True, forward=False, f=f) == by_offset
    # from an anchor that the filter leaves out (a case closed meanwhile), the page is still where it was
    closed = next(r for r in cs.list_cases(tied_cases, limit=100).rows if r.status == "closed")
    after = cs.list_cases(tied_cases, f, after=closed.id, limit=100, with_total=False).rows
    assert all(r.status != "closed" for r in after)


def test_cases_by_person_in_name_order_then_nobody_from_the_index(tied_cases):
    """Sorted by person: people in surname order (case folded), ties by reference, then the cases with nobody
    (none, or a person this machine does not hold), in both directions, by OFFSET and by key; the first page
    walks the surname index instead of sorting every case."""
    office = tied_cases
    with office.writing() as w:
        w.insert(Case, ref="A-00099", title="dangling", opened_at="2025-01-01T09:00:00Z",
                 constituent_id="not-a-person-here")
    with office.raw() as conn:
        people = dict(conn.execute("SELECT id, surname FROM constituents").fetchall())
        rows = conn.execute("SELECT ref, constituent_id FROM cases WHERE deleted = 0").fetchall()
    keyed = [(people[c].casefold(), ref) for ref, c in rows if c in people]
    nobody = sorted(ref for ref, c in rows if c not in people)
    assert len(nobody) == 14  # 13 with no person, one whose person is not here
    for descending in (False, True):
        expected = [ref for _, ref in sorted(keyed, reverse=descending)] + sorted(nobody, reverse=descending)
        listed = [r.ref for r in cs.list_cases(office, sort="constituent", descending=descending, limit=100).rows]
        assert listed == expected, descending
        for offset in (0, 25, 38):  # pages that end among the people, span both parts, and lie in nobody's
            page = cs.list_cases(office, sort="constituent", descending=descending, offset=offset, limit=5).rows
            assert [r.ref for r in page] == expected[offset:offset + 5]
        assert _walk(office, "constituent", descending, forward=True) == expected
        assert _walk(office, "constituent", descending, forward=False) == expected
    f = cs.CaseFilter(open_only=True, categories=("housing",))  # a filter keeps the order, nobody's included
    chosen = {r.ref for r in cs.list_cases(office, f, limit=100).rows}
    in_order = [r.ref for r in cs.list_cases(office, f, sort="constituent", descending=True, limit=100).rows]
    assert 0 < len(chosen) < 40 and in_order == [ref for ref in expected if ref in chosen]
    first_page = _plans(office, lambda: cs.list_cases(office, sort="constituent", descending=False, limit=5))
    assert "SCAN p USING INDEX ix_constituents_surname_nocase" in first_page and "TEMP B-TREE FOR ORDER BY" \
        not in first_page, first_page
    f = cs.CaseFilter(open_only=True, categories=("Housing",))
    by_review = _plans(office, lambda: cs.list_cases(office, f, sort="review", limit=5))
    assert "ix_cases_open_category_review" in by_review, by_review


def _plans(office, call) -> str:
    """The query plans of the statements `call()` runs that pick a page's rowids."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT c.rowid FROM"):
            seen.append((statement, parameters))

    event.listen(office.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(office.engine, "before_cursor_execute", note)
    assert seen
    with office.engine.connect() as conn:
        return " | ".join(" ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
                          for sql, params in seen)


def test_inbox_pages_by_key_equal_pages_by_offset_with_tied_times(office):
    with office.writing() as w:  # the Done lane holds two states; many messages share a received time
        w.insert_many(Message, [{
            "channel": "email", "subject": f"m{i}", "received_at": f"2025-01-01T10:0{i % 3}:00Z",
            "content_hash": f"h{i}", "triage": "done" if i % 2 else "ignored"} for i in range(31)])
    by_offset = [r.id for r in inbox.list_inbox(office, "done", limit=100)]
    assert len(by_offset) == 31
    forward = inbox.list_inbox(office, "done", limit=4)
    while len(forward) < 31:
        page = inbox.list_inbox(office, "done", limit=4, after=forward[-1])
        assert page
        forward += page
    assert [r.id for r in forward] == by_offset
    backward = inbox.list_inbox(office, "done", limit=4, offset=27)
    while len(backward) < 31:
        page = inbox.list_inbox(office, "done", limit=4, before=backward[0])
        assert page
        backward = page + backward
    assert [r.id for r in backward] == by_offset


def test_open_case_count_per_person_uses_its_index(office):
    from mpoffice_tui.services.constituents import _ROW_SQL

    with office.raw() as conn:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + _ROW_SQL + "WHERE p.id = ?", ("x",)))
    assert "ix_cases_constituent_live" in plan and "ix_cases_live_opened" not in plan


def test_statistics_and_page_cache(office_path, office):
    from mpoffice_tui.db.engine import POOL_CACHE_KIB, open_office

    with office.raw() as conn:
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -POOL_CACHE_KIB
        assert POOL_CACHE_KIB < 64 * 1024
    with office.writing() as w:
        w.insert_many(Case, [{"ref": f"B-{i:05d}", "title": "t", "opened_at": "2025-01-01T00:00:00Z"}
                             for i in range(300)])
    office.close()  # PRAGMA optimize: the cases table was never analysed with rows in it
    again = open_office(office_path, "correct horse battery", use_keyring=False)
    try:
        with again.raw() as conn:
            stats = dict(conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'cases'").fetchall())
        assert stats["ix_cases_constituent_live"].startswith("30")  # "301 ..." rows as analysed
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'").fetchone()
    finally:
        again.close()


def test_lookup_command_does_not_import_the_orm(office_path, office, passphrase_file):
    office.close()
    code = ("import sys, json; from mpoffice_tui.cli import main; rc = main(sys.argv[1:]); "
            "print(json.dumps([rc, sorted(m for m in ('sqlalchemy', 'sqlmodel', 'mpoffice_tui.db.models') "
            "if m in sys.modules)]))")
    out = subprocess.run([sys.executable, "-c", code, "--db", str(office_path), "--passphrase-file",
                          str(passphrase_file), "lookup", "Smith"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert "No electoral register has been imported yet" in lines[0]
    assert json.loads(lines[-1]) == [0, []]


def test_register_import_refreshes_the_statistics(office):
    from pathlib import Path

    from mpoffice_tui.services import register as reg

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "register" / "burnley_xpress_2024-12-01.csv"
    summary = reg.import_register(office, [fixture])
    assert summary.imported > 0
    with office.raw() as conn:  # no close needed: the import itself ran PRAGMA optimize
        stats = dict(conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'electors'").fetchall())
    assert int(stats["ix_electors_postcode"].split()[0]) == summary.imported
