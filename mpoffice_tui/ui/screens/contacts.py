"""The contacts directory: third parties with their preferred route; search, add and edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, Static

from mpoffice_tui.ui.dialogs.form import Field, FormDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.services.contacts import ContactView


class ContactsScreen(OfficeScreen):
    """Councils, police, NHS bodies, agencies' MP hotlines, ministers; `/` searches, `a` adds, Enter edits."""

    DEFAULT_CSS = """
    #contact-search { height: 1; border: none; padding: 0 1; background: $boost; }
    #contact-search:focus { background: $primary 20%; }
    """
    BINDINGS = [Binding("slash", "search", "Search", id="contacts-search"), Binding("a", "add", "Add", id="contacts-add"),
                Binding("l", "starter", "Load starter list", id="contacts-starter", show=False), Binding("escape", "leave_search", "Leave the search", id="contacts-leave-search", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Search contacts: organisation, department, name  (/)", id="contact-search")
        yield Static("", id="contacts-summary", classes="summary")
        yield PagedTable([
            Column("Organisation", lambda k: k.label, min_width=20),
            Column("Kind", lambda k: k.kind, width=8, drop_order=3),
            Column("Route", lambda k: k.preferred_route, width=7),
            Column("Email / phone", lambda k: k.email or k.phone or "", width=24, drop_order=1),
            Column("Reply", lambda k: f"{k.reply_days} wd", width=6, drop_order=2),
        ], id="contacts", empty_text="No contacts: press l to load the starter directory, a to add one.")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#contacts", PagedTable).focus()
        self._load()

    def _load(self) -> None:
        from mpoffice_tui.services import contacts

        office = self.app.office
        if office is None:
            return
        text = self.text
        self.query_one("#contacts", PagedTable).set_list(lambda: contacts.list_contacts(office, text, limit=5000))

    @on(PagedTable.Loaded, "#contacts")
    def loaded(self, event: PagedTable.Loaded) -> None:
        self.query_one("#contacts-summary", Static).update(Text(f"{event.count:,} contacts"))

    @on(Input.Changed, "#contact-search")
    def changed(self, event: Input.Changed) -> None:
        if self._timer:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(0.25, lambda: self._search(value))

    def _search(self, value: str) -> None:
        self.text = value
        self._load()

    @on(Input.Submitted, "#contact-search")
    def submitted(self) -> None:
        self.query_one("#contacts", PagedTable).focus()

    def action_search(self) -> None:
        self.query_one("#contact-search").focus()

    def action_leave_search(self) -> None:
        self.query_one("#contacts", PagedTable).focus()

    def action_starter(self) -> None:
        from mpoffice_tui.services import contacts

        def added(n: int) -> None:
            self.notify(f"{n} starter contacts added.")
            self._load()

        run_office(self, "contacts-starter", contacts.load_starter_contacts, added)

    def _fields(self, k: ContactView | None = None) -> list[Field]:
        from mpoffice_tui.services.contacts import KINDS, ROUTES

        def val(name: str, default: str = "") -> str:
            value = getattr(k, name) if k is not None else None
            return str(value) if value is not None else default

        return [Field("organisation", "Organisation", value=val("organisation"), required=True),
                Field("department", "Department", value=val("department")),
                Field("kind", "Kind", "choice", val("kind", "other"), [(x, x) for x in KINDS], required=True),
                Field("name", "Named person (optional)", value=val("name")),
                Field("email", "Email", value=val("email")), Field("phone", "Phone", value=val("phone")),
                Field("address", "Address", "multiline", val("address")),
                Field("preferred_route", "Preferred route", "choice", val("preferred_route", "email"),
                      [(x, x) for x in ROUTES], required=True),
                Field("reply_days", "Working days to wait for a reply", value=val("reply_days", "20")),
                Field("notes", "Notes", value=val("notes"))]

    def _done(self, result: ContactView | None) -> None:
        if result is not None:
            self.notify(f"Saved {one_line(result.label)}.")
            self._load()

    def action_add(self) -> None:
        from mpoffice_tui.services import contacts

        self.app.push_screen(FormDialog("Add a contact", self._fields(),
                                        lambda office, v: contacts.add_contact(office, **v)), self._done)

    @on(PagedTable.RowSelected, "#contacts")
    def edit(self, event: PagedTable.RowSelected[ContactView]) -> None:
        from mpoffice_tui.services import contacts

        k = event.row
        self.app.push_screen(FormDialog(f"Edit {one_line(k.label)}", self._fields(k),
                                        lambda office, v: contacts.update_contact(office, k.id, **v)), self._done)
