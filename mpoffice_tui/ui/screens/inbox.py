"""The inbox: messages newest first, by triage lane, with a plain-text preview of the selected one."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static, Tab, Tabs

from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable

LANES = ("new", "auto_filed", "suggested", "campaigns", "done")
LANE_LABELS = {"new": "New", "auto_filed": "Auto-filed", "suggested": "Suggested", "campaigns": "Campaigns",
               "done": "Done"}
CHANNELS = {"email": "Email", "letter": "Letter", "phone": "Phone", "walk_in": "Walk-in", "surgery": "Surgery"}


def when(stamp: str) -> str:
    """'2024-03-05 14:07' from an ISO timestamp (absolute, never relative to today)."""
    return (stamp or "")[:16].replace("T", " ")


class InboxScreen(OfficeScreen):
    """Messages by lane; the preview shows the highlighted message."""

    BINDINGS = [
        Binding("right_square_bracket", "lane(1)", "Next lane"),
        Binding("left_square_bracket", "lane(-1)", "Prev lane", show=False),
        *(Binding(str(n + 1), f"lane_to({n})", LANE_LABELS[lane], show=False) for n, lane in enumerate(LANES)),
        Binding("p", "focus_preview", "Preview"),
    ]

    class Counts(Message):
        def __init__(self, counts: dict[str, int]) -> None:
            super().__init__()
            self.counts = counts

    class Preview(Message):
        def __init__(self, view: Any) -> None:
            super().__init__()
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.lane = "new"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(*(Tab(LANE_LABELS[lane], id=f"lane-{lane}") for lane in LANES), id="lanes")
        yield PagedTable([
            Column("Received", lambda r: when(r.received_at), width=16, drop_order=2),
            Column("From", lambda r: r.sender, width=22, min_width=14),
            Column("Subject", lambda r: r.subject, min_width=20),
            Column("Case", lambda r: r.case_ref or "", width=8, drop_order=1),
        ], id="messages", empty_text="No messages in this lane.")
        with VerticalScroll(id="preview", can_focus=True):
            yield Static("", id="preview-head")
            yield Static("", id="preview-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#messages", PagedTable).focus()
        self._show_lane()
        self.load_counts()

    # -- lanes --------------------------------------------------------------------------------------
    def _show_lane(self) -> None:
        office, lane = self.app.office, self.lane
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        from_lists = _lists()
        table = self.query_one("#messages", PagedTable)
        table.set_source(partial(from_lists.count_messages, office, lane),
                         lambda offset, limit: from_lists.page_messages(office, lane, offset, limit))
        self._clear_preview()

    @on(Tabs.TabActivated, "#lanes")
    def lane_tab(self, event: Tabs.TabActivated) -> None:
        lane = (event.tab.id or "lane-new").removeprefix("lane-")
        if lane != self.lane:
            self.lane = lane
            self._show_lane()

    def action_lane(self, step: int) -> None:
        index = (LANES.index(self.lane) + step) % len(LANES)
        self.action_lane_to(index)

    def action_lane_to(self, index: int) -> None:
        self.query_one("#lanes", Tabs).active = f"lane-{LANES[index]}"

    def action_focus_preview(self) -> None:
        preview = self.query_one("#preview")
        if preview.has_focus:
            self.query_one("#messages", PagedTable).focus()
        else:
            preview.focus()

    def load_counts(self) -> None:
        self.fetch("inbox-counts", _lists().lane_counts, self.Counts)

    def on_inbox_screen_counts(self, message: Counts) -> None:
        tabs = self.query_one("#lanes", Tabs)
        for lane in LANES:
            tabs.query_one(f"#lane-{lane}", Tab).label = f"{LANE_LABELS[lane]} {message.counts.get(lane, 0)}"

    # -- preview --------------------------------------------------------------------------------------
    def _clear_preview(self) -> None:
        self.query_one("#preview-head", Static).update("")
        self.query_one("#preview-body", Static).update("")

    @on(PagedTable.RowHighlighted, "#messages")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self.load_preview(event.row.id)

    @on(PagedTable.RowSelected, "#messages")
    def selected(self, event: PagedTable.RowSelected) -> None:
        self.query_one("#preview").focus()

    def load_preview(self, message_id: str) -> None:
        get_message = _lists().get_message
        self.fetch("inbox-preview", lambda office: get_message(office, message_id), self.Preview)

    def on_inbox_screen_preview(self, message: Preview) -> None:
        view = message.view
        if view is None:
            self._clear_preview()
            return
        sender = one_line(view.sender_name or "")
        if view.sender_email:
            sender = f"{sender} <{one_line(view.sender_email)}>" if sender else one_line(view.sender_email)
        head = Text()
        head.append(one_line(view.subject) or "(no subject)", "bold")
        head.append("\n")
        head.append(f"{'From' if view.direction == 'in' else 'To'}: ", "dim")
        head.append(sender or "(unknown)")
        head.append("   ")
        head.append(f"{CHANNELS.get(view.channel, view.channel)}, {when(view.received_at)}", "dim")
        if view.case_ref:
            head.append(f"   Case {view.case_ref}", "bold")
        self.query_one("#preview-head", Static).update(head)
        self.query_one("#preview-body", Static).update(Text(clean(view.body_text).expandtabs(4)))
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)


def _lists():
    from mpoffice_tui.services import lists

    return lists
