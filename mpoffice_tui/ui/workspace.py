"""Work kept across a lock: where the person was and what they were typing comes back at unlock.

At a lock (`capture`), before the data screens are dropped: for each mode, its screens (the list's
filters and cursor; a case or person opened on top of it, by id) and the open dialog that can be opened
again (by the action that opened it) with what had been typed in it. The app keeps that inside the
encrypted office (`services.workspace`), not in memory while locked nor in a plain file, and at the next unlock by the
same person `restore` opens the same screens and the same dialog with the same text.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widget import Widget

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.screens.base import OfficeScreen, ScreenState

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp

# screens pushed on top of a mode's list, opened again by name (`OfficeScreen.KEEP_AS`); a case comes
# back through `app.case_screen`, which reuses the one case screen
REOPEN = {"constituent": ("mpoffice_tui.ui.screens.constituent", "ConstituentScreen")}

Kept = dict[str, object]
"""What `capture` keeps (JSON-able). It is read back from the office, perhaps written by another version of the
app, so `restore` checks the type of each part before using it."""


def _opener(dialog: OfficeDialog[object], below: Screen) -> Kept | None:
    """How to open the dialog again on the screen below it: the action, and the node that ran it."""
    if dialog.opener is None:
        return None
    node, action = dialog.opener
    if node is below:
        return {"action": action, "node": None}
    if isinstance(node, Widget) and node.id and node.screen is below:
        return {"action": action, "node": node.id}
    return None


def capture(app: OfficeApp, modes: list[str]) -> Kept:
    """Where the person is in each mode, and what is typed in each open dialog that can be reopened."""
    kept: Kept = {}
    for mode in modes:
        try:
            stack = app.get_screen_stack(mode)
        except KeyError:  # a mode never visited
            continue
        screens: list[Kept] = []
        dialog: Kept | None = None
        for n, screen in enumerate(stack):
            if isinstance(screen, OfficeDialog):
                opener = _opener(screen, stack[n - 1]) if n else None
                if opener is not None:
                    dialog = {"opener": opener, "name": screen.kept_name, "typed": screen.typed()}
            elif isinstance(screen, OfficeScreen) and (n == 0 or screen.KEEP_AS):
                screens.append({"as": screen.KEEP_AS, "state": screen.keep()})
                dialog = None  # a dialog belongs to the screen it was opened on
        if screens:
            kept[mode] = {"screens": screens, "dialog": dialog}
    current = app.current_mode if app.current_mode in kept else None
    return {"mode": current, "modes": kept}


def _part(value: object) -> Kept:
    """A part of what was kept that should be a mapping with text keys ({} when it is not)."""
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return value
    return {}


def _state(entry: Mapping[str, object]) -> ScreenState:
    return _part(entry.get("state"))


def _reopened(app: OfficeApp, entry: Mapping[str, object]) -> Screen | None:
    state = _state(entry)
    kind = entry.get("as")
    case_id = state.get("case_id")
    if kind == "case" and isinstance(case_id, str) and case_id:
        return app.case_screen(case_id)
    if isinstance(kind, str) and kind in REOPEN:
        module, name = REOPEN[kind]
        screen_class = getattr(importlib.import_module(module), name)
        try:
            screen: Screen = screen_class(**state)
        except TypeError:  # kept by another version of the app
            return None
        return screen
    return None


async def restore(app: OfficeApp, kept: Mapping[str, object]) -> None:
    """Open again what `capture` kept: the screens of each mode, the current mode last, and the dialog
    (its kept text goes back in once it is open: `OfficeApp.retype_into`)."""
    modes = _part(kept.get("modes"))
    current = kept.get("mode")
    order = [m for m in modes if m != current] + ([current] if isinstance(current, str) and current in modes else [])
    for mode in order:
        if app.office is None or mode not in app.MODES:
            return
        await app.switch_mode(mode)
        kept_mode = _part(modes[mode])
        entries = kept_mode.get("screens")
        for n, entry in enumerate(entries if isinstance(entries, list) else []):
            entry = _part(entry)
            if n == 0:
                screen = app.screen
            else:
                reopened = _reopened(app, entry)
                if reopened is None:
                    break
                screen = reopened
                await app.push_screen(screen)
            if isinstance(screen, OfficeScreen):
                screen.resume(_state(entry))
        dialog = _part(kept_mode.get("dialog"))
        screen = app.screen
        if dialog and isinstance(screen, OfficeScreen) and await screen.ready():
            opener, name = _part(dialog.get("opener")), dialog.get("name")
            action, node_id = opener.get("action"), opener.get("node")
            if not isinstance(action, str) or not isinstance(name, str):
                continue
            node = screen if node_id is None else next(iter(screen.query(f"#{node_id}")), None)
            if node is not None and app.office is not None:
                app.expect_dialog(screen, name, _part(dialog.get("typed")))
                await app.run_action(action, node)
