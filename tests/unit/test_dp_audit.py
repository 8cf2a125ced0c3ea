"""The audit log: filters, and failed unlocks written at the next successful unlock."""

from __future__ import annotations

import hashlib

import pytest
from dp_data import add_staff

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import WrongPassphrase
from mpoffice_tui.services import audit, retention


def test_query_filters(office):
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    retention.set_policy(office, closed_case_years=6)
    every = audit.query(office)
    assert [r.action for r in every][:3] == ["retention.set", "staff.add", "office.create"]
    assert all(r.staff_name == "Ann Manager" for r in every)
    assert [r.action for r in audit.query(office, action="staff")] == ["staff.add"]
    assert [r.action for r in audit.query(office, action="retention.set")] == ["retention.set"]
    assert audit.query(office, action="retention.se") == []  # a prefix must end at a dot
    assert len(audit.query(office, staff="ann manager")) == len(every)
    assert audit.query(office, staff="Carl Caseworker") == []
    assert audit.query(office, since="2999-01-01") == []
    assert len(audit.query(office, until=every[0].at[:10])) == len(every)
    assert [r.action for r in audit.query(office, target="setting:")] == ["retention.set"]
    assert "staff.add" in audit.actions(office)


def test_unlock_failure_changes_no_office_file_and_is_audited_later(office, office_path):
    office.close()
    files = [office_path, office_path.with_name(office_path.name + ".keys")]
    before = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    with pytest.raises(WrongPassphrase):
        open_office(office_path, "not the passphrase")
    audit.note_unlock_failure(office_path, "wrong passphrase")  # what the CLI and app do on failure
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == before
    assert len(audit.pending_unlock_failures(office_path)) == 1
    again = open_office(office_path, PASSPHRASE)
    try:
        assert audit.flush_unlock_failures(again) == 1
        assert audit.flush_unlock_failures(again) == 0
        rows = audit.query(again, action="unlock.failed")
        assert len(rows) == 1 and rows[0].staff_id is None and "wrong passphrase" in rows[0].detail
    finally:
        again.close()
