"""The unlock screen: a passphrase (or this computer's keyring), clear messages, never tracebacks."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Middle, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from mpoffice_tui.ui.typed import office_app
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office


class UnlockButton(Static):
    """A light clickable "Unlock" for the mouse (Textual's Button costs first-frame time; Enter in the
    passphrase box does the same)."""

    class Pressed(Message):
        pass

    def on_click(self) -> None:
        if not self.has_class("busy"):
            self.post_message(self.Pressed())


class UnlockScreen(Screen):
    """Asks for the passphrase; unlocking runs in a thread worker (Argon2id takes a moment)."""

    AUTO_FOCUS = "#passphrase"

    class Result(Message):
        """How an unlock attempt went: an open office, or a message for the person."""

        def __init__(self, office: Office | None = None, error: str | None = None, note: str | None = None,
                     name: str = "") -> None:
            super().__init__()
            self.office, self.error, self.note, self.name = office, error, note, name

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle(), Center(), Vertical(id="unlock-box"):
            yield Static("Unlock the office", id="unlock-title")
            yield Static(Text(Path(office_app(self).db_path).name), id="unlock-file")
            yield Input(placeholder="Passphrase or recovery code", password=True, id="passphrase")
            yield UnlockButton("Unlock", id="unlock-button")
            yield Static("", id="unlock-message")
            yield Static("", id="keyring-note")
        yield KeyBar()

    def begin(self) -> None:
        """Called once the first frame is on screen: unlock by the given passphrase or the keyring."""
        app = office_app(self)
        auto = app.take_auto_passphrase()
        if auto is not None:
            self._attempt(auto)
        elif app.first_unlock:
            self._set_message("Checking this computer's keyring…")
            self.unlock(None)

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.query_one("#passphrase", Input).focus()

    # -- messages -----------------------------------------------------------------------------------
    def _set_message(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#unlock-message", Static)
        message.set_class(error, "error")
        message.update(Text(text))

    def show_locked(self, reason: str) -> None:
        """Shown after a lock: why the office locked, and an empty passphrase box."""
        self.query_one("#passphrase", Input).value = ""
        self._set_message(reason)

    @property
    def busy(self) -> bool:
        return self.query_one("#passphrase", Input).disabled

    def _busy(self, busy: bool) -> None:
        self.query_one("#passphrase", Input).disabled = busy
        self.query_one("#unlock-button", UnlockButton).set_class(busy, "busy")
        if not busy:
            self.query_one("#passphrase", Input).focus()

    # -- unlocking ----------------------------------------------------------------------------------
    @on(Input.Submitted, "#passphrase")
    @on(UnlockButton.Pressed)
    def submit(self) -> None:
        value = self.query_one("#passphrase", Input).value
        if not value:
            self._set_message("Type your passphrase (or the office's recovery code), then Enter.", error=True)
            return
        self._attempt(value)

    def _attempt(self, passphrase: str) -> None:
        self._busy(True)
        self._set_message("Unlocking…")
        self.unlock(passphrase)

    @work(thread=True, exclusive=True, group="unlock")
    def unlock(self, passphrase: str | None) -> None:
        """Open the office (importing the database stack on first use) and post the result."""
        from mpoffice_tui.db import engine, keys
        from mpoffice_tui.db.errors import OfficeError, WrongPassphrase
        from mpoffice_tui.services import audit

        path = Path(office_app(self).db_path)
        try:
            if passphrase is None:
                if keys.usable_keyring() is None:
                    reason = keys.keyring_unavailable_reason()
                    engine.check_files(path)  # report a missing office or key-slot file now
                    self.post_message(self.Result(note=reason[:1].upper() + reason[1:] + "."))
                    return
                office = engine.try_keyring(path)
                if office is None:
                    self.post_message(self.Result(note="This computer does not remember the office: "
                                                       "type your passphrase."))
                    return
            else:
                office = engine.open_office(path, passphrase, use_keyring=False)
        except OfficeError as exc:
            if isinstance(exc, WrongPassphrase):  # audited at the next successful unlock (files untouched now)
                audit.note_unlock_failure(path, "wrong passphrase")
            self.post_message(self.Result(error=str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback on the unlock screen
            self.post_message(self.Result(error=f"could not open {path.name}: {type(exc).__name__}: {exc}"))
            return
        with contextlib.suppress(Exception):  # auditing must not stop a person working
            audit.flush_unlock_failures(office)  # earlier failed attempts become audit events now
        try:
            name = office.name  # read here: on the event loop it would be a query
        except Exception:  # noqa: BLE001 - the title is not worth refusing the office over
            name = ""
        self.post_message(self.Result(office=office, name=name))

    def on_unlock_screen_result(self, message: Result) -> None:
        message.stop()
        if message.note is not None:
            self.query_one("#keyring-note", Static).update(Text(message.note))
            self._set_message("")
            self._busy(False)
            return
        if message.error is not None:
            text = message.error
            self._set_message(text[:1].upper() + text[1:], error=True)
            self._busy(False)
            self.query_one("#passphrase", Input).value = ""
            return
        self._set_message("")
        self.query_one("#passphrase", Input).value = ""
        self._busy(False)
        if message.office is not None:
            office_app(self).office_unlocked(message.office, message.name)
