"""Mail accounts (palette: "Mail accounts"): how each of the office's mailboxes stands, read-only, and a
key to fetch and send now. Accounts are added and moved with `mpoffice mail account …`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.jobs import MailActivity
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.services.mail_status import AccountStatus
    from mpoffice_tui.ui.app import OfficeApp


def local_time(iso: str | None) -> str:
    """'2026-03-05 09:14' in this machine's time, from a UTC ISO stamp ('never' without one)."""
    if not iso:
        return "never"
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return "?"


def accounts_text(accounts: list[AccountStatus]) -> Text:
    """Each account in a few lines."""
    if not accounts:
        return Text("No mail account yet. Add one with `mpoffice mail account add` (see `mpoffice mail --help`).")
    text = Text()
    for n, a in enumerate(accounts):
        if n:
            text.append("\n\n")
        text.append(one_line(a.name), "bold")
        text.append(f"  {one_line(a.address)}\n")
        text.append("Mail machine: ", "dim")
        text.append(one_line(a.mail_machine))
        state = "not tried yet" if a.online is None else "online" if a.online else "offline"
        text.append("   ")
        text.append(state, "bold green" if a.online else "bold yellow" if a.online is False else "dim")
        text.append("\nLast fetch: ", "dim")
        text.append(local_time(a.last_fetch))
        text.append("   To send: ", "dim")
        text.append(str(a.queued + a.sending))
        if a.awaiting_approval:
            text.append("   Awaiting approval: ", "dim")
            text.append(str(a.awaiting_approval))
        text.append("   Failed: ", "dim")
        text.append(str(a.failed), "bold red" if a.failed else "")
        if a.problem:
            text.append("\nLast problem: ", "bold yellow")
            text.append(one_line(a.problem))
    return text


class MailAccountsDialog(OfficeDialog[None]):
    """The office's mail accounts as this machine sees them."""

    DEFAULT_CSS = "MailAccountsDialog .dialog-box { width: 96; }"
    BINDINGS = [
        Binding("f", "fetch_now", "Fetch and send now", id="mail-fetch-now"),
        Binding("r", "reload", "Refresh", id="mail-accounts-refresh"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text("Mail accounts", style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-fields"):
                yield Static(Text("Loading…"), id="mail-accounts")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Fetch and send now", variant="primary", id="mail-fetch")
                yield Button("Close", id="dialog-cancel")

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        from mpoffice_tui.services import mail_status

        run_office(self, "mail-accounts", mail_status.status, self._show)

    def _show(self, accounts: list[AccountStatus]) -> None:
        self.accounts = accounts
        for panel in self.query("#mail-accounts").results(Static):  # (gone: the dialog closed meanwhile)
            panel.update(accounts_text(accounts))

    @on(Button.Pressed, "#mail-fetch")
    def fetch_pressed(self) -> None:
        self.action_fetch_now()

    @on(Button.Pressed, "#dialog-cancel")
    def close_pressed(self) -> None:
        self.dismiss(None)

    def action_fetch_now(self) -> None:
        accounts = getattr(self, "accounts", None) or []
        if not any(a.here for a in accounts):
            self.notify("This machine is not the mail machine of any account: nothing to fetch here "
                        "(`mpoffice mail account move NAME --to here` makes it one).", severity="warning")
            return
        if self.app.mail_wake(fetch=True):
            self.notify("Fetching and sending now…")

    @on(MailActivity)
    def mail_activity(self) -> None:
        self.action_reload()


def open_mail_accounts(app: OfficeApp) -> None:
    if app.office is not None:
        app.push_screen(MailAccountsDialog())
