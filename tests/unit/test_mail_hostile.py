"""Mail import in bounded memory: mbox streamed, batches by size, an audit event with every batch."""

from __future__ import annotations

import os
import tracemalloc
from email.message import EmailMessage

import pytest

from mpoffice_tui.importers.mail import readers
from mpoffice_tui.services import inbox


def _message(i: int, attachment: int = 0) -> bytes:
    m = EmailMessage()
    m["From"] = f"Person {i} <p{i}@example.org>"
    m["To"] = "mp@example.org"
    m["Subject"] = f"Message {i}"
    m["Message-ID"] = f"<hostile{i}@example.org>"
    m.set_content(f"Dear MP, message number {i}.\n")
    if attachment:
        m.add_attachment(os.urandom(attachment), maintype="application", subtype="pdf", filename=f"scan{i}.pdf")
    return bytes(m)


def _mbox(messages: list[bytes]) -> bytes:
    return b"".join(b"From sender@example.org Mon Mar  3 10:00:00 2025\n" + m + b"\n" for m in messages)


def _audit(office) -> list[str]:
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT detail FROM audit_events WHERE action = 'mail.import' ORDER BY at")]


def test_each_committed_batch_has_its_audit_event(office, tmp_path, monkeypatch):
    monkeypatch.setattr(inbox, "BATCH", 3)
    box = tmp_path / "ten.mbox"
    box.write_bytes(_mbox([_message(i) for i in range(10)]))
    report = inbox.import_paths(office, [box])
    assert report.imported == 10
    details = _audit(office)
    assert len(details) == 4
    assert [d.split(" (")[0] for d in details[:3]] == [f"{n} imported so far, 0 duplicates, 0 rejected"
                                                         for n in (3, 6, 9)]
    assert details[3].startswith("10 imported, 0 duplicates, 0 rejected") and "in 4 parts" in details[3]


def test_batches_go_by_size_so_big_attachments_are_stored_a_few_at_a_time(office, tmp_path, monkeypatch):
    monkeypatch.setattr(inbox, "BATCH_BYTES", 400_000)
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(5):
        (folder / f"m{i}.eml").write_bytes(_message(i, attachment=300_000))
    assert inbox.import_paths(office, [folder]).imported == 5
    details = _audit(office)  # one batch (one transaction, one event) per message, the last one sums up
    assert len(details) == 5 and details[-1].startswith("5 imported") and "in 5 parts" in details[-1]


def test_an_oversized_message_in_an_mbox_is_skipped_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_MESSAGE_BYTES", 3000)
    box = tmp_path / "three.mbox"
    box.write_bytes(_mbox([_message(1), _message(2, attachment=5000), _message(3)]))
    items = list(readers.read_file(box))
    assert [bool(i.message) for i in items] == [True, False, True]
    assert items[1].position.startswith("message 2") and "larger than" in items[1].error
    assert items[2].message.subject == "Message 3"


def test_a_big_mbox_is_read_one_message_at_a_time(tmp_path):
    box = tmp_path / "big.mbox"
    one = _message(0, attachment=20_000)
    with open(box, "wb") as fh:
        for _ in range(800):  # about 22 MB
            fh.write(b"From sender@example.org Mon Mar  3 10:00:00 2025\n" + one + b"\n")
    size = box.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for item in readers.read_file(box) if item.message)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 800 and peak < size / 5, (peak, size)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that permissions apply to")
def test_an_unreadable_subfolder_is_reported(tmp_path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.eml").write_bytes(_message(1))
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.eml").write_bytes(_message(2))
    locked.chmod(0)
    try:
        items = list(readers.read_paths([tmp_path]))
    finally:
        locked.chmod(0o700)
    assert [i.message.subject for i in items if i.message] == ["Message 1"]
    assert [(os.path.basename(i.file), i.error) for i in items if i.error] == [
        ("locked", "cannot read the folder (Permission denied)")]
