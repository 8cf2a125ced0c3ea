"""Register exports in each format, with their quirks, imported into a real office."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mpoffice_tui.importers.register import RegisterFileError, parse_text, read_register
from mpoffice_tui.importers.register import normalise as n
from mpoffice_tui.services import register as reg

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "register"


def test_normalisers():
    assert n.postcode("bb101aa") == "BB10 1AA"
    assert n.postcode(" sw1a 0aa ") == "SW1A 0AA"
    assert n.postcode("n/a") == ""
    assert n.uprn("000100012345") == "100012345"
    assert n.uprn("N/A") is None
    assert n.elector_number("AB1", 124, 1) == "AB1-124/1"
    assert n.elector_number("AB2", 77, 0) == "AB2-77"
    assert n.split_number("AB1-124/1") == ("AB1", 124, 1)
    assert n.fold("Siobhán Ó Súilleabháin") == "siobhan o suilleabhain"
    assert n.fold("O'Brien-Smythe") == "obrien smythe"


@pytest.mark.parametrize("name, fmt, encoding, delimiter, count", [
    ("burnley_xpress_2024-12-01.csv", "xpress", "utf-8", "tab", 6),
    ("burnley_xpress_2025-03-01.tsv", "xpress", "utf-8-sig", "tab", 4),
    ("pendle_eros_2024-12-01.csv", "eros", "windows-1252", ",", 4),
    ("hyndburn_idox_2024-12-01_part1.txt", "idox", "utf-16", "tab", 2),
    ("hyndburn_idox_2024-12-01_part2.csv", "idox", "utf-8-sig", ",", 1),
    ("rossendale_dc_2024-12-01.csv", "democracy_counts", "utf-8", ",", 2),
])
def test_each_format_is_detected_and_decoded(name, fmt, encoding, delimiter, count):
    parsed = read_register(FIX / name)
    assert (parsed.format, parsed.encoding, parsed.delimiter, len(parsed.records)) == \
        (fmt, encoding, delimiter, count)


def test_quirks_are_kept():
    xp = {(r.pd, r.eno, r.suffix): r for r in read_register(FIX / "burnley_xpress_2024-12-01.csv").records}
    siobhan = xp[("AB1", 124, 0)]
    assert (siobhan.forename, siobhan.surname, siobhan.postcode, siobhan.uprn, siobhan.address) == \
        ("Siobhán", "Ó Súilleabháin", "BB10 1AA", "100012345", "12 Acacia Avenue, Burnley")  # n/a dropped
    assert xp[("AB1", 126, 0)].markers == "N" and xp[("AB1", 126, 0)].surname == ""
    assert xp[("AB2", 77, 0)].markers == "F" and xp[("AB2", 77, 0)].postcode == ""
    assert xp[("AB1", 125, 0)].attainment_date == "2025-06-14"
    eros = read_register(FIX / "pendle_eros_2024-12-01.csv").records
    assert eros[0].forename == "René" and eros[0].franchise == "G" and eros[2].attainment_date == "2025-09-01"
    idox = read_register(FIX / "hyndburn_idox_2024-12-01_part1.txt").records
    assert idox[0].surname == "Mac Giolla Phádraig" and idox[0].open_register_optout
    assert idox[1].forename == "Jan Piotr" and not idox[1].open_register_optout
    dc = read_register(FIX / "rossendale_dc_2024-12-01.csv")
    assert dc.skipped == 1 and {r.surname for r in dc.records} == {"Ashworth"}


def test_bad_rows_are_reported_with_file_row_and_reason():
    parsed = read_register(FIX / "burnley_xpress_2024-12-01.csv")
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (8, "elector number 'seventy' is not a number"), (9, "date of attainment '31/02/2025' is not a date")]
    assert parsed.problems[0].file.endswith("burnley_xpress_2024-12-01.csv")


@pytest.mark.parametrize("name, words", [("not_a_register.csv", "header row"),
                                         ("saved_as_workbook.csv", "save it as CSV")])
def test_unreadable_files_name_the_file(name, words):
    with pytest.raises(RegisterFileError) as err:
        read_register(FIX / name)
    assert name in str(err.value) and words in str(err.value)


def test_stray_delimiter_row_is_reported():
    text = "PD,ENO,First Name,Surname,Postcode\nAA,1,Ann,Lee,BB1 1AA\nAA,2,Bob,Lee,BB1 1AA,extra\n"
    parsed = parse_text(text, name="x.csv")
    assert len(parsed.records) == 1 and parsed.problems[0].row == 3


def test_council_and_date_from_file_names():
    assert reg.council_from_filename("hyndburn_idox_2024-12-01_part2.csv") == "Hyndburn"
    assert reg.published_from_filename("hyndburn_idox_2024-12-01_part2.csv") == "2024-12-01"
    assert reg.published_from_filename("Pendle Register Dec2024.csv") == "2024-12-01"


def _count(office, sql="SELECT count(*) FROM electors"):
    with office.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_import_split_files_make_one_register_and_bad_file_changes_nothing(office):
    summary = reg.import_register(office, [FIX / "hyndburn_idox_2024-12-01_part1.txt",
                                           FIX / "hyndburn_idox_2024-12-01_part2.csv",
                                           FIX / "saved_as_workbook.csv"])
    assert summary.imported == 3 and summary.failed_files == 1 and summary.failed_rows == 1 and not summary.ok
    assert {p.council for p in reg.publications(office)} == {"Hyndburn"}
    assert len(reg.publications(office)) == 2
    assert _count(office) == 3
    assert _count(office, "SELECT count(*) FROM audit_events WHERE action = 'register.import'") == 1
    assert _count(office, "SELECT count(*) FROM ops WHERE tbl = 'electors'") == 0  # local, never op-logged


def test_newer_publication_replaces_old_and_keeps_links(office, tmp_path):
    from mpoffice_tui.db.models import Constituent

    reg.import_register(office, [FIX / "burnley_xpress_2024-12-01.csv"])
    siobhan = reg.lookup(office, "AB1-124").hits[0].elector
    jonathan = reg.lookup(office, "AB1-125").hits[0].elector
    with office.writing() as w:
        w.insert(Constituent, forenames="Siobhán", surname="Ó Súilleabháin", elector_key=siobhan.key)
        w.insert(Constituent, forenames="Jonathan", surname="Smith", elector_key=jonathan.key)
    summary = reg.import_register(office, [FIX / "burnley_xpress_2025-03-01.tsv"])
    assert summary.replaced == 6 and summary.links_kept == 1 and summary.links_lost == 1
    assert _count(office) == 4
    hit = reg.lookup(office, "Siobhan O Sullivan").hits[0]
    assert hit.elector.number == "AB1-10" and hit.elector.key == siobhan.key
    assert [c.name for c in hit.constituents] == ["Siobhán Ó Súilleabháin"]
    # importing the older file again is refused and changes nothing
    older = reg.import_register(office, [FIX / "burnley_xpress_2024-12-01.csv"])
    assert older.failed_files == 1 and "older" in older.files[0].error and _count(office) == 4
    # the same file twice adds nothing
    copy = tmp_path / "burnley_xpress_2025-03-01.tsv"
    shutil.copyfile(FIX / "burnley_xpress_2025-03-01.tsv", copy)
    reg.import_register(office, [copy])
    assert _count(office) == 4


def test_bulk_indexing_leaves_triggers_and_a_consistent_index(office):
    """The import indexes a publication itself (triggers dropped in its transaction): afterwards the
    triggers are back, the index matches the table after a replacement, and a plain insert is indexed."""
    reg.import_register(office, [FIX / "burnley_xpress_2024-12-01.csv", FIX / "pendle_eros_2024-12-01.csv"])
    reg.import_register(office, [FIX / "burnley_xpress_2025-03-01.tsv"])  # replaces one council of two
    with office.engine.begin() as conn:
        triggers = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'electors'")}
        assert triggers == {"electors_fts_ai", "electors_fts_ad", "electors_fts_au"}
        conn.exec_driver_sql("INSERT INTO electors_fts(electors_fts, rank) VALUES ('integrity-check', 1)")
        indexed = conn.exec_driver_sql("SELECT count(*) FROM electors_fts WHERE electors_fts MATCH "
                                       "'surname : lefevre OR surname : suilleabhain'").scalar()
        assert indexed == 3  # René and Zoë (Pendle, kept), Siobhán (Burnley, new publication): once each
        conn.exec_driver_sql(
            "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, forename, surname, address, "
            "postcode, name_key, markers, open_register_optout) VALUES ('x1', 'x', 'kx', 'ZZ', 1, 0, 'Quentin', "
            "'Zanzibar', '', '', '', '', 0)")
    assert reg.lookup(office, "Quentin Zanzibar").hits[0].elector.surname == "Zanzibar"
    reg.import_register(office, [FIX / "pendle_eros_2024-12-01.csv"])  # the same again: replaces itself
    with office.engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO electors_fts(electors_fts, rank) VALUES ('integrity-check', 1)")
