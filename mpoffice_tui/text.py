"""The one text cleaner: outside text (names, subjects, file names, server messages) made safe to show.

    clean(value)            terminal escape sequences, C0/C1 controls (tab and newline kept), bidi
                            embeddings/overrides/isolates and zero-width characters removed; CR LF -> LF
    one_line(value)         clean, then every run of line breaks and tabs becomes one space
    visible_escapes(value)  the same characters shown, not removed, as `\\u202e`-style escapes (for
                            --json: a consumer sees that something was there, and what)
    escape_all(data)        visible_escapes applied to every string (keys too) of nested JSON-able data

Headless (no Textual, no database): the CLI, services and the UI all use it.
"""

from __future__ import annotations

import re
from typing import Any

# DEL, C1 controls; bidi marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A-202E,
# U+2066-2069); zero-width characters (U+200B-200D, U+2060, U+FEFF).
_UNICODE = "\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
# ... plus C0 controls except tab and newline: what `clean` removes
_INVISIBLE = re.compile(f"[\x00-\x08\x0b-\x1f{_UNICODE}]")
# ... with CR also kept: what `visible_escapes` marks (a JSON encoder writes tab, LF and CR visibly)
_MARKED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNICODE}]")
# whole escape sequences first (CSI such as colours, OSC such as titles and links), so no "[31m" is left
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")


def clean(value: object) -> str:
    """Text with escape sequences and invisible characters removed (tabs and newlines kept)."""
    if value is None:
        return ""
    text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _INVISIBLE.sub("", _ESCAPES.sub("", text))


def one_line(value: object) -> str:
    """Text for a single line or table cell: cleaned, line breaks and tabs become single spaces."""
    return _BREAKS.sub(" ", clean(value)).strip()


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible_escapes(value: object) -> str:
    """Text with each invisible character shown as a visible `\\uXXXX` escape (CR, LF and tab kept)."""
    if value is None:
        return ""
    return _MARKED.sub(_escape, str(value))


def escape_all(data: Any) -> Any:
    """`visible_escapes` on every string in nested dicts, lists and tuples (other values as they are)."""
    if isinstance(data, str):
        return visible_escapes(data) if _MARKED.search(data) else data
    if isinstance(data, dict):
        return {escape_all(k): escape_all(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [escape_all(v) for v in data]
    return data
