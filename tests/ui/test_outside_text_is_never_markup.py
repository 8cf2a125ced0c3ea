"""Text from outside (names, subjects, attachment names, the office's own name) is shown as written on
every main screen and in notifications: `[/x]` is never parsed as markup (it raised MarkupError and the
app exited), `[bold]x[/bold]` is never styled away."""

from __future__ import annotations

from email.message import EmailMessage

from pilot_helpers import NO_IDLE, SIZE, wait_for
from textual.widgets._toast import Toast

from mpoffice_tui.db.engine import create_office
from mpoffice_tui.services import cases, constituents, inbox
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.case_list import CasesScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen

PASSPHRASE = "correct horse battery"
HOSTILE_NAME = "[/x]"
HOSTILE_FILE = "[bold]x[/bold].pdf"


def screen_text(app) -> str:
    """Everything the terminal shows now, as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # noqa: SLF001


async def test_outside_text_with_markup_is_shown_as_written(tmp_path):
    office_path = tmp_path / "office" / "office.mpo"
    office = create_office(office_path, office_name="Office of [i]Helen[/i] MP", mp_name="Helen MP",
                           staff_name="Ann Manager", passphrase=PASSPHRASE).office
    person = constituents.create(office, forenames=HOSTILE_NAME, surname="O'Brien [red]", email="x@example.org")
    cases.create_case(office, constituent_id=person.id, title="Damp [/x] flat [b]now[/b]")
    mail = EmailMessage()
    mail["From"] = f'"{HOSTILE_NAME} Siân" <sian@example.org>'
    mail["To"] = "office@example.org"
    mail["Subject"] = "Help [/red] please"
    mail["Message-ID"] = "<hostile-1@example.org>"
    mail["Date"] = "Tue, 03 Mar 2026 10:00:00 +0000"
    mail.set_content("Please help [/x].")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=HOSTILE_FILE)
    eml = tmp_path / "hostile.eml"
    eml.write_bytes(bytes(mail))
    inbox.import_paths(office, [eml])
    office.close()

    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.detail is not None)
        await pilot.pause()
        shown = screen_text(app)
        assert "Help [/red] please" in shown
        assert "Office of [i]Helen[/i] MP" in shown
        attachments_shown = HOSTILE_FILE in shown
        # a notification naming outside text: shown as written, never a MarkupError
        app.notify(f"Saved {HOSTILE_FILE} and [/x]")
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        assert f"Saved {HOSTILE_FILE} and [/x]" in screen_text(app)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen) and app.screen.query("#cases")
                       and app.screen.query_one("#cases").loaded)
        await pilot.pause()
        assert "Damp [/x] flat [b]now" in screen_text(app)  # (the column is narrower than the title)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await pilot.pause()
        shown = screen_text(app)
        assert "[/x] O'Brien [red]" in shown or "O'Brien [red]" in shown
        assert app.is_running
    assert attachments_shown
