"""Sync bundles: the ops other machines have not acknowledged, compressed and encrypted.

File layout::

    b"MPOSYNC\\x01" | header length (4 bytes, big-endian) | header (JSON) | nonce (12) | ciphertext

The header names the format, the office, the sending site and its version vector (what it holds, so
the receiver can acknowledge). Everything before the nonce is bound to the ciphertext as AES-256-GCM
associated data, with a key derived from the office's data key. The plaintext is zlib-compressed JSON
of the ops (sites and tables numbered, seq and hlc delta-coded). A bundle is authenticated whole
before anything is applied, and applied in one transaction.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import SHARED_TABLES
from mpoffice_tui.db.writes import dumps
from mpoffice_tui.sync import erasure, state
from mpoffice_tui.sync.merge import ApplyResult, OpRow, apply_ops

MAGIC = b"MPOSYNC\x01"
FORMAT = "mpoffice-sync/1"
SUFFIX = ".mposync"
KEY_INFO = b"mpoffice sync bundle v1"
_MAX_HEADER = 1 << 20


class BundleRefused(OfficeError):
    """A bundle that cannot be applied; nothing was changed."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    office_id: str
    site: str
    code: str
    vector: dict[str, int]
    ops: list[OpRow]


@dataclass(frozen=True)
class Exported:
    path: Path
    ops: int
    bytes: int


@dataclass(frozen=True)
class Imported:
    path: Path
    site: str
    code: str
    ops: int
    new: int
    rows: int
    skipped: str | None = None  # why nothing was done (e.g. this machine's own bundle)
    scrubbed: bool = False  # the bundle brought erasures, so the file was scrubbed of erased values


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- encoding ----------------------------------------------------------------------------------
def encode_ops(ops: list[OpRow]) -> bytes:
    """Compact JSON of ops: numbered sites and tables, seq and hlc as deltas; zlib-compressed."""
    ops = sorted(ops, key=lambda o: (o.site, o.seq))
    site_ix: dict[str, int] = {}
    tbl_ix: dict[str, int] = {}
    rows: list[list[Any]] = []
    last_seq: dict[str, int] = {}
    last_hlc = 0
    for o in ops:
        si = site_ix.setdefault(o.site, len(site_ix))
        ti = tbl_ix.setdefault(o.tbl, len(tbl_ix))
        prev: Any = 0
        if o.prev_site is not None:
            prev = [site_ix.setdefault(o.prev_site, len(site_ix)), o.prev_seq]
        row = [si, o.seq - last_seq.get(o.site, 0), o.hlc - last_hlc, ti, o.row_id, o.field,
               json.loads(o.value), prev]
        if o.supersedes:
            row.append(json.loads(o.supersedes))
        rows.append(row)
        last_seq[o.site] = o.seq
        last_hlc = o.hlc
    doc = {"sites": list(site_ix), "tbls": list(tbl_ix), "ops": rows}
    return zlib.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def decode_ops(blob: bytes) -> list[OpRow]:
    """The inverse of `encode_ops`; raises ValueError on anything malformed."""
    doc = json.loads(zlib.decompress(blob).decode("utf-8"))
    sites, tbls = doc["sites"], doc["tbls"]
    if not all(isinstance(s, str) for s in sites) or not all(t in SHARED_TABLES for t in tbls):
        raise ValueError("unknown table or site")
    out: list[OpRow] = []
    last_seq: dict[str, int] = {}
    last_hlc = 0
    for row in doc["ops"]:
        si, dseq, dhlc, ti, row_id, field, value, prev = row[:8]
        site = sites[si]
        seq = last_seq.get(site, 0) + int(dseq)
        hlc = last_hlc + int(dhlc)
        if not isinstance(row_id, str) or not isinstance(field, str) or seq < 1:
            raise ValueError("malformed op")
        sup = dumps(row[8]) if len(row) > 8 and row[8] else None
        prev_site, prev_seq = (sites[prev[0]], int(prev[1])) if prev else (None, None)
        out.append(OpRow(site, seq, hlc, tbls[ti], row_id, field, dumps(value), prev_site, prev_seq, sup))
        last_seq[site] = seq
        last_hlc = hlc
    return out


def seal(key: bytes, header: dict, payload: bytes, magic: bytes = MAGIC) -> bytes:
    """magic | len | header | nonce | AES-GCM(payload) with everything before the nonce as associated data."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    prefix = magic + struct.pack(">I", len(head)) + head
    nonce = secrets.token_bytes(12)
    return prefix + nonce + AESGCM(key).encrypt(nonce, payload, prefix)


def read_header(data: bytes, path: Path, magic: bytes = MAGIC, what: str = "sync bundle") -> tuple[dict, int]:
    """The header and where the nonce starts; raises BundleRefused for anything that is not one."""
    if not data:
        raise BundleRefused(f"{path}: the file is empty, not a {what}.")
    if len(data) < len(magic) + 4 or not data.startswith(magic):
        raise BundleRefused(f"{path}: not an mpoffice {what} (unrecognised contents).")
    (size,) = struct.unpack(">I", data[len(magic):len(magic) + 4])
    end = len(magic) + 4 + size
    if size > _MAX_HEADER or end + 12 + 16 > len(data):
        raise BundleRefused(f"{path}: the {what} is truncated or damaged.")
    try:
        header = json.loads(data[len(magic) + 4:end].decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError
    except ValueError as exc:
        raise BundleRefused(f"{path}: the {what} is damaged (unreadable header).") from exc
    return header, end


def unseal(key: bytes, data: bytes, end: int, path: Path, what: str = "sync bundle") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(data[end:end + 12], data[end + 12:], data[:end])
    except (InvalidTag, ValueError) as exc:
        raise BundleRefused(f"{path}: the {what} failed its authenticity check: it was altered, "
                            "truncated or damaged in transit. Nothing was changed; export it again.") from exc


# -- export ------------------------------------------------------------------------------------
def build(office) -> tuple[bytes, int]:
    """A sealed bundle of the ops some active peer has not acknowledged, and how many ops it holds."""
    with office.engine.connect() as conn:
        floor = state.floor_for_export(conn, office.site_id)
        ops = state.ops_since(conn, floor)
        vec = state.vector(conn)
    header = {"format": FORMAT, "office": office.office_id, "site": office.site_id, "code": office.site_code,
              "vector": vec, "created": _now(), "ops": len(ops)}
    return seal(office.derive_key(KEY_INFO), header, encode_ops(ops)), len(ops)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a new file then rename it into place, so readers never see half a bundle."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def default_name(office) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"mpoffice-{office.site_code}-{stamp}{SUFFIX}"


def export_bundle(office, target: Path) -> Exported:
    """Write a bundle to `target` (a folder: a new time-stamped file in it; or a file name)."""
    target = Path(target)
    if target.is_dir():
        target = target / default_name(office)
    data, count = build(office)
    write_atomic(target, data)
    office.set_meta("sync.last_export_at", _now())
    return Exported(target, count, len(data))


# -- import ------------------------------------------------------------------------------------
def read_bundle(office, path: Path, data: bytes | None = None) -> Bundle:
    """Check and decrypt a bundle completely; raises BundleRefused (nothing changed) if it is bad."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BundleRefused(f"{path}: cannot read the file ({exc.strerror}).") from exc
    header, end = read_header(data, path)
    if header.get("format") != FORMAT:
        raise BundleRefused(f"{path}: a sync bundle of an unknown format {header.get('format')!r} "
                            "(from a newer mpoffice?).")
    if header.get("office") != office.office_id:
        raise BundleRefused(f"{path}: this bundle belongs to another office; nothing was changed.")
    site = header.get("site")
    vec = header.get("vector")
    if not isinstance(site, str) or not isinstance(vec, dict):
        raise BundleRefused(f"{path}: the sync bundle is damaged (incomplete header).")
    with office.engine.connect() as conn:
        retired = state.sites(conn).get(site)
    if retired is not None and retired.retired:
        raise BundleRefused(f"{path}: this bundle comes from machine {retired.code} ({site}), which has been "
                            "retired; its bundles are refused. Nothing was changed.")
    payload = unseal(office.derive_key(KEY_INFO), data, end, path)
    try:
        ops = decode_ops(payload)
        vector = {str(k): int(v) for k, v in vec.items()}
    except (ValueError, KeyError, TypeError, IndexError, zlib.error) as exc:
        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).") from exc
    return Bundle(path, header["office"], site, str(header.get("code", "")), vector, ops)


def apply_bundle(office, bundle: Bundle) -> ApplyResult:
    """Apply an authenticated bundle in one transaction and record what its sender holds."""
    with office.writing() as w:
        conn = w.session.connection()
        result = apply_ops(conn, bundle.ops, office.clock)
        state.record_ack(conn, bundle.site, bundle.vector, code=bundle.code, at=_now())
    return result


def import_bundle(office, path: Path, data: bytes | None = None) -> Imported:
    """Read, authenticate and apply one bundle file; raises BundleRefused with nothing changed."""
    bundle = read_bundle(office, path, data)
    if bundle.site == office.site_id:
        return Imported(Path(path), bundle.site, bundle.code, len(bundle.ops), 0, 0,
                        skipped="this machine's own bundle")
    result = apply_bundle(office, bundle)
    office.set_meta("sync.last_import_at", _now())
    office.reconcile_slots()  # staff added, removed or re-keyed on another machine
    scrubbed = erasure.scrub_if_pending(office)  # erased values leave the file too
    return Imported(Path(path), bundle.site, bundle.code, result.received, result.new, result.rows,
                    scrubbed=scrubbed)
