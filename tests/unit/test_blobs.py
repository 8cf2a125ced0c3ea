"""Raw mail and attachments stored once by content hash (db/blobs.py), out of the op log, carried by sync
bundles by reference; old offices and old bundles upgraded; erasure and compaction drop what nobody needs."""

from __future__ import annotations

import base64
import json
import os
import struct
from email.message import EmailMessage
from pathlib import Path

import pytest
from sync_helpers import before_blobs, exchange, send

from conftest import PASSPHRASE
from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import cases, inbox, retention
from mpoffice_tui.sync import bundle, compact, enrol, state

BIG = 10 * 1024 * 1024


def _mail(folder: Path, n: int, attachment: bytes, name: str = "scan.pdf", sender: str = "jo@example.org") -> Path:
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = sender, f"scan {n}", f"<scan-{n}@example.org>"
    mail.set_content(f"attached, message {n}")
    mail.add_attachment(attachment, maintype="application", subtype="pdf", filename=name)
    path = folder / f"m{n}.eml"
    path.write_bytes(bytes(mail))
    return path


def _count(office, sql: str, args: tuple = ()) -> int:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql(sql, args).fetchone()[0]


def _ops_hold(office, needle: bytes) -> bool:
    """Whether any op's value holds these bytes: as text, as base64 (at any alignment) or as a Python repr."""
    probes = [needle.decode("latin-1")]
    for shift in range(3):
        probes.append(base64.b64encode(needle[shift:shift + 30]).decode()[4:32])
    with office.engine.connect() as conn:
        return any(conn.exec_driver_sql("SELECT 1 FROM ops WHERE instr(value, ?) > 0 LIMIT 1", (p,)).fetchone()
                   for p in probes)


def test_the_same_attachment_in_two_messages_is_one_blob_and_no_op_holds_its_bytes(office, tmp_path):
    pdf = b"%PDF-1.4\n" + os.urandom(BIG)
    inbox.import_paths(office, [_mail(tmp_path, 1, pdf), _mail(tmp_path, 2, pdf, name="again.pdf")])
    digest = blobs.hash_of(pdf)
    assert _count(office, "SELECT count(*) FROM attachments WHERE blob_hash = ?", (digest,)) == 2
    assert _count(office, "SELECT count(*) FROM blobs WHERE hash = ?", (digest,)) == 1
    assert blobs.read(office, digest) == pdf
    # two originals (each holding the attachment in base64) and the attachment once: not 4 copies, not in ops
    stored = _count(office, "SELECT sum(length(data)) FROM blobs")
    assert 3 * BIG < stored < 4 * BIG
    assert not _ops_hold(office, pdf[1000:1100])
    with office.engine.connect() as conn:
        star = [json.loads(v) for (v,) in conn.exec_driver_sql("SELECT value FROM ops WHERE tbl = 'attachments'")]
    assert {s["blob_hash"] for s in star} == {digest} and not any("data" in s or "sha256" in s for s in star)
    [att] = cases_attachments(office)
    out = cases.export_attachment(office, att, tmp_path / "out.pdf")
    assert out.read_bytes() == pdf


def cases_attachments(office) -> list[str]:
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT id FROM attachments ORDER BY created_at LIMIT 1")]


def test_a_bundle_carries_each_blob_once_and_a_machine_that_has_it_skips_it(pair, tmp_path):
    a, b = pair
    pdf = b"%PDF-1.4\n" + os.urandom(2 * 1024 * 1024)
    inbox.import_paths(a, [_mail(tmp_path, 1, pdf), _mail(tmp_path, 2, pdf, name="copy.pdf")])
    sent = bundle.export_bundle(a, tmp_path / "one.mposync")
    assert sent.blobs == 3  # two originals and the attachment, which both messages name: once
    assert 2 * len(pdf) < sent.bytes < 3 * len(pdf) + 200_000  # each blob's bytes once, no base64 in the ops
    got = bundle.import_bundle(b, sent.path)
    assert (got.blobs, got.blobs_new) == (3, 3)
    assert blobs.read(b, blobs.hash_of(pdf)) == pdf
    with b.engine.connect() as conn:
        [raw_hash] = conn.exec_driver_sql("SELECT raw_hash FROM messages WHERE subject = 'scan 1'").fetchone()
    assert blobs.read(b, raw_hash) == inbox.raw_message(a, _id_of(a, "scan 1"))
    # a third message with the same attachment, on B: A already holds the attachment and skips storing it
    inbox.import_paths(b, [_mail(tmp_path, 3, pdf, name="third.pdf")])
    back = bundle.export_bundle(b, tmp_path / "back.mposync")
    got = bundle.import_bundle(a, back.path)
    assert got.blobs == 2 and got.blobs_new == 1  # the new original is stored; the attachment was held
    assert _count(a, "SELECT count(*) FROM blobs") == 4


def _id_of(office, subject: str) -> str:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT id FROM messages WHERE subject = ?", (subject,)).fetchone()[0]


def _fingerprint(office) -> tuple:
    with office.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*), coalesce(sum(length({c})), 0) FROM {t}").fetchone()
                     for t, c in (("ops", "value"), ("blobs", "data"), ("attachments", "blob_hash"), ("peer", "acked")))


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    (size,) = struct.unpack(">I", data[8:12])
    pos = 12 + size
    prefix, out = data[:pos], []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        out.append(data[pos:pos + 17 + length])
        pos += 17 + length
    return prefix, out


def test_a_tampered_blob_chunk_changes_nothing(pair, tmp_path):
    a, b = pair
    pdf = os.urandom(3 * 1024 * 1024)
    inbox.import_paths(a, [_mail(tmp_path, 1, pdf)])
    good = bundle.export_bundle(a, tmp_path / "good.mposync").path.read_bytes()
    prefix, chunks = _chunks(good)
    assert len(chunks) >= 4
    before = _fingerprint(b)
    for i in (1, len(chunks) // 2, len(chunks) - 2):  # chunks in the middle of the blobs' bytes
        bad = bytearray(chunks[i])
        bad[100] ^= 0x20
        path = tmp_path / f"bad{i}.mposync"
        path.write_bytes(prefix + b"".join(chunks[:i]) + bytes(bad) + b"".join(chunks[i + 1:]))
        with pytest.raises(bundle.BundleRefused, match="authenticity"):
            bundle.import_bundle(b, path)
        assert _fingerprint(b) == before
    (tmp_path / "good.mposync").write_bytes(good)
    assert bundle.import_bundle(b, tmp_path / "good.mposync").blobs_new == 2


def test_a_blob_that_does_not_match_its_hash_is_refused_whole(pair, tmp_path):
    """Even a correctly sealed bundle (the office key) whose blob bytes do not match the hash changes nothing."""
    a, b = pair
    pdf = os.urandom(50_000)
    inbox.import_paths(a, [_mail(tmp_path, 1, pdf)])
    with a.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE blobs SET data = ? WHERE hash = ?", (os.urandom(len(pdf)), blobs.hash_of(pdf)))
    before = _fingerprint(b)
    data, _ = bundle.build(a)
    with pytest.raises(bundle.BundleRefused, match="fingerprint"):
        bundle.import_bundle(b, Path("forged.mposync"), data)
    assert _fingerprint(b) == before


def test_a_format_2_bundle_from_a_machine_not_yet_upgraded_is_read_its_bytes_into_blobs(pair, tmp_path):
    a, b = pair
    pdf = b"%PDF-1.4\n" + os.urandom(100_000)
    inbox.import_paths(a, [_mail(tmp_path, 1, pdf)])
    raw = inbox.raw_message(a, _id_of(a, "scan 1"))
    with a.engine.connect() as conn:  # A's ops as a format 2 bundle of the previous version carried them
        floor = state.floor_for_export(conn, a.site_id)
        vec = state.vector(conn)
        rows = [tuple(r) for site in vec for r in conn.exec_driver_sql(
            "SELECT site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, supersedes FROM ops "
            "WHERE site = ? AND seq > ? ORDER BY seq", (site, floor.get(site, 0)))]
    old = []
    for r in rows:
        v = json.loads(r[6])
        if r[3] == "messages" and r[5] == "*":
            v = {("raw" if k == "raw_hash" else k): ({"$b64": base64.b64encode(raw).decode()} if k == "raw_hash" else x)
                 for k, x in v.items()}
        elif r[3] == "attachments" and r[5] == "*":
            v = {**{("sha256" if k == "blob_hash" else k): x for k, x in v.items()}, "data": repr(pdf)}
        old.append((*r[:6], json.dumps(v), *r[7:]))
    header = {"format": bundle.FORMAT_V2, "office": a.office_id, "site": a.site_id, "code": a.site_code,
              "vector": vec, "created": "2026-01-01T00:00:00Z", "ops": len(old)}
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    path = tmp_path / "old.mposync"
    with open(path, "wb") as fh:
        writer = bundle.SealedWriter(fh, a.derive_key(bundle.KEY_INFO), bundle.MAGIC_V2 + struct.pack(">I", len(head)) + head)
        coder, text = bundle._LineCoder(), b""
        import zlib
        for row in old:
            text += b"".join(line.encode() + b"\n" for line in coder.encode(row))
        writer.write(zlib.compress(text))
        writer.close()
    got = bundle.import_bundle(b, path)
    assert got.new == len(old)
    assert blobs.read(b, blobs.hash_of(pdf)) == pdf and inbox.raw_message(b, _id_of(b, "scan 1")) == raw
    assert not _ops_hold(b, pdf[500:600]) and not _ops_hold(b, raw[-400:-300])
    with a.engine.connect() as ca, b.engine.connect() as cb:  # the same ops as the sender's own
        q = "SELECT site, seq, field, value FROM ops WHERE tbl IN ('messages', 'attachments') ORDER BY 1, 2"
        assert ca.exec_driver_sql(q).fetchall() == cb.exec_driver_sql(q).fetchall()


def test_an_office_of_the_previous_version_moves_its_bytes_into_blobs(office, tmp_path):
    """Migration 0004 on a file in the old shape, ops written before the encoding fix (repr text) included."""
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 400
    inbox.import_paths(office, [_mail(tmp_path, 1, pdf), _mail(tmp_path, 2, pdf, name="twice.pdf")])
    with office.writing() as w:
        w.insert(Constituent, forenames="Jo", surname="Bytes")
    raw = inbox.raw_message(office, _id_of(office, "scan 1"))
    path = office.path
    conn = office.engine.raw_connection()
    try:
        before_blobs(conn.driver_connection, repr_text=True)
        db = conn.driver_connection
        assert db.execute("SELECT count(*) FROM ops WHERE value LIKE '%\"data\":\"b''%PDF%'").fetchone()[0] == 2
        # a row synced before the fix: its bytes are the text of a Python repr
        db.execute("UPDATE attachments SET data = ? WHERE filename = 'twice.pdf'", (repr(pdf),))
    finally:
        conn.close()
    office.close()
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    again = open_office(path, PASSPHRASE)
    try:
        digest = blobs.hash_of(pdf)
        assert _count(again, "SELECT count(*) FROM attachments WHERE blob_hash = ?", (digest,)) == 2
        assert _count(again, "SELECT count(*) FROM blobs") == 3
        assert blobs.read(again, digest) == pdf
        assert inbox.raw_message(again, _id_of(again, "scan 1")) == raw
        assert not _ops_hold(again, pdf[3000:3100]) and not _ops_hold(again, raw[-300:-200])
        with again.engine.connect() as conn:
            stars = [json.loads(v) for (v,) in conn.exec_driver_sql(
                "SELECT value FROM ops WHERE tbl = 'attachments' AND field = '*'")]
        assert [s["blob_hash"] for s in stars] == [digest, digest]
        wal = again.path.with_name(again.path.name + "-wal")
        assert again.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0) < size  # vacuumed
        # rebuilding the rows from the rewritten ops gives the rows the migration wrote
        from mpoffice_tui.sync.merge import rebuild_rows
        with again.engine.connect() as conn:
            keys = [(t, r) for t, r in conn.exec_driver_sql("SELECT tbl, row_id FROM ops GROUP BY 1, 2")]
            before = conn.exec_driver_sql("SELECT id, raw_hash FROM messages ORDER BY id").fetchall()
        with again.writing() as w:
            rebuild_rows(w.session.connection(), keys)
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT id, raw_hash FROM messages ORDER BY id").fetchall() == before
    finally:
        again.close()


def test_erasing_a_person_removes_their_blobs_on_every_machine(pair, tmp_path):
    a, b = pair
    secret = b"%PDF-1.4 medical letter qzblobsecret " + os.urandom(20_000)
    kept = b"%PDF-1.4 someone else's letter " + os.urandom(20_000)
    inbox.import_paths(a, [_mail(tmp_path, 1, secret, sender="pat@example.org"),
                           _mail(tmp_path, 2, kept, sender="sam@example.org")])
    with a.writing() as w:
        pat = w.insert(Constituent, forenames="Pat", surname="Gone", email="pat@example.org")
    case = cases.create_case(a, constituent_id=pat.id, title="Health", category="Health")
    inbox.file_to_case(a, _id_of(a, "scan 1"), case.ref)
    exchange(a, b)
    gone = {blobs.hash_of(secret), inbox_raw_hash(a, "scan 1")}
    assert all(blobs.has(b, h) for h in gone)
    retention.erase(a, [f"constituent:{pat.id}"], reason="request", confirm=True)
    assert not any(blobs.has(a, h) for h in gone)
    send(a, b)
    for office in (a, b):
        assert not any(blobs.has(office, h) for h in gone)
        assert blobs.read(office, blobs.hash_of(kept)) == kept  # another person's attachment stays
        with office.engine.connect() as conn:
            assert not conn.exec_driver_sql("SELECT 1 FROM blobs WHERE instr(data, ?) > 0",
                                            (b"qzblobsecret",)).fetchone()


def inbox_raw_hash(office, subject: str) -> str:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT raw_hash FROM messages WHERE subject = ?", (subject,)).fetchone()[0]


def _shown(office) -> list:
    with office.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT id, surname, phone, deleted FROM constituents ORDER BY id").fetchall()


def test_compaction_deletes_acknowledged_superseded_ops_and_machines_still_converge(pair, tmp_path):
    a, b = pair
    with a.writing() as w:
        people = [w.insert(Constituent, forenames=f"P{i}", surname="Start") for i in range(5)]
    for n in range(4):
        with a.writing() as w:
            for p in people:
                w.update(w.get(Constituent, p.id), surname=f"Name {n}", phone=f"0{n}")
    unsent = _count(a, "SELECT count(*) FROM ops WHERE field != '*' OR tbl = 'constituents'")
    compact.compact(a)  # B has acknowledged none of it: all kept (only what B started from is folded)
    assert _count(a, "SELECT count(*) FROM ops WHERE field != '*' OR tbl = 'constituents'") == unsent
    exchange(a, b)
    before = _shown(a)
    done = compact.compact(a)
    assert _count(a, "SELECT count(*) FROM ops WHERE field != '*'") == 5 * 2  # the last surname and phone
    # the first three values of surname and phone (superseded) and the five inserts (folded into their rows)
    assert done.ops_deleted >= 5 * 2 * 3 + 5
    assert _count(a, "SELECT count(*) FROM ops WHERE field = '*' AND tbl = 'constituents'") == 0
    assert _shown(a) == before
    vec = _vector(a)
    assert vec[a.site_id] == _count(a, "SELECT max(seq) FROM ops WHERE site = ?", (a.site_id,))
    # B's late bundle bringing the deleted ops again does not put them back; concurrent edits still converge
    with b.writing() as w:
        w.update(w.get(Constituent, people[0].id), surname="From B")
    with a.writing() as w:
        w.update(w.get(Constituent, people[0].id), surname="From A")
    exchange(a, b)
    assert _shown(a) == _shown(b)
    assert _count(a, "SELECT count(*) FROM conflict WHERE resolved = 0") == _count(
        b, "SELECT count(*) FROM conflict WHERE resolved = 0") == 1
    # a machine invited after compaction starts from the compacted history and converges too
    inv = enrol.invite(a, tmp_path, passphrase="one-time invitation words")
    enrol.join(inv.path, "one-time invitation words", tmp_path / "c.mpo")
    c = open_office(tmp_path / "c.mpo", PASSPHRASE)
    try:
        theirs = _vector(a)
        assert {site: n for site, n in _vector(c).items() if site in theirs} == theirs  # compacted ops count as held
        with c.writing() as w:
            w.update(w.get(Constituent, people[1].id), phone="from C")
        exchange(a, b, c)
        assert _shown(a) == _shown(b) == _shown(c)
    finally:
        c.close()


def _vector(office) -> dict:
    with office.engine.connect() as conn:
        return state.vector(conn)
