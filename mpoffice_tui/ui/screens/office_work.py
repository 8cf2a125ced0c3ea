"""Run database work for a screen in a thread worker and hand the result to a callback on the UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode

from mpoffice_tui.ui.text import one_line


def run_office(node: DOMNode, group: str, query: Callable[[Any], Any], then: Callable[[Any], Any] | None = None,
               *, done: str | None = None, exclusive: bool = True) -> None:
    """`query(office)` in a thread; then `then(result)` on the event loop (and `done` as a notification).

    A failure becomes an error notification with the service's one-line message, never a traceback;
    a result that arrives after the office locked is dropped.
    """
    app = node.app
    office = getattr(app, "office", None)
    if office is None:
        return

    def work() -> None:
        try:
            result = query(office)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback on screen
            if getattr(app, "office", None) is office:
                app.call_from_thread(app.notify, one_line(str(exc)) or exc.__class__.__name__,
                                     severity="error", markup=False)
            return
        if getattr(app, "office", None) is not office:
            return
        if then is not None:
            app.call_from_thread(then, result)
        if done:
            app.call_from_thread(app.notify, done)

    node.run_worker(work, thread=True, exclusive=exclusive, group=group)
