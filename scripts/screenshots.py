"""Render each main screen of the small demo office with the real app to screenshots/ (SVG, and PNG
when `rsvg-convert` is installed).

    python scripts/screenshots.py [--out screenshots] [--size 100x30]

The demo office is built in a temporary folder (nothing personal: it is synthetic) and removed after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "demo office"


async def _wait(pilot, condition, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the app did not reach the expected screen")
        await pilot.pause(0.05)


def _table_ready(app, selector: str) -> bool:
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    found = app.screen.query(selector)
    return bool(found) and found.first(PagedTable).cursor_row is not None


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


async def _shoot(app, pilot, out: Path, name: str) -> Path:
    await _settle(pilot)
    target = out / f"{name}.svg"
    app.save_screenshot(filename=target.name, path=str(out))
    return target


async def render_all(db: Path, out: Path, size: tuple[int, int]) -> list[Path]:
    from textual.widgets import Input

    from mpoffice_tui.config import Settings
    from mpoffice_tui.ui.app import make_app

    shots: list[Path] = []
    settings = Settings(idle_lock_minutes=0)

    app = make_app(db, settings=settings)
    async with app.run_test(size=size) as pilot:
        await _wait(pilot, lambda: app.screen.query("#keyring-note")
                    and "keyring" in str(app.screen.query_one("#keyring-note").render()))
        app.screen.query_one("#passphrase", Input).cursor_blink = False
        shots.append(await _shoot(app, pilot, out, "unlock"))

    app = make_app(db, passphrase=PASSPHRASE, settings=settings)
    async with app.run_test(size=size) as pilot:
        await _wait(pilot, lambda: app.current_mode == "inbox" and _table_ready(app, "#messages"))
        await _wait(pilot, lambda: str(app.screen.query_one("#preview-head").render()).strip() != "")
        shots.append(await _shoot(app, pilot, out, "inbox"))
        await pilot.press("6")  # the Outbox lane: every email on its way out, with its state
        await _wait(pilot, lambda: getattr(app.screen, "lane", "") == "outbox" and _table_ready(app, "#messages"))
        await _wait(pilot, lambda: str(app.screen.query_one("#preview-head").render()).strip() != "")
        shots.append(await _shoot(app, pilot, out, "outbox"))
        await pilot.press("7")  # the Approvals lane: letters and emails waiting for the MP's sign-off
        await _wait(pilot, lambda: getattr(app.screen, "lane", "") == "approvals" and _table_ready(app, "#messages"))
        await pilot.pause(0.5)
        shots.append(await _shoot(app, pilot, out, "approvals"))
        await pilot.press("1", "f3")
        await _wait(pilot, lambda: app.current_mode == "cases" and _table_ready(app, "#cases"))
        shots.append(await _shoot(app, pilot, out, "cases"))
        await pilot.press("down", "down", "enter")
        await _wait(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        shots.append(await _shoot(app, pilot, out, "case-detail"))
        await pilot.press("r")  # an email from the case
        await _wait(pilot, lambda: type(app.screen).__name__ == "CaseReplyDialog")
        await pilot.pause(0.8)
        shots.append(await _shoot(app, pilot, out, "case-email"))
        await pilot.press("escape")
        await _wait(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        await pilot.press("escape", "f4")
        await _wait(pilot, lambda: app.current_mode == "register" and _table_ready(app, "#electors"))
        app.screen.query_one("#register-search", Input).value = "Siobhan O Sullivan"
        await pilot.press("enter")
        await pilot.pause(0.4)
        await _wait(pilot, lambda: _table_ready(app, "#electors"))
        app.screen.query_one("#register-search", Input).cursor_blink = False
        shots.append(await _shoot(app, pilot, out, "register"))
        await pilot.press("escape", "f10")  # search everything (the Register keeps Ctrl+F for itself)
        await _wait(pilot, lambda: type(app.screen).__name__ == "SearchDialog")
        await pilot.press(*"damp")
        await pilot.pause(1.2)
        shots.append(await _shoot(app, pilot, out, "search"))
        await pilot.press("escape", "ctrl+p")
        await pilot.press(*"A-0002")
        await pilot.pause(0.8)
        shots.append(await _shoot(app, pilot, out, "palette"))
        await pilot.press("escape", "f6")
        await _wait(pilot, lambda: app.current_mode == "stats")
        await pilot.pause(2.0)
        shots.append(await _shoot(app, pilot, out, "statistics"))
        await pilot.press("f8")
        await _wait(pilot, lambda: app.current_mode == "sync")
        await pilot.pause(1.0)
        shots.append(await _shoot(app, pilot, out, "sync"))
        await pilot.press("f9")
        await _wait(pilot, lambda: app.current_mode == "templates" and _table_ready(app, "#templates"))
        await pilot.pause(0.3)
        shots.append(await _shoot(app, pilot, out, "templates"))
        await pilot.press("f11")  # today's advice surgery
        await _wait(pilot, lambda: app.current_mode == "surgery")
        await pilot.pause(1.0)
        shots.append(await _shoot(app, pilot, out, "surgery"))
    return shots


def to_png(svgs: list[Path]) -> list[Path]:
    tool = shutil.which("rsvg-convert")
    if not tool:
        print("rsvg-convert not found: SVG only (apt-get install librsvg2-bin for PNG)", file=sys.stderr)
        return []
    pngs = []
    for svg in svgs:
        png = svg.with_suffix(".png")
        subprocess.run([tool, str(svg), "-o", str(png)], check=True)
        pngs.append(png)
    return pngs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--size", default="100x30", help="terminal size, COLSxROWS")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mpoffice-shots-") as tmp:
        os.environ["MPOFFICE_HOME"] = str(Path(tmp) / "home")
        os.environ["MPOFFICE_NO_KEYRING"] = "1"  # never touch the real keyring; shows the passphrase path
        os.environ.setdefault("MPOFFICE_TODAY", "2026-11-02")  # the demo office's own today: the same counts every run
        from mpoffice_tui import demo

        db = Path(tmp) / "demo.mpo"
        demo.build(db, size="small", passphrase=PASSPHRASE).close()
        svgs = asyncio.run(render_all(db, args.out, (cols, rows)))
    pngs = to_png(svgs)
    for path in [*svgs, *pngs]:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
