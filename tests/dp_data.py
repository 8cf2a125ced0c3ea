"""Small data-protection fixtures: a person with cases, notes, messages, letters, attachments and a
planted third party, written through the real write path (used by tests/*/test_*dp*.py)."""

from __future__ import annotations

from dataclasses import dataclass

from mpoffice_tui.db.models import (
    Attachment,
    Case,
    CaseParty,
    Constituent,
    Contact,
    Letter,
    Message,
    Note,
    Task,
)

MARKER = "zqxmarkerfortytwo"
THIRD = {"forenames": "Zebedee", "surname": "Thirdpartyson", "email": "zebedee.tp@example.net",
         "phone": "07700 900777", "address1": "9 Hidden Lane"}


@dataclass
class Planted:
    subject_id: str
    third_id: str
    case_id: str
    case_ref: str
    old_case_id: str
    old_case_ref: str
    confidential_note_id: str
    contact_id: str


def plant(office) -> Planted:
    with office.writing() as w:
        me = w.insert(Constituent, forenames="Marjorie", surname="Quill", email="marjorie@example.org",
                      phone="01632 960001", address1="1 High Street", town="Ambridge", postcode="AB1 2CD")
        tp = w.insert(Constituent, **THIRD, postcode="AB1 2CE")
        k = w.insert(Contact, organisation="Borsetshire Council", department="Housing", name="Olive Officerton",
                     email="olive.officerton@borsetshire.gov.uk", phone="01632 960999")
        case = w.insert(Case, ref="AB-0001", title="Damp in flat", category="Housing", status="open",
                        constituent_id=me.id, raised_by_id=tp.id, opened_at="2024-03-01T10:00:00Z")
        w.insert(CaseParty, case_id=case.id, contact_id=k.id, role="agency")
        w.insert(CaseParty, case_id=case.id, constituent_id=tp.id, role="neighbour")
        w.insert(Note, case_id=case.id, body="Zebedee Thirdpartyson rang on her behalf from 07700 900777.")
        conf = w.insert(Note, case_id=case.id, body="CONFSECRET: history of domestic abuse", confidential=True)
        msg = w.insert(Message, channel="email", sender_name="Marjorie Quill", sender_email="marjorie@example.org",
                       subject="Damp <script>alert(1)</script>", body_text="My neighbour Zebedee saw the mould.",
                       received_at="2024-03-01T09:00:00Z", content_hash="h1", case_id=case.id,
                       constituent_id=me.id, raw=b"From: marjorie@example.org\r\n\r\nraw")
        w.insert(Message, channel="email", sender_name="Olive Officerton",
                 sender_email="olive.officerton@borsetshire.gov.uk", subject="Re: damp",
                 body_text="We will inspect. Regards, Olive Officerton", received_at="2024-03-05T09:00:00Z",
                 content_hash="h2", case_id=case.id)
        w.insert(Attachment, message_id=msg.id, filename="photo notes.txt", content_type="text/plain",
                 data=b"Photo taken by Zebedee Thirdpartyson", size=36)
        w.insert(Letter, case_id=case.id, recipient_name="Housing", subject="Damp", body_text="Dear Sir, ...")
        w.insert(Task, case_id=case.id, title="Chase council")
        old = w.insert(Case, ref="AB-0002", title=f"Old benefits {MARKER}", category="Benefits", status="closed",
                       constituent_id=me.id, opened_at="2015-01-01T00:00:00Z", closed_at="2016-02-29T12:00:00Z",
                       tags=MARKER)
        w.insert(Note, case_id=old.id, body=f"note with {MARKER} in it")
        m2 = w.insert(Message, channel="email", sender_name="Marjorie Quill", sender_email="marjorie@example.org",
                      subject=f"benefits {MARKER}", body_text=f"body {MARKER}", received_at="2015-01-01T00:00:00Z",
                      content_hash="h3", case_id=old.id, constituent_id=me.id, raw=MARKER.encode())
        w.insert(Attachment, message_id=m2.id, filename=f"{MARKER}.txt", data=MARKER.encode() * 3, size=51)
        w.insert(Letter, case_id=old.id, recipient_name="DWP", subject=MARKER, body_text=f"letter {MARKER}")
        w.insert(Task, case_id=old.id, title=f"task {MARKER}")
    with office.writing() as w:  # an edit, so an older op holds the marker too
        w.update(w.get(Case, old.id), title=f"Old benefits claim {MARKER} (edited)")
    return Planted(me.id, tp.id, case.id, case.ref, old.id, old.ref, conf.id, k.id)


def add_staff(office, name: str, role: str, passphrase: str) -> None:
    from mpoffice_tui.services import staff

    staff.add(office, name, role, passphrase)


def scan_for(office, needle: str) -> list[str]:
    """Every (table.column) of the database, shadow tables included, whose text or bytes hold needle."""
    hits = []
    with office.engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
        for t in tables:
            cols = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{t}")')]
            for c in cols:
                n = conn.exec_driver_sql(
                    f'SELECT count(*) FROM "{t}" WHERE instr(lower(CAST("{c}" AS TEXT)), ?) > 0 '
                    f'OR instr(CAST("{c}" AS BLOB), CAST(? AS BLOB)) > 0', (needle.lower(), needle)).fetchone()[0]
                if n:
                    hits.append(f"{t}.{c}")
    return hits
