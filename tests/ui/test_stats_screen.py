"""The Statistics screen (F6) under Pilot on a real office: chart axes of counts are whole numbers, and the
CSV export opens right in Excel and LibreOffice (UTF-8 with a byte-order mark)."""

from __future__ import annotations

import re

from pilot_helpers import NO_IDLE, SIZE, wait_for

from mpoffice_tui.services import cases, constituents
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.stats import StatsScreen, count_ticks
from tests.ui.test_case_flows import PASSPHRASE, submit_form

TABS = {"plot-month": "tab-month", "plot-category": "tab-category", "plot-workload": "tab-workload"}


def test_count_ticks_are_whole_numbers_on_a_1_2_5_step():
    assert count_ticks(0) == [0, 1] and count_ticks(3) == [0, 1, 2, 3]
    assert count_ticks(7) == [0, 2, 4, 6, 8] and count_ticks(37) == [0, 10, 20, 30, 40]
    assert count_ticks(1234) == [0, 500, 1000, 1500]


async def test_chart_axes_count_in_whole_numbers_and_the_csv_opens_in_excel(office, office_path, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2025-03-05")
    person = constituents.create(office, forenames="Zoé", surname="Martin")
    for n, category in enumerate(("Santé", "Santé", "Housing")):
        cases.create_case(office, constituent_id=person.id, title=f"Case {n}", category=category,
                          assignee="Ann Manager")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen) and app.screen.stats is not None)
        screen = app.screen
        for plot, tab in TABS.items():
            screen.query_one("#stats-tabs").active = tab
            await pilot.pause()
            drawn = screen.query_one(f"#{plot}").render().plain
            ticks = re.findall(r"(?m)^\s*(\S+)┤", drawn) + re.findall(r"(?m)^\s*([\d.]+(?:\s+[\d.]+)+)\s*$", drawn)
            assert ticks, plot
            assert not re.search(r"\d\.\d", " ".join(ticks)), (plot, ticks)  # never 0.50 or 2.25 cases
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await submit_form(pilot, path=str(tmp_path))
        await wait_for(pilot, lambda: list(tmp_path.glob("mpoffice-stats-*.csv")))
    [saved] = list(tmp_path.glob("mpoffice-stats-*.csv"))
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "category,Santé,cases,2" in data.decode("utf-8-sig")
