"""The Inbox: lanes of messages paged from SQL, a plain-text preview, and triage in a key or two.

Its keys are its BINDINGS (each with an id and a description): the footer, `?` and the command palette
all read them there.

Every database call runs off the event loop through `ui/work.run_office` (the inbox's `act`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static, Tab

from mpoffice_tui.services import lanes as lane_names
from mpoffice_tui.ui.dialogs.capture import CaptureDialog, ImportDialog
from mpoffice_tui.ui.dialogs.message_case import CasePrefill, MessageCaseDialog, NewCaseAnswer
from mpoffice_tui.ui.dialogs.simple import AskDialog, ChooseDialog, ConfirmDialog, PickDialog, PreviewDialog
from mpoffice_tui.ui.jobs import MailActivity
from mpoffice_tui.ui.screens import inbox_approvals, inbox_work
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.screens.inbox_rows import (
    CHANNELS,
    MESSAGE_COLUMNS,
    OUTBOX_COLUMNS,
    SavedReply,
    ack_preview_text,
    preview_head,
    preview_meta,
    size_text,
    state_text,
    when,
)
from mpoffice_tui.ui.screens.inbox_work import case_prefill, open_case, search_cases, search_constituents
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.widgets.tabs import Tabs
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.approvals import ApprovalView
    from mpoffice_tui.services.dropfolder import DropReport
    from mpoffice_tui.services.filing import FilingCheck
    from mpoffice_tui.services.inbox import Filed, MessageDetail
    from mpoffice_tui.services.letters import TemplateView
    from mpoffice_tui.services.lists import CampaignGroup
    from mpoffice_tui.services.outbox import Outgoing
    from mpoffice_tui.services.replies import AckPreview, Composed, Draft
    from mpoffice_tui.services.triage_undo import Undone
    from mpoffice_tui.ui.dialogs.capture import CaptureAnswer
    from mpoffice_tui.ui.dialogs.form import FormDialog, FormValues
    from mpoffice_tui.ui.screens.base import ScreenState

T = TypeVar("T")

LANES = lane_names.SCREEN_LANES
LANE_LABELS = lane_names.LABELS
OWN_KEYS_LANES = ("outbox", "approvals")  # lanes of outgoing letters and mail: no triage there
# what the Outbox lane's drafts cannot do (they are replies, not mail to triage)
TRIAGE_ACTIONS = frozenset({"accept", "new_case", "file_case", "link", "campaign", "ignore", "undo", "reply"})
LANE_HINTS = {
    "new": "New mail: a accept · n new case · f file · i ignore · ? keys",
    "auto_filed": "Filed by thread or reference: a confirm · u undo the filing",
    "suggested": "A match was found (reason below): a accept · n new case · f file elsewhere · u undo",
    "campaigns": "Campaign groups: Enter opens a group · A acknowledges its senders (flagged ones left out)",
    "done": "Filed and ignored: u undoes the highlighted message's triage",
    "outbox": "Outgoing mail: s sends a draft (or retries) · a approves · e back to draft · d discards · "
              "o exports drafts as .eml",
    "approvals": inbox_approvals.HINT,
}
OUTBOX_ACTIONS = frozenset({"queue_outgoing", "approve", "unqueue", "export_drafts", "discard"})

class InboxScreen(OfficeScreen):
    """Messages by lane; the preview shows the highlighted message; triage keys act on it."""

    LOADS_DATA = True  # ready once a lane's first page (and the kept cursor) is on screen

    BINDINGS = [
        Binding("a", "accept", "Accept", id="inbox-accept",
                tooltip="Accept the suggestion (its case, or a new case for its person)"),
        Binding("n", "new_case", "New case", id="inbox-new-case",
                tooltip="New case, constituent pre-filled (Enter confirms)"),
        Binding("f", "file_case", "File", id="inbox-file", tooltip="File to a case by name, reference or title"),
        Binding("i", "ignore", "Ignore", id="inbox-ignore", tooltip="Ignore (moves to Done/Ignored)"),
        Binding("u", "undo", "Undo", id="inbox-undo",
                tooltip="Undo the last triage in this lane (Done, Auto-filed: the highlighted message's)"),
        # the Outbox lane's keys (only there), early so that they are the footer's first
        Binding("s", "queue_outgoing", "Send", id="outbox-send",
                tooltip="Send the highlighted draft (a failed one: try again)"),
        Binding("a", "approve", "Approve", id="outbox-approve",
                tooltip="Approve the highlighted email waiting for approval (the MP or a manager)"),
        Binding("e", "unqueue", "Redraft", id="outbox-draft",
                tooltip="Take the highlighted email back to draft (not once it is sending or sent)"),
        Binding("d", "discard", "Discard", id="inbox-discard",
                tooltip="Discard the highlighted email (one not sent yet; Outbox lane)"),
        # the Approvals lane's keys (only there)
        Binding("a", "approve_item", "Approve", id="approvals-approve",
                tooltip="Approve the highlighted letter or email (the MP or a manager)"),
        Binding("e", "edit_item", "Edit", id="approvals-edit", tooltip="Change its text (it waits for approval again)"),
        Binding("R", "return_item", "Return", id="approvals-return",
                tooltip="Return it to its writer with a comment (a note on the case)"),
        Binding("o", "export_drafts", "Export", id="outbox-export",
                tooltip="Export the drafts as .eml files for another mail program (they stay drafts)"),
        Binding("right_square_bracket", "lane(1)", "Next lane", id="inbox-next-lane"),
        Binding("left_square_bracket", "lane(-1)", "Prev lane", show=False, id="inbox-previous-lane"),
        *(Binding(str(n + 1), f"lane_to({n})", LANE_LABELS[lane], show=False, id=f"inbox-lane-{lane}",
                  tooltip=f"Go to the {LANE_LABELS[lane]} lane") for n, lane in enumerate(LANES)),
        Binding("j", "next", "Next", show=False, id="inbox-next", tooltip="Next message (or ↓)"),
        Binding("k", "previous", "Previous", show=False, id="inbox-previous", tooltip="Previous message (or ↑)"),
        Binding("l", "link", "Link", show=False, id="inbox-link", tooltip="Link to a constituent (search)"),
        Binding("m", "campaign", "Campaign", show=False, id="inbox-campaign", tooltip="Mark as a campaign email"),
        Binding("r", "reply", "Reply", show=False, id="inbox-reply",
                tooltip="Draft a reply from a template into the outbox"),
        Binding("A", "acknowledge", "Acknowledge all", show=False, id="inbox-acknowledge",
                tooltip="Acknowledge the campaign's senders (choose, preview; flagged left out)"),
        Binding("o", "export_outbox", "Export outbox", show=False, id="inbox-export-outbox",
                tooltip="Export the outbox's drafts as .eml files (nothing is sent; they stay drafts)"),
        Binding("x", "export_attachment", "Export attachment", show=False, id="inbox-export-attachment",
                tooltip="Export an attachment to a folder"),
        Binding("c", "capture", "Log contact", show=False, id="inbox-capture",
                tooltip="Log a phone call, letter, walk-in or surgery visit"),
        Binding("g", "import_mail", "Import mail", show=False, id="inbox-import",
                tooltip="Import mail from a file or folder (.eml, .msg, mbox, Maildir)"),
        Binding("backspace", "back", "Back", show=False, id="inbox-back", tooltip="Back to the campaign groups"),
        Binding("p", "focus_preview", "Preview", show=False, id="inbox-preview",
                tooltip="Move between the list and the preview (Enter opens the preview)"),
    ]



    def __init__(self) -> None:
        super().__init__()
        self.lane = "new"
        self.campaign: CampaignGroup | None = None  # the open campaign group (Campaigns lane)
        self.detail: MessageDetail | None = None  # of the previewed message
        self.counts: dict[str, int] = {}
        self._counts_asked = False  # the first lane counts are asked for once the first page is shown
        self._started = False
        self.acting: set[str] = set()  # messages with a change being saved
        self._kept_place: Mapping[str, object] | None = None  # where the cursor goes back to after a lock
        self.undo_stack: list[tuple[str, str]] = []  # (message id, lane) of each triage done here, oldest first
        # kept by reference: counts may arrive before the tabs are mounted (a lock, a busy machine), and a
        # label set on a Tab that is not mounted yet is simply shown once it is
        self.lane_tabs = {lane: Tab(LANE_LABELS[lane], id=f"lane-{lane}") for lane in LANES}
        self.hint = Static("", id="inbox-hint", classes="summary")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(*self.lane_tabs.values(), id="lanes")
        yield self.hint
        yield PagedTable(MESSAGE_COLUMNS, id="messages", empty_text="No messages in this lane.")
        yield PagedTable([
            Column("Campaign", lambda g: g.name, min_width=20),
            Column("Waiting", lambda g: g.waiting, width=7),
            Column("Flagged", lambda g: g.flagged or "", width=7),
            Column("Senders", lambda g: g.senders, width=7, drop_order=2),
            Column("Latest", lambda g: when(g.latest), width=16, drop_order=1),
        ], id="campaigns", empty_text="No campaign mail waiting.")
        with VerticalScroll(id="preview", can_focus=True):
            yield Static("", id="preview-head")
            yield Static("", id="preview-meta")
            yield Static("", id="preview-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#campaigns").display = False
        self.query_one("#messages", PagedTable).focus()
        self._start()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._start()  # built while the office was locked (see OfficeApp._prebuild_inbox): load it now

    def _start(self) -> None:
        """Load the first lane, once, as soon as the office is open."""
        if self._started or self.app.office is None:
            return
        self._started = True
        self._show_lane()  # the lane counts follow the first page (see `loaded`): rows first
        settings = self.app.settings
        if settings.drop_folder:
            self.set_interval(max(5, int(settings.drop_scan_seconds or 30)), self.scan_drop_folder)
            self.call_after_refresh(self.scan_drop_folder)

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def showing_groups(self) -> bool:
        return self.lane == "campaigns" and self.campaign is None

    def _table(self) -> PagedTable:
        return self.query_one("#campaigns" if self.showing_groups else "#messages", PagedTable)

    def current_id(self) -> str | None:
        if self.showing_groups:
            return None
        row = self.query_one("#messages", PagedTable).cursor_row
        return row.id if row is not None else None

    def _need_message(self) -> str | None:
        mid = self.current_id()
        if mid is None:
            self.notify("No message selected.", severity="warning")
        elif mid in self.acting:
            self.notify("Still saving the last change to this message…", severity="warning")
            return None
        return mid

    def act(self, call: Callable[[Office], T], done: Callable[[T], object] | None = None, *,
            refresh: bool = True, message_id: str | None = None) -> None:
        """Run `call(office)` off the event loop (ui/work.py), then `done(result)` and refresh the lane.

        An `OfficeError` (a clear, expected refusal) becomes a warning; anything else an error notice.
        While it runs, `message_id` takes no second action (a double key press acts once).
        """
        def then(result: T) -> None:
            if done is not None:
                done(result)
            if refresh:
                self.refresh_lane()

        settled = None
        if message_id:
            self.acting.add(message_id)
            settled = lambda: self.acting.discard(message_id)  # noqa: E731
        if run_office(self, "inbox-action", call, then, settled=settled, exclusive=False) is None and message_id:
            self.acting.discard(message_id)

    def refresh_lane(self) -> None:
        """Re-read the lane (the cursor stays where it was, so the next message moves up to it)."""
        self._table().reload(keep_cursor=True)
        self.load_counts()
        self.app.refresh_status()

    # -- lanes --------------------------------------------------------------------------------------
    def _show_lane(self) -> None:
        office, lane = self.app.office, self.lane
        if office is None:  # locked meanwhile; this screen is on its way out
            return
        lists = inbox_work.lists
        messages = self.query_one("#messages", PagedTable)
        groups = self.query_one("#campaigns", PagedTable)
        groups.display = self.showing_groups
        messages.display = not self.showing_groups
        if self.showing_groups:
            groups.set_source(partial(lists.count_campaign_groups, office),
                              lambda offset, limit: lists.page_campaign_groups(office, offset, limit))
        elif lane == "campaigns" and self.campaign is not None:  # (else it shows the groups, above)
            cid = self.campaign.id
            messages.set_source(partial(lists.count_campaign_messages, office, cid),
                                lambda offset, limit: lists.page_campaign_messages(office, cid, offset, limit))
        elif lane == "outbox":  # every outgoing email, with its state
            from mpoffice_tui.services import outbox

            messages.set_columns(OUTBOX_COLUMNS)
            messages.set_source(partial(outbox.count_outgoing, office),
                                lambda offset, limit: outbox.list_outgoing(office, limit=limit, offset=offset))
        elif lane == "approvals":  # letters and emails waiting for (or returned from) sign-off
            from mpoffice_tui.services import approvals

            messages.set_columns(inbox_approvals.APPROVAL_COLUMNS)
            messages.set_source(partial(approvals.count_approvals, office),
                                lambda offset, limit: approvals.list_approvals(office, limit=limit, offset=offset))
        else:
            messages.set_source(partial(lists.count_messages, office, lane),
                                lambda offset, limit: lists.page_messages(office, lane, offset, limit),
                                seek=partial(lists.seek_messages, office, lane))
        if lane not in OWN_KEYS_LANES and messages.columns != list(MESSAGE_COLUMNS):
            messages.set_columns(MESSAGE_COLUMNS)
        self._table().focus()
        self._clear_preview()
        self._show_hint()

    def _show_hint(self) -> None:
        hint = LANE_HINTS[self.lane]
        if self.lane == "campaigns" and self.campaign is not None:
            hint = f"{one_line(self.campaign.name)} · flagged first · Backspace: all campaigns · A: acknowledge"
        outbox = self.counts.get("outbox", 0)
        text = Text(hint)
        if outbox and self.lane not in OWN_KEYS_LANES:
            text.append(f"   Outbox {outbox}", "bold")
        waiting = self.counts.get("approvals", 0)
        if waiting and self.lane not in OWN_KEYS_LANES:
            text.append(f"   Approvals {waiting}", "bold")
        self.hint.update(text)

    @on(Tabs.TabActivated, "#lanes")
    def lane_tab(self, event: Tabs.TabActivated) -> None:
        lane = (event.tab.id or "lane-new").removeprefix("lane-")
        if lane != self.lane:
            self.lane = lane
            self.campaign = None
            self._show_lane()
            self.refresh_bindings()  # the Outbox and Approvals lanes have their own keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Triage keys act on incoming mail; on the Outbox lane the drafts are exported or discarded; on the
        Approvals lane letters and emails are approved, edited or returned."""
        approvals = inbox_approvals.APPROVAL_ACTIONS
        if self.lane == "outbox":
            return action not in TRIAGE_ACTIONS and action != "export_outbox" and action not in approvals
        if self.lane == "approvals":
            return action not in TRIAGE_ACTIONS and action not in OUTBOX_ACTIONS and action != "export_outbox"
        return action not in OUTBOX_ACTIONS and action not in approvals

    def _outgoing_row(self) -> Outgoing | None:
        row = self.query_one("#messages", PagedTable).cursor_row if self.lane == "outbox" else None
        if row is None:
            self.notify("No email selected.", severity="warning")
        elif row.id in self.acting:
            self.notify("Still saving the last change to this email…", severity="warning")
            return None
        return row

    def _outbox_change(self, call: Callable[[Office], T], said: Callable[[T], str], mid: str, *,
                       wake: bool = False) -> None:
        def done(result: T) -> None:
            self.notify(said(result))
            if wake:
                self.app.mail_wake()

        self.act(call, done, message_id=mid)

    def action_queue_outgoing(self) -> None:
        """`s`: put the highlighted draft (or failed email) on its way out."""
        row = self._outgoing_row()
        if row is None:
            return
        if row.state not in ("draft", "failed"):
            self.notify(f"This email is {row.state_label}: only a draft or a failed email can be sent.",
                        severity="warning")
            return
        self._outbox_change(lambda office: inbox_work.outbox.queue(office, [row.id])[0],
                            lambda o: "Waiting for approval by the MP or a manager." if o.state == "awaiting_approval"
                            else "Queued: it goes out with the next send.", row.id, wake=True)

    def action_approve(self) -> None:
        """`a`: approve the highlighted email (the MP or a manager; anyone else is told so)."""
        row = self._outgoing_row()
        if row is not None:
            self._outbox_change(lambda office: inbox_work.outbox.approve(office, [row.id]),
                                lambda _: "Approved: queued to send.", row.id, wake=True)

    def action_unqueue(self) -> None:
        """`e`: take the highlighted email back to draft."""
        row = self._outgoing_row()
        if row is not None:
            self._outbox_change(lambda office: inbox_work.outbox.back_to_draft(office, row.id),
                                lambda _: "Back to draft: it will not be sent until you send it again.", row.id)

    # -- the Approvals lane -----------------------------------------------------------------------
    def _approval_row(self) -> ApprovalView | None:
        row = self.query_one("#messages", PagedTable).cursor_row if self.lane == "approvals" else None
        if row is None:
            self.notify("Nothing selected to approve.", severity="warning")
        elif row.id in self.acting:
            self.notify("Still saving the last change to this one…", severity="warning")
            return None
        return row

    def action_approve_item(self) -> None:
        """`a`: approve the highlighted letter or email (the MP or a manager; anyone else is told so)."""
        row = self._approval_row()
        if row is None:
            return
        then = "queued to send" if row.target_kind == "email" else "it may now be printed, exported or sent"

        def approve(office: Office) -> list[ApprovalView]:
            from mpoffice_tui.services import approvals

            return approvals.approve(office, [row.id])

        self._outbox_change(approve, lambda _: f"Approved: {then}.", row.id, wake=row.target_kind == "email")

    def _approval_form(self, dialog: FormDialog[ApprovalView], said: str) -> None:
        def done(result: ApprovalView | None) -> None:
            if result is not None:
                self.notify(said)
                self.refresh_lane()

        self.app.push_screen(dialog, done)

    def action_edit_item(self) -> None:
        """`e`: change the text of the highlighted letter or email."""
        row = self._approval_row()
        if row is not None:
            self._approval_form(inbox_approvals.edit_dialog(row), "Changed: it waits for approval again.")

    def action_return_item(self) -> None:
        """`R`: return the highlighted letter or email to its writer with a comment."""
        row = self._approval_row()
        if row is not None:
            self._approval_form(inbox_approvals.return_dialog(row), "Returned to its writer; the comment is on the case.")

    def action_export_drafts(self) -> None:
        self.action_export_outbox()

    def action_discard(self) -> None:
        row = self._outgoing_row()
        if row is None:
            return
        mid = row.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(lambda office: inbox_work.outbox.discard(office, mid),
                                lambda _: self.notify("Discarded"), message_id=mid)

        self.app.push_screen(ConfirmDialog(f"Throw away this email ({row.state_label})? It has not been sent.",
                                           title="Discard an email", careful=False), confirmed)

    @on(MailActivity)
    def mail_activity(self, message: MailActivity) -> None:
        """The mail job fetched or sent something: the lanes and their counts follow."""
        r = message.result
        if (r.fetched or r.sent or r.failed) and self._started and self.app.office is not None:
            self.refresh_lane()

    def action_lane(self, step: int) -> None:
        index = (LANES.index(self.lane) + step) % len(LANES)
        self.action_lane_to(index)

    def action_lane_to(self, index: int) -> None:
        self.query_one("#lanes", Tabs).active = f"lane-{LANES[index]}"

    def action_next(self) -> None:
        table = self._table()
        table.move_cursor(table.cursor + 1)

    def action_previous(self) -> None:
        table = self._table()
        table.move_cursor(table.cursor - 1)

    def action_back(self) -> None:
        if self.lane == "campaigns" and self.campaign is not None:
            self.campaign = None
            self._show_lane()

    def action_focus_preview(self) -> None:
        preview = self.query_one("#preview")
        if preview.has_focus:
            self._table().focus()
        else:
            preview.focus()

    def load_counts(self) -> None:
        lists = inbox_work.lists

        def counts(office: Office) -> dict[str, int]:
            from mpoffice_tui.services import approvals

            return {**lists.lane_counts(office), "approvals": approvals.count_approvals(office)}

        run_office(self, "inbox-counts", counts, self.show_counts)

    def show_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        for lane, tab in self.lane_tabs.items():
            tab.label = f"{LANE_LABELS[lane]} {counts.get(lane, 0)}"
        self._show_hint()

    # -- preview --------------------------------------------------------------------------------------
    def _clear_preview(self) -> None:
        self.detail = None
        for part in ("head", "meta", "body"):
            self.query_one(f"#preview-{part}", Static).update("")
        self.query_one("#preview-meta").display = False

    @on(PagedTable.Loaded)
    def loaded(self, event: PagedTable.Loaded) -> None:
        if not self._counts_asked:
            self._counts_asked = True
            self.load_counts()
        if event.table is self._table():
            if event.count == 0:
                self._clear_preview()
            if self._kept_place is not None:
                self._table().go_back_to(self._kept_place)
                self._kept_place = None
            self.mark_ready()

    # -- across a lock (ui/workspace.py) ------------------------------------------------------------
    def keep(self) -> ScreenState:
        return {"lane": self.lane, "place": self._table().place()}

    def resume(self, state: ScreenState) -> None:
        kept_lane, place = state.get("lane"), state.get("place")
        lane = kept_lane if isinstance(kept_lane, str) and kept_lane in LANES else self.lane
        self._kept_place = place if isinstance(place, dict) and place else None
        self.mark_loading()
        if lane != self.lane:
            self.query_one("#lanes", Tabs).active = f"lane-{lane}"  # loads it (see lane_tab)
        elif self._started:
            self._show_lane()

    @on(PagedTable.RowHighlighted, "#messages")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        if self.lane == "approvals":  # the row holds the whole draft: nothing to read
            self._show_approval(event.row)
        else:
            self.load_preview(event.row.id)

    def _show_approval(self, row: ApprovalView) -> None:
        self.detail = None
        head, meta, body = inbox_approvals.preview(row)
        self.query_one("#preview-head", Static).update(head)
        self._set_meta(meta)
        self.query_one("#preview-body", Static).update(body)
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    @on(PagedTable.RowHighlighted, "#campaigns")
    def group_highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self._show_group(event.row)

    @on(PagedTable.RowSelected, "#messages")
    def selected(self, event: PagedTable.RowSelected) -> None:
        self.query_one("#preview").focus()

    @on(PagedTable.RowSelected, "#campaigns")
    def group_selected(self, event: PagedTable.RowSelected) -> None:
        self.campaign = event.row
        self._show_lane()

    def load_preview(self, message_id: str) -> None:
        from_inbox = inbox_work.inbox
        run_office(self, "inbox-preview", lambda office: from_inbox.get_message(office, message_id), self._show_preview)

    def _show_group(self, group: CampaignGroup) -> None:
        self.detail = None
        head = Text()
        head.append(one_line(group.name), "bold")
        head.append(f"\n{group.waiting} waiting · {group.total} in all · {group.senders} senders")
        meta = Text()
        if group.flagged:
            meta.append(f"{group.flagged} flagged: their text differs from the campaign and may carry a real case\n",
                        "bold yellow")
        meta.append("Enter opens the messages · A acknowledges the senders (flagged ones left out)", "dim")
        self.query_one("#preview-head", Static).update(head)
        self._set_meta(meta)
        self.query_one("#preview-body", Static).update(Text(clean(group.template_text).expandtabs(4)))
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    def _set_meta(self, meta: Text) -> None:
        meta.rstrip()
        widget = self.query_one("#preview-meta", Static)
        widget.update(meta)
        widget.display = bool(meta.plain)

    def _show_preview(self, view: MessageDetail | None) -> None:
        if view is None or view.id != self.current_id():
            return  # a stale answer: the cursor has moved on
        self.detail = view
        self.query_one("#preview-head", Static).update(preview_head(view))
        meta = preview_meta(view)
        row = self.query_one("#messages", PagedTable).cursor_row
        if self.lane == "outbox" and row is not None and row.id == view.id:  # where the email has got to
            meta = Text.assemble(("State: ", "bold"), one_line(state_text(row)), "\n", meta)
        self._set_meta(meta)
        self.query_one("#preview-body", Static).update(Text(clean(view.body_text).expandtabs(4)))
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    # -- triage ---------------------------------------------------------------------------------------
    def triage(self, mid: str, call: Callable[[Office], T], done: Callable[[T], object]) -> None:
        """Run one triage of `mid` (a service call), remember it for `u`, then `done(result)`."""
        lane = self.lane

        def finished(result: T) -> None:
            self.undo_stack = [e for e in self.undo_stack if e[0] != mid][-50:] + [(mid, lane)]
            done(result)

        self.act(call, finished, message_id=mid)

    def action_accept(self) -> None:
        mid = self._need_message()
        if mid:
            self.triage(mid, lambda office: inbox_work.inbox.accept_suggestion(office, mid), self._filed)

    def _filed(self, filed: Filed) -> None:
        verb = "New case" if filed.created_case else "Filed to case"
        text = f"{verb} {filed.case_ref}"
        if getattr(filed, "replied", ()):
            text += f" · reply from {', '.join(one_line(x) for x in filed.replied)} recorded"
        self.notify(text + " (u undoes)", markup=False)

    def action_new_case(self) -> None:
        mid = self._need_message()
        if mid:
            self.act(lambda office: case_prefill(office, mid), self._ask_new_case, refresh=False)

    def _ask_new_case(self, prefill: CasePrefill) -> None:
        def answered(answer: NewCaseAnswer | None) -> None:
            if answer is not None:
                self.triage(prefill.message_id, lambda office: open_case(office, prefill.message_id, answer),
                            self._opened)

        self.app.push_screen(MessageCaseDialog(prefill), answered)

    def _opened(self, filed: Filed) -> None:
        """The form says Enter opens the case: it is opened (Esc comes back to the Inbox)."""
        self._filed(filed)
        if self.app.screen is self:
            self.app.push_screen(self.app.case_screen(filed.case_id))

    def action_file_case(self) -> None:
        mid = self._need_message()
        if not mid:
            return

        def file(case_id: str) -> None:
            self.triage(mid, lambda office: inbox_work.inbox.file_to_case(office, mid, case_id), self._filed)

        def checked(check: FilingCheck) -> None:
            if not check.warning:
                file(check.case_id)
                return
            self.app.push_screen(ConfirmDialog(check.warning, title="Someone else's case?"),
                                 lambda yes: file(check.case_id) if yes else None)

        def answered(case_id: str | None) -> None:
            if case_id:
                self.act(lambda office: inbox_work.filing.check_filing(office, mid, case_id), checked, refresh=False)

        self.app.push_screen(PickDialog("File to a case", search_cases, prompt="Reference (or part of it), the "
                                        "person's name, or words of the title"), answered)

    def action_link(self) -> None:
        mid = self._need_message()
        if not mid:
            return
        initial = (self.detail.sender_email or self.detail.sender_name) if self.detail and self.detail.id == mid \
            else ""

        def answered(constituent_id: str | None) -> None:
            if constituent_id:
                self.triage(mid, lambda office: inbox_work.inbox.link_constituent(office, mid, constituent_id),
                            lambda _: self.notify("Linked to the constituent (u undoes)"))

        self.app.push_screen(PickDialog("Link to a constituent", search_constituents, prompt="Name, email or postcode",
                                        initial=clean(initial or "")), answered)

    def action_campaign(self) -> None:
        mid = self._need_message()
        if not mid:
            return

        def mark(campaign_id: str | None) -> None:
            self.triage(mid, lambda office: inbox_work.inbox.mark_campaign(office, mid, campaign_id or None),
                        lambda _: self.notify("Marked as a campaign email (Campaigns lane; u undoes)"))

        def choose(existing: list) -> None:
            if not existing:
                mark(None)
                return
            options = [("", "A new campaign, with this message as its text")]
            options += [(c.id, f"{c.name} ({c.messages})") for c in existing[:30]]
            self.app.push_screen(ChooseDialog("Mark as campaign", options),
                                 lambda value: mark(value) if value is not None else None)

        from_campaigns = inbox_work.campaigns
        self.act(from_campaigns.list_campaigns, choose, refresh=False)

    def action_ignore(self) -> None:
        mid = self._need_message()
        if mid:
            self.triage(mid, lambda office: inbox_work.inbox.ignore(office, mid),
                        lambda _: self.notify("Ignored (u undoes)"))

    def action_undo(self) -> None:
        """Undo the last triage done in this lane; in Done and Auto-filed, the highlighted message's."""
        entry = next((e for e in reversed(self.undo_stack) if e[1] == self.lane), None)
        mid: str | None
        if entry is not None:
            mid = entry[0]
        elif self.lane in ("auto_filed", "done") or (self.lane == "campaigns" and self.campaign is not None):
            mid = self._need_message()
            if not mid:
                return
        else:
            self.notify("Nothing to undo in this lane: u takes back the last triage done here "
                        "(or, in Done and Auto-filed, the highlighted message's).", severity="warning")
            return
        if mid in self.acting:
            self.notify("Still saving the last change to this message…", severity="warning")
            return

        def undone(result: Undone) -> None:
            self.undo_stack = [e for e in self.undo_stack if e[0] != mid]
            self.notify(result.notice, markup=False)

        self.act(lambda office: inbox_work.inbox.undo(office, mid), undone, message_id=mid)

    # -- replies and campaigns ------------------------------------------------------------------------
    def action_reply(self) -> None:
        """Choose a reply template, then read and change the reply before it waits in the outbox."""
        mid = self._need_message()
        if not mid:
            return

        def chosen(template: str | None) -> None:
            if template is not None:
                self.action_reply_with(mid, template)

        def choose(templates: list[TemplateView]) -> None:
            options = [("", "Standard reply")] + [(t.id, t.name) for t in templates]
            if len(options) == 1:
                chosen("")
            else:
                self.app.push_screen(ChooseDialog("Draft a reply from a template", options,
                                                  "Merge fields: constituent name, case reference, MP"), chosen)

        self.act(lambda office: inbox_work.letters.list_templates(office, "reply"), choose, refresh=False)

    def action_reply_with(self, mid: str, template: str) -> None:
        """The reply to `mid` from `template` ("" for the standard one), in a form to read and change; Ctrl+S
        sends it (queued, the mail job woken), Ctrl+T keeps it a draft in the Outbox lane."""
        from mpoffice_tui.ui.dialogs.form import Field
        from mpoffice_tui.ui.dialogs.send_mail import SendDialog

        def saved(d: SavedReply | None) -> None:
            if d is None or d is True:
                return
            if d.queued:
                self.notify(f"Reply to {one_line(d.to) or 'the sender'} queued to send")
                self.app.mail_wake()
            else:
                self.notify(f"Reply to {one_line(d.to) or 'the sender'} saved as a draft in the outbox "
                            "(s sends it, o exports it)")
            self.refresh_lane()

        def action(queue: bool) -> Callable[[Office, FormValues], SavedReply]:
            def act(office: Office, v: FormValues) -> SavedReply:
                draft = inbox_work.replies.draft_reply(office, mid, template or None, body=v.text("body"),
                                                       subject=v.text("subject"), queue=queue)
                return SavedReply(draft.to, queue)

            return act

        def edit(answer: tuple[Composed, str]) -> None:
            composed, sender = answer
            form = SendDialog(
                "Reply", [Field("subject", "Subject", value=composed.subject, required=True),
                          Field("body", "Text", "multiline", composed.body, required=True)],
                action(True), action(False), can_send=bool(sender),
                intro=Text.assemble(("To: ", "bold"), one_line(composed.to)))
            form.opener = (self, f"reply_with({mid!r}, {template!r})")  # a lock opens this reply again
            self.app.push_screen(form, saved)

        self.act(lambda office: (inbox_work.replies.compose_reply(office, mid, template or None),
                                 inbox_work.outbox.from_address(office)), edit, refresh=False)

    def _campaign_id(self) -> str | None:
        if self.showing_groups:
            row = self.query_one("#campaigns", PagedTable).cursor_row
            return row.id if row is not None else None
        if self.campaign is not None:
            return self.campaign.id
        if self.detail is not None and self.detail.id == self.current_id():
            return self.detail.campaign_id
        return None

    def action_acknowledge(self) -> None:
        """Acknowledge a campaign's senders: choose the template, read the preview, then draft them all
        (flagged messages are left out, to be read one by one; the group then closes)."""
        cid = self._campaign_id()
        if not cid:
            self.notify("Choose a campaign (Campaigns lane) or one of its messages first.", severity="warning")
            return

        def draft(template: str | None, left_out: int) -> None:
            def acknowledge(office: Office) -> tuple[list[Draft], bool]:
                send = bool(inbox_work.outbox.from_address(office))  # queued (paced) when there is a From address
                return inbox_work.replies.draft_campaign_acknowledgements(office, cid, template, send=send), send

            self.act(acknowledge, lambda done: drafted(done, left_out))

        def drafted(done: tuple[list[Draft], bool], left_out: int) -> None:
            drafts, sent = done
            if self.lane == "campaigns" and self.campaign is not None and self.campaign.id == cid:
                self.campaign = None
                self._show_lane()
            if sent:
                self.app.mail_wake()
            text = (f"{len(drafts)} acknowledgement(s) " + ("queued to send, paced (the Outbox lane shows each)"
                    if sent else "drafted into the outbox (no From address yet: o exports them)")
                    + "; the campaign's messages are done")
            if left_out:
                text += f"; {left_out} flagged message(s) wait in New or Suggested to be read"
            self.notify(text)

        def previewed(template: str | None, preview: AckPreview) -> None:
            if preview.senders == 0:
                self.notify("Nobody in this campaign is waiting for an acknowledgement"
                            + (f" ({preview.left_out} flagged: read them one by one)" if preview.left_out else ""),
                            severity="warning")
                return
            self.app.push_screen(PreviewDialog(f"Acknowledge {preview.senders} sender(s)", ack_preview_text(preview),
                                               ok=f"Draft {preview.senders}"),
                                 lambda yes: draft(template, preview.left_out) if yes else None)

        def chosen(template: str | None) -> None:
            if template is None:
                return
            self.act(lambda office: inbox_work.replies.preview_campaign_acknowledgement(office, cid, template or None),
                     lambda preview: previewed(template or None, preview), refresh=False)

        def choose(templates: list[TemplateView]) -> None:
            if not templates:
                chosen("")
                return
            options = [(t.id, t.name) for t in templates] + [("", "The built-in acknowledgement")]
            self.app.push_screen(ChooseDialog("Acknowledge the campaign with", options,
                                              "Templates of kind campaign (F9 manages them)"), chosen)

        self.act(lambda office: inbox_work.letters.list_templates(office, "campaign"), choose, refresh=False)

    def action_export_outbox(self) -> None:
        def answered(folder: str | None) -> None:
            if folder:
                target = Path(folder).expanduser()
                self.act(lambda office: inbox_work.replies.export_outbox(office, target),
                         lambda done: self.notify(f"{len(done)} repl{'y' if len(done) == 1 else 'ies'} "
                                                  f"written to {target} as .eml (nothing was sent)"))

        self.app.push_screen(AskDialog("Export the outbox", "Folder for the .eml files (a mail client sends them)",
                                       str(Path.home() / "mpoffice-outbox"), ok="Export"), answered)

    def action_export_attachment(self) -> None:
        detail = self.detail
        if detail is None or detail.id != self.current_id():
            self.notify("No message selected.", severity="warning")
            return
        if not detail.attachments:
            self.notify("This message has no attachments.", severity="warning")
            return

        def to_folder(attachment_id: str | None) -> None:
            if not attachment_id:
                return

            def answered(folder: str | None) -> None:
                if folder:
                    target = Path(folder).expanduser()
                    self.act(lambda office: inbox_work.cases.export_attachment(office, attachment_id, target),
                             lambda path: self.notify(f"Saved {path}"), refresh=False)

            self.app.push_screen(AskDialog("Export attachment", "Folder (or file name) to save it to",
                                           str(Path.home()), ok="Save"), answered)

        if len(detail.attachments) == 1:
            to_folder(detail.attachments[0].id)
        else:
            self.app.push_screen(ChooseDialog("Which attachment?", [
                (a.id, f"{a.filename} ({size_text(a.size)})") for a in detail.attachments]), to_folder)

    # -- capture and import ----------------------------------------------------------------------------
    def action_capture(self) -> None:
        def answered(answer: CaptureAnswer | None) -> None:
            if answer is None:
                return

            kind = CHANNELS.get(answer.channel, answer.channel)  # saved by the dialog itself
            self.notify(f"{kind} logged " + (f"onto case {answer.case_ref.upper()}" if answer.case_ref
                                             else "into the New lane"))
            self.refresh_lane()

        self.app.push_screen(CaptureDialog(), answered)

    def action_import_mail(self) -> None:
        self.app.push_screen(ImportDialog(), lambda report: self.refresh_lane() if report is not None else None)

    def scan_drop_folder(self) -> None:
        """Import what was saved into the drop folder (a thread worker; quiet when there is nothing)."""
        folder = self.app.settings.drop_folder
        if not folder:
            return

        def work(office: Office) -> DropReport:
            from mpoffice_tui.services import dropfolder

            return dropfolder.scan(office, folder)

        run_office(self, "drop-folder", work,
                   lambda report: self._dropped(report) if report.imported or report.rejected else None,
                   failed=lambda error: self.notify(f"Drop folder: {error}", severity="error"))

    def _dropped(self, report: DropReport) -> None:
        text = f"Drop folder: {report.imported} imported"
        if report.rejected:
            text += f", {len(report.rejected)} rejected (moved to rejected/)"
        self.notify(text, severity="warning" if report.rejected else "information")
        self.refresh_lane()


# -- preview text -----------------------------------------------------------------------------------
