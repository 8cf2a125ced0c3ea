"""Shared fixtures: real SQLCipher offices in temporary folders (no database mocks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from servers.fixture import mail_servers, pytest_collection_modifyitems  # noqa: F401 (real mail servers)

PASSPHRASE = "correct horse battery"

os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")  # tests never touch the real OS keyring


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own MPOFFICE_HOME, so nothing reaches the user's real data folder."""
    monkeypatch.setenv("MPOFFICE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MPOFFICE_DB", raising=False)
    monkeypatch.delenv("MPOFFICE_PASSPHRASE", raising=False)


@pytest.fixture
def office_path(tmp_path) -> Path:
    return tmp_path / "office" / "office.mpo"


@pytest.fixture
def created_office(office_path):
    """`engine.Created` for a new, empty office (manager 'Ann Manager'): `.office`, `.recovery_code`."""
    from mpoffice_tui.db.engine import create_office

    created = create_office(office_path, office_name="Office of Jane Smith MP", mp_name="Jane Smith MP",
                            staff_name="Ann Manager", passphrase=PASSPHRASE)
    yield created
    created.office.close()


@pytest.fixture
def office(created_office):
    """A new, empty, open office (manager 'Ann Manager'); closed after the test."""
    return created_office.office


@pytest.fixture
def passphrase_file(tmp_path) -> Path:
    f = tmp_path / "passphrase.txt"
    f.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return f


@pytest.fixture(scope="session")
def demo_small_template(tmp_path_factory):
    """The small demo office, built once per test session; copy it with `demo_office`."""
    from mpoffice_tui import demo

    folder = tmp_path_factory.mktemp("demo-template")
    path = folder / "demo.mpo"
    office = demo.build(path, size="small", passphrase=PASSPHRASE)
    office.close()
    return path


@pytest.fixture
def demo_office_path(demo_small_template, tmp_path) -> Path:
    """A private copy of the small demo office (closed); open it with PASSPHRASE."""
    import shutil

    from mpoffice_tui import paths

    target = tmp_path / "demo" / "demo.mpo"
    target.parent.mkdir(parents=True)
    shutil.copyfile(demo_small_template, target)
    shutil.copyfile(paths.keyslots_for(demo_small_template), paths.keyslots_for(target))
    return target


@pytest.fixture
def demo_office(demo_office_path):
    from mpoffice_tui.db.engine import open_office

    office = open_office(demo_office_path, PASSPHRASE)
    yield office
    office.close()
