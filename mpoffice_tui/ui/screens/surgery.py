"""The Surgery screen (F11): the day's list in time order with who has arrived, and the person across the
table (Enter): register entry, constituency, open cases and their last activity, flags; `c` captures the
visit into a case in one form. Bookings, walk-ins (one key), no-shows, moves, reminders and the printed list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.simple import ConfirmDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from pathlib import Path

    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.surgeries import AppointmentView, SurgeryDay, SurgeryView
    from mpoffice_tui.services.surgery_mail import RemindersDrafted
    from mpoffice_tui.services.surgery_visits import Visit, VisitPerson
    from mpoffice_tui.ui.screens.base import ScreenState

SAFETY_CSS = """
.surgery-flags { padding: 0 1; height: auto; color: $warning; text-style: bold; }
.surgery-flags.safety { background: $error 30%; color: $text; }
"""


def flags_text(flags: tuple[str, ...]) -> Text:
    """A person's flags on one line, the safety caution first and marked (as on a case)."""
    return Text("  ".join(f"⚠ {one_line(f)}" if f.startswith("SAFETY") else one_line(f) for f in flags))


def stats_line(day: SurgeryDay) -> Text:
    s = day.surgery
    st = s.stats
    text = Text()
    for label, n in (("booked", st.booked - st.walk_ins), ("walk-ins", st.walk_ins), ("here", st.arrived),
                     ("seen", st.seen), ("no-shows", st.no_shows), ("cases opened", st.cases_opened),
                     ("free", s.free)):
        text.append(f"{n} ", "bold")
        text.append(f"{label}   ")
    return text


class SurgeryScreen(OfficeScreen):
    """One surgery's list: Enter opens the person; `a` marks them arrived; `w` adds a walk-in; `b` books."""

    LOADS_DATA = True
    DEFAULT_CSS = """
    #surgery-head { padding: 0 1; height: auto; background: $panel; }
    #surgery-stats { padding: 0 1; height: 1; }
    """
    BINDINGS = [
        Binding("b", "book", "Book", id="surgery-book", tooltip="Book a constituent in a free slot"),
        Binding("w", "walk_in", "Walk-in", id="surgery-walk-in", tooltip="Add someone who came in without a booking"),
        Binding("a", "arrived", "Arrived", id="surgery-arrived", tooltip="They have arrived (again: not after all)"),
        Binding("c", "visit", "Visit", id="surgery-visit", tooltip="Capture the visit into a case"),
        Binding("x", "no_show", "No-show", id="surgery-no-show", show=False, tooltip="They did not come"),
        Binding("m", "move", "Move", id="surgery-move", show=False, tooltip="Move the booking to another time"),
        Binding("d", "cancel_booking", "Cancel booking", id="surgery-cancel", show=False,
                tooltip="Cancel the booking: the slot is free again"),
        Binding("e", "confirm", "Email confirmation", id="surgery-confirm", show=False,
                tooltip="Email the highlighted person a confirmation of their booking"),
        Binding("r", "remind", "Reminders", id="surgery-remind", show=False,
                tooltip="Email a reminder to everyone booked who has not had one"),
        Binding("p", "print", "Print list", id="surgery-print", show=False,
                tooltip="The day's list for the MP as a PDF or text file"),
        Binding("t", "to_do", "Still to do", id="surgery-to-do", show=False,
                tooltip="Only the visits that still need a case or a follow-up (again: everyone)"),
        Binding("n", "new_surgery", "New surgery", id="surgery-new", show=False),
        Binding("left_square_bracket", "step(-1)", "Previous surgery", id="surgery-previous", show=False),
        Binding("right_square_bracket", "step(1)", "Next surgery", id="surgery-next", show=False),
        Binding("u", "reload", "Refresh", id="surgery-reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.surgery_id: str | None = None
        self.day: SurgeryDay | None = None
        self.to_do_only = False
        self._rows: list[AppointmentView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="surgery-head")
        yield Static("", id="surgery-stats")
        columns: list[Column[AppointmentView]] = [
            Column("Time", lambda a: a.time, width=13),
            Column("Name", lambda a: ("⚠ " if a.safety_caution else "") + a.name, width=20),
            Column("Status", lambda a: a.status_label, width=13),
            Column("Topic", lambda a: a.topic, min_width=12, drop_order=2),
            Column("Needs", lambda a: "; ".join(n for n in a.needs if n != "SAFETY CAUTION"), width=16,
                   drop_order=1),
            Column("Case", lambda a: a.case_ref or (f"{a.open_cases} open" if a.open_cases else ""), width=8,
                   drop_order=3),
        ]
        yield PagedTable(columns, id="appointments", empty_text="Nobody booked yet: b books someone, w adds a walk-in.")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#appointments", PagedTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.day is not None:
            self.load()

    def keep(self) -> ScreenState:
        return {"surgery_id": self.surgery_id} if self.surgery_id else {}

    def resume(self, state: ScreenState) -> None:
        surgery_id = state.get("surgery_id")
        if isinstance(surgery_id, str) and surgery_id:
            self.surgery_id = surgery_id
            self.load()

    # -- loading --------------------------------------------------------------------------------------
    def load(self) -> None:
        from mpoffice_tui.services import surgeries, surgery_visits

        wanted, to_do = self.surgery_id, self.to_do_only

        def query(office: Office) -> tuple[SurgeryDay | None, list[AppointmentView]]:
            day = surgeries.day_for_screen(office, wanted)
            if day is None or not to_do:
                return day, list(day.appointments) if day else []
            return day, [f.appointment for f in surgery_visits.still_to_do(office, day.surgery.id)]

        run_office(self, "surgery-day", query, self._show_day)

    def _show_day(self, loaded: tuple[SurgeryDay | None, list[AppointmentView]]) -> None:
        day, rows = loaded
        self.day = day
        head = self.query_one("#surgery-head", Static)
        table = self.query_one("#appointments", PagedTable)
        if day is None:
            head.update(Text("No surgeries yet: press n to add one (date, place, hours, slot length)."))
            self.query_one("#surgery-stats", Static).update("")
            self._rows = []
            table.set_source(lambda: 0, lambda o, n: [])
            self.mark_ready()
            return
        s = day.surgery
        self.surgery_id = s.id
        text = Text()
        text.append(one_line(s.label), "bold")
        text.append(f"   held by {one_line(s.held_by or 'the MP')} · {s.slot_minutes}-minute slots", "dim")
        if self.to_do_only:
            text.append("   · still to do (t: everyone)", "italic")
        head.update(text)
        self.query_one("#surgery-stats", Static).update(stats_line(day))
        self._rows = rows
        table.set_source(lambda: len(rows), lambda o, n: rows[o:o + n], keep_cursor=True)

    @on(PagedTable.Loaded, "#appointments")
    def loaded(self) -> None:
        self.mark_ready()

    def action_reload(self) -> None:
        self.load()

    def action_step(self, step: int) -> None:
        from mpoffice_tui.services import surgeries

        if self.surgery_id is None:
            return
        current = self.surgery_id

        def found(other: str | None) -> None:
            if other is None:
                self.notify("No " + ("later" if step > 0 else "earlier") + " surgery.")
                return
            self.surgery_id = other
            self.load()

        run_office(self, "surgery-step", lambda office: surgeries.neighbour(office, current, step), found)

    # -- the highlighted booking --------------------------------------------------------------------
    def _chosen(self) -> AppointmentView | None:
        row = self.query_one("#appointments", PagedTable).cursor_row
        if row is None:
            self.notify("Choose someone on the list first.")
        return row

    def _act(self, group: str, call: Callable[[Office], object], done: str | None = None) -> None:
        run_office(self, group, call, lambda _: self.load(), done=done)

    @on(PagedTable.RowSelected, "#appointments")
    def open_person(self, event: PagedTable.RowSelected[AppointmentView]) -> None:
        self.app.push_screen(SurgeryPersonScreen(event.row.id))

    def action_arrived(self) -> None:
        from mpoffice_tui.services import surgeries

        a = self._chosen()
        if a is not None:
            back = a.status == "arrived"
            self._act("surgery-arrive", lambda office: surgeries.arrive(office, a.id, arrived=not back),
                      f"{one_line(a.name)}: " + ("not arrived after all." if back else "arrived."))

    def action_no_show(self) -> None:
        from mpoffice_tui.services import surgeries

        a = self._chosen()
        if a is not None:
            self._act("surgery-no-show", lambda office: surgeries.no_show(office, a.id),
                      f"{one_line(a.name)}: no-show.")

    def action_cancel_booking(self) -> None:
        from mpoffice_tui.services import surgeries

        a = self._chosen()
        if a is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._act("surgery-cancel", lambda office: surgeries.cancel(office, a.id),
                          f"{one_line(a.name)}'s booking cancelled: {a.time} is free again.")

        self.app.push_screen(ConfirmDialog(Text(f"Cancel the booking of {one_line(a.name)} at {a.time}?"),
                                           yes="Cancel booking"), answered)

    def action_visit(self) -> None:
        a = self._chosen()
        if a is not None:
            open_visit(self, a.id)

    def action_book(self) -> None:
        from mpoffice_tui.ui.dialogs.surgery import BookingDialog

        if self.day is None:
            self.notify("Add a surgery first (n).")
            return
        if not self.day.free_slots:
            self.notify("This surgery is fully booked: w adds a walk-in on the day.")
            return
        s = self.day.surgery
        self.app.push_screen(BookingDialog(s.id, s.label, self.day.free_slots), self._booked)

    def action_walk_in(self) -> None:
        from mpoffice_tui.ui.dialogs.surgery import BookingDialog

        if self.day is None:
            self.notify("Add a surgery first (n).")
            return
        s = self.day.surgery
        self.app.push_screen(BookingDialog(s.id, s.label, walk_in=True), self._booked)

    def _booked(self, a: AppointmentView | None) -> None:
        if a is not None:
            self.notify(f"{one_line(a.name)}: {a.time}" + (" (confirmation emailed)" if a.confirmation_id else "")
                        + ".")
            self.load()

    def action_move(self) -> None:
        from mpoffice_tui.ui.dialogs.surgery import move_dialog

        a = self._chosen()
        if a is None or self.day is None:
            return
        if a.status != "booked":
            self.notify(f"{one_line(a.name)} is {a.status_label}: only a booking not yet seen can be moved.")
            return

        def moved(result: AppointmentView | None) -> None:
            if result is not None:
                self.notify(f"{one_line(result.name)} moved to {result.slot}.")
                self.load()

        self.app.push_screen(move_dialog(a, self.day.free_slots), moved)

    def action_confirm(self) -> None:
        from mpoffice_tui.services import surgery_mail

        a = self._chosen()
        if a is not None:
            self._act("surgery-confirm", lambda office: surgery_mail.confirm(office, a.id),
                      f"Confirmation for {one_line(a.name)} is in the outbox.")

    def action_remind(self) -> None:
        from mpoffice_tui.services import surgery_mail

        if self.day is None:
            return
        sid = self.day.surgery.id

        def told(done: RemindersDrafted) -> None:
            ring = "; ".join(f"{one_line(n)} {p or '(no number)'}" for n, p in done.no_email)
            self.notify(f"{done.drafted} reminder(s) in the outbox ({done.state.replace('_', ' ')})."
                        + (f" Ring: {ring}" if ring else ""), timeout=10)
            self.load()

        run_office(self, "surgery-remind", lambda office: surgery_mail.send_reminders(office, sid), told)

    def action_print(self) -> None:
        from mpoffice_tui.ui.dialogs.surgery import print_dialog

        if self.day is not None:
            def saved(path: Path | None) -> None:
                if path:
                    self.notify(f"Saved the list as {path}.")

            self.app.push_screen(print_dialog(self.day.surgery), saved)

    def action_to_do(self) -> None:
        self.to_do_only = not self.to_do_only
        self.load()

    def action_new_surgery(self) -> None:
        from mpoffice_tui.ui.dialogs.surgery import new_surgery_dialog

        def added(s: SurgeryView | None) -> None:
            if s is not None:
                self.notify(f"Added {one_line(s.label)}.")
                self.surgery_id = s.id
                self.load()

        place = self.day.surgery.place if self.day is not None else ""
        self.app.push_screen(new_surgery_dialog(place), added)


def open_visit(screen: OfficeScreen, appointment_id: str, then: Callable[[], object] | None = None) -> None:
    """Read the person's open cases, then open the visit form; `then()` after it is saved."""
    from mpoffice_tui.services import surgery_visits
    from mpoffice_tui.ui.dialogs.surgery import visit_dialog

    def ready(person: VisitPerson) -> None:
        def saved(visit: Visit | None) -> None:
            if visit is None:
                return
            screen.notify(("New case " if visit.case_opened else "Visit added to ") + f"{visit.case_ref} "
                          f"({one_line(visit.category)})" + (", consent recorded" if visit.consent_id else "")
                          + (", follow-up added" if visit.task_id else "") + ".")
            if then is not None:
                then()
            else:
                load = getattr(screen, "load", None)
                if load:
                    load()

        screen.app.push_screen(visit_dialog(person.appointment, person.open_cases), saved)

    run_office(screen, "surgery-visit-open", lambda office: surgery_visits.person_for(office, appointment_id), ready)


class SurgeryPersonScreen(OfficeScreen):
    """The person across the table. `c` captures the visit; Enter on a case opens it; Esc goes back."""

    LOADS_DATA = True
    DEFAULT_CSS = """
    #visit-head { padding: 0 1; height: auto; background: $panel; }
    #visit-register { padding: 0 1; height: auto; }
    #visit-cases { height: 1fr; border: none; }
    """ + SAFETY_CSS
    BINDINGS = [
        Binding("escape", "back", "Back", id="visit-back", tooltip="Back to the day's list"),
        Binding("c", "visit", "Capture visit", id="visit-capture",
                tooltip="The problem in their words, consent, the follow-up: a case in one form"),
        Binding("a", "arrived", "Arrived", id="visit-arrived", tooltip="They have arrived"),
        Binding("o", "person", "Person", id="visit-person", show=False,
                tooltip="Their whole record: every case, contact history, consent"),
    ]

    def __init__(self, appointment_id: str) -> None:
        super().__init__()
        self.appointment_id = appointment_id
        self.seen: VisitPerson | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="visit-head")
        yield Static("", id="visit-flags", classes="surgery-flags")
        yield Static("", id="visit-register")
        yield OptionList(id="visit-cases")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#visit-flags").display = False
        self.query_one("#visit-cases").focus()
        self.load()

    def load(self) -> None:
        from mpoffice_tui.services import surgery_visits

        aid = self.appointment_id
        run_office(self, "surgery-person", lambda office: surgery_visits.person_for(office, aid), self._show)

    def _show(self, seen: VisitPerson) -> None:
        self.seen = seen
        a, p = seen.appointment, seen.person
        head = Text()
        head.append(f"{a.time}  ", "bold")
        head.append(one_line(a.name), "bold")
        head.append(f"  {a.status_label}", "italic")
        head.append("\nTopic: ", "dim")
        head.append(one_line(a.topic) or "(not given)")
        contact = [("Phone", a.phone), ("Email", p.email if p else None), ("Address", p.address if p else None),
                   ("Postcode", p.postcode if p else None)]
        shown = [(label, value) for label, value in contact if value]
        if shown:
            head.append("\n")
            for label, value in shown:
                head.append(f"{label}: ", "dim")
                head.append(one_line(value) + "  ")
        self.query_one("#visit-head", Static).update(head)
        flags = self.query_one("#visit-flags", Static)
        needs = [*seen.flags]
        if a.interpreter_language and not (p and p.interpreter_language == a.interpreter_language):
            needs.append(f"Interpreter: {a.interpreter_language}")
        if a.access_needs and not (p and p.accessibility == a.access_needs):
            needs.append(f"Access: {a.access_needs}")
        flags.display = bool(needs)
        flags.update(flags_text(tuple(needs)))
        flags.set_class(bool(p and p.safety_caution), "safety")
        reg = Text()
        e = seen.elector
        if e is not None:
            reg.append("On the register: ", "dim")
            reg.append(one_line(f"{e.name}, {e.number}, {e.address} {e.postcode} ({e.council})"))
        else:
            reg.append("Not linked to the register (many who need help are not registered).", "dim")
        reg.append("\n")
        reg.append(one_line(seen.constituency), "bold" if seen.in_constituency is False else "")
        reg.append(f"\n{len(seen.open_cases)} open case{'s' if len(seen.open_cases) != 1 else ''}, "
                   f"{seen.closed_cases} closed", "dim")
        self.query_one("#visit-register", Static).update(reg)
        cases = self.query_one("#visit-cases", OptionList)
        cases.clear_options()
        for c in seen.open_cases:
            line = Text()
            line.append(c.ref, "bold")
            line.append(f"  {one_line(c.title)}  ")
            line.append(f"{c.status} · {one_line(c.category)}", "dim")
            if c.last_activity_on:
                line.append(f"\n   last: {c.last_activity_on}  {one_line(c.last_activity)[:70]}", "italic")
            cases.add_option(Option(line, id=c.id))
        if not seen.open_cases:
            cases.add_option(Option(Text("No open cases: c captures the visit as a new one.", style="italic"),
                                    disabled=True))
        self.mark_ready()

    @on(OptionList.OptionSelected, "#visit-cases")
    def open_case(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(self.app.case_screen(event.option.id))

    def action_back(self) -> None:
        self.dismiss()

    def action_visit(self) -> None:
        open_visit(self, self.appointment_id, then=self._visited)

    def _visited(self) -> None:
        self.load()

    def action_arrived(self) -> None:
        from mpoffice_tui.services import surgeries

        run_office(self, "surgery-person-arrive", lambda office: surgeries.arrive(office, self.appointment_id),
                   lambda _: self.load(), done="Arrived.")

    def action_person(self) -> None:
        from mpoffice_tui.ui.screens.constituent import ConstituentScreen

        if self.seen is not None and self.seen.person is not None:
            self.app.push_screen(ConstituentScreen(self.seen.person.id))
