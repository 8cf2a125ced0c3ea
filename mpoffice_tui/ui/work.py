"""The one way the UI runs office work off the event loop (DESIGN §2 rule 4).

The office's own life (importing the database stack before there is an office, unlocking it, closing it,
and the long-running mail job) runs in the app's named `@work(thread=True)` methods, since there is no open
office to hand that work to; everything else uses `run_office`.

`run_office(node, group, query, then)` runs `query(office)` in a thread worker (exclusive in `group`)
and queues a `WorkDone` on `node`'s own message queue, which hands it to `then(result)` on the event
loop, or, when `query` raised, to `failed(text)` (by default a notification: a warning for an `OfficeError`, a clear
refusal, an error for anything else; never a traceback). A result that arrives after the office locked,
after `node` went away, or from work superseded by newer work in its exclusive group (a search as the person
types), is dropped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

from mpoffice_tui.ui.text import one_line

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.worker import Worker

    from mpoffice_tui.db.engine import Office

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class WorkDone(Generic[T]):
    """What office work came to: its `result`, or `error` (one line for the person) and whether that was
    a clear `refusal` (an `OfficeError`). Handed back to the node that asked, on its own message queue."""

    office: Office
    result: T | None
    error: str | None
    refusal: bool
    then: Callable[[T], object] | None
    failed: Callable[[str], object] | None
    done: str | None
    settled: Callable[[], object] | None

    async def deliver(self, app: App[object]) -> None:
        """On the event loop: `then` (awaited when it is a coroutine) or `failed`, then `done`; `settled`
        in any case. Nothing but `settled` once the office has locked."""
        try:
            if getattr(app, "office", None) is not self.office:
                return
            if self.error is not None:
                if self.failed is not None:
                    await _awaited(self.failed(self.error))
                else:
                    app.notify(self.error, severity="warning" if self.refusal else "error")
                return
            if self.then is not None:
                await _awaited(self.then(self.result))  # type: ignore[arg-type]
            if self.done:
                app.notify(self.done)
        finally:
            if self.settled is not None:
                self.settled()


async def _awaited(value: object) -> None:
    """Await what an `async def` callback returned (not Textual's optional awaitables, such as the one
    `dismiss` returns: awaiting that from the screen's own queue is refused)."""
    if inspect.iscoroutine(value):
        await value


def run_office(node: DOMNode, group: str, query: Callable[[Office], T],
               then: Callable[[T], object] | None = None, *, failed: Callable[[str], object] | None = None,
               done: str | None = None, settled: Callable[[], object] | None = None,
               exclusive: bool = True) -> Worker[None] | None:
    """Run `query(office)` in a thread worker and hand the outcome back to `node` (see the module).

    `then` and `failed` may be coroutines; `done` is a notification shown after `then`; `settled()` runs
    once it is over, whatever happened (work superseded in an exclusive group before its thread started
    never runs, and neither does its `settled`). Returns the worker, or None when no office is open.
    """
    app = node.app
    office: Office | None = getattr(app, "office", None)
    if office is None:
        return None

    def work() -> None:
        from textual.worker import get_current_worker

        from mpoffice_tui.db.errors import OfficeError

        result: T | None = None
        error: str | None = None
        try:
            result = query(office)
        except Exception as exc:  # noqa: BLE001 - reported to the person, never a traceback on screen
            error = one_line(str(exc)) or exc.__class__.__name__
            refusal = isinstance(exc, OfficeError)
        else:
            refusal = False
        if get_current_worker().is_cancelled:  # superseded by newer work in its group: its result is stale
            if settled is not None:
                node.call_later(settled)
            return
        # queued on `node` itself (thread-safe): dropped if it has gone, and in order with its own messages
        node.call_later(WorkDone(office, result, error, refusal, then, failed, done, settled).deliver, app)

    return node.run_worker(work, thread=True, exclusive=exclusive, group=group, exit_on_error=False)


async def office_value(node: DOMNode, query: Callable[[Office], T], group: str = "office-value") -> T:
    """`query(office)` run in a thread worker and awaited, for async code that needs the value inline (the
    palette's search, a suggester). Raises `LookupError` when no office is open, or what `query` raised."""
    from textual.worker import WorkerFailed

    office: Office | None = getattr(node.app, "office", None)
    if office is None:
        raise LookupError("no office is open")
    worker = node.run_worker(lambda: query(office), thread=True, group=group, exit_on_error=False)
    try:
        return await worker.wait()
    except WorkerFailed as failed:
        raise failed.error from None


def from_worker(node: DOMNode, callback: Callable[P, object]) -> Callable[P, None]:
    """`callback` made safe to call from a worker thread: each call runs it on `node`'s own message queue,
    in order (progress bars, a row at a time, a notification); dropped once `node` has gone."""
    def queued(*args: P.args, **kwargs: P.kwargs) -> None:
        node.call_later(callback, *args, **kwargs)

    return queued
