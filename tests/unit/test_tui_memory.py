"""What keeps the TUI's memory flat at full scale (issue 13): the counts it runs on every return to a screen read
an index, never every row's page (a pooled connection's whole page cache filled with message pages each F2)."""

from __future__ import annotations

import pytest

from mpoffice_tui.services import lists

# The inbox's counts, as services/inbox.lane_counts and services/lists.count_messages run them.
LANE_COUNTS = "SELECT triage, count(*) FROM messages WHERE deleted = 0 GROUP BY triage"


def _plan(office, sql: str, params: tuple = ()) -> str:
    with office.raw() as conn:
        return " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_the_lane_counts_read_only_an_index(office):
    assert "COVERING INDEX ix_messages_triage_live" in _plan(office, LANE_COUNTS)


@pytest.mark.parametrize("lane", sorted(lists.LANES))
def test_a_lanes_count_reads_only_an_index(office, lane):
    where, params = lists._lane_clause(lane)
    plan = _plan(office, f"SELECT count(*) FROM messages m WHERE m.deleted = 0 AND {where}", params)
    assert "COVERING INDEX ix_messages_triage_live" in plan, plan


def test_the_registers_bulk_list_walks_its_index_by_name(office):
    """A page of the whole register (F4, empty search box: services/lists.page_electors) reads that page by the
    name index, not all 110k electors sorted."""
    plan = _plan(office, "SELECT id, postcode, address FROM electors ORDER BY surname, forename, id LIMIT ? OFFSET ?",
                 (100, 50_000))
    assert "ix_electors_by_name" in plan and "TEMP B-TREE" not in plan, plan


def test_the_apps_threads_share_one_malloc_arena_where_glibc_allows():
    import os

    from mpoffice_tui.process_memory import share_malloc_arenas

    try:
        glibc = bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        glibc = False
    assert share_malloc_arenas() is glibc
