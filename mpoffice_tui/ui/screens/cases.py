"""The case list (sortable, paged from SQL) and the case detail screen pushed from it."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable

SORTS = ("opened", "ref", "review", "status", "constituent")
SORT_LABELS = {"opened": "newest first", "ref": "reference", "review": "review date", "status": "status",
               "constituent": "constituent"}
# which sort a click on each column heading chooses
COLUMN_SORTS = {0: "ref", 2: "constituent", 3: "status", 6: "opened", 7: "review"}
CHANNEL_LABELS = {"email": "Email", "letter": "Letter", "phone": "Phone call", "walk_in": "Walk-in",
                  "surgery": "Surgery"}


def status_label(status: str) -> str:
    return (status or "").replace("_", " ")


class CasesScreen(OfficeScreen):
    """Every case, newest first; `s` changes the sort, Enter opens a case."""

    BINDINGS = [
        Binding("s", "sort", "Sort"),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "opened"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cases-summary", classes="summary")
        yield PagedTable([
            Column("Ref", lambda r: r.ref, width=8),
            Column("Title", lambda r: r.title, min_width=16),
            Column("Constituent", lambda r: r.constituent, width=18, min_width=12),
            Column("Status", lambda r: status_label(r.status), width=12, drop_order=2),
            Column("Category", lambda r: r.category, width=12, drop_order=4),
            Column("Assignee", lambda r: r.assignee, width=12, drop_order=5),
            Column("Opened", lambda r: r.opened, width=10, drop_order=3),
            Column("Review", lambda r: r.review_date or "", width=10, drop_order=1),
        ], id="cases", empty_text="No cases yet.")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cases", PagedTable).focus()
        self._load()

    def _load(self, keep_cursor: bool = False) -> None:
        from mpoffice_tui.services import lists

        office, sort = self.app.office, self.sort
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        self.query_one("#cases", PagedTable).set_source(
            partial(lists.count_cases, office),
            lambda offset, limit: lists.page_cases(office, offset, limit, sort), keep_cursor=keep_cursor)

    @on(PagedTable.Loaded, "#cases")
    def loaded(self, event: PagedTable.Loaded) -> None:
        self.query_one("#cases-summary", Static).update(
            Text(f"{event.count:,} cases · sorted by {SORT_LABELS[self.sort]} (s to change)"))

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._load()

    def action_reload(self) -> None:
        self._load(keep_cursor=True)

    @on(PagedTable.HeaderClicked, "#cases")
    def header_clicked(self, event: PagedTable.HeaderClicked) -> None:
        sort = COLUMN_SORTS.get(event.column)
        if sort and sort != self.sort:
            self.sort = sort
            self._load()

    @on(PagedTable.RowSelected, "#cases")
    def open_case(self, event: PagedTable.RowSelected) -> None:
        self.app.push_screen(CaseDetailScreen(event.row.id))


class CaseDetailScreen(OfficeScreen):
    """One case: who, what state, and its timeline in date order."""

    BINDINGS = [Binding("escape", "back", "Back"), Binding("t", "focus_timeline", "Timeline", show=False)]

    class Loaded(Message):
        def __init__(self, detail: Any) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="case-head")
        yield Static("", id="case-flags")
        yield VerticalScroll(id="timeline", can_focus=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#timeline").focus()
        self.load()

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_timeline(self) -> None:
        self.query_one("#timeline").focus()

    def load(self) -> None:
        from mpoffice_tui.services import lists

        case_id = self.case_id
        self.fetch("case-detail", lambda office: lists.case_detail(office, case_id), self.Loaded)

    async def on_case_detail_screen_loaded(self, message: Loaded) -> None:
        detail = self.detail = message.detail
        head = self.query_one("#case-head", Static)
        if detail is None:
            head.update(Text("This case no longer exists."))
            return
        text = Text()
        text.append(detail.ref, "bold reverse")
        text.append("  ")
        text.append(one_line(detail.title), "bold")
        if detail.confidential:
            text.append("  CONFIDENTIAL", "bold red")
        text.append("\n")
        text.append("Constituent: ", "dim")
        text.append(one_line(detail.constituent), "bold")
        if detail.constituent_contact:
            text.append("  ")
            text.append(one_line(detail.constituent_contact), "dim")
        text.append("\n")
        for label, value in (("Status", status_label(detail.status) + (f" ({detail.outcome})" if detail.outcome
                                                                      else "")),
                             ("Category", detail.category),
                             *((("Priority", detail.priority),) if detail.priority != "normal" else ()),
                             ("Assignee", detail.assignee or "nobody"), ("Opened", detail.opened),
                             ("Review", detail.review_date or "none")):
            text.append(f"{label}: ", "dim")
            text.append(one_line(value))
            text.append("  ")
        head.update(text)
        flags = self.query_one("#case-flags", Static)
        flags.display = bool(detail.flags)
        flags.update(Text("  ".join(f"⚠ {one_line(f)}" if "SAFETY" in f else one_line(f) for f in detail.flags)))
        flags.set_class(any("SAFETY" in f for f in detail.flags), "safety")
        timeline = self.query_one("#timeline", VerticalScroll)
        await timeline.remove_children()
        if not detail.timeline:
            await timeline.mount(Static(Text("Nothing on this case's timeline yet."), classes="empty"))
            return
        items = []
        for item in detail.timeline:
            text = Text()
            text.append((item.at or "")[:16].replace("T", " "), "dim")
            text.append("  ")
            kind = CHANNEL_LABELS.get(item.who, item.who) if item.kind == "message" else item.kind.title()
            text.append(kind, "bold")
            text.append("  ")
            text.append(one_line(item.title))
            if item.who and item.kind != "message":
                text.append("  ")
                text.append(one_line(item.who), "dim")
            body = clean(item.body).strip()
            if body:
                text.append("\n")
                text.append(body.expandtabs(4))
            items.append(Static(text, classes=f"timeline-item kind-{item.kind}"))
        await timeline.mount_all(items)
