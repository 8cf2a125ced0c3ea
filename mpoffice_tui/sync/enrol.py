"""Joining a machine to an office (invite / join) and retiring one.

An enrolment file carries everything a new machine needs: the office id, the data key, the key slots
(so staff passphrases work there), the new machine's site id and site code, what the inviter knows of
its peers, and the office's whole op set with the blobs its ops name (format 2; format 1 files, whose ops
held the bytes, are still read), so the replica starts complete. It is encrypted with
AES-256-GCM under a key derived by Argon2id from a one-time passphrase; its header (format and KDF
parameters) is bound as associated data. Electoral register rows are local and never included.
The file is written owner-only; on joining only a regular file of at most MAX_FILE_BYTES is read, and
Argon2 parameters outside `keys.ARGON2_BOUNDS` are refused before any work.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from mpoffice_tui.db import blobs, engine, keys
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import Setting
from mpoffice_tui.files import FileRefused, MiB, read_regular
from mpoffice_tui.sync import bundle, erasure, state
from mpoffice_tui.sync.merge import apply_ops

MAGIC = b"MPOJOIN\x01"
FORMAT = "mpoffice-invite/2"
FORMAT_V1 = "mpoffice-invite/1"
SUFFIX = ".mpojoin"
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O (read over the phone as 1 and 0)
MAX_FILE_BYTES = MiB(2048)  # the whole office's ops, read whole to be unsealed at once


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


def _codes() -> list[str]:
    one = list(CODE_LETTERS)
    return one + [a + b for a in CODE_LETTERS for b in CODE_LETTERS]


def next_code(used: set[str]) -> str:
    """The first site code not yet handed out (A, B, C ... then AA, AB ...)."""
    for code in _codes():
        if code not in used:
            return code
    raise OfficeError("no site codes left")


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
        code = next_code(used)
        start = state.vector(conn)
        w.insert(Setting, key=state.SITE_KEY + site_id,
                 value=json.dumps({"code": code, "label": label, "start": start,
                                   "invited_by": office.site_id}))
        w.audit("sync.invite", target=f"site:{site_id}", detail=f"machine {code} invited")
    with office.engine.connect() as conn:
        vec = state.vector(conn)
        ops = state.ops_since(conn, {})
        peers = state.peer_acks(conn)
        done = state.compacted(conn)
    peers[office.site_id] = vec
    slots = {"office_id": office.office_id,
             "slots": [s.__dict__ for s in office.slots.slots if s.kind != "keyring"]}
    meta = {"office_id": office.office_id, "office_name": office.name,
            "mp_name": office.meta("mp_name") or "", "data_key": base64.b64encode(office.data_key).decode(),
            "slots": slots, "site_id": site_id, "site_code": code, "inviter": office.site_id,
            "inviter_code": office.site_code, "peers": peers, "compacted": done}
    meta_blob = zlib.compress(json.dumps(meta).encode("utf-8"))
    ops_blob = bundle.encode_ops(ops)
    parts = [struct.pack(">I", len(meta_blob)), meta_blob, struct.pack(">Q", len(ops_blob)), ops_blob]
    with office.engine.connect() as conn:
        for digest, size, codec, stored in conn.exec_driver_sql("SELECT hash, size, codec, data FROM blobs "
                                                                "ORDER BY hash"):
            head = json.dumps({"h": digest, "n": size, "c": codec}).encode("utf-8")
            parts += [struct.pack(">IQ", len(head), len(stored)), head, bytes(stored)]
    payload = b"".join(parts)
    salt = secrets.token_bytes(16)
    kdf = {"alg": "argon2id", "salt": base64.b64encode(salt).decode(), "m": keys.ARGON2_MEMORY_KIB,
           "t": keys.ARGON2_TIME, "p": keys.ARGON2_LANES}
    key = keys.derive(passphrase, salt, kdf["m"], kdf["t"], kdf["p"])
    data = bundle.seal(key, {"format": FORMAT, "kdf": kdf}, payload, magic=MAGIC)
    path = folder / f"mpoffice-join-{code}{SUFFIX}"
    bundle.write_atomic(path, data)
    with office.engine.begin() as conn:
        state.record_ack(conn, site_id, vec, code=code)
    return Invitation(path, passphrase, site_id, code)


def _open_enrolment(path: Path, passphrase: str) -> tuple[dict, bytes]:
    try:
        data = read_regular(path, MAX_FILE_BYTES, "enrolment file")
    except FileRefused as exc:
        raise bundle.BundleRefused(f"{exc}.") from None
    what = "enrolment file"
    header, end = bundle.read_header(data, Path(path), magic=MAGIC, what=what)
    kdf = header.get("kdf")
    if header.get("format") not in (FORMAT, FORMAT_V1) or not isinstance(kdf, dict) or kdf.get("alg") != "argon2id":
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
            for site, acked in (meta.get("peers") or {}).items():
                if site != office.site_id:
                    code = meta.get("inviter_code", "") if site == meta.get("inviter") else ""
                    state.record_ack(conn, site, acked, code=code)
            w.audit("sync.join", target=f"site:{office.site_id}", detail=f"machine {office.site_code} joined")
        joined = Joined(Path(db_path), office.office_id, office.name, office.site_id, office.site_code, len(ops))
        office.reconcile_slots()
        erasure.scrub_if_pending(office)  # the ops came redacted; this records that (and cleans, to be sure)
    except BaseException:
        engine.discard_replica(office)
        raise
    office.close()
    if remove_file:
        Path(path).unlink(missing_ok=True)
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
