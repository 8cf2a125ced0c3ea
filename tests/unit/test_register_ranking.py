"""Ranking of name lookups: forename and surname scored apart, Gaelic/Welsh/anglicised surname
equivalents (data/surname_equivalents.csv), exact full names first."""

from __future__ import annotations

import pytest

from mpoffice_tui.services import register as reg

PEOPLE = [("Brian", "O'Sullivan"), ("Ioana", "O'Sullivan"), ("Susan", "O'Sullivan"), ("Owain", "O'Sullivan"),
          ("Shabana", "O'Sullivan"), ("Joanne", "O'Sullivan"), ("Sinéad", "O'Sullivan"), ("Siobhán", "Ó Súilleabháin"),
          ("Sophia", "Ó Súilleabháin"), ("Ewa", "Murphy"), ("Jean", "Murphy"), ("Sean", "Smith"), ("Seán", "Ó Murchú"),
          ("Seanna", "Murphy"), ("Mary-Jane", "Kelly"), ("Mary", "Kelly"), ("Gary", "Kelly"), ("Maria", "Kelly"), ("Mary-Jane", "Walker"),
          ("Mary", "Kelleher"), ("Máire", "Ó Ceallaigh")]


@pytest.fixture
def people(office):
    with office.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES (?, 'x', ?, 'RK', ?, 0, ?, ?, ?, ?, '', '', 0)",
            [(f"e{i}", f"k{i}", i, f, s, f"{i} Mill Street", "BB11 1AA") for i, (f, s) in enumerate(PEOPLE, 1)])
    return office


def names(result) -> list[str]:
    return [f"{h.elector.forename} {h.elector.surname}" for h in result.hits]


def test_both_names_fuzzily_beat_surname_alone(people):
    found = names(reg.lookup(people, "Siobhan O Sullivan"))
    assert found[0] == "Siobhán Ó Súilleabháin"
    assert "Brian O'Sullivan" in found  # the surname-only matches are still listed, below
    assert names(reg.lookup(people, "Siobhan O'Sullivan"))[0] == "Siobhán Ó Súilleabháin"


def test_equivalent_surname_found_near_the_top(people):
    found = names(reg.lookup(people, "Sean Murphy"))
    assert "Seán Ó Murchú" in found[:2], found
    assert names(reg.lookup(people, "Maire Kelly"))[0] == "Máire Ó Ceallaigh"


def test_equivalents_work_both_ways(people):
    found = names(reg.lookup(people, "Susan Ó Súilleabháin"))
    assert found[0] == "Susan O'Sullivan"


def test_exact_full_name_first(people):
    result = reg.lookup(people, "Mary Kelly")
    assert names(result)[:2] == ["Mary Kelly", "Mary-Jane Kelly"] and result.hits[0].score == 100.0
    assert all(h.score <= 100 for h in result.hits)
    assert names(reg.lookup(people, "Kelly Mary"))[0] == "Mary Kelly"
    assert names(reg.lookup(people, "Sean Smith"))[0] == "Sean Smith"


def test_spelling_beats_equivalent(people):
    with people.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES ('lit', 'x', 'klit', 'RK', 99, 0, 'Siobhan', "
            "'O''Sullivan', '99 Mill Street', 'BB11 1AA', '', '', 0)")
    found = names(reg.lookup(people, "Siobhan O'Sullivan"))
    assert found[:2] == ["Siobhan O'Sullivan", "Siobhán Ó Súilleabháin"]


def test_equivalents_file_groups_pairs():
    eq = reg.surname_equivalents()
    assert len({k for k in eq}) >= 40
    assert "osuilleabhain" in eq["osullivan"][0] and "osullivan" in eq["osuilleabhain"][0]
    assert "murchu" in eq["murphy"][1]
    assert "macdhomhnaill" in eq["mcdonald"][0]  # McDonald and MacDonald share one Gaelic form
