"""Issue 17 under Pilot: opening a case is recorded (in a batch, off the loop) and a manager sees who looked;
the subject access review keeps or releases each proposed redaction in context; overdue requests in the
header and reminders."""

from __future__ import annotations

from dp_data import plant
from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets import Static

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.services import audit, sar_requests
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.simple import TextDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.constituent import ConstituentScreen
from mpoffice_tui.ui.screens.sar_review import SarReviewScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable


def _views(path) -> list[tuple[str, str]]:
    office = open_office(path, PASSPHRASE)
    try:
        with office.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT action, target FROM audit_events WHERE action LIKE '%.view' "
                                        "ORDER BY at").fetchall()
    finally:
        office.close()


async def test_opening_a_case_is_recorded_and_a_manager_sees_who_looked(office, office_path, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-11-02")
    p = plant(office)
    sar_requests.new_request(office, p.subject_id, received_on="2026-09-01")  # overdue since 1 October
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.office is not None)
        await wait_for(pilot, lambda: "1 SAR overdue" in str(app.sub_title))  # the manager's header
        await app.open_case(p.case_id)
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        app.refresh_status()  # as the app's timer does every few seconds: the batch is written off the loop
        await wait_for(pilot, lambda: audit.pending_views(app.office) == 0)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        shown = str(app.screen.query_one("#dialog-body", Static).render())
        assert "Ann Manager" in shown and "opened the case on machine" in shown
        await pilot.press("escape")
        await pilot.press("o")  # the constituent's record: a view too
        await wait_for(pilot, lambda: isinstance(app.screen, ConstituentScreen) and app.screen.person is not None)
    assert ("case.view", f"case:{p.case_id}") in _views(office_path)  # the last ones written as the office closed
    assert ("constituent.view", f"constituent:{p.subject_id}") in _views(office_path)


async def test_reviewing_proposed_redactions_in_context(office, office_path, monkeypatch, tmp_path):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-11-02")
    p = plant(office)
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.office is not None)
        await app.push_screen(ConstituentScreen(p.subject_id))
        await wait_for(pilot, lambda: isinstance(app.screen, ConstituentScreen) and app.screen.person is not None)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, SarReviewScreen) and app.screen.review is not None)
        screen = app.screen
        table = screen.query_one("#sar-proposals", PagedTable)
        await wait_for(pilot, lambda: table.loaded and table.cursor_row is not None)
        first = table.cursor_row.proposal
        assert first.text == "Zebedee" and first.withheld and not first.decided
        context = str(screen.query_one("#sar-context", Static).render())
        assert "My neighbour Zebedee saw the mould" in context
        await pilot.press("space")  # release it
        await wait_for(pilot, lambda: table.cursor_row is not None and table.cursor_row.proposal.decided)
        assert not table.cursor_row.proposal.withheld and table.cursor_row.state == "RELEASED"
        await pilot.press("K")  # keep the rest withheld
        await wait_for(pilot, lambda: screen.review.undecided == 0)
        assert screen.review.withheld == len(screen.review.proposals) - 1
