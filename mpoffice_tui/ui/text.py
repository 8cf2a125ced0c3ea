"""Outside text made safe to show in the TUI: the one cleaner (mpoffice_tui.text), never parsed as markup."""

from __future__ import annotations

from rich.text import Text

from mpoffice_tui.text import clean, one_line

__all__ = ["clean", "one_line", "plain"]


def plain(value: object, style: str = "") -> Text:
    """A `rich.text.Text` of outside text: cleaned, no markup, no emoji codes."""
    return Text(clean(value).expandtabs(4), style=style, no_wrap=False)
