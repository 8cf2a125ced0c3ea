"""The one worker idiom (ui/work.py): results come back on the loop, and superseded work is dropped."""

from __future__ import annotations

import threading

from pilot_helpers import wait_for
from textual.app import App

from mpoffice_tui.ui.work import run_office


class _App(App):
    office = object()  # run_office needs an open office; these queries never touch it


async def test_a_search_superseded_as_the_person_types_never_shows_its_stale_result():
    app = _App()
    shown: list[str] = []
    slow_started, slow_may_finish = threading.Event(), threading.Event()
    settled: list[str] = []

    def slow(_office: object) -> str:
        slow_started.set()
        slow_may_finish.wait(10)
        return "old"

    async with app.run_test() as pilot:
        run_office(app, "search", slow, shown.append, settled=lambda: settled.append("old"))
        await wait_for(pilot, slow_started.is_set)
        run_office(app, "search", lambda _office: "new", shown.append, settled=lambda: settled.append("new"))
        await wait_for(pilot, lambda: shown == ["new"])
        slow_may_finish.set()
        await wait_for(pilot, lambda: sorted(settled) == ["new", "old"])  # settled runs for both
        assert shown == ["new"]


async def test_a_failure_reaches_failed_as_one_line():
    app = _App()
    errors: list[str] = []

    def broken(_office: object) -> None:
        raise ValueError("the drive\nwent away")

    async with app.run_test() as pilot:
        run_office(app, "x", broken, lambda _r: None, failed=errors.append)
        await wait_for(pilot, lambda: errors == ["the drive went away"])
