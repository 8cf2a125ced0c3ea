"""A register import never silently throws electors away, and never loses or garbles rows without a word."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mpoffice_tui.importers.register import read_register
from mpoffice_tui.services import register as reg

HEAD = "PD,ENO,First Name,Surname,Postcode,Address 1,UPRN\n"


def _row(i: int, forename: str = "", surname: str = "") -> str:
    return f"AA,{i},{forename or f'Name{i}'},{surname or f'Surname{i}'},BB1 1AA,{i} High Street,{900000 + i}\n"


def _export(path: Path, rows: range | list[int], extra: str = "") -> Path:
    path.write_text(HEAD + "".join(_row(i) for i in rows) + extra, encoding="utf-8")
    return path


def _electors(office, council: str | None = None) -> int:
    sql = "SELECT count(*) FROM electors e JOIN register_publication p ON p.id = e.publication_id"
    with office.engine.connect() as conn:
        if council:
            return conn.exec_driver_sql(sql + " WHERE p.council = ?", (council,)).scalar()
        return conn.exec_driver_sql(sql).scalar()


def test_a_short_newer_file_does_not_replace_a_council_without_asking(office, tmp_path):
    full = _export(tmp_path / "burnley_2026-11-01.csv", range(1, 2001))
    short = _export(tmp_path / "burnley_2026-12-01.csv", range(1, 11))
    assert reg.import_register(office, [full]).imported == 2000
    asked = []
    summary = reg.import_register(office, [short], confirm=lambda q: asked.append(q) or False)
    assert _electors(office) == 2000 and summary.imported == 0 and not summary.ok
    [question] = asked
    assert (question.council, question.held, question.incoming, question.going) == ("Burnley", 2000, 10, 1990)
    assert "remove 1,990 of the 2,000 electors" in question.question
    assert summary.files[0].held_back == question and "Nothing was changed" in summary.files[0].error
    # the full file is not then refused as older: nothing was replaced
    assert reg.import_register(office, [full]).ok


def test_a_wrong_replacement_can_be_put_right(office, tmp_path):
    full = _export(tmp_path / "burnley_2026-11-01.csv", range(1, 2001))
    short = _export(tmp_path / "burnley_2026-12-01.csv", range(1, 11))
    reg.import_register(office, [full])
    assert reg.import_register(office, [short], replace=True).imported == 10  # said yes (wrongly)
    assert _electors(office) == 10
    held = reg.import_register(office, [full])  # older now: asks, and says it was held before
    [question] = held.held_back
    assert "older" in question.reasons and question.restores
    assert _electors(office) == 10
    summary = reg.import_register(office, [full], confirm=lambda q: True)
    assert summary.ok and summary.imported == 2000 and _electors(office) == 2000


def test_files_that_cannot_be_tied_to_a_council_do_not_replace_each_other(office, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _export(tmp_path / "a" / "register.csv", range(1, 40))
    second = _export(tmp_path / "b" / "register.csv", range(100, 160))
    summary = reg.import_register(office, [first])
    assert summary.ok and "does not say which council" in summary.files[0].notes[0].reason
    held = reg.import_register(office, [second])
    assert held.held_back and "unnamed" in held.held_back[0].reasons and _electors(office) == 39
    named = reg.import_register(office, [second], council="Pendle")
    assert named.ok and _electors(office, "Pendle") == 60 and _electors(office) == 99


def test_a_file_with_no_electors_never_replaces(office, tmp_path):
    reg.import_register(office, [_export(tmp_path / "burnley_2026-11-01.csv", range(1, 50))])
    for name, data in (("burnley_2026-12-01.csv", HEAD), ("burnley_2026-12-02.csv", HEAD + "AA,x,,,,,\n"),
                       ("burnley_2026-12-03.csv", "")):
        (tmp_path / name).write_text(data, encoding="utf-8")
        summary = reg.import_register(office, [tmp_path / name], replace=True)
        assert summary.failed_files == 1 and summary.imported == 0
    assert _electors(office) == 49


def test_every_file_is_reported_and_one_bad_file_stops_nothing(office, tmp_path):
    good = _export(tmp_path / "pendle_2026-01-01.csv", range(1, 5))
    missing = tmp_path / "hyndburn_2026-01-01.csv"
    binary = tmp_path / "rossendale_2026-01-01.csv"
    binary.write_bytes(b"\x00\x01\x02" * 500)
    other = _export(tmp_path / "burnley_2026-01-01.csv", range(10, 13))
    summary = reg.import_register(office, [good, missing, binary, other])
    assert [Path(f.path).name for f in summary.files if f.error] == [missing.name, binary.name]
    assert {Path(f.path).name for f in summary.files if not f.error} == {good.name, other.name}
    assert summary.imported == 7 and summary.failed_files == 2


def test_rows_that_cannot_be_read_are_reported_by_line_and_the_rest_read(tmp_path):
    path = tmp_path / "x_2026-01-01.csv"
    path.write_bytes((HEAD + _row(1) + 'AA,2,"Bob,Unclosed,BB1 1AA,2 High Street,1\n' + _row(3)
                      + "AA,123456789012345678901234567890,Dan,Long,BB1 1AA,4 High Street,1\n" + _row(5)).encode()
                     + "AA,6,Zoë,Brontë,BB1 1AA,6 High Street,1\n".encode("latin-1") + _row(7, "Siân", "Llŷr").encode())
    parsed = read_register(path)
    assert [r.eno for r in parsed.records] == [1, 3, 5, 6, 7]
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (3, 'a quote (") opened on this line is never closed; the row is skipped'),
        (5, "elector number 12345678901234567890… is too long to be one (30 digits; at most 9)")]
    assert parsed.encoding == "utf-8"
    assert {r.eno: (r.forename, r.surname) for r in parsed.records}[6] == ("Zoë", "Brontë")
    assert {r.eno: r.forename for r in parsed.records}[7] == "Siân"
    assert [(n.row, "Windows-1252" in n.reason) for n in parsed.notes] == [(7, True)]


@pytest.mark.parametrize("encoding, bom", [("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", b""),
                                           ("utf-16-le", b""), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf32_and_utf16_with_or_without_a_mark(tmp_path, encoding, bom):
    path = tmp_path / "x_2026-01-01.csv"
    path.write_bytes(bom + (HEAD + _row(1, "Zoë", "Łukasiewicz") + _row(2)).encode(encoding))
    parsed = read_register(path)
    assert parsed.encoding == encoding[:6] and not parsed.problems
    assert [(r.forename, r.surname) for r in parsed.records] == [("Zoë", "Łukasiewicz"), ("Name2", "Surname2")]


def test_a_legitimate_multi_line_address_is_still_one_row(tmp_path):
    path = tmp_path / "x_2026-01-01.csv"
    path.write_text(HEAD + 'AA,1,Ann,Lee,BB1 1AA,"Flat 1\n1 High Street",1\n' + _row(2), encoding="utf-8")
    parsed = read_register(path)
    assert [r.eno for r in parsed.records] == [1, 2] and not parsed.problems


def test_lookup_of_an_impossible_elector_number_finds_nobody(office, tmp_path):
    reg.import_register(office, [_export(tmp_path / "burnley_2026-01-01.csv", range(1, 5))])
    result = reg.lookup(office, "AA-123456789012345678901234567890")
    assert not result.found and "not a refusal" in result.message
