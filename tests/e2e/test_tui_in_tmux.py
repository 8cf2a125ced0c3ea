"""The installed `mpoffice` command in a real terminal (tmux): unlock an office by typing the passphrase,
triage a message with one key, read the screen, quit with Ctrl+Q."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery"  # the conftest's demo office
POLL_SECONDS = 0.1  # how often the screen is read while waiting for what it should show
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                                reason="tmux is not installed (CI installs it)")


class Terminal:
    """One tmux session running a command at a fixed size."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        self.name = f"mpoffice-{uuid.uuid4().hex[:8]}"
        env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]),
                        *env_args, " ".join(_quote(c) for c in command)], check=True)

    def screen(self) -> str:
        done = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, condition, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if condition(shown):
                return shown
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"the terminal never showed what was expected; it shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _count(shown: str, lane: str) -> int:
    m = re.search(rf"{re.escape(lane)} (\d+)", shown)
    return int(m[1]) if m else -1


def test_unlock_triage_and_quit_in_a_real_terminal(demo_office_path, tmp_path):
    mpoffice = Path(sys.executable).with_name("mpoffice")
    assert mpoffice.exists(), "the mpoffice command is not installed in this environment"
    env = {"MPOFFICE_HOME": str(tmp_path / "home"), "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02",
           "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    term = Terminal([str(mpoffice), "--db", str(demo_office_path)], env)
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
        end = time.monotonic() + 20
        while term.alive() and time.monotonic() < end:
            time.sleep(POLL_SECONDS)
        assert not term.alive(), "Ctrl+Q did not quit the app"
    finally:
        term.close()
