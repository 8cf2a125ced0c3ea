"""How the Inbox shows mail: the columns of its lists and the preview's head and notes (no database work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.paged_table import Column

if TYPE_CHECKING:
    from mpoffice_tui.services.inbox import InboxRow, MessageDetail
    from mpoffice_tui.services.outbox import Outgoing
    from mpoffice_tui.services.replies import AckPreview

CHANNELS = {"email": "Email", "letter": "Letter", "phone": "Phone", "walk_in": "Walk-in", "surgery": "Surgery"}
FLAG_LABELS = {
    "charset_replaced": "charset replaced (some characters could not be read)",
    "charset_unknown": "unknown charset", "charset_mismatch": "charset differs from the one declared",
    "header_8bit": "raw 8-bit header", "header_undecodable": "header could not be decoded",
    "no_date": "no date (import time used)", "bad_date": "unreadable date", "broken_mime": "broken MIME",
    "html_only": "HTML only (shown as text)",
    "differs_from_campaign": "differs from the campaign text: may carry a real case",
}

def when(stamp: str) -> str:
    """'2024-03-05 14:07' from an ISO timestamp (absolute, never relative to today)."""
    return (stamp or "")[:16].replace("T", " ")


def sender_of(row: InboxRow) -> str:
    """Who it is from; for a draft reply (outgoing), who it is to."""
    if row.direction == "out":
        return f"to {row.recipients}" if row.recipients else ""
    return row.sender_name or row.sender_email or ""


def marks(row: InboxRow) -> str:
    """Short markers: ! flagged, + attachments."""
    return ("!" if row.flags else "") + ("+" if row.attachments else "")


@dataclass(frozen=True)
class SavedReply:
    to: str
    queued: bool


def state_text(row: Outgoing) -> str:
    """An outgoing message's state as the Outbox lane shows it: "failed: 550 no such user", "draft, exported"."""
    text = row.state_label
    if row.exported_at and row.state == "draft":
        text += ", exported"
    if row.reason and row.state in ("failed", "queued", "sent"):
        text += f": {row.reason}"
    return text


def to_of(row: Outgoing) -> str:
    """Whom an outgoing email is to (the column is headed To): the name, else the address; the preview
    shows both."""
    from email.utils import getaddresses

    people = [name or addr for name, addr in getaddresses([row.to or ""]) if addr or name]
    return ", ".join(people)


MESSAGE_COLUMNS: tuple[Column[InboxRow], ...] = (
    Column("Received", lambda r: when(r.received_at), width=16, drop_order=2),
    Column("From", sender_of, width=22, min_width=14),
    Column("Subject", lambda r: r.subject, min_width=20),
    Column("", marks, width=2, drop_order=3),
    Column("Case", lambda r: r.case_ref or "", width=8, drop_order=1),
)
OUTBOX_COLUMNS: tuple[Column[Outgoing], ...] = (
    Column("Written", lambda r: when(r.drafted_at), width=16, drop_order=2),
    Column("To", to_of, width=22, min_width=14),
    Column("Subject", lambda r: r.subject, min_width=16),
    Column("State", state_text, width=20, min_width=12),
    Column("Case", lambda r: r.case_ref or "", width=8, drop_order=1),
)


def flag_text(flags: tuple[str, ...]) -> str:
    return "; ".join(FLAG_LABELS.get(f, f.replace("_", " ")) for f in flags)


def size_text(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def preview_head(view: MessageDetail) -> Text:
    sender = one_line(view.sender_name or "")
    if view.sender_email:
        sender = f"{sender} <{one_line(view.sender_email)}>" if sender else one_line(view.sender_email)
    head = Text()
    head.append(one_line(view.subject) or "(no subject)", "bold")
    head.append("\n")
    if view.direction == "out":
        sender = one_line(view.recipients or "")
    head.append(f"{'From' if view.direction == 'in' else 'To'}: ", "dim")
    head.append(sender or "(unknown)")
    head.append("   ")
    head.append(f"{CHANNELS.get(view.channel, view.channel)}, {when(view.received_at)}", "dim")
    if view.case_ref:
        head.append(f"   Case {view.case_ref}", "bold")
    return head


def preview_meta(view: MessageDetail) -> Text:
    """The suggestion and its reason, the flags and the attachments."""
    meta = Text()
    reason = one_line(view.suggestion_reason or "")
    if view.triage == "auto_filed" and view.case_ref:
        meta.append(f"Auto-filed to {view.case_ref}", "bold green")
        meta.append(f": {reason}" if reason else "")
        meta.append("   a confirms · u undoes\n", "dim")
    elif view.suggested_case_ref:
        meta.append(f"Suggested: case {view.suggested_case_ref}", "bold cyan")
        meta.append(f": {reason}" if reason else "")
        meta.append("   a files it there\n", "dim")
    elif view.suggested_constituent_id or view.suggested_elector_key:
        who = "a known constituent" if view.suggested_constituent_id else "an elector on the register"
        meta.append(f"Suggested: a new case for {who}", "bold cyan")
        meta.append(f": {reason}" if reason else "")
        meta.append("   a opens it\n", "dim")
    elif reason:
        meta.append("Note: ", "bold")
        meta.append(reason + "\n")
    if view.flags:
        meta.append("Flags: ", "bold yellow")
        meta.append(flag_text(view.flags) + "\n", "yellow")
    if view.attachments:
        meta.append("Attachments: ", "bold")
        meta.append(", ".join(f"{one_line(a.filename)} ({size_text(a.size)})" for a in view.attachments))
        meta.append("   x exports\n", "dim")
    return meta


def ack_preview_text(preview: AckPreview) -> Text:
    """What a campaign acknowledgement will say, and to whom."""
    text = Text()
    text.append(f"To {preview.senders} sender(s), one each", "bold")
    if preview.left_out:
        text.append(f"; {preview.left_out} flagged message(s) left out (words of their own: they go back to "
                    "be read one by one)", "yellow")
    text.append(f"\nTemplate: {one_line(preview.template)}\n\n", "dim")
    text.append("To: ", "dim")
    text.append(one_line(preview.to) + "\n")
    text.append("Subject: ", "dim")
    text.append(one_line(preview.subject) + "\n\n")
    text.append(clean(preview.body))
    return text
