"""The new case form: find the constituent (or enter a new one, with suggestions from the electoral
register as the name and postcode are typed), then the case's title, category and review date."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.services.constituent_fields import split_name
from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.category_suggester import category_suggester
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.cases import CaseRow
    from mpoffice_tui.services.constituents import ConstituentRow
    from mpoffice_tui.services.register import ElectorView, Hit

NEW = "__new__"
PERSON_FIELDS = (("honorific", "Title (Mr, Ms, Dr…)"), ("forenames", "Forenames"), ("surname", "Surname"),
                 ("postcode", "Postcode"), ("email", "Email"), ("phone", "Phone"), ("address1", "Address"),
                 ("town", "Town"))


def person_label(p: ConstituentRow) -> Text:
    """A known constituent as a pick list shows them: a caution mark, the name, where they live or their
    email, and how many cases they have open."""
    label = Text()
    if p.safety_caution:
        label.append("⚠ ", "bold red")
    label.append(one_line(p.name), "bold")
    label.append("  " + " · ".join(one_line(x) for x in (p.postcode, p.address1, p.email) if x), "dim")
    if p.open_cases:
        label.append(f"  {p.open_cases} open", "italic")
    return label


def elector_person(elector: ElectorView) -> dict[str, str]:
    """The new-constituent fields an electoral register entry fills in: name, title and address (the
    register's one address line split into the street part and the town, its last part)."""
    parts = [p.strip() for p in (elector.address or "").split(",") if p.strip()]
    street, town = (parts[:-1], parts[-1]) if len(parts) > 1 else (parts, "")
    return {"honorific": elector.title or "", "forenames": elector.forename or "", "surname": elector.surname or "",
            "postcode": elector.postcode or "", "address1": ", ".join(street), "town": town}


class NewCaseDialog(OfficeDialog["CaseRow"]):
    """Dismisses with the new case's CaseRow (None when cancelled)."""

    DEFAULT_CSS = """
    NewCaseDialog #nc-people, NewCaseDialog #nc-suggest { height: auto; max-height: 6; }
    NewCaseDialog #nc-new { height: auto; }
    NewCaseDialog #nc-chosen { height: auto; color: $success; text-style: bold; }
    """
    BINDINGS = [Binding("ctrl+s", "submit", "Create", id="new-case-create")]

    def __init__(self, constituent_id: str | None = None, constituent_name: str = "", *,
                 elector: ElectorView | None = None) -> None:
        """For a known constituent, or (`elector`, a register entry) for the person on the register:
        their name, title, address and elector link are filled in."""
        super().__init__()
        self.person_id = constituent_id
        self.person_name = constituent_name
        self.new_person = False
        self.elector = elector
        self.elector_key: str | None = None
        self._people: list[ConstituentRow] = []
        self._suggestions: list[Hit] = []
        self._debouncers: dict[str, Timer] = {}
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Static(Text("New case", style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-fields"):
                yield Label("Constituent: type a name, postcode or email; choose, or pick “New constituent”")
                yield Input(placeholder="e.g. O'Brien WX1", id="nc-search")
                yield OptionList(id="nc-people")
                yield Static("", id="nc-chosen")
                with Vertical(id="nc-new"):
                    for name, label in PERSON_FIELDS:
                        yield Label(label + (" *" if name == "surname" else ""))
                        yield Input(id=f"nc-{name}")
                    yield Label("On the electoral register (choose to fill in):", id="nc-suggest-label")
                    yield OptionList(id="nc-suggest")
                yield Checkbox("Raised by someone else on their behalf", id="nc-behalf")
                yield Input(id="nc-raised-by", placeholder="Who raised it: name or email (new people are added)")
                yield Label("Case title *")
                yield Input(id="nc-title", placeholder="e.g. Universal Credit deduction")
                yield Label("Category (→ completes one the office uses)")
                yield Input("General", id="nc-category", suggester=category_suggester(self.app))
                yield Label("Review date (DD/MM/YYYY, +14 days, +2w; empty: the office's default)")
                yield Input(id="nc-review", placeholder="optional")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", variant="primary", id="nc-create")
                yield Button("Cancel", id="nc-cancel")

    def on_mount(self) -> None:
        self.query_one("#nc-new").display = False
        self.query_one("#nc-suggest-label").display = False
        self.query_one("#nc-suggest").display = False
        self.query_one("#nc-raised-by").display = False
        if self.person_id:
            self._chosen(self.person_name)
            self.query_one("#nc-title").focus()
        elif self.elector is not None:
            self._fill_from_elector(self.elector)
        else:
            self.query_one("#nc-search").focus()
            self._show_people([])

    # -- finding the person ----------------------------------------------------------------------
    def _debounce(self, key: str, fn: Callable[[], object]) -> None:
        if key in self._debouncers:
            self._debouncers[key].stop()
        self._debouncers[key] = self.set_timer(0.25, fn)

    @on(Input.Changed, "#nc-search")
    def search_changed(self, event: Input.Changed) -> None:
        self._debounce("people", lambda: self._search(event.value))

    def _search(self, query: str) -> None:
        from mpoffice_tui.services import constituents

        if not query.strip():
            self._show_people([])
            return
        run_office(self, "nc-people", lambda office: constituents.search(office, query, limit=20),
                   self._show_people, failed=lambda _error: self._show_people([]))  # a half-typed query

    def _show_people(self, found: list[ConstituentRow]) -> None:
        self._people = found
        options = self.query_one("#nc-people", OptionList)
        options.clear_options()
        items = [Option(Text("+ New constituent", style="bold"), id=NEW)]
        items += [Option(person_label(p), id=str(n)) for n, p in enumerate(found)]
        options.add_options(items)
        options.highlighted = 1 if found else 0

    def _fill_from_elector(self, elector: ElectorView) -> None:
        """A new constituent from a register entry: every field it has, and the elector link."""
        self.new_person = True
        self.query_one("#nc-new").display = True
        with self.prevent(Input.Changed):
            for name, value in elector_person(elector).items():
                self.query_one(f"#nc-{name}", Input).value = value
            self.query_one("#nc-search", Input).value = one_line(elector.name)
        self.elector_key = elector.key
        self._chosen(f"{one_line(elector.name)} (on the register, {elector.number})")
        self.query_one("#nc-title").focus()

    @on(Input.Submitted, "#nc-search")
    def search_submitted(self) -> None:
        self.query_one("#nc-people").focus()

    @on(OptionList.OptionSelected, "#nc-people")
    def person_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == NEW:
            self.person_id = None
            self.new_person = True
            self.query_one("#nc-new").display = True
            forenames, surname = split_name(self.query_one("#nc-search", Input).value)
            if surname and not self.query_one("#nc-surname", Input).value:
                self.query_one("#nc-surname", Input).value = surname
                self.query_one("#nc-forenames", Input).value = forenames
            self._chosen("")
            self.query_one("#nc-forenames").focus()
            return
        p = self._people[int(event.option.id or 0)]
        self.person_id = p.id
        self.new_person = False
        self.query_one("#nc-new").display = False
        self._chosen(p.name)
        self.query_one("#nc-title").focus()

    def _chosen(self, name: str) -> None:
        chosen = self.query_one("#nc-chosen", Static)
        chosen.update(Text(f"For: {one_line(name)}") if name else Text("For: a new constituent"))

    @on(Checkbox.Changed, "#nc-behalf")
    def behalf_changed(self, event: Checkbox.Changed) -> None:
        raised_by = self.query_one("#nc-raised-by", Input)
        raised_by.display = event.value
        if event.value:
            raised_by.focus()

    # -- register suggestions ------------------------------------------------------------------
    @on(Input.Changed, "#nc-forenames, #nc-surname, #nc-postcode")
    def person_typed(self) -> None:
        self.elector_key = None
        self._debounce("suggest", self._suggest)

    def _suggest(self) -> None:
        from mpoffice_tui.services import register

        fore, sur, pc = (self.query_one(f"#nc-{n}", Input).value for n in ("forenames", "surname", "postcode"))
        run_office(self, "nc-suggest", lambda office: register.suggest(office, fore, sur, pc or None, limit=5),
                   self._show_suggestions,
                   failed=lambda _error: self._show_suggestions([]))  # no register imported, or a half-typed name

    def _show_suggestions(self, hits: list[Hit]) -> None:
        self._suggestions = hits
        options = self.query_one("#nc-suggest", OptionList)
        options.clear_options()
        for n, hit in enumerate(hits):
            e = hit.elector
            options.add_option(Option(Text.assemble((one_line(e.name), "bold"), "  ",
                                                    (one_line(f"{e.address} {e.postcode}"), "dim")), id=str(n)))
        self.query_one("#nc-suggest-label").display = bool(hits)
        options.display = bool(hits)
        if hits:
            options.highlighted = 0  # Enter takes the first row

    @on(Input.Submitted, "#nc-honorific, #nc-forenames, #nc-surname, #nc-postcode")
    def name_submitted(self, event: Input.Submitted) -> None:
        """Enter in a name or postcode field goes to the register's suggestions when there are some (Enter
        again takes the first), else to the next field."""
        event.stop()
        if self._suggestions and self.query_one("#nc-suggest").display:
            self.query_one("#nc-suggest").focus()
        else:
            self.focus_next()

    @on(OptionList.OptionSelected, "#nc-suggest")
    def suggestion_selected(self, event: OptionList.OptionSelected) -> None:
        e = self._suggestions[int(event.option.id or 0)].elector
        with self.prevent(Input.Changed):
            self.query_one("#nc-forenames", Input).value = e.forename or ""
            self.query_one("#nc-surname", Input).value = e.surname or ""
            self.query_one("#nc-postcode", Input).value = e.postcode or ""
            self.query_one("#nc-address1", Input).value = e.address or ""
        self.elector_key = e.key
        self.query_one("#nc-title").focus()

    # -- creating --------------------------------------------------------------------------------
    @on(Button.Pressed, "#nc-create")
    def create_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#nc-cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#nc-title, #nc-category, #nc-review")
    def case_submitted(self) -> None:
        self.action_submit()

    def show_error(self, message: str) -> None:
        self.busy = False
        self.query_one(".dialog-error", Static).update(Text(message))

    def action_submit(self) -> None:
        from mpoffice_tui.services.new_case import NewPerson, open_case_for

        if self.busy:
            return
        title = self.query_one("#nc-title", Input).value.strip()
        category = self.query_one("#nc-category", Input).value.strip() or "General"
        review = self.query_one("#nc-review", Input).value.strip() or None
        person = {name: self.query_one(f"#nc-{name}", Input).value.strip() for name, _ in PERSON_FIELDS}
        if not title:
            self.show_error("Please give the case a title.")
            return
        if not self.person_id and not self.new_person:
            self.show_error("Choose the constituent, or “New constituent”.")
            return
        if self.new_person and not (person["surname"] or person["forenames"]):
            self.show_error("A new constituent needs a name.")
            return
        behalf = self.query_one("#nc-behalf", Checkbox).value
        raised_by = self.query_one("#nc-raised-by", Input).value.strip() if behalf else ""
        if behalf and not raised_by:
            self.show_error("Say who raised the case on the constituent's behalf.")
            return
        new = None
        if not self.person_id:
            new = NewPerson(person["forenames"], person["surname"], elector_key=self.elector_key,
                            fields={("title" if k == "honorific" else k): v for k, v in person.items()
                                    if v and k not in ("forenames", "surname")})
        person_id = self.person_id
        self.busy = True

        def work(office: Office) -> CaseRow:
            return open_case_for(office, title=title, person_id=person_id, person=new, raised_by=raised_by,
                                 category=category, review_date=review, assignee=office.staff_id)

        run_office(self, "nc-create", work, self.dismiss,
                   failed=lambda error: self.show_error(error))
