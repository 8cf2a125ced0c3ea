"""Writing an email that the office sends: a reply to a message, or an email from a case.

`SendDialog` is a form with two ways out: Send (Ctrl+S: queued, and the mail job woken) and Save draft
(Ctrl+T: it waits in the Outbox lane). An office with no From address yet (no mail account, no office
email) cannot queue anything, so there Ctrl+S saves the draft and the dialog says why.

`CaseReplyDialog` adds what an email from a case needs: the recipient (the constituent or a party with
an email; those without one are listed, not offered), the template (re-composed when changed), and
files and letters on the case to attach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from mpoffice_tui.ui.dialogs.form import Action, Field, FormDialog, FormValues, R
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.replies import CaseReply, Composed, Recipient

BUILT_IN = "-"  # the template choice meaning "no template: the built-in text"
NO_SENDER = ("No mail account yet (and no office email): this is saved as a draft; the Outbox lane (6) "
             "exports drafts as .eml.")


class SendDialog(FormDialog[R]):
    """A form whose Ctrl+S sends (queues) and whose Ctrl+T keeps a draft (see the module docstring)."""

    DEFAULT_CSS = """
    SendDialog .dialog-box { width: 96; }
    SendDialog .dialog-multiline { height: 10; }
    SendDialog .dialog-fields { max-height: 40; }
    """
    FIELDS_MAX_HEIGHT = 40  # the email's text is the point: the form may use the whole height there is
    BINDINGS = [Binding("ctrl+s", "submit", "Send", id="mail-send"),
                Binding("ctrl+t", "save_draft", "Save draft", id="mail-save-draft")]

    def __init__(self, title: str, fields: Sequence[Field], send: Action[R], draft: Action[R], *, can_send: bool,
                 intro: str | Text = "") -> None:
        if not can_send:
            intro = Text.assemble(intro if isinstance(intro, Text) else Text(intro), "\n" if intro else "",
                                  (NO_SENDER, "bold yellow"))
        super().__init__(title, fields, send if can_send else draft, intro=intro,
                         submit_label="Send" if can_send else "Save draft")
        self.can_send = can_send
        self.send_action, self.draft_action = send, draft

    def extra_buttons(self) -> ComposeResult:
        if self.can_send:
            yield Button("Save draft", id="dialog-draft")

    @on(Button.Pressed, "#dialog-draft")
    def draft_pressed(self) -> None:
        self.action_save_draft()

    def action_save_draft(self) -> None:
        if self.busy:
            return
        self.action = self.draft_action
        self.action_submit()
        if not self.busy:  # refused before it started (a field missing): Ctrl+S sends again
            self.action = self.send_action if self.can_send else self.draft_action

    def show_error(self, message: str) -> None:
        super().show_error(message)
        self.action = self.send_action if self.can_send else self.draft_action


@dataclass(frozen=True)
class CaseMailChoices:
    """What an email from a case can be: to whom, from which template, with which files; and its first text."""

    case_id: str
    recipients: tuple[Recipient, ...]
    templates: tuple[tuple[str, str], ...]  # (id, name) of reply templates
    files: tuple[tuple[str, str], ...]  # (attachment id, file name) on the case
    letters: tuple[tuple[str, str], ...]  # (letter id, title) written on the case
    first: Composed  # for the first recipient with an email
    can_send: bool


def case_mail_choices(office: Office, case_id: str, files: Sequence[tuple[str, str]],
                      letters: Sequence[tuple[str, str]]) -> CaseMailChoices:
    """(In a thread worker) everything the dialog offers, read from the office."""
    from mpoffice_tui.db.errors import OfficeError
    from mpoffice_tui.services import letters as letter_service
    from mpoffice_tui.services import outbox, replies
    from mpoffice_tui.services.cases import find_case_id

    cid = find_case_id(office, case_id)
    everyone = replies.recipients(office, cid)
    reachable = [r for r in everyone if r.email]
    if not reachable:
        raise OfficeError("nobody on this case has an email address: add one to the constituent or the party first")
    templates = tuple((t.id, t.name) for t in letter_service.list_templates(office, "reply"))
    first = replies.compose_case_reply(office, cid, reachable[0].key)
    return CaseMailChoices(cid, tuple(everyone), templates, tuple(files), tuple(letters), first,
                           bool(outbox.from_address(office)))


def _template(choice: str | None) -> str | None:
    return None if choice in (None, "", BUILT_IN) else choice


class CaseReplyDialog(SendDialog["CaseReply"]):
    """An email from a case (see the module docstring); dismisses with the service's CaseReply."""

    def __init__(self, choices: CaseMailChoices, title: str) -> None:
        self.choices = choices
        reachable = [r for r in choices.recipients if r.email]
        fields = [
            Field("to", "To", "choice", reachable[0].key,
                  [(f"{r.name} <{r.email}>" if r.name else r.email, r.key) for r in reachable], required=True),
            Field("template", "Template", "choice", BUILT_IN, [("The built-in reply", BUILT_IN), *(
                (name, tid) for tid, name in choices.templates)], required=True),
            Field("subject", "Subject", value=choices.first.subject, required=True),
            Field("body", "Text", "multiline", choices.first.body, required=True),
        ]
        unreachable = [r for r in choices.recipients if not r.email]
        intro = Text()
        if unreachable:
            intro.append("Not offered (no email address on record): ", "dim")
            intro.append("; ".join(one_line(r.name) for r in unreachable))
        super().__init__(title, fields, self._send(True), self._send(False), can_send=choices.can_send, intro=intro)

    def body_widgets(self) -> ComposeResult:
        yield from super().body_widgets()
        if self.choices.files or self.choices.letters:
            yield Label(Text("Attach"), classes="dialog-label")
        for aid, name in self.choices.files:
            yield Checkbox(Text(f"File: {one_line(name)}"), False, id=f"file-{aid}")
        for lid, title in self.choices.letters:
            yield Checkbox(Text(f"Letter (as .docx): {one_line(title)}"), False, id=f"letter-{lid}")

    def ticked(self, prefix: str) -> list[str]:
        return [box.id.removeprefix(prefix) for box in self.query(Checkbox)
                if box.id and box.id.startswith(prefix) and box.value]

    def _send(self, queue: bool) -> Action[CaseReply]:
        def act(office: Office, v: FormValues) -> CaseReply:
            from mpoffice_tui.services import replies

            return replies.reply_on_case(office, self.choices.case_id, to=v.text("to"),
                                         template=_template(v.choice("template")), subject=v.text("subject"),
                                         body=v.text("body"), case_attachments=v.ticked("files"),
                                         letter_ids=v.ticked("letters"), queue=queue)

        return act

    def values(self) -> FormValues:
        out = super().values()
        out["files"], out["letters"] = self.ticked("file-"), self.ticked("letter-")
        return out

    @on(Select.Changed, "#field-to, #field-template")
    def rewrite_for_choice(self, event: Select.Changed) -> None:
        """Another recipient or template: the subject and text are written again from it."""
        event.stop()
        values = super().values()
        if not self.is_mounted or values.get("to") is None or values.get("template") is None:
            return
        case_id, to, template = self.choices.case_id, values.text("to"), _template(values.choice("template"))
        if (to, template) == self._shown:
            return
        self._shown = (to, template)

        def work(office: Office) -> Composed:
            from mpoffice_tui.services import replies

            return replies.compose_case_reply(office, case_id, to, template)

        run_office(self, "case-mail-compose", work, self._refill, failed=self.show_error)

    _shown: tuple[str, str | None] | None = None

    def on_mount(self) -> None:  # (FormDialog's and OfficeDialog's own on_mount run too)
        reachable = [r for r in self.choices.recipients if r.email]
        self._shown = (reachable[0].key, None)

    def _refill(self, composed: Composed) -> None:
        self.query_one("#field-subject", Input).value = composed.subject
        self.query_one("#field-body", TextArea).text = composed.body
