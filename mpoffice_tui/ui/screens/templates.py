"""Letter and reply templates: the list, the highlighted one's text, and keys to add, edit and delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog, TextDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.services.letters import TemplateView

INTRO = "Fields: {salutation} {case_ref} {case_title} {mp_name} {date}… (? on the list shows all)"


class TemplateDialog(FormDialog["TemplateView"]):
    """The template form, with room for a letter's body."""

    DEFAULT_CSS = "TemplateDialog .dialog-multiline { height: 12; }"


def _template(v: FormValues) -> dict[str, str]:
    """The template form's fields, as the letters service takes them."""
    return {name: v.text(name) for name in ("name", "kind", "subject", "body")}


class TemplatesScreen(OfficeScreen):
    """The office's templates for letters (w on a case), replies (r) and campaign acknowledgements (A)."""

    DEFAULT_CSS = """
    #templates { height: 1fr; }
    #template-preview { height: 1fr; border-top: solid $primary-background; padding: 0 1; }
    """
    BINDINGS = [
        Binding("a", "add", "Add", id="templates-add", tooltip="Add a template"),
        Binding("e", "edit", "Edit", id="templates-edit", tooltip="Edit the highlighted template (Enter does too)"),
        Binding("d", "delete", "Delete", id="templates-delete", tooltip="Delete the highlighted template; letters written from it are kept"),
        Binding("m", "fields", "Merge fields", id="templates-fields", tooltip="The merge fields and kinds a template can use"),
        Binding("l", "starter", "Load starter", id="templates-starter", show=False,
                tooltip="Add the starter templates the office does not have yet"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current: TemplateView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="templates-summary", classes="summary")
        yield PagedTable([
            Column("Name", lambda t: t.name, min_width=20),
            Column("Kind", lambda t: t.kind, width=15),
            Column("Subject", lambda t: t.subject, min_width=16, drop_order=1),
        ], id="templates", empty_text="No templates: press l to load the starter templates, a to add one.")
        with VerticalScroll(id="template-preview"):
            yield Static("", id="template-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#templates", PagedTable).focus()
        self._load()

    def _load(self, keep_cursor: bool = False) -> None:
        from mpoffice_tui.services import letters

        office = self.app.office
        if office is None:
            return
        self.query_one("#templates", PagedTable).set_list(lambda: letters.list_templates(office),
                                                          keep_cursor=keep_cursor)

    @on(PagedTable.Loaded, "#templates")
    def loaded(self, event: PagedTable.Loaded) -> None:
        self.query_one("#templates-summary", Static).update(Text(f"{event.count} templates"))
        if not event.count:
            self._show(None)

    @on(PagedTable.RowHighlighted, "#templates")
    def highlighted(self, event: PagedTable.RowHighlighted[TemplateView]) -> None:
        self._show(event.row)

    def _show(self, t: TemplateView | None) -> None:
        self.current = t
        body = Text()
        if t is not None:
            if t.subject:
                body.append(f"Subject: {one_line(t.subject)}\n\n", "bold")
            body.append(clean(t.body))
        self.query_one("#template-body", Static).update(body)

    def _fields(self, t: TemplateView | None = None) -> list[Field]:
        from mpoffice_tui.services.letters import KINDS

        return [Field("name", "Name", value=t.name if t else "", required=True),
                Field("kind", "Kind", "choice", t.kind if t else "letter",
                      [(k, k) for k in KINDS], required=True),
                Field("subject", "Subject", value=t.subject if t else "", placeholder="e.g. Your enquiry {case_ref}"),
                Field("body", "Text", "multiline", t.body if t else "{salutation},\n\n\n\nYours sincerely,\n\n{mp_name}",
                      required=True)]

    def _saved(self, t: TemplateView | None) -> None:
        if t is not None:
            self.notify(f"Saved the template {one_line(t.name)}.")
            self._load(keep_cursor=True)

    def action_add(self) -> None:
        from mpoffice_tui.services import letters

        self.app.push_screen(TemplateDialog("Add a template", self._fields(),
                                            lambda office, v: letters.add_template(office, **_template(v)), intro=INTRO),
                             self._saved)

    @on(PagedTable.RowSelected, "#templates")
    def action_edit(self) -> None:
        from mpoffice_tui.services import letters

        t = self.current
        if t is None:
            return
        self.app.push_screen(TemplateDialog(f"Edit {one_line(t.name)}", self._fields(t),
                                            lambda office, v: letters.update_template(office, t.id, **_template(v)),
                                            intro=INTRO), self._saved)

    def action_delete(self) -> None:
        from mpoffice_tui.services import letters

        t = self.current
        if t is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_office(self, "template-delete", lambda office: letters.remove_template(office, t.id),
                           lambda _: self._load(keep_cursor=True), done=f"Deleted the template {one_line(t.name)}.")

        self.app.push_screen(ConfirmDialog(Text(f"Delete the template {one_line(t.name)}? Letters already "
                                                "written from it are kept.")), confirmed)

    def action_starter(self) -> None:
        from mpoffice_tui.services import letters

        def added(n: int) -> None:
            self.notify(f"{n} starter template{'s' if n != 1 else ''} added.")
            self._load()

        run_office(self, "template-starter", letters.load_starter_templates, added)

    def action_fields(self) -> None:
        from mpoffice_tui.services.letters import KINDS, MERGE_FIELDS

        text = Text()
        for name, meaning in MERGE_FIELDS.items():
            text.append(f"{{{name}}}", "bold")
            text.append(f"  {meaning}\n")
        text.append("\nKinds\n", "bold")
        for kind, meaning in KINDS.items():
            text.append(kind, "bold")
            text.append(f"  {meaning}\n")
        self.app.push_screen(TextDialog("Merge fields", text))
