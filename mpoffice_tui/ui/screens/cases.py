"""The case screens (kept as one import place): the list and the detail live in their own modules."""

from __future__ import annotations

from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.case_list import CasesScreen

__all__ = ["CaseDetailScreen", "CasesScreen"]
