"""The Textual app: unlock first, then Inbox, Cases and Register as modes.

`make_app(db_path, passphrase=..., settings=...)` is the one factory the CLI, tests, screenshot
script and benchmarks use. This module imports no database code: the unlock screen appears at
once and the database stack is imported in a thread worker while the person types.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, overload

from textual import events, work
from textual._context import active_app
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.worker import WorkerFailed

from mpoffice_tui.ui.screens.unlock import UnlockScreen
from mpoffice_tui.ui.text import clean
from mpoffice_tui.ui.work import from_worker, run_office

if TYPE_CHECKING:
    from textual.actions import ActionParseResult
    from textual.app import AwaitMount
    from textual.screen import ScreenResultCallbackType
    from textual.timer import Timer

    from mpoffice_tui.config import Settings
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.search import SearchHit
    from mpoffice_tui.sync.auto import SyncResult
    from mpoffice_tui.ui.commands import OfficeCommands
    from mpoffice_tui.ui.dialogs.base import OfficeDialog
    from mpoffice_tui.ui.jobs import MailJob, MailRound
    from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
    from mpoffice_tui.ui.widgets.paged_table import PagedTable

ResultT = TypeVar("ResultT")
ScreenT = TypeVar("ScreenT", bound=Screen)
SyncOutcome = tuple["SyncResult | None", str]  # a sync's result (None when it failed) and what went wrong

STATUS_REFRESH_SECONDS = 5.0
STATUS_AFTER_UNLOCK_SECONDS = 0.3  # the header status and the first sync wait for the inbox's first rows
PREBUILD_AFTER_SECONDS = 0.5  # after unlock, build the Cases and case screens in the first quiet moment
QUIET_SECONDS = 0.4  # ...quiet: no key or mouse for this long
PRELOAD_DELAY_SECONDS = 0.15
# The data screens are imported when first shown (or by the preload worker after the first frame),
# so the unlock screen paints as fast as a bare Textual app.
SCREEN_CLASSES = {
    "inbox": ("mpoffice_tui.ui.screens.inbox", "InboxScreen"),
    "cases": ("mpoffice_tui.ui.screens.case_list", "CasesScreen"),
    "register": ("mpoffice_tui.ui.screens.register", "RegisterScreen"),
    "sync": ("mpoffice_tui.ui.screens.sync", "SyncScreen"),
    "reminders": ("mpoffice_tui.ui.screens.reminders", "RemindersScreen"),
    "stats": ("mpoffice_tui.ui.screens.stats", "StatsScreen"),
    "contacts": ("mpoffice_tui.ui.screens.contacts", "ContactsScreen"),
    "templates": ("mpoffice_tui.ui.screens.templates", "TemplatesScreen"),
    "surgery": ("mpoffice_tui.ui.screens.surgery", "SurgeryScreen"),
}
# Modules the preload worker imports while the person types (not stats: plotext waits until asked).
PRELOAD_SCREENS = ("inbox", "cases", "register", "sync", "reminders", "contacts")
# ...and what those screens import only when first used (a case, its services)
PRELOAD_MODULES = ("mpoffice_tui.ui.screens.case_detail", "mpoffice_tui.services.cases",
                   "mpoffice_tui.services.consent", "mpoffice_tui.services.inbox", "mpoffice_tui.sync.conflicts")


def _styled_now(screen: ScreenT) -> ScreenT:
    """A new screen marked as styled with the app's current CSS, which it is as it mounts. Textual (8.2)
    restyles the whole app, every stylesheet parsed again and every widget of the stack, when it first shows a
    screen whose mark differs from the app's (a new screen's always does), twice for each first switch to a
    mode: 15-50 ms each at unlock and on each screen's first visit. A theme change still moves the app's mark,
    and every screen is restyled when next shown."""
    screen._css_update_count = active_app.get()._css_update_count
    return screen


def _lazy_screen(mode: str) -> Callable[[], Screen]:
    def make() -> Screen:
        module, name = SCREEN_CLASSES[mode]
        return _styled_now(getattr(importlib.import_module(module), name)())

    return make


DATA_MODES: dict[str, Callable[[], Screen]] = {mode: _lazy_screen(mode) for mode in SCREEN_CLASSES}


def _office_commands() -> type[OfficeCommands]:
    """The palette's provider, imported when the palette first opens (not on the way to the first frame)."""
    from mpoffice_tui.ui.commands import OfficeCommands

    return OfficeCommands


class OfficeApp(App[int]):
    """mpoffice in the terminal."""

    TITLE = "mpoffice"
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"  # absolute: subclasses elsewhere work too
    MODES = {"locked": UnlockScreen, **DATA_MODES}  # (the first screen: its restyle sets the theme)
    DEFAULT_MODE = "locked"
    COMMANDS = App.COMMANDS | {_office_commands}  # imported when the palette first opens
    BINDINGS = [
        Binding("f2", "mode('inbox')", "Inbox", id="inbox"),
        Binding("f3", "mode('cases')", "Cases", id="cases"),
        Binding("f4", "mode('register')", "Register", id="register"),
        Binding("f5", "mode('reminders')", "Due", id="reminders", show=False),
        Binding("f6", "mode('stats')", "Stats", id="stats", show=False),
        Binding("f7", "mode('contacts')", "Contacts", id="contacts", show=False),
        Binding("f8", "mode('sync')", "Sync", id="sync", show=False),
        Binding("f9", "mode('templates')", "Templates", id="templates", show=False),
        Binding("f11", "mode('surgery')", "Surgery", id="surgery", show=False,
                tooltip="Advice surgeries: the day's list, bookings, walk-ins, the person across the table"),
        Binding("ctrl+l", "lock", "Lock", id="lock", priority=True),  # from a form too
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("question_mark,f1", "keys", "Keys", id="keys", show=False,
                tooltip="Every key of this screen (this list)"),
        Binding("ctrl+f,f10", "search_everything", "Search all", id="search-everything",
                tooltip="Search cases, people, contacts, notes, messages and attachments (F10 where a screen "
                "keeps Ctrl+F)"),
    ]

    def __init__(self, db_path: Path, *, passphrase: str | None = None, settings: Settings | None = None):
        super().__init__()
        self.db_path = Path(db_path)
        self.office: Office | None = None
        self.first_unlock = True
        self._auto_passphrase = passphrase
        if settings is None:
            from mpoffice_tui import config

            settings = config.load()
        self.settings = settings
        self.idle_seconds = float(settings.idle_lock_minutes or 0) * 60
        self.last_activity = time.monotonic()
        self.sub_title = "locked"
        self.last_sync: SyncOutcome | None = None  # of the last automatic or manual sync
        self._sync_lock = threading.Lock()  # never two syncs of one office at once
        self._sync_timer: Timer | None = None
        self._case_spare: CaseDetailScreen | None = None  # the reusable case detail screen (see case_screen)
        self._locking = False  # a lock is dropping the data screens
        self._builds: set[asyncio.Future[None]] = set()  # screens being built in the background (see _building)
        self._last_action: tuple[DOMNode, str] | None = None  # what opened the next dialog (see push_screen)
        self._retype: tuple[Screen, str, Mapping[str, object]] | None = None  # a kept dialog's text, to give back
        self.mail_job: MailJob | None = None  # while the office is open
        self._mail_told: set[str] = set()  # mail problems already shown as a notification
        self._views_told = False  # a failure to record views was shown

    # -- start-up ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.settings.keymap:
            from mpoffice_tui.ui.keymap import checked

            keymap, problems = checked(self.settings.keymap)
            self.set_keymap(keymap)
            for problem in problems:
                self.notify(problem, severity="warning", markup=False)
        if self.idle_seconds > 0:
            self.set_interval(max(0.05, min(5.0, self.idle_seconds / 4)), self._check_idle)
        self.set_interval(STATUS_REFRESH_SECONDS, self.refresh_status)  # picks up writes made on any screen

    def on_ready(self) -> None:
        """After the first frame has settled, import the database stack and start unlocking
        (keyring/passphrase). The short delay keeps the import's CPU work (it holds the GIL for about
        half a second) from competing with the first paints."""
        self.set_timer(PRELOAD_DELAY_SECONDS, self._start_preload)

    def _start_preload(self) -> None:
        self.preload()
        if isinstance(self.screen, UnlockScreen):
            self.screen.begin()
        self.set_timer(PREBUILD_AFTER_SECONDS, self._prebuild_inbox)

    def _prebuild_inbox(self, passes: int = 0) -> None:
        """Build the (empty) Inbox screen while the passphrase is typed, so that after unlocking only its
        rows are left to load. Never while they type: the unlock screen keeps what was typed anyway."""
        if self.office is not None or self.current_mode != "locked" or passes >= 2 or self._locking \
                or not self._showing():
            return  # (a lock in progress starts this again when it is done)
        if time.monotonic() - self.last_activity < QUIET_SECONDS or len(self.screen_stack) > 1:
            self.set_timer(QUIET_SECONDS, lambda: self._prebuild_inbox(passes))
            return
        # built by the first pass; the second, once it is mounted, brings its styles up to date (a
        # screen's styles are refreshed only while it is current and mounted)
        self._building(self.switch_mode("inbox"))  # shown at unlock; switched back before any frame shows it
        self.switch_mode("locked")
        self.set_timer(QUIET_SECONDS, lambda: self._prebuild_inbox(passes + 1))

    def _showing(self) -> bool:
        """Whether a screen is up (not while the app starts or shuts down): only then is one built ahead.
        A screen built while the app shuts down adds a mode under Textual's loop closing every mode."""
        if not self.is_running:
            return False
        try:
            return bool(self.screen_stack)
        except KeyError:  # the current mode's stack is gone: shutting down
            return False

    def _building(self, *mounts: Awaitable[object]) -> None:
        """Note screens still being built in the background: a lock waits for them before dropping the
        data screens (removing a screen while it still mounts races its widgets)."""
        async def mounted() -> None:
            for mount in mounts:
                await mount

        task = asyncio.ensure_future(mounted())
        self._builds.add(task)
        task.add_done_callback(self._builds.discard)

    @work(thread=True, group="preload")
    def preload(self) -> None:
        """Import the database stack while the unlock screen waits for the passphrase."""
        import mpoffice_tui.db.engine  # noqa: F401
        import mpoffice_tui.services.lists  # noqa: F401
        import mpoffice_tui.services.status  # noqa: F401

        for module in (*(SCREEN_CLASSES[mode][0] for mode in PRELOAD_SCREENS), *PRELOAD_MODULES):
            importlib.import_module(module)
        from mpoffice_tui.process_memory import settle_imports

        settle_imports()

    def take_auto_passphrase(self) -> str | None:
        """The passphrase given to make_app, once (a lock later always asks a person)."""
        passphrase, self._auto_passphrase = self._auto_passphrase, None
        return passphrase

    def office_unlocked(self, office: Office, name: str = "") -> None:
        """Called by the unlock screen with the open office and its name (read in the unlock worker)."""
        from mpoffice_tui.db.engine import limit_page_caches

        limit_page_caches()  # the screens' workers read side by side: their caches share one budget
        self.office = office
        self.first_unlock = False
        self.last_activity = time.monotonic()
        self.title = name or "mpoffice"
        self.sub_title = "unlocked"
        self.switch_mode("inbox")
        self.set_timer(STATUS_AFTER_UNLOCK_SECONDS, self.refresh_status)  # after the inbox's first rows
        self.start_auto_sync()
        self.set_timer(PREBUILD_AFTER_SECONDS, self._prebuild)
        self._take_workspace(office)

    def _prebuild(self) -> None:
        """Build the Cases screen and the case screen while the person reads the inbox, so that F3 and the
        first case open as fast as later ones (building a Textual screen costs more than its data)."""
        office = self.office
        if office is None or self._case_spare is not None or not self._showing():
            return
        quiet = time.monotonic() - self.last_activity >= QUIET_SECONDS
        if not quiet or self.current_mode != "inbox" or len(self.screen_stack) > 1:
            # only on the inbox (it does nothing when shown again; other screens reload), not while
            # they type, and not with a dialog open
            self.set_timer(QUIET_SECONDS, self._prebuild)
            return
        from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen

        if not self._in_a_stack("cases"):  # built now, shown later (it loads its first page too)
            self._building(self.switch_mode("cases"))
            self.switch_mode("inbox")
        spare = self._case_spare = CaseDetailScreen()
        self.install_screen(spare, "case-detail")
        self._building(self.push_screen(spare))  # builds it; popped before any frame shows it
        self.pop_screen()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification of the app, from any screen or thread: its text is cleaned and shown as
        written, never parsed as markup (a name or file name such as "[/x]" would crash the app)."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout,
                       markup=False)

    # -- work kept across a lock (ui/workspace.py) --------------------------------------------------
    def _take_workspace(self, office: Office) -> None:
        """What the person was doing when the office last locked on them, given back (read off the loop)."""
        from mpoffice_tui.services import workspace

        def kept(found: dict[str, object] | None) -> None:
            if found:
                self.run_worker(self._restore_workspace(found), exclusive=True, group="workspace-restore")

        run_office(self, "workspace", workspace.take, kept, failed=lambda _error: None)  # nothing to give back

    async def _restore_workspace(self, kept: Mapping[str, object]) -> None:
        from mpoffice_tui.ui.workspace import restore

        if self._builds:  # the inbox and the case screen being built behind the scenes
            await asyncio.wait(set(self._builds), timeout=5)
        await restore(self, kept)

    def expect_dialog(self, below: Screen, name: str, typed: Mapping[str, object]) -> None:
        """The next dialog of this kind opened on `below` gets back what was typed in it before the lock."""
        self._retype = (below, name, typed)

    def retype_into(self, dialog: OfficeDialog) -> None:
        """Called by every dialog once mounted: give it back its kept text, if it is the one expected."""
        if self._retype is None or len(self.screen_stack) < 2:
            return
        below, name, typed = self._retype
        if dialog.kept_name == name and self.screen_stack[-2] is below and self.screen is dialog:
            self._retype = None
            dialog.retype(typed)
            self.notify("What you were typing before the office locked is back.")

    if TYPE_CHECKING:  # Textual's own two signatures (the result callback typed by the screen's result)
        @overload
        def push_screen(self, screen: Screen[ResultT] | str,
                        callback: ScreenResultCallbackType[ResultT] | None = None,
                        wait_for_dismiss: Literal[False] = False, *, mode: str | None = None) -> AwaitMount: ...

        @overload
        def push_screen(self, screen: Screen[ResultT] | str,
                        callback: ScreenResultCallbackType[ResultT] | None = None,
                        wait_for_dismiss: Literal[True] = True, *,
                        mode: str | None = None) -> asyncio.Future[ResultT]: ...

    def push_screen(self, screen: Screen[ResultT] | str, callback: ScreenResultCallbackType[ResultT] | None = None,
                    wait_for_dismiss: bool = False, *,
                    mode: str | None = None) -> AwaitMount | asyncio.Future[ResultT]:
        """Push a screen; a dialog notes the action that opened it, so that a lock can open it again."""
        dialogs = sys.modules.get("mpoffice_tui.ui.dialogs.base")  # (not imported yet: no dialog exists)
        if dialogs is not None and isinstance(screen, dialogs.OfficeDialog) and screen.opener is None \
                and self._last_action is not None:
            node, action = self._last_action
            if node is self.screen or (isinstance(node, Widget) and node.is_attached and node.screen is self.screen):
                screen.opener = (node, action)
        return super().push_screen(screen, callback, wait_for_dismiss, mode=mode)  # type: ignore[call-overload]

    async def run_action(self, action: str | ActionParseResult, default_namespace: DOMNode | None = None,
                         namespaces: Mapping[str, DOMNode] | None = None) -> bool:
        if isinstance(action, str) and default_namespace is not None and not isinstance(default_namespace, App):
            self._last_action = (default_namespace, action)
        return await super().run_action(action, default_namespace, namespaces)

    # -- header status ------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        if self.office is not None:
            self._load_status(self.office)
            self.record_views()

    def record_views(self) -> None:
        """Write the cases and records opened since last time to the audit log, in one batch, off the loop."""
        from mpoffice_tui.services import audit
        from mpoffice_tui.ui.work import run_office

        if self.office is not None and audit.pending_views(self.office):
            run_office(self, "record-views", audit.flush_views, failed=self._views_failed)

    def _views_failed(self, error: str) -> None:
        """The views stay noted and are tried again at the next refresh; say so once, not every few seconds."""
        if not self._views_told:
            self._views_told = True
            self.notify(f"Could not yet record who opened what (will try again): {error}", severity="warning")

    def _load_status(self, office: Office) -> None:
        settings = self.settings

        def query(office: Office) -> tuple[str, bool]:  # imported in the worker: on the event loop, a first
            # import waited for the preload thread's import lock (270 ms after the first unlock)
            from mpoffice_tui.services import mail_accounts, sar_requests
            from mpoffice_tui.services.mail_status import header_line
            from mpoffice_tui.services.status import status_line

            line = f"unlocked · {status_line(office, settings)}"
            mail = header_line(office)  # read from the office only: never waits on a server
            if mail:
                line += f" · {mail}"
            if sar := sar_requests.header_note(office):  # managers: subject access requests overdue
                line += f" · {sar}"
            return line, bool(mail_accounts.accounts_here(office))

        run_office(self, "status", query, lambda found: self._set_status(office, *found),
                   failed=lambda _error: None)  # a closed office mid-query: the next refresh corrects it

    def _set_status(self, office: Office, line: str, mail_here: bool = False) -> None:
        if office is self.office:
            self.sub_title = line
            job = self.mail_job
            if mail_here and (job is None or job.finished.is_set()):  # this machine's mail: (re)start its job
                self.start_mail_job()

    # -- automatic sync (DESIGN §5): on a timer, on unlock, before locking and on closing --------------
    def start_auto_sync(self) -> None:
        """(Re)start the sync timer for `settings.sync_folder`, and sync once now."""
        if self._sync_timer is not None:
            self._sync_timer.stop()
            self._sync_timer = None
        if self.office is not None and self.settings.sync_folder:
            interval = max(5.0, float(self.settings.sync_interval_seconds or 300))
            self._sync_timer = self.set_interval(interval, self.sync_now)
            self.set_timer(STATUS_AFTER_UNLOCK_SECONDS, self.sync_now)  # once the screen has its rows

    def set_sync_folder(self, folder: str | None) -> None:
        """Use (and save in this machine's settings) a new sync folder; None stops syncing."""
        from dataclasses import replace

        self.settings = replace(self.settings, sync_folder=folder)
        try:
            self.settings.save()
        except OSError as exc:
            self.notify(f"Could not save the settings: {exc}", severity="error")
        self.start_auto_sync()
        self.refresh_status()

    def sync_now(self) -> None:
        """Export to and import from the sync folder in a thread worker."""
        if self.office is not None and self.settings.sync_folder:
            self._sync_worker(self.office, self.settings.sync_folder)

    def _sync_once(self, office: Office, folder: str) -> SyncOutcome:
        from mpoffice_tui.sync.auto import sync_folder_once

        with self._sync_lock:
            try:
                return sync_folder_once(office, folder), ""
            except Exception as exc:  # noqa: BLE001 - shown on the Sync screen, never a traceback
                return None, str(exc)

    def _sync_worker(self, office: Office, folder: str) -> None:
        run_office(self, "sync", lambda office: self._sync_once(office, folder),
                   lambda outcome: self._synced(office, outcome), exclusive=False)

    def _synced(self, office: Office, outcome: SyncOutcome) -> None:
        if office is not self.office:
            return
        self.last_sync = outcome
        result = outcome[0]
        if result is not None and result.new_changes:
            self.notify(f"{result.new_changes} new change{'s' if result.new_changes != 1 else ''} "
                        "from the office's other machines.")
        self.refresh_status()
        from mpoffice_tui.ui.screens.sync import SyncFinished

        self.screen.post_message(SyncFinished(*outcome))

    def _final_sync(self, office: Office) -> None:
        """One last sync before the office closes (lock, idle lock, quit), if a folder is set."""
        if self.settings.sync_folder:
            self._sync_once(office, self.settings.sync_folder)

    # -- the mail job (ui/jobs.py): fetch, send, IDLE while the office is open ------------------------
    def start_mail_job(self) -> None:
        """(Re)start the mail job for the open office (it does nothing while no account is this machine's)."""
        from mpoffice_tui.ui.jobs import MailJob

        self._stop_mail_job()
        office = self.office
        if office is None:
            return
        self._mail_told = set()

        report = from_worker(self, lambda result: self._mail_round(office, result))
        self.mail_job = MailJob(office, self.settings.mail_poll_seconds, report)
        self._mail_worker(self.mail_job)

    @work(thread=True, exclusive=True, group="mail", exit_on_error=False)
    def _mail_worker(self, job: MailJob) -> None:
        job.run()

    def _stop_mail_job(self, wait: float = 0.0) -> None:
        job, self.mail_job = self.mail_job, None
        if job is not None:
            job.stop(wait)

    def mail_wake(self, *, fetch: bool = False) -> bool:
        """Send what was just queued soon (and fetch too, with `fetch`); False when no mail job runs."""
        if self.mail_job is None:
            return False
        self.mail_job.wake(fetch=fetch)
        return True

    def _mail_round(self, office: Office, result: MailRound) -> None:
        """A round of the mail job ended: new problems once as a notification, the header, the screens."""
        from mpoffice_tui.ui.jobs import MailActivity

        if office is not self.office:
            return
        new = [p for p in result.problems if p not in self._mail_told]
        for problem in new:
            self.notify(f"Mail: {problem}", severity="warning", timeout=10)
        self._mail_told = set(result.problems) if result.problems else set()
        if result.fetched:
            self.notify(f"{result.fetched} new email{'s' if result.fetched != 1 else ''} fetched.")
        self.refresh_status()
        for screen in self._mail_screens():
            screen.post_message(MailActivity(result))

    def _mail_screens(self) -> list[Screen]:
        """The screens that show mail: every mode's stack (the Inbox, a case open on the Cases mode)."""
        screens: list[Screen] = []
        for mode in DATA_MODES:
            with contextlib.suppress(KeyError):
                screens += [s for s in self.get_screen_stack(mode) if s not in screens]
        return screens

    # -- actions -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in ("mode", "lock", "search_everything") and self.office is None)

    async def action_mode(self, mode: str) -> None:
        """An F-key: that screen's main view (F3 is the case list, not the last case read there). A form
        left open on that screen is kept, with what was typed in it."""
        if self.office is None or mode not in DATA_MODES:
            return
        await self.switch_mode(mode)
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            await self.pop_screen()

    def action_help_quit(self) -> None:
        """Ctrl+C outside a text box: say how to quit (Textual's own message is markup)."""
        self.notify("Press Ctrl+Q to quit.", title="Do you want to quit?")

    def action_keys(self) -> None:
        """`?`: the keys of the screen in front (a screen may offer its own, fuller list)."""
        from mpoffice_tui.ui.dialogs.keys import KeysHelp

        if not isinstance(self.screen, KeysHelp):
            self.push_screen(KeysHelp.for_screen(self.screen))

    def action_search_everything(self) -> None:
        """Ctrl+F: search the whole office; the hit chosen is opened (ui/dialogs/search.py)."""
        from mpoffice_tui.ui.dialogs.search import SearchDialog, open_hit

        def chosen(hit: SearchHit | None) -> None:
            self.run_worker(open_hit(self, hit), group="open-hit")

        if self.office is not None and not isinstance(self.screen, SearchDialog):
            self.push_screen(SearchDialog(), chosen)

    async def action_lock(self) -> None:
        await self.lock("Locked. Type your passphrase to carry on.")

    async def open_case(self, case_id: str) -> None:
        """Show a case's detail on top of the Cases mode (from the palette)."""
        if self.office is None:
            return
        await self.switch_mode("cases")
        await self.push_screen(self.case_screen(case_id))

    def _in_a_stack(self, what: Screen | str) -> bool:
        """Is this screen in any mode's stack (or, given a mode's name, has that mode been built)?"""
        def stack(mode: str) -> list[Screen]:
            try:
                return self.get_screen_stack(mode)
            except KeyError:  # a mode not built yet
                return []

        if isinstance(what, str):
            return bool(stack(what))
        return any(what in stack(mode) for mode in ("locked", *DATA_MODES))

    def case_screen(self, case_id: str, chase_party: str | None = None) -> Screen:
        """The case detail screen to push for a case. One is kept and reused (building a screen costs
        far more than loading a case); a second is made only when it is already open in some stack."""
        from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen

        spare = self._case_spare
        if spare is None or self._in_a_stack(spare):
            if spare is not None:
                return CaseDetailScreen(case_id, chase_party)
            spare = self._case_spare = CaseDetailScreen()
            self.install_screen(spare, "case-detail")
        spare.show_case(case_id, chase_party)
        return spare

    async def lock(self, reason: str) -> None:
        """Close the office, drop every screen that showed its data, and ask for the passphrase."""
        if self.office is None:
            return
        from mpoffice_tui.ui.workspace import capture

        kept = capture(self, list(DATA_MODES))  # before any screen is dropped
        self._retype = None
        office, self.office = self.office, None
        job = self.mail_job
        self._stop_mail_job()  # nothing queued is lost: the outbox lives in the office
        self._locking = True
        if self._builds:  # screens still being built in the background: let them finish first
            await asyncio.wait(set(self._builds), timeout=5)
        if self._sync_timer is not None:
            self._sync_timer.stop()
            self._sync_timer = None
        self.title = "mpoffice"
        self.sub_title = "locked"
        while self.current_mode == "locked" and len(self.screen_stack) > 1:
            self.pop_screen()
        await self.switch_mode("locked")
        if isinstance(self.screen, UnlockScreen):  # say why at once (dropping the modes below awaits)
            self.screen.show_locked(reason)
        # each mode is added back at once, before anything is awaited, so no mode is ever missing; the
        # Inbox is built behind the unlock screen again only once the old screens are gone
        for mode, screen in DATA_MODES.items():
            removal = self.remove_mode(mode)
            self.add_mode(mode, screen)
            await removal
        if (spare := self._case_spare) is not None:  # it showed a case: a new one after the next unlock
            self._case_spare = None
            self.uninstall_screen(spare)
            if spare.is_mounted:
                await spare.remove()
        self._locking = False
        self.set_timer(PREBUILD_AFTER_SECONDS, self._prebuild_inbox)
        try:
            await self.run_worker(partial(self._close_office, office, kept, job), thread=True,
                                  group="close-office", exit_on_error=False).wait()
        except WorkerFailed as failed:  # the lock stands; say what went wrong, never a traceback
            self.notify(f"The office did not close cleanly: {failed.error}", severity="error")

    def _close_office(self, office: Office, kept: dict[str, object] | None, job: MailJob | None = None) -> None:
        """(In a thread, never on the loop) keep the person's work inside the office, sync one last time,
        close it."""
        from mpoffice_tui.services import workspace

        if job is not None:  # stopped at the lock; it ends before the office closes under it
            job.finished.wait(10)
        try:
            from mpoffice_tui.services import audit

            audit.flush_views(office)  # who looked, up to the last moment
        except Exception as exc:  # noqa: BLE001 - never stops a lock: the office still closes
            from_worker(self, self.notify)(f"Could not record who opened what: {exc}", severity="error")
        try:
            if kept and kept.get("modes") and not workspace.save(office, kept):
                from_worker(self, self.notify)("What was being typed was too long to keep across the lock.",
                                               severity="warning")
        except Exception as exc:  # noqa: BLE001 - never stops a lock: the office still closes
            from_worker(self, self.notify)(f"Could not keep your unfinished work: {exc}", severity="error")
        finally:
            try:
                self._final_sync(office)
            finally:
                office.close()

    # -- idle auto-lock ------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp,
                              events.MouseMove)):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    async def _check_idle(self) -> None:
        if self.office is not None and time.monotonic() - self.last_activity >= self.idle_seconds:
            minutes = self.idle_seconds / 60
            after = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else \
                f"{self.idle_seconds:g} seconds"
            await self.lock(f"Locked after {after} without use. Type your passphrase to carry on.")

    def on_paged_table_load_failed(self, message: PagedTable.LoadFailed) -> None:
        if self.office is not None:
            self.notify(f"Could not load the list: {message.error}", severity="error")

    # -- palette and shutdown ------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # no "Screenshot": it would write the office's personal data to disk in plaintext
        titles: set[str] = set()
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                titles.add(command.title)
                yield command
        yield from self._binding_commands(screen, titles)

    def _binding_commands(self, screen: Screen, taken: set[str]) -> Iterable[SystemCommand]:
        """Every key of the current screen, footer-shown or not, also as a palette command: nothing is
        reachable only by a key a person has to know."""
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action.startswith("app.command"):
                continue
            title = f"{binding.description} ({self.get_key_display(binding)})"
            if title in taken or binding.description in taken:
                continue
            taken.add(title)

            async def run(node=active.node, action=binding.action) -> None:
                await self.run_action(action, node)

            yield SystemCommand(title, binding.tooltip or f"Press {self.get_key_display(binding)} on this screen", run)

    async def on_unmount(self) -> None:
        """Quitting: the last sync and the close run in a thread worker (the loop keeps drawing)."""
        job = self.mail_job
        self._stop_mail_job()
        office, self.office = self.office, None
        if office is not None:
            # not a Textual worker: the app cancels those as it shuts down, and the close must finish
            with contextlib.suppress(Exception):  # never a traceback on the way out
                await asyncio.to_thread(self._close_office, office, None, job)


def make_app(db_path: Path, *, passphrase: str | None = None, settings: Settings | None = None) -> OfficeApp:
    """The app for the office at `db_path`; with `passphrase`, it unlocks by itself (demo, scripts)."""
    from mpoffice_tui.process_memory import share_malloc_arenas

    share_malloc_arenas()  # before the app starts its worker threads
    return OfficeApp(Path(db_path), passphrase=passphrase, settings=settings)
