"""Sync bundles: the ops other machines have not acknowledged, and the blobs those ops name, encrypted and
streamed.

File layout (format 3; format 2 had the same envelope)::

    b"MPOSYNC\x03" | header length (4 bytes, big-endian) | header (JSON) | chunk | chunk | ...
    chunk = last flag (1 byte) | length (4) | nonce (12) | AES-256-GCM ciphertext and tag (length bytes)

The header names the format, the office, the sending site and its version vector (what it holds, so
the receiver can acknowledge). Each chunk is sealed with a key derived from the office's data key and
with SHA-256(everything before the first chunk), its index and its last flag as associated data: a
header, chunk order or ending that was changed, cut or extended fails to open. The chunks' plaintext is a
sequence of frames, kind (1 byte) | length (4) | body:

    O  a block of ops: zlib of JSON lines, one op per line (`_LineCoder`)
    B  a blob (db.blobs): JSON {"h": hash, "n": size, "c": codec, "s": stored length}, then
    D  its stored bytes, in frames of at most CHUNK bytes

A blob travels once per bundle, before the first block whose ops name it (`db.models.BLOB_COLUMNS`); the
receiver stores it (checked against its hash) before applying those ops, and skips one it already holds.
Ops carry hashes only, never blob bytes. (Format 2 was one zlib stream of op lines, the bytes inside the
ops; such bundles from machines not yet upgraded are still read, their bytes moved into blobs on arrival.)

Bundles are written and read in bounded memory: a chunk (CHUNK bytes), a block of ops, one blob (at most
MAX_BLOB bytes) and a batch of ops (APPLY_BATCH) at a time, never the whole file. Reading is two passes
over the open file: the first authenticates every chunk and changes nothing; only then the second decrypts
again and stores the blobs and applies the ops, all in one transaction (so a file altered between the
passes changes nothing either). Only a regular file of at most MAX_BUNDLE_BYTES is opened (a FIFO or a
link to a device is refused). Format 1 bundles (the whole file sealed at once) are still read, up to
MAX_V1_BYTES; enrolment files keep that envelope (`seal`, `read_header`, `unseal`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from mpoffice_tui.db import blobs
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.legacy_bytes import lift_op
from mpoffice_tui.db.models import BLOB_COLUMNS, SHARED_TABLES
from mpoffice_tui.db.writes import dumps
from mpoffice_tui.files import (
    FileRefused,
    MiB,
    open_private,
    open_regular,
    size_text,
    temp_beside,
    write_private,
)
from mpoffice_tui.sync import erasure, state
from mpoffice_tui.sync.merge import OP_COLUMNS, ApplyResult, OpRow, apply_ops

MAGIC = b"MPOSYNC\x03"
MAGIC_V2 = b"MPOSYNC\x02"
MAGIC_V1 = b"MPOSYNC\x01"
FORMAT = "mpoffice-sync/3"
FORMAT_V2 = "mpoffice-sync/2"
FORMAT_V1 = "mpoffice-sync/1"
MAGICS = {MAGIC: FORMAT, MAGIC_V2: FORMAT_V2, MAGIC_V1: FORMAT_V1}
SUFFIX = ".mposync"
KEY_INFO = b"mpoffice sync bundle v1"
_MAX_HEADER = 1 << 20
CHUNK = MiB(1)  # compressed plaintext per sealed chunk
MAX_LINE = MiB(512)  # one op as JSON (format 2: a message with a 100 MB original, base64-encoded, fits)
MAX_BLOB = MiB(512)  # one blob as stored
BLOCK = MiB(1)  # op lines per O frame, before compression
MAX_BUNDLE_BYTES = MiB(8 * 1024)  # checked before a byte is read
MAX_V1_BYTES = MiB(512)  # format 1 was sealed whole: it is read whole, so it is kept small
APPLY_BATCH = 5000  # ops applied at a time (and at most APPLY_BATCH_BYTES of them)
APPLY_BATCH_BYTES = MiB(32)


class BundleRefused(OfficeError):
    """A bundle that cannot be applied; nothing was changed."""


@dataclass(frozen=True)
class Bundle:
    """A bundle's header, read and checked (its ops stay in the file until applied)."""

    path: Path
    office_id: str
    site: str
    code: str
    vector: dict[str, int]
    format: str = FORMAT
    ops: int = 0  # as the header says


@dataclass(frozen=True)
class Exported:
    path: Path
    ops: int
    bytes: int
    blobs: int = 0


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
    blobs: int = 0  # blobs the bundle carried
    blobs_new: int = 0  # of those, the ones this machine did not hold (stored)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _refused(path: Path, what: str = "sync bundle") -> BundleRefused:
    return BundleRefused(f"{path}: the {what} failed its authenticity check: it was altered, truncated or "
                         "damaged in transit. Nothing was changed; export it again.")


# -- format 1 (whole-file seal): enrolment files, and old bundles still read ---------------------------
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


def seal(key: bytes, header: dict, payload: bytes, magic: bytes = MAGIC_V1) -> bytes:
    """magic | len | header | nonce | AES-GCM(payload) with everything before the nonce as associated data."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    prefix = magic + struct.pack(">I", len(head)) + head
    nonce = secrets.token_bytes(12)
    return prefix + nonce + AESGCM(key).encrypt(nonce, payload, prefix)


def read_header(data: bytes, path: Path, magic: bytes = MAGIC_V1, what: str = "sync bundle") -> tuple[dict, int]:
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
    except (InvalidTag, ValueError):
        raise _refused(path, what) from None


# -- format 2: chunked, streamed ----------------------------------------------------------------------
def _chunk_aad(prefix_hash: bytes, index: int, last: bool) -> bytes:
    return prefix_hash + struct.pack(">QB", index, int(last))


class SealedWriter:
    """Writes plaintext as sealed chunks of CHUNK bytes (the last one flagged)."""

    def __init__(self, fh: BinaryIO, key: bytes, prefix: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._fh = fh
        self._aead = AESGCM(key)
        self._hash = hashlib.sha256(prefix).digest()
        self._buf = bytearray()
        self._index = 0
        fh.write(prefix)
        self.written = len(prefix)

    def _seal(self, data: bytes, last: bool) -> None:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, data, _chunk_aad(self._hash, self._index, last))
        self._fh.write(struct.pack(">BI", int(last), len(sealed)) + nonce)
        self._fh.write(sealed)
        self.written += 17 + len(sealed)
        self._index += 1

    def write(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) > CHUNK:  # keep a remainder: the last chunk must be the flagged one
            self._seal(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]

    def close(self) -> None:
        self._seal(bytes(self._buf), last=True)


class _FrameWriter:
    """Format 3's frames over a sealed writer: blocks of op lines (compressed) and blobs (as stored)."""

    def __init__(self, sealed: SealedWriter):
        self._sealed = sealed
        self._lines: list[bytes] = []
        self._size = 0
        self.sent: set[str] = set()
        self.blobs = 0  # blobs written

    def _frame(self, kind: bytes, body: bytes) -> None:
        self._sealed.write(kind + struct.pack(">I", len(body)))
        self._sealed.write(body)

    def line(self, text: str) -> None:
        data = text.encode("utf-8") + b"\n"
        self._lines.append(data)
        self._size += len(data)
        if self._size >= BLOCK:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._frame(b"O", zlib.compress(b"".join(self._lines), 6))
            self._lines, self._size = [], 0

    def blob(self, conn, digest: str) -> None:
        """A blob once per bundle, ahead of the block holding the op that names it (skipped if not held)."""
        if digest in self.sent:
            return
        self.sent.add(digest)
        found = blobs.stored(conn, digest)
        if found is None:
            return  # no row here names it any more (erased, or a draft rewritten): nobody needs it
        size, codec, data = found
        self.blobs += 1
        self._frame(b"B", json.dumps({"h": digest, "n": size, "c": codec, "s": len(data)}).encode("utf-8"))
        view = memoryview(data)
        for i in range(0, len(view), CHUNK):
            self._frame(b"D", bytes(view[i:i + CHUNK]))


class _LineCoder:
    """Ops as compact JSON lines, as format 1 coded them: sites and tables numbered (a `{"s": site}` or
    `{"t": table}` line introduces the next number), seq delta-coded per site and hlc between lines.

    op line: [site no, seq delta, hlc delta, table no, row_id, field, value, prev, supersedes?]
    where prev is 0 or [site no, seq]. The value and supersedes are embedded as the JSON they are.
    """

    def __init__(self) -> None:
        self.sites: dict[str, int] = {}
        self.tbls: dict[str, int] = {}
        self.last_seq: dict[str, int] = {}
        self.last_hlc = 0
        self.site_names: list[str] = []  # decoding: number -> name
        self.tbl_names: list[str] = []

    def _number(self, table: dict[str, int], name: str, tag: str, out: list[str]) -> int:
        if name not in table:
            table[name] = len(table)
            out.append(json.dumps({tag: name}, ensure_ascii=False))
        return table[name]

    def encode(self, row: tuple) -> list[str]:
        site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, sup = row
        out: list[str] = []
        si = self._number(self.sites, site, "s", out)
        ti = self._number(self.tbls, tbl, "t", out)
        prev = f"[{self._number(self.sites, prev_site, 's', out)},{int(prev_seq or 0)}]" if prev_site else "0"
        head = json.dumps([si, int(seq) - self.last_seq.get(site, 0), int(hlc) - self.last_hlc, ti, row_id, field],
                          ensure_ascii=False, separators=(",", ":"))[:-1]
        out.append(f"{head},{value},{prev}" + (f",{sup}]" if sup else "]"))
        self.last_seq[site] = int(seq)
        self.last_hlc = int(hlc)
        return out

    def decode(self, line: bytes) -> OpRow | None:
        """The op on a line (None for a numbering line); ValueError for anything malformed."""
        row = json.loads(line)
        if isinstance(row, dict):
            if set(row) == {"s"} and isinstance(row["s"], str):
                self.site_names.append(row["s"])
                return None
            if set(row) == {"t"} and row["t"] in SHARED_TABLES:
                self.tbl_names.append(row["t"])
                return None
            raise ValueError("malformed line")
        if not isinstance(row, list) or len(row) not in (8, 9):
            raise ValueError("malformed op")
        si, dseq, dhlc, ti, row_id, field, value, prev = row[:8]
        sites, tbls = self.site_names, self.tbl_names
        if not (isinstance(si, int) and isinstance(ti, int) and isinstance(dseq, int) and isinstance(dhlc, int)
                and 0 <= si < len(sites) and 0 <= ti < len(tbls) and isinstance(row_id, str)
                and isinstance(field, str)):
            raise ValueError("malformed op")
        site = sites[si]
        seq = self.last_seq.get(site, 0) + dseq
        hlc = self.last_hlc + dhlc
        if seq < 1:
            raise ValueError("malformed op")
        prev_site = prev_seq = None
        if prev:
            if not (isinstance(prev, list) and len(prev) == 2 and isinstance(prev[0], int)
                    and 0 <= prev[0] < len(sites) and isinstance(prev[1], int)):
                raise ValueError("malformed op")
            prev_site, prev_seq = sites[prev[0]], prev[1]
        sup = dumps(row[8]) if len(row) > 8 and row[8] else None
        self.last_seq[site] = seq
        self.last_hlc = hlc
        return OpRow(site, seq, hlc, tbls[ti], row_id, field, dumps(value), prev_site, prev_seq, sup)


def _op_blobs(row: tuple) -> list[str]:
    """The blob hashes an op row (as stored) names."""
    tbl, field = row[3], row[5]
    cols = BLOB_COLUMNS.get(tbl)
    if not cols or (field != "*" and field not in cols):
        return []
    return blobs.hashes_in(tbl, field, json.loads(row[6]))


def write_bundle(office, fh: BinaryIO) -> int:
    """Stream a sealed bundle of the ops some active peer has not acknowledged, and the blobs they name,
    into `fh`; returns how many ops it holds. One read transaction: the header's vector and the ops agree."""
    return _write_bundle(office, fh)[0]


def _write_bundle(office, fh: BinaryIO) -> tuple[int, int]:
    key = office.derive_key(KEY_INFO)
    with office.engine.connect() as conn, conn.begin():
        floor = state.floor_for_export(conn, office.site_id)
        vec = state.vector(conn)
        sites = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT site FROM ops ORDER BY site")]
        count = sum(int(conn.exec_driver_sql("SELECT count(*) FROM ops WHERE site = ? AND seq > ?",
                                             (site, floor.get(site, 0))).scalar() or 0) for site in sites)
        header = {"format": FORMAT, "office": office.office_id, "site": office.site_id, "code": office.site_code,
                  "vector": vec, "created": _now(), "ops": count}
        head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
        sealed = SealedWriter(fh, key, MAGIC + struct.pack(">I", len(head)) + head)
        frames = _FrameWriter(sealed)
        coder = _LineCoder()
        for site in sites:
            for row in conn.exec_driver_sql(f"SELECT {OP_COLUMNS} FROM ops WHERE site = ? AND seq > ? "
                                            "ORDER BY seq", (site, floor.get(site, 0))):
                row = tuple(row)
                for digest in _op_blobs(row):
                    frames.blob(conn, digest)
                for line in coder.encode(row):
                    frames.line(line)
        frames.flush()
        sealed.close()
    return count, frames.blobs


def build(office) -> tuple[bytes, int]:
    """A bundle in memory and how many ops it holds (for tests and small exchanges; files stream)."""
    buf = io.BytesIO()
    count = write_bundle(office, buf)
    return buf.getvalue(), count


def sealed_chunks(fh: BinaryIO, key: bytes, prefix_hash: bytes, path: Path,
            what: str = "sync bundle") -> Iterator[bytes]:
    """Each chunk's plaintext, in order, authenticated; BundleRefused if any chunk, the order or the
    ending is wrong (including bytes after the last chunk)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    index = 0
    while True:
        head = fh.read(17)
        if len(head) < 17:
            raise _refused(path, what)
        last, size = struct.unpack(">BI", head[:5])
        if last > 1 or not 16 <= size <= CHUNK + 16:
            raise _refused(path, what)
        sealed = fh.read(size)
        if len(sealed) < size:
            raise _refused(path, what)
        try:
            plain = aead.decrypt(head[5:], sealed, _chunk_aad(prefix_hash, index, bool(last)))
        except (InvalidTag, ValueError):
            raise _refused(path, what) from None
        yield plain
        if last:
            if fh.read(1):
                raise _refused(path, what)
            return
        index += 1


def _lines(chunks: Iterator[bytes], path: Path) -> Iterator[bytes]:
    """The JSON lines of the decompressed stream, at most MAX_LINE each (a zip bomb stops there)."""
    unzip = zlib.decompressobj()
    pending = bytearray()
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = unzip.decompress(data, CHUNK * 4)
            except zlib.error:
                raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).") from None
            data = unzip.unconsumed_tail
            pending += out
            while True:
                end = pending.find(b"\n")
                if end < 0:
                    break
                yield bytes(pending[:end])
                del pending[:end + 1]
            if len(pending) > MAX_LINE:
                raise BundleRefused(f"{path}: the sync bundle holds a change larger than {size_text(MAX_LINE)}; "
                                    "nothing was changed.")
    if pending or not unzip.eof:
        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents end early).")


@dataclass
class _Open:
    """An open bundle file with its checked header."""

    fh: BinaryIO
    bundle: Bundle
    prefix: bytes  # everything before the first chunk (format 2) or the nonce (format 1)


def _open(office, path: Path, data: bytes | None) -> _Open:
    """Open a bundle (a regular file within MAX_BUNDLE_BYTES) and check its header."""
    if data is not None:
        fh: BinaryIO = io.BufferedReader(io.BytesIO(data))
    else:
        try:
            fh = open_regular(path, MAX_BUNDLE_BYTES, "sync bundle")
        except FileRefused as exc:
            raise BundleRefused(f"{exc}.") from None
    try:
        magic = fh.read(len(MAGIC))
        if not magic:
            raise BundleRefused(f"{path}: the file is empty, not a sync bundle.")
        if magic not in MAGICS:
            raise BundleRefused(f"{path}: not an mpoffice sync bundle (unrecognised contents).")
        raw_size = fh.read(4)
        if len(raw_size) < 4:
            raise BundleRefused(f"{path}: the sync bundle is truncated or damaged.")
        (size,) = struct.unpack(">I", raw_size)
        if size > _MAX_HEADER:
            raise BundleRefused(f"{path}: the sync bundle is truncated or damaged.")
        raw_head = fh.read(size)
        if len(raw_head) < size:
            raise BundleRefused(f"{path}: the sync bundle is truncated or damaged.")
        try:
            header = json.loads(raw_head.decode("utf-8"))
            if not isinstance(header, dict):
                raise ValueError
        except ValueError:
            raise BundleRefused(f"{path}: the sync bundle is damaged (unreadable header).") from None
        bundle = _check_header(office, path, header, MAGICS[magic])
        return _Open(fh, bundle, magic + raw_size + raw_head)
    except BaseException:
        fh.close()
        raise


def _check_header(office, path: Path, header: dict, expected: str) -> Bundle:
    if header.get("format") != expected:
        raise BundleRefused(f"{path}: a sync bundle of an unknown format {str(header.get('format'))[:40]!r} "
                            "(from a newer mpoffice?).")
    if header.get("office") != office.office_id:
        raise BundleRefused(f"{path}: this bundle belongs to another office; nothing was changed.")
    site, vec = header.get("site"), header.get("vector")
    if not isinstance(site, str) or not isinstance(vec, dict):
        raise BundleRefused(f"{path}: the sync bundle is damaged (incomplete header).")
    try:
        vector = {str(k): int(v) for k, v in vec.items()}
    except (TypeError, ValueError):
        raise BundleRefused(f"{path}: the sync bundle is damaged (incomplete header).") from None
    with office.engine.connect() as conn:
        retired = state.sites(conn).get(site)
    if retired is not None and retired.retired:
        raise BundleRefused(f"{path}: this bundle comes from machine {retired.code} ({site}), which has been "
                            "retired; its bundles are refused. Nothing was changed.")
    ops = header.get("ops")
    return Bundle(path, office.office_id, site, str(header.get("code", "")), vector, expected,
                  ops if isinstance(ops, int) else 0)


def _v1_ops(office, opened: _Open) -> list[OpRow]:
    """The ops of a format 1 bundle (sealed whole, so read whole: at most MAX_V1_BYTES)."""
    rest = opened.fh.read(MAX_V1_BYTES + 1)
    if len(rest) > MAX_V1_BYTES:
        raise BundleRefused(f"{opened.bundle.path}: an old-format sync bundle larger than "
                            f"{size_text(MAX_V1_BYTES)}; export it again with this version.")
    data = opened.prefix + rest
    payload = unseal(office.derive_key(KEY_INFO), data, len(opened.prefix), opened.bundle.path)
    try:
        return decode_ops(payload)
    except (ValueError, KeyError, TypeError, IndexError, zlib.error) as exc:
        raise BundleRefused(f"{opened.bundle.path}: the sync bundle is damaged (its contents do not parse).") from exc


class _Frames:
    """Format 3's frames from the authenticated chunks: (kind, body), each at most MAX_FRAME bytes."""

    def __init__(self, chunks: Iterator[bytes], path: Path):
        self._chunks = chunks
        self._buf = bytearray()
        self._path = path

    def _damaged(self) -> BundleRefused:
        return BundleRefused(f"{self._path}: the sync bundle is damaged (its contents do not parse).")

    def _read(self, n: int) -> bytes | None:
        while len(self._buf) < n:
            piece = next(self._chunks, None)
            if piece is None:
                if self._buf:
                    raise self._damaged()
                return None
            self._buf += piece
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        while True:
            head = self._read(5)
            if head is None:
                return
            kind, size = head[:1], struct.unpack(">I", head[1:])[0]
            if kind not in (b"O", b"B", b"D") or size > (CHUNK if kind != b"O" else MAX_LINE):
                raise self._damaged()
            body = self._read(size) if size else b""
            if body is None:
                raise self._damaged()
            yield kind, body


def _lines_of(block: bytes, path: Path) -> list[bytes]:
    """The op lines of an O frame (at most MAX_LINE once inflated: a zip bomb stops there)."""
    unzip = zlib.decompressobj()
    try:
        plain = unzip.decompress(block, MAX_LINE + 1)
    except zlib.error:
        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).") from None
    if len(plain) > MAX_LINE or unzip.unconsumed_tail or not unzip.eof or not plain.endswith(b"\n"):
        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).")
    return plain[:-1].split(b"\n")


class _BlobIn:
    """A blob arriving in a bundle: its stored bytes gathered, checked against its hash, then stored
    (skipped when this machine already holds it)."""

    def __init__(self, conn, body: bytes, path: Path):
        try:
            head = json.loads(body)
            self.digest, self.size, self.codec, self.left = head["h"], int(head["n"]), str(head["c"]), int(head["s"])
            if not (isinstance(self.digest, str) and len(self.digest) == 64 and 0 <= self.left <= MAX_BLOB
                    and self.size >= 0):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).") from None
        self.conn, self.path = conn, path
        self.skip = blobs.has(conn, self.digest)
        self.data = bytearray()

    def add(self, piece: bytes) -> None:
        if len(piece) > self.left:
            raise BundleRefused(f"{self.path}: the sync bundle is damaged (its contents do not parse).")
        self.left -= len(piece)
        if not self.skip:
            self.data += piece

    def finish(self) -> bool:
        """Store it (when new); True if it was stored."""
        if self.skip:
            return False
        stored = bytes(self.data)
        try:
            plain = blobs.unpack(self.codec, stored)
        except (ValueError, zlib.error):
            plain = None
        if plain is None or len(plain) != self.size or blobs.hash_of(plain) != self.digest:
            raise BundleRefused(f"{self.path}: the sync bundle is damaged (a file in it does not match its "
                                "fingerprint). Nothing was changed; export it again.")
        blobs.put_stored(self.conn, self.digest, self.size, self.codec, stored)
        return True


def lift_legacy(conn, ops: list[OpRow]) -> list[OpRow]:
    """Ops of an older machine (format 1 and 2 bundles, enrolment files) whose values still hold a message's
    original or an attachment's bytes: those bytes stored as blobs, the ops naming them by hash instead
    (the same ops the migration gives that machine once it is upgraded)."""
    out = []
    for op in ops:
        got = lift_op(op.tbl, op.field, op.value, lambda data: blobs.put(conn, data))
        out.append(op if got is None else op._replace(field=got[0], value=got[1]))
    return out


def _apply_stream(office, opened: _Open) -> tuple[ApplyResult, int, int]:
    """Pass 2: decrypt again, store the blobs and apply the ops in batches, in one transaction with the
    acknowledgement. Returns the result and the blobs carried and stored."""
    path, bundle = opened.bundle.path, opened.bundle
    received = new = rows = carried = stored = 0
    with office.writing() as w:
        conn = w.session.connection()
        done = state.compacted(conn)  # ops compacted away here are not taken back

        def flush(batch: list[OpRow]) -> None:
            nonlocal received, new, rows
            if bundle.format != FORMAT:
                batch = lift_legacy(conn, batch)
            if done:
                batch = [op for op in batch if op.seq > done.get(op.site, 0)]
            got = apply_ops(conn, batch, office.clock)
            received, new, rows = received + got.received, new + got.new, rows + got.rows

        batch: list[OpRow] = []
        weight = 0
        coder = _LineCoder()

        def add(line: bytes) -> None:
            nonlocal batch, weight
            try:
                op = coder.decode(line)
            except (ValueError, TypeError):
                raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).") from None
            if op is None:
                return
            batch.append(op)
            weight += len(line)
            if len(batch) >= APPLY_BATCH or weight >= APPLY_BATCH_BYTES:
                flush(batch)
                batch, weight = [], 0

        if bundle.format == FORMAT_V1:
            ops = _v1_ops(office, opened)
            for i in range(0, len(ops), APPLY_BATCH):
                flush(ops[i:i + APPLY_BATCH])
        else:
            chunks = sealed_chunks(opened.fh, office.derive_key(KEY_INFO), hashlib.sha256(opened.prefix).digest(), path)
            if bundle.format == FORMAT_V2:
                for line in _lines(chunks, path):
                    add(line)
            else:
                blob: _BlobIn | None = None
                for kind, body in _Frames(chunks, path):
                    if blob is not None and kind != b"D":
                        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).")
                    if kind == b"O":
                        for line in _lines_of(body, path):
                            add(line)
                        continue
                    if kind == b"B":
                        blob = _BlobIn(conn, body, path)
                        carried += 1
                    elif blob is None:
                        raise BundleRefused(f"{path}: the sync bundle is damaged (its contents do not parse).")
                    else:
                        blob.add(body)
                    if blob.left == 0:
                        stored += blob.finish()
                        blob = None
                if blob is not None:
                    raise BundleRefused(f"{path}: the sync bundle is damaged (its contents end early).")
            if batch:
                flush(batch)
        state.record_ack(conn, bundle.site, bundle.vector, code=bundle.code, at=_now())
    return ApplyResult(received, new, rows), carried, stored


def import_bundle(office, path: Path, data: bytes | None = None) -> Imported:
    """Authenticate one bundle file whole, then apply it; raises BundleRefused with nothing changed.
    `data` is the bundle's bytes when they are already in memory (tests); a file is streamed."""
    path = Path(path)
    opened = _open(office, path, data)
    with opened.fh:
        bundle = opened.bundle
        if bundle.site == office.site_id:
            return Imported(path, bundle.site, bundle.code, bundle.ops, 0, 0, skipped="this machine's own bundle")
        if bundle.format != FORMAT_V1:  # pass 1: every chunk authenticated before anything is applied
            for _ in sealed_chunks(opened.fh, office.derive_key(KEY_INFO), hashlib.sha256(opened.prefix).digest(), path):
                pass
            opened.fh.seek(len(opened.prefix))
        result, carried, stored = _apply_stream(office, opened)
    office.set_meta("sync.last_import_at", _now())
    office.reconcile_slots()  # staff added, removed or re-keyed on another machine
    scrubbed = erasure.scrub_if_pending(office)  # erased values leave the file too
    return Imported(path, bundle.site, bundle.code, result.received, result.new, result.rows, scrubbed=scrubbed,
                    blobs=carried, blobs_new=stored)


# -- export ------------------------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> None:
    """Write a new owner-only file then rename it into place, so readers never see half a file."""
    write_private(path, data)


def default_name(office) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"mpoffice-{office.site_code}-{stamp}{SUFFIX}"


def export_file(office, target: Path) -> tuple[int, int]:
    """Stream a bundle into a new owner-only file, renamed into place when complete: (ops, bytes)."""
    count, size, _ = _export_file(office, target)
    return count, size


def _export_file(office, target: Path) -> tuple[int, int, int]:
    tmp = temp_beside(target)
    try:
        with open_private(tmp) as fh:
            count, carried = _write_bundle(office, fh)
            fh.flush()
            os.fsync(fh.fileno())
            size = fh.tell()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return count, size, carried


def export_bundle(office, target: Path) -> Exported:
    """Write a bundle to `target` (a folder: a new time-stamped file in it; or a file name)."""
    target = Path(target)
    if target.is_dir():
        target = target / default_name(office)
    count, size, carried = _export_file(office, target)
    office.set_meta("sync.last_export_at", _now())
    return Exported(target, count, size, carried)
