"""The directory (issue 16): a starter list of UK departments, agencies and public bodies with postal addresses
and ministers by department; the office's own entries; CSV in and out; a third party on a case from it."""

from __future__ import annotations

import csv

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import constituents as people
from mpoffice_tui.services import contacts, directory, letters


def test_the_starter_list_has_the_bodies_casework_writes_to_with_postal_addresses(office):
    found = directory.search(office)  # the first search loads the starter list
    names = {e.organisation for e in found}
    for body in ("Department for Work and Pensions", "HM Revenue and Customs", "UK Visas and Immigration",
                 "HM Passport Office", "Driver and Vehicle Licensing Agency (DVLA)", "Child Maintenance Service"):
        assert body in names, body
    assert all(e.address.count("\n") >= 1 for e in found)  # a postal address, one part per line
    dwp = directory.search(office, "work pensions", kind="minister")
    assert [e.role for e in dwp] == ["Secretary of State for Work and Pensions"]
    assert directory.load_starter(office) == 0  # idempotent


def test_a_reshuffle_an_office_route_and_csv_round_trip(office, tmp_path):
    minister = directory.search(office, "work pensions", kind="minister")[0]
    directory.update_entry(office, minister.id, name="Jane Doe MP")
    route = directory.add_entry(office, organisation="Department for Work and Pensions", department="MP hotline",
                                phone="0800 000 000", notes="Caseworkers' line")
    out = tmp_path / "directory.csv"
    n = directory.export_csv(office, out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the accents
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == n and any(r["name"] == "Jane Doe MP" for r in rows)
    for r in rows:
        if r["id"] == route.id:
            r["phone"] = "0800 111 111"
    rows.append({"id": "", "kind": "route", "organisation": "HM Passport Office", "department": "MPs' line",
                 "role": "", "name": "", "address": r"2 Marsham Street\nLondon", "email": "", "phone": "",
                 "notes": ""})
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=directory.CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    result = directory.import_csv(office, out)
    assert (result.added, result.updated) == (1, 1)
    assert directory.get_entry(office, route.id).phone == "0800 111 111"
    assert directory.search(office, "passport mps")[0].address == "2 Marsham Street\nLondon"


def test_a_bad_csv_names_its_line_and_changes_nothing(office, tmp_path):
    before = len(directory.search(office))
    bad = tmp_path / "bad.csv"
    bad.write_text("organisation,kind\nGood Body,agency\n,agency\n", encoding="utf-8")
    with pytest.raises(OfficeError, match=r"bad.csv line 3: an entry needs an organisation"):
        directory.import_csv(office, bad)
    bad.write_text("organisation,colour\nX,red\n", encoding="utf-8")
    with pytest.raises(OfficeError, match="unknown column"):
        directory.import_csv(office, bad)
    bad.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(OfficeError, match="bad.csv"):
        directory.import_csv(office, bad)
    assert len(directory.search(office)) == before


def test_adding_a_third_party_searches_contacts_and_the_directory_together(office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    contacts.add_contact(office, organisation="HM Passport Office", department="Durham office", kind="agency")
    choices = directory.third_parties(office, "passport")
    assert [c.source for c in choices] == ["contact", "directory"]
    p = people.create(office, forenames="Ann", surname="Jones", address1="1 Road", postcode="TT1 1TT")
    case = cs.create_case(office, constituent_id=p.id, title="Passport delay")
    entry = next(c for c in choices if c.source == "directory")
    party = directory.add_to_case(office, case.ref, entry.id, "agency")
    again = directory.add_to_case(office, case.ref, entry.id, "agency")  # the same contact, not a copy
    assert party.contact_id == again.contact_id
    assert [c.source for c in directory.third_parties(office, "passport")] == ["contact", "contact"]
    letters.load_starter_templates(office)
    lt = letters.write_letter(office, case.ref, "Acknowledgement", recipient_contact_id=party.contact_id)
    assert letters.letter_layout(office, lt.id).address == ("HM Passport Office", "2 Marsham Street", "London",
                                                            "SW1P 4DF")
