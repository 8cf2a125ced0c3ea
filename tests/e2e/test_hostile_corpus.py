"""The hostile corpus (tests/fixtures/hostile, made by scripts/make_hostile_corpus.py) fed to the real CLI.

For each file: no traceback and no "unexpected error", the exit code the manifest expects, the words it
expects, and, where the input is refused, the office's data unchanged. The commands run in this process
through `mpoffice_tui.cli.main` (the same code path as the installed command, without a Python start per
file); the subprocess tests in test_hostile_files.py cover the installed command itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import threading
from pathlib import Path

import pytest

from conftest import PASSPHRASE
from mpoffice_tui import paths
from mpoffice_tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "hostile"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
# Bookkeeping a refused input may still touch: the audit trail (a refusal is audited), this machine's notes.
BOOKKEEPING = {"audit_events", "office_meta", "peer"}


def _script():
    spec = importlib.util.spec_from_file_location("make_hostile_corpus", ROOT / "scripts" / "make_hostile_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_corpus_is_what_the_script_makes(tmp_path):
    made = _script().write(tmp_path)
    assert sorted(made.files) == sorted(e["file"] for e in MANIFEST)
    assert (tmp_path / "manifest.json").read_bytes() == (CORPUS / "manifest.json").read_bytes()
    for rel in made.files:
        assert (CORPUS / rel).read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs: run the script"


def test_the_corpus_covers_every_kind_and_outcome():
    kinds = {(e["kind"], e["exit"], e["refused"]) for e in MANIFEST}
    assert {("mail", 0, False), ("mail", 1, True), ("register", 0, False), ("register", 1, False),
            ("register", 1, True), ("bundle", 1, True), ("keys", 3, True)} <= kinds
    assert len(MANIFEST) >= 90


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One empty office, copied for each file; with its data key, to read it without the CLI."""
    from mpoffice_tui.db.engine import create_office

    folder = tmp_path_factory.mktemp("hostile-office")
    created = create_office(folder / "office.mpo", office_name="Hostile", mp_name="MP", staff_name="Ann Manager",
                            passphrase=PASSPHRASE)
    key = created.office.data_key
    created.office.close()
    return folder / "office.mpo", key


def _within(seconds: float, func, *args):
    """func(*args) in a daemon thread: the test fails (rather than hangs) if it does not return in time."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(func(*args)), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"no answer within {seconds} s (a hang)")
    assert result, "the command raised instead of answering"
    return result[0]


def _fingerprint(db: Path, key: bytes) -> str:
    """Every data table's rows (ops of the audit trail and bookkeeping tables left out)."""
    from mpoffice_tui.db.engine import connect_raw

    h = hashlib.sha256()
    conn = connect_raw(db, key)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                             "LIKE '%fts%' ORDER BY name")]
        for t in tables:
            if t in BOOKKEEPING:
                continue
            where = " WHERE tbl NOT IN ('audit_events')" if t in ("ops", "field_head") else ""
            for row in conn.execute(f'SELECT * FROM "{t}"{where} ORDER BY 1, 2'):
                h.update(repr(row).encode())
    finally:
        conn.close()
    return h.hexdigest()


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_hostile_file(entry, template, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-03-05")
    source, key = template
    db = tmp_path / "office.mpo"
    shutil.copyfile(source, db)
    shutil.copyfile(paths.keyslots_for(source), paths.keyslots_for(db))
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    file = CORPUS / entry["file"]
    args = {"mail": ["import", "mail", str(file)], "register": ["import", "register", str(file)],
            "bundle": ["sync", "import", str(file)], "keys": ["doctor"]}[entry["kind"]]
    if entry["kind"] == "keys":
        shutil.copyfile(file, paths.keyslots_for(db))
        before = db.read_bytes()
    else:
        before = _fingerprint(db, key)
    code = _within(60, main, ["--db", str(db), "--passphrase-file", str(secret), *args])
    out = capsys.readouterr()
    shown = out.out + out.err
    assert "Traceback" not in shown and "unexpected error" not in shown, shown[-2000:]
    assert code == entry["exit"], shown[-2000:]
    assert entry.get("says", "") in shown, shown[-2000:]
    if entry["kind"] == "keys":  # refused before any work: neither file touched
        assert db.read_bytes() == before
        assert paths.keyslots_for(db).read_bytes() == file.read_bytes()
    elif entry["refused"]:
        assert _fingerprint(db, key) == before
