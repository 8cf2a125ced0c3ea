"""Opening a case for a person typed in: the person, whoever raised it and the case in one transaction."""

import pytest
from sqlalchemy import text

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import constituents
from mpoffice_tui.services.new_case import NewPerson, open_case_for


def _people(office) -> int:
    with office.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM constituents")).scalar_one()


def test_a_new_person_raised_by_a_relative_is_one_case_two_people_and_a_case_opened_note(office):
    row = open_case_for(office, title="Housing repairs", person=NewPerson("Łucja", "Nowak", {"postcode": "ls1 1aa"}),
                        raised_by="Marek Nowak", category="Housing")
    person = constituents.row(office, row.constituent_id)
    assert person.name.endswith("Łucja Nowak") and person.postcode == "LS1 1AA"
    with office.engine.connect() as conn:
        raiser = conn.execute(text("SELECT p.forenames, p.surname FROM cases c JOIN constituents p "
                                   "ON p.id = c.raised_by_id WHERE c.id = :id"), {"id": row.id}).one()
        notes = conn.execute(text("SELECT body FROM notes WHERE case_id = :id"), {"id": row.id}).scalars().all()
    assert tuple(raiser) == ("Marek", "Nowak")
    assert any(n.startswith("Case opened") for n in notes)


def test_a_known_raiser_is_found_not_added_again(office):
    known = constituents.create(office, forenames="Marek", surname="Nowak")
    before = _people(office)
    row = open_case_for(office, title="Benefits", person=NewPerson("Ola", "Nowak"), raised_by="marek nowak")
    assert _people(office) == before + 1  # only Ola
    with office.engine.connect() as conn:
        assert conn.execute(text("SELECT raised_by_id FROM cases WHERE id = :id"),
                            {"id": row.id}).scalar_one() == known.id


@pytest.mark.parametrize("bad", [{"title": "  "}, {"review_date": "31/02/2027"}, {"category": "General",
                                                                                     "raised_by": "x@nowhere.example"}])
def test_nothing_is_half_saved_when_the_case_cannot_open(office, bad):
    before = _people(office)
    kwargs = {"title": "Visa delay", "raised_by": "Marek Nowak", **bad}
    with pytest.raises(OfficeError):
        open_case_for(office, person=NewPerson("Ola", "Nowak"), **kwargs)
    assert _people(office) == before  # neither Ola nor Marek was added


@pytest.mark.parametrize("typed, parts", [
    ("Seán O'Brien", ("Seán", "O'Brien")),
    ('"Smith, John"', ("John", "Smith")),
    ("O'Brien,  Mary Ann", ("Mary Ann", "O'Brien")),
    ("Cher", ("", "Cher")),
    ("  ", ("", "")),
])
def test_one_name_splitter_for_forms_mail_and_letters(typed, parts):
    from mpoffice_tui.services.constituent_fields import split_name

    assert split_name(typed) == parts
