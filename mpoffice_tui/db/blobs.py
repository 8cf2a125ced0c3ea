"""Raw mail and attachments, stored once by content hash (DESIGN §3).

A blob is a row of the local table `blobs` (never an op): its SHA-256 hex is its name, so the same bytes
are kept once however many messages or attachments hold them. Shared rows name a blob by its hash in one
of `db.models.BLOB_COLUMNS` (a message's `raw_hash`, an attachment's `blob_hash`); ops carry the hash
only, and sync bundles carry each blob an op refers to, once. The bytes are encrypted with the rest of the
file; a blob that shrinks under zlib by at least an eighth is kept compressed (`codec` "zlib").

    h = blobs.put(w, data)              # inside the writer's transaction; idempotent
    data = blobs.read(office, h)        # bytes, or None when this machine does not hold it
    for piece in blobs.open_stream(office, h): ...
    blobs.collect_garbage(w)            # blobs no live row names (after erasure, compaction)

`source` arguments take an Office, a Writer, an ORM Session or a SQLAlchemy Connection.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mpoffice_tui.db.models import BLOB_COLUMNS

ZLIB = "zlib"
PLAIN = ""
SAMPLE = 64 * 1024  # compression is tried on the whole blob only when this much of it shrinks
MIN_PACK = 256  # smaller blobs are kept as they are
PIECE = 1 << 20  # open_stream's piece size


def hash_of(data: bytes) -> str:
    """A blob's name: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def pack(data: bytes) -> tuple[str, bytes]:
    """(codec, stored bytes): zlib when that saves at least an eighth, else the bytes as they are."""
    if len(data) < MIN_PACK:
        return PLAIN, data
    if len(data) > SAMPLE and len(zlib.compress(data[:SAMPLE], 1)) > SAMPLE * 7 // 8:
        return PLAIN, data  # already compressed (PDF, JPEG, ZIP): not worth the time
    packed = zlib.compress(data, 6)
    return (ZLIB, packed) if len(packed) <= len(data) * 7 // 8 else (PLAIN, data)


def unpack(codec: str, stored: bytes) -> bytes:
    if codec == ZLIB:
        return zlib.decompress(stored)
    if codec == PLAIN:
        return stored
    raise ValueError(f"unknown blob codec {codec[:20]!r}")


def _conn(source: Any):
    """The SQLAlchemy connection of a Writer, Session or Connection (not an Office)."""
    if hasattr(source, "session"):  # a Writer
        return source.session.connection()
    if hasattr(source, "exec_driver_sql"):
        return source
    return source.connection()  # a Session


@contextmanager
def _reading(source: Any):
    if hasattr(source, "engine") and hasattr(source, "writing"):  # an Office
        with source.engine.connect() as conn:
            yield conn
    else:
        yield _conn(source)


def put(w: Any, data: bytes) -> str:
    """Keep `data` (inside the writer's transaction) and return its hash; bytes already held are kept once."""
    data = bytes(data)
    digest = hash_of(data)
    conn = w.raw if hasattr(w, "raw") else _conn(w)  # a Writer's raw connection: imports put one a message
    if conn.exec_driver_sql("SELECT 1 FROM blobs WHERE hash = ?", (digest,)).fetchone() is None:
        codec, stored = pack(data)
        put_stored(conn, digest, len(data), codec, stored)
    return digest


def put_stored(conn: Any, digest: str, size: int, codec: str, stored: bytes) -> None:
    """Keep a blob in its stored form (as a bundle carries it); the caller has checked it unpacks to
    `size` bytes whose hash is `digest`."""
    conn.exec_driver_sql("INSERT OR IGNORE INTO blobs (hash, size, codec, data) VALUES (?, ?, ?, ?)",
                         (digest, size, codec, stored))


def has(conn: Any, digest: str | None) -> bool:
    """Whether this machine holds the blob."""
    if not digest:
        return False
    with _reading(conn) as c:
        return c.exec_driver_sql("SELECT 1 FROM blobs WHERE hash = ?", (digest,)).fetchone() is not None


def stored(source: Any, digest: str | None) -> tuple[int, str, bytes] | None:
    """(size, codec, stored bytes) of a blob as kept, or None (for bundles: sent as stored)."""
    if not digest:
        return None
    with _reading(source) as c:
        row = c.exec_driver_sql("SELECT size, codec, data FROM blobs WHERE hash = ?", (digest,)).fetchone()
    return (int(row[0]), str(row[1]), bytes(row[2])) if row else None


def read(source: Any, digest: str | None) -> bytes | None:
    """A blob's bytes, or None when there is no hash or this machine does not hold it."""
    found = stored(source, digest)
    return unpack(found[1], found[2]) if found else None


def open_stream(source: Any, digest: str | None, piece: int = PIECE) -> Iterator[bytes] | None:
    """A blob's bytes in pieces of at most `piece` bytes (a compressed one is inflated piece by piece),
    or None when it is not held."""
    found = stored(source, digest)
    if found is None:
        return None
    _, codec, data = found

    def pieces() -> Iterator[bytes]:
        if codec == PLAIN:
            view = memoryview(data)
            for i in range(0, len(view), piece):
                yield bytes(view[i:i + piece])
            return
        inflate = zlib.decompressobj()
        tail = data
        while tail:
            out = inflate.decompress(tail, piece)
            tail = inflate.unconsumed_tail
            if out:
                yield out
        rest = inflate.flush()
        if rest:
            yield rest

    return pieces()


def referenced_sql() -> str:
    """SQL listing every hash a row (live, tombstoned or not) names."""
    parts = [f'SELECT "{col}" FROM "{tbl}" WHERE "{col}" IS NOT NULL AND "{col}" != \'\''
             for tbl, cols in BLOB_COLUMNS.items() for col in cols]
    return " UNION ".join(parts)


def collect_garbage(w: Any) -> int:
    """Delete the blobs no row names any more (an erasure blanked the hash, a draft was rewritten, the row
    was never applied here); returns how many went. A tombstoned row still names its blob (it can be
    restored). Runs in the caller's transaction."""
    conn = _conn(w)
    cur = conn.exec_driver_sql(f"DELETE FROM blobs WHERE hash NOT IN ({referenced_sql()})")
    return int(cur.rowcount or 0)


def hashes_in(tbl: str, field: str, value: Any) -> list[str]:
    """The blob hashes an op's decoded value names (a whole-row op or one blob column)."""
    cols = BLOB_COLUMNS.get(tbl)
    if not cols:
        return []
    if field == "*" and isinstance(value, dict):
        found = [value.get(c) for c in cols]
    elif field in cols:
        found = [value]
    else:
        return []
    return [h for h in found if isinstance(h, str) and h]
