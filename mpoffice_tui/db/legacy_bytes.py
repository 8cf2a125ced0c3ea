"""Bytes as versions before blobs kept them (schema 3 and earlier, sync bundle format 2, enrolment files of
format 1), turned into blobs named by hash.

A message's original was the column `raw`, an attachment's bytes `data` beside its hash `sha256`; ops held
them as {"$b64": …} or, in ops written before the encoding fix, as the text of a Python repr ("b'…'").
`lift_op` rewrites one op's field and value to name the blob instead (keeping the bytes through `keep`), so
the migration and an old machine's bundle give the same op; `lift_row_bytes` recovers a column's bytes.
"""

from __future__ import annotations

import ast
import base64
import json
from collections.abc import Callable
from typing import Any

from mpoffice_tui.db.writes import dumps

Keep = Callable[[bytes], str]  # stores bytes as a blob, returns its hash

# per table: (the old bytes column, the old hash column or None, the new hash column, the hash of nothing)
LEGACY: dict[str, tuple[str, str | None, str, str | None]] = {
    "messages": ("raw", None, "raw_hash", None),
    "attachments": ("data", "sha256", "blob_hash", ""),
}
OLD_FIELDS = {tbl: {old, *([h] if h else [])} for tbl, (old, h, _, _) in LEGACY.items()}


def recover(value: Any) -> bytes | None:
    """The bytes a legacy value stood for: bytes, {"$b64": …}, the text of a Python bytes repr, or other
    text (kept as its UTF-8); None for none."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, dict) and isinstance(value.get("$b64"), str):
        return base64.b64decode(value["$b64"])
    if isinstance(value, str):
        if value[:2] in ("b'", 'b"'):
            try:
                got = ast.literal_eval(value)
            except (ValueError, SyntaxError, MemoryError):
                got = None
            if isinstance(got, bytes):
                return got
        return value.encode("utf-8", "surrogatepass")
    return str(value).encode("utf-8")


def _hash_for(tbl: str, data: bytes | None, old_hash: Any, keep: Keep) -> str | None:
    _, _, _, empty = LEGACY[tbl]
    if data is None or (not data and not old_hash and empty is not None):
        return empty  # nothing held (an erased attachment: no bytes and no hash)
    return keep(data)


def lift_value(tbl: str, field: str, value: Any, keep: Keep) -> tuple[str, Any] | None:
    """(new field, new value) for a decoded op value of the old shape, or None if it needs no change."""
    if tbl not in LEGACY:
        return None
    old, old_hash, new, _ = LEGACY[tbl]
    if field == "*":
        if not isinstance(value, dict) or (old not in value and (old_hash or old) not in value):
            return None
        digest = _hash_for(tbl, recover(value.get(old)), value.get(old_hash) if old_hash else None, keep)
        out: dict[str, Any] = {}
        for k, v in value.items():  # the new column where the old hash (else the bytes) stood
            if k == (old_hash or old):
                out[new] = digest
            elif k != old:
                out[k] = v
        if new not in out:
            out[new] = digest
        return "*", out
    if field == old:
        return new, _hash_for(tbl, recover(value), None, keep)
    if old_hash and field == old_hash:
        return new, value
    return None


def lift_op(tbl: str, field: str, value_json: str, keep: Keep) -> tuple[str, str] | None:
    """(new field, new value JSON) for an op of the old shape, or None if it needs no change."""
    if tbl not in LEGACY or (field != "*" and field not in OLD_FIELDS[tbl]):
        return None
    if field == "*" and not any(f'"{f}":' in value_json for f in OLD_FIELDS[tbl]):
        return None
    got = lift_value(tbl, field, json.loads(value_json), keep)
    return None if got is None else (got[0], dumps(got[1]))
