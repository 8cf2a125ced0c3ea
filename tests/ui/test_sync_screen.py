"""The Sync screen and automatic sync under Pilot, on two real replicas made by invite and join."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import wait_for
from textual.widgets import Input

from conftest import PASSPHRASE
from mpoffice_tui.config import Settings
from mpoffice_tui.db.engine import create_office, open_office
from mpoffice_tui.db.models import Constituent
from mpoffice_tui.sync import auto, enrol
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.sync import SyncScreen
from mpoffice_tui.ui.widgets.paged_table import PagedTable

INVITE = "one-time invitation words"
SIZE = (110, 32)




@pytest.fixture
def replicas(tmp_path):
    """(path of A, path of B, the sync folder, id of a constituent on both): closed files."""
    a = create_office(tmp_path / "a" / "a.mpo", office_name="Office of Jane Smith MP", mp_name="Jane Smith MP",
                      staff_name="Ann Manager", passphrase=PASSPHRASE).office
    with a.writing() as w:
        jo = w.insert(Constituent, forenames="Jo", surname="Bloggs", phone="0100")
    inv = enrol.invite(a, tmp_path, passphrase=INVITE, label="laptop")
    enrol.join(inv.path, INVITE, tmp_path / "b" / "b.mpo")
    a.close()
    folder = tmp_path / "shared"
    folder.mkdir()
    return tmp_path / "a" / "a.mpo", tmp_path / "b" / "b.mpo", folder, jo.id


def phone(office, row_id: str) -> str:
    with office.read() as s:
        return s.get(Constituent, row_id).phone


async def test_edit_on_one_sync_see_it_on_the_other(replicas):
    a_path, b_path, folder, jo = replicas
    with open_office(b_path, PASSPHRASE) as b:  # B edits and drops its bundle in the folder
        with b.writing() as w:
            w.update(w.get(Constituent, jo), phone="0200")
        assert auto.sync_folder_once(b, folder).online

    settings = Settings(idle_lock_minutes=0, sync_folder=str(folder), sync_interval_seconds=3600)
    app = make_app(a_path, passphrase=PASSPHRASE, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await wait_for(pilot, lambda: app.last_sync is not None)  # synced once on unlock
        assert phone(app.office, jo) == "0200"  # B's edit arrived on A
        await wait_for(pilot, lambda: "synced" in app.sub_title)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncScreen) and app.screen.loads >= 1)
        screen = app.screen
        machine = str(screen.query_one("#sync-machine").render())
        assert f"This machine: {app.office.site_code}" in machine and app.office.site_id in machine
        peers = screen.query_one("#sync-peers", PagedTable)
        await wait_for(pilot, lambda: peers.loaded and peers.row_count == 1)
        assert peers.cursor_row.code == "B" and peers.cursor_row.last_import_at
        assert screen.query_one("#sync-folder", Input).value == str(folder)

        with app.office.writing() as w:  # an edit on A: the header says it is waiting
            w.update(w.get(Constituent, jo), phone="0300")
        app.refresh_status()
        await wait_for(pilot, lambda: "1 change waiting" in app.sub_title)
        before = screen.loads
        await pilot.press("ctrl+r")  # sync now
        await wait_for(pilot, lambda: "Synced: " in str(screen.query_one("#sync-result").render())
                       and screen.loads > before)
        await wait_for(pilot, lambda: "synced" in app.sub_title)

        with app.office.writing() as w:  # an edit just before closing: the app syncs as it closes
            w.update(w.get(Constituent, jo), forenames="Joanne")

    with open_office(b_path, PASSPHRASE) as b:
        assert auto.sync_folder_once(b, folder).new_changes >= 2
        assert phone(b, jo) == "0300"
        with b.read() as s:
            assert s.get(Constituent, jo).forenames == "Joanne"


async def test_conflict_kept_and_settled_from_the_sync_screen(replicas):
    a_path, b_path, folder, jo = replicas
    with open_office(b_path, PASSPHRASE) as b:
        with b.writing() as w:
            w.update(w.get(Constituent, jo), phone="from B")
        auto.sync_folder_once(b, folder)
    with open_office(a_path, PASSPHRASE) as a, a.writing() as w:
        w.update(w.get(Constituent, jo), phone="from A")

    settings = Settings(idle_lock_minutes=0, sync_folder=str(folder), sync_interval_seconds=3600)
    app = make_app(a_path, passphrase=PASSPHRASE, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.last_sync is not None)
        await wait_for(pilot, lambda: "1 conflict" in app.sub_title)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncScreen) and app.screen.loads >= 1)
        conflicts = app.screen.query_one("#sync-conflicts", PagedTable)
        await wait_for(pilot, lambda: conflicts.loaded and conflicts.row_count == 1)
        c = conflicts.cursor_row
        assert {c.this_value, c.that_value} == {"from A", "from B"} and c.field == "phone"
        conflicts.focus()
        await pilot.press("2")  # keep that (the value that lost)
        await wait_for(pilot, lambda: conflicts.loaded and conflicts.row_count == 0)
        assert phone(app.office, jo) == c.that_value
        await wait_for(pilot, lambda: "conflict" not in app.sub_title)


async def test_setting_the_sync_folder_from_the_screen(office, office_path, tmp_path):
    office.close()
    folder = tmp_path / "usb"
    folder.mkdir()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=Settings(idle_lock_minutes=0))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and "sync" in app.sub_title)
        assert "sync not set up" in app.sub_title
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncScreen) and app.screen.loads >= 1)
        await pilot.press("ctrl+f")
        app.screen.query_one("#sync-folder", Input).value = str(tmp_path / "missing")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no such folder" in str(app.screen.query_one("#sync-result").render()))
        app.screen.query_one("#sync-folder", Input).value = str(folder)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.settings.sync_folder == str(folder.resolve()))
        await wait_for(pilot, lambda: app.last_sync is not None)
        assert list(Path(folder).glob("*.mposync"))  # this machine's bundle was written
        from mpoffice_tui import config

        assert config.load().sync_folder == str(folder.resolve())  # saved for next time
