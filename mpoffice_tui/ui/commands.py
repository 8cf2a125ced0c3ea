"""The command palette's own commands: switch screen, lock, and go to a case by reference or title."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.types import IgnoreReturnCallbackType

from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.typed import office_app
from mpoffice_tui.ui.work import office_value

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp


def _office_settings(app: OfficeApp) -> None:
    from mpoffice_tui.ui.dialogs.office_settings import open_office_settings

    open_office_settings(app)


def _mail_accounts(app: OfficeApp) -> None:
    from mpoffice_tui.ui.dialogs.mail_accounts import open_mail_accounts

    open_mail_accounts(app)


class OfficeCommands(Provider):
    """Commands for the unlocked office; nothing is offered while the office is locked."""

    def _static(self) -> list[tuple[str, str, IgnoreReturnCallbackType]]:
        app = office_app(self)
        return [
            ("Go to Inbox", "Show the inbox (F2)", partial(app.action_mode, "inbox")),
            ("Go to Cases", "Show the case list (F3)", partial(app.action_mode, "cases")),
            ("Go to Register", "Search the electoral register (F4)", partial(app.action_mode, "register")),
            ("Due today and overdue", "Review dates and tasks falling due (F5)", partial(app.action_mode, "reminders")),
            ("Statistics", "Charts of the casework, CSV export (F6)", partial(app.action_mode, "stats")),
            ("Contacts directory", "Councils, agencies, MP hotlines (F7)", partial(app.action_mode, "contacts")),
            ("Go to Sync", "Sync with the office's other machines (F8)", partial(app.action_mode, "sync")),
            ("Letter templates", "Templates for letters, replies and campaign acknowledgements (F9)",
             partial(app.action_mode, "templates")),
            ("Surgery", "Advice surgeries: the day's list, bookings, walk-ins and visits (F11)",
             partial(app.action_mode, "surgery")),
            ("Mail accounts", "The office's mailboxes: online or not, last fetch, waiting and failed mail; fetch "
             "and send now", partial(_mail_accounts, app)),
            ("Office settings", "The MP's name, the office's address, phone, email and nation",
             partial(_office_settings, app)),
            ("Lock the office", "Close the database and ask for the passphrase (Ctrl+L)", app.action_lock),
        ]

    def _unlocked(self) -> bool:
        return office_app(self).office is not None

    async def discover(self) -> Hits:
        if not self._unlocked():
            return
        for label, help_text, command in self._static():
            yield DiscoveryHit(label, command, text=label, help=help_text)

    async def search(self, query: str) -> Hits:
        if not self._unlocked():
            return
        matcher = self.matcher(query)
        for label, help_text, command in self._static():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, text=label, help=help_text)
        query = query.strip()
        if len(query) < 2:
            return
        from mpoffice_tui.services import lists

        app = self.app
        try:
            rows = await office_value(app, lambda office: lists.find_cases(office, query, 12), "palette-cases")
        except Exception:  # noqa: BLE001 - the office may have been locked meanwhile
            return
        for n, row in enumerate(rows):
            display = Text.assemble((row.ref, "bold"), "  ", one_line(row.title))
            # the palette reads `help` as markup: a name such as "[b]" must show as typed
            help_text = escape(" · ".join(x for x in (one_line(row.constituent), row.status.replace("_", " ")) if x))
            score = (1.0 if row.ref.upper().startswith(query.upper()) else 0.8) - n * 0.001
            yield Hit(score, display, partial(office_app(self).open_case, row.id),
                      text=f"{row.ref} {row.title}", help=help_text or None)
