"""The inbox's lanes, once: which triage states each holds, its name on screen, the names people type for
it, and the Inbox screen's tabs. Used by the inbox service, its lists, the CLI and the Inbox screen (no
database imports here: the screen reads it at start-up)."""

from __future__ import annotations

LANES: dict[str, tuple[str, ...]] = {  # lane -> the triage states of its messages
    "new": ("new",),
    "auto_filed": ("auto_filed",),
    "suggested": ("suggested",),
    "campaigns": ("campaign",),
    "done": ("done", "ignored"),
    "outbox": ("outbox",),
    "sent": ("sent",),
}
LABELS: dict[str, str] = {
    "new": "New", "auto_filed": "Auto-filed", "suggested": "Suggested", "campaigns": "Campaigns",
    "done": "Done/Ignored", "outbox": "Outbox", "sent": "Sent", "approvals": "Approvals",
}
ALIASES: dict[str, str] = {"auto-filed": "auto_filed", "autofiled": "auto_filed", "campaign": "campaigns",
                           "ignored": "done", "done/ignored": "done", "drafts": "outbox"}
# the Inbox screen's tabs, in order: sent mail is read on its case; Approvals holds letters and mail
# waiting for the MP's sign-off (services/approvals), not messages
SCREEN_LANES: tuple[str, ...] = ("new", "auto_filed", "suggested", "campaigns", "done", "outbox", "approvals")
