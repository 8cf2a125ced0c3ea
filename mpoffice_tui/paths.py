"""Every file location the software uses, from platformdirs (or MPOFFICE_HOME for tests)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "mpoffice"
DB_SUFFIX = ".mpo"


def _home() -> Path | None:
    home = os.environ.get("MPOFFICE_HOME")
    return Path(home) if home else None


def data_dir() -> Path:
    """Where offices live by default."""
    home = _home()
    if home:
        return home / "data"
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False)


def config_dir() -> Path:
    """Where per-machine settings live (never personal data)."""
    home = _home()
    if home:
        return home / "config"
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False)


def default_db() -> Path:
    """The office opened when no --db or MPOFFICE_DB is given."""
    env = os.environ.get("MPOFFICE_DB")
    return Path(env) if env else data_dir() / f"office{DB_SUFFIX}"


def demo_db() -> Path:
    return data_dir() / f"demo{DB_SUFFIX}"


def keyslots_for(db: Path) -> Path:
    """The key-slot file that sits beside a database."""
    return db.with_name(db.name + ".keys")


def lock_for(db: Path) -> Path:
    """The lock file that marks an office as open in a process."""
    return db.with_name(db.name + ".lock")


def settings_file() -> Path:
    return config_dir() / "settings.json"
