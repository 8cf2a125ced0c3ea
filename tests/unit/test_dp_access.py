"""Roles enforced in services: the matrix, and a volunteer refused by every route of issue 7."""

from __future__ import annotations

import pytest
from conftest import PASSPHRASE
from dp_data import add_staff, plant

from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import PermissionDenied
from mpoffice_tui.services import access, audit, consent, retention, sar, staff, transfer


def test_matrix():
    assert access.can("volunteer", "inbox.read") and access.can("volunteer", "call.log")
    assert access.can("volunteer", "walkin.log") and access.can("volunteer", "register.lookup")
    for action in ("note.confidential", "safety.details", "interests.others", "export", "register.bulk",
                   "staff.manage", "retention.change", "audit.read"):
        assert not access.can("volunteer", action), action
    assert access.can("caseworker", "note.confidential") and access.can("caseworker", "export")
    for action in ("staff.manage", "retention.change", "retention.erase", "audit.read", "transfer"):
        assert not access.can("caseworker", action) and access.can("manager", action) and access.can("mp", action)
    with pytest.raises(KeyError):
        access.can("manager", "no.such.action")
    with pytest.raises(PermissionDenied, match="a volunteer cannot export personal data"):
        access.require("volunteer", "export")


def test_volunteer_refused_by_every_data_protection_route(office, office_path, tmp_path):
    p = plant(office)
    add_staff(office, "Vera Volunteer", "volunteer", "volunteer pass")
    office.close()
    vol = open_office(office_path, "volunteer pass")
    try:
        assert staff.current_role(vol) == "volunteer" and access.can(vol, "call.log")
        refused = [
            lambda: sar.build_pack(vol, p.subject_id, tmp_path / "pack"),
            lambda: sar.build_pack(vol, p.subject_id, tmp_path / "pack", include_confidential=True),
            lambda: sar.new_request(vol, p.subject_id),
            lambda: sar.list_requests(vol),
            lambda: audit.query(vol),
            lambda: retention.review(vol),
            lambda: retention.set_policy(vol, closed_case_years=1),
            lambda: retention.erase(vol, [f"case:{p.case_id}"], reason="x", confirm=True),
            lambda: retention.deletion_log(vol),
            lambda: transfer.select_cases(vol, ["AB1"]),
            lambda: transfer.transfer(vol, ["AB1"], tmp_path / "t"),
            lambda: consent.record(vol, p.subject_id, "written"),
            lambda: staff.add(vol, "Eve", "manager", "sneaky pass"),
        ]
        for call in refused:
            with pytest.raises(PermissionDenied):
                call()
        assert not (tmp_path / "pack").exists() and not (tmp_path / "t").exists()
        # the casework route hides the confidential note's text from a volunteer too
        from mpoffice_tui.services import cases

        detail = cases.get_case(vol, p.case_ref)
        conf = [i for i in detail.timeline if i.id == p.confidential_note_id][0]
        assert conf.redacted and "CONFSECRET" not in conf.body
    finally:
        vol.close()


def test_caseworker_exports_but_does_not_manage(office, office_path, tmp_path):
    p = plant(office)
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    cw = open_office(office_path, "caseworker pass")
    try:
        sar.build_pack(cw, p.subject_id, tmp_path / "pack")
        assert (tmp_path / "pack" / "index.html").exists()
        with pytest.raises(PermissionDenied):
            audit.query(cw)
        with pytest.raises(PermissionDenied):
            transfer.select_cases(cw, ["AB1"])
    finally:
        cw.close()
    mgr = open_office(office_path, PASSPHRASE)
    try:
        rows = audit.query(mgr, action="sar")
        assert [(r.action, r.staff_name, r.target) for r in rows] == [
            ("sar.pack", "Carl Caseworker", f"constituent:{p.subject_id}")]
    finally:
        mgr.close()
