"""The installed `mpoffice` in a real terminal (tmux) at a surgery: F11 shows the day's list, Enter opens
the person across the table, `c` and the problem typed in, Ctrl+S: a new case (its category suggested from
their words), on the demo office's surgery day."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tmux_helpers import Terminal

from conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                                reason="tmux is not installed (CI installs it)")


def test_a_visit_captured_into_a_case_in_a_real_terminal(demo_office_path, tmp_path):
    mpoffice = Path(sys.executable).with_name("mpoffice")
    assert mpoffice.exists(), "the mpoffice command is not installed in this environment"
    env = {"MPOFFICE_HOME": str(tmp_path / "home"), "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02",
           "MPOFFICE_IDLE_LOCK_MINUTES": "0", "TZ": "UTC", "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    term = Terminal(Terminal.quote(str(mpoffice), "--db", str(demo_office_path)), env)
    try:
        term.wait_for(lambda s: "Unlock the office" in s)
        term.keys(PASSPHRASE, literal=True)
        term.keys("Enter")
        term.wait_for(lambda s: "unlocked" in s and "Received" in s)
        term.keys("F11")
        term.wait_for(lambda s: "Eastmoor Library" in s and "walk-in" in s and "arrived 09:55" in s)
        term.keys("Enter")  # the first on the list: arrived at 09:55
        term.wait_for(lambda s: "Capture visit" in s and "Universal Credit deduction" in s)
        term.keys("c")
        term.wait_for(lambda s: "The problem, in their own words" in s)
        term.keys("They take 25% of my Universal Credit for an old advance and I cannot pay the rent.", literal=True)
        term.wait_for("pay the rent.")
        term.keys("C-s")
        term.wait_for(lambda s: "New case" in s and "(Benefits)" in s)
        term.wait_for(lambda s: "seen" in s and "Capture visit" in s)
        term.keys("C-q")
        assert term.wait_gone(), "Ctrl+Q did not quit the app"
    finally:
        term.close()
