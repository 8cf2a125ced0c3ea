"""Sync between two real replicas (invite/join on SQLCipher files): bundles, refusals, conflicts, erasure."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sync_helpers import copy_db

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import Constituent, Note
from mpoffice_tui.sync import auto, bundle, conflicts, enrol, erase, status

INVITE = "one-time invitation words"


@pytest.fixture(scope="module")
def pair_template(tmp_path_factory):
    """A and its replica B, made once by a real invite and join (closed files)."""
    from mpoffice_tui.db.engine import create_office

    root = tmp_path_factory.mktemp("pair")
    a = create_office(root / "a.mpo", office_name="Office of Jane Smith MP", mp_name="Jane Smith MP",
                      staff_name="Ann Manager", passphrase=PASSPHRASE).office
    with a.writing() as w:
        w.insert(Constituent, forenames="Jo", surname="Bloggs", phone="01632 960100")
    inv = enrol.invite(a, root, passphrase=INVITE, label="laptop")
    enrol.join(inv.path, INVITE, root / "b.mpo")
    a.close()
    return root


@pytest.fixture
def pair(pair_template, tmp_path):
    """(A, B): private open copies of the template pair."""
    copy_db(pair_template / "a.mpo", tmp_path / "a" / "a.mpo")
    copy_db(pair_template / "b.mpo", tmp_path / "b" / "b.mpo")
    a = open_office(tmp_path / "a" / "a.mpo", PASSPHRASE)
    b = open_office(tmp_path / "b" / "b.mpo", PASSPHRASE)
    yield a, b
    a.close()
    b.close()


def _row(office, model, row_id):
    with office.read() as s:
        return s.get(model, row_id)


def _ids(office, model):
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM {model.__tablename__} ORDER BY id")]


def _fingerprint(office, *, skip: tuple[str, ...] = ()) -> str:
    """Everything in the database that matters: every table's rows (shared and local), less `skip`."""
    h = hashlib.sha256()
    with office.engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%' ORDER BY name")]
        for t in tables:
            if t in skip:
                continue
            for row in conn.exec_driver_sql(f'SELECT * FROM "{t}" ORDER BY 1'):
                h.update(repr(row).encode())
    return h.hexdigest()


def test_join_copies_the_office_and_staff_passphrases_work(pair):
    a, b = pair
    assert b.office_id == a.office_id and b.site_id != a.site_id
    assert (a.site_code, b.site_code) == ("A", "B")
    assert b.staff_id == a.staff_id  # unlocked with the same staff passphrase slot
    cid = _ids(a, Constituent)[0]
    assert _row(b, Constituent, cid).surname == "Bloggs"


def test_enrolment_file_has_no_plaintext_and_wrong_passphrase_creates_nothing(pair, tmp_path):
    office = pair[0]
    with office.writing() as w:
        w.insert(Constituent, forenames="Zebedee", surname="Quartermaine")
    inv = enrol.invite(office, tmp_path, passphrase=INVITE)
    data = inv.path.read_bytes()
    for secret in (b"Quartermaine", b"Zebedee", office.data_key, office.name.encode()):
        assert secret not in data
    with pytest.raises(bundle.BundleRefused, match="wrong invitation passphrase"):
        enrol.join(inv.path, "not the passphrase", tmp_path / "c.mpo")
    assert not (tmp_path / "c.mpo").exists()


def test_edits_on_both_machines_converge(pair, tmp_path):
    a, b = pair
    cid = _ids(a, Constituent)[0]
    with a.writing() as w:
        w.update(w.get(Constituent, cid), town="Leeds")
        case_note = w.insert(Note, case_id="case-1", body="from A")
    with b.writing() as w:
        w.update(w.get(Constituent, cid), phone="0200")
        w.insert(Note, case_id="case-1", body="from B")
    ea, eb = bundle.export_bundle(a, tmp_path), bundle.export_bundle(b, tmp_path)
    assert bundle.import_bundle(b, ea.path).new == ea.ops
    assert bundle.import_bundle(a, eb.path).new == eb.ops
    for o in (a, b):
        row = _row(o, Constituent, cid)
        assert (row.town, row.phone) == ("Leeds", "0200")
        assert len(_ids(o, Note)) == 2
    assert _row(b, Note, case_note.id).body == "from A"
    # replaying an old bundle changes nothing
    before = _fingerprint(b, skip=("office_meta", "peer"))  # (bookkeeping: when it last imported)
    assert bundle.import_bundle(b, ea.path).new == 0
    assert _fingerprint(b, skip=("office_meta", "peer")) == before


def test_bundle_holds_no_plaintext(pair, tmp_path):
    a, _ = pair
    with a.writing() as w:
        w.insert(Constituent, forenames="Evangeline", surname="Throckmorton", email="e.t@example.org")
    data = bundle.export_bundle(a, tmp_path).path.read_bytes()
    for secret in (b"Throckmorton", b"Evangeline", b"example.org", b"Bloggs"):
        assert secret not in data


def test_lost_bundle_is_made_good_by_the_next(pair, tmp_path):
    a, b = pair
    cid = _ids(a, Constituent)[0]
    with a.writing() as w:
        w.update(w.get(Constituent, cid), town="York")
    bundle.export_bundle(a, tmp_path / "lost.mposync")  # never delivered
    with a.writing() as w:
        w.update(w.get(Constituent, cid), postcode="YO1 7HH")
    second = bundle.export_bundle(a, tmp_path / "second.mposync")
    bundle.import_bundle(b, second.path)
    row = _row(b, Constituent, cid)
    assert (row.town, row.postcode) == ("York", "YO1 7HH")


def _bad_copy(src: Path, dst: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    elif how == "flip_header":
        data[12] ^= 0x01
    elif how == "cut":
        data = data[:-1]
    elif how == "empty":
        data = bytearray()
    elif how == "garbage":
        data = bytearray(os.urandom(400))
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("how,message", [
    ("flip", "authenticity"), ("flip_header", "damaged|authenticity|another office|unknown format"),
    ("cut", "authenticity"), ("empty", "empty"), ("garbage", "not an mpoffice sync bundle"),
])
def test_bad_bundles_are_refused_and_change_nothing(pair, tmp_path, how, message):
    a, b = pair
    cid = _ids(a, Constituent)[0]
    with a.writing() as w:
        w.update(w.get(Constituent, cid), surname="Changed")
    good = bundle.export_bundle(a, tmp_path / "good.mposync")
    bad = _bad_copy(good.path, tmp_path / f"{how}.mposync", how)
    before = _fingerprint(b)
    with pytest.raises(bundle.BundleRefused, match=message):
        bundle.import_bundle(b, bad)
    assert _fingerprint(b) == before
    assert bundle.import_bundle(b, good.path).new == 1  # the good one still applies


def test_bundle_from_another_office_is_refused(pair, tmp_path):
    from mpoffice_tui.db.engine import create_office

    a, b = pair
    other = create_office(tmp_path / "other" / "o.mpo", office_name="Other", mp_name="X", staff_name="Y",
                          passphrase=PASSPHRASE).office
    try:
        foreign = bundle.export_bundle(other, tmp_path / "foreign.mposync")
    finally:
        other.close()
    before = _fingerprint(b)
    with pytest.raises(bundle.BundleRefused, match="another office"):
        bundle.import_bundle(b, foreign.path)
    assert _fingerprint(b) == before


def test_retired_machine_is_refused_everywhere(pair, tmp_path):
    a, b = pair
    with b.writing() as w:
        w.insert(Constituent, forenames="Late", surname="Change")
    from_b = bundle.export_bundle(b, tmp_path / "from_b.mposync")
    enrol.retire(a, "B")
    before = _fingerprint(a)
    with pytest.raises(bundle.BundleRefused, match="retired"):
        bundle.import_bundle(a, from_b.path)
    assert _fingerprint(a) == before
    assert any(p.retired for p in status.summary(a).peers)


def test_concurrent_edits_keep_a_conflict_and_resolve_everywhere(pair, tmp_path):
    a, b = pair
    cid = _ids(a, Constituent)[0]
    with a.writing() as w:
        w.update(w.get(Constituent, cid), surname="Smith")
    with b.writing() as w:
        w.update(w.get(Constituent, cid), surname="Smyth")
    bundle.import_bundle(b, bundle.export_bundle(a, tmp_path).path)
    bundle.import_bundle(a, bundle.export_bundle(b, tmp_path).path)
    shown = {_row(a, Constituent, cid).surname, _row(b, Constituent, cid).surname}
    assert len(shown) == 1
    ca, cb = conflicts.list_conflicts(a), conflicts.list_conflicts(b)
    assert [c.id for c in ca] == [c.id for c in cb] and len(ca) == 1
    assert {ca[0].this_value, ca[0].that_value} == {"Smith", "Smyth"}
    assert "1 conflict" in status.summary(a).status_line
    conflicts.resolve(b, cb[0].id, "that")
    kept = cb[0].that_value
    assert _row(b, Constituent, cid).surname == kept and not conflicts.list_conflicts(b)
    bundle.import_bundle(a, bundle.export_bundle(b, tmp_path).path)
    assert _row(a, Constituent, cid).surname == kept and not conflicts.list_conflicts(a)


def test_erasure_blanks_the_row_and_its_history_on_every_machine(pair, tmp_path):
    a, b = pair
    cid = _ids(a, Constituent)[0]
    with a.writing() as w:
        w.update(w.get(Constituent, cid), email="jo@example.org")
    bundle.import_bundle(b, bundle.export_bundle(a, tmp_path).path)
    with b.writing() as w:  # a concurrent, older edit that arrives after the erasure
        w.update(w.get(Constituent, cid), phone="07700 900123")
    erase(a, "constituents", cid)
    bundle.import_bundle(a, bundle.export_bundle(b, tmp_path).path)
    bundle.import_bundle(b, bundle.export_bundle(a, tmp_path).path)
    for o in (a, b):
        row = _row(o, Constituent, cid)
        assert (row.surname, row.forenames, row.email, row.phone) == ("", "", None, None)
        with o.engine.connect() as conn:
            history = " ".join(r[0] for r in conn.exec_driver_sql("SELECT value FROM ops WHERE row_id = ?",
                                                                   (cid,)))
        for secret in ("Bloggs", "jo@example.org", "07700", "01632 960100"):
            assert secret not in history


def test_sync_folder_round_trip_and_offline(pair, tmp_path):
    a, b = pair
    folder = tmp_path / "shared"
    assert not auto.sync_folder_once(a, folder).online  # not there yet: offline
    assert status.summary(a).status_line.startswith("offline")
    folder.mkdir()
    with a.writing() as w:
        w.insert(Constituent, forenames="Via", surname="Folder")
    assert auto.sync_folder_once(a, folder).exported >= 1
    got = auto.sync_folder_once(b, folder)
    assert got.online and got.new_changes >= 1 and not got.refused
    assert auto.sync_folder_once(b, folder).new_changes == 0  # unchanged files are not read again
    auto.sync_folder_once(a, folder)
    assert status.summary(a).status_line.startswith("synced")
    assert sorted(_ids(a, Constituent)) == sorted(_ids(b, Constituent))


def test_read_only_folder_is_offline(pair, tmp_path):
    a, _ = pair
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        assert not auto.sync_folder_once(a, folder).online
    finally:
        folder.chmod(0o700)


def test_staff_added_or_removed_on_one_machine_reaches_the_others(pair, tmp_path):
    """Key slots travel as synced rows: a colleague added on A can unlock B after one exchange,
    and once removed on A, can no longer unlock B."""
    from mpoffice_tui.db.errors import WrongPassphrase
    from mpoffice_tui.services import staff

    a, b = pair
    staff.add(a, "Priya Shah", "caseworker", "priya's passphrase")
    bundle.import_bundle(b, bundle.export_bundle(a, tmp_path).path)
    b_path = b.path
    b.close()
    priya = open_office(b_path, "priya's passphrase")
    assert staff.current(priya).name == "Priya Shah"
    priya.close()
    staff.remove(a, "Priya Shah")
    b2 = open_office(b_path, PASSPHRASE)
    bundle.import_bundle(b2, bundle.export_bundle(a, tmp_path / "second").path)
    b2.close()
    with pytest.raises(WrongPassphrase):
        open_office(b_path, "priya's passphrase")


def test_a_message_and_its_attachment_reach_the_other_machine_byte_for_byte(pair, tmp_path):
    """Whole-row ops carry bytes (a message's raw original, an attachment) as bytes: they arrived as the
    text of a Python repr ("b'%PDF…'") before, so the other machine's copy was garbage."""
    from email.message import EmailMessage

    from sync_helpers import send

    from mpoffice_tui.db import blobs
    from mpoffice_tui.db.models import Attachment, Message
    from mpoffice_tui.services import inbox

    a, b = pair
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "jo@example.org", "scan", "<bytes-1@example.org>"
    mail.set_content("attached")
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="scan.pdf")
    (tmp_path / "m.eml").write_bytes(bytes(mail))
    inbox.import_paths(a, [tmp_path / "m.eml"])
    send(a, b)
    with a.read() as s, b.read() as t:
        from sqlmodel import select

        [ma] = s.exec(select(Message)).all()
        [mb] = t.exec(select(Message)).all()
        assert mb.raw_hash == ma.raw_hash and blobs.read(b, mb.raw_hash) == blobs.read(a, ma.raw_hash)
        assert isinstance(blobs.read(b, mb.raw_hash), bytes) and b"Message-ID: <bytes-1@" in blobs.read(b, mb.raw_hash)
        [att_b] = t.exec(select(Attachment)).all()
        assert blobs.read(b, att_b.blob_hash) == pdf and att_b.filename == "scan.pdf"
