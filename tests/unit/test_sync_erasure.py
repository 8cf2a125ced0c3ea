"""Erasure is a fact about a person: it reaches rows the erasing machine never saw, on every machine.

Two (or three) real replicas joined by invite/join; bundles exchanged in memory. After each scenario
nothing of the erased person survives in the rows, the op log, the conflict table or the full-text
indexes of any replica (`scan_for` reads every table, FTS shadow tables included).
"""

from __future__ import annotations

import json

import pytest
from dp_data import scan_for
from sync_helpers import INVITE, decrypted_file, exchange, open_pair, send

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.hlc import wall_ms
from mpoffice_tui.db.models import Constituent, Note
from mpoffice_tui.services import cases, consent, constituents, inbox, retention

MARK = "qvmarkerperson"  # in everything about the person who will be erased
OTHER = "kjothermarker"  # in a neighbour's record, which must survive


@pytest.fixture
def pair(template, tmp_path):
    """(A, B), synced, with a person (and their open case) to erase and a neighbour to keep."""
    a, b = open_pair(template, tmp_path)
    person = constituents.create(a, forenames=f"Mary {MARK}", surname="Quill", email=f"{MARK}@example.org")
    neighbour = constituents.create(a, forenames=f"Ned {OTHER}", surname="Bystander")
    case = cases.create_case(a, constituent_id=person.id, title=f"Damp flat {MARK}", category="Housing")
    cases.create_case(a, constituent_id=neighbour.id, title=f"Noise {OTHER}", category="Housing")
    exchange(a, b)
    yield a, b, person.id, case.ref
    a.close()
    b.close()


def _traces(office) -> list[str]:
    return scan_for(office, MARK)


def test_a_note_written_elsewhere_before_the_erasure_is_erased_when_it_arrives(pair):
    """The issue's repro: B writes a note, A (which never saw it) erases the person, both exchange."""
    a, b, pid, ref = pair
    cases.add_note(b, ref, f"Rang {MARK} back about the damp")
    retention.erase(a, [f"constituent:{pid}"], reason="erasure request", confirm=True)
    exchange(a, b)
    for office in (a, b):
        assert _traces(office) == [], office.site_code
        assert MARK.encode() not in decrypted_file(office)  # free pages, old WAL frames and index segments too
        assert scan_for(office, OTHER)  # the neighbour is someone else: kept
        with office.engine.connect() as conn:
            live = conn.exec_driver_sql("SELECT count(*) FROM notes n JOIN cases c ON c.id = n.case_id "
                                        "WHERE c.constituent_id = ? AND n.deleted = 0", (pid,)).fetchone()[0]
        assert live == 0


def test_rows_written_after_the_erasure_by_a_machine_that_had_not_heard_of_it(pair):
    """A consent, a new case, a note and an edit of the person, written on B after A erased them (B's clock
    even runs ahead), are redacted on arrival at A and on B once the erasure reaches it."""
    a, b, pid, ref = pair
    retention.erase(a, [f"constituent:{pid}"], reason="erasure request", confirm=True)
    b.clock.wall = lambda: wall_ms() + 3_600_000  # B writes "later" than the erasure, unaware of it
    consent.record(b, pid, "written", case=ref, details=f"signed by {MARK}")
    cases.create_case(b, constituent_id=pid, title=f"Second matter {MARK}", category="Benefits")
    cases.add_note(b, ref, f"{MARK} called again")
    constituents.update(b, pid, phone="07700 900555", town=f"Town of {MARK}")
    send(b, a)
    assert _traces(a) == []
    with a.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM cases WHERE constituent_id = ? AND deleted = 0",
                                    (pid,)).fetchone()[0] == 0
        assert conn.exec_driver_sql("SELECT phone, deleted FROM constituents WHERE id = ?",
                                    (pid,)).fetchone() == (None, 1)
    send(a, b)
    assert _traces(b) == []
    exchange(a, b)
    assert _traces(a) == _traces(b) == []
    assert MARK.encode() not in decrypted_file(a) + decrypted_file(b)


def test_a_machine_that_joins_later_receives_nothing_of_the_erased_person(pair, tmp_path):
    from mpoffice_tui.sync import enrol

    a, b, pid, ref = pair
    cases.add_note(b, ref, f"{MARK} wrote in")
    retention.erase(a, [f"constituent:{pid}"], reason="erasure request", confirm=True)
    exchange(a, b)
    inv = enrol.invite(a, tmp_path, passphrase=INVITE)
    enrol.join(inv.path, INVITE, tmp_path / "c" / "c.mpo")
    c = open_office(tmp_path / "c" / "c.mpo", PASSPHRASE)
    try:
        assert _traces(c) == []
        # ...and a bundle from B that still carried the note (B's own, before it heard) is redacted on arrival
        assert MARK.encode() not in inv.path.read_bytes()
        exchange(b, c)
        assert _traces(c) == []
    finally:
        c.close()


def test_writing_about_an_erased_person_is_refused_where_the_erasure_is_known(pair):
    from mpoffice_tui.db.writes import ErasedRecord

    a, b, pid, ref = pair
    case_id = cases.find_case_id(a, ref)
    retention.erase(a, [f"constituent:{pid}"], reason="erasure request", confirm=True)
    with pytest.raises(ErasedRecord, match="erased"), a.writing() as w:
        w.insert(Note, case_id=case_id, body=f"late note on {MARK}")
    with pytest.raises(ErasedRecord, match="erased"), a.writing() as w:
        w.update(w.get(Constituent, pid), phone="01632 960000")
    with pytest.raises(OfficeError):  # (the service finds no live constituent before the Writer refuses)
        consent.record(a, pid, "written")
    assert _traces(a) == []


def test_anonymising_keeps_the_statistics_and_refuses_new_work(pair, tmp_path):
    from mpoffice_tui.db.writes import ErasedRecord

    a, b, pid, ref = pair
    closed = cases.find_case_id(a, ref)
    cases.change_status(a, ref, "closed", outcome="Resolved")
    exchange(a, b)
    retention.erase(a, [f"case:{ref}"], reason="stats only", confirm=True, anonymise=True)
    cases.add_note(b, ref, "Thanked us: zzanonymisednote")  # B has not heard yet
    exchange(a, b)
    for office in (a, b):
        assert scan_for(office, "zzanonymisednote") == scan_for(office, "Damp flat") == []
        assert _traces(office)  # the person was not erased: only the case was anonymised
        with office.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT deleted, title, category, status, outcome, closed_at IS NOT NULL "
                                       "FROM cases WHERE id = ?", (closed,)).fetchone()
        assert row == (0, "(anonymised)", "Housing", "closed", "Resolved", 1)
    with pytest.raises(ErasedRecord):
        cases.add_note(a, ref, "anything at all")
    mail = tmp_path / "again.eml"  # a new email quoting the anonymised case's reference: kept, not filed there
    mail.write_bytes(f"From: someone@example.org\r\nSubject: About {ref}\r\nMessage-ID: <again@x>\r\n\r\n"
                     "Any news?\r\n".encode())
    report = inbox.import_paths(a, [mail])
    assert (report.imported, report.rejected, report.auto_filed) == (1, (), 0)


def test_an_office_of_the_previous_version_is_upgraded_and_its_erasures_reach_everything(pair):
    """The previous version erased only the rows the erasing machine held: a note that arrived later stayed in
    plaintext. Opening the office upgrades it (migration 0002), and its next sync carries the erasure to it."""
    from sync_helpers import as_schema_1

    from mpoffice_tui.sync import erasure

    a, b, pid, ref = pair
    case_id = cases.find_case_id(b, ref)
    retention.erase(a, [f"constituent:{pid}"], reason="erasure request", confirm=True)
    value = json.dumps({"id": "late-note", "created_at": "2025-01-01T00:00:00Z", "deleted": False,
                        "case_id": case_id, "author_id": None, "body": f"late news of {MARK}",
                        "confidential": False, "kind": "note"})
    as_schema_1(a, ("INSERT INTO ops (site, seq, hlc, tbl, row_id, field, value) VALUES "
                    "('old-site', 1, 1, 'notes', 'late-note', '*', ?)", (value,)),
                ("INSERT INTO notes (id, created_at, updated_at, deleted, case_id, body, confidential, kind) "
                 "VALUES ('late-note', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 0, ?, ?, 0, 'note')",
                 (case_id, f"late news of {MARK}")))
    path = a.path
    a.close()
    a = open_office(path, PASSPHRASE)
    try:
        assert a.schema_version() >= 2
        assert _traces(a)  # still there until the office reconciles its erasures...
        assert erasure.scrub_if_pending(a)  # ...which its next import (or erasure) does
        assert _traces(a) == []
        assert MARK.encode() not in decrypted_file(a)
    finally:
        a.close()


def test_an_open_conflict_of_the_previous_version_closes_when_answered_after_the_upgrade(pair):
    from sync_helpers import as_schema_1

    from mpoffice_tui.sync import conflicts

    a, b, pid, ref = pair
    neighbour = next(r.id for r in constituents.search(a, "Bystander"))
    constituents.update(a, neighbour, phone="1")
    constituents.update(b, neighbour, phone="2")
    exchange(a, b)
    assert len(conflicts.list_conflicts(a)) == 1
    as_schema_1(a)
    path = a.path
    a.close()
    a = open_office(path, PASSPHRASE)
    try:
        constituents.update(a, neighbour, phone="3")  # A has seen both values
        exchange(a, b)
        assert conflicts.list_conflicts(a) == conflicts.list_conflicts(b) == []
    finally:
        a.close()
