"""Read an export file's bytes as text and rows: encoding (UTF-8 with or without BOM, windows-1252,
UTF-16 with BOM) and delimiter (tab, comma or semicolon, whatever the extension says)."""

from __future__ import annotations

import codecs
import csv
import io


class Unreadable(Exception):
    """The whole file cannot be read (message says why, without the file name)."""


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) for an export's bytes; raises Unreadable for binaries."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise Unreadable("it starts like UTF-16 text but is not valid UTF-16") from exc
    if data.startswith(b"PK\x03\x04"):
        raise Unreadable("it is a spreadsheet workbook (.xlsx), not a text export: save it as CSV first")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable("it is an old Excel workbook (.xls), not a text export: save it as CSV first")
    if b"\x00" in data[:4096]:
        raise Unreadable("it looks like a binary file, not a CSV or tab-separated export")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise Unreadable("it has a UTF-8 mark but is not valid UTF-8") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("windows-1252"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter used in the header line: the most frequent of tab, comma and semicolon."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """(header, [(line number, fields)...], delimiter). Blank lines are skipped."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise Unreadable("it is empty")
    delimiter = sniff_delimiter(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            if not "".join(fields).strip():
                continue
            if header is None:
                header = fields
                continue
            rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise Unreadable(f"the CSV structure is broken near line {reader.line_num} ({exc})") from exc
    if header is None:
        raise Unreadable("it has no header row")
    return header, rows, delimiter
