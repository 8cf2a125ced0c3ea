"""Issue 13, points 2 and 3: inserts every machine holds folded into their rows (the file stays small), a new
machine joining from a snapshot of the office (never the replayed history), and site codes that stay unique
when machines invite while offline."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import zlib

import pytest
from sync_helpers import INVITE, copy_db, decrypted_file, exchange

from conftest import PASSPHRASE
from mpoffice_tui import demo
from mpoffice_tui.db import engine, keys
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import SHARED_TABLES, Constituent, Message
from mpoffice_tui.sync import bundle, compact, enrol, erasure, state
from mpoffice_tui.sync.merge import rebuild_rows


def _rows(office) -> dict:
    with office.engine.connect() as conn:
        return {t: conn.exec_driver_sql(f'SELECT * FROM "{t}" ORDER BY id').fetchall() for t in SHARED_TABLES}


def _scalar(office, sql: str, args: tuple = ()):
    with office.engine.connect() as conn:
        return conn.exec_driver_sql(sql, args).scalar()


def _join(inviter, tmp_path, name: str):
    inv = enrol.invite(inviter, tmp_path, passphrase=INVITE)
    enrol.join(inv.path, INVITE, tmp_path / name / f"{name}.mpo")
    return inv, open_office(tmp_path / name / f"{name}.mpo", PASSPHRASE)


# -- folding inserts into their rows ------------------------------------------------------------------
def _rebuild_all(office) -> dict:
    keys_ = [(t, r[0]) for t, rows in _rows(office).items() for r in rows]
    with office.writing() as w:
        assert rebuild_rows(w.session.connection(), keys_) == len(keys_)
    return _rows(office)


def test_folding_the_demo_changes_no_row_and_no_rebuild_of_one(tmp_path):
    office = demo.build(tmp_path / "a.mpo", size="small", passphrase=PASSPHRASE, compact=False)
    try:
        office.close()
        copy_db(tmp_path / "a.mpo", tmp_path / "b" / "b.mpo")
        office = open_office(tmp_path / "a.mpo", PASSPHRASE)
        before = _rows(office)
        assert compact.compact(office).ops_deleted > 3000
        assert _scalar(office, "SELECT count(*) FROM ops WHERE field = '*'") == 0
        assert _scalar(office, "SELECT count(*) FROM field_head WHERE field = '*'") == 0
        assert _rows(office) == before
        unfolded = open_office(tmp_path / "b" / "b.mpo", PASSPHRASE)
        try:  # every row rebuilt from what is left (its own base, its edits) as from its whole history
            assert _rebuild_all(office) == _rebuild_all(unfolded)
        finally:
            unfolded.close()
    finally:
        office.close()


def test_an_edit_after_folding_wins_everywhere_and_the_clock_never_goes_back(pair):
    a, b = pair
    with a.writing() as w:
        p = w.insert(Constituent, forenames="Jo", surname="Start", phone="01")
    exchange(a, b)
    top = _scalar(a, "SELECT max(hlc) FROM ops")
    assert compact.compact(a).ops_deleted >= 1
    assert _scalar(a, "SELECT count(*) FROM ops WHERE row_id = ?", (p.id,)) == 0  # folded: the row is its base
    path = a.path
    a.close()
    a = open_office(path, PASSPHRASE)  # a fresh clock starts after the folded insert, not from what is left
    try:
        assert a.clock.last >= top
        with a.writing() as w:
            w.update(w.get(Constituent, p.id), surname="After")
        with b.writing() as w:  # B still holds the insert (it has not compacted)
            w.update(w.get(Constituent, p.id), phone="02")
        exchange(a, b)
        assert _rows(a)["constituents"] == _rows(b)["constituents"]
        got = [r for r in _rows(a)["constituents"] if r[0] == p.id][0]
        assert (got._mapping["surname"], got._mapping["phone"]) == ("After", "02")
        assert _scalar(a, "SELECT count(*) FROM conflict WHERE resolved = 0") == 0
    finally:
        a.close()


def test_erasure_reaches_rows_once_linked_after_compaction_and_on_a_machine_that_joins_later(office, tmp_path):
    with office.writing() as w:
        people = [w.insert(Constituent, forenames="P", surname=f"Person {i}") for i in range(3)]
        m = w.insert(Message, channel="email", subject="housing", body_text="damp", received_at="2025-01-01",
                     content_hash="h1", constituent_id=people[0].id)
    for p in people[1:]:  # refiled twice: the middle link survives only in link_history once compacted
        with office.writing() as w:
            w.update(w.get(Message, m.id), constituent_id=p.id)
    compact.compact(office)
    assert _scalar(office, "SELECT count(*) FROM ops WHERE row_id = ?", (m.id,)) == 1  # the last link only
    _, c = _join(office, tmp_path, "c")
    try:
        for replica in (office, c):
            erasure.erase(replica, "constituents", people[1].id)
            assert _scalar(replica, "SELECT count(*) FROM erased WHERE tbl = 'messages' AND row_id = ?", (m.id,)) == 1
            assert _scalar(replica, "SELECT body_text FROM messages WHERE id = ?", (m.id,)) == ""
    finally:
        c.close()


# -- joining by snapshot -------------------------------------------------------------------------------
def test_a_machine_joins_from_a_snapshot_without_the_local_data_of_the_inviter(demo_office, tmp_path):
    a = demo_office
    lone = _scalar(a, "SELECT e.elector_key FROM electors e WHERE NOT EXISTS (SELECT 1 FROM constituents c "
                      "WHERE c.elector_key = e.elector_key) ORDER BY e.id LIMIT 1")
    assert lone.encode() in decrypted_file(a)
    a.set_meta("sync.last_export_at", "2025-01-01T00:00:00Z")  # the inviter's own notes stay with it
    inv, c = _join(a, tmp_path, "c")
    try:
        data = inv.path.read_bytes()
        assert data.startswith(enrol.MAGIC)
        for secret in (a.data_key, a.name.encode(), lone.encode()):
            assert secret not in data
        assert _rows(c) == {t: rows for t, rows in _rows(a).items()} | {
            "audit_events": _rows(c)["audit_events"], "settings": _rows(c)["settings"]}
        assert _scalar(c, "SELECT count(*) FROM ops WHERE field = '*' AND tbl = 'messages'") == 0  # not replayed
        assert _scalar(c, "SELECT count(*) FROM electors") == _scalar(c, "SELECT count(*) FROM register_publication") == 0
        assert c.meta("sync.last_export_at") is None and c.site_code == inv.path.stem.split("-")[-1]
        assert lone.encode() not in decrypted_file(c)  # not in the file's free pages either
        with c.engine.connect() as conn:  # the search indexes came with it
            subject = _scalar(a, "SELECT subject FROM messages WHERE deleted = 0 ORDER BY id LIMIT 1")
            word = max(subject.split(), key=len)
            assert conn.exec_driver_sql("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                                        (f'"{word}"',)).scalar() > 0
            acked = {site: json.loads(v) for site, v in conn.exec_driver_sql("SELECT site, acked FROM peer")}
        assert acked == {a.site_id: state.vector(a.engine.connect())}
        assert c.meta(state.COMPACTED) == a.meta(state.COMPACTED)
    finally:
        c.close()


def test_then_both_machines_exchange_and_converge(pair, tmp_path):
    a, b = pair
    with a.writing() as w:
        p = w.insert(Constituent, forenames="Jo", surname="Start")
    exchange(a, b)
    compact.compact(a)
    _, c = _join(a, tmp_path, "c")
    try:
        with c.writing() as w:
            w.update(w.get(Constituent, p.id), surname="From C")
        with b.writing() as w:
            w.insert(Constituent, forenames="New", surname="From B")
        exchange(a, b, c)
        assert _rows(a)["constituents"] == _rows(b)["constituents"] == _rows(c)["constituents"]
        assert len({a.site_code, b.site_code, c.site_code}) == 3
    finally:
        c.close()


def test_an_altered_truncated_or_wrongly_unlocked_enrolment_creates_nothing(office, tmp_path):
    inv = enrol.invite(office, tmp_path, passphrase=INVITE)
    good = inv.path.read_bytes()
    target = tmp_path / "c" / "c.mpo"
    with pytest.raises(bundle.BundleRefused, match="wrong invitation passphrase"):
        enrol.join(inv.path, "not the passphrase", target)
    for name, data in (("altered", good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 1]) + good[len(good) // 2 + 1:]),
                       ("truncated", good[:-100]), ("extended", good + b"x")):
        bad = tmp_path / f"{name}.mpojoin"
        bad.write_bytes(data)
        with pytest.raises(bundle.BundleRefused, match="altered"):
            enrol.join(bad, INVITE, target)
        assert not target.exists() and not target.with_name("c.mpo.keys").exists(), name


def test_a_snapshot_from_a_newer_version_is_refused(office, tmp_path, monkeypatch):
    inv = enrol.invite(office, tmp_path, passphrase=INVITE)
    monkeypatch.setattr(engine, "latest_version", lambda: 1)
    with pytest.raises(bundle.BundleRefused, match="newer mpoffice"):
        enrol.join(inv.path, INVITE, tmp_path / "c.mpo")
    assert not (tmp_path / "c.mpo").exists()


def _format_2_file(office, folder) -> tuple:
    """An enrolment file as the previous version wrote it: the whole op history and every blob, sealed whole."""
    site, code = "01a00000-0000-7000-8000-0000000000cc", "C"
    with office.engine.connect() as conn:
        ops, vec = state.ops_since(conn, {}), state.vector(conn)
    meta = {"office_id": office.office_id, "office_name": office.name, "mp_name": "", "site_id": site,
            "data_key": base64.b64encode(office.data_key).decode(), "site_code": code, "inviter": office.site_id,
            "slots": {"office_id": office.office_id, "slots": [s.__dict__ for s in office.slots.slots]},
            "inviter_code": office.site_code, "peers": {office.site_id: vec}, "compacted": {}}
    meta_blob, ops_blob = zlib.compress(json.dumps(meta).encode()), bundle.encode_ops(ops)
    payload = struct.pack(">I", len(meta_blob)) + meta_blob + struct.pack(">Q", len(ops_blob)) + ops_blob
    salt = secrets.token_bytes(16)
    kdf = {"alg": "argon2id", "salt": base64.b64encode(salt).decode(), "m": keys.ARGON2_MEMORY_KIB,
           "t": keys.ARGON2_TIME, "p": keys.ARGON2_LANES}
    key = keys.derive(INVITE, salt, kdf["m"], kdf["t"], kdf["p"])
    path = folder / "old.mpojoin"
    path.write_bytes(bundle.seal(key, {"format": enrol.FORMAT_V2, "kdf": kdf}, payload, magic=enrol.MAGIC_V2))
    return path, len(ops)


def test_an_enrolment_file_of_the_previous_version_still_joins(office, tmp_path):
    with office.writing() as w:
        w.insert(Constituent, forenames="Jo", surname="Bloggs")
    path, count = _format_2_file(office, tmp_path)
    joined = enrol.join(path, INVITE, tmp_path / "c.mpo")
    assert joined.ops == count and joined.site_code == "C"
    c = open_office(tmp_path / "c.mpo", PASSPHRASE)
    try:
        assert _rows(c)["constituents"] == _rows(office)["constituents"]
    finally:
        c.close()


# -- site codes --------------------------------------------------------------------------------------
def test_machines_inviting_while_both_offline_never_hand_out_the_same_code(pair, tmp_path):
    a, b = pair
    inv_a = enrol.invite(a, tmp_path / "from-a" if (tmp_path / "from-a").mkdir() is None else None, passphrase=INVITE)
    inv_b = enrol.invite(b, tmp_path / "from-b" if (tmp_path / "from-b").mkdir() is None else None, passphrase=INVITE)
    assert (inv_a.site_code, inv_b.site_code) == ("C", "BA")
    enrol.join(inv_a.path, INVITE, tmp_path / "c" / "c.mpo")
    enrol.join(inv_b.path, INVITE, tmp_path / "d" / "d.mpo")
    c, d = open_office(tmp_path / "c" / "c.mpo", PASSPHRASE), open_office(tmp_path / "d" / "d.mpo", PASSPHRASE)
    try:
        exchange(a, b, c, d)
        with a.engine.connect() as conn:
            codes = [s.code for s in state.sites(conn).values()]
        assert sorted(codes) == ["A", "B", "BA", "C"]
        assert enrol.next_code(set(codes), "BA") == "BAA"
    finally:
        c.close()
        d.close()


def test_the_codes_machines_hand_out_never_overlap():
    mine = {code: set(enrol.codes_of(code)) for code in ["A", "B", "C", "Z", "AB", "BA", "BAA", "AZ"]}
    for x, xs in mine.items():
        for y, ys in mine.items():
            if x != y:
                assert not xs & ys, (x, y)
    assert enrol.codes_of("A")[:3] == ["B", "C", "D"]
