"""The Register screen: the electoral register (lookup, import, bulk list) and the Register of Interests.

Tab 1, electoral register: type a name, postcode, address or elector number; `services.register.lookup`
runs in a thread worker (debounced) and its hits fill the table, the highlighted one shown in full on the
right (address, markers, the others at the address, known constituents with open cases). "Not found" is
advice, never a refusal. With an empty search box, staff allowed `register.bulk` see the whole register
in pages; volunteers see a prompt to look one person up. Ctrl+O imports council files (with progress).
Tab 2, Register of Interests: see `ui/screens/interests.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, TabPane

from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.screens.interests import InterestsPane
from mpoffice_tui.ui.screens.register_import import ImportRegisterScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from textual.timer import Timer

    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.cases import CaseRow
    from mpoffice_tui.services.lists import ElectorRow
    from mpoffice_tui.services.register import ElectorView, Hit, LookupResult

DEBOUNCE_SECONDS = 0.15
LOOKUP_LIMIT = 50
PROMPT = "Type a name, postcode, address or elector number (e.g. AB1-124/1)."


@dataclass(frozen=True)
class ShownElector:
    """One row of the electors table: a lookup hit, or a row of the bulk list."""

    number: str
    name: str
    address: str
    postcode: str
    notes: str
    known: str
    key: str
    hit: Hit | None = None  # for lookup rows


def marker_words(markers: str, attainment_date: str | None = None, optout: bool = False) -> str:
    """Markers in short words for a table cell."""
    words = []
    if "F" in markers:
        words.append("overseas")
    if "N" in markers:
        words.append("anonymous")
    if optout or "Z" in markers:
        words.append("opted out")
    if attainment_date:
        words.append(f"attainer {attainment_date}")
    elif "A" in markers:
        words.append("attainer")
    return ", ".join(words)


def _anonymous(e: ElectorView) -> bool:
    return "N" in (e.markers or "")


def _from_hit(hit: Hit) -> ShownElector:
    e = hit.elector
    known = ""
    if hit.constituents:
        open_cases = sum(c.open_cases for c in hit.constituents)
        known = f"{open_cases} open" if open_cases else "yes"
    if _anonymous(e):
        return ShownElector(e.number, "Anonymous elector", "", "", marker_words(e.markers), known, e.key, hit)
    return ShownElector(e.number, e.name, e.address, e.postcode,
                        marker_words(e.markers, e.attainment_date, e.open_register_optout), known, e.key, hit)


def _from_row(row: ElectorRow) -> ShownElector:
    return ShownElector(row.number, row.name, row.address, row.postcode,
                        marker_words(row.markers, None, row.optout), "", row.key, None)


def elector_card(hit: Hit) -> Text:
    """Everything known about one hit, as plain (never markup) text."""
    e = hit.elector
    out = Text()
    out.append(e.number, "bold")
    out.append("  ")
    if _anonymous(e):
        out.append("Anonymous elector", "bold")
        out.append("\nShown by number only: the name and address are not on the register's print.\n")
    else:
        out.append(one_line(e.name), "bold")
        where = ", ".join(x for x in (one_line(e.address), e.postcode) if x)
        if not where and "F" in e.markers:
            where = "overseas elector: no UK address shown"
        out.append("\n" + (where or "(no address)") + "\n")
    council = one_line(e.council)
    if council:
        out.append(f"{council}" + (f", published {e.published_on}" if e.published_on else "") + "\n", "dim")
    for note in e.notes:
        out.append("• " + one_line(note) + "\n", "yellow")
    out.append("\n")
    if hit.constituents:
        for c in hit.constituents:
            cases = f"{c.open_cases} open case{'s' if c.open_cases != 1 else ''}"
            out.append("Known constituent: ", "bold")
            out.append(f"{one_line(c.name)}, {cases}\n")
    else:
        out.append("Not a known constituent yet.\n", "dim")
    if _anonymous(e):
        return out
    if hit.household:
        total = len(hit.household) + hit.household_more
        out.append(f"\nAlso registered at this address ({total}):\n", "bold")
        for o in hit.household:
            name = "Anonymous elector" if _anonymous(o) else one_line(o.name)
            extra = marker_words(o.markers, o.attainment_date, o.open_register_optout)
            out.append(f"  {o.number:<12} {name}" + (f"  ({extra})" if extra else "") + "\n")
        if hit.household_more:
            out.append(f"  … and {hit.household_more} more\n", "dim")
    else:
        out.append("\nNobody else is registered at this address.\n", "dim")
    return out


class RegisterScreen(OfficeScreen):
    """The electoral register and the Register of Interests, in two tabs."""

    BINDINGS = [
        Binding("ctrl+f", "search", "Search", id="register-search-ctrl-f"),
        Binding("ctrl+o", "import_register", "Import register", id="register-import-register"),
        Binding("ctrl+t", "next_tab", "Other tab", id="register-next-tab"),
        Binding("n", "new_case", "New case", id="register-new-case", tooltip="A new case for the highlighted elector (Enter does too): "
                "name, title, address and the register link filled in"),
        Binding("down", "to_results", "Results", id="register-to-results", show=False),
    ]

    class Looked(Message):
        """A lookup finished (posted from the worker)."""

        def __init__(self, query: str, result: LookupResult) -> None:
            super().__init__()
            self.query, self.result = query, result

    class BulkState(Message):
        def __init__(self, allowed: bool) -> None:
            super().__init__()
            self.allowed = allowed




    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.result: LookupResult | None = None  # the last lookup shown
        self.bulk_allowed: bool | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="electoral", id="register-tabs"):
            with TabPane("Electoral register", id="electoral"):
                yield Input(placeholder="Name, postcode, address or elector number", id="register-search")
                yield Static("", id="register-summary", classes="summary")
                with Horizontal(id="register-body"):
                    columns: list[Column[ShownElector]] = [
                        Column("Number", lambda r: r.number, width=10),
                        Column("Name", lambda r: r.name, min_width=14),
                        Column("Address", lambda r: ", ".join(x for x in (r.address, r.postcode) if x),
                               min_width=16),
                        Column("Markers", lambda r: r.notes, width=10, drop_order=1),
                        Column("Known", lambda r: r.known, width=7, drop_order=2),
                    ]
                    yield PagedTable(columns, id="electors", empty_text="No elector matches.")
                    with VerticalScroll(id="elector-detail"):
                        yield Static(Text(PROMPT, style="dim"), id="elector-card")
                yield Static("", id="publications", classes="summary")
            with TabPane("Register of Interests", id="interests"):
                yield InterestsPane(id="interests-pane")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#register-search", Input).focus()
        self._search()
        self._load_publications()

    # -- lookup and the bulk list ---------------------------------------------------------------
    def _search(self) -> None:
        office, query = self.app.office, self.query_text.strip()
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        table = self.query_one("#electors", PagedTable)
        if not query:
            self.result = None
            table.set_source(*self._bulk_source(office))
            return

        def load() -> list[ShownElector]:
            from mpoffice_tui.services import register as reg

            result = reg.lookup(office, query, limit=LOOKUP_LIMIT)
            self.post_message(self.Looked(query, result))
            return [_from_hit(h) for h in result.hits]

        table.empty_text = "Not found on the register (see the advice above)."
        table.set_list(load)

    def _bulk_source(self, office: Office):
        def count() -> int:
            from mpoffice_tui.services import access, lists

            allowed = access.can(office, "register.bulk")
            self.post_message(self.BulkState(allowed))
            return lists.count_electors(office, "") if allowed else 0

        def fetch(offset: int, limit: int) -> list[ShownElector]:
            from mpoffice_tui.services import lists

            return [_from_row(r) for r in lists.page_electors(office, "", offset, limit)]

        return count, fetch

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

    def on_register_screen_looked(self, message: Looked) -> None:
        if message.query != self.query_text.strip():
            return  # an older search finished late
        self.result = message.result
        summary = self.query_one("#register-summary", Static)
        summary.set_class(not message.result.found, "advice")
        summary.update(Text(one_line(message.result.message)))
        if not message.result.found:
            self.query_one("#elector-card", Static).update(Text(one_line(message.result.message), style="italic"))

    def on_register_screen_bulk_state(self, message: BulkState) -> None:
        self.bulk_allowed = message.allowed
        if self.query_text.strip():
            return
        table = self.query_one("#electors", PagedTable)
        table.empty_text = "No electoral register imported yet: Ctrl+O imports the council's files." \
            if message.allowed else PROMPT

    @on(PagedTable.Loaded, "#electors")
    def loaded(self, event: PagedTable.Loaded) -> None:
        if self.query_text.strip():
            return  # the lookup's own message says what was found
        summary = self.query_one("#register-summary", Static)
        summary.remove_class("advice")
        if self.bulk_allowed:
            summary.update(Text(f"{event.count:,} electors on the register. {PROMPT}"))
        else:
            summary.update(Text(f"{PROMPT} (Listing the whole register is for staff, not volunteers.)"))
        if not event.count:
            self.query_one("#elector-card", Static).update(Text(PROMPT, style="dim"))

    @on(PagedTable.RowHighlighted, "#electors")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        row: ShownElector = event.row
        if row.hit is not None:
            self.query_one("#elector-card", Static).update(elector_card(row.hit))
            return
        number, key = row.number, row.key

        def detail(office: Office) -> Hit | None:
            from mpoffice_tui.services import register as reg

            result = reg.lookup(office, number, limit=20)
            return next((h for h in result.hits if h.elector.key == key), None)

        run_office(self, "elector-detail", detail, lambda hit: self._show_detail(key, hit))

    def _show_detail(self, key: str, hit: Hit | None) -> None:
        row = self.query_one("#electors", PagedTable).cursor_row
        if row is not None and row.key == key and hit is not None:
            self.query_one("#elector-card", Static).update(elector_card(hit))

    # -- a case for the person on the register ---------------------------------------------------
    @on(PagedTable.RowSelected, "#electors")
    def selected(self, event: PagedTable.RowSelected) -> None:
        self.action_new_case()

    def action_new_case(self) -> None:
        table = self.query_one("#electors", PagedTable)
        row: ShownElector | None = table.cursor_row if self._tab() == "electoral" else None
        if row is None:
            self.notify("Find the person on the register first.", severity="warning")
            return
        if row.hit is not None:
            self._case_for(row.hit)
            return
        number, key = row.number, row.key

        def hit_for(office: Office) -> Hit | None:
            from mpoffice_tui.services import register as reg

            return next((h for h in reg.lookup(office, number, limit=20).hits if h.elector.key == key), None)

        run_office(self, "elector-case", hit_for, self._case_for)

    def _case_for(self, hit: Hit | None) -> None:
        from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog

        if hit is None:
            self.notify("That entry is no longer on the register.", severity="warning")
            return
        if _anonymous(hit.elector):
            self.notify("An anonymous elector: their name and address are not on the register; type them.")
            dialog = NewCaseDialog()
        elif len(hit.constituents) == 1:  # already a known constituent: their record, not a second one
            known = hit.constituents[0]
            dialog = NewCaseDialog(known.id, known.name)
        else:
            dialog = NewCaseDialog(elector=hit.elector)

        async def opened(row: CaseRow | None) -> None:
            if row:
                await self.app.open_case(row.id)

        self.app.push_screen(dialog, opened)

    # -- publications and import ------------------------------------------------------------------
    def _load_publications(self) -> None:
        def query(office: Office) -> Text:
            from mpoffice_tui.services import register as reg

            pubs = reg.publications(office)
            if not pubs:
                return Text("No electoral register imported yet (Ctrl+O imports the council's files).")
            parts = [f"{one_line(p.council)} ({p.published_on or 'undated'}, {p.rows:,} rows)" for p in pubs]
            return Text("Registers held: " + "; ".join(parts))

        run_office(self, "register-publications", query, self._show_publications)

    def _show_publications(self, text: Text) -> None:
        self.query_one("#publications", Static).update(text)

    def action_import_register(self) -> None:
        def done(summary: object) -> None:
            if summary is not None:
                self._load_publications()
                self._search()

        self.query_one("#register-tabs", TabbedContent).active = "electoral"
        self.app.push_screen(ImportRegisterScreen(), done)

    # -- keys -------------------------------------------------------------------------------------
    def _tab(self) -> str:
        return self.query_one("#register-tabs", TabbedContent).active

    def action_search(self) -> None:
        self.query_one("#register-tabs", TabbedContent).active = "electoral"
        self.query_one("#register-search", Input).focus()

    def action_to_results(self) -> None:
        if self._tab() == "electoral":
            self.query_one("#electors", PagedTable).focus()
        else:
            self.focus_next()

    def action_next_tab(self) -> None:
        tabs = self.query_one("#register-tabs", TabbedContent)
        tabs.active = "interests" if tabs.active == "electoral" else "electoral"
        if tabs.active == "interests":
            self.query_one(InterestsPane).focus_entries()
        else:
            self.query_one("#register-search", Input).focus()
