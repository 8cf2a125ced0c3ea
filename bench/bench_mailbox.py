"""The office mailbox against a local Dovecot + SMTP server (tests/servers), into a copy of the demo office.

Figures: IMAP fetch rate of a 10,000-message folder (parsing, matching, campaigns, indexing included);
time from queueing a reply to "sent" (median and p95 of several); inbox keypress-to-frame while a fetch
runs in the app's process (as the app's mail job does), against the same presses with no fetch.
Needs Dovecot (`apt-get install dovecot-imapd`); without it the rows say so.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.harness import Ctx, Row

FOLDER_SIZE = 10_000
REPLIES = 12
PRESSES = 60
WORDS = ["housing", "council", "benefit", "repair", "damp", "landlord", "school", "place", "visa", "passport", "appeal", "pension", "universal", "credit", "hospital", "waiting", "list", "pothole", "bins", "parking", "noise", "planning"]


def _servers():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from servers.fixture import MailServers

    return MailServers().start()


def _mail(i: int, rng: random.Random) -> bytes:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(60, 200)))
    return (f"From: Person {i} <p{i}@example.org>\r\nTo: office@office.test\r\nSubject: Help with "
            f"{rng.choice(WORDS)} {i}\r\nDate: Mon, 05 Jan 2026 10:{i % 60:02d}:00 +0000\r\n"
            f"Message-ID: <fetch-bench-{i}@example.org>\r\n\r\nDear MP,\r\n\r\n{body}\r\n\r\nRegards,\r\nPerson {i}\r\n"
            ).encode()


def _add_account(office, servers) -> None:
    from mpoffice_tui.services import mail_accounts

    mail_accounts.add_imap(office, "office", user=servers.user, password=servers.password, imap_host=servers.host,
                           imap_port=servers.imaps_port, smtp_host=servers.host, smtp_port=servers.smtps_port,
                           trust_fingerprint=servers.fingerprint)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]


def _fetch_rate(ctx: Ctx, servers) -> tuple[float, int]:
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import mail_fetch

    rng = random.Random(7)
    servers.put_many(_mail(i, rng) for i in range(FOLDER_SIZE))
    office = open_office(ctx.scratch_copy("fetch"), ctx.passphrase, use_keyring=False)
    try:
        _add_account(office, servers)
        t0 = time.perf_counter()
        report = mail_fetch.fetch(office)
        seconds = time.perf_counter() - t0
    finally:
        office.close()
    assert report.fetched == FOLDER_SIZE and not report.problems, report.as_dict()
    return FOLDER_SIZE / seconds, report.auto_filed + report.suggested + report.campaign


def _queue_to_sent(ctx: Ctx, servers) -> list[float]:
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import mail_send, replies

    office = open_office(ctx.scratch_copy("send"), ctx.passphrase, use_keyring=False)
    times = []
    try:
        _add_account(office, servers)
        mail_send.send_queued(office)  # what the demo office already queued goes first, untimed
        with office.engine.connect() as conn:
            refs = [r[0] for r in conn.exec_driver_sql(
                "SELECT c.ref FROM cases c JOIN constituents p ON p.id = c.constituent_id WHERE c.deleted = 0 "
                "AND p.email IS NOT NULL AND p.email != '' ORDER BY c.opened_at DESC LIMIT ?", (REPLIES,)).fetchall()]
        for ref in refs:
            t0 = time.perf_counter()
            replies.reply_on_case(office, ref, body="{salutation},\n\nAn update on your case.\n")
            report = mail_send.send_queued(office)
            times.append((time.perf_counter() - t0) * 1000)
            assert report.sent == 1, report.as_dict()
    finally:
        office.close()
    return times


async def _presses(path: Path, passphrase: str, servers, with_fetch: bool) -> list[float]:
    """Key to frame in the inbox's message list: from the press to the first frame painted with the
    cursor on its new row (as bench_ui measures the case list)."""
    from mpoffice_tui.config import Settings
    from mpoffice_tui.services import mail_fetch
    from mpoffice_tui.ui.app import make_app
    from mpoffice_tui.ui.screens.inbox import InboxScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

    painted: dict[str, tuple[float, int]] = {}
    render_lines = PagedTable.render_lines

    def spy(table: PagedTable, crop):
        lines = render_lines(table, crop)
        # the first frame painted with the cursor on its new row (a later repaint, when the preview of that
        # message arrives, must not move the time on: bench_ui's spy does the same)
        if table.row_count and table.row_at(table.cursor) is not None and \
                painted.get(table.id or "", (0.0, None))[1] != table.cursor:
            painted[table.id or ""] = (time.perf_counter(), table.cursor)
        return lines

    PagedTable.render_lines = spy  # type: ignore[method-assign]
    app = make_app(path, passphrase=passphrase, settings=Settings(idle_lock_minutes=0))
    # the fetch measured is this bench's own (below): the app's mail job, which would fetch the same new mail at
    # unlock or on IDLE, is not started, so the fetch during the presses is the only one
    app.start_mail_job = lambda: None  # type: ignore[method-assign]
    times: list[float] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.perf_counter() + 120
            while not (isinstance(app.screen, InboxScreen) and "messages" in painted):
                if time.perf_counter() > deadline:
                    raise TimeoutError("the inbox did not open")
                await asyncio.sleep(0.01)
            await pilot.pause(1.0)
            table = app.screen.query_one("#messages", PagedTable)
            done = threading.Event()
            reports: list = []
            if with_fetch:  # the app's own mail job fetches in a thread of this process: so does this
                threading.Thread(target=lambda: (reports.append(mail_fetch.fetch(app.office)), done.set()),
                                 daemon=True).start()
                await pilot.pause(0.5)
            for i in range(PRESSES):
                before = table.cursor
                key = "down" if (i // 10) % 2 == 0 else "up"
                t0 = time.perf_counter()
                await pilot.press(key)
                while not (table.cursor != before and painted.get("messages", (0, -1))[1] == table.cursor
                           and painted["messages"][0] > t0):
                    if time.perf_counter() - t0 > 10:
                        raise TimeoutError("the cursor did not move")
                    await asyncio.sleep(0.0005)
                times.append((painted["messages"][0] - t0) * 1000)
            if with_fetch and done.is_set():
                times.append(float("nan"))  # the fetch ended before the presses did: marked, not hidden
            while with_fetch and not done.is_set():
                await asyncio.sleep(0.05)
            if with_fetch and (not reports[0].fetched or reports[0].problems):
                raise RuntimeError(f"the fetch during the presses failed: {reports[0].as_dict()}")
    finally:
        PagedTable.render_lines = render_lines  # type: ignore[method-assign]
    return times


def _keys(ctx: Ctx, servers) -> tuple[list[float], list[float]]:
    from mpoffice_tui.db.engine import open_office

    path = ctx.scratch_copy("keys")
    office = open_office(path, ctx.passphrase, use_keyring=False)
    try:
        _add_account(office, servers)
    finally:
        office.close()
    quiet = asyncio.run(_presses(path, ctx.passphrase, servers, with_fetch=False))
    busy = asyncio.run(_presses(path, ctx.passphrase, servers, with_fetch=True))
    return quiet, busy


def rows(ctx: Ctx) -> list[Row]:
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        return [Row.failed("mailbox", "Dovecot is not installed (apt-get install dovecot-imapd)")]
    out = []
    servers = _servers()
    try:
        rate, matched = _fetch_rate(ctx, servers)
        out.append(Row.at_least(f"mailbox: IMAP fetch of a {FOLDER_SIZE:,}-message folder", rate, "msg/s", 300,
                                f"one run into a copy of the {ctx.size} office; parsing, de-duplication, matching, "
                                f"campaigns and indexing included ({matched} matched or grouped)"))
        sent = _queue_to_sent(ctx, servers)
        out.append(Row.at_most("mailbox: queue a reply to sent (p95)", _pct(sent, 95), "ms", 1000,
                               f"median {statistics.median(sent):.0f} ms of {len(sent)}; compose, queue, SMTP over "
                               "TLS to 127.0.0.1, file in Sent by IMAP APPEND"))
        servers.put_many(_mail(FOLDER_SIZE + i, random.Random(i)) for i in range(8000))  # new mail to fetch
        quiet, busy = _keys(ctx, servers)
        ended = any(v != v for v in busy)
        busy = [v for v in busy if v == v]
        out.append(Row.at_most("mailbox: inbox key to frame p95 during a fetch", _pct(busy, 95), "ms", 30,
                               f"median {statistics.median(busy):.0f}; {len(busy)} presses (press to the frame with the cursor moved); "
                               f"with no fetch p50 {statistics.median(quiet):.0f} / p95 {_pct(quiet, 95):.0f}; "
                               f"ratio of p95s {_pct(busy, 95) / max(0.1, _pct(quiet, 95)):.2f}"
                               + ("; the fetch ended before the presses did" if ended else "")))
    finally:
        servers.close()
    return out
