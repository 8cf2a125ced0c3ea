"""Outside text made safe to show: terminal control characters removed, never parsed as markup."""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls, and bidi overrides that can disguise text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[\t\r\n]+")
# whole escape sequences first (CSI such as colours, OSC such as titles and links), so no "[31m" is left
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b[@-_]")


def clean(value: object) -> str:
    """Text with control characters removed (tabs and newlines kept)."""
    if value is None:
        return ""
    return _CONTROL.sub("", _ESCAPES.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n"))


def one_line(value: object) -> str:
    """Text for a single table cell: control characters removed, line breaks become spaces."""
    return _SPACES.sub(" ", clean(value)).strip()


def plain(value: object, style: str = "") -> Text:
    """A `rich.text.Text` of outside text: cleaned, no markup, no emoji codes."""
    return Text(clean(value).expandtabs(4), style=style, no_wrap=False)
