"""Electoral register exports: detect the format from the header row and read every elector.

    parsed = read_register(path)      # ParsedFile: records, problems (file, row, reason), format
    # raises RegisterFileError (a one-line message naming the file) when the file cannot be read

Formats: Xpress, Halarose/Idox EROS, Idox Elections, Democracy Counts (one module each). Encoding
(UTF-8 with or without BOM, windows-1252, UTF-16 and UTF-32) and delimiter (tab, comma, semicolon) are
sniffed from the content, never from the extension. A row that cannot be read is a problem with its
file, line and reason, and the rest are read; a line read in another encoding than the file's is a
note. Only a regular file of at most MAX_FILE_BYTES is opened (a FIFO or a device never is).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mpoffice_tui.files import FileRefused, MiB, read_regular
from mpoffice_tui.importers.register.common import (
    ElectorRecord,
    Format,
    ParsedFile,
    RowProblem,
    header_key,
)
from mpoffice_tui.importers.register.decode import Unreadable, decode, read_rows
from mpoffice_tui.importers.register.democracy_counts import DemocracyCounts
from mpoffice_tui.importers.register.eros import Eros
from mpoffice_tui.importers.register.idox import IdoxElections
from mpoffice_tui.importers.register.xpress import Xpress

__all__ = ["FORMATS", "ElectorRecord", "ParsedFile", "RegisterFileError", "RowProblem", "detect",
           "no_gc", "parse_text", "read_register"]

FORMATS: tuple[Format, ...] = (Xpress(), Eros(), IdoxElections(), DemocracyCounts())
MAX_FILE_BYTES = MiB(512)  # a whole constituency's register is 20-40 MB


class RegisterFileError(ValueError):
    """A register file that cannot be read at all (nothing from it is imported)."""


def detect(header: list[str]) -> Format | None:
    """The format whose required columns are all in the header row."""
    keys = {header_key(h) for h in header}
    return next((f for f in FORMATS if f.matches(keys)), None)


def parse_text(text: str, *, name: str, encoding: str = "utf-8") -> ParsedFile:
    """Read decoded export text (raises Unreadable when the header is not a known format)."""
    if "\ufeff" in text:  # byte-order marks inside a file (joined exports): never part of a value
        text = text.replace("\ufeff", "")
    header, rows, delimiter, unread = read_rows(text)
    fmt = detect(header)
    if fmt is None:
        shown = ", ".join(h.strip() for h in header[:8] if h.strip())
        raise Unreadable(f"the header row is not a register export this program knows "
                         f"(Xpress, EROS, Idox Elections, Democracy Counts); it starts: {shown[:120]}")
    plan = fmt.plan(header)
    parsed = ParsedFile(path=name, format=fmt.name, format_label=fmt.label, encoding=encoding,
                        delimiter="tab" if delimiter == "\t" else delimiter)
    parsed.problems += [RowProblem(name, line, reason) for line, reason in unread]
    width = len(header)
    for line, fields in rows:
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            parsed.problems.append(RowProblem(name, line, f"{len(fields)} fields where the header has "
                                                          f"{width} (a stray delimiter?)"))
            continue
        try:
            rec = fmt.record(fields, plan)
        except ValueError as exc:
            parsed.problems.append(RowProblem(name, line, str(exc)))
            continue
        if rec is None:
            parsed.skipped += 1
        else:
            parsed.records.append(rec)
    parsed.problems.sort(key=lambda p: p.row)
    return parsed


@contextmanager
def no_gc() -> Iterator[None]:
    """Cyclic garbage collection paused (a parse makes millions of small acyclic objects)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_register(path: str | Path) -> ParsedFile:
    """Read a whole export; RegisterFileError (naming the file) if it cannot be read at all."""
    with no_gc():
        return _read(Path(path))


def _read(path: Path) -> ParsedFile:
    try:
        data = read_regular(path, MAX_FILE_BYTES, "register file")
    except FileRefused as exc:
        raise RegisterFileError(str(exc)) from None
    try:
        decoded = decode(data)
        del data
        parsed = parse_text(decoded.text, name=str(path), encoding=decoded.encoding)
    except Unreadable as exc:
        raise RegisterFileError(f"{path}: {exc}") from None
    parsed.problems = sorted(parsed.problems + [RowProblem(str(path), line, why) for line, why in decoded.problems],
                             key=lambda p: p.row)
    parsed.notes = [RowProblem(str(path), line, why) for line, why in decoded.notes]
    return parsed
