"""The Register of Interests tab: entries, a form to add one, "not advantaged by the pass", the checker.

Keys (on the entries table): `a` (or Ctrl+N anywhere in the tab) adds an entry, `n` marks the
highlighted entry not advantaged by the pass (with a reason). The year box chooses the calendar year of
the entries and of the checker's verdicts (empty: every year). All database work runs in thread workers
through `services.interests`, which also enforces who may see whose entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from mpoffice_tui.services.clock import today, today_iso
from mpoffice_tui.services.interest_kinds import KINDS
from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.interests import Entry, Verdict



def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}" if pence % 100 == 0 else f"£{pence / 100:,.2f}"


def verdicts_text(verdicts: list[Verdict], year: int | None) -> Text:
    out = Text()
    if not verdicts:
        out.append("No entries to check" + (f" for {year}." if year else "."), "italic")
        return out
    for v in verdicts:
        if v.must_register:
            out.append("MUST REGISTER", "bold red")
            out.append(f"  by {v.register_by}", "bold")
        else:
            out.append("not registrable", "bold green")
        out.append(f"  {one_line(v.staff_name)} · {one_line(v.source)} · {v.year} · {_pounds(v.total_pence)} "
                   f"(threshold {_pounds(v.threshold_pence)})")
        if v.crossed_on:
            out.append(f" · crossed on {v.crossed_on}")
        out.append("\n  " + one_line(v.explanation) + "\n\n")
    return out


class InterestsPane(Vertical):
    """Entries of the Register of Interests and the checker's verdicts for a chosen year."""

    BINDINGS = [
        Binding("a", "add", "Add entry", id="interests-add"),
        Binding("ctrl+n", "add", "Add entry", id="interests-add-ctrl-n", show=False),
        Binding("n", "not_advantaged", "Not advantaged", id="interests-not-advantaged"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Entry] = []
        self.verdicts: list[Verdict] = []
        self.me = ""
        self.loaded_year: int | None = None
        self.loads = 0  # how many times entries and verdicts have arrived

    def compose(self) -> ComposeResult:
        with Horizontal(id="interests-bar"):
            yield Label("Year ")
            yield Input(str(today().year), id="interests-year", max_length=4, restrict=r"\d*")
            yield Static(Text("a add an entry · n not advantaged by the pass · empty year: all years"),
                         classes="summary")
        yield PagedTable([
            Column("Date", lambda e: e.received_on, width=10),
            Column("Staff", lambda e: e.staff_name, min_width=10, drop_order=2),
            Column("Kind", lambda e: e.kind, width=10),
            Column("Source", lambda e: e.source, min_width=14),
            Column("Value", lambda e: _pounds(e.value_pence), width=9),
            Column("Charity", lambda e: "yes" if e.to_charity else "", width=7, drop_order=3),
            Column("Not advantaged", lambda e: e.not_advantaged_reason or "", min_width=12, drop_order=1),
        ], id="interests-entries", empty_text="No entries for this year: press a to add one.")
        yield Label("Checker", id="verdicts-title")
        with VerticalScroll(id="verdicts"):
            yield Static("", id="verdicts-text")

    def on_mount(self) -> None:
        self.reload()

    def focus_entries(self) -> None:
        self.query_one("#interests-entries", PagedTable).focus()

    @property
    def year(self) -> int | None:
        text = self.query_one("#interests-year", Input).value.strip()
        return int(text) if len(text) == 4 else None

    def reload(self) -> None:
        year = self.year

        def job(office: Office) -> tuple[int | None, str, list[Entry], list[Verdict]]:
            from mpoffice_tui.services import interests as svc
            from mpoffice_tui.services import staff

            me = staff.current(office)
            return year, me.name if me else "", svc.list_entries(office, year=year), svc.check(office, year=year)

        run_office(self, f"interests-{id(self)}", job, self._loaded)

    def _loaded(self, loaded: tuple[int | None, str, list[Entry], list[Verdict]]) -> None:
        year, me, entries, verdicts = loaded
        if year != self.year:
            return
        self.entries, self.verdicts, self.me, self.loaded_year = entries, verdicts, me, year
        entries = list(entries)
        self.query_one("#interests-entries", PagedTable).set_source(
            lambda: len(entries), lambda offset, limit: entries[offset:offset + limit], keep_cursor=True)
        self.query_one("#verdicts-title", Label).update(
            f"Checker: {year}" if year else "Checker: every year")
        self.query_one("#verdicts-text", Static).update(verdicts_text(verdicts, year))
        self.loads += 1

    @on(Input.Changed, "#interests-year")
    def year_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = event.value.strip()
        if not value or len(value) == 4:
            self.reload()

    @on(Input.Submitted, "#interests-year")
    def year_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_entries()

    def action_add(self) -> None:
        def done(saved: object) -> None:
            if saved:
                self.app.notify("Entry recorded.")
                self.reload()

        self.app.push_screen(InterestForm(self.me), done)

    def action_not_advantaged(self) -> None:
        entry = self.query_one("#interests-entries", PagedTable).cursor_row
        if entry is None:
            self.app.notify("Choose an entry first.", severity="warning")
            return

        def done(reason: str | None) -> None:
            if not reason:
                return

            def job(office: Office) -> object:
                from mpoffice_tui.services import interests as svc

                return svc.mark_not_advantaged(office, entry.id, reason)

            run_office(self, f"interests-{id(self)}", job, lambda _entry: self.reload(),
                       done="Marked not advantaged by the pass.")

        self.app.push_screen(ReasonScreen(entry), done)


class InterestForm(OfficeDialog[bool]):
    """Add an entry by keyboard: Tab moves between fields, Enter in a field or Ctrl+S saves."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", id="interest-save")]

    def __init__(self, staff_name: str = "") -> None:
        super().__init__()
        self.staff_name = staff_name
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="interest-form", classes="dialog-box"):
            yield Static(Text("New Register of Interests entry"), classes="dialog-title")
            with VerticalScroll(classes="dialog-fields"):
                yield Label("Staff member")
                yield Input(self.staff_name, id="f-staff")
                yield Label("Kind")
                yield Select([(k, k) for k in KINDS], value="gift", allow_blank=False, id="f-kind")
                yield Label("Source (who paid or gave it)")
                yield Input(id="f-source")
                yield Label("Value in pounds")
                yield Input(id="f-value", placeholder="e.g. 450 or 120.50")
                yield Label("Date received (DD/MM/YYYY, today, -3 …)")
                yield Input(today_iso(), id="f-date")
                yield Label("Description")
                yield Input(id="f-description")
                yield Checkbox("Passed to charity (it still counts)", id="f-charity")
            yield Static("", id="f-error", classes="dialog-error")
            yield Static(Text("Enter or Ctrl+S saves · Esc cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#f-source" if self.staff_name else "#f-staff", Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        values = {name: self.query_one(f"#f-{name}", Input).value.strip()
                  for name in ("staff", "source", "value", "date", "description")}
        kind = self.query_one("#f-kind", Select).value
        charity = self.query_one("#f-charity", Checkbox).value
        error = self.query_one("#f-error", Static)
        if not values["staff"] or not values["source"] or not values["value"]:
            error.update(Text("Staff member, source and value are needed.", style="bold red"))
            return
        self.saving = True

        def job(office: Office) -> object:
            from mpoffice_tui.services import interests as svc

            pence = svc.parse_pounds(values["value"])
            return svc.add_entry(office, staff=values["staff"], kind=str(kind), source=values["source"],
                                 value_pence=pence, received_on=values["date"],
                                 description=values["description"], to_charity=bool(charity))

        run_office(self, "interest-save", job, lambda _entry: self.dismiss(True), failed=self._failed)

    def _failed(self, error: str) -> None:
        self.saving = False
        self.query_one("#f-error", Static).update(Text(one_line(error), style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReasonScreen(OfficeDialog["str | None"]):
    """Why an entry is not advantaged by the pass (Enter saves, Esc cancels)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical(id="reason-form", classes="dialog-box"):
            yield Static(Text("Not advantaged by the pass"), classes="dialog-title")
            yield Static(Text(f"{e.received_on} · {one_line(e.staff_name)} · {one_line(e.source)} · "
                              f"{_pounds(e.value_pence)}"))
            yield Label("Reason")
            yield Input(id="reason")
            yield Static("", id="reason-error", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#reason-error", Static).update(Text("Say why, so the verdict can show it.",
                                                                style="bold red"))
            return
        self.dismiss(reason)
