"""The Inbox's office work, run in thread workers (`ui/work.run_office`): the new-case form's values, opening
the case, and the searches of its pick dialogs.

The services the Inbox uses are attributes of this module, imported when first used (PEP 562): the Inbox
screen calls `inbox_work.outbox.queue(office, ...)` inside the work it hands to a thread worker, so it starts
without the database stack and the import happens in that worker, never on the event loop. Import this module
(`from mpoffice_tui.ui.screens import inbox_work`), never a service name from it: `from inbox_work import
outbox` would import the service at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mpoffice_tui.ui.dialogs.message_case import CasePrefill, NewCaseAnswer

if TYPE_CHECKING:
    from types import ModuleType

    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services import campaigns, cases, filing, inbox, letters, lists, outbox, replies  # noqa: F401
    from mpoffice_tui.services.inbox import Filed

LAZY_SERVICES = frozenset({"campaigns", "cases", "filing", "inbox", "letters", "lists", "outbox", "replies"})
__all__ = ["LAZY_SERVICES", "case_prefill", "open_case", "search_cases", "search_constituents",
           "campaigns", "cases", "filing", "inbox", "letters", "lists", "outbox", "replies"]


def __getattr__(name: str) -> ModuleType:
    """`inbox_work.inbox`, `inbox_work.outbox` …: the service module of that name, imported on first use."""
    if name in LAZY_SERVICES:
        module = importlib.import_module(f"mpoffice_tui.services.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def case_prefill(office: Office, message_id: str) -> CasePrefill:
    """The new-case form's starting values: the person the office knows, else the sender and the
    signature; a category suggested from the text."""
    from mpoffice_tui.services import inbox

    d = inbox.case_draft(office, message_id)
    return CasePrefill(message_id, d.title, d.known, d.category, d.forenames, d.surname, d.email, d.postcode)


def open_case(office: Office, message_id: str, answer: NewCaseAnswer) -> Filed:
    """Open the case (one transaction); a person typed in the form is found when the office knows them."""
    from mpoffice_tui.services import inbox

    return inbox.new_case(office, message_id, title=answer.title, category=answer.category, person=answer.person)


def search_cases(office: Office, text: str) -> list[tuple[str, str]]:
    """Cases to file to, for the file dialog: by reference (or part of it), name or title."""
    from mpoffice_tui.services import filing
    from mpoffice_tui.services.cases import STATUS_LABELS

    rows = filing.find_cases_to_file(office, text, 12)
    return [(f"{r.ref}  {r.title}" + (f" · {r.constituent}" if r.constituent else "")
             + f" · {STATUS_LABELS.get(r.status, r.status)}", r.id) for r in rows]


def search_constituents(office: Office, text: str) -> list[tuple[str, str]]:
    """People to link a message to: by name, email or postcode."""
    from mpoffice_tui.services import constituents

    rows = constituents.search(office, text, 12)
    return [(" · ".join(x for x in (r.name, r.email, r.postcode) if x), r.id) for r in rows]
