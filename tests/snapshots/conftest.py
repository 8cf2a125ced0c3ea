"""Every snapshot is taken on one pinned day, so counts of overdue cases and chart months never drift with
the calendar (the demo office's own today)."""

from __future__ import annotations

import pytest

DEMO_TODAY = "2026-11-02"


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", DEMO_TODAY)
