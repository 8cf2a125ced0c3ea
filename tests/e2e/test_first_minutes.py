"""A newcomer's first minutes with the installed `mpoffice` command: with no office a plain `mpoffice` says
in one line how to make one; after `mpoffice demo` it opens the demo office (in a real terminal, tmux) and
Ctrl+Q quits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tmux_helpers import Terminal

MPOFFICE = str(Path(sys.executable).with_name("mpoffice"))


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPOFFICE_")}
    return {**env, "MPOFFICE_HOME": str(home), "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02"}


def test_with_no_office_a_plain_mpoffice_says_how_to_make_one(tmp_path):
    r = subprocess.run([MPOFFICE], capture_output=True, text=True, env=_env(tmp_path / "home"), timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 3 and r.stdout == "" and "Traceback" not in r.stderr
    [line] = r.stderr.splitlines()
    assert "no office here" in line and "mpoffice init" in line and "mpoffice demo" in line


@pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"), reason="needs tmux (CI installs it)")
def test_after_the_demo_a_plain_mpoffice_opens_it_and_ctrl_q_quits(tmp_path):
    home = tmp_path / "home"
    env = _env(home)
    built = subprocess.run([MPOFFICE, "demo", "--no-open"], capture_output=True, text=True, env=env, timeout=300)
    assert built.returncode == 0, built.stderr
    demo = home / "data" / "demo.mpo"
    r = subprocess.run([MPOFFICE, "cases"], capture_output=True, text=True, env=env, timeout=60,
                       stdin=subprocess.DEVNULL)  # a command says where the demo office is, in one line
    assert r.returncode == 3 and str(demo) in r.stderr and len(r.stderr.splitlines()) == 1

    term = Terminal(f"{Terminal.quote(MPOFFICE)}; echo EXIT=$?; sleep 60", env, size=(120, 36))
    try:  # (the app draws on stderr: not redirected)
        shown = term.wait_for("Office of Helen Marchbanks MP")  # unlocked: the demo office, not an unlock prompt
        assert "no office here" not in shown
        term.keys("C-q")
        after = term.wait_for("EXIT=0")  # back in the shell, the line printed before the app says what was opened
        assert "opening the demo office" in after and "mpoffice init" in after
    finally:
        term.close()
