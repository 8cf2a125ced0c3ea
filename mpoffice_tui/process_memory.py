"""How the app's process uses malloc (glibc only; elsewhere nothing changes).

glibc gives each thread that allocates its own malloc arena. In the TUI, SQLite's cached pages are allocated in
whichever worker thread reads them; after a write every other connection drops its pages, and they come back in
another thread's arena while the freed ones stay with the first: at full scale 15-25 MB of the TUI's memory
held and never used again. The app's few threads share one arena instead (set before they start).
"""

from __future__ import annotations

import ctypes
import os

APP_MALLOC_ARENAS = 1
M_ARENA_MAX = -8  # glibc's mallopt parameter


def share_malloc_arenas(arenas: int = APP_MALLOC_ARENAS) -> bool:
    """Let this process's threads share `arenas` malloc arenas (glibc); False where that cannot be set."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, int(arenas)))
    except (ValueError, OSError, AttributeError):  # not glibc (macOS, Windows, musl): malloc as it is
        return False
