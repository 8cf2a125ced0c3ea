"""The real app under Pilot on real encrypted offices: unlock, screens, case detail, palette, locking."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pilot_helpers import drawn_text, unlock, wait_for
from sqlalchemy import insert
from textual.widgets import Input

from mpoffice_tui import paths
from mpoffice_tui.config import Settings
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import OfficeInUse
from mpoffice_tui.db.models import Case, Constituent, Elector, Message, Note
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.screens.cases import CaseDetailScreen, CasesScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.register import RegisterScreen
from mpoffice_tui.ui.screens.unlock import UnlockScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable
from mpoffice_tui.ui.widgets.timeline import Timeline

PASSPHRASE = "correct horse battery"
SIZE = (100, 30)
NO_IDLE = Settings(idle_lock_minutes=0)




def fill(office) -> dict:
    """A few rows of each kind, inserted through the one write path; returns some ids."""
    with office.writing() as w:
        who = w.insert(Constituent, forenames="Siobhán", surname="O'Brien", postcode="WX1 2AB",
                       safety_caution=True, safety_details="dog at the address", interpreter_language="Polish")
        cases = [w.insert(Case, ref=f"A-{n:05d}", title=f"Housing repair {n}", constituent_id=who.id,
                          status="open", opened_at=f"2024-01-{n:02d}T10:00:00Z") for n in range(1, 26)]
        w.insert(Note, case_id=cases[1].id, body="Rang the council [bold]twice[/bold]")
        w.insert_many(Message, [
            dict(channel="email", sender_name=f"Sender {n}", sender_email=f"s{n}@example.org",
                 subject=f"Subject {n}", body_text="Hello [red]world[/red]\x1b[2J\nSecond line",
                 received_at=f"2024-02-{n:02d}T09:00:00Z", content_hash=f"h{n}",
                 triage="new" if n % 2 else "auto_filed", case_id=cases[0].id if n % 2 == 0 else None)
            for n in range(1, 21)])
    with office.engine.begin() as conn:  # electors are local rows (an imported register), not ops
        conn.execute(insert(Elector), [
            dict(id=f"e{n}", publication_id="p1", elector_key=f"k{n}", pd="WA", eno=n,
                 surname="Okafor" if n < 4 else "Smith", forename=f"Name{n}", address=f"{n} High Street",
                 postcode="WX1 2AB", name_key=f"name{n} smith") for n in range(1, 21)])
    return {"case2": cases[1].id}


@pytest.fixture
def closed_office(office, office_path):
    ids = fill(office)
    office.close()
    return office_path, ids



def dropped(app, inbox) -> bool:
    """After a lock: the inbox that showed data and every other data screen are gone (an empty inbox
    may already be built again behind the unlock screen)."""
    return not app._in_a_stack(inbox) and not any(app._in_a_stack(m) for m in ("cases", "register", "sync"))


def table(app, selector: str) -> PagedTable:
    return app.screen.query_one(selector, PagedTable)


async def test_wrong_then_right_passphrase(closed_office):
    path, _ = closed_office
    app = make_app(path, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen))
        note = app.screen.query_one("#keyring-note").render()
        await wait_for(pilot, lambda: "keyring" in str(app.screen.query_one("#keyring-note").render()))
        await unlock(pilot, "not the passphrase")
        assert app.office is None and app.current_mode == "locked"
        message = str(app.screen.query_one("#unlock-message").render())
        assert "Wrong passphrase" in message and "Traceback" not in message
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        assert app.title == "Office of Jane Smith MP"
        await wait_for(pilot, lambda: "sync not set up" in app.sub_title)
        assert note is not None
        with app.office.engine.connect() as conn:  # the failed attempt is in the audit log now
            failed = conn.exec_driver_sql("SELECT count(*) FROM audit_events WHERE action = 'unlock.failed'")
            assert failed.fetchone()[0] == 1


async def test_missing_key_slot_file_is_a_clear_message(closed_office):
    path, _ = closed_office
    paths.keyslots_for(path).unlink()
    app = make_app(path, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "key" in str(app.screen.query_one("#unlock-message").render()).lower())
        await unlock(pilot)
        assert app.office is None
        assert "Traceback" not in str(app.screen.query_one("#unlock-message").render())


async def test_move_through_screens_and_inbox_lanes(closed_office):
    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        inbox = table(app, "#messages")
        await wait_for(pilot, lambda: inbox.loaded)
        assert inbox.row_count == 10
        assert inbox.cursor_row.subject == "Subject 19"  # newest first
        preview = app.screen.query_one("#preview-body")
        await wait_for(pilot, lambda: "Second line" in str(preview.render()))
        shown = str(preview.render())
        assert "[red]world[/red]" in shown and "\x1b" not in shown  # never markup, no control codes
        await pilot.press("down")
        assert inbox.cursor_row.subject == "Subject 17"
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: app.screen.lane == "auto_filed" and inbox.loaded)
        assert inbox.row_count == 10 and inbox.cursor_row.case_ref == "A-00001"

        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and table(app, "#cases").loaded)
        cases = table(app, "#cases")
        assert cases.row_count == 25 and cases.cursor_row.ref == "A-00025"
        await pilot.press("s")  # sort by reference, picked from the list
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#field-sort").value = "ref"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: cases.loaded and cases.cursor_row and cases.cursor_row.ref == "A-00001")
        await pilot.press("end")
        await wait_for(pilot, lambda: cases.cursor_row is not None and cases.cursor == 24)
        assert cases.cursor_row.ref == "A-00025"

        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and table(app, "#electors").loaded)
        electors = table(app, "#electors")
        assert electors.row_count == 20
        await pilot.press(*"okafor")
        await wait_for(pilot, lambda: electors.loaded and electors.row_count == 3)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))


async def test_case_detail_and_back(closed_office):
    path, ids = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and table(app, "#cases").loaded)
        await pilot.press("end")
        await wait_for(pilot, lambda: table(app, "#cases").cursor_row is not None
                       and table(app, "#cases").cursor_row.ref == "A-00001")
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        detail = app.screen.detail
        assert detail.id == ids["case2"] and detail.ref == "A-00002"
        head = str(app.screen.query_one("#case-head").render())
        assert "A-00002" in head and "Siobhán O'Brien" in head
        flags = str(app.screen.query_one("#case-flags").render())
        assert "SAFETY CAUTION" in flags and "Polish" in flags
        timeline = app.screen.query_one(Timeline)
        await wait_for(pilot, lambda: timeline.items)
        timeline.highlighted = 0
        await pilot.pause()
        assert "[bold]twice[/bold]" in drawn_text(timeline)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))


async def test_palette_goes_to_case_by_reference(closed_office):
    path, ids = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        await pilot.press("ctrl+p")
        await pilot.press(*"A-00002")
        await pilot.pause(0.6)  # the palette debounces and searches in a thread
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen))
        assert app.current_mode == "cases" and app.screen.case_id == ids["case2"]


async def test_palette_shows_a_persons_name_as_typed_never_as_markup(office, office_path):
    """The palette's second line of a case hit is read by Textual as markup: a name holding "[b]" or "[/x]"
    (which would crash it) shows as typed."""
    from textual.command import CommandList

    ids = fill(office)
    with office.writing() as w:
        case = w.get(Case, ids["case2"])
        w.update(w.get(Constituent, case.constituent_id), surname="O'Brien [b]x[/b] [/x]")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        await pilot.press("ctrl+p")
        await pilot.press(*"A-00002")

        def hit() -> str:
            found = [str(o.prompt) for o in app.screen.query_one(CommandList).options]
            return next((p for p in found if p.startswith("A-00002")), "")

        await wait_for(pilot, lambda: bool(hit()))
        assert "O'Brien [b]x[/b] [/x]" in hit()
        assert hit().startswith("A-00002  ")


async def test_lock_closes_the_office_and_unlock_again(closed_office):
    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        shown = app.screen  # the inbox, with the office's mail on it
        with pytest.raises(OfficeInUse):
            open_office(path, PASSPHRASE)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and table(app, "#cases").loaded)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen))
        case_id = app.screen.case_id
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and dropped(app, shown))
        assert app.office is None  # and no screen that showed data is left
        title = drawn_text(app.screen.query_one("HeaderTitle"))
        assert "locked" in title and "Jane Smith" not in title
        assert not app.screen.query_one("#passphrase", Input).value
        other = open_office(path, PASSPHRASE)  # the file is really closed and unlocked
        other.close()
        await pilot.press("f3")  # mode keys do nothing while locked
        assert isinstance(app.screen, UnlockScreen)
        await unlock(pilot)  # back on the case that was open
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.case_id == case_id)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and table(app, "#messages").loaded)
        assert table(app, "#messages").row_count == 10


async def test_idle_auto_lock(closed_office):
    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=Settings(idle_lock_minutes=0.01))  # 0.6 s
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        shown = app.screen
        # the office closes first; then every screen that showed its data is dropped
        await wait_for(pilot, lambda: app.office is None and dropped(app, shown), timeout=20)
        assert isinstance(app.screen, UnlockScreen)
        assert "without use" in str(app.screen.query_one("#unlock-message").render())


async def test_a_timer_firing_while_the_office_locks_finds_every_screen(closed_office):
    """The lock drops each data screen and adds a fresh one; the Inbox built behind the unlock screen
    runs on a timer, which may fire in between: it must never find a screen missing."""
    import asyncio

    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        done: list[str] = []

        async def lock_while_the_timer_fires() -> None:  # run by the app, as its own timers are
            locking = asyncio.ensure_future(app.lock("test"))
            while not (app.office is None and app.current_mode == "locked"):
                await asyncio.sleep(0)
            app.last_activity = 0.0  # quiet: the timer builds the Inbox now
            app._prebuild_inbox()  # what the timer does, mid-lock (it raised UnknownModeError)
            await locking
            done.append("locked")

        app.call_later(lock_while_the_timer_fires)
        await wait_for(pilot, lambda: done and isinstance(app.screen, UnlockScreen))
        app.last_activity = 0.0
        await wait_for(pilot, lambda: app._in_a_stack("inbox"))  # and once locked, it is built after all
        assert isinstance(app.screen, UnlockScreen)


def test_app_module_does_not_import_the_database_stack():
    code = ("import sys, mpoffice_tui.ui.app; "
            "bad = [m for m in ('sqlmodel', 'sqlalchemy', 'sqlcipher3', 'mpoffice_tui.db.engine') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_unlock_with_the_mouse(closed_office):
    path, _ = closed_office
    app = make_app(path, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen) and not app.screen.busy)
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.click("#unlock-button")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert app.office is not None


async def test_every_screen_key_is_also_in_the_palette(closed_office):
    """Keys hidden from the footer (e.g. the case's Chase key) are still listed in the command palette."""
    path, _ = closed_office
    app = make_app(path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.query("#messages")))
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and table(app, "#cases").loaded)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert any(t.startswith("Chase (") for t in titles), titles
        assert "Screenshot" not in titles
        attach = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Attach ("))
        assert "encrypted" in attach.help  # says what the key does, not only which key it is
        detail = app.screen
        await attach.callback()
        await wait_for(pilot, lambda: app.screen is not detail)  # the attach form opened from the palette
