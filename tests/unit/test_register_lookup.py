"""Lookup quality on a real office: accents, apostrophes, hyphens, typos, initials, reversed names,
postcodes, addresses, elector numbers; and "not found" as advice."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpoffice_tui.services import register as reg

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "register"


@pytest.fixture
def loaded(office):
    reg.import_register(office, sorted(p for p in FIX.glob("*_20*")
                                       if "2025" not in p.name))
    # some noise so ranking matters
    from mpoffice_tui.db.ids import new_id
    with office.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES (?, 'x', ?, 'ZZ', ?, 0, ?, ?, ?, ?, '', '', 0)",
            [(new_id(), f"k{i}", i, f, s, f"{i} High Street", "BB99 9ZZ") for i, (f, s) in enumerate(
                [("Siobhan", "Smith"), ("Sean", "Sullivan"), ("John", "Smithson"), ("Mary", "Brien"),
                 ("Patrick", "Smythe"), ("Jonathan", "Smyth")], 1)])
    return office


@pytest.mark.parametrize("query, expected", [
    ("Siobhan O Sullivan", "Siobhán Ó Súilleabháin"),
    ("siobhán ó súilleabháin", "Siobhán Ó Súilleabháin"),
    ("obrien smythe", "Patrick O'Brien-Smythe"),
    ("O'Brien-Smythe", "Patrick O'Brien-Smythe"),
    ("Smythe Patrick O'Brien", "Patrick O'Brien-Smythe"),
    ("Jonathon Smtih", "Jonathan Smith"),
    ("J Smith", "Jonathan Smith"),
    ("smith jonathan", "Jonathan Smith"),
    ("Rene Lefevre", "Mr René Lefèvre"),
    ("Chloe Bronte", "Chloé Brontë"),
    ("aine mac giolla phadraig", "Mrs Áine Mac Giolla Phádraig"),
])
def test_names(loaded, query, expected):
    result = reg.lookup(loaded, query)
    assert result.found and result.kind == "name"
    assert result.hits[0].elector.name == expected


def test_postcode_finds_everyone_there(loaded):
    result = reg.lookup(loaded, "bb101aa")
    assert result.kind == "postcode"
    assert {h.elector.name for h in result.hits} == {"Siobhán Ó Súilleabháin", "Patrick O'Brien-Smythe"}
    assert [o.name for o in result.hits[0].household] == ["Patrick O'Brien-Smythe"]


def test_address(loaded):
    result = reg.lookup(loaded, "7 Peel Street")
    assert result.kind == "address"
    assert {h.elector.surname for h in result.hits} == {"Mac Giolla Phádraig", "Kowalski"}


def test_elector_numbers(loaded):
    hit = reg.lookup(loaded, "AB1-124/1").hits
    assert [h.elector.number for h in hit] == ["AB1-124/1"]
    assert [h.elector.number for h in reg.lookup(loaded, "AB1-124").hits][0] == "AB1-124"
    overseas = reg.lookup(loaded, "ab2-77").hits[0].elector
    assert overseas.number == "AB2-77" and "overseas" in overseas.notes[0]
    anon = reg.lookup(loaded, "AB1-126").hits[0].elector
    assert anon.name == "Anonymous elector" and anon.address == ""


def test_markers_and_optout_are_explained(loaded):
    attainer = reg.lookup(loaded, "Jonathan Smith").hits[0].elector
    assert "attainer: reaches voting age on 2025-06-14" in attainer.notes
    aine = reg.lookup(loaded, "Aine Mac Giolla Phadraig").hits[0].elector
    assert aine.open_register_optout and "opted out of the open register" in aine.notes


def test_not_found_is_advice(loaded):
    result = reg.lookup(loaded, "Zebedee Quartermaine")
    assert not result.found and "not a refusal" in result.message and "Not found on the register" in result.message


def test_empty_register_says_so(office):
    result = reg.lookup(office, "Anyone")
    assert not result.found and "No electoral register has been imported" in result.message


def test_known_constituent_with_open_cases(loaded):
    from mpoffice_tui.db.models import Case, Constituent

    key = reg.lookup(loaded, "AB1-124/1").hits[0].elector.key
    with loaded.writing() as w:
        c = w.insert(Constituent, forenames="Patrick", surname="O'Brien-Smythe", elector_key=key)
        w.insert(Case, ref="A-1", title="Housing", status="open", constituent_id=c.id, opened_at="2025-01-01")
        w.insert(Case, ref="A-2", title="Old", status="closed", constituent_id=c.id, opened_at="2024-01-01")
    link = reg.lookup(loaded, "obrien smythe").hits[0].constituents
    assert [(x.name, x.open_cases) for x in link] == [("Patrick O'Brien-Smythe", 1)]


def test_suggest_prefers_same_postcode(loaded):
    hits = reg.suggest(loaded, "Jonathan", "Smith", "bb10 1ab")
    assert hits[0].elector.postcode == "BB10 1AB"
    assert reg.suggest(loaded, "", "") == []


def test_big_household_lists_the_first_in_number_order_and_counts_the_rest(office):
    with office.engine.begin() as conn:  # a hostel: 20 people at one address, inserted out of order
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES (?, 'x', ?, 'HB', ?, 0, 'Resident', ?, "
            "'1 Hostel Row', 'BB99 9AA', '', '', 0)",
            [(f"h{i}", f"k{i}", i, f"Number{i}") for i in range(20, 0, -1)])
    result = reg.lookup(office, "BB99 9AA")
    first = result.hits[0]
    assert first.elector.number == "HB-1"
    assert [o.number for o in first.household] == [f"HB-{i}" for i in range(2, 2 + reg.HOUSEHOLD_SHOWN)]
    assert first.household_more == 19 - reg.HOUSEHOLD_SHOWN
    last = result.hits[-1]
    assert last.elector.number == "HB-20" and last.household[0].number == "HB-1"


def test_postcode_results_walk_the_street_by_house_number(office):
    """12 before 111 (numbers as numbers), 12A after 12, a flat under its building's number."""
    from mpoffice_tui.db.ids import new_id

    homes = ["111 Mill Row", "12 Mill Row", "Flat 2, Weavers Court, 40 Mill Row", "12A Mill Row", "2 Mill Row",
             "Flat 10, Weavers Court, 40 Mill Row", "9 Mill Row"]
    with office.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES (?, 'x', ?, 'MR', ?, 0, 'Ann', ?, ?, "
            "'WX9 9AA', '', '', 0)",
            [(new_id(), f"m{i}", i, f"Resident{i}", a) for i, a in enumerate(homes, 1)])
    result = reg.lookup(office, "WX9 9AA")
    assert [h.elector.address for h in result.hits] == [
        "2 Mill Row", "9 Mill Row", "12 Mill Row", "12A Mill Row", "Flat 2, Weavers Court, 40 Mill Row",
        "Flat 10, Weavers Court, 40 Mill Row", "111 Mill Row"]
