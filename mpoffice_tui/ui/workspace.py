"""Work kept across a lock: where the person was and what they were typing comes back at unlock.

At a lock (`capture`), before the data screens are dropped: for each mode, its screens (the list's
filters and cursor; a case or person opened on top of it, by id) and the open dialog that can be opened
again (by the action that opened it) with what had been typed in it. The app keeps that inside the
encrypted office (`services.workspace`), not in memory while locked nor in a plain file, and at the next unlock by the
same person `restore` opens the same screens and the same dialog with the same text.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.widget import Widget

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.screens.base import OfficeScreen

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp

# screens pushed on top of a mode's list, opened again by name (`OfficeScreen.KEEP_AS`); a case comes
# back through `app.case_screen`, which reuses the one case screen
REOPEN = {"constituent": ("mpoffice_tui.ui.screens.constituent", "ConstituentScreen")}


def _opener(dialog: OfficeDialog, below: Screen) -> dict[str, Any] | None:
    """How to open the dialog again on the screen below it: the action, and the node that ran it."""
    if dialog.opener is None:
        return None
    node, action = dialog.opener
    if node is below:
        return {"action": action, "node": None}
    if isinstance(node, Widget) and node.id and node.screen is below:
        return {"action": action, "node": node.id}
    return None


def capture(app: OfficeApp, modes: list[str]) -> dict[str, Any]:
    """Where the person is in each mode, and what is typed in each open dialog that can be reopened."""
    kept: dict[str, Any] = {}
    for mode in modes:
        try:
            stack = app.get_screen_stack(mode)
        except KeyError:  # a mode never visited
            continue
        screens: list[dict[str, Any]] = []
        dialog: dict[str, Any] | None = None
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


def _reopened(app: OfficeApp, entry: dict[str, Any]) -> Screen | None:
    state = entry.get("state") or {}
    if entry.get("as") == "case" and state.get("case_id"):
        return app.case_screen(state["case_id"])
    if entry.get("as") in REOPEN:
        module, name = REOPEN[entry["as"]]
        screen_class = getattr(importlib.import_module(module), name)
        try:
            return screen_class(**state)
        except TypeError:  # kept by another version of the app
            return None
    return None


async def restore(app: OfficeApp, kept: dict[str, Any]) -> None:
    """Open again what `capture` kept: the screens of each mode, the current mode last, and the dialog
    (its kept text goes back in once it is open: `OfficeApp.retype_into`)."""
    modes: dict[str, Any] = kept.get("modes") or {}
    current = kept.get("mode")
    order = [m for m in modes if m != current] + ([current] if current in modes else [])
    for mode in order:
        if app.office is None or mode not in app.MODES:
            return
        await app.switch_mode(mode)
        entries = modes[mode].get("screens") or []
        for n, entry in enumerate(entries):
            if n == 0:
                screen = app.screen
            else:
                screen = _reopened(app, entry)
                if screen is None:
                    break
                await app.push_screen(screen)
            if isinstance(screen, OfficeScreen):
                screen.resume(entry.get("state") or {})
        dialog = modes[mode].get("dialog")
        screen = app.screen
        if dialog and isinstance(screen, OfficeScreen) and await screen.ready():
            opener = dialog["opener"]
            node = screen if opener.get("node") is None else next(iter(screen.query(f"#{opener['node']}")), None)
            if node is not None and app.office is not None:
                app.expect_dialog(screen, dialog["name"], dialog["typed"])
                await app.run_action(opener["action"], node)
