"""Reviewing a subject access pack (issue 17): every proposed redaction of another person's details, in its
context; keep it withheld or release it, then produce the pack (a PDF and JSON to send, and a checklist)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.screens.base import OfficeScreen
from mpoffice_tui.ui.text import clean, one_line
from mpoffice_tui.ui.widgets.header import Header
from mpoffice_tui.ui.widgets.key_bar import KeyBar
from mpoffice_tui.ui.widgets.paged_table import Column, PagedTable
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.sar_pack import Pack
    from mpoffice_tui.services.sar_redaction import Proposal, Review


@dataclass(frozen=True)
class ProposalRow:
    proposal: Proposal

    @property
    def state(self) -> str:
        p = self.proposal
        return ("Withheld" if p.withheld else "RELEASED") + ("" if p.decided else " ?")


def context_text(p: Proposal) -> Text:
    """The passage in its context: the words around it dim, the words proposed for withholding marked."""
    text = Text()
    text.append(f"{one_line(p.where)} — {p.label}\n", "bold")
    text.append("…" + clean(p.before).replace("\n", " "), "dim")
    text.append(clean(p.text).replace("\n", " "), "reverse bold" if p.withheld else "underline bold")
    text.append(clean(p.after).replace("\n", " ") + "…", "dim")
    return text


class SarReviewScreen(OfficeScreen):
    """One person's subject access pack under review. `k` keeps the chosen passage withheld, `space` (or `x`)
    releases it, `p` produces the pack once reviewed."""

    LOADS_DATA = True
    DEFAULT_CSS = """
    #sar-summary { padding: 0 1; height: auto; background: $panel; }
    #sar-proposals { height: 1fr; }
    #sar-context { padding: 0 1; height: 5; border-top: solid $primary; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="sar-review-back", tooltip="Back to where you came from"),
        Binding("k", "keep", "Keep withheld", id="sar-keep", tooltip="Keep the chosen passage withheld"),
        Binding("space,x", "release", "Release", id="sar-release",
                tooltip="Release the chosen passage: it is shown in the pack"),
        Binding("K", "keep_all", "Keep all unreviewed", show=False, id="sar-keep-all",
                tooltip="Keep every passage not yet reviewed withheld"),
        Binding("p", "produce", "Produce pack", id="sar-produce",
                tooltip="Write the pack: the PDF and JSON to send, and the reviewer's checklist"),
        Binding("R", "reload", "Reload", show=False, id="sar-reload"),
    ]

    def __init__(self, constituent_id: str) -> None:
        super().__init__()
        self.constituent_id = constituent_id
        self.review: Review | None = None
        self._rows: list[ProposalRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Looking for other people's details…"), id="sar-summary")
        yield PagedTable([
            Column("State", lambda r: r.state, width=10),
            Column("What", lambda r: r.proposal.label, width=16),
            Column("Passage", lambda r: r.proposal.text, min_width=16),
            Column("Where", lambda r: r.proposal.where, min_width=20, drop_order=1),
        ], id="sar-proposals", empty_text="Nothing of other people's was found in this pack.")
        yield Static("", id="sar-context")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#sar-proposals", PagedTable).focus()
        self._load()

    def _load(self, keep_cursor: bool = False) -> None:
        from mpoffice_tui.services import sar_redaction

        office = self.app.office
        if office is None:
            return
        pid = self.constituent_id

        def count() -> int:
            self.review = sar_redaction.review(office, pid)
            self._rows = [ProposalRow(p) for p in self.review.proposals]
            return len(self._rows)

        self.query_one("#sar-proposals", PagedTable).set_source(count, lambda o, n: self._rows[o:o + n],
                                                                keep_cursor=keep_cursor)

    @on(PagedTable.Loaded, "#sar-proposals")
    def loaded(self) -> None:
        rv = self.review
        if rv is None:
            return
        self.sub_title = f"Subject access: {one_line(rv.person)}"
        text = Text()
        text.append(one_line(rv.person), "bold")
        text.append(f": {len(rv.proposals)} passage{'s' if len(rv.proposals) != 1 else ''} of other people's "
                    f"details found; {rv.withheld} withheld, {len(rv.proposals) - rv.withheld} released, "
                    f"{rv.undecided} not yet reviewed.")
        self.query_one("#sar-summary", Static).update(text)
        row = self.query_one("#sar-proposals", PagedTable).cursor_row
        self._show_context(row)
        self.mark_ready()

    @on(PagedTable.RowHighlighted, "#sar-proposals")
    def highlighted(self, event: PagedTable.RowHighlighted) -> None:
        self._show_context(event.row)

    def _show_context(self, row: ProposalRow | None) -> None:
        self.query_one("#sar-context", Static).update(context_text(row.proposal) if row is not None else "")

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._load(keep_cursor=True)

    def _decide(self, keys: list[str], decision: str, done: str) -> None:
        from mpoffice_tui.services import sar_redaction

        if not keys:
            self.notify("Nothing to decide here.")
            return
        pid = self.constituent_id
        run_office(self, "sar-decide", lambda office: sar_redaction.decide(office, pid, keys, decision),
                   lambda _n: self._load(keep_cursor=True), done=done)

    def action_keep(self) -> None:
        row = self.query_one("#sar-proposals", PagedTable).cursor_row
        if row is not None:
            self._decide([row.proposal.key], "keep", "Kept withheld.")

    def action_release(self) -> None:
        row = self.query_one("#sar-proposals", PagedTable).cursor_row
        if row is not None:
            self._decide([row.proposal.key], "release", "Released: it will be in the pack.")

    def action_keep_all(self) -> None:
        keys = [r.proposal.key for r in self._rows if not r.proposal.decided]
        self._decide(keys, "keep", f"{len(keys)} passage(s) kept withheld.")

    def action_produce(self) -> None:
        from mpoffice_tui.services import sar_pack

        if self.review is None:
            return
        pid, undecided = self.constituent_id, self.review.undecided
        home = Path.home() / "Documents" if (Path.home() / "Documents").is_dir() else Path.home()
        stem = "subject-access-" + "-".join(one_line(self.review.person).split())[:40]

        def produce(office: Office, v: FormValues) -> Pack:
            return sar_pack.build_pack(office, pid, Path(v.text("folder")).expanduser())

        def done(pack: Pack | None) -> None:
            if pack is None or pack is True:
                return
            self.notify(f"Pack written to {pack.folder}: send the folder 'send'; read {pack.checklist.name} first "
                        f"(it is not sent). {pack.withheld} passage(s) withheld.")

        intro = ("The pack is written as plain files (the person asked for their data): keep it on an encrypted "
                 "drive and delete it once sent.")
        if undecided:
            intro = f"{undecided} passage(s) not yet reviewed will be withheld. " + intro
        self.app.push_screen(FormDialog("Produce the subject access pack", [
            Field("folder", "A new or empty folder", value=str(home / stem), required=True)],
            produce, intro=intro, submit_label="Produce"), done)
