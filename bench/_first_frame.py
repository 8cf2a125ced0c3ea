"""Child process for the first-frame benchmark: start an app headless, print seconds to its first frame.

    python bench/_first_frame.py bare T0
    python bench/_first_frame.py app T0 DB_PATH
    python bench/_first_frame.py file:/path/standin.py T0 DB_PATH   (a module with make_app(path))

T0 is the parent's `time.perf_counter()` just before it started this process (a system-wide monotonic
clock), so the figure covers interpreter start, imports, compose and the first paint.
"""

from __future__ import annotations

import sys
import time

T0 = float(sys.argv[2])

from pathlib import Path  # noqa: E402

from textual.app import App  # noqa: E402


def bare_app() -> App:
    from textual.widgets import Footer, Header

    class Bare(App):
        def compose(self):
            yield Header()
            yield Footer()

    return Bare()


def load_app(mode: str, db: Path) -> App:
    if mode == "bare":
        return bare_app()
    if mode == "app":
        from mpoffice_tui.ui.app import make_app

        return make_app(db)
    import importlib.util

    spec = importlib.util.spec_from_file_location("standin", mode.removeprefix("file:"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_app(db)


def main() -> None:
    app = load_app(sys.argv[1], Path(sys.argv[3]) if len(sys.argv) > 3 else Path("none.mpo"))
    seen: dict[str, float] = {}

    async def pilot(p) -> None:
        await p.pause(0)  # the first screen (e.g. the unlock screen) is mounted

        def painted() -> None:
            seen["t"] = time.perf_counter() - T0
            app.exit()

        app.call_after_refresh(painted)

    app.run(headless=True, size=(120, 40), auto_pilot=pilot)
    print(f"{seen['t']:.6f}" if "t" in seen else "nan")


if __name__ == "__main__":
    main()
