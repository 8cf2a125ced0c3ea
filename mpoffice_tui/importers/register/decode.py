"""Read an export file's bytes as text and rows: encoding (UTF-8 with or without BOM, windows-1252,
UTF-16 and UTF-32 with or without BOM) and delimiter (tab, comma or semicolon, whatever the extension
says).

Nothing is garbled or dropped in silence:
- a UTF-8 file with a few lines in Windows-1252 (a name fixed in another editor) is read as UTF-8 with
  those lines read as Windows-1252, and each such line is noted (and the other way round);
- a line that cannot be decoded at all (a broken UTF-16 sequence) is a problem for that line only;
- a row whose opening quote is never closed is a problem for its first line, and reading goes on at
  the next line (it does not swallow the rest of the file); so is a row the CSV reader cannot read.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field


class Unreadable(Exception):
    """The whole file cannot be read (message says why, without the file name)."""


@dataclass
class Decoded:
    """A file's text, the encoding it was read with, and what was noticed on the way."""

    text: str
    encoding: str
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, what): read, but read differently
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, why): could not be decoded


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"))
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
MAX_SPAN = 5  # physical lines a quoted field may run over before it counts as an unterminated quote


def split_lines(text: str) -> list[str]:
    """Physical lines with their endings, split on CR LF, CR or LF only (as a CSV reader counts them)."""
    return _LINE.findall(text)


def _wide_without_bom(head: bytes) -> str | None:
    """utf-32-le/be or utf-16-le/be for text whose NUL bytes fall where those encodings put them."""
    n = len(head) // 4 * 4
    if n < 8:
        return None
    zeros = [head[i:n:4].count(0) / (n // 4) for i in range(4)]
    if zeros[2] == zeros[3] == 1 and zeros[1] > 0.9 and zeros[0] < 0.5:
        return "utf-32-le"
    if zeros[0] == zeros[1] == 1 and zeros[2] > 0.9 and zeros[3] < 0.5:
        return "utf-32-be"
    even, odd = head[0:n:2].count(0) / (n // 2), head[1:n:2].count(0) / (n // 2)
    if odd > 0.9 and even < 0.1:
        return "utf-16-le"
    if even > 0.9 and odd < 0.1:
        return "utf-16-be"
    return None


def _wide(data: bytes, codec: str, label: str) -> Decoded:
    """Text in a UTF-16/32 encoding; a line with bytes that do not decode is a problem for that line."""
    try:
        return Decoded(data.decode(codec), label)
    except UnicodeDecodeError:
        pass
    text = data.decode(codec, errors="replace")
    lines = split_lines(text)
    if lines and "\ufffd" in lines[0]:
        raise Unreadable(f"its header row is not valid {label.upper()}")
    problems = [(i, f"this line is not valid {label.upper()} (bytes that do not decode); the row is skipped")
                for i, line in enumerate(lines, 1) if "\ufffd" in line]
    kept = "".join("\n" if "\ufffd" in line else line for line in lines)
    return Decoded(kept, label, problems=problems)


def _without_nul_lines(decoded: Decoded) -> Decoded:
    """A line holding a NUL byte (a damaged or binary line in a text file) is a problem, not a row."""
    if "\x00" not in decoded.text:
        return decoded
    lines = split_lines(decoded.text)
    if lines and "\x00" in lines[0]:
        raise Unreadable("its header row holds NUL bytes (a damaged or binary file)")
    decoded.problems += [(i, "this line holds NUL bytes (damaged); the row is skipped")
                         for i, line in enumerate(lines, 1) if "\x00" in line]
    decoded.text = "".join("\n" if "\x00" in line else line for line in lines)
    return decoded


def _single_byte(line: bytes) -> str:
    try:
        return line.decode("windows-1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return line.decode("latin-1")


def _mixed(data: bytes) -> Decoded:
    """UTF-8 or Windows-1252, decided line by line: the file's encoding is the one most of its non-ASCII
    lines are in; each line in the other one is read in its own and noted."""
    lines = data.splitlines(keepends=True)
    utf8: list[int] = []
    other: list[int] = []
    texts: list[str | None] = [None] * len(lines)
    for i, line in enumerate(lines):
        if line.isascii():
            texts[i] = line.decode("ascii")
            continue
        try:
            texts[i] = line.decode("utf-8")
            utf8.append(i)
        except UnicodeDecodeError:
            texts[i] = _single_byte(line)
            other.append(i)
    if len(utf8) >= len(other):
        notes = [(i + 1, "this line is not UTF-8 like the rest of the file: read as Windows-1252 "
                         "(check its accented letters)") for i in other]
        return Decoded("".join(t or "" for t in texts), "utf-8", notes)
    notes = [(i + 1, "this line is UTF-8 in a Windows-1252 file: read as UTF-8 (check its accented letters)")
             for i in utf8]
    return Decoded("".join(t or "" for t in texts), "windows-1252", notes)


def decode(data: bytes) -> Decoded:
    """The text of an export's bytes (see module doc); raises Unreadable for binaries."""
    for bom, codec, label in _WIDE_BOMS:
        if data.startswith(bom):
            return _wide(data[len(bom):], codec, label)
    if data.startswith(b"PK\x03\x04"):
        raise Unreadable("it is a spreadsheet workbook (.xlsx), not a text export: save it as CSV first")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable("it is an old Excel workbook (.xls), not a text export: save it as CSV first")
    head = data[:4096]
    if b"\x00" in head:
        codec = _wide_without_bom(head)
        if codec is not None:
            return _wide(data, codec, codec[:6])
        if head.count(0) > len(head) // 100:
            raise Unreadable("it looks like a binary file, not a CSV or tab-separated export")
    if data.startswith(codecs.BOM_UTF8):
        decoded = _mixed(data[3:])
        if decoded.encoding == "utf-8":
            decoded.encoding = "utf-8-sig"
        return _without_nul_lines(decoded)
    try:
        return _without_nul_lines(Decoded(data.decode("utf-8"), "utf-8"))
    except UnicodeDecodeError:
        pass
    return _without_nul_lines(_mixed(data))


def sniff_delimiter(header_line: str) -> str:
    """The delimiter used in the header line: the most frequent of tab, comma and semicolon."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Lines:
    """The file's physical lines for the CSV reader, with the position kept (so reading can go back)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.pos = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]], str, list[tuple[int, str]]]:
    """(header, [(line number, fields)...], delimiter, [(line number, problem)...]). Blank lines are skipped.

    A row that cannot be read (an unterminated quote, a field the CSV reader refuses) is a problem for
    its first line; reading goes on from the line after it.
    """
    lines = split_lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise Unreadable("it is empty")
    delimiter = sniff_delimiter(lines[first])
    source = _Lines(lines)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[tuple[int, str]] = []
    while source.pos < len(lines):
        start = source.pos
        reader = csv.reader(source, delimiter=delimiter)
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                raise Unreadable(f"the header row cannot be read ({exc})") from None
            problems.append((start + 1, f"the row cannot be read ({exc}); it is skipped"))
            source.pos = start + 1
            continue
        span = source.pos - start
        if span > 1 and any("\n" in f or "\r" in f for f in fields) and (
                header is None or span > MAX_SPAN or len(fields) != len(header)):
            if header is None:
                raise Unreadable("the header row has a quote (\") that is never closed")
            problems.append((start + 1, "a quote (\") opened on this line is never closed; the row is skipped"))
            source.pos = start + 1  # read on from the next line, not from where the quote swallowed to
            continue
        if not "".join(fields).strip():
            continue
        if header is None:
            header = fields
            continue
        rows.append((start + 1, fields))
    if header is None:
        raise Unreadable("it has no header row")
    return header, rows, delimiter, problems
