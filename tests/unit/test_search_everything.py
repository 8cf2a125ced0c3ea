"""Search everything (issue 13 point 1): every kind, ranking, quoting, typos, references, who may see what."""

from __future__ import annotations

import pytest
from dp_data import add_staff

from mpoffice_tui.db.engine import open_office
from mpoffice_tui.services import cases, constituents, contacts, retention
from mpoffice_tui.services.search import search_everything, snippet


def kinds(result) -> dict[str, list]:
    return {g.kind: list(g.hits) for g in result.groups}


@pytest.fixture
def planted(office):
    """An office with a person, a case with notes (one confidential), an attachment, a contact and an email."""
    p = constituents.create(office, forenames="Siobhán", surname="O'Brien-Hartley", postcode="WX1 2AB",
                            email="siobhan@example.org")
    other = constituents.create(office, forenames="Bartholomew", surname="Quennell", postcode="WX9 9ZZ")
    case = cases.create_case(office, constituent_id=p.id, title="Damp and mould in the flat", category="Housing")
    old = cases.create_case(office, constituent_id=other.id, title="Mould survey overdue", category="Housing")
    cases.add_note(office, case.ref, "Environmental health visited: black mould in the bedroom.")
    cases.add_note(office, case.ref, "Tenant fears eviction zebracrossing if she complains.", confidential=True)
    att = cases.attach_file(office, case.ref, data=b"%PDF-1.4", filename="landlord_repairs_schedule.pdf",
                            content_type="application/pdf")
    contacts.add_contact(office, organisation="Wexcombe Housing Trust", department="Repairs", kind="agency",
                         preferred_route="email", email="repairs@wexcombe.example")
    return {"person": p, "other": other, "case": case, "old": old, "attachment": att}


def test_every_kind_is_found_grouped_with_what_to_open(office, planted):
    found = kinds(search_everything(office, "mould"))
    assert [h.id for h in found["case"]] == [planted["old"].id, planted["case"].id]  # both titles: newest first
    note = found["note"][0]
    assert note.case_id == planted["case"].id and note.case_ref == planted["case"].ref
    assert "black mould" in note.snippet
    assert kinds(search_everything(office, "repairs schedule"))["attachment"][0].id == planted["attachment"].id
    trust = kinds(search_everything(office, "wexcombe housing"))["contact"]
    assert trust[0].title == "Wexcombe Housing Trust — Repairs"
    assert list(kinds(search_everything(office, "flat mould"))) == ["case"]


def test_best_first_within_the_newest(office, planted):
    """A title holding every word comes before a newer case that matches elsewhere (its tags)."""
    newer = cases.create_case(office, constituent_id=planted["other"].id, title="Noise complaint", category="Housing")
    cases.set_tags(office, newer.ref, "damp")
    hits = kinds(search_everything(office, "damp"))["case"]
    assert [h.id for h in hits] == [planted["case"].id, newer.id]


def test_a_reference_typed_exactly_comes_first(office, planted):
    ref = planted["old"].ref
    result = search_everything(office, ref)
    assert result.groups[0].kind == "case" and result.hits[0].id == planted["old"].id and result.hits[0].exact
    loose = ref.split("-")[0].lower() + str(int(ref.split("-")[1]))  # "a2" for A-00002
    assert search_everything(office, loose).hits[0].id == planted["old"].id


def test_quotes_and_operators_typed_are_only_words(office, planted):
    for text in ("O'Brien", 'o"brien', "OBrien", "O'Brien AND NOT", "(o'brien)*", "obrien-hartley"):
        people = kinds(search_everything(office, text)).get("constituent", [])
        assert [h.id for h in people] == [planted["person"].id], text
    assert not search_everything(office, '"" * ( ) : ^ -').found


def test_names_with_typos(office, planted):
    for text in ("Siobhan OBrian", "siobahn o'brien", "Bartholomew Quenell", "Bartholemew Quennell"):
        people = kinds(search_everything(office, text)).get("constituent", [])
        assert people and people[0].constituent_id in (planted["person"].id, planted["other"].id), text
    assert kinds(search_everything(office, "Quenell"))["constituent"][0].id == planted["other"].id


def test_confidential_notes_only_for_those_who_may_read_them_and_never_their_text(office, office_path, planted):
    staff_hit = kinds(search_everything(office, "zebracrossing"))["note"][0]
    assert staff_hit.title.startswith("Confidential note") and "zebracrossing" not in staff_hit.snippet
    add_staff(office, "Vera Volunteer", "volunteer", "volunteer pass")
    office.close()
    vol = open_office(office_path, "volunteer pass")
    try:
        assert "note" not in kinds(search_everything(vol, "zebracrossing"))
        assert kinds(search_everything(vol, "black mould"))["note"]  # ordinary notes still found
    finally:
        vol.close()


def test_erased_people_and_what_went_with_them_are_never_found(office, planted):
    assert search_everything(office, "Siobhan").found
    retention.erase(office, [f"constituent:{planted['person'].id}"], reason="erasure request", confirm=True)
    for text in ("Siobhan", "O'Brien", "siobhan@example.org", "black mould", "landlord repairs", "Damp"):
        found = kinds(search_everything(office, text))
        assert not set(found) & {"constituent", "note", "attachment"}, text
        assert planted["case"].id not in [h.id for h in found.get("case", [])], text


def test_anonymised_people_are_not_found(office, planted):
    retention.erase(office, [f"constituent:{planted['other'].id}"], reason="policy", confirm=True, anonymise=True)
    assert "constituent" not in kinds(search_everything(office, "anonymised"))
    assert "constituent" not in kinds(search_everything(office, "Quennell"))


def test_limit_and_more(office, planted):
    result = search_everything(office, "mould", limit_per_kind=1)
    group = next(g for g in result.groups if g.kind == "case")
    assert len(group.hits) == 1 and group.more


def test_snippets_are_one_clean_line():
    text = "Line one\n\x1b[31mred\x1b[0m \u202eevil\u202c and then the housing word appears here"
    s = snippet(text, ["housing"], width=30)
    assert "\n" not in s and "\x1b" not in s and "\u202e" not in s and "housing" in s


def test_demo_office_search(demo_office):
    """The demo office: a surname with an apostrophe, a typo, a reference, notes and messages."""
    found = kinds(search_everything(demo_office, "o'brien"))
    assert any("O'Brien" in h.title for h in found["constituent"])
    assert any("Siobhán" in h.title for h in kinds(search_everything(demo_office, "siobhan osulivan"))["constituent"])
    first = search_everything(demo_office, "A-00012")
    assert first.hits[0].kind == "case" and first.hits[0].case_ref == "A-00012"
    voicemail = kinds(search_everything(demo_office, "voicemail"))
    assert voicemail["note"] and voicemail["message"]
    times = [h.at for h in voicemail["message"]]
    assert times == sorted(times, reverse=True)
