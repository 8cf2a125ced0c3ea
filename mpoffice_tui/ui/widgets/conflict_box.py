"""Open sync conflicts of a record, each with Keep this / Keep that / Edit (resolved in a worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from mpoffice_tui.ui.text import one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mpoffice_tui.sync.conflicts import ConflictView

TABLE_NAMES = {"cases": "case", "constituents": "constituent"}


def conflict_label(cf: ConflictView) -> Text:
    label = Text()
    label.append("Sync conflict ", "bold")
    label.append(f"on the {TABLE_NAMES.get(cf.tbl, cf.tbl)}'s {cf.field.replace('_', ' ')}: this ")
    label.append(repr(one_line(cf.this_value)), "bold")
    label.append(" / that ")
    label.append(repr(one_line(cf.that_value)), "bold")
    label.append(f" (from {one_line(cf.that_code)})", "dim")
    return label


class ConflictBox(Vertical):
    """Shows conflicts; posts `Resolved` after one is settled so the screen reloads."""

    DEFAULT_CSS = """
    ConflictBox { height: auto; max-height: 8; }
    ConflictBox .conflict-row { height: auto; padding: 0 1; background: $error 15%; }
    ConflictBox .conflict-row Static { width: 1fr; height: auto; }
    ConflictBox .conflict-row Button { min-width: 8; height: 1; border: none; margin: 0 0 0 1; }
    """

    class Resolved(Message):
        pass

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conflicts: list[ConflictView] = []

    async def show(self, conflicts: Sequence[ConflictView]) -> None:
        self.conflicts = list(conflicts)
        await self.remove_children()
        self.display = bool(self.conflicts)
        rows = [Horizontal(Static(conflict_label(cf)), Button("Keep this", id=f"conflict-this-{n}"),
                           Button("Keep that", id=f"conflict-that-{n}"), Button("Edit", id=f"conflict-edit-{n}"),
                           classes="conflict-row") for n, cf in enumerate(self.conflicts)]
        if rows:
            await self.mount_all(rows)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        from mpoffice_tui.sync import conflicts as sync_conflicts
        from mpoffice_tui.ui.dialogs.form import Field, FormDialog
        from mpoffice_tui.ui.work import run_office

        event.stop()
        _, choice, n = (event.button.id or "").split("-")
        cf = self.conflicts[int(n)]
        if choice == "edit":
            def finished(result: ConflictView | None) -> None:
                if result is not None:
                    self.app.notify("Conflict settled.")
                    self.post_message(self.Resolved())

            self.app.push_screen(FormDialog(
                f"Settle the conflict on {cf.field.replace('_', ' ')}",
                [Field("value", "Value", value=one_line(cf.this_value))],
                lambda office, v: sync_conflicts.resolve(office, cf.id, "edit", v.text("value"))), finished)
            return
        run_office(self, "conflict-resolve", lambda office: sync_conflicts.resolve(office, cf.id, choice),
                   lambda _: self.post_message(self.Resolved()), done="Conflict settled.")
