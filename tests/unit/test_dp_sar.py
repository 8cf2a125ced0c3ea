"""Subject access: due dates, finding the person, and the pack (complete, escaped, redacted)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dp_data import THIRD, plant
from pdf_reading import pdf_text

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import sar, sar_pack, sar_requests


@pytest.mark.parametrize("received, due", [
    ("2025-01-15", "2025-02-15"), ("2025-01-31", "2025-02-28"), ("2024-01-31", "2024-02-29"),
    ("2025-03-31", "2025-04-30"), ("2025-12-20", "2026-01-20"), ("2025-02-28", "2025-03-28"),
])
def test_due_one_calendar_month_later(received, due):
    assert sar_requests.due_date(date.fromisoformat(received)).isoformat() == due


def test_request_new_extend_complete_and_audit(office):
    p = plant(office)
    r = sar_requests.new_request(office, "marjorie@example.org", received_on="2025-01-31")
    assert (r.constituent_id, r.due_on, r.effective_due) == (p.subject_id, "2025-02-28", "2025-02-28")
    assert r.overdue(date(2025, 3, 1)) and not r.overdue(date(2025, 2, 28))
    with pytest.raises(OfficeError, match="two further months"):
        sar_requests.extend(office, r.id, reason="complex", to="2025-05-01")
    # changed for issue 17: the limit is three calendar months after receipt (30 April), not the due date + 2
    r = sar_requests.extend(office, r.id, reason="complex")
    assert r.extended_to == "2025-04-30" and not r.overdue(date(2025, 3, 1))
    r = sar_requests.complete(office, r.id, on="2025-03-10")
    assert r.completed_on == "2025-03-10" and sar_requests.list_requests(office, open_only=True) == []
    with office.engine.connect() as conn:
        acts = [a for (a,) in conn.exec_driver_sql("SELECT action FROM audit_events WHERE action LIKE 'sar.%' "
                                                   "ORDER BY at")]
    assert acts == ["sar.new", "sar.extend", "sar.complete"]


def test_resolve_person_by_id_email_name_and_ambiguity(office):
    p = plant(office)
    assert sar.resolve_person(office, p.subject_id) == p.subject_id
    assert sar.resolve_person(office, "MARJORIE@example.org") == p.subject_id
    assert sar.resolve_person(office, "marjorie quill") == p.subject_id
    with office.writing() as w:
        w.insert(Constituent, forenames="Marjorie", surname="Quill", postcode="ZZ9 9ZZ")
    with pytest.raises(sar.PersonAmbiguous) as err:
        sar.resolve_person(office, "Marjorie Quill")
    assert len(err.value.candidates) == 2
    with pytest.raises(sar.PersonNotFound):
        sar.resolve_person(office, "Nobody Atall")


def _all_text(folder) -> str:
    return "\n".join(pdf_text(f) if f.suffix == ".pdf" else f.read_bytes().decode("utf-8", "replace")
                     for f in folder.rglob("*") if f.is_file())


def test_pack_is_complete_against_the_database(office, tmp_path):
    p = plant(office)
    pack = sar_pack.build_pack(office, p.subject_id, tmp_path / "pack")
    data = json.loads(pack.json.read_text(encoding="utf-8"))
    with office.engine.connect() as conn:
        cases = {r[0] for r in conn.exec_driver_sql("SELECT id FROM cases WHERE constituent_id = ?", (p.subject_id,))}
        assert set(pack.cases) == cases
        assert {c["reference"] for c in data["cases"]} == {p.case_ref, p.old_case_ref}  # no ids: references
        marks = ",".join("?" * len(cases))
        args = tuple(cases)
        for tbl, got in (("notes", pack.notes + pack.withheld_notes), ("letters", pack.letters)):
            want = {r[0] for r in conn.exec_driver_sql(f"SELECT id FROM {tbl} WHERE case_id IN ({marks})", args)}
            assert set(got) == want and want
        msgs = {r[0] for r in conn.exec_driver_sql(f"SELECT id FROM messages WHERE case_id IN ({marks}) "
                                                   "OR constituent_id = ?", (*args, p.subject_id))}
        assert set(pack.messages) == msgs and len(msgs) == 3
        atts = conn.exec_driver_sql("SELECT id, filename FROM attachments").fetchall()
        assert set(pack.attachments) == {a[0] for a in atts}
        n_tasks = conn.exec_driver_sql(f"SELECT count(*) FROM tasks WHERE case_id IN ({marks})", args).fetchone()[0]
    assert sum(1 for c in data["cases"] for i in c["items"] if i["what"].startswith("Action")) == n_tasks
    assert data["your_details"]["Email"] == "marjorie@example.org"
    assert len(list((pack.folder / "send" / "files").iterdir())) == 2
    text = pdf_text(pack.pdf)
    assert "Damp in flat" in text and "AB-0001" in text and "AB-0002" in text
    assert "Damp <script>alert(1)</script>" in text  # shown as written, never interpreted


def test_pack_redacts_third_parties_and_confidential_notes(office, tmp_path):
    p = plant(office)
    pack = sar_pack.build_pack(office, p.subject_id, tmp_path / "pack")
    sent = _all_text(tmp_path / "pack" / "send")
    for secret in (*THIRD.values(), "Zebedee Thirdpartyson", "Olive Officerton", "olive.officerton",
                   "01632 960999", "CONFSECRET"):
        assert secret.lower() not in sent.lower(), secret
    checklist = pack.checklist.read_text(encoding="utf-8")
    assert sar_pack.REDACTED in sent and "CONFIDENTIAL NOTE" in checklist and "CONFSECRET" not in checklist
    assert pack.withheld_notes == (p.confidential_note_id,)
    assert {pr.kind for pr in pack.proposals} >= {"name", "phone", "sender"}
    # the subject's own details and the agency's name survive redaction
    assert "Marjorie" in sent and "Borsetshire Council" in sent
    # without redaction (reviewed on purpose), they are there
    sar_pack.build_pack(office, p.subject_id, tmp_path / "full", redact=False, include_confidential=True)
    full = _all_text(tmp_path / "full")
    assert "Zebedee Thirdpartyson" in full and "CONFSECRET" in full
    with office.engine.connect() as conn:
        acts = [a for (a,) in conn.exec_driver_sql("SELECT action FROM audit_events WHERE action IN "
                                                   "('sar.pack', 'note.view_confidential') ORDER BY at, rowid")]
    assert acts == ["sar.pack", "sar.pack", "note.view_confidential"]


def test_pack_refuses_a_folder_in_use(office, tmp_path):
    p = plant(office)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(OfficeError, match="new or empty folder"):
        sar_pack.build_pack(office, p.subject_id, tmp_path / "busy")
