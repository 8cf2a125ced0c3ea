"""A constituent: details, flags, every case, contact history, consent, duplicates (merge) and conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.conflict_box import ConflictBox
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.cases import CaseRow
    from mpoffice_tui.services.consent import ConsentView
    from mpoffice_tui.services.constituents import ConstituentRow, ConstituentView, DuplicateMatch
    from mpoffice_tui.sync.conflicts import ConflictView
    from mpoffice_tui.ui.screens.base import ScreenState

CONSENT_LABELS = {"implied": "Implied consent", "written": "Written consent",
                  "third_party_permission": "Written permission for someone to act for them"}
CHANNELS = {"email": "Email", "letter": "Letter", "phone": "Phone", "walk_in": "Walk-in", "surgery": "Surgery"}


@dataclass(frozen=True)
class LoadedPerson:
    view: ConstituentView
    duplicates: tuple[DuplicateMatch, ...]  # this person first or second
    conflicts: tuple[ConflictView, ...]

    @property
    def id(self) -> str:
        return self.view.person.id


def load_person(office: Office, constituent_id: str) -> LoadedPerson:
    from mpoffice_tui.services import constituents
    from mpoffice_tui.sync.conflicts import list_conflicts

    view = constituents.get(office, constituent_id)
    dups = () if view.merged_into else tuple(constituents.duplicates(office, constituent_id, limit=50))
    conflicts = [cf for cf in list_conflicts(office) if cf.tbl == "constituents" and cf.row_id == constituent_id]
    return LoadedPerson(view, dups, tuple(conflicts))


def elector_shown(view: ConstituentView) -> str | None:
    """The linked elector as the council numbers it (BA3-58/1); a link to a register not held here says so.
    The link's key itself means nothing to a person and is never shown."""
    if view.elector_number:
        return view.elector_number
    return "linked (not on the register held on this computer)" if view.elector_key else None


def case_label(c: CaseRow) -> Text:
    text = Text()
    text.append(c.ref, "bold")
    text.append("  ")
    text.append(one_line(c.title))
    text.append(f"  {c.status_label}" + (f" ({one_line(c.outcome)})" if c.outcome else ""), "dim")
    text.append(f"  opened {(c.opened_at or '')[:10]}", "dim")
    return text


class ConstituentScreen(OfficeScreen):
    """One person; Enter on a case opens it, `m` merges the highlighted duplicate into this record."""

    KEEP_AS = "constituent"
    LOADS_DATA = True

    DEFAULT_CSS = """
    #person-head { padding: 0 1; height: auto; background: $panel; }
    #person-flags { padding: 0 1; height: auto; color: $warning; text-style: bold; }
    #person-flags.safety { background: $error 30%; color: $text; }
    #person-tabs { height: 1fr; }
    #person-tabs OptionList { height: 1fr; border: none; }
    #person-consents { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="person-back", tooltip="Back to where you came from"),
        Binding("n", "new_case", "New case", id="person-new-case", tooltip="Open a new case for this constituent"),
        Binding("g", "consent", "Consent", id="person-consent", tooltip="Record consent or written permission"),
        Binding("m", "merge", "Merge", id="person-merge", tooltip="Merge a duplicate into this constituent (all history kept)"),
        Binding("e", "edit", "Edit", id="person-edit", show=False, tooltip="Edit the constituent's details and flags"),
        Binding("r", "reload", "Reload", id="person-reload", show=False, tooltip="Read the constituent again from the office"),
        Binding("A", "subject_access", "Subject access", show=False, id="person-subject-access",
                tooltip="Review the proposed redactions of other people's details and produce their subject "
                "access pack"),
    ]


    def __init__(self, constituent_id: str) -> None:
        super().__init__()
        self.constituent_id = constituent_id
        self.person: LoadedPerson | None = None
        self._history_cases: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="person-head")
        yield Static("", id="person-flags")
        yield ConflictBox(id="person-conflicts")
        with TabbedContent(id="person-tabs"):
            with TabPane("Cases", id="tab-cases"):
                yield OptionList(id="person-cases")
            with TabPane("Contact history", id="tab-history"):
                yield OptionList(id="person-history")
            with TabPane("Consent", id="tab-consent"):
                yield Static("", id="person-consents")
            with TabPane("Duplicates", id="tab-duplicates"):
                yield OptionList(id="person-duplicates")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#person-flags").display = False
        self.query_one("#person-conflicts").display = False
        self.query_one("#person-cases").focus()
        self.load(opened=True)

    def load(self, opened: bool = False) -> None:
        """Read the person again; `opened`: they were just opened, which the audit log notes (who looked)."""
        from mpoffice_tui.services import audit

        pid = self.constituent_id

        def query(office: Office) -> LoadedPerson:
            loaded = load_person(office, pid)
            if opened:
                audit.note_view(office, "constituent", pid)  # in memory; written in a batch by the app
            return loaded

        run_office(self, "constituent", query, self._loaded)

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()

    def action_subject_access(self) -> None:
        from mpoffice_tui.ui.screens.sar_review import SarReviewScreen

        self.app.push_screen(SarReviewScreen(self.constituent_id))

    @on(ConflictBox.Resolved)
    def conflict_resolved(self) -> None:
        self.load()

    def keep(self) -> ScreenState:
        return {"constituent_id": self.constituent_id}

    async def _loaded(self, loaded: LoadedPerson) -> None:
        self.person = loaded
        self.call_after_refresh(self.mark_ready)
        v = loaded.view
        p = v.person
        head = Text()
        head.append(one_line(p.name), "bold reverse")
        if v.merged_into:
            head.append("  merged into another record", "bold red")
        if v.privacy_state and v.privacy_state != "active":
            head.append(f"  {v.privacy_state.replace('_', ' ')}", "bold red")
        head.append("\n")
        for label, value in (("Address", ", ".join(x for x in (p.address, p.postcode) if x)), ("Email", p.email),
                             ("Phone", p.phone), ("Born", v.date_of_birth), ("Elector", elector_shown(v))):
            if value:
                head.append(f"{label}: ", "dim")
                head.append(one_line(value))
                head.append("  ")
        open_n = sum(1 for c in v.cases if c.status != "closed")
        head.append(f"\n{len(v.cases)} case{'s' if len(v.cases) != 1 else ''} ({open_n} open) · "
                    f"{len(v.history)} contacts · {len(v.consents)} consents", "dim")
        if v.merged_from:
            head.append(f" · merged from {len(v.merged_from)}", "dim")
        self.query_one("#person-head", Static).update(head)
        flags = self.query_one("#person-flags", Static)
        flags.display = bool(p.flags)
        flags.update(Text("  ".join(f"⚠ {one_line(f)}" if f.startswith("SAFETY") else one_line(f) for f in p.flags)))
        flags.set_class(p.safety_caution, "safety")
        await self.query_one("#person-conflicts", ConflictBox).show(loaded.conflicts)

        cases = self.query_one("#person-cases", OptionList)
        cases.clear_options()
        all_cases = [*v.cases, *v.other_cases]
        cases.add_options([Option(case_label(c), id=c.id) for c in v.cases])
        cases.add_options([Option(Text.assemble(case_label(c), ("  (raised for someone / other party)", "italic")),
                                  id=c.id) for c in v.other_cases])
        if not all_cases:
            cases.add_option(Option(Text("No cases.", style="italic"), disabled=True))
        history = self.query_one("#person-history", OptionList)
        history.clear_options()
        self._history_cases = [h.case_id for h in v.history]
        for n, h in enumerate(v.history):
            text = Text()
            text.append((h.at or "")[:16].replace("T", " "), "dim")
            text.append(f"  {CHANNELS.get(h.channel, h.channel)} {'in' if h.direction == 'in' else 'out'}  ", "bold")
            text.append(one_line(h.subject))
            if h.case_ref:
                text.append(f"  {h.case_ref}", "dim")
            history.add_option(Option(text, id=str(n)))
        if not v.history:
            history.add_option(Option(Text("No contact recorded.", style="italic"), disabled=True))
        consent_text = Text()
        for c in v.consents:
            consent_text.append(f"{c.given_on or '?'}  ", "dim")
            consent_text.append(CONSENT_LABELS.get(c.kind, c.kind), "bold")
            if c.given_by:
                consent_text.append(f", given by {one_line(c.given_by)}")
            if c.details:
                consent_text.append(f": {one_line(c.details)}")
            consent_text.append("\n")
        if not v.consents:
            consent_text.append("No consent recorded. Press g to record it.", "italic")
        self.query_one("#person-consents", Static).update(consent_text)
        dups = self.query_one("#person-duplicates", OptionList)
        dups.clear_options()
        for n, d in enumerate(loaded.duplicates):
            other = d.b if d.a.id == p.id else d.a
            text = Text()
            text.append(one_line(other.name), "bold")
            text.append("  " + " · ".join(one_line(x) for x in (other.postcode, other.email, other.address1) if x))
            text.append(f"  {d.reason} ({d.score:.0f})", "dim")
            dups.add_option(Option(text, id=str(n)))
        if not loaded.duplicates:
            dups.add_option(Option(Text("No likely duplicates.", style="italic"), disabled=True))
        self.query_one("#person-tabs", TabbedContent).get_tab("tab-duplicates").label = Text(
            f"Duplicates ({len(loaded.duplicates)})")
        self.sub_title = one_line(p.name)

    @on(OptionList.OptionSelected, "#person-cases")
    def open_case(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(self.app.case_screen(event.option.id))

    @on(OptionList.OptionSelected, "#person-history")
    def open_history(self, event: OptionList.OptionSelected) -> None:
        case_id = self._history_cases[int(event.option.id or 0)]
        if case_id:
            self.app.push_screen(self.app.case_screen(case_id))
        else:
            self.notify("That contact is not on a case.")

    @on(OptionList.OptionSelected, "#person-duplicates")
    def duplicate_chosen(self) -> None:
        self.action_merge()

    def action_merge(self) -> None:
        from mpoffice_tui.services import constituents

        if self.person is None or not self.person.duplicates:
            self.notify("No duplicates to merge.")
            return
        tabs = self.query_one("#person-tabs", TabbedContent)
        dups = self.query_one("#person-duplicates", OptionList)
        if tabs.active != "tab-duplicates":
            tabs.active = "tab-duplicates"
            dups.focus()
            return
        index = dups.highlighted or 0
        match = self.person.duplicates[index]
        me = self.person.view.person
        other = match.b if match.a.id == me.id else match.a
        question = Text()
        question.append("Merge ")
        question.append(one_line(other.name) + (f" ({one_line(other.postcode)})" if other.postcode else ""), "bold")
        question.append(" into ")
        question.append(one_line(me.name), "bold")
        question.append("?\n\nTheir cases, messages, consents and requests move to this record; its empty details "
                        "are filled from theirs. The other record is kept, marked as merged.")

        def answered(yes: bool | None) -> None:
            if yes:
                run_office(self, "merge", lambda office: constituents.merge(office, me.id, other.id),
                           lambda _: self.load(), done="Records merged.")

        self.app.push_screen(ConfirmDialog(question, yes="Merge"), answered)

    def action_consent(self) -> None:
        from mpoffice_tui.services import consent

        if self.person is None:
            return
        pid = self.person.id
        cases = [(f"{c.ref} {one_line(c.title)}", c.id) for c in self.person.view.cases]

        def finished(result: ConsentView | None) -> None:
            if result is not None:
                self.notify("Consent recorded.")
                self.load()

        self.app.push_screen(FormDialog("Record consent", [
            Field("kind", "Kind", "choice", "written", list((v, k) for k, v in CONSENT_LABELS.items()), required=True),
            Field("case", "For the case", "choice", None, cases, placeholder="Any case"),
            Field("given_by", "Given by (for permission to act for them)", placeholder="e.g. Jo Smith (daughter)"),
            Field("given_on", "Given on (DD/MM/YYYY)", placeholder="today"),
            Field("details", "Details", placeholder="optional"),
        ], lambda office, v: consent.record(office, pid, v.text("kind"), case=v.choice("case"),
                                            given_by=v.text("given_by") or None, given_on=v.text("given_on") or None,
                                            details=v.text("details") or None)), finished)

    def action_edit(self) -> None:
        """Edit names, contact details, address, flags and interpreter (safety details if the role may)."""
        from mpoffice_tui.services import constituents

        if self.person is None:
            return
        pid = self.person.id
        run_office(self, "person-edit", lambda office: constituents.editable(office, pid), self._edit_form)

    def _edit_form(self, current: dict[str, str | bool | None]) -> None:
        from mpoffice_tui.services import constituents

        pid = self.person.id if self.person else None
        if pid is None:
            return
        labels = [("title", "Title"), ("forenames", "Forenames"), ("surname", "Surname"),
                  ("preferred_name", "Preferred name"), ("email", "Email"), ("phone", "Phone"),
                  ("address1", "Address"), ("address2", "Address line 2"), ("address3", "Address line 3"),
                  ("town", "Town"), ("postcode", "Postcode"), ("date_of_birth", "Date of birth (DD/MM/YYYY)"),
                  ("interpreter_language", "Interpreter language"), ("accessibility", "Accessibility needs")]
        fields = [Field(k, label, value=current.get(k) or "", required=k == "surname") for k, label in labels]
        fields += [Field("vulnerable", "Vulnerable", "check", bool(current.get("vulnerable"))),
                   Field("safety_caution", "Safety caution", "check", bool(current.get("safety_caution")))]
        if "safety_details" in current:
            fields.append(Field("safety_details", "Safety details", "multiline", current.get("safety_details") or ""))

        def save(office: Office, v: FormValues) -> ConstituentRow | bool:
            changed = {k: val for k, val in v.items() if k in current
                       and (bool(current[k]) != val if isinstance(val, bool) else (val or None) != (current[k] or None))}
            return constituents.update(office, pid, **changed) if changed else True

        def finished(result: ConstituentRow | bool | None) -> None:
            if result is not None:
                self.notify("Details saved.")
                self.load()

        self.app.push_screen(FormDialog("Edit details", fields, save), finished)

    def action_new_case(self) -> None:
        from mpoffice_tui.ui.dialogs.new_case import NewCaseDialog

        if self.person is None:
            return

        def done(row: CaseRow | None) -> None:
            if row and row is not True:
                self.load()
                self.app.push_screen(self.app.case_screen(row.id))

        self.app.push_screen(NewCaseDialog(self.person.id, self.person.view.person.name), done)
