"""Keys a person chose: `"keymap"` in this machine's settings file maps binding ids to keys, as
`{"inbox-ignore": "x", "case-letter": "ctrl+l"}`. Every binding has an id (the `?` list shows them);
an id nobody uses is reported by name, never silently ignored."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from textual.binding import Binding


@cache
def binding_ids() -> dict[str, str]:
    """Every binding id in the app, with its description (imports each ui module once)."""
    import mpoffice_tui.ui as ui

    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(ui.__path__, "mpoffice_tui.ui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            for binding in getattr(value, "BINDINGS", None) or () if isinstance(value, type) else ():
                if isinstance(binding, Binding) and binding.id:
                    found.setdefault(binding.id, binding.description)
    return found


def checked(keymap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keymap` that name a binding, and a message for each that does not."""
    known = binding_ids()
    good = {k: v for k, v in keymap.items() if k in known and v.strip()}
    problems = [f"keymap in the settings file: no key has the id {k!r}" for k in keymap if k not in known]
    problems += [f"keymap in the settings file: no key given for {k!r}" for k, v in keymap.items()
                 if k in known and not v.strip()]
    return good, problems
