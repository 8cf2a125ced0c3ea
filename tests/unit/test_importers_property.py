"""Mutated mail and register files fed to the importers: a reason for each refusal, never an exception.

Hypothesis mutates real fixtures (bytes flipped, inserted, deleted, lines duplicated or cut) and the
importers must answer with items and row problems: every mail item has a message or an error (with the
file and position), a register file is either read (rows, problems with a line and a reason) or refused
with RegisterFileError naming the file. The streamed mbox reader must split exactly as the in-memory one.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpoffice_tui.importers.mail import readers
from mpoffice_tui.importers.register import RegisterFileError, read_register

FIX = Path(__file__).resolve().parents[1] / "fixtures"
MAIL = sorted(p for p in (FIX / "mail").glob("*") if p.is_file() and p.suffix in (".eml", ".mbox", ".msg"))
REGISTER = sorted(p for p in (FIX / "register").glob("*") if p.suffix in (".csv", ".tsv", ".txt"))

edit = st.tuples(st.sampled_from(["flip", "insert", "delete", "dup_line", "cut", "nul", "quote", "newline"]),
                 st.integers(min_value=0, max_value=1 << 30), st.binary(min_size=1, max_size=8))


def mutate(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, blob in edits:
        at = where % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= blob[0] or 1
        elif kind == "insert":
            out[at:at] = blob
        elif kind == "delete":
            del out[at:at + len(blob)]
        elif kind == "dup_line":
            start = out.rfind(b"\n", 0, at) + 1
            end = out.find(b"\n", at)
            line = out[start:(end + 1 if end >= 0 else len(out))]
            out[start:start] = line
        elif kind == "cut":
            del out[at:]
        elif kind in ("nul", "quote", "newline"):
            out[at:at] = {"nul": b"\x00", "quote": b'"', "newline": b"\r"}[kind]
    return bytes(out)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(source=st.sampled_from(MAIL), edits=st.lists(edit, min_size=1, max_size=12))
def test_mutated_mail_is_imported_or_rejected_with_a_reason(tmp_path, source, edits):
    path = tmp_path / ("mutated" + source.suffix)
    path.write_bytes(mutate(source.read_bytes(), edits))
    items = list(readers.read_file(path))
    assert items
    for item in items:
        assert item.file == str(path)
        assert (item.message is None) != (item.error is None)
        if item.error is not None:
            assert item.error.strip() and "Traceback" not in item.error


@SETTINGS
@given(source=st.sampled_from(REGISTER), edits=st.lists(edit, min_size=1, max_size=12))
def test_mutated_register_files_are_read_or_refused_with_a_reason(tmp_path, source, edits):
    path = tmp_path / source.name
    path.write_bytes(mutate(source.read_bytes(), edits))
    try:
        parsed = read_register(path)
    except RegisterFileError as exc:
        assert str(path) in str(exc)
        return
    lines = max(1, path.read_bytes().count(b"\n") + path.read_bytes().count(b"\r") + 1)
    for problem in parsed.problems + parsed.notes:
        assert problem.file == str(path) and problem.reason and 1 <= problem.row <= lines
    for rec in parsed.records:
        assert rec.eno is None or 0 <= rec.eno < 10 ** 9  # fits the database, whatever the file said


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from([b"From a@b Mon Jan 1 2026\n", b"From: x@y.z\n", b"Subject: s\n", b"\n",
                                       b"\r\n", b"body text\n", b">From quoted\n", b"From notaseparator",
                                       b"line\r\n", b"From b@c Tue\r\n", b"lone\rcr\n"]), min_size=1, max_size=30))
def test_the_streamed_mbox_reader_keeps_every_message_in_order(parts):
    raw = b"From start@example.org Mon Jan 1 2026\n" + b"".join(parts)
    lines = re.findall(rb"[^\n]*\n|[^\n]+$", raw)
    starts = [i for i, line in enumerate(lines)
              if line.startswith(b"From ") and (i == 0 or lines[i - 1] in (b"\n", b"\r\n"))]
    found = list(readers.mbox_messages(io.BufferedReader(io.BytesIO(raw))))
    assert [line for _, line, _, _ in found] == [i + 1 for i in starts]  # a message at each From_ line
    for n, (_, _, body, _) in enumerate(found):  # each is the lines between, less the separating blank line
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        between = lines[starts[n] + 1:end]
        if n + 1 < len(starts) and between and between[-1] in (b"\n", b"\r\n"):
            between = between[:-1]
        assert body == b"".join(between)
