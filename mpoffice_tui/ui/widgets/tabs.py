"""Textual's Tabs, made safe against a race in Textual 8.

Under load a Tabs can be sent a Resize (or asked to move its underline) while its children are not
mounted yet, or are already gone as the screen closes; Textual's Tabs then raises NoMatches for its
Underline and the app dies. This subclass simply skips the underline until it exists.
"""

from __future__ import annotations

from textual.widgets import Tabs as TextualTabs
from textual.widgets._tabs import Underline


class Tabs(TextualTabs):
    """Tabs whose underline is only moved while it is mounted."""

    def _highlight_active(self, animate: bool = True) -> None:
        if self.query(Underline):
            super()._highlight_active(animate)
