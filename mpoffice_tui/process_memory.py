"""How the app's process uses memory: malloc arenas (glibc only) and the cycle collector.

glibc gives each thread that allocates its own malloc arena. In the TUI, SQLite's cached pages are allocated in
whichever worker thread reads them; after a write every other connection drops its pages, and they come back in
another thread's arena while the freed ones stay with the first: at full scale 15-25 MB of the TUI's memory
held and never used again. The app's few threads share one arena instead (set before they start).
"""

from __future__ import annotations

import ctypes
import gc
import os

APP_MALLOC_ARENAS = 1
M_ARENA_MAX = -8  # glibc's mallopt parameter
_settled = False  # settle_imports has run in this process


def share_malloc_arenas(arenas: int = APP_MALLOC_ARENAS) -> bool:
    """Let this process's threads share `arenas` malloc arenas (glibc); False where that cannot be set."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, int(arenas)))
    except (ValueError, OSError, AttributeError):  # not glibc (macOS, Windows, musl): malloc as it is
        return False


def settle_imports() -> None:
    """Once a process, move every object alive now (the modules, classes and tables the app imported) out of
    the cycle collector's view. Its full collections walk every tracked object: at unlock, with the database
    stack loaded, one took 50-120 ms of the event loop, between the passphrase and the inbox's first rows.
    Objects made later (screens, rows) are collected as before."""
    global _settled
    if not _settled:
        _settled = True
        gc.freeze()
