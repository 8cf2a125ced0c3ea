"""The office's settings (the MP's name, the office's addresses, phone and email, the letterhead's footer, logo
and signature, the nation) in a form. The images are read once from the files named and kept inside the office
(encrypted); the office never refers to the file again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpoffice_tui.services import office_settings
from mpoffice_tui.ui.dialogs.form import Field, FormDialog, FormValues
from mpoffice_tui.ui.work import run_office

if TYPE_CHECKING:
    from mpoffice_tui.db.engine import Office
    from mpoffice_tui.services.letterhead import ImageInfo
    from mpoffice_tui.ui.app import OfficeApp

NATIONS = tuple((name, code) for code, name in office_settings.NATIONS.items())
YES_NO = (("No", "no"), ("Yes", "yes"))
CHOICES = {"nation": NATIONS, "mail_approval": YES_NO}
LABELS = {"mp_name": "The MP's name, as signed", "office_name": "The office's name",
          "office_address": "The office's address (letterheads)", "office_phone": "The office's phone",
          "office_email": "The office's email (From: of exported replies)",
          "nation": "Bank holidays of (for working days)",
          "review_days": "Days to a new case's first review (empty: 28; 0: none)",
          "westminster_address": "The MP's Westminster address (letterheads)",
          "letterhead_footer": "A line at the foot of every letter",
          "mail_approval": "Every email waits for the MP's or a manager's approval"}
IMAGE_LABELS = {"logo": "Letterhead logo: a PNG or JPEG file to read in", "signature":
                "The MP's signature: a PNG or JPEG file to read in"}


def open_office_settings(app: OfficeApp) -> None:
    """Read the settings, then show them to change; the MP and managers may save (the service says so)."""
    from mpoffice_tui.services import letterhead, settings
    from mpoffice_tui.services.office_settings import MULTILINE, OFFICE_KEYS

    def read(office: Office) -> tuple[dict[str, str], dict[str, ImageInfo]]:
        return {key: settings.get(office, key) for key in OFFICE_KEYS}, letterhead.images(office)

    def show(found: tuple[dict[str, str], dict[str, ImageInfo]]) -> None:
        stored, images = found
        values = {**stored, "nation": stored["nation"] or "ENG",  # as shown (England unless set)
                  "mail_approval": stored["mail_approval"] or "no"}
        fields = [Field(key, LABELS[key], "multiline" if key in MULTILINE else
                        "choice" if key in CHOICES else "text", values[key],
                        CHOICES.get(key, ())) for key in OFFICE_KEYS]
        fields += [Field(name, IMAGE_LABELS[name], placeholder=(f"now: {images[name].filename} (kept in the office)"
                                                                 if name in images else "none yet"))
                   for name in letterhead.IMAGES]

        def save(office: Office, v: FormValues) -> list[str]:
            from pathlib import Path

            from mpoffice_tui.db.errors import OfficeError
            from mpoffice_tui.files import read_regular

            changed = [key for key in OFFICE_KEYS if v.text(key) != values[key]]
            given = {name: Path(v.text(name).strip()).expanduser() for name in letterhead.IMAGES if v.text(name).strip()}
            for path in given.values():  # every image checked before anything is written
                try:
                    letterhead.check_image(read_regular(path, letterhead.MAX_BYTES, "image"), str(path))
                except OSError as exc:
                    raise OfficeError(f"{path}: cannot read the image ({getattr(exc, 'strerror', None) or exc})") from None
            settings.change_many(office, {key: v.text(key) for key in changed})  # all or nothing
            for name, path in given.items():
                letterhead.set_image(office, name, path)
            return changed + list(given)

        def saved(changed: list[str] | None) -> None:
            if changed:
                names = {**LABELS, "logo": "letterhead logo", "signature": "signature"}
                app.notify(f"Saved: {', '.join(names[k].lower() for k in changed)}.")

        app.push_screen(FormDialog("Office settings", fields, save,
                                   intro="Letters and replies use these; they reach every machine at the next "
                                         "sync. The MP and managers may change them."), saved)

    run_office(app.screen, "office-settings", read, show)
