"""The electoral register: type a name, postcode or address; matching electors appear as you type."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, Static

from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable

DEBOUNCE_SECONDS = 0.15


class RegisterScreen(OfficeScreen):
    """Search the electoral register (a plain prefix/LIKE query for now)."""

    BINDINGS = [
        Binding("ctrl+f", "search", "Search"),
        Binding("down", "to_results", "Results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Name, postcode or address", id="register-search")
        yield Static("", id="register-summary", classes="summary")
        yield PagedTable([
            Column("Name", lambda r: r.name, min_width=16),
            Column("Postcode", lambda r: r.postcode, width=9),
            Column("Address", lambda r: r.address, min_width=20),
            Column("Number", lambda r: r.number, width=10, drop_order=1),
        ], id="electors", empty_text="No elector matches.")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#register-search", Input).focus()
        self._search()

    def _search(self) -> None:
        from mpoffice_tui.services import lists

        office, query = self.app.office, self.query_text
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        self.query_one("#electors", PagedTable).set_source(
            lambda: lists.count_electors(office, query),
            lambda offset, limit: lists.page_electors(office, query, offset, limit))

    @on(Input.Changed, "#register-search")
    def changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._search)

    @on(Input.Submitted, "#register-search")
    def submitted(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._search()
        self.query_one("#electors", PagedTable).focus()

    @on(PagedTable.Loaded, "#electors")
    def loaded(self, event: PagedTable.Loaded) -> None:
        what = f" matching “{self.query_text.strip()}”" if self.query_text.strip() else " on the register"
        self.query_one("#register-summary", Static).update(Text(f"{event.count:,} electors{what}"))

    def action_search(self) -> None:
        self.query_one("#register-search", Input).focus()

    def action_to_results(self) -> None:
        self.query_one("#electors", PagedTable).focus()
