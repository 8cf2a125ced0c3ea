"""Opening a case for a person, new or known, in one transaction: the person (if new), whoever raised it on
their behalf (found or added), and the case with its "Case opened" note. Used by the New case form and
anything else that starts a case for someone typed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import constituents
from mpoffice_tui.services.cases import CaseRow, case_row, open_case
from mpoffice_tui.services.constituent_fields import split_name


@dataclass(frozen=True)
class NewPerson:
    """A constituent typed into a form: a name at least, and any editable field (title, postcode …)."""

    forenames: str = ""
    surname: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    elector_key: str | None = None  # the register entry the form was filled from, if any


def _raiser(office: Office, raised_by: str) -> tuple[str | None, dict | None]:
    """Who raised it: the one known constituent with that email or exact name, or a new one by that name."""
    raised_by = " ".join(raised_by.split())
    if not raised_by:
        return None, None
    if "@" in raised_by:
        found = constituents.find_by_email(office, raised_by)
    else:
        folded = constituents.fold_name(raised_by)
        found = [r for r in constituents.search(office, raised_by, limit=50)
                 if constituents.fold_name(r.name) == folded]
    if len(found) > 1:
        raise OfficeError(f"{len(found)} constituents are {raised_by!r}: give the email of the one who raised it")
    if found:
        return found[0].id, None
    if "@" in raised_by:
        raise OfficeError(f"no constituent has the email {raised_by!r}: type the name of the person who raised it")
    forenames, surname = split_name(raised_by)
    return None, {"forenames": forenames, "surname": surname}


def open_case_for(office: Office, *, title: str, person_id: str | None = None, person: NewPerson | None = None,
                  raised_by: str = "", category: str = "General", review_date: str | None = None,
                  assignee: str | None = None) -> CaseRow:
    """Open a case for `person_id`, or for `person` added now; `raised_by` (a name or email) is who asked on
    their behalf, found among constituents or added. One transaction: all of it, or nothing."""
    if (person_id is None) == (person is None):
        raise OfficeError("choose the constituent, or give a new one")
    if person is not None and not (person.forenames.strip() or person.surname.strip()):
        raise OfficeError("a new constituent needs a name")
    raiser_id, raiser_new = _raiser(office, raised_by)  # reads first; every write below is one transaction
    data = None
    if person is not None:
        data = constituents.clean_fields({"forenames": person.forenames, "surname": person.surname,
                                          **person.fields})
        if person.elector_key:
            data["elector_key"] = person.elector_key
    raiser_data = constituents.clean_fields(raiser_new) if raiser_new else None
    with office.writing() as w:
        if data is not None:
            p = w.insert(Constituent, **data)
            w.audit("constituent.create", target=f"constituent:{p.id}")
            person_id = p.id
        if raiser_data is not None:
            r = w.insert(Constituent, **raiser_data)
            w.audit("constituent.create", target=f"constituent:{r.id}", detail="raised a case")
            raiser_id = r.id
        if raiser_id is not None and raiser_id == person_id:
            raise OfficeError("the person who raised it is the constituent: untick “on their behalf”")
        case = open_case(w, office, constituent_id=person_id, title=title, category=category,
                         review_date=review_date, assignee=assignee, raised_by_id=raiser_id)
    return case_row(office, case.id)
