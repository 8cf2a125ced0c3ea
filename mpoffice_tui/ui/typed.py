"""Typed access to the running app: every screen, dialog and widget of mpoffice runs inside an `OfficeApp`.

Screens and dialogs (`OfficeScreen`, `OfficeDialog`) declare `app` as an `OfficeApp` for the type checker;
anything else (a command provider, a suggester, a widget) uses `office_app(node)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp


class _InApp(Protocol):
    @property
    def app(self) -> object: ...  # a node, a command provider, a suggester's owner


def office_app(node: _InApp) -> OfficeApp:
    """`node.app`, typed as the OfficeApp it is."""
    return cast("OfficeApp", node.app)
