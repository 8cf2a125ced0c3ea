"""Search everything (Ctrl+F on every screen, F10 where a screen keeps Ctrl+F for itself): one box, hits
grouped by kind (cases, people, contacts, notes, messages, attachments); Enter or a click opens the hit.

Typing is debounced and each search runs in a named thread worker (`exclusive=True`: a newer search
cancels the one still running, whose results are then dropped). Every text shown is a `rich.text.Text`
of cleaned text, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from mpoffice_tui.ui.dialogs.base import OfficeDialog
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import one_line
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from textual.timer import Timer

    from mpoffice_tui.services.search import SearchHit, SearchResults
    from mpoffice_tui.ui.app import OfficeApp

DEBOUNCE_SECONDS = 0.15
PER_KIND = 6  # hits of each kind shown (the CLI's --limit gives more)


def hit_text(hit: SearchHit, width: int = 96) -> Text:
    """A hit as two lines cut to `width`: its title and when, then where it is and the words found (cleaned
    text, never markup)."""
    first = Text(one_line(hit.title), "bold")
    if hit.at:
        first.append(f"  {hit.at[:10]}", "dim")
    first.truncate(width, overflow="ellipsis")
    second = " · ".join(x for x in (one_line(hit.detail), one_line(hit.snippet)) if x)
    if not second:
        return first
    rest = Text("  " + second, "dim")
    rest.truncate(width, overflow="ellipsis")
    return Text.assemble(first, "\n", rest)


class SearchDialog(OfficeDialog["SearchHit"]):
    """Type to search the whole office; returns the chosen SearchHit (None on Escape)."""

    DEFAULT_CSS = """
    SearchDialog .dialog-box { width: 100; height: 100%; }
    SearchDialog #search-text { margin-bottom: 0; }
    SearchDialog #search-status { height: 1; color: $text-muted; padding: 0 1; }
    SearchDialog #search-results { height: 1fr; border: none; padding: 0; }
    """
    BINDINGS = [
        Binding("down", "to_results", "Results", show=False, id="search-to-results"),
        Binding("ctrl+f,f10", "to_text", "Search box", show=False, id="search-box"),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.hits: dict[str, SearchHit] = {}  # by option id
        self.shown_query: str | None = None  # the text whose results are on screen
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text("Search everything"), classes="dialog-title")
            yield Input(self.initial, placeholder="Cases, people, contacts, notes, messages, attachments…",
                        id="search-text")
            yield Static(Text("Type a name, words or a case reference."), id="search-status")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#search-text", Input).focus()
        if self.initial.strip():
            self.search(self.initial)

    # -- typing -------------------------------------------------------------------------------------
    @on(Input.Changed, "#search-text")
    def changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search(value))

    @on(Input.Submitted, "#search-text")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter in the box: open the first hit when its results are on screen, else search now."""
        if self.shown_query == event.value and self.hits:
            self.dismiss(next(iter(self.hits.values())))
        else:
            self.search(event.value)

    def search(self, text: str) -> None:
        from mpoffice_tui.services.search import search_everything

        if not text.strip():
            self._show(text, None, None)
            return
        self.query_one("#search-status", Static).update(Text("Searching…"))
        run_office(self, "search-everything",
                   lambda office: search_everything(office, text, limit_per_kind=PER_KIND),
                   lambda results: self._found(text, results, None),
                   failed=lambda error: self._found(text, None, error))

    def _found(self, query: str, results: SearchResults | None, error: str | None) -> None:
        if query == self.query_one("#search-text", Input).value:  # not an older search's
            self._show(query, results, error)

    def _show(self, query: str, results: SearchResults | None, error: str | None) -> None:
        listing = self.query_one("#search-results", OptionList)
        status = self.query_one("#search-status", Static)
        self.shown_query = query
        self.hits = {}
        options: list[Option | None] = []
        if error:
            status.update(Text(f"Could not search: {error}"))
        elif results is None:
            status.update(Text("Type a name, words or a case reference."))
        elif not results.found:
            status.update(Text(f"Nothing matches “{one_line(query)}”."))
        else:
            total = sum(len(g.hits) for g in results.groups)
            status.update(Text(f"{total} found · Enter opens · ↓ to the list"))
            for group in results.groups:
                if options:
                    options.append(None)
                label = f"{group.label}{' (more: type more words)' if group.more else ''}"
                options.append(Option(Text(label, style="bold reverse"), disabled=True))
                width = max(20, listing.scrollable_content_region.width - 2)
                for n, hit in enumerate(group.hits):
                    key = f"{hit.kind}-{n}"
                    self.hits[key] = hit
                    options.append(Option(hit_text(hit, width), id=key))
        listing.set_options(options)

    # -- choosing -----------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#search-results")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        hit = self.hits.get(event.option.id or "")
        if hit is not None:
            self.dismiss(hit)

    def action_to_results(self) -> None:
        listing = self.query_one("#search-results", OptionList)
        if self.hits and not listing.has_focus:
            listing.focus()
            if listing.highlighted is None or listing.highlighted < 0:
                listing.action_first()

    def action_to_text(self) -> None:
        self.query_one("#search-text", Input).focus()


async def open_hit(app: OfficeApp, hit: SearchHit | None) -> None:
    """Show what a hit is: a case (or the case of a note, message or attachment), a person, a contact in
    the directory, or a message with no case in its inbox lane."""
    if hit is None or app.office is None:
        return
    if hit.kind == "constituent":
        from mpoffice_tui.ui.screens.constituent import ConstituentScreen

        await app.push_screen(ConstituentScreen(hit.id))
    elif hit.kind == "contact":
        await app.action_mode("contacts")
        for box in app.screen.query("#contact-search").results(Input):
            box.value = hit.title.split(" — ")[0]
    elif hit.case_id:
        await app.open_case(hit.case_id)
    elif hit.kind == "message":
        await app.action_mode("inbox")
        if isinstance(app.screen, OfficeScreen) and hit.lane:
            app.screen.resume({"lane": hit.lane, "place": {"id": hit.id, "index": 0}})
        app.notify(f"The message is in the inbox ({(hit.lane or 'new').replace('_', ' ')} lane).")
    else:
        app.notify("That has no case to open.", severity="warning")
