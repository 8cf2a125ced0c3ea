"""Every Pilot test here runs with notifications shown, so a notification that cannot be drawn (outside
text parsed as markup: "[/x]" raised MarkupError and the app exited) fails the test that made it."""

from __future__ import annotations

import pytest
from textual.app import App


@pytest.fixture(autouse=True)
def _notifications_shown(monkeypatch):
    run_test = App.run_test

    def with_notifications(self, *args, notifications: bool = True, **kwargs):
        return run_test(self, *args, notifications=notifications, **kwargs)

    monkeypatch.setattr(App, "run_test", with_notifications)
