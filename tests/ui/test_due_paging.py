"""The Due screen (F5) at scale (issue 13): third parties overdue a reply are paged from SQL, a window at a time,
and walk with the keyboard as before; the app holds SQLite's page caches to one budget."""

from __future__ import annotations

from datetime import date, timedelta

from pilot_helpers import NO_IDLE, SIZE, to_cases, wait_for

from mpoffice_tui.db import engine
from mpoffice_tui.db.models import CaseParty
from mpoffice_tui.services import cases, constituents, contacts, letters
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.reminders import RemindersScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from tests.ui.test_case_flows import PASSPHRASE

CHASED = 260


def _many_overdue(office) -> list[str]:
    """CHASED third parties overdue a reply on the pinned today (2025-06-02), spread over ten cases."""
    council = contacts.add_contact(office, organisation="Wexford Borough Council", reply_days=10)
    person = constituents.create(office, forenames="Nia", surname="Bellweather", postcode="WX3 1AB")
    ids = [cases.create_case(office, constituent_id=person.id, title=f"drain {n}", category="Housing").id
           for n in range(10)]
    with office.writing() as w:
        w.insert_many(CaseParty, [{
            "case_id": ids[n % 10], "contact_id": council.id, "role": "agency",
            "contacted_on": (date(2025, 1, 1) + timedelta(days=n // 3)).isoformat(),
            "reply_due": (date(2025, 1, 15) + timedelta(days=n // 3)).isoformat()} for n in range(CHASED)])
    return [c.party_id for c in letters.chase_due(office)]


async def test_the_due_screen_pages_its_chases_and_walks_them_with_the_keyboard(office, office_path, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-06-02")
    whole = _many_overdue(office)
    assert len(whole) == CHASED
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RemindersScreen)
                       and app.screen.query_one("#reminders", PagedTable).loaded)
        table = app.screen.query_one("#reminders", PagedTable)
        summary = str(app.screen.query_one("#reminders-summary").render())
        assert f"{CHASED} third parties overdue a reply" in summary
        assert table.row_count == CHASED  # nothing else is due in this office
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor == CHASED - 1 and table.cursor_row.item.chase.party_id == whole[-1]
        assert sum(len(rows) for rows in table._blocks.values()) < CHASED  # windows, never the whole list
        for _ in range(8):  # back up through the list: pages fetched by key from the one shown
            await pilot.press("pageup")
            await wait_for(pilot, lambda: table.cursor_row is not None)
            assert table.cursor_row.item.chase.party_id == whole[table.cursor]
        await pilot.press("home")
        await wait_for(pilot, lambda: table.cursor_row is not None)
        assert table.cursor_row.item.chase.party_id == whole[0]
        probe = engine.dbapi.connect(":memory:")
        try:  # the app holds every connection's page cache to one budget once the office is open
            assert probe.execute("PRAGMA soft_heap_limit").fetchone()[0] == engine.APP_CACHES_KIB * 1024
        finally:
            probe.close()
