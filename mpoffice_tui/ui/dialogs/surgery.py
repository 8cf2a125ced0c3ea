"""The Surgery screen's forms: a booking (or a walk-in), the visit captured into a case, a new surgery,
moving a booking and printing the day's list. Every one runs its service in a thread worker (FormDialog)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.dialogs.new_case import person_label
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from pathlib import Path

    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.constituents import ConstituentRow
    from mpoffice_tui.services.register import Hit
    from mpoffice_tui.services.surgeries import AppointmentView, SurgeryView, Who
    from mpoffice_tui.services.surgery_visits import OpenCase, Visit

NEW = "__new__"
NEW_CASE = "__new_case__"
PERSON_FIELDS = (("forenames", "Forenames"), ("surname", "Surname"), ("postcode", "Postcode"), ("email", "Email"))


def _people(office: Office, query: str) -> tuple[list[ConstituentRow], list[Hit]]:
    """Known constituents and register entries for what was typed (name, postcode or elector number)."""
    from mpoffice_tui.services import constituents, register

    known = constituents.search(office, query, limit=8)
    linked = {c.id for c in known}
    hits = [h for h in register.lookup(office, query, limit=8).hits
            if not any(link.id in linked for link in h.constituents)]
    return known, hits


class BookingDialog(FormDialog["AppointmentView"]):
    """Book someone at a surgery, or add a walk-in on the day: find them among known constituents or on the
    register (name, postcode or elector number), or type someone new. Dismisses with the AppointmentView."""

    DEFAULT_CSS = """
    BookingDialog #book-people { height: auto; max-height: 7; }
    BookingDialog #book-new { height: auto; }
    BookingDialog #book-chosen { height: auto; color: $success; text-style: bold; }
    """
    FIELDS_MAX_HEIGHT = 30

    def __init__(self, surgery_id: str, label: str, free_slots: tuple[str, ...] = (), *, walk_in: bool = False) -> None:
        fields: list[Field] = []
        if not walk_in:
            fields.append(Field("slot", "Time", "choice", free_slots[0] if free_slots else None,
                                [(t, t) for t in free_slots], required=True))
        fields += [Field("topic", "What it is about", placeholder="e.g. Damp in the flat"),
                   Field("phone", "Contact number"), Field("interpreter", "Interpreter needed (language)"),
                   Field("access", "Access needs", placeholder="e.g. wheelchair, hearing loop")]
        if not walk_in:
            fields.append(Field("confirm", "Email a confirmation (if they have an email)", "check", True))
        super().__init__(("Walk-in at " if walk_in else "Book at ") + label, fields, self._book,
                         submit_label="Add walk-in" if walk_in else "Book")
        self.surgery_id = surgery_id
        self.walk_in = walk_in
        self.who: Who | str | None = None  # once chosen (or NEW)
        self._known: list[ConstituentRow] = []
        self._hits: list[Hit] = []
        self._timer: Timer | None = None

    def body_widgets(self) -> ComposeResult:
        yield Label("Who: type a name, postcode or elector number, then choose")
        yield Input(placeholder="e.g. O'Brien WX4, or AB1-124/1", id="book-search")
        yield OptionList(id="book-people")
        yield Static("", id="book-chosen")
        with Vertical(id="book-new"):
            for name, label in PERSON_FIELDS:
                yield Label(label + (" *" if name == "surname" else ""))
                yield Input(id=f"book-{name}")
        yield from super().body_widgets()

    def on_mount(self) -> None:
        self.query_one("#book-new").display = False
        self._show([], [])
        self.query_one("#book-search").focus()

    @on(Input.Changed, "#book-search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._timer:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(0.25, lambda: self._search(value))

    def _search(self, query: str) -> None:
        if not query.strip():
            self._show([], [])
            return
        run_office(self, "book-search", lambda office: _people(office, query), lambda found: self._show(*found),
                   failed=lambda _error: self._show([], []))

    def _show(self, known: list[ConstituentRow], hits: list[Hit]) -> None:
        self._known, self._hits = known, hits
        options = self.query_one("#book-people", OptionList)
        options.clear_options()
        items = [Option(Text("+ Someone new (type their details)", style="bold"), id=NEW)]
        items += [Option(person_label(p), id=f"k{n}") for n, p in enumerate(known)]
        for n, h in enumerate(hits):
            e = h.elector
            items.append(Option(Text.assemble((one_line(e.name), "bold"), f"  on the register {e.number}  ",
                                              (one_line(f"{e.address} {e.postcode}"), "dim")), id=f"e{n}"))
        options.add_options(items)
        options.highlighted = 1 if len(items) > 1 else 0

    @on(Input.Submitted, "#book-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # (not the form's submit)
        event.stop()
        self.query_one("#book-people").focus()

    @on(OptionList.OptionSelected, "#book-people")
    def person_chosen(self, event: OptionList.OptionSelected) -> None:
        from mpoffice_tui.services.surgeries import Who

        oid = event.option.id or ""
        new = oid == NEW
        self.query_one("#book-new").display = new
        chosen = self.query_one("#book-chosen", Static)
        if new:
            self.who = NEW
            words = self.query_one("#book-search", Input).value.split()
            if words and not self.query_one("#book-surname", Input).value:
                self.query_one("#book-surname", Input).value = words[-1]
                self.query_one("#book-forenames", Input).value = " ".join(words[:-1])
            chosen.update(Text("For: someone new"))
            self.query_one("#book-forenames").focus()
            return
        if oid.startswith("k"):
            p = self._known[int(oid[1:])]
            self.who = Who(constituent_id=p.id)
            chosen.update(Text(f"For: {one_line(p.name)}" + ("  ⚠ safety caution" if p.safety_caution else "")))
        else:
            e = self._hits[int(oid[1:])].elector
            self.who = Who(elector_key=e.key)
            chosen.update(Text(f"For: {one_line(e.name)} (on the register, {e.number})"))
        self.focus_next()

    def _book(self, office: Office, values: FormValues) -> AppointmentView:
        from mpoffice_tui.db.errors import OfficeError
        from mpoffice_tui.services import surgeries
        from mpoffice_tui.services.surgeries import Who

        who = self.who
        if who is None:
            raise OfficeError("choose who it is for: type a name and pick them, or “Someone new”")
        if not isinstance(who, Who):  # NEW: someone new, as typed
            who = Who(forenames=values.text("new_forenames"), surname=values.text("new_surname"),
                      postcode=values.text("new_postcode"), email=values.text("new_email"))
        return surgeries.book(office, self.surgery_id, who, slot=values.choice("slot"), topic=values.text("topic"),
                              phone=values.text("phone"), interpreter=values.text("interpreter"),
                              access=values.text("access"), walk_in=self.walk_in, confirm=values.flag("confirm"))

    def values(self) -> FormValues:
        out = super().values()
        for name, _ in PERSON_FIELDS:
            out[f"new_{name}"] = self.query_one(f"#book-{name}", Input).value.strip()
        return out


def visit_dialog(appointment: AppointmentView, open_cases: tuple[OpenCase, ...] = ()) -> FormDialog[Visit]:
    """The visit, captured: the problem in their words first, the follow-up, consent there and then; a new
    case unless one of theirs is chosen. Ctrl+S saves it all in one go (services.surgery_visits.capture)."""
    from mpoffice_tui.services import surgery_visits

    choices = [("A new case", NEW_CASE)] + [(f"{c.ref}  {c.title}", c.id) for c in open_cases]
    fields = [
        Field("problem", "The problem, in their own words", "multiline", required=True),
        Field("follow_up", "Follow-up task", placeholder="e.g. Write to the council's housing team"),
        Field("consent", "Consent to act: agreed in person (recorded now)", "check"),
        Field("signed", "…and signed a consent form", "check"),
        Field("case", "Record it on", "choice", NEW_CASE, choices, required=True),
        Field("title", "Title of a new case", value=appointment.topic),
        Field("category", "Category", placeholder="empty: suggested from what they said"),
        Field("due", "Follow-up due", placeholder="e.g. +7, +2w or 22/01/2027 (empty: a week)"),
    ]

    def capture(office: Office, v: FormValues) -> Visit:
        consent = "written" if v.flag("signed") else "implied" if v.flag("consent") else None
        case = None if v.choice("case") in (None, NEW_CASE) else v.choice("case")
        return surgery_visits.capture(office, appointment.id, problem=v.text("problem"), case=case,
                                      title=v.text("title"), category=v.text("category"), consent=consent,
                                      follow_up=v.text("follow_up"), follow_up_due=v.text("due"))

    return FormDialog(f"Visit: {one_line(appointment.name)}", fields, capture, submit_label="Save visit")


def new_surgery_dialog(default_place: str = "") -> FormDialog[SurgeryView]:
    from mpoffice_tui.services import surgeries

    fields = [Field("held_on", "Date", placeholder="e.g. 15/01/2027 or +7", required=True),
              Field("place", "Place", default_place, placeholder="e.g. Eastmoor Library", required=True),
              Field("starts", "From", "10:00", required=True), Field("ends", "To", "13:00", required=True),
              Field("slot", "Minutes a slot", "15", required=True),
              Field("held_by", "Held by (empty: the MP)", placeholder="a member of staff")]
    return FormDialog("New surgery", fields, lambda office, v: surgeries.add_surgery(
        office, held_on=v.text("held_on"), place=v.text("place"), starts=v.text("starts"), ends=v.text("ends"),
        slot_minutes=v.text("slot"), held_by=v.text("held_by") or None), submit_label="Add")


def move_dialog(appointment: AppointmentView, free_slots: tuple[str, ...]) -> FormDialog[AppointmentView]:
    from mpoffice_tui.services import surgeries

    fields = [Field("slot", "New time", "choice", free_slots[0] if free_slots else None,
                    [(t, t) for t in free_slots], required=True),
              Field("surgery", "At another surgery (its date; empty: this one)", placeholder="e.g. 22/01/2027")]
    return FormDialog(f"Move {one_line(appointment.name)} ({appointment.time})", fields, lambda office, v: surgeries.move(
        office, appointment.id, slot=None if v.text("surgery") else v.choice("slot"), surgery=v.text("surgery") or None),
        submit_label="Move")


def print_dialog(surgery: SurgeryView) -> FormDialog[Path]:
    from pathlib import Path

    from mpoffice_tui.services import surgery_print

    default = str(Path.home() / f"surgery-{surgery.held_on}.pdf")
    fields = [Field("path", "Save the day's list as (.pdf or .txt)", default, required=True)]
    return FormDialog("Print the day's list", fields,
                      lambda office, v: surgery_print.print_day(office, surgery.id, v.text("path")), submit_label="Save",
                      intro="It holds personal data: keep it with you and shred it after the surgery.")
