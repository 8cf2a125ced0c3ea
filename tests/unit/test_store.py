"""The encrypted store: key slots, unlock failures, plaintext on disk, migrations."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from conftest import PASSPHRASE
from mpoffice_tui import paths
from mpoffice_tui.db import engine, keys
from mpoffice_tui.db.errors import (
    MissingKeySlots,
    NotAnOffice,
    OfficeInUse,
    OfficeNotFound,
    UnlockError,
    WrongPassphrase,
)
from mpoffice_tui.db.models import Constituent, Note
from mpoffice_tui.services import staff as staff_service

MARKER = "ZQXJMARKER-Ffiona-Ní-Bhriain-7731"


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def files_containing(folder: Path, needle: str) -> list[str]:
    hits = []
    encodings = {needle.encode("utf-8"), needle.encode("utf-16-le"), needle.encode("latin-1", "ignore")}
    for p in folder.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            if any(e and e in data for e in encodings):
                hits.append(p.name)
    return hits


def test_wrong_passphrase_is_refused_and_changes_nothing(office, office_path):
    office.close()
    before = digest(office_path.parent)
    with pytest.raises(WrongPassphrase) as err:
        engine.open_office(office_path, "not the passphrase")
    assert "wrong passphrase" in str(err.value)
    assert digest(office_path.parent) == before


def test_marker_never_reaches_disk_in_plaintext(office, office_path):
    with office.writing() as w:
        person = w.insert(Constituent, forenames="Ffiona", surname=MARKER, email="ff@example.org")
        w.update(person, preferred_name=MARKER + " pref")
    with office.writing() as w:
        w.insert(Note, case_id="none", body=f"Immigration detail for {MARKER}")
    with office.read() as s:  # the data is really there
        assert s.exec(select(Constituent).where(Constituent.surname == MARKER)).one()
    assert files_containing(office_path.parent, MARKER) == []  # while open (WAL, shm, lock, slots)
    office.close()
    assert files_containing(office_path.parent, MARKER) == []  # and after close
    reopened = engine.open_office(office_path, PASSPHRASE)
    with reopened.read() as s:
        assert s.exec(select(Constituent).where(Constituent.surname == MARKER)).one().forenames == "Ffiona"
    reopened.close()


def test_unlock_failures_have_clear_messages(office, office_path, tmp_path):
    with pytest.raises(OfficeInUse, match="already open"):
        engine.open_office(office_path, PASSPHRASE)
    office.close()
    slots = paths.keyslots_for(office_path)
    moved = slots.with_name("moved.keys")
    slots.rename(moved)
    with pytest.raises(MissingKeySlots, match="key-slot file is missing"):
        engine.open_office(office_path, PASSPHRASE)
    moved.rename(slots)
    junk = tmp_path / "junk.mpo"
    junk.write_bytes(os.urandom(8192))
    paths.keyslots_for(junk).write_text(slots.read_text())
    with pytest.raises(NotAnOffice):
        engine.open_office(junk, PASSPHRASE)
    with pytest.raises(OfficeNotFound):
        engine.open_office(tmp_path / "nowhere.mpo", PASSPHRASE)
    empty = tmp_path / "empty.mpo"
    empty.write_bytes(b"")
    with pytest.raises(NotAnOffice, match="empty"):
        engine.open_office(empty, PASSPHRASE)


def test_tampered_slot_header_does_not_open(office, office_path):
    office.close()
    slot_file = paths.keyslots_for(office_path)
    data = json.loads(slot_file.read_text())
    data["slots"][0]["label"] = "Mallory"  # bound as associated data
    slot_file.write_text(json.dumps(data))
    with pytest.raises(WrongPassphrase):
        engine.open_office(office_path, PASSPHRASE)


def test_slots_add_remove_change_and_recovery(created_office, office_path):
    office = created_office.office
    staff_service.add(office, "Bob Caseworker", "caseworker", "bobs passphrase")
    assert {s.kind for s in office.slots.slots} == {"passphrase", "recovery"}
    assert len(office.slots.slots) == 3
    office.close()
    bob = engine.open_office(office_path, "bobs passphrase")
    assert staff_service.current(bob).name == "Bob Caseworker"
    assert staff_service.current_role(bob) == "caseworker"
    staff_service.change_passphrase(bob, "bobs new passphrase")
    bob.close()
    with pytest.raises(WrongPassphrase):
        engine.open_office(office_path, "bobs passphrase")
    engine.open_office(office_path, "bobs new passphrase").close()
    code = created_office.recovery_code
    rec = engine.open_office(office_path, code.lower().replace("-", " "))
    assert rec.unlocked.slot_kind == "recovery"
    staff_service.remove(rec, "Bob Caseworker")
    rec.close()
    with pytest.raises(WrongPassphrase):
        engine.open_office(office_path, "bobs new passphrase")
    engine.open_office(office_path, PASSPHRASE).close()


def test_argon2_parameters_well_above_owasp_minimum(office):
    for slot in office.slots.slots:
        assert slot.kdf["alg"] == "argon2id"
        assert slot.kdf["m"] >= 64 * 1024 and slot.kdf["t"] >= 3


def test_no_keyring_backend_means_passphrase(office, monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("MPOFFICE_NO_KEYRING", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    keys.reset_keyring_probe()
    try:
        assert keys.usable_keyring() is None
        with pytest.raises(UnlockError, match="no usable OS keyring"):
            staff_service.remember_on_this_computer(office)
        office.close()
        assert engine.try_keyring(office.path) is None
        with pytest.raises(UnlockError, match="passphrase is needed"):
            engine.open_office(office.path, None)
    finally:
        keyring.set_keyring(previous)
        keys.reset_keyring_probe()


def test_migrations_from_empty_database_match_the_models(tmp_path):
    data_key = keys.new_data_key()
    path = tmp_path / "empty.mpo"
    conn = engine.connect_raw(path, data_key)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert engine.migrate(conn) == engine.latest_version()
    assert engine.migrate(conn) == engine.latest_version()  # idempotent
    for table in SQLModel.metadata.sorted_tables:
        cols = {r[1] for r in conn.execute(f'PRAGMA table_info("{table.name}")')}
        assert cols == {c.name for c in table.columns}, table.name
    pragmas = {name: conn.execute(f"PRAGMA {name}").fetchone()[0]
               for name in ("journal_mode", "temp_store", "cipher_page_size")}
    assert pragmas == {"journal_mode": "wal", "temp_store": 2, "cipher_page_size": "4096"}
    conn.close()
    assert not path.read_bytes().startswith(b"SQLite format 3")


def test_every_write_is_an_op_with_its_predecessor(office):
    with office.writing() as w:
        person = w.insert(Constituent, forenames="Ann", surname="Jones")
        w.update(person, surname="Jones-Evans")
        w.update(person, surname="Jones-Evans")  # no change, no op
        w.delete(person)
    with office.engine.connect() as conn:
        ops = conn.exec_driver_sql(
            "SELECT seq, field, value, prev_seq, hlc FROM ops WHERE row_id = ? ORDER BY seq",
            (person.id,)).fetchall()
    assert [o[1] for o in ops] == ["*", "surname", "deleted"]
    assert ops[1][3] == ops[0][0] and ops[2][3] == ops[0][0]  # each supersedes the head it saw
    assert json.loads(ops[1][2]) == "Jones-Evans"
    assert ops[0][4] < ops[1][4] < ops[2][4]
    with pytest.raises(ValueError, match="append-only"), office.writing() as w:
        note = w.insert(Note, case_id="x", body="first")
        w.update(note, body="edited")


def test_backup_opens_with_the_same_passphrase(office, tmp_path):
    with office.writing() as w:
        w.insert(Constituent, forenames="Backed", surname="Up")
    target = tmp_path / "backups" / "copy.mpo"
    office.backup_to(target)
    copy = engine.open_office(target, PASSPHRASE)
    with copy.read() as s:
        assert s.exec(select(Constituent).where(Constituent.surname == "Up")).one()
    assert copy.integrity_check() == []
    copy.close()
