"""Importing a register that would remove most of a council's electors asks first, in the app too."""

from __future__ import annotations

from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets import Input

from conftest import PASSPHRASE
from mpoffice_tui.services import register as reg
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.screens.register import RegisterScreen
from mpoffice_tui.ui.screens.register_import import ImportRegisterScreen

HEAD = "PD,ENO,First Name,Surname,Postcode,Address 1,UPRN\n"


def _export(path, count: int):
    path.write_text(HEAD + "".join(f"AA,{i},Name{i},Surname{i},BB1 1AA,{i} High Street,{900000 + i}\n"
                                   for i in range(1, count + 1)), encoding="utf-8")
    return path


def _held(office_path) -> int:
    from mpoffice_tui.db.engine import open_office

    with open_office(office_path, PASSPHRASE) as office:
        return sum(p.rows for p in reg.publications(office))


async def test_a_short_newer_file_asks_and_no_keeps_the_register(office, office_path, tmp_path):
    reg.import_register(office, [_export(tmp_path / "burnley_2026-11-01.csv", 300)])
    office.close()
    short = _export(tmp_path / "burnley_2026-12-01.csv", 5)
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportRegisterScreen))
        dialog = app.screen
        dialog.query_one("#import-paths", Input).value = str(short)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "remove 295 of the 300 electors" in app.screen.question.plain
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is dialog and not dialog.busy)
        text = str(dialog.query_one("#import-summary").render())
        assert "NOT IMPORTED" in text and "Nothing was changed" in text
        await pilot.press("enter")  # the same again, and this time yes
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is dialog and not dialog.busy and dialog.summary is not None)
        assert dialog.summary.imported == 5 and dialog.summary.replaced == 300
    assert _held(office_path) == 5
