"""Per-machine settings: a small JSON file plus MPOFFICE_* environment overrides. No Textual here."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mpoffice_tui import paths


@dataclass(frozen=True)
class Settings:
    """Settings that belong to this machine, not to the office."""

    idle_lock_minutes: float = 10.0
    sync_folder: str | None = None
    sync_interval_seconds: int = 300
    drop_folder: str | None = None  # mail files saved here are imported into the inbox
    drop_scan_seconds: int = 30
    mail_poll_seconds: int = 120  # the app fetches at least this often (IDLE brings new mail sooner)
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. {"inbox-ignore": "x"}

    def save(self, path: Path | None = None) -> None:
        path = path or paths.settings_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


def load(path: Path | None = None) -> Settings:
    """Read settings from the file, then apply MPOFFICE_* environment overrides."""
    path = path or paths.settings_file()
    values: dict = {}
    if path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                known = Settings.__dataclass_fields__
                values = {k: v for k, v in raw.items() if k in known}
                keymap = values.get("keymap")
                values["keymap"] = ({str(k): v for k, v in keymap.items() if isinstance(v, str)}
                                    if isinstance(keymap, dict) else {})
        except (OSError, ValueError):
            values = {}
    settings = Settings(**values)
    if "MPOFFICE_IDLE_LOCK_MINUTES" in os.environ:
        with contextlib.suppress(ValueError):
            settings = replace(settings, idle_lock_minutes=float(os.environ["MPOFFICE_IDLE_LOCK_MINUTES"]))
    if "MPOFFICE_SYNC_FOLDER" in os.environ:
        settings = replace(settings, sync_folder=os.environ["MPOFFICE_SYNC_FOLDER"] or None)
    if "MPOFFICE_DROP_FOLDER" in os.environ:
        settings = replace(settings, drop_folder=os.environ["MPOFFICE_DROP_FOLDER"] or None)
    if "MPOFFICE_MAIL_POLL_SECONDS" in os.environ:
        with contextlib.suppress(ValueError):
            settings = replace(settings, mail_poll_seconds=int(os.environ["MPOFFICE_MAIL_POLL_SECONDS"]))
    return settings
