"""Due today / overdue: review dates of open cases and open tasks (mine, or everyone's), third parties
overdue a reply (with a key to write the chase letter), and subject access requests due within a week or
overdue (Enter reviews the person's pack)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.services.letters import ChaseItem
    from mpoffice_tui.services.reminders import ReminderItem
    from mpoffice_tui.services.sar_requests import SarView


@dataclass(frozen=True)
class ReminderRow:
    item: ReminderItem | ChaseReminder | SarReminder
    when: str  # "overdue" | "today" | "chase" | "sar"


@dataclass(frozen=True)
class ChaseReminder:
    """A third party overdue a reply (services.letters.ChaseItem), shaped like a reminder row."""

    chase: ChaseItem
    kind = "chase"
    task_id = None
    assignee = None

    @property
    def due(self) -> str:
        return self.chase.reply_due

    @property
    def working_days_overdue(self) -> int:
        return self.chase.working_days_late

    @property
    def case_ref(self) -> str:
        return self.chase.case_ref

    @property
    def case_id(self) -> str:
        return self.chase.case_id


@dataclass(frozen=True)
class SarReminder:
    """A subject access request overdue or due within a week (services.sar_requests.SarView), as a reminder row."""

    request: SarView
    today: str
    kind = "sar"
    task_id = None
    assignee = None
    case_ref = "SAR"
    case_id = None

    @property
    def due(self) -> str:
        return self.request.effective_due

    @property
    def working_days_overdue(self) -> int:
        from datetime import date

        return max(0, (date.fromisoformat(self.today) - date.fromisoformat(self.due)).days)


class RemindersScreen(OfficeScreen):
    """Enter opens the case; `x` completes a task; `m` shows only mine / everyone's; `h` shows only third
    parties overdue a reply; `k` writes a chase letter to the chosen one; `y` records that it replied
    (a call, a letter: it is no longer chased)."""

    BINDINGS = [Binding("m", "mine", "Mine/all", id="reminders-mine"), Binding("x", "done", "Task done", id="reminders-done"),
                Binding("h", "chases", "Chases only", id="reminders-chases"), Binding("k", "chase", "Chase", id="reminders-chase"),
                Binding("y", "replied", "Replied", id="reminders-replied", tooltip="The chosen third party has replied: stop chasing it"),
                Binding("r", "reload", "Reload", id="reminders-reload", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.mine = False
        self.chases_only = False

    def compose(self) -> ComposeResult:
        def what(r: ReminderRow) -> str:
            item = r.item
            if isinstance(item, ChaseReminder):
                return f"Chase: {item.chase.organisation} (no reply since {item.chase.contacted_on})"
            if isinstance(item, SarReminder):
                req = item.request
                return f"Subject access request: {req.person}" + (
                    f" (made by {req.requester_name})" if req.requester_name else "")
            return ("Review: " if item.kind == "review" else "Task: ") + item.title + f" ({item.case_title})"

        yield Header()
        yield Static("", id="reminders-summary", classes="summary")
        yield PagedTable([
            Column("Due", lambda r: r.item.due, width=10),
            Column("Late", lambda r: "today" if r.when == "today" else f"{r.item.working_days_overdue} d"
                   if r.when == "sar" else f"{r.item.working_days_overdue} wd",
                   width=6),
            Column("Case", lambda r: r.item.case_ref, width=9),
            Column("What", what, min_width=20),
            Column("Who", lambda r: r.item.assignee or "", width=14, drop_order=1),
        ], id="reminders", empty_text="Nothing due today or overdue.")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#reminders", PagedTable).focus()
        self._load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.query_one("#reminders", PagedTable).loaded:
            self._load(keep_cursor=True)

    def _load(self, keep_cursor: bool = False) -> None:
        """Subject access requests, reviews and tasks (a few hundred at most, read whole), then the third
        parties overdue a reply (thousands in a big office), paged from SQL: counted, fetched a window at a
        time and by key from a neighbouring window, never read whole."""
        from mpoffice_tui.services import letters, reminders

        office = self.app.office
        if office is None:
            return
        mine = office.staff_id if self.mine else None
        chases_only = self.chases_only
        summary: list[str] = []
        head: list[ReminderRow] = []
        day: list[str] = []

        def chase_rows(chases: list[letters.ChaseItem]) -> list[ReminderRow]:
            return [ReminderRow(ChaseReminder(c), "chase") for c in chases]

        def count() -> int:
            r = reminders.due(office, assignee_id=mine)
            day[:] = [r.today]
            chases = letters.count_chase_due(office, r.today)
            due = [ReminderRow(i, "overdue") for i in r.overdue] + [ReminderRow(i, "today") for i in r.due_today]
            sars = [ReminderRow(SarReminder(q, r.today), "sar") for q in r.requests]
            summary[:] = [f"{len(r.overdue)} overdue · {len(r.due_today)} due today ({r.today})",
                          f"{chases} third parties overdue a reply"]
            if sars:
                late = sum(1 for q in r.requests if q.overdue())
                summary.append(f"{len(sars)} subject access request{'s' if len(sars) != 1 else ''} due"
                               + (f" ({late} OVERDUE)" if late else ""))
            head[:] = [] if chases_only else sars + due
            return len(head) + chases

        def fetch(offset: int, limit: int) -> list[ReminderRow]:
            rows = head[offset:offset + limit]
            if len(rows) < limit:
                start = max(0, offset - len(head))
                rows += chase_rows(letters.page_chase_due(office, start, limit - len(rows), day[0]))
            return rows

        def seek(anchor: ReminderRow, limit: int, forward: bool) -> list[ReminderRow]:
            if not isinstance(anchor.item, ChaseReminder):
                return []  # a window of the short lists: by position
            rows = chase_rows(letters.seek_chase_due(office, anchor.item.chase, limit, forward, day[0]))
            if not forward and len(rows) < limit:  # the window reaches back into the short lists
                rows = head[max(0, len(head) - (limit - len(rows))):] + rows
            return rows

        self._summary = summary
        self.query_one("#reminders", PagedTable).set_source(count, fetch, seek=seek, keep_cursor=keep_cursor)

    @on(PagedTable.Loaded, "#reminders")
    def loaded(self) -> None:
        who = "chases only" if self.chases_only else "mine" if self.mine else "everyone's"
        self.query_one("#reminders-summary", Static).update(Text(" · ".join([*self._summary, who])))

    def action_mine(self) -> None:
        self.mine = not self.mine
        self._load()

    def action_chases(self) -> None:
        self.chases_only = not self.chases_only
        self._load()

    def action_chase(self) -> None:
        """Open the case and its chase form for the chosen third party."""
        row = self.query_one("#reminders", PagedTable).cursor_row
        if row is None or row.when != "chase":
            self.notify("Choose a third party overdue a reply (h shows only those).")
            return
        chase = row.item.chase
        self.app.push_screen(self.app.case_screen(chase.case_id, chase_party=chase.party_id))

    def action_replied(self) -> None:
        """Record by hand that the chosen third party replied (today)."""
        from mpoffice_tui.services import cases

        row = self.query_one("#reminders", PagedTable).cursor_row
        if row is None or row.when != "chase":
            self.notify("Choose a third party overdue a reply (h shows only those).")
            return
        chase = row.item.chase
        run_office(self, "reminder-replied", lambda office: cases.mark_party_replied(office, chase.party_id),
                   lambda _: self._load(keep_cursor=True),
                   done=f"Reply from {one_line(chase.organisation)} on {chase.case_ref} recorded: no longer chased.")

    def action_reload(self) -> None:
        self._load(keep_cursor=True)

    def action_done(self) -> None:
        from mpoffice_tui.services import cases

        row = self.query_one("#reminders", PagedTable).cursor_row
        if row is None or row.item.task_id is None:
            self.notify("Choose a task (a review date is changed on the case).")
            return
        run_office(self, "reminder-done", lambda office: cases.complete_task(office, row.item.task_id),
                   lambda _: self._load(keep_cursor=True), done="Task done.")

    @on(PagedTable.RowSelected, "#reminders")
    def open_case(self, event: PagedTable.RowSelected) -> None:
        """Enter: the case; for a subject access request, the review of the person's pack."""
        if event.row.when == "sar":
            from mpoffice_tui.ui.screens.sar_review import SarReviewScreen

            self.app.push_screen(SarReviewScreen(event.row.item.request.constituent_id))
            return
        self.app.push_screen(self.app.case_screen(event.row.item.case_id))
