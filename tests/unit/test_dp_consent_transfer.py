"""Consent and third-party permission; transfer of cases by postcode."""

from __future__ import annotations

import json

import pytest
from dp_data import MARKER, plant, scan_for
from pdf_reading import pdf_text

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import consent, transfer


def test_case_raised_on_behalf_needs_permission_until_recorded(office):
    p = plant(office)
    st = consent.case_status(office, p.case_ref)
    assert st.raised_on_behalf and st.needs_permission
    assert consent.cases_needing_permission(office) == [p.case_ref]
    consent.record(office, p.subject_id, "implied", case=p.case_ref)  # implied consent is not permission
    assert consent.case_status(office, p.case_ref).needs_permission
    consent.record(office, p.subject_id, "third_party_permission", case=p.case_ref, given_by="Marjorie Quill",
                   given_on="2024-03-02", details="signed form")
    st = consent.case_status(office, p.case_ref)
    assert not st.needs_permission and sorted(c.kind for c in st.consents) == ["implied", "third_party_permission"]
    assert consent.cases_needing_permission(office) == []
    assert not consent.case_status(office, p.old_case_ref).raised_on_behalf
    with pytest.raises(OfficeError, match="unknown kind"):
        consent.record(office, p.subject_id, "verbal")


def test_select_by_postcode_district_sector_and_full(office):
    p = plant(office)
    for codes in (["ab1 2cd"], ["AB1"], ["AB1 2"], ["ZZ1", "AB12CD"]):
        assert [c.ref for c in transfer.select_cases(office, codes)] == [p.case_ref], codes
    assert [c.ref for c in transfer.select_cases(office, ["AB1"], include_closed=True)] == [p.old_case_ref, p.case_ref]
    assert transfer.select_cases(office, ["AB2"]) == []
    assert transfer.select_cases(office, ["AB1 3"]) == []


def test_transfer_exports_packs_then_erases(office, tmp_path):
    p = plant(office)
    with pytest.raises(OfficeError):
        transfer.transfer(office, ["AB1"], tmp_path / "t", then="erase", include_closed=True)  # not confirmed
    assert not (tmp_path / "t").exists()
    done = transfer.transfer(office, ["AB1"], tmp_path / "t", then="erase", include_closed=True, confirm=True)
    assert done.people == 1 and set(done.cases) == {p.case_ref, p.old_case_ref}
    data = json.loads((tmp_path / "t" / p.subject_id / "send" / "information-held.json").read_text(encoding="utf-8"))
    assert data["purpose"] == "transfer" and len(data["cases"]) == 2
    assert "CONFSECRET" in pdf_text(tmp_path / "t" / p.subject_id / "send" / "information-held.pdf")
    assert (tmp_path / "t" / "index.html").exists()
    assert scan_for(office, MARKER) == [] and scan_for(office, "CONFSECRET") == []
    with office.engine.connect() as conn:
        acts = [a for (a,) in conn.exec_driver_sql("SELECT action FROM audit_events ORDER BY at")]
    assert {"transfer.pack", "transfer.export", "retention.erase"} <= set(acts)


def test_transfer_return_closes_cases(office, tmp_path):
    p = plant(office)
    transfer.transfer(office, ["AB1 2CD"], tmp_path / "t", then="return")
    with office.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status, outcome FROM cases WHERE id = ?", (p.case_id,)).fetchone() == (
            "closed", "transferred to another MP")


def test_one_consent_view_from_recording_to_the_persons_record(office):
    """A consent reads the same however it is reached: as recorded (with its scanned form), in the person's
    record and in the case's consent state (two copies of the type disagreed: the record's lacked the
    constituent, the recorded one lacked the scan)."""
    from mpoffice_tui.services import constituents

    p = plant(office)
    made = consent.record(office, p.subject_id, "written", case=p.case_ref, given_on="2024-03-02",
                          attachment_id="scan-1")
    assert made.attachment_id == "scan-1" and made.constituent_id == p.subject_id
    [seen] = constituents.get(office, p.subject_id).consents
    [in_case] = consent.case_status(office, p.case_ref).consents
    assert seen == made == in_case == consent.for_constituent(office, p.subject_id)[0]
    assert isinstance(seen, consent.ConsentView)
