"""Joining a machine to an office (invite / join) and retiring one.

A new machine joins from a **snapshot**: a consistent copy of the office as the inviter holds it (rows,
the compacted op log, blobs, search indexes), not the whole op history replayed, so a first join of a full
office takes minutes in bounded memory, and ops compaction folded into their rows (sync.compact) are not
needed. What is local to a machine is left out: electoral register rows (each machine imports the
register itself), what the inviter knows of its peers (the new machine is told what to acknowledge), and
the inviter's own notes in office_meta. Ops written after the snapshot arrive in ordinary bundles.

The enrolment file (format 3) is the snapshot and a small header of facts (the office id and data key,
the key slots so staff passphrases work there, the new machine's site id and code, what the inviter knows
of its peers), streamed through the chunked AES-256-GCM of sync bundles under a key derived by Argon2id
from a one-time passphrase; its header (format and KDF parameters) is bound as associated data. It is
written and read a chunk at a time: every chunk is authenticated before the copy is opened, and the copy
is checked against the office and site it names. Files of formats 1 and 2 (the whole op history, read
whole) from machines not yet upgraded are still read. The file is written owner-only; on joining only a
regular file within the size limits is read, and Argon2 parameters outside `keys.ARGON2_BOUNDS` are
refused before any work.

**Site codes** are unique without coordination: the office's first machine (A) hands out B, C … Z and
then AB, AC …; any other machine X hands out X followed by one letter (XA, XB …). Two machines inviting
while both offline never hand out the same code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mpoffice_tui.db import blobs, engine, keys
from mpoffice_tui.db.engine import CLOCK_FLOOR
from mpoffice_tui.db.errors import OfficeError, OfficeExists
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import Setting
from mpoffice_tui.files import (
    FileRefused,
    MiB,
    open_private,
    open_regular,
    private_dir,
    read_regular,
    temp_beside,
)
from mpoffice_tui.paths import keyslots_for as keys_path
from mpoffice_tui.sync import bundle, erasure, state
from mpoffice_tui.sync.merge import SCRUB_PENDING, apply_ops

MAGIC = b"MPOJOIN\x03"
MAGIC_V2 = b"MPOJOIN\x01"  # formats 1 and 2 (sealed whole)
FORMAT = "mpoffice-invite/3"
FORMAT_V2 = "mpoffice-invite/2"
FORMAT_V1 = "mpoffice-invite/1"
SUFFIX = ".mpojoin"
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O (read over the phone as 1 and 0)
FIRST_CODE = "A"  # the machine that created the office
MAX_FILE_BYTES = MiB(2048)  # formats 1 and 2: the whole office's ops, read whole to be unsealed at once
MAX_SNAPSHOT_BYTES = MiB(64 * 1024)  # format 3: streamed, so bounded only by what is sensible
_META_LIMIT = MiB(16)  # the facts before the snapshot (key slots, peers)
LOCAL_TABLES = ("electors", "register_publication", "peer")  # never leave this machine in a snapshot
LOCAL_FTS = ("electors_fts",)
# office_meta a snapshot keeps (what the copied pages themselves imply); the rest is the inviter's own
SNAPSHOT_META = ("office_id", "office_name", "mp_name", state.COMPACTED, CLOCK_FLOOR, erasure.SCRUB_META,
                 erasure.RECONCILE, SCRUB_PENDING)


@dataclass(frozen=True)
class Invitation:
    path: Path
    passphrase: str
    site_id: str
    site_code: str


@dataclass(frozen=True)
class Joined:
    path: Path
    office_id: str
    office_name: str
    site_id: str
    site_code: str
    ops: int


def codes_of(inviter: str) -> list[str]:
    """The site codes machine `inviter` may hand out, in order: its own code followed by one letter, and
    for the office's first machine the single letters before those. Distinct machines have disjoint lists
    (a code names its inviter), so machines inviting while offline never hand out the same code."""
    own = [inviter + letter for letter in CODE_LETTERS]
    return ([c for c in CODE_LETTERS if c != FIRST_CODE] + own) if inviter == FIRST_CODE else own


def next_code(used: set[str], inviter: str = FIRST_CODE) -> str:
    """The first code of `inviter`'s own (`codes_of`) not yet known to be in use."""
    for code in codes_of(inviter):
        if code not in used:
            return code
    raise OfficeError(f"machine {inviter} has no site codes left to hand out; invite the new machine from "
                      "another machine of the office")


def new_invite_passphrase() -> str:
    """A one-time passphrase in the recovery-code style: 25 characters, about 122 bits."""
    return keys.new_recovery_code()


def _ensure_own_site(w, conn, office) -> None:
    known = state.sites(conn)
    if office.site_id not in known:
        w.insert(Setting, key=state.SITE_KEY + office.site_id,
                 value=json.dumps({"code": office.site_code, "label": office.name, "start": {}}))


def invite(office, folder: Path, *, passphrase: str | None = None, label: str = "") -> Invitation:
    """Write an enrolment file for a new machine into `folder`; returns it and its passphrase."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OfficeError(f"{folder}: no such folder to write the enrolment file into")
    passphrase = passphrase or new_invite_passphrase()
    if len(passphrase) < 8:
        raise OfficeError("an invitation passphrase needs at least 8 characters")
    site_id = new_id()
    with office.writing() as w:
        conn = w.session.connection()
        _ensure_own_site(w, conn, office)
        used = {s.code for s in state.sites(conn).values()} | {office.site_code}
        code = next_code(used, office.site_code)
        start = state.vector(conn)
        w.insert(Setting, key=state.SITE_KEY + site_id,
                 value=json.dumps({"code": code, "label": label, "start": start,
                                   "invited_by": office.site_id}))
        w.audit("sync.invite", target=f"site:{site_id}", detail=f"machine {code} invited")
    path = folder / f"mpoffice-join-{code}{SUFFIX}"
    vec = _write_enrolment(office, path, passphrase, site_id, code)
    with office.engine.begin() as conn:
        state.record_ack(conn, site_id, vec, code=code)
    return Invitation(path, passphrase, site_id, code)


def _write_enrolment(office, path: Path, passphrase: str, site_id: str, code: str) -> state.Vector:
    """Write the enrolment file (format 3: the facts, then the snapshot, streamed and sealed) at `path`,
    renamed into place when complete; returns the vector the snapshot holds."""
    snap = temp_beside(office.path)  # beside the office (never in a shared folder), owner-only, removed after
    tmp = temp_beside(path)
    try:
        engine.write_snapshot(office, snap, local_tables=LOCAL_TABLES, local_fts=LOCAL_FTS, keep_meta=SNAPSHOT_META,
                              meta={"site_id": site_id, "site_code": code, "created_at": engine.utcnow()})
        conn = engine.connect_raw(snap, office.data_key, engine.SNAPSHOT_CACHE_KIB)
        try:
            vec = state.vector(_Raw(conn))
        finally:
            conn.close()
        with office.engine.connect() as live:
            peers = state.peer_acks(live)
        peers[office.site_id] = vec
        slots = {"office_id": office.office_id,
                 "slots": [s.__dict__ for s in office.slots.slots if s.kind != "keyring"]}
        meta = {"office_id": office.office_id, "office_name": office.name, "mp_name": office.meta("mp_name") or "",
                "data_key": base64.b64encode(office.data_key).decode(), "slots": slots, "site_id": site_id,
                "site_code": code, "inviter": office.site_id, "inviter_code": office.site_code, "peers": peers}
        meta_blob = zlib.compress(json.dumps(meta).encode("utf-8"))
        salt = secrets.token_bytes(16)
        kdf = {"alg": "argon2id", "salt": base64.b64encode(salt).decode(), "m": keys.ARGON2_MEMORY_KIB,
               "t": keys.ARGON2_TIME, "p": keys.ARGON2_LANES}
        key = keys.derive(passphrase, salt, kdf["m"], kdf["t"], kdf["p"])
        head = json.dumps({"format": FORMAT, "kdf": kdf}, sort_keys=True, separators=(",", ":")).encode("utf-8")
        with open_private(tmp) as fh:
            sealed = bundle.SealedWriter(fh, key, MAGIC + struct.pack(">I", len(head)) + head)
            sealed.write(struct.pack(">I", len(meta_blob)) + meta_blob)
            with open(snap, "rb") as src:
                while piece := src.read(bundle.CHUNK):
                    sealed.write(piece)
            sealed.close()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        snap.unlink(missing_ok=True)
    return vec


class _Raw:
    """A DB-API connection where `state` expects SQLAlchemy's `exec_driver_sql`."""

    def __init__(self, conn):
        self._conn = conn

    def exec_driver_sql(self, sql: str, params=()):
        return self._conn.execute(sql, params)


def _open_enrolment(path: Path, passphrase: str) -> tuple[dict, bytes]:
    try:
        data = read_regular(path, MAX_FILE_BYTES, "enrolment file")
    except FileRefused as exc:
        raise bundle.BundleRefused(f"{exc}.") from None
    what = "enrolment file"
    header, end = bundle.read_header(data, Path(path), magic=MAGIC_V2, what=what)
    kdf = header.get("kdf")
    if header.get("format") not in (FORMAT_V2, FORMAT_V1) or not isinstance(kdf, dict) or kdf.get("alg") != "argon2id":
        raise bundle.BundleRefused(f"{path}: an enrolment file of an unknown format.")
    try:
        salt, m, t, p = keys.check_kdf(kdf)
    except ValueError as exc:
        raise bundle.BundleRefused(f"{path}: the enrolment file is damaged ({exc}).") from None
    secrets_to_try = [passphrase, keys.normalise_recovery_code(passphrase)]
    for candidate in dict.fromkeys(secrets_to_try):
        key = keys.derive(candidate, salt, m, t, p)
        try:
            payload = bundle.unseal(key, data, end, Path(path), what=what)
            break
        except bundle.BundleRefused:
            continue
    else:
        raise bundle.BundleRefused(f"{path}: wrong invitation passphrase, or the enrolment file was altered. "
                                   "Nothing was created.")
    try:
        (size,) = struct.unpack(">I", payload[:4])
        meta = json.loads(zlib.decompress(payload[4:4 + size]))
        if not isinstance(meta, dict):
            raise ValueError("not an enrolment")
        meta["$format"] = header["format"]
        return meta, payload[4 + size:]
    except (ValueError, struct.error, zlib.error) as exc:
        raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.") from exc


def _split_blobs(rest: bytes) -> tuple[bytes, list[tuple[str, int, str, bytes]]]:
    """(the encoded ops, [(hash, size, codec, stored bytes)]) of a format 2 payload; each blob checked
    against its hash (ValueError if one does not match)."""
    (size,) = struct.unpack(">Q", rest[:8])
    ops_blob, pos, held = rest[8:8 + size], 8 + size, []
    while pos < len(rest):
        head_len, stored_len = struct.unpack(">IQ", rest[pos:pos + 12])
        head = json.loads(rest[pos + 12:pos + 12 + head_len])
        stored = rest[pos + 12 + head_len:pos + 12 + head_len + stored_len]
        pos += 12 + head_len + stored_len
        plain = blobs.unpack(str(head["c"]), stored)
        if len(stored) != stored_len or blobs.hash_of(plain) != head["h"] or len(plain) != int(head["n"]):
            raise ValueError("a blob does not match its hash")
        held.append((head["h"], int(head["n"]), str(head["c"]), stored))
    return ops_blob, held


def join(path: Path, passphrase: str, db_path: Path, *, remove_file: bool = False) -> Joined:
    """Create a replica at `db_path` from an enrolment file; all or nothing."""
    db_path = Path(db_path)
    if db_path.exists() or keys_path(db_path).exists():
        raise OfficeExists(f"{db_path}: an office already exists here; choose a new file to join into.")
    if _magic(path) == MAGIC:
        joined = _join_snapshot(Path(path), passphrase, db_path)
    else:
        joined = _join_history(path, passphrase, db_path)
    if remove_file:
        Path(path).unlink(missing_ok=True)
    return joined


def _magic(path: Path) -> bytes:
    """The first bytes of a regular file (b"" for anything else: the reader then says what is wrong)."""
    try:
        with open_regular(path, MAX_SNAPSHOT_BYTES, "enrolment file") as fh:
            return fh.read(len(MAGIC))
    except FileRefused:
        return b""


def _open_snapshot(path: Path, passphrase: str) -> tuple[BinaryIO, bytes, bytes]:
    """(the open file positioned at the first chunk, the prefix, the key) of a format 3 enrolment file whose
    first chunk opened with `passphrase` (or the recovery-code spelling of it); BundleRefused otherwise."""
    what = "enrolment file"
    try:
        fh = open_regular(path, MAX_SNAPSHOT_BYTES, what)
    except FileRefused as exc:
        raise bundle.BundleRefused(f"{exc}.") from None
    try:
        head = fh.read(len(MAGIC) + 4)
        (size,) = struct.unpack(">I", head[len(MAGIC):]) if len(head) == len(MAGIC) + 4 else (-1,)
        raw = fh.read(size) if 0 <= size <= _META_LIMIT else b""
        if len(raw) != size:
            raise bundle.BundleRefused(f"{path}: the {what} is truncated or damaged.")
        try:
            header = json.loads(raw.decode("utf-8"))
            salt, m, t, p = keys.check_kdf(header.get("kdf"))
        except (ValueError, AttributeError) as exc:
            raise bundle.BundleRefused(f"{path}: the {what} is damaged ({str(exc)[:80] or 'unreadable header'}).") from None
        if header.get("format") != FORMAT:
            raise bundle.BundleRefused(f"{path}: an enrolment file of an unknown format.")
        prefix = head + raw
        for candidate in dict.fromkeys([passphrase, keys.normalise_recovery_code(passphrase)]):
            key = keys.derive(candidate, salt, m, t, p)
            fh.seek(len(prefix))
            try:
                next(bundle.sealed_chunks(fh, key, hashlib.sha256(prefix).digest(), path, what))
            except bundle.BundleRefused:
                continue
            fh.seek(len(prefix))
            return fh, prefix, key
        raise bundle.BundleRefused(f"{path}: wrong invitation passphrase, or the enrolment file was altered. "
                                   "Nothing was created.")
    except BaseException:
        fh.close()
        raise


def _join_snapshot(path: Path, passphrase: str, db_path: Path) -> Joined:
    """Join from a format 3 file: every chunk authenticated first (nothing written), then the snapshot
    written to `db_path` chunk by chunk (each authenticated again), opened and checked; all or nothing."""
    what = "enrolment file"
    fh, prefix, key = _open_snapshot(path, passphrase)
    digest = hashlib.sha256(prefix).digest()
    with fh:
        for _ in bundle.sealed_chunks(fh, key, digest, path, what):  # pass 1: authenticate, change nothing
            pass
        fh.seek(len(prefix))
        office = None
        private_dir(db_path.parent)
        try:
            meta = _copy_snapshot(bundle.sealed_chunks(fh, key, digest, path, what), db_path, path)
            try:
                slots = keys.KeySlots(office_id=str(meta["office_id"]),
                                      slots=[keys.Slot.from_dict(s) for s in meta["slots"]["slots"]])
                data_key = base64.b64decode(meta["data_key"])
                site_id, code = str(meta["site_id"]), str(meta["site_code"])
            except (KeyError, TypeError, ValueError) as exc:
                raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.") from exc
            try:
                office = engine.adopt_replica(db_path, data_key, slots, site_id=site_id)
            except engine.NotAnOffice as exc:
                raise bundle.BundleRefused(f"{path}: the enrolment file is damaged (its copy of the office does not "
                                           "open). Nothing was created.") from exc
            except engine.NewerOffice as exc:
                raise bundle.BundleRefused(f"{path}: {exc}. Nothing was created.") from None
            with office.writing() as w:
                conn = w.session.connection()
                _record_peers(conn, office, meta)
                w.audit("sync.join", target=f"site:{office.site_id}", detail=f"machine {code} joined")
                ops = int(conn.exec_driver_sql("SELECT count(*) FROM ops").scalar() or 0)
            office.reconcile_slots()
            erasure.scrub_if_pending(office)
        except BaseException:
            if office is not None:
                engine.discard_replica(office)
            else:
                for leftover in (db_path, keys_path(db_path), db_path.with_name(db_path.name + "-wal"),
                                 db_path.with_name(db_path.name + "-shm")):
                    leftover.unlink(missing_ok=True)
            raise
    joined = Joined(db_path, office.office_id, office.name, office.site_id, office.site_code, ops)
    office.close()
    return joined


def _copy_snapshot(chunks, db_path: Path, path: Path) -> dict:
    """Write the snapshot that follows the facts into a new owner-only `db_path`; returns the facts."""
    buf = bytearray()
    meta: dict | None = None
    with open_private(db_path) as out:
        for plain in chunks:
            if meta is None:
                buf += plain
                if len(buf) < 4:
                    continue
                (size,) = struct.unpack(">I", buf[:4])
                if size > _META_LIMIT:
                    raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.")
                if len(buf) < 4 + size:
                    continue
                try:
                    meta = json.loads(zlib.decompress(bytes(buf[4:4 + size])))
                except (ValueError, zlib.error) as exc:
                    raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.") from exc
                if not isinstance(meta, dict):
                    raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.")
                plain = bytes(buf[4 + size:])
                buf = bytearray()
            out.write(plain)
        out.flush()
        os.fsync(out.fileno())
    if meta is None:
        raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.")
    return meta


def _record_peers(conn, office, meta: dict) -> None:
    """What the inviter knew each machine holds (itself included), as those machines' acknowledgements."""
    for site, acked in (meta.get("peers") or {}).items():
        if site != office.site_id:
            code = meta.get("inviter_code", "") if site == meta.get("inviter") else ""
            state.record_ack(conn, site, acked, code=code)


def _join_history(path: Path, passphrase: str, db_path: Path) -> Joined:
    """Join from a format 1 or 2 file (the whole op history, from a machine not yet upgraded)."""
    meta, ops_blob = _open_enrolment(path, passphrase)
    try:
        slots = keys.KeySlots(office_id=str(meta["office_id"]),
                              slots=[keys.Slot.from_dict(s) for s in meta["slots"]["slots"]])
        data_key = base64.b64decode(meta["data_key"])
        held: list[tuple[str, int, str, bytes]] = []
        if meta["$format"] != FORMAT_V1:
            ops_blob, held = _split_blobs(ops_blob)
        ops = bundle.decode_ops(ops_blob)
    except (KeyError, TypeError, ValueError, zlib.error, struct.error) as exc:
        raise bundle.BundleRefused(f"{path}: the enrolment file is damaged.") from exc
    office = engine.create_replica(db_path, data_key, slots, site_id=meta["site_id"], site_code=meta["site_code"],
                                   office_name=meta.get("office_name", ""), mp_name=meta.get("mp_name", ""))
    try:
        with office.writing() as w:
            conn = w.session.connection()
            for digest, size, codec, stored in held:
                blobs.put_stored(conn, digest, size, codec, stored)
            if meta.get("compacted"):  # the inviter's history was compacted: those ops count as held here too
                conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)",
                                     (state.COMPACTED, json.dumps({str(k): int(v) for k, v in
                                                                   meta["compacted"].items()})))
            apply_ops(conn, bundle.lift_legacy(conn, ops), office.clock)
            _record_peers(conn, office, meta)
            w.audit("sync.join", target=f"site:{office.site_id}", detail=f"machine {office.site_code} joined")
        joined = Joined(Path(db_path), office.office_id, office.name, office.site_id, office.site_code, len(ops))
        office.reconcile_slots()
        erasure.scrub_if_pending(office)  # the ops came redacted; this records that (and cleans, to be sure)
    except BaseException:
        engine.discard_replica(office)
        raise
    office.close()
    return joined


def retire(office, which: str) -> state.Site:
    """Retire a machine (by site id or code): its bundles are refused everywhere from now on."""
    with office.writing() as w:
        conn = w.session.connection()
        known = state.sites(conn)
        match = [s for s in known.values() if which in (s.site, s.code) or s.code == which.upper()]
        if not match:
            raise OfficeError(f"no machine {which!r} in this office (see `mpoffice sync status`)")
        site = match[0]
        if site.site == office.site_id:
            raise OfficeError("this machine cannot retire itself; retire it from another machine")
        if not site.retired:
            w.insert(Setting, key=state.RETIRED_KEY + site.site, value=json.dumps({"by": office.site_id}))
            w.audit("sync.retire", target=f"site:{site.site}", detail=f"machine {site.code} retired")
        conn.exec_driver_sql("UPDATE peer SET retired = 1 WHERE site = ?", (site.site,))
    return state.Site(site.site, site.code, site.label, site.start, True)
