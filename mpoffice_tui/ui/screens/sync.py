"""The Sync screen (F8): this machine, its peers, bundles, changes waiting, conflicts and the sync folder.

Keys: Ctrl+R syncs now (export to and import from the sync folder); Enter in the folder box sets the
sync folder (empty: stop syncing); on the conflicts table `1` keeps this value, `2` keeps that one,
`e` edits it, `g` goes to the case it belongs to. Loading and syncing run in thread workers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.status import SyncOverview
    from mpoffice_tui.sync.auto import SyncResult
    from mpoffice_tui.sync.conflicts import ConflictView


class SyncFinished(Message):
    """The app finished a sync (by timer, by key, or on unlock); `result` is None if it failed."""

    def __init__(self, result: SyncResult | None, error: str = "") -> None:
        super().__init__()
        self.result, self.error = result, error


def describe(result: SyncResult | None, error: str = "") -> str:
    """One sentence about a sync run."""
    if result is None:
        return f"Sync failed: {error}" if error else "Sync failed."
    if not result.online:
        return f"Offline: {result.message}"
    sent = (f"{result.exported} change{'s' if result.exported != 1 else ''} exported" if result.exported
            else "nothing new to export (the bundle in the sync folder is up to date)")
    text = (f"Synced: {sent}, {result.new_changes} new change{'s' if result.new_changes != 1 else ''} imported "
            f"from {len(result.imported)} bundle{'s' if len(result.imported) != 1 else ''}.")
    if result.refused:
        text += " Refused: " + " ".join(result.refused)
    return text


def _value(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _when(iso: str | None) -> str:
    return (iso or "never").replace("T", " ")[:16]


class ConflictTable(PagedTable):
    """Open conflicts, with the keys to settle them."""

    BINDINGS = [
        Binding("1", "screen.resolve('this')", "Keep this", id="sync-screen-resolve-this"),
        Binding("2", "screen.resolve('that')", "Keep that", id="sync-screen-resolve-that"),
        Binding("e", "screen.edit", "Edit", id="sync-screen-edit"),
        Binding("g", "screen.go", "Go to", id="sync-screen-go"),
    ]


class SyncScreen(OfficeScreen):
    """Sync with the office's other machines."""

    BINDINGS = [
        Binding("ctrl+r", "sync_now", "Sync now", id="sync-sync-now"),
        Binding("ctrl+f", "folder", "Sync folder", id="sync-folder-ctrl-f"),
    ]




    def __init__(self) -> None:
        super().__init__()
        self.overview: SyncOverview | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sync-top"):
            yield Static("", id="sync-machine")
            yield Static("", id="sync-state")
            with Horizontal(id="sync-folder-row"):
                yield Label("Sync folder ")
                yield Input(placeholder="a OneDrive/SharePoint folder, network share or USB stick; Enter sets it",
                            id="sync-folder")
        yield Label("Other machines", classes="section")
        yield PagedTable([
            Column("Code", lambda p: p.code, width=5),
            Column("Label", lambda p: p.label, min_width=10),
            Column("Acknowledged", lambda p: f"{sum(p.acknowledged.values()):,} changes", width=14),
            Column("Last bundle from it", lambda p: _when(p.last_import_at), width=19),
            Column("Retired", lambda p: "retired" if p.retired else "", width=7, drop_order=2),
            Column("Site id", lambda p: p.site, min_width=12, drop_order=1),
        ], id="sync-peers", empty_text="No other machine yet: `mpoffice sync invite` enrols one.")
        yield Label("Open conflicts", classes="section")
        yield ConflictTable([
            Column("Record", lambda c: f"{c.tbl} {c.row_id[-8:]}", min_width=14),
            Column("Field", lambda c: c.field, width=14),
            Column("This (shown)", lambda c: _value(c.this_value), min_width=14),
            Column("That (lost)", lambda c: _value(c.that_value), min_width=14),
            Column("From", lambda c: c.that_code, width=5, drop_order=1),
        ], id="sync-conflicts", empty_text="No conflicts: nobody's edit was lost.")
        yield Static("", id="sync-result", classes="summary")
        yield KeyBar()

    def on_mount(self) -> None:
        folder = self.app.settings.sync_folder
        self.query_one("#sync-folder", Input).value = folder or ""
        self.query_one("#sync-conflicts", PagedTable).focus()
        last = self.app.last_sync
        if last is not None:
            self.query_one("#sync-result", Static).update(Text(one_line(describe(*last))))
        self.reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    def reload(self) -> None:
        settings = self.app.settings

        def query(office):
            from mpoffice_tui.services.status import sync_overview

            return sync_overview(office, settings)

        run_office(self, "sync-overview", query, self._show_overview)

    def _show_overview(self, overview: SyncOverview) -> None:
        o = self.overview = overview
        s = o.summary
        self.query_one("#sync-machine", Static).update(Text.assemble(
            ("This machine: ", "bold"), (s.site_code, "bold"), (f" · site id {s.site_id}", "")))
        state = Text()
        state.append(one_line(o.line), "bold")
        state.append(f"\n{s.waiting} change{'s' if s.waiting != 1 else ''} waiting for another machine · "
                     f"{s.conflicts} open conflict{'s' if s.conflicts != 1 else ''}\n"
                     f"Last bundle exported {_when(o.last_export_at)} · last bundle imported "
                     f"{_when(o.last_import_at)} · last sync {_when(s.last_sync_at)}")
        self.query_one("#sync-state", Static).update(state)
        peers, found = list(s.peers), list(o.conflicts)
        self.query_one("#sync-peers", PagedTable).set_source(
            lambda: len(peers), lambda offset, limit: peers[offset:offset + limit], keep_cursor=True)
        self.query_one("#sync-conflicts", PagedTable).set_source(
            lambda: len(found), lambda offset, limit: found[offset:offset + limit], keep_cursor=True)
        self.loads += 1
        self.refresh_bindings()

    # -- sync now and the folder ------------------------------------------------------------------
    def action_sync_now(self) -> None:
        if not self.app.settings.sync_folder:
            self.query_one("#sync-result", Static).update(
                Text("No sync folder yet: type one above and press Enter."))
            self.query_one("#sync-folder", Input).focus()
            return
        self.query_one("#sync-result", Static).update(Text("Syncing…"))
        self.app.sync_now()

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.query_one("#sync-result", Static).update(Text(one_line(describe(message.result, message.error))))
        self.reload()

    def action_folder(self) -> None:
        self.query_one("#sync-folder", Input).focus()

    @on(Input.Submitted, "#sync-folder")
    def folder_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip().strip("\"'")

        def work(_office: Office) -> str | None:
            from pathlib import Path

            if not text:
                return None
            folder = Path(text).expanduser()  # checked off the loop: a network drive can hang
            if not folder.is_dir():
                raise ValueError(f"{folder}: no such folder (is the drive connected?)")
            return str(folder.resolve())

        run_office(self, "sync-folder", work, self._folder_set, failed=self._folder_refused)

    def _folder_refused(self, error: str) -> None:
        self.query_one("#sync-result", Static).update(Text(one_line(error), style="bold red"))

    def _folder_set(self, folder: str | None) -> None:
        self.app.set_sync_folder(folder)
        self.query_one("#sync-folder", Input).value = folder or ""
        self.query_one("#sync-result", Static).update(
            Text(f"Sync folder set to {one_line(folder)}; syncing now." if folder
                 else "Sync folder cleared: this machine no longer syncs on its own."))
        self.reload()

    # -- conflicts ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resolve", "edit", "go"):  # offered (and shown in the footer) only with a conflict
            return bool(self.overview and self.overview.conflicts)
        return True

    def _conflict(self) -> ConflictView | None:
        return self.query_one("#sync-conflicts", PagedTable).cursor_row

    def action_resolve(self, choice: str, value: str | None = None) -> None:
        conflict = self._conflict()
        if conflict is None:
            return

        def query(office: Office) -> ConflictView:
            from mpoffice_tui.sync import conflicts

            return conflicts.resolve(office, conflict.id, choice, value)

        run_office(self, "sync-resolve", query, self._resolved)

    def _resolved(self, c: ConflictView) -> None:
        self.query_one("#sync-result", Static).update(Text(f"Settled {one_line(c.tbl)} {one_line(c.field)}."))
        self.reload()
        self.app.refresh_status()

    def action_edit(self) -> None:
        conflict = self._conflict()
        if conflict is None:
            return

        def done(value: str | None) -> None:
            if value is not None:
                self.action_resolve("edit", value)

        self.app.push_screen(EditConflictScreen(conflict), done)

    def action_go(self) -> None:
        conflict = self._conflict()
        if conflict is None:
            return

        def query(office):
            from mpoffice_tui.services.status import case_for

            return case_for(office, conflict.tbl, conflict.row_id)

        run_office(self, "sync-go", query, self._go_to)

    async def _go_to(self, case_id: str | None) -> None:
        if case_id is None:
            self.app.notify("This record does not belong to a case; settle it here.", severity="warning")
            return
        await self.app.open_case(case_id)


class EditConflictScreen(OfficeDialog["str | None"]):
    """Type the value a conflicting field should have (both values shown)."""

    def __init__(self, conflict: ConflictView) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        c = self.conflict
        with Vertical(id="conflict-form", classes="dialog-box"):
            yield Static(Text(f"Settle {one_line(c.tbl)} · {one_line(c.field)}"), classes="dialog-title")
            yield Static(Text(f"This (shown): {one_line(_value(c.this_value))}\n"
                              f"That (from machine {one_line(c.that_code)}): {one_line(_value(c.that_value))}"))
            yield Input(_value(c.this_value) if c.this_value is not None else "", id="conflict-value")
            yield Static(Text("Enter keeps the value typed · Esc cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#conflict-value", Input).focus()

    @on(Input.Submitted, "#conflict-value")
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)
