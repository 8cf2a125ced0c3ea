"""The office's settings (the MP's name, the office's address, phone and email, the nation) in a form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpoffice_tui.services import office_settings
from mpoffice_tui.ui.dialogs.form import Field, FormDialog
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.ui.app import OfficeApp

NATIONS = tuple((name, code) for code, name in office_settings.NATIONS.items())
YES_NO = (("No", "no"), ("Yes", "yes"))
CHOICES = {"nation": NATIONS, "mail_approval": YES_NO}
LABELS = {"mp_name": "The MP's name, as signed", "office_name": "The office's name",
          "office_address": "The office's address (letterheads)", "office_phone": "The office's phone",
          "office_email": "The office's email (From: of exported replies)",
          "nation": "Bank holidays of (for working days)",
          "review_days": "Days to a new case's first review (empty: 28; 0: none)",
          "mail_approval": "Outgoing mail waits for the MP's or a manager's approval"}


def open_office_settings(app: OfficeApp) -> None:
    """Read the settings, then show them to change; the MP and managers may save (the service says so)."""
    from mpoffice_tui.services import settings
    from mpoffice_tui.services.office_settings import OFFICE_KEYS

    def read(office: Any) -> dict[str, str]:
        return {key: settings.get(office, key) for key in OFFICE_KEYS}

    def show(stored: dict[str, str]) -> None:
        values = {**stored, "nation": stored["nation"] or "ENG",  # as shown (England unless set)
                  "mail_approval": stored["mail_approval"] or "no"}
        fields = [Field(key, LABELS[key], "multiline" if key == "office_address" else
                        "choice" if key in CHOICES else "text", values[key],
                        CHOICES.get(key, ())) for key in OFFICE_KEYS]

        def save(office: Any, v: dict[str, Any]) -> list[str]:
            changed = [key for key in OFFICE_KEYS if (v[key] or "") != values[key]]
            settings.change_many(office, {key: v[key] or "" for key in changed})  # all or nothing
            return changed

        def saved(changed: list[str] | None) -> None:
            if changed:
                app.notify(f"Saved: {', '.join(LABELS[k].lower() for k in changed)}.")

        app.push_screen(FormDialog("Office settings", fields, save,
                                   intro="Letters and replies use these; they reach every machine at the next "
                                         "sync. The MP and managers may change them."), saved)

    run_office(app.screen, "office-settings", read, show)
