"""Retention: policy, review list, erasure through the write path, no trace after VACUUM, replication."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dp_data import MARKER, add_staff, plant, scan_for

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import PermissionDenied
from mpoffice_tui.services import retention


def _file_bytes(path) -> bytes:
    out = b""
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            out += p.read_bytes()
    return out


def test_policy_is_audited_and_review_lists_due_cases(office):
    p = plant(office)
    assert retention.review(office) == []  # no policy: nothing is due
    retention.set_policy(office, closed_case_years=6)
    assert retention.get_policy(office).closed_case_years == 6
    due = retention.review(office, today=date(2026, 1, 1))
    assert [(i.kind, i.id, i.label) for i in due] == [("case", p.old_case_id, p.old_case_ref)]
    assert due[0].due_on == "2022-02-28"  # closed 29 Feb 2016, + 6 years, clamped
    assert retention.review(office, today=date(2022, 2, 27)) == []  # not yet due
    with office.engine.connect() as conn:
        ev = conn.exec_driver_sql("SELECT detail FROM audit_events WHERE action = 'retention.set'").fetchall()
    assert json.loads(ev[0][0])["closed_case_years"] == 6


def test_erasure_leaves_no_trace_of_the_marker(office):
    p = plant(office)
    assert len(scan_for(office, MARKER)) >= 10  # the scan sees the marker everywhere it was put
    with pytest.raises(retention.NotConfirmed):
        retention.erase(office, [f"case:{p.old_case_ref}"], reason="policy")
    assert scan_for(office, MARKER)  # nothing changed without confirmation
    retention.set_policy(office, closed_case_years=6)
    done = retention.erase(office, retention.review(office), reason="retention policy", confirm=True)
    assert done[0].rows == {"cases": 1, "notes": 1, "tasks": 1, "letters": 1, "messages": 1, "attachments": 1}
    assert scan_for(office, MARKER) == []  # rows, ops history, conflicts and FTS shadow tables
    assert MARKER.encode() not in _file_bytes(office.path)
    with office.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT deleted, title FROM cases WHERE id = ?",
                                    (p.old_case_id,)).fetchone() == (1, "")
        # the untouched case is intact, and the deletion log names tables and ids, not data
        assert conn.exec_driver_sql("SELECT title FROM cases WHERE id = ?", (p.case_id,)).fetchone()[0] == "Damp in flat"
        assert conn.exec_driver_sql("SELECT count(*) FROM ops WHERE field = '$erase'").fetchone()[0] == 6
    log = retention.deletion_log(office)
    assert log[0].target == f"case:{p.old_case_id}" and log[0].detail["reason"] == "retention policy"
    assert f"cases:{p.old_case_id}" in log[0].detail["ids"]
    assert log[0].staff_id == office.staff_id
    assert retention.review(office) == []


def test_fts_residue_needs_the_scrub(office):
    """Without the scrub, the erased word is still in the full-text index pages: the scrub matters."""
    p = plant(office)
    with office.writing() as w:
        retention.erase_rows(w, retention.case_rows(w.session.connection(), p.old_case_id))
    hits = scan_for(office, MARKER)
    assert hits and all(h.endswith("_fts_data.block") for h in hits)
    retention.scrub(office)
    assert scan_for(office, MARKER) == []


def test_anonymise_keeps_statistics_only(office):
    p = plant(office)
    retention.erase(office, [f"case:{p.old_case_ref}"], reason="stats", confirm=True, anonymise=True)
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT deleted, title, category, status, tags FROM cases WHERE id = ?",
                                   (p.old_case_id,)).fetchone()
    assert row == (0, "(anonymised)", "Benefits", "closed", "")
    assert scan_for(office, MARKER) == []


def test_erasing_a_constituent_takes_their_cases(office):
    p = plant(office)
    retention.erase(office, [f"constituent:{p.subject_id}"], reason="erasure request", confirm=True)
    for needle in ("Marjorie", "marjorie@example.org", "CONFSECRET", MARKER):
        assert scan_for(office, needle) == [], needle
    with office.engine.connect() as conn:  # the neighbour is someone else: kept
        assert conn.exec_driver_sql("SELECT surname FROM constituents WHERE id = ?",
                                    (p.third_id,)).fetchone()[0] == "Thirdpartyson"


def test_only_managers_set_retention_or_erase(office, office_path):
    p = plant(office)
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    cw = open_office(office_path, "caseworker pass")
    try:
        with pytest.raises(PermissionDenied):
            retention.set_policy(cw, closed_case_years=1)
        with pytest.raises(PermissionDenied):
            retention.erase(cw, [f"case:{p.old_case_id}"], reason="x", confirm=True)
        assert scan_for(cw, MARKER)
    finally:
        cw.close()
    mgr = open_office(office_path, PASSPHRASE)
    mgr.close()


def test_erasure_reaches_a_second_replica(office, tmp_path):
    from mpoffice_tui.sync import bundle, enrol

    p = plant(office)
    (tmp_path / "share").mkdir()
    inv = enrol.invite(office, tmp_path / "share")
    enrol.join(inv.path, inv.passphrase, tmp_path / "b" / "b.mpo")
    b = open_office(tmp_path / "b" / "b.mpo", PASSPHRASE)
    try:
        assert scan_for(b, MARKER)  # the replica holds the data
        retention.erase(office, [f"case:{p.old_case_id}"], reason="policy", confirm=True)
        sent = bundle.export_bundle(office, tmp_path / "share")
        got = bundle.import_bundle(b, sent.path)
        with b.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT deleted, title FROM cases WHERE id = ?",
                                        (p.old_case_id,)).fetchone() == (1, "")
        assert got.scrubbed  # the import brought an erasure, so it scrubbed the file by itself
        assert not retention.erasures_pending_scrub(b)
        assert scan_for(b, MARKER) == []
        assert MARKER.encode() not in _file_bytes(b.path)
        # ...and a replica that sends its own (older) ops back does not resurrect anything
        back = bundle.export_bundle(b, tmp_path / "back.mposync")
        bundle.import_bundle(office, back.path)
        assert scan_for(office, MARKER) == []
    finally:
        b.close()
