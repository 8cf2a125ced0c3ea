"""The installed `mpoffice` command in a real terminal (tmux): unlock an office by typing the passphrase,
triage a message with one key, read the screen, quit with Ctrl+Q."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from tmux_helpers import Terminal

PASSPHRASE = "correct horse battery"  # the conftest's demo office
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                                reason="tmux is not installed (CI installs it)")


def _count(shown: str, lane: str) -> int:
    m = re.search(rf"{re.escape(lane)} (\d+)", shown)
    return int(m[1]) if m else -1


def test_unlock_triage_and_quit_in_a_real_terminal(demo_office_path, tmp_path):
    mpoffice = Path(sys.executable).with_name("mpoffice")
    assert mpoffice.exists(), "the mpoffice command is not installed in this environment"
    env = {"MPOFFICE_HOME": str(tmp_path / "home"), "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02",
           "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    term = Terminal(Terminal.quote(str(mpoffice), "--db", str(demo_office_path)), env)
    try:
        term.wait_for(lambda s: "Unlock the office" in s)
        term.keys(PASSPHRASE, literal=True)
        term.keys("Enter")
        shown = term.wait_for(lambda s: "unlocked" in s and _count(s, "New") > 0 and "Received" in s)
        new, done = _count(shown, "New"), _count(shown, "Done/Ignored")
        assert "Quit" in shown  # the way out is on screen
        term.keys("i")  # ignore the first message: one key
        shown = term.wait_for(lambda s: _count(s, "New") == new - 1 and _count(s, "Done/Ignored") == done + 1)
        assert "Ignored" in shown
        term.keys("C-q")
        assert term.wait_gone(), "Ctrl+Q did not quit the app"
    finally:
        term.close()
