"""Every key of the app has an id (what a person names in their keymap) and a description."""

import importlib
import pkgutil

from textual.binding import Binding

import mpoffice_tui.ui as ui


def test_every_binding_has_an_id_and_a_description():
    missing = []
    for info in pkgutil.walk_packages(ui.__path__, "mpoffice_tui.ui."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            for b in value.__dict__.get("BINDINGS", ()):
                if isinstance(b, Binding) and not (b.id and b.description):
                    missing.append(f"{module.__name__}.{name}: {b.key} -> {b.action}")
    assert not missing, "\n".join(missing)
