"""One case: header (who, state, flags, permission, sync conflicts), timeline, and a key for every action."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.dialogs.simple import PickDialog, TextDialog
from mpoffice_tui.ui.jobs import MailActivity
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.conflict_box import ConflictBox
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.timeline import Timeline
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.audit import ViewRow
    from mpoffice_tui.services.cases import AttachmentView, CaseDetail, CaseRow, TimelineItem
    from mpoffice_tui.services.consent import CaseConsent
    from mpoffice_tui.services.directory import PartyChoice
    from mpoffice_tui.services.letters import ChaseItem, ComposedLetter, LetterView, TemplateView
    from mpoffice_tui.services.replies import CaseReply
    from mpoffice_tui.services.staff import StaffView
    from mpoffice_tui.sync.conflicts import ConflictView
    from mpoffice_tui.ui.dialogs.send_mail import CaseMailChoices
    from mpoffice_tui.ui.screens.base import ScreenState

CHANNEL_LABELS = {"email": "Email", "letter": "Letter", "phone": "Phone call", "walk_in": "Walk-in",
                  "surgery": "Surgery"}
KIND_LABELS = {"call": "Call", "note": "Note", "status": "Status", "system": "Update", "letter": "Letter",
               "task": "Task", "task_done": "Task done", "attachment": "File"}
PREVIEW_LINES = 4


@dataclass(frozen=True)
class LoadedCase:
    """What the screen shows: the case detail, its consent state and its open sync conflicts."""

    detail: CaseDetail
    consent: CaseConsent
    conflicts: tuple[ConflictView, ...]  # of the case and of its constituent
    staff: tuple[StaffView, ...]
    can_audit: bool = False  # a manager or the MP: may see who looked at the case

    @property
    def id(self) -> str:
        return self.detail.case.id

    @property
    def ref(self) -> str:
        return self.detail.case.ref


def load_case(office: Office, case_id: str, *, viewed: bool = False) -> LoadedCase:
    """The case and what its screen shows; `viewed`: note (in memory, written later in a batch) that the
    unlocking person opened it."""
    from mpoffice_tui.services import access, audit, cases, consent, staff
    from mpoffice_tui.sync.conflicts import list_conflicts

    detail = cases.get_case(office, case_id)
    if viewed:
        audit.note_view(office, "case", detail.case.id)
    # all open conflicts, filtered here: list_conflicts(tbl=, row_id=) passes a list to exec_driver_sql
    rows = {("cases", detail.case.id), ("constituents", detail.case.constituent_id)}
    conflicts = [cf for cf in list_conflicts(office) if (cf.tbl, cf.row_id) in rows]
    return LoadedCase(detail, consent.case_status(office, detail.case.id), tuple(conflicts),
                      tuple(staff.list_staff(office)), access.can(office, "audit.read"))


def when(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")


def item_heading(item: TimelineItem) -> Text:
    text = Text()
    text.append(when(item.at), "dim")
    text.append("  ")
    if item.kind == "message":
        label = CHANNEL_LABELS.get(item.channel or "", item.channel or "Message")
        label += " in" if item.direction == "in" else " out" if item.direction == "out" else ""
    else:
        label = KIND_LABELS.get(item.kind, item.kind.title())
    text.append(label, "bold red" if item.confidential else "bold")
    title = one_line(item.title)
    if title and title != label:  # a plain note is titled "Note": say it once
        text.append("  ")
        text.append(title)
    if item.author:
        text.append("  ")
        text.append(one_line(item.author), "dim")
    return text


def item_full(item: TimelineItem) -> Text:
    text = item_heading(item)
    if item.attachments:
        text.append("\nAttachments: ", "dim")
        text.append(", ".join(one_line(a) for a in item.attachments))
    text.append("\n\n")
    if item.redacted:
        text.append("(confidential: not shown to your role)", "italic")
    else:
        text.append(clean(item.body).strip().expandtabs(4))
    return text


def item_preview(item: TimelineItem) -> Text:
    """An item as the timeline lists it: its heading and the first few lines of its text."""
    text = item_heading(item)
    if item.redacted:
        text.append("\n(confidential: not shown to your role)", "italic dim")
        return text
    body = clean(item.body).strip().expandtabs(4)
    if body:
        lines = body.splitlines()
        text.append("\n")
        text.append("\n".join(lines[:PREVIEW_LINES]))
        if len(lines) > PREVIEW_LINES:
            text.append(f"\n… {len(lines) - PREVIEW_LINES} more lines (Enter to read)", "dim italic")
    return text


class LetterEditor(FormDialog["tuple[LetterView, bool]"]):
    """A letter to read and change before it is saved: its subject line and its text, with room to write."""

    DEFAULT_CSS = """
    LetterEditor .dialog-box { width: 96; }
    LetterEditor #field-body { height: 12; }
    """

    def on_mount(self) -> None:
        """The letter's text has the focus (after FormDialog's own on_mount gave it to the first field)."""
        self.call_after_refresh(self.query_one("#field-body").focus)

    def on_resize(self) -> None:
        """As many lines of the letter as the terminal leaves room for (80×24 too); FormDialog's own
        on_resize, called after this one, then keeps the buttons on screen."""
        self.query_one("#field-body").styles.height = max(4, min(16, self.size.height - 18))


class CaseDetailScreen(OfficeScreen):
    """One case: who, what state, any warnings, and its timeline newest first.

    One instance is built ahead of time and reused (`show_case`), so opening a case costs only its data."""

    KEEP_AS = "case"
    LOADS_DATA = True

    DEFAULT_CSS = """
    #case-consent { padding: 0 1; height: auto; background: $warning 30%; color: $text; text-style: bold; }
    #case-side { padding: 0 1; height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="case-back", tooltip="Back to where you came from"),
        Binding("n", "note", "Note", id="case-note", tooltip="Add a note; tick Confidential to keep it from the constituent"),
        Binding("c", "call", "Call", id="case-call", tooltip="Log a phone call on this case"),
        Binding("s", "status", "Status", id="case-status", tooltip="Change the status (closing asks for an outcome)"),
        Binding("a", "assign", "Assign", id="case-assign", tooltip="Assign the case to a member of staff"),
        Binding("v", "review", "Review", id="case-review", tooltip="Set the review date"),
        Binding("t", "task", "Task", id="case-task", tooltip="Add a task with a due date"),
        Binding("T", "complete_task", "Task done", id="case-complete-task", show=False, tooltip="Mark one of the case's open tasks done"),
        Binding("p", "party", "3rd party", id="case-party", tooltip="Add a third party (council, DWP, Home Office…) with a role"),
        Binding("w", "letter", "Letter", id="case-letter", tooltip="Write a letter from a template (.docx and plain text)"),
        Binding("C", "chase", "Chase", id="case-chase", show=False, tooltip="Chase a third party that has not replied in time"),
        Binding("f", "attach", "Attach", id="case-attach", show=False, tooltip="Attach a file (kept encrypted in the office)"),
        Binding("o", "constituent", "Person", id="case-constituent", tooltip="Open the constituent: details, cases, consent, flags"),
        Binding("g", "permission", "Permission", id="case-permission", show=False,
                tooltip="Record written permission for someone acting for the constituent"),
        Binding("r", "reply", "Email", id="case-reply",
                tooltip="Email the constituent or a third party from a template, with files and letters"),
        Binding("R", "reload", "Reload", show=False, id="case-reload", tooltip="Read the case again from the office"),
        Binding("L", "who_looked", "Who looked", show=False, id="case-who-looked",
                tooltip="Managers: who opened this case or its constituent's record, when, from which machine"),
    ]


    def __init__(self, case_id: str | None = None, chase_party: str | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.chase_party = chase_party  # open the chase form for this third party once loaded
        self.detail: LoadedCase | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="case-head")
        yield Static("", id="case-flags")
        yield Static("", id="case-consent")
        yield ConflictBox(id="case-conflicts")
        yield Static("", id="case-side")
        yield Timeline(item_preview, id="timeline")
        yield KeyBar()

    def on_mount(self) -> None:
        self._blank()
        if self.case_id:
            self.load(opened=True)

    def _blank(self) -> None:
        for wid in ("#case-flags", "#case-consent", "#case-conflicts", "#case-side"):
            self.query_one(wid).display = False
        self.query_one("#case-head", Static).update(Text("Loading…"))
        self.query_one(Timeline).show((), empty="")
        self.sub_title = ""
        self.query_one(Timeline).focus()

    def keep(self) -> ScreenState:
        return {"case_id": self.case_id}

    def show_case(self, case_id: str, chase_party: str | None = None) -> None:
        """Show a case in this screen, built or not yet: nothing of the last case stays on it."""
        self.mark_loading()
        self.case_id, self.chase_party, self.detail = case_id, chase_party, None
        if self.is_mounted:  # else on_mount loads it
            self._blank()
            self.load(opened=True)

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`Who looked` is offered to managers and the MP only (the audit log is theirs to read)."""
        if action == "who_looked":
            return bool(self.detail and self.detail.can_audit)
        return True

    def action_who_looked(self) -> None:
        """`L`: who opened this case or its person's record, newest first (managers)."""
        from mpoffice_tui.services import audit

        if self.detail is None:
            return
        case_id, ref = self.detail.id, self.detail.ref
        run_office(self, "who-looked", lambda office: audit.case_views(office, case_id),
                   lambda views: self._show_views(ref, views))

    def _show_views(self, ref: str, views: list[ViewRow]) -> None:
        body = Text()
        if not views:
            body.append("Nobody has opened it yet (views are recorded from now on).", "italic")
        for v in views:
            body.append(when(v.at), "dim")
            body.append("  ")
            body.append(one_line(v.staff), "bold")
            body.append(f"  opened the {'case' if v.what == 'case' else 'constituent record'} on machine ")
            body.append(one_line(v.machine))
            body.append("\n")
        self.app.push_screen(TextDialog(Text(f"Who looked at {ref}", style="bold"), body, []))

    def load(self, opened: bool = False) -> None:
        """Read the case again; `opened`: it was just opened, which the audit log notes (who looked)."""
        if (case_id := self.case_id) is None:
            return
        run_office(self, "case-detail", lambda office: load_case(office, case_id, viewed=opened), self.show_loaded)

    # -- showing ------------------------------------------------------------------------------
    async def show_loaded(self, loaded: LoadedCase) -> None:
        if self.case_id not in (loaded.id, loaded.ref):
            return  # a late answer for the case this screen showed before
        first = self.detail is None
        self.detail = loaded
        d = loaded.detail
        c = d.case
        self.query_one("#case-head", Static).update(self._head(d))
        flags = self.query_one("#case-flags", Static)
        person_flags = d.constituent.flags if d.constituent else ()
        flags.display = bool(person_flags)
        flags.update(Text("  ".join(f"⚠ {one_line(f)}" if f.startswith("SAFETY") else one_line(f)
                                    for f in person_flags)))
        flags.set_class(bool(d.constituent and d.constituent.safety_caution), "safety")
        consent = self.query_one("#case-consent", Static)
        consent.display = bool(loaded.consent.needs_permission)
        if loaded.consent.needs_permission:
            who = one_line(d.raised_by.name) if d.raised_by else "someone else"
            consent.update(Text(f"Raised on someone else's behalf (by {who}): permission not recorded. "
                                "Press g to record it."))
        await self.query_one("#case-conflicts", ConflictBox).show(loaded.conflicts)
        side = self.query_one("#case-side", Static)
        side.update(self._side(d))
        side.display = bool(d.parties or d.tasks)
        self.query_one(Timeline).show(d.timeline[::-1], empty="Nothing on this case's timeline yet.")
        self.sub_title = c.ref
        self.refresh_bindings()  # `Who looked` follows the role
        self.mark_ready()
        if first and self.chase_party:
            self.action_chase(self.chase_party)

    def _head(self, d: CaseDetail) -> Text:
        c = d.case
        text = Text()
        text.append(c.ref, "bold reverse")
        text.append("  ")
        text.append(one_line(c.title), "bold")
        if c.confidential:
            text.append("  CONFIDENTIAL", "bold red")
        text.append("\nConstituent: ", "dim")
        text.append(one_line(d.constituent.name) if d.constituent else "none", "bold")
        if d.constituent:
            contact = " · ".join(one_line(x) for x in (d.constituent.email, d.constituent.phone,
                                                        d.constituent.postcode) if x)
            if contact:
                text.append("  ")
                text.append(contact, "dim")
        if d.raised_by and d.constituent and d.raised_by.id != d.constituent.id:
            text.append("  raised by ", "dim")
            text.append(one_line(d.raised_by.name))
        text.append("\n")
        status = c.status_label + (f" ({c.outcome})" if c.outcome else "")
        pairs = [("Status", status), ("Category", c.category)]
        if c.priority != "normal":
            pairs.append(("Priority", c.priority))
        pairs += [("Assignee", c.assignee or "nobody"), ("Opened", (c.opened_at or "")[:10]),
                  ("Review", c.review_date or "none")]
        if c.tags:
            pairs.append(("Tags", ", ".join(c.tags)))
        for label, value in pairs:
            text.append(f"{label}: ", "dim")
            text.append(one_line(value), "bold" if label == "Status" else "")
            text.append("  ")
        return text

    def _side(self, d: CaseDetail) -> Text:
        text = Text()
        if d.parties:
            text.append("Parties: ", "bold")
            parts = []
            for p in d.parties:
                s = f"{one_line(p.name)} ({one_line(p.role)}"
                if p.replied_on:
                    s += f", replied {p.replied_on}"
                elif p.reply_due:
                    s += f", reply due {p.reply_due}"
                parts.append(s + ")")
            text.append("; ".join(parts))
        open_tasks = [t for t in d.tasks if not t.done]
        if open_tasks:
            if d.parties:
                text.append("\n")
            text.append(f"Open tasks ({len(open_tasks)}): ", "bold")
            text.append("; ".join(one_line(t.title) + (f" due {t.due_date}" if t.due_date else "")
                                  for t in open_tasks[:4]))
        return text

    @on(Timeline.Open)
    def open_item(self, event: Timeline.Open[TimelineItem]) -> None:
        item = event.item
        if item.kind == "letter":
            def chosen(button: str | None) -> None:
                if button == "export":
                    self.export_letter(item.id)
                elif button == "approval":
                    from mpoffice_tui.services import approvals

                    run_office(self, "letter-approval", lambda office: approvals.request(office, "letter", item.id),
                               lambda a: self.notify(f"Letter: {a.state_label}."))

            self.app.push_screen(TextDialog(Text("Letter", style="bold"), item_full(item),
                                            [("export", "Export"), ("approval", "Ask for sign-off")]), chosen)
        else:
            files = self._item_attachments(item)

            def chosen_file(button: str | None) -> None:
                if button == "save-file":
                    self.save_attachment(files)

            buttons = [("save-file", "Save to folder")] if files else []
            self.app.push_screen(TextDialog(Text(KIND_LABELS.get(item.kind, "Message"), style="bold"),
                                            item_full(item), buttons), chosen_file)

    def _item_attachments(self, item: TimelineItem) -> list[AttachmentView]:
        """The attachments of a timeline item: a file, or a message's files."""
        if self.detail is None:
            return []
        found = self.detail.detail.attachments
        if item.kind == "attachment":
            return [a for a in found if a.id == item.id]
        if item.kind == "message":
            return [a for a in found if a.message_id == item.id]
        return []

    def save_attachment(self, files: list[AttachmentView]) -> None:
        """Write one of the item's attachments into a folder (plaintext, audited)."""
        from mpoffice_tui.services import cases

        fields = [Field("folder", "Folder", value=str(Path.home() / "Documents" if (Path.home() / "Documents")
                                                        .is_dir() else Path.home()), required=True)]
        if len(files) > 1:
            fields.insert(0, Field("file", "File", "choice", files[0].id,
                                   [(one_line(a.filename), a.id) for a in files], required=True))

        def save(office: Office, v: FormValues) -> Path:
            return cases.export_attachment(office, v.choice("file") or files[0].id, Path(v.text("folder")).expanduser())

        def done(path: Path | None) -> None:
            if isinstance(path, Path):
                self.notify(f"Saved {path}")

        self.app.push_screen(FormDialog("Save the file to a folder", fields, save, submit_label="Save",
                                        intro="This writes a plain (unencrypted) copy: keep it somewhere safe."),
                             done)

    @on(ConflictBox.Resolved)
    def conflict_resolved(self) -> None:
        self.load()

    # -- actions --------------------------------------------------------------------------------
    def _case(self) -> CaseRow | None:
        return self.detail.detail.case if self.detail else None

    def _form(self, title: str, fields: list[Field], action: Callable[[Office, FormValues], object], done: str,
              intro: str = "") -> None:
        def finished(result: object | None) -> None:
            if result is not None:
                self.notify(done)
                self.load()

        self.app.push_screen(FormDialog(title, fields, action, intro=intro), finished)

    def action_note(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None:
            return
        self._form(f"Add a note to {c.ref}", [
            Field("body", "Note", "multiline", required=True),
            Field("confidential", "Confidential (never disclosed to the constituent)", "check"),
        ], lambda office, v: cases.add_note(office, c.id, v.text("body"), confidential=v.flag("confidential")), "Note added.")

    def action_call(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None:
            return
        self._form(f"Log a call on {c.ref}", [
            Field("summary", "What was said", "multiline", required=True),
            Field("direction", "Direction", "choice", "in", [("Call in", "in"), ("Call out", "out")], required=True),
            Field("who", "Who called / was called", placeholder="optional"),
        ], lambda office, v: cases.log_call(office, c.id, v.text("summary"), direction=v.choice("direction") or "in",
                                            who=v.text("who") or None), "Call logged.")

    def action_status(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None:
            return
        if c.status == "closed":
            choices = [(cases.STATUS_LABELS[s], s) for s in cases.STATUSES if s != "closed"]
            self._form(f"Reopen {c.ref}", [
                Field("status", "Reopen as", "choice", "open", choices, required=True),
                Field("reason", "Why", placeholder="optional"),
            ], lambda office, v: cases.reopen(office, c.id, v.text("status"), reason=v.text("reason") or None),
                "Case reopened.", intro=f"Closed with outcome: {c.outcome or 'none'}")
            return
        self._form(f"Change the status of {c.ref}", [
            Field("status", "Status", "choice", c.status,
                  [(cases.STATUS_LABELS[s], s) for s in cases.STATUSES], required=True),
            Field("outcome", "Outcome (when closing)", "choice", None, [(o, o) for o in cases.OUTCOMES],
                  placeholder="Choose an outcome"),
            Field("reason", "Note", placeholder="optional"),
        ], lambda office, v: cases.change_status(office, c.id, v.text("status"), outcome=v.choice("outcome"),
                                                 reason=v.text("reason") or None), "Status changed.")

    def action_assign(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None or self.detail is None:
            return
        self._form(f"Assign {c.ref}", [
            Field("staff", "Assign to", "choice", c.assignee_id or "-",
                  [("(nobody)", "-"), *((s.name, s.id) for s in self.detail.staff)], required=True),
        ], lambda office, v: cases.assign(office, c.id, None if v.text("staff") == "-" else v.text("staff")), "Assigned.")

    def action_review(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None:
            return
        self._form(f"Review date for {c.ref}", [
            Field("date", "Review on (DD/MM/YYYY, +14, +2w; empty clears it)", value=c.review_date or ""),
        ], lambda office, v: cases.set_review_date(office, c.id, v.text("date") or None), "Review date set.")

    def action_task(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None or self.detail is None:
            return
        self._form(f"Add a task to {c.ref}", [
            Field("title", "Task", required=True),
            Field("due", "Due (DD/MM/YYYY, +14, +2w)", placeholder="optional"),
            Field("staff", "For", "choice", c.assignee_id, [(s.name, s.id) for s in self.detail.staff],
                  placeholder="The case's assignee"),
        ], lambda office, v: cases.add_task(office, c.id, v.text("title"), due_date=v.text("due") or None,
                                            assignee=v.choice("staff") or None), "Task added.")

    def action_complete_task(self) -> None:
        from mpoffice_tui.services import cases

        if self.detail is None:
            return
        tasks = [t for t in self.detail.detail.tasks if not t.done]
        if not tasks:
            self.notify("No open tasks on this case.")
            return
        self._form("Complete a task", [
            Field("task", "Task", "choice", tasks[0].id,
                  [(t.title + (f" (due {t.due_date})" if t.due_date else ""), t.id) for t in tasks], required=True),
        ], lambda office, v: cases.complete_task(office, v.text("task")), "Task done.")

    def action_party(self) -> None:
        """`p`: add a third party, searched in the office's contacts and the directory of government
        departments, agencies, public bodies and ministers together."""
        from mpoffice_tui.services import cases, directory

        if (c := self._case()) is None:
            return

        def search(office: Office, text: str) -> list[tuple[Text | str, PartyChoice]]:
            return [(Text.assemble((one_line(k.label), "bold"), "  ", (one_line(k.detail), "dim")), k)
                    for k in directory.third_parties(office, text)]

        def picked(choice: PartyChoice | None) -> None:
            if choice is None:
                return

            def add(office: Office, v: FormValues) -> object:
                if choice.source == "directory":
                    return directory.add_to_case(office, c.id, choice.id, v.text("role"), v.text("contacted") or None)
                return cases.add_party(office, c.id, v.text("role"), contact_id=choice.id,
                                       contacted_on=v.text("contacted") or None)

            self._form(f"Add {one_line(choice.label)} to {c.ref}", [
                Field("role", "Role", value="minister" if "minister" in choice.detail else "agency", required=True),
                Field("contacted", "Contacted on (DD/MM/YYYY or today; sets the reply due date)", placeholder="optional"),
            ], add, "Third party added.")

        self.app.push_screen(PickDialog("Add a third party: office contacts and the government directory", search,
                                        placeholder="Council, DWP, HM Passport Office, minister…", min_chars=0), picked)

    def action_attach(self) -> None:
        from mpoffice_tui.services import cases

        if (c := self._case()) is None:
            return
        self._form(f"Attach a file to {c.ref}", [
            Field("path", "Path of the file", required=True, placeholder="/home/me/letter.pdf"),
        ], lambda office, v: cases.attach_file(office, c.id, Path(v.text("path")).expanduser()), "File attached.",
            intro="The file is kept encrypted inside the office database.")

    def action_permission(self) -> None:
        from mpoffice_tui.services import consent

        if self.detail is None:
            return
        d = self.detail.detail
        if not (person := d.constituent):
            self.notify("This case has no constituent.", severity="warning")
            return
        by = d.raised_by.name if d.raised_by else ""
        self._form("Record written permission", [
            Field("given_by", "Permission given by", value=by, required=True),
            Field("given_on", "Given on (DD/MM/YYYY)", placeholder="today"),
            Field("details", "Details", placeholder="e.g. signed form received by post"),
        ], lambda office, v: consent.record(office, person.id, "third_party_permission", case=d.case.id,
                                            given_by=v.text("given_by"), given_on=v.text("given_on") or None,
                                            details=v.text("details") or None), "Permission recorded.",
            intro=f"{one_line(person.name)} gives permission for this case to be raised for them.")

    def action_constituent(self) -> None:
        from mpoffice_tui.ui.screens.constituent import ConstituentScreen

        if self.detail is None or not self.detail.detail.case.constituent_id:
            return
        self.app.push_screen(ConstituentScreen(self.detail.detail.case.constituent_id))

    # -- email ----------------------------------------------------------------------------------
    def action_reply(self) -> None:
        """`r`: an email from the case to the constituent or a party (queued to send, or kept a draft)."""
        from mpoffice_tui.ui.dialogs.send_mail import case_mail_choices

        if self.detail is None:
            return
        d = self.detail.detail
        files = [(a.id, a.filename) for a in d.attachments]
        letters = [(i.id, i.title) for i in d.timeline if i.kind == "letter"]
        run_office(self, "case-mail", lambda office: case_mail_choices(office, d.case.id, files, letters),
                   self._reply_dialog)

    def _reply_dialog(self, choices: CaseMailChoices) -> None:
        from mpoffice_tui.ui.dialogs.send_mail import CaseReplyDialog

        if self.detail is None or self.detail.id != choices.case_id:
            return

        def sent(reply: CaseReply | None) -> None:
            if reply is None or reply is True:
                return
            if reply.state == "draft":
                self.notify("Email saved as a draft (Outbox lane: s sends it, o exports it).")
            elif reply.state == "awaiting_approval":
                self.notify("Email waiting for approval by the MP or a manager.")
            else:
                self.notify(f"Email to {one_line(reply.to)} queued to send.")
                self.app.mail_wake()
            self.load()

        self.app.push_screen(CaseReplyDialog(choices, f"Email from {self.detail.ref}"), sent)

    @on(MailActivity)
    def mail_activity(self, message: MailActivity) -> None:
        """Mail went out (or came in): the timeline's states follow."""
        r = message.result
        if self.detail is not None and (r.sent or r.failed or r.fetched):
            self.load()

    # -- letters ------------------------------------------------------------------------------
    def action_letter(self) -> None:
        from mpoffice_tui.services import letters

        if self.detail is None:
            return

        def templates(office: Office) -> list[TemplateView]:
            found = letters.list_templates(office)
            if not found:
                letters.load_starter_templates(office)
                found = letters.list_templates(office)
            return [t for t in found if t.kind != "campaign"]  # those answer campaign emails, not a case

        run_office(self, "letter-templates", templates, self._letter_form)

    def _letter_form(self, templates: list[TemplateView]) -> None:
        from mpoffice_tui.services import letters

        if self.detail is None:
            return
        d = self.detail.detail
        recipients = [("The constituent", "constituent")] + [(one_line(p.name), p.contact_id) for p in d.parties if p.contact_id]
        fields = [Field("template", "Template", "choice", templates[0].id if templates else None,
                        [(t.name, t.id) for t in templates], required=True),
                  Field("recipient", "To", "choice", "constituent", recipients, required=True)]

        def compose(office: Office, v: FormValues) -> ComposedLetter:
            contact = None if v.text("recipient") == "constituent" else v.text("recipient")
            return letters.compose_letter(office, d.case.id, v.text("template"), recipient_contact_id=contact)

        def composed(draft: ComposedLetter | None) -> None:
            if draft is None or draft is True:
                return

            def save(office: Office, v: FormValues) -> LetterView:
                return letters.write_letter(office, d.case.id, draft.template_id,
                                            recipient_contact_id=draft.recipient_contact_id,
                                            subject=v.text("subject"), body=v.text("body"),
                                            needs_approval=v.flag("approval"))

            self._edit_letter(f"{draft.template_name} to {one_line(draft.recipient_name)}", draft.address,
                              draft.subject, draft.body, draft.unknown_fields, save, "Letter saved on the timeline.")

        self.app.push_screen(FormDialog(f"Write a letter on {d.case.ref}", fields, compose, submit_label="Write"),
                             composed)

    def _edit_letter(self, title: str, address: Sequence[str], subject: str, body: str, unknown: Sequence[str],
                     save: Callable[[Office, FormValues], LetterView], done: str) -> None:
        """The letter as written from its template, to read and change; saving stores the text as shown."""
        intro = Text()
        intro.append("To: ", "dim")
        intro.append(", ".join(one_line(x) for x in address) or "(no address)")
        if unknown:
            intro.append("\nUnknown merge fields left as typed: " + ", ".join(unknown), "bold red")

        def action(office: Office, v: FormValues) -> tuple[LetterView, bool]:
            return save(office, v), v.flag("export")

        def saved(result: tuple[LetterView, bool] | None) -> None:
            if not isinstance(result, tuple):
                return
            letter, export = result
            self.notify(done, markup=False)
            self.load()
            if export:
                self.export_letter(letter.id)

        self.app.push_screen(LetterEditor(title, [
            Field("subject", "Subject line (the case reference is added when it is missing)", value=subject),
            Field("body", "Letter (letterhead, date and address are added on export)",
                  "multiline", value=body, required=True),
            Field("approval", "Ask the MP or a manager to sign it off before it goes", "check"),
            Field("export", "Export it once saved (PDF on the letterhead or .docx: a plain, unencrypted file)", "check"),
        ], action, intro=intro, submit_label="Save to timeline"), saved)

    # -- chasing third parties -------------------------------------------------------------------
    def action_chase(self, party_id: str | None = None) -> None:
        """List this case's third parties overdue a reply; write a chase letter to one."""
        from mpoffice_tui.services import letters

        if (c := self._case()) is None:
            return
        case_id = c.id

        def overdue(office: Office) -> list[ChaseItem]:
            return letters.chase_due(office, case_id=case_id)

        run_office(self, "chase-due", overdue, lambda items: self.chase_form(items, party_id))

    def chase_form(self, items: list[ChaseItem], party_id: str | None = None) -> None:
        """Choose one overdue party (or the one given), read and change the chase letter, then save it."""
        from mpoffice_tui.services import letters

        if self.detail is None:
            return
        if not items:
            self.notify("No third party on this case is overdue a reply.")
            return
        d = self.detail.detail
        choices = [(f"{one_line(i.organisation)}: reply due {i.reply_due}, {i.working_days_late} working days late",
                    i.party_id) for i in items]

        def compose(office: Office, v: FormValues) -> tuple[str, ComposedLetter]:
            return v.text("party"), letters.compose_chase_letter(office, v.text("party"))

        def composed(result: tuple[str, ComposedLetter] | None) -> None:
            if not isinstance(result, tuple):
                return
            party, draft = result

            def save(office: Office, v: FormValues) -> LetterView:
                return letters.write_chase_letter(office, party, subject=v.text("subject"), body=v.text("body"),
                                                  needs_approval=v.flag("approval"))

            self._edit_letter(f"Chase letter to {one_line(draft.recipient_name)}", draft.address, draft.subject,
                              draft.body, draft.unknown_fields, save,
                              "Chase letter saved on the timeline; the reply is due again.")

        self.app.push_screen(FormDialog(f"Chase a third party on {d.case.ref}", [
            Field("party", "Overdue a reply", "choice", party_id or items[0].party_id, choices, required=True),
        ], compose, submit_label="Write", intro="Third parties contacted who have not replied in time "
                                                "(UK working days)."), composed)

    def export_letter(self, letter_id: str) -> None:
        """Write the letter as a PDF on the letterhead (to print or attach) or as .docx (to edit in Word);
        refused, with the reason, while it waits for sign-off."""
        from mpoffice_tui.services import letter_pdf, letters

        if self._case() is None:
            return

        def export(office: Office, v: FormValues) -> Path:
            folder = Path(v.text("folder")).expanduser()
            if not folder.is_dir():
                raise ValueError(f"{folder}: not a folder")
            if v.text("format") == "pdf":
                return letter_pdf.save_pdf(office, letter_id, folder)
            return letters.save_docx(office, letter_id, folder)  # named for the case, day and recipient

        def done(path: Path | None) -> None:
            if isinstance(path, Path):
                self.notify(f"Saved {path}", markup=False)

        self.app.push_screen(FormDialog("Export the letter", [
            Field("format", "As", "choice", "docx", (("Word .docx (to edit)", "docx"),
                                                     ("PDF on the letterhead (print or attach)", "pdf")), required=True),
            Field("folder", "Folder", value=str(Path.home() / "Documents" if (Path.home() / "Documents").is_dir()
                                                  else Path.home()), required=True)],
            export, intro="This writes a plain (unencrypted) file: keep it somewhere safe.",
            submit_label="Export"), done)
