"""Every screen answers `?` (and F1) with its own keys; a form shows its own keys in the footer; F3 is the
case list and Esc goes back from a case; every dialog fits an 80×24 terminal (each field and button can be
reached with Tab and is on screen when it has focus)."""

from __future__ import annotations

import pytest
from pilot_helpers import NO_IDLE, SIZE, to_cases, wait_for
from textual.widgets import Button, Input, Select, TextArea

from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.dialogs.form import FormDialog
from mpoffice_tui.ui.dialogs.keys import KeysHelp
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.case_list import CasesScreen
from mpoffice_tui.ui.screens.inbox import InboxScreen
from mpoffice_tui.ui.widgets.key_bar import KeyBar

PASSPHRASE = "correct horse battery"
SMALL = (80, 24)


def help_text(app) -> str:
    return str(app.screen.query_one("#keys-help").render())


def bar_text(screen) -> str:
    return screen.query(KeyBar).last().render().plain


@pytest.mark.parametrize("mode, key, expected", [
    ("inbox", "question_mark", "Accept the suggestion"),
    ("cases", "question_mark", "Search by reference"),
    ("register", "f1", "Import register"),
    ("reminders", "question_mark", "Mine/all"),
    ("stats", "question_mark", "CSV"),
    ("contacts", "question_mark", "Add"),
    ("sync", "question_mark", "Sync now"),
    ("templates", "question_mark", "Merge fields"),
])
async def test_every_screen_lists_its_own_keys(demo_office_path, mode, key, expected):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.run_action(f"mode('{mode}')")
        await wait_for(pilot, lambda: app.current_mode == mode)
        await pilot.pause()
        app.screen.set_focus(None)  # `?` from the screen itself (F1 works from a search box too)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, KeysHelp))
        shown = help_text(app)
        own, everywhere = shown.split("Everywhere")
        assert "On this screen" in own and expected in own and "Focus Next" not in own
        assert "Quit" in everywhere and "Lock" in everywhere and "Focus Next" in everywhere
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, KeysHelp))


async def test_a_form_shows_its_own_keys_and_f3_is_the_case_list(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        assert "Quit" in bar_text(app.screen)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.pause()
        keys = bar_text(app.screen)
        assert "Save" in keys and "Cancel" in keys and "Inbox" not in keys
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen))
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("f3")  # the list, not the case read last
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))


def _on_screen(app, widget) -> bool:
    """The widget is drawn inside the terminal and inside every scrolling container around it."""
    region = widget.region
    if region.area == 0 or not app.screen.region.contains_region(region):
        return False
    return all(not ancestor.is_scrollable or ancestor.region.contains_region(region)
               for ancestor in widget.ancestors if hasattr(ancestor, "region") and ancestor is not app.screen)


async def assert_every_control_reachable(pilot) -> None:
    """Tab through the dialog: every input and button gets focus in turn and is on screen when it has it."""
    app = pilot.app
    dialog = app.screen
    controls = [w for w in dialog.query("Input, TextArea, Select, Checkbox, Button, OptionList")
                if w.focusable and all(node.display for node in (w, *w.ancestors_with_self) if node is not app)]
    assert controls
    reached = set()
    for _ in range(len(controls) * 2 + 2):
        await pilot.pause()
        focused = app.focused
        if focused is not None and focused in controls:
            assert _on_screen(app, focused), f"{focused} has focus but is not on screen in {dialog}"
            reached.add(focused)
        if len(reached) == len(controls):
            break
        await pilot.press("tab")
    missing = [str(w) for w in controls if w not in reached]
    assert not missing, f"never reached with Tab in {dialog.__class__.__name__}: {missing}"
    assert any(isinstance(w, Button) for w in reached) or not dialog.query(Button)


async def open_dialog(pilot, *keys: str, mode: str | None = None, palette: str | None = None) -> OfficeDialog:
    app = pilot.app
    if mode:
        await app.run_action(f"mode('{mode}')")
        await wait_for(pilot, lambda: app.current_mode == mode and not isinstance(app.screen, OfficeDialog))
        await pilot.pause()
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
    await pilot.pause()
    return app.screen


@pytest.mark.parametrize("route", [
    ("cases", ("n",)),              # new case
    ("cases", ("f",)),              # filter
    ("cases", ("enter", "n")),      # a note on a case
    ("cases", ("enter", "w")),      # a letter
    ("cases", ("enter", "p")),      # a third party
    ("cases", ("enter", "t")),      # a task
    ("inbox", ("c",)),              # log a call
    ("inbox", ("n",)),              # a new case from a message
    ("register", ("ctrl+t", "a")),  # a Register of Interests entry
    ("contacts", ("a",)),           # a contact
])
async def test_every_dialog_fits_80_by_24(demo_office_path, route):
    mode, keys = route
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.detail is not None)
        if mode == "cases":
            await to_cases(pilot)
        else:
            await app.run_action(f"mode('{mode}')")
            await wait_for(pilot, lambda: app.current_mode == mode)
        await pilot.pause()
        for key in keys[:-1]:
            await pilot.press(key)
            await pilot.pause()
            if key == "enter":
                await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail)
        await pilot.press(keys[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
        await pilot.pause()
        await assert_every_control_reachable(pilot)
        for field in app.screen.query("Input, TextArea, Select"):
            assert isinstance(field, (Input, TextArea, Select))


async def test_the_footer_never_cuts_a_key_in_half_at_80_columns(demo_office_path):
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SMALL) as pilot:
        await to_cases(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None)
        await pilot.pause()
        shown = bar_text(app.screen)
        assert "…" not in shown
        assert shown.rstrip().endswith("palette") and "Quit" in shown
        assert "? more" in shown  # the case screen has more keys than 80 columns hold
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysHelp))
        assert "Person" in help_text(app) and "Chase" in help_text(app)  # including those not in the footer


async def test_the_category_completes_from_the_office_categories_read_off_the_event_loop(demo_office_path):
    """Typing "Hou" in a new case's category offers "Housing" (the categories read once, in a worker)."""
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SMALL) as pilot:
        await to_cases(pilot)
        dialog = await open_dialog(pilot, "n")
        category = dialog.query_one("#nc-category", Input)
        category.focus()
        category.value = ""
        await pilot.press(*"Hou")
        await wait_for(pilot, lambda: category._suggestion == "Housing")
        await pilot.press("right")
        await wait_for(pilot, lambda: category.value == "Housing")


async def test_a_person_can_choose_other_keys_in_the_settings_file(demo_office_path, tmp_path):
    """`"keymap"` in the settings file moves a key (footer, `?` and the key itself follow); an id that names
    no key is reported by name."""
    from dataclasses import replace

    from mpoffice_tui import config

    path = tmp_path / "settings.json"
    replace(NO_IDLE, keymap={"cases-new-case": "ctrl+b", "no-such-key": "z"}).save(path)
    settings = config.load(path)
    assert settings.keymap == {"cases-new-case": "ctrl+b", "no-such-key": "z"}
    app = make_app(demo_office_path, passphrase=PASSPHRASE, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        assert any("'no-such-key'" in str(n.message) for n in app._notifications)
        await wait_for(pilot, lambda: "^b New case" in bar_text(app.screen))
        await pilot.press("n")  # the old key does nothing now
        await pilot.pause()
        assert not isinstance(app.screen, OfficeDialog)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CasesScreen))
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysHelp))
        assert "[cases-new-case]" in help_text(app)
