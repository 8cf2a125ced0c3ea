"""Sync between machines: op merge, encrypted bundles, joining, the sync folder (DESIGN §5)."""

from __future__ import annotations


def erase(office, tbl: str, row_id: str) -> None:
    """Erase a row's personal data and its history on every machine (see `sync.erasure`)."""
    from mpoffice_tui.sync.erasure import erase as _erase

    _erase(office, tbl, row_id)
