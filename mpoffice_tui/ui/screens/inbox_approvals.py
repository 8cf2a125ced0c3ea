"""The Inbox's Approvals lane: letters and emails waiting for the MP's or a manager's sign-off, read in the
preview; `a` approves, `e` edits, `R` returns one to its writer with a comment (a note on the case).

Everything here reaches the office through FormDialog actions or the inbox's `act` (off the event loop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from mpoffice_tui.ui.dialogs.form import Field, FormDialog
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.paged_table import Column

if TYPE_CHECKING:
    from mpoffice_tui.services.approvals import ApprovalView

APPROVAL_ACTIONS = frozenset({"approve_item", "edit_item", "return_item"})
HINT = "Waiting for sign-off: a approves · e edits · R returns it to the writer with a comment"


def _when(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")


def to_of(row: ApprovalView) -> str:
    """Whom it is to: a letter's recipient; an email's names (else addresses), as the Outbox lane shows them."""
    if row.target_kind == "letter":
        return one_line(row.to)
    from email.utils import getaddresses

    return one_line(", ".join(name or addr for name, addr in getaddresses([row.to or ""]) if name or addr))


def what(row: ApprovalView) -> str:
    return "Letter" if row.target_kind == "letter" else "Email"


APPROVAL_COLUMNS: tuple[Column[ApprovalView], ...] = (
    Column("Asked", lambda r: _when(r.requested_at), width=16, drop_order=2),
    Column("What", what, width=6),
    Column("To", to_of, width=20, min_width=12),
    Column("Subject", lambda r: r.subject, min_width=16),
    Column("State", lambda r: r.state_label, width=20, min_width=10, drop_order=3),
    Column("Case", lambda r: r.case_ref or "", width=8, drop_order=1),
)


def preview(row: ApprovalView) -> tuple[Text, Text, Text]:
    """(head, meta, body) of an approval for the preview: outside text as Text, never markup."""
    head = Text()
    head.append(one_line(row.subject) or "(no subject)", "bold")
    head.append(f"\n{what(row)} to {one_line(row.to)}" + (f" · {row.case_ref}" if row.case_ref else ""))
    meta = Text()
    meta.append("Why: ", "bold")
    meta.append(one_line(row.reason))
    meta.append(f"\nAsked by {one_line(row.requested_by) or 'someone'} · {row.state_label}")
    if row.comment:
        meta.append("\nReturned: ", "bold yellow")
        meta.append(one_line(row.comment))
    return head, meta, Text(clean(row.body).expandtabs(4))


def edit_dialog(row: ApprovalView) -> FormDialog[ApprovalView]:
    """Change the text of the highlighted letter or email; it then waits for approval again."""
    from mpoffice_tui.services import approvals

    return FormDialog(f"Edit the {what(row).lower()} to {one_line(row.to)}", [
        Field("subject", "Subject", value=row.subject),
        Field("body", "Text", "multiline", value=row.body, required=True),
    ], lambda office, v: approvals.edit(office, row.id, subject=v.text("subject"), body=v.text("body")),
        intro="Saved changes wait for approval again.", submit_label="Save")


def return_dialog(row: ApprovalView) -> FormDialog[ApprovalView]:
    """Return the highlighted letter or email to its writer with a comment (it lands on the case)."""
    from mpoffice_tui.services import approvals

    return FormDialog(f"Return the {what(row).lower()} to its writer", [
        Field("comment", "What should change", "multiline", required=True),
    ], lambda office, v: approvals.return_to_writer(office, row.id, v.text("comment")),
        intro="The comment is written on the case for the writer; an email goes back to draft.",
        submit_label="Return")
