"""Completes a case category from those the office already uses, so "Hou" → accepts "Housing"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.suggester import Suggester

from mpoffice_tui.ui.work import office_value

if TYPE_CHECKING:
    from textual.app import App

    from mpoffice_tui.ui.app import OfficeApp


class CategorySuggester(Suggester):
    """Suggests the first category the office uses that starts with what was typed (→ accepts it).

    The categories are read once, off the UI thread, the first time something is typed."""

    def __init__(self, app: App) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._app = app
        self._known: list[str] | None = None

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        if self._known is None:
            from mpoffice_tui.services import cases

            try:
                self._known = await office_value(self._app, cases.categories, "categories")
            except Exception:  # noqa: BLE001 - office locked or closed meanwhile: no suggestion
                return None
        return next((c for c in self._known if c.casefold().startswith(value)), None)


def category_suggester(app: OfficeApp) -> CategorySuggester | None:
    """A suggester for the app's open office, or None while no office is open."""
    return CategorySuggester(app) if app.office is not None else None
