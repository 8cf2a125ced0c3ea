"""Roles enforced in services: the matrix, and a volunteer refused by every route of issue 7."""

from __future__ import annotations

import pytest
from dp_data import add_staff, plant

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import PermissionDenied
from mpoffice_tui.services import access, audit, consent, retention, sar_pack, sar_requests, staff, transfer


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
            lambda: sar_pack.build_pack(vol, p.subject_id, tmp_path / "pack"),
            lambda: sar_pack.build_pack(vol, p.subject_id, tmp_path / "pack", include_confidential=True),
            lambda: sar_requests.new_request(vol, p.subject_id),
            lambda: sar_requests.list_requests(vol),
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
        sar_pack.build_pack(cw, p.subject_id, tmp_path / "pack")
        assert (tmp_path / "pack" / "send" / "information-held.pdf").exists()
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


# -- confidential notes, safety details, consent and interests through the casework services ----------
SAFETY = "SAFETYSECRET: threatened staff with a knife"


def _volunteer_office(office, office_path):
    """A planted office with a safety caution on the subject and on the third party, and a volunteer."""
    from mpoffice_tui.services import constituents

    p = plant(office)
    constituents.update(office, p.subject_id, safety_caution=True, safety_details=SAFETY)
    constituents.update(office, p.third_id, safety_caution=True, safety_details=SAFETY)
    add_staff(office, "Vera Volunteer", "volunteer", "volunteer pass")
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    return p


def _events(path, action: str) -> list[tuple]:
    mgr = open_office(path, PASSPHRASE)
    try:
        with mgr.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT s.name, a.target, a.detail FROM audit_events a LEFT JOIN staff s ON s.id = a.staff_id "
                "WHERE a.action = ? ORDER BY a.at", (action,)).fetchall()
    finally:
        mgr.close()


def test_volunteer_sees_no_confidential_note_or_safety_details_by_any_route(office, office_path, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from mpoffice_tui.services import cases, constituents

    p = _volunteer_office(office, office_path)
    vol = open_office(office_path, "volunteer pass")
    try:
        for detail in (cases.get_case(vol, p.case_ref), cases.get_case(vol, p.case_ref, viewer_role="manager")):
            conf = [i for i in detail.timeline if i.id == p.confidential_note_id][0]
            assert conf.confidential and conf.redacted and conf.body == ""  # a wider viewer_role changes nothing
            assert detail.constituent.safety_caution and detail.constituent.safety_details is None
            assert detail.raised_by.safety_caution and detail.raised_by.safety_details is None
            assert detail.constituent.flags[0] == "SAFETY CAUTION"  # the flag shows; its details do not
            text = repr(detail.as_dict())
            assert "CONFSECRET" not in text and "SAFETYSECRET" not in text
        view = constituents.get(vol, p.subject_id)
        assert view.person.safety_caution and view.person.safety_details is None
        assert "SAFETY CAUTION" in view.flags and "SAFETYSECRET" not in repr(view.as_dict())
        with pytest.raises(PermissionDenied, match="record consent"):
            consent.record(vol, p.subject_id, "written")
        with pytest.raises(PermissionDenied, match="safety flags"):  # cannot overwrite what they cannot read
            constituents.update(vol, p.subject_id, safety_details="")
        constituents.update(vol, p.subject_id, phone="01632 960002")  # ordinary edits still work
        with pytest.raises(PermissionDenied):
            sar_pack.build_pack(vol, p.subject_id, tmp_path / "pack", include_confidential=True)
    finally:
        vol.close()
    assert not (tmp_path / "pack").exists()
    pw = tmp_path / "vol.txt"
    pw.write_text("volunteer pass\n")
    r = subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path), "--passphrase-file",
                        str(pw), "case", p.case_ref, "--json"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MPOFFICE_NO_KEYRING": "1"})
    assert r.returncode == 0, r.stderr
    assert "CONFSECRET" not in r.stdout and "SAFETYSECRET" not in r.stdout
    data = json.loads(r.stdout)
    conf = [i for i in data["timeline"] if i["id"] == p.confidential_note_id][0]
    assert conf["redacted"] and conf["body"] == ""
    assert data["constituent"]["safety_caution"] is True and data["constituent"]["safety_details"] is None
    assert _events(office_path, "note.view_confidential") == []  # nothing was shown, so nothing audited
    mgr = open_office(office_path, PASSPHRASE)
    try:  # the refused edit changed nothing
        assert constituents.get(mgr, p.subject_id).person.safety_details == SAFETY
    finally:
        mgr.close()


def test_confidential_views_by_a_caseworker_are_audited(office, office_path):
    from mpoffice_tui.services import cases, constituents

    p = _volunteer_office(office, office_path)
    cw = open_office(office_path, "caseworker pass")
    try:
        detail = cases.get_case(cw, p.case_ref)
        conf = [i for i in detail.timeline if i.id == p.confidential_note_id][0]
        assert conf.body.startswith("CONFSECRET") and not conf.redacted
        assert detail.constituent.safety_details == SAFETY
        assert constituents.get(cw, p.subject_id).person.safety_details == SAFETY
        cases.get_case(cw, p.old_case_ref)  # no confidential note on it: nothing to audit
        cases.get_case(cw, p.case_ref, viewer_role="volunteer")  # a volunteer's view: nothing shown
        consent.record(cw, p.subject_id, "written", given_by="Marjorie Quill")
    finally:
        cw.close()
    assert _events(office_path, "note.view_confidential") == [
        ("Carl Caseworker", f"case:{p.case_id}", f"1 confidential note(s): {p.confidential_note_id}")]


def test_volunteer_sees_only_their_own_interests(office, office_path):
    from mpoffice_tui.services import interests

    ann = interests.add_entry(office, staff="Ann Manager", kind="gift", source="Lobby Ltd", value_pence=60_000,
                              received_on="2025-03-01")
    add_staff(office, "Vera Volunteer", "volunteer", "volunteer pass")
    office.close()
    vol = open_office(office_path, "volunteer pass")
    try:
        mine = interests.add_entry(vol, staff="Vera Volunteer", kind="gift", source="Tickets plc",
                                   value_pence=40_000, received_on="2025-04-01")
        assert [e.id for e in interests.list_entries(vol)] == [mine.id]
        assert [e.id for e in interests.list_entries(vol, staff="vera volunteer")] == [mine.id]
        assert [v.staff_name for v in interests.check(vol)] == ["Vera Volunteer"]
        refused = [
            lambda: interests.list_entries(vol, staff="Ann Manager"),
            lambda: interests.check(vol, staff="Ann Manager", year=2025),
            lambda: interests.add_entry(vol, staff="Ann Manager", kind="gift", source="X", value_pence=1,
                                        received_on="2025-01-01"),
        ]
        for call in refused:
            with pytest.raises(PermissionDenied, match="other people's interests"):
                call()
        with pytest.raises(PermissionDenied):
            interests.mark_not_advantaged(vol, ann.id, "sneaky")
    finally:
        vol.close()
    mgr = open_office(office_path, PASSPHRASE)
    try:
        assert sorted(e.staff_name for e in interests.list_entries(mgr)) == ["Ann Manager", "Vera Volunteer"]
        assert not any(e.not_advantaged for e in interests.list_entries(mgr))
    finally:
        mgr.close()


def test_erasure_blanks_a_conflict_kept_on_another_replica(office, tmp_path):
    """A concurrent edit kept as a conflict on replica B loses its value when A's erasure arrives."""
    from dp_data import MARKER, scan_for

    from mpoffice_tui.db.models import Case
    from mpoffice_tui.sync import bundle, enrol

    p = plant(office)
    (tmp_path / "share").mkdir()
    inv = enrol.invite(office, tmp_path / "share")
    enrol.join(inv.path, inv.passphrase, tmp_path / "b" / "b.mpo")
    b = open_office(tmp_path / "b" / "b.mpo", PASSPHRASE)
    try:
        for o, who in ((office, "A"), (b, "B")):  # the same field, edited on both without seeing each other
            with o.writing() as w:
                w.update(w.get(Case, p.case_id), title=f"{who} {MARKER} title")
        bundle.import_bundle(b, bundle.export_bundle(office, tmp_path / "a1.mposync").path)
        with b.engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT loser_value FROM conflict WHERE row_id = ? AND resolved = 0",
                                        (p.case_id,)).fetchall()
        assert len(kept) == 1 and MARKER in kept[0][0]  # B holds the losing title as a conflict
        retention.erase(office, [f"case:{p.case_id}"], reason="request", confirm=True)  # A never saw B's edit
        got = bundle.import_bundle(b, bundle.export_bundle(office, tmp_path / "a2.mposync").path)
        assert got.scrubbed
        with b.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT loser_value, resolved FROM conflict WHERE row_id = ?",
                                        (p.case_id,)).fetchall() == [("null", 1)]
        assert not [h for h in scan_for(b, MARKER) if h.startswith("conflict.")]
    finally:
        b.close()


def test_only_a_manager_changes_the_office_settings(office, office_path):
    """The settings sign every letter and reply (the MP's name, the From address): not a caseworker's."""
    from mpoffice_tui.services import settings

    settings.change(office, "office_email", "casework@example.org")  # the office's creator is its manager
    add_staff(office, "Cara Caseworker", "caseworker", "caseworker pass")
    office.close()
    worker = open_office(office_path, "caseworker pass")
    try:
        with pytest.raises(PermissionDenied, match="a caseworker cannot change the office's settings"):
            settings.change(worker, "office_email", "me@example.org")
        assert settings.get(worker, "office_email") == "casework@example.org"
    finally:
        worker.close()
