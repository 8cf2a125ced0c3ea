"""The Inbox's office work, run in thread workers (`ui/work.run_office`): the new-case form's values, opening
the case, and the searches of its pick dialogs. The services are imported when first used, so the Inbox
screen itself starts without the database stack."""

from __future__ import annotations

from typing import Any

from mpoffice_tui.ui.dialogs.message_case import CasePrefill, NewCaseAnswer


def case_prefill(office: Any, message_id: str) -> CasePrefill:
    """The new-case form's starting values: the person the office knows, else the sender and the
    signature; a category suggested from the text."""
    d = _inbox().case_draft(office, message_id)
    return CasePrefill(message_id, d.title, d.known, d.category, d.forenames, d.surname, d.email, d.postcode)


def open_case(office: Any, message_id: str, answer: NewCaseAnswer) -> Any:
    """Open the case (one transaction); a person typed in the form is found when the office knows them."""
    return _inbox().new_case(office, message_id, title=answer.title, category=answer.category,
                             person=answer.person)


def search_cases(office: Any, text: str) -> list[tuple[str, str]]:
    """Cases to file to, for the file dialog: by reference (or part of it), name or title."""
    from mpoffice_tui.services.cases import STATUS_LABELS

    rows = _filing().find_cases_to_file(office, text, 12)
    return [(f"{r.ref}  {r.title}" + (f" · {r.constituent}" if r.constituent else "")
             + f" · {STATUS_LABELS.get(r.status, r.status)}", r.id) for r in rows]


def search_constituents(office: Any, text: str) -> list[tuple[str, str]]:
    from mpoffice_tui.services import constituents

    rows = constituents.search(office, text, 12)
    return [(" · ".join(x for x in (r.name, r.email, r.postcode) if x), r.id) for r in rows]


def _lists():
    from mpoffice_tui.services import lists

    return lists


def _cases():
    from mpoffice_tui.services import cases

    return cases


def _inbox():
    from mpoffice_tui.services import inbox

    return inbox


def _filing():
    from mpoffice_tui.services import filing

    return filing


def _replies():
    from mpoffice_tui.services import replies

    return replies


def _outbox():
    from mpoffice_tui.services import outbox

    return outbox


def _letters():
    from mpoffice_tui.services import letters

    return letters


def _campaigns():
    from mpoffice_tui.services import campaigns

    return campaigns
