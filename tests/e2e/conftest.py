"""What the CLI tests share: `run(*args)`, the real `mpoffice` in a subprocess on the test office."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(created_office, office_path, passphrase_file):
    """`mpoffice --db OFFICE --passphrase-file FILE ARGS…` (the office closed first; today pinned)."""
    created_office.office.close()
    env = {**os.environ, "MPOFFICE_TODAY": "2025-03-05", "MPOFFICE_NO_KEYRING": "1"}

    def _run(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path),
                               "--passphrase-file", str(passphrase_file), *map(str, args)],
                              capture_output=True, text=True, env=env, timeout=120)
    return _run
