"""The app in a real terminal: one tmux server of its own per test, a fixed size, the screen read back."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid

POLL_SECONDS = 0.1  # how often the screen is read while waiting for what it should show


class Terminal:
    """One tmux session (on its own server) running a shell command at a fixed size."""

    def __init__(self, command: str, env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        self.tmux = ["tmux", "-L", f"mpoffice-{uuid.uuid4().hex[:8]}"]
        subprocess.run([*self.tmux, "new-session", "-d", "-s", "app", "-x", str(size[0]), "-y", str(size[1]),
                        "sh", "-c", command], check=True, env=env)

    @staticmethod
    def quote(*args: str) -> str:
        return " ".join(shlex.quote(a) for a in args)

    def screen(self) -> str:
        done = subprocess.run([*self.tmux, "capture-pane", "-p", "-J", "-t", "app"], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""

    def alive(self) -> bool:
        return subprocess.run([*self.tmux, "has-session", "-t", "app"], capture_output=True).returncode == 0

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "app", *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, condition, timeout: float = 60.0) -> str:
        """The screen, once `condition(screen)` holds (a string: once it shows that text)."""
        check = (lambda s: condition in s) if isinstance(condition, str) else condition
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if check(shown):
                return shown
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"the terminal never showed what was expected; it shows:\n{self.screen()}")

    def wait_gone(self, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while self.alive() and time.monotonic() < end:
            time.sleep(POLL_SECONDS)
        return not self.alive()

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
