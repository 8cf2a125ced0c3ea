"""The UI never touches the database on the event loop (DESIGN §2 rule 4): every connection the app's
office takes or closes, through the main flows (unlock, each screen, a case, a lock, quit), is taken in
a thread worker. The Office's engine is wrapped to note the thread of each checkout and close."""

from __future__ import annotations

import threading
import traceback

import pytest
from pilot_helpers import SIZE, settle, unlock, wait_for
from sqlalchemy import event

from mpoffice_tui.config import Settings
from mpoffice_tui.db import engine as db_engine
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.unlock import UnlockScreen


def _caller() -> str:
    """The innermost mpoffice_tui frame outside db/ that led here (to say which code did it)."""
    for frame in reversed(traceback.extract_stack()):
        if "mpoffice_tui" in frame.filename and "/db/" not in frame.filename:
            return f"{frame.filename.rsplit('mpoffice_tui', 1)[-1]}:{frame.lineno} {frame.name}"
    return "?"


@pytest.fixture
def on_loop(monkeypatch) -> list[str]:
    """Every database use made on this (the event loop's) thread, by name, from now on."""
    loop_thread = threading.get_ident()
    seen: list[str] = []
    make = db_engine._make_engine

    def watched(*args, **kwargs):
        engine = make(*args, **kwargs)
        for name in ("checkout", "close"):
            def note(*_args, name=name) -> None:
                if threading.get_ident() == loop_thread:
                    seen.append(f"{name} from {_caller()}")
            event.listen(engine, name, note)
        return engine

    monkeypatch.setattr(db_engine, "_make_engine", watched)
    return seen


async def test_main_flows_never_use_the_database_on_the_event_loop(demo_office_path, tmp_path, on_loop):
    from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
    from mpoffice_tui.ui.screens.inbox import InboxScreen

    folder = tmp_path / "sync"
    folder.mkdir()
    settings = Settings(idle_lock_minutes=0, sync_folder=str(folder), sync_interval_seconds=3600)
    app = make_app(demo_office_path, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.query_one("#messages").loaded)
        await settle(pilot)
        for key in ("f3", "f4", "f5", "f6", "f7", "f8", "f9", "f2"):
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen.is_mounted)
            await wait_for(pilot, lambda: app.screen._ready.is_set())
            await settle(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.query_one("#cases").loaded)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen._ready.is_set())
        await settle(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await settle(pilot)
        await unlock(pilot)  # the case comes back (work kept across the lock)
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen._ready.is_set())
        await settle(pilot)
    assert "\n".join(sorted(set(on_loop))) == ""
