"""Sync bundles are streamed: sealed chunks, all authenticated before anything is applied, bounded memory."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import tracemalloc
from pathlib import Path

import pytest

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import Note
from mpoffice_tui.sync import bundle, enrol, state


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """A (with 400 notes of 53 KB of incompressible text) and its replica B, made by invite and join."""
    from mpoffice_tui.db.engine import create_office

    root = tmp_path_factory.mktemp("stream")
    a = create_office(root / "a.mpo", office_name="Office", mp_name="MP", staff_name="Ann Manager",
                      passphrase=PASSPHRASE).office
    inv = enrol.invite(a, root, passphrase="one-time invitation words")
    enrol.join(inv.path, "one-time invitation words", root / "b.mpo")
    with a.writing() as w:
        w.insert_many(Note, [{"case_id": "case-1", "body": f"note {i} " + base64.b64encode(os.urandom(40_000)).decode()}
                             for i in range(400)])
    a.close()
    return root


@pytest.fixture
def pair(replicas, tmp_path):
    for name in ("a", "b"):
        for suffix in ("", ".keys"):
            shutil.copyfile(replicas / f"{name}.mpo{suffix}", tmp_path / f"{name}.mpo{suffix}")
    a, b = open_office(tmp_path / "a.mpo", PASSPHRASE), open_office(tmp_path / "b.mpo", PASSPHRASE)
    yield a, b
    a.close()
    b.close()


def _notes(office) -> dict[str, str]:
    with office.engine.connect() as conn:
        return {r[0]: r[1] for r in conn.exec_driver_sql("SELECT id, body FROM notes")}


def _fingerprint(office) -> str:
    h = hashlib.sha256()
    with office.engine.connect() as conn:
        for t in ("ops", "notes", "peer", "field_head"):
            for row in conn.exec_driver_sql(f'SELECT * FROM "{t}" ORDER BY 1, 2'):
                h.update(repr(row).encode())
    return h.hexdigest()


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    """(everything before the first chunk, [each chunk with its flag, length and nonce])."""
    (size,) = struct.unpack(">I", data[8:12])
    pos = 12 + size
    prefix, chunks = data[:pos], []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        chunks.append(data[pos:pos + 17 + length])
        pos += 17 + length
    return prefix, chunks


def test_a_large_bundle_spans_chunks_and_arrives_whole(pair, tmp_path):
    a, b = pair
    sent = bundle.export_bundle(a, tmp_path / "big.mposync")
    data = sent.path.read_bytes()
    prefix, chunks = _split(data)
    assert data.startswith(bundle.MAGIC) and len(chunks) >= 5
    assert [c[0] for c in chunks] == [0] * (len(chunks) - 1) + [1]  # only the last is flagged last
    assert b"note 1" not in data
    got = bundle.import_bundle(b, sent.path)
    assert got.new == sent.ops and _notes(b) == _notes(a)


def _tampered(data: bytes) -> dict[str, bytes]:
    prefix, chunks = _split(data)
    flipped = bytearray(chunks[1])
    flipped[40] ^= 1
    unflagged = bytes([0]) + chunks[-1][1:]
    head = json.loads(prefix[12:])
    head["ops"] = 1
    new_head = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
    return {
        "last chunk dropped": prefix + b"".join(chunks[:-1]),
        "chunks swapped": prefix + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "a chunk repeated": prefix + chunks[0] + b"".join(chunks),
        "bytes after the end": data + b"\x00" * 17,
        "a bit flipped in a chunk": prefix + chunks[0] + bytes(flipped) + b"".join(chunks[2:]),
        "the last flag removed": prefix + b"".join(chunks[:-1]) + unflagged,
        "the header rewritten": prefix[:8] + struct.pack(">I", len(new_head)) + new_head + b"".join(chunks),
        "cut in the middle": data[:len(data) // 2],
    }


def test_a_tampered_streamed_bundle_changes_nothing(pair, tmp_path):
    a, b = pair
    good = bundle.export_bundle(a, tmp_path / "good.mposync")
    before = _fingerprint(b)
    for how, data in _tampered(good.path.read_bytes()).items():
        bad = tmp_path / "bad.mposync"
        bad.write_bytes(data)
        with pytest.raises(bundle.BundleRefused, match="authenticity|damaged|truncated"):
            bundle.import_bundle(b, bad)
        assert _fingerprint(b) == before, how
    assert bundle.import_bundle(b, good.path).new == good.ops


def test_format_1_bundles_are_still_read(pair, tmp_path):
    a, b = pair
    with a.engine.connect() as conn:
        ops = state.ops_since(conn, {})
        vec = state.vector(conn)
    header = {"format": bundle.FORMAT_V1, "office": a.office_id, "site": a.site_id, "code": a.site_code,
              "vector": vec, "created": "2026-01-01T00:00:00Z", "ops": len(ops)}
    old = tmp_path / "old.mposync"
    old.write_bytes(bundle.seal(a.derive_key(bundle.KEY_INFO), header, bundle.encode_ops(ops), bundle.MAGIC_V1))
    assert bundle.import_bundle(b, old).new > 0 and _notes(b) == _notes(a)


def test_import_and_export_run_in_bounded_memory(pair, tmp_path, monkeypatch):
    a, b = pair
    monkeypatch.setattr(bundle, "APPLY_BATCH_BYTES", 1 << 20)
    with a.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT sum(length(value)) FROM ops").scalar()
    assert total > 20_000_000
    tracemalloc.start()
    try:
        sent = bundle.export_bundle(a, tmp_path / "m.mposync")
        export_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        bundle.import_bundle(b, sent.path)
        import_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a whole-file reader holds the file, its plaintext and every op at once: several times `total`
    assert export_peak < total * 0.5 and import_peak < total * 0.7, (export_peak, import_peak, total)
    assert _notes(b) == _notes(a)


def test_the_file_is_owner_only_and_appears_whole(pair, tmp_path):
    a, _ = pair
    old = os.umask(0)
    try:
        sent = bundle.export_bundle(a, tmp_path)
    finally:
        os.umask(old)
    assert sent.path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in Path(tmp_path).glob("*.mposync*")] == [sent.path.name]  # no temp file left
