"""The case list: paged from SQL, sortable (key or header click), filters, debounced search, saved views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, Static, Tab

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.widgets.tabs import Tabs
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.cases import CaseFilter, CaseRow
    from mpoffice_tui.services.staff import StaffView
    from mpoffice_tui.ui.screens.base import ScreenState

# (sort key, descending by default, label); `s` offers them in this order
SORT_CYCLE = (("opened", True, "newest first"), ("ref", False, "reference"), ("review", False, "review date"),
              ("status", False, "status"), ("constituent", False, "constituent"), ("updated", True, "last change"),
              ("priority", False, "priority"), ("category", False, "category"), ("assignee", False, "assignee"),
              ("title", False, "title"))
SORT_LABELS = {key: label for key, _, label in SORT_CYCLE}
SORT_DEFAULT_DESC = {key: desc for key, desc, _ in SORT_CYCLE}
COLUMN_SORTS = {0: "ref", 1: "title", 2: "constituent", 3: "status", 4: "category", 5: "assignee", 6: "opened",
                7: "review"}
VIEWS = ("all", "my_open", "overdue", "awaiting_agency", "closed_this_month")
NOT_CLOSED = "not_closed"  # the status filter's "all not closed" (new, open and both kinds of awaiting)
STATUS_SHORT = {"new": "new", "open": "open", "awaiting_constituent": "await const", "awaiting_third_party":
                "await 3rd pty", "closed": "closed"}


def status_label(status: str) -> str:
    return STATUS_SHORT.get(status, (status or "").replace("_", " "))


def flagged_ref(row: CaseRow) -> str:
    return ("⚠" if row.safety_caution else "") + row.ref


class CasesScreen(OfficeScreen):
    """Every case; `/` searches, `f` filters, `v`/tabs choose a saved view, `s` sorts, Enter opens."""

    LOADS_DATA = True  # ready once the first page (and a kept cursor) is on screen

    DEFAULT_CSS = """
    #case-views { height: 2; }
    #case-search { height: 1; border: none; padding: 0 1; background: $boost; }
    #case-search:focus { background: $primary 20%; }
    """
    BINDINGS = [
        Binding("slash", "search", "Search", id="cases-search", tooltip="Search by reference, title, name, postcode or email"),
        Binding("f", "filter", "Filter", id="cases-filter",
                tooltip="Filter by status, category, assignee, tag, overdue or awaiting a third party"),
        Binding("s", "sort", "Sort", id="cases-sort", tooltip="Choose the column to sort by, and the order"),
        Binding("d", "reverse", "Reverse", id="cases-reverse", show=False, tooltip="Reverse the sort order"),
        Binding("v", "next_view", "View", id="cases-next-view", tooltip="Next saved view (My open cases, Overdue, Awaiting agency…)"),
        Binding("n", "new_case", "New case", id="cases-new-case", tooltip="Open a new case for a new or known constituent"),
        Binding("x", "clear", "Clear", id="cases-clear", show=False, tooltip="Clear the search and filters"),
        Binding("r", "reload", "Reload", id="cases-reload", show=False, tooltip="Read the list again from the office"),
    ]


    def __init__(self) -> None:
        super().__init__()
        self.sort = "opened"
        self.descending = True
        self.view = "all"
        self.filters = FormValues()  # what the filter form holds (what was chosen or typed in it)
        self.search_text = ""
        self._debounce: Timer | None = None
        self.filter_obj: CaseFilter | None = None
        self._counts_due = False
        self._kept_place: Mapping[str, object] | None = None  # where the cursor goes back to after a lock

    def compose(self) -> ComposeResult:
        from mpoffice_tui.services.cases import SAVED_VIEWS

        yield Header()
        yield Tabs(Tab("All", id="view-all"),
                   *(Tab(SAVED_VIEWS[v].tab, id=f"view-{v}") for v in VIEWS[1:]), id="case-views")
        yield Input(placeholder="Search cases: reference, title, name, postcode, email  (/)", id="case-search")
        yield Static("", id="cases-summary", classes="summary")
        yield PagedTable([
            Column("Ref", flagged_ref, width=9),
            Column("Title", lambda r: r.title, min_width=14),
            Column("Constituent", lambda r: r.constituent or "", width=18, min_width=12),
            Column("Status", lambda r: status_label(r.status), width=13, drop_order=1),
            Column("Category", lambda r: r.category, width=12, drop_order=5),
            Column("Assignee", lambda r: r.assignee or "", width=12, drop_order=4),
            Column("Opened", lambda r: (r.opened_at or "")[:10], width=10, drop_order=3),
            Column("Review", lambda r: r.review_date or "", width=10, drop_order=2),
        ], id="cases", empty_text="No cases match.")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#cases", PagedTable).focus()
        self._load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.query_one("#cases", PagedTable).loaded:  # back from a case: show its changes
            self._load(keep_cursor=True)

    # -- the source ---------------------------------------------------------------------------
    def current_filter(self, office: Office) -> CaseFilter:
        from mpoffice_tui.services import cases

        base = cases.CaseFilter() if self.view == "all" else cases.saved_view_filter(office, self.view)
        f = self.filters
        status, category, assignee = f.choice("status"), f.choice("category"), f.choice("assignee")
        tag, awaiting, text = f.text("tag"), f.text("awaiting"), self.search_text
        return replace(
            base,
            open_only=True if status == NOT_CLOSED else base.open_only,
            statuses=(status,) if status and status != NOT_CLOSED else base.statuses,
            categories=(category,) if category else base.categories,
            unassigned=True if assignee == "(unassigned)" else base.unassigned,
            assignee_ids=(assignee,) if assignee and assignee != "(unassigned)" else base.assignee_ids,
            tags=(tag,) if tag else base.tags,
            overdue=True if f.flag("overdue") else base.overdue,
            awaiting_days=int(awaiting) if awaiting else base.awaiting_days,
            text=text if text.strip() else base.text,
        )

    def _load(self, keep_cursor: bool = False) -> None:
        from mpoffice_tui.services import cases

        office = self.app.office
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        sort, desc, screen = self.sort, self.descending, self

        chosen: list[CaseFilter] = []  # this source's filter, made once in the first worker that needs it

        def current() -> CaseFilter:
            if not chosen:
                chosen.append(screen.current_filter(office))
                screen.filter_obj = chosen[0]
            return chosen[0]

        def count() -> int:
            return cases.count_cases(office, current())

        def fetch(offset: int, limit: int) -> tuple[CaseRow, ...]:
            return cases.list_cases(office, current(), sort=sort, descending=desc, offset=offset, limit=limit,
                                    with_total=False).rows

        def seek(anchor: CaseRow, limit: int, forward: bool) -> tuple[CaseRow, ...]:  # by key, not OFFSET
            return cases.list_cases(office, current(), sort=sort, descending=desc, limit=limit, with_total=False,
                                    after=anchor if forward else None, before=None if forward else anchor).rows

        self._counts_due = True  # counted once the list is on screen: first rows come first
        self.query_one("#cases", PagedTable).set_source(count, fetch, seek=seek, keep_cursor=keep_cursor,
                                                        rows_first=True)

    def describe(self, count: int) -> Text:
        from mpoffice_tui.services.cases import SAVED_VIEWS, STATUS_LABELS

        parts = [f"{count:,} case{'s' if count != 1 else ''}"]
        if self.view != "all":
            parts.append(SAVED_VIEWS[self.view].label)
        f = self.filters
        if status := f.choice("status"):
            parts.append("not closed" if status == NOT_CLOSED else STATUS_LABELS.get(status, status))
        if category := f.choice("category"):
            parts.append(f"category {category}")
        if assignee := f.choice("assignee"):
            parts.append("unassigned" if assignee == "(unassigned)" else f"assignee {f.text('assignee_name')}")
        if tag := f.text("tag"):
            parts.append(f"tag {tag}")
        if f.flag("overdue"):
            parts.append("overdue")
        if awaiting := f.text("awaiting"):
            parts.append(f"awaiting > {awaiting} working days")
        if self.search_text.strip():
            parts.append(f"matching “{self.search_text.strip()}”")
        arrow = "↓" if self.descending else "↑"
        parts.append(f"by {SORT_LABELS.get(self.sort, self.sort)} {arrow}")
        return Text(" · ".join(parts))

    @on(PagedTable.Loaded, "#cases")
    def loaded(self, event: PagedTable.Loaded) -> None:
        self.query_one("#cases-summary", Static).update(self.describe(event.count))
        if self._kept_place is not None:
            event.table.go_back_to(self._kept_place)
            self._kept_place = None
        self.mark_ready()
        if self._counts_due:
            from mpoffice_tui.services import cases

            self._counts_due = False
            run_office(self, "case-view-counts", cases.saved_view_counts, self._view_counts)

    def _view_counts(self, counts: dict[str, int]) -> None:
        from mpoffice_tui.services.cases import SAVED_VIEWS

        tabs = self.query_one("#case-views", Tabs)
        for key, n in counts.items():
            tab = tabs.query(f"#view-{key}")
            if tab:
                tab.first(Tab).label = Text(f"{SAVED_VIEWS[key].tab} ({n:,})")

    # -- across a lock (ui/workspace.py) ------------------------------------------------------------
    def keep(self) -> ScreenState:
        return {"view": self.view, "filters": dict(self.filters), "search": self.search_text, "sort": self.sort,
                "descending": self.descending, "place": self.query_one("#cases", PagedTable).place()}

    def resume(self, state: ScreenState) -> None:
        self.mark_loading()
        view, filters, sort, place = state.get("view"), state.get("filters"), state.get("sort"), state.get("place")
        self.view = view if isinstance(view, str) and view in VIEWS else "all"
        self.filters = FormValues({key: value for key, value in (filters.items() if isinstance(filters, dict) else ())
                                   if isinstance(key, str) and isinstance(value, str | bool)})
        self.search_text = str(state.get("search") or "")
        self.sort = sort if isinstance(sort, str) and sort in SORT_LABELS else "opened"
        self.descending = bool(state.get("descending", SORT_DEFAULT_DESC.get(self.sort, False)))
        self._kept_place = place if isinstance(place, dict) and place else None
        with self.prevent(Input.Changed):
            self.query_one("#case-search", Input).value = self.search_text
        self._show_view_tab()
        self._load()

    def _show_view_tab(self) -> None:
        """Mark the view's tab (after the tabs are mounted: a screen resumed as it opens may not have them)."""
        tabs = self.query_one("#case-views", Tabs)
        if not tabs.query(f"#view-{self.view}"):
            self.call_after_refresh(self._show_view_tab)
            return
        with self.prevent(Tabs.TabActivated):
            tabs.active = f"view-{self.view}"

    # -- actions -------------------------------------------------------------------------------
    def action_sort(self) -> None:
        """Pick the column to sort by from a list (and the order); the column headings sort too."""
        natural = SORT_DEFAULT_DESC.get(self.sort, False)

        def done(values: FormValues | None) -> None:
            if values and (key := values.choice("sort")):
                self.set_sort(key, SORT_DEFAULT_DESC.get(key, False) != values.flag("reverse"))

        self.app.push_screen(FormDialog("Sort cases", [
            Field("sort", "Sort by", "choice", self.sort,
                  [(label[:1].upper() + label[1:], key) for key, _, label in SORT_CYCLE], required=True),
            Field("reverse", "The other way round", "check", self.descending != natural),
        ], submit_label="Sort"), done)

    def set_sort(self, sort: str, descending: bool | None = None) -> None:
        self.sort = sort
        self.descending = SORT_DEFAULT_DESC.get(sort, False) if descending is None else descending
        self._load()

    def action_reverse(self) -> None:
        self.set_sort(self.sort, not self.descending)

    def action_reload(self) -> None:
        self._load(keep_cursor=True)

    def action_search(self) -> None:
        self.query_one("#case-search", Input).focus()

    def action_clear(self) -> None:
        self.filters = FormValues()
        self.search_text = ""
        self.query_one("#case-search", Input).value = ""
        self.set_view("all")

    def action_next_view(self) -> None:
        self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])

    def set_view(self, view: str) -> None:
        if view == self.view:
            self._load()
        else:
            self.query_one("#case-views", Tabs).active = f"view-{view}"  # its message loads the view

    @on(Tabs.TabActivated, "#case-views")
    def view_chosen(self, event: Tabs.TabActivated) -> None:
        view = (event.tab.id or "view-all").removeprefix("view-")
        if view != self.view:
            self.view = view
            self._load()

    @on(Input.Changed, "#case-search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(0.25, lambda: self._apply_search(value))

    def _apply_search(self, value: str) -> None:
        if value != self.search_text:
            self.search_text = value
            self._load()

    @on(Input.Submitted, "#case-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self._apply_search(event.value)
        self.query_one("#cases", PagedTable).focus()

    def key_escape(self) -> None:
        if self.focused is self.query_one("#case-search", Input):
            self.query_one("#cases", PagedTable).focus()

    @on(PagedTable.HeaderClicked, "#cases")
    def header_clicked(self, event: PagedTable.HeaderClicked) -> None:
        sort = COLUMN_SORTS.get(event.column)
        if sort:
            self.set_sort(sort, not self.descending if sort == self.sort else None)

    @on(PagedTable.RowSelected, "#cases")
    def open_case(self, event: PagedTable.RowSelected[CaseRow]) -> None:
        self.app.push_screen(self.app.case_screen(event.row.id))

    def action_filter(self) -> None:
        def options(office: Office) -> tuple[list[str], list[StaffView]]:
            from mpoffice_tui.services import cases, staff

            return cases.categories(office), staff.list_staff(office)

        run_office(self, "case-filter-options", options, lambda result: self._filter_dialog(*result))

    def _filter_dialog(self, categories: list[str], staff: list[StaffView]) -> None:
        from mpoffice_tui.services.cases import STATUS_LABELS, STATUSES

        f = self.filters
        names = {s.id: s.name for s in staff}
        fields = [
            Field("status", "Status", "choice", f.get("status"),
                  [("All not closed", NOT_CLOSED), *((STATUS_LABELS[s], s) for s in STATUSES)],
                  placeholder="Any status"),
            Field("category", "Category", "choice", f.get("category"), [(c, c) for c in categories],
                  placeholder="Any category"),
            Field("assignee", "Assignee", "choice", f.get("assignee"),
                  [("(unassigned)", "(unassigned)"), *((s.name, s.id) for s in staff)], placeholder="Anyone"),
            Field("tag", "Tag", value=f.get("tag", ""), placeholder="e.g. urgent"),
            Field("overdue", "Overdue review date", "check", bool(f.get("overdue"))),
            Field("awaiting", "Awaiting a third party for more than N working days", value=f.get("awaiting", ""),
                  placeholder="e.g. 20"),
        ]

        def check(_office: Office, values: FormValues) -> FormValues:
            raw = values.text("awaiting").strip()
            if raw and not (raw.isdigit() and 0 < int(raw) < 1000):
                raise ValueError("working days must be a whole number, e.g. 20")
            values["assignee_name"] = names.get(values.choice("assignee") or "", "")
            return values

        def done(values: FormValues | None) -> None:
            if values:
                self.filters = FormValues({k: v for k, v in values.items() if v not in (None, "", False)})
                self._load()

        self.app.push_screen(FormDialog("Filter cases", fields, check, submit_label="Apply"), done)

    def action_new_case(self) -> None:
        from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog

        def done(row: CaseRow | None) -> None:
            if row and row is not True:
                self._load()
                self.app.push_screen(self.app.case_screen(row.id))

        self.app.push_screen(NewCaseDialog(), done)
