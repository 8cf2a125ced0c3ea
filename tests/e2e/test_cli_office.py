"""The `mpoffice` command in a subprocess: init, doctor, staff, passwd, backup, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import PASSPHRASE


def run(*args: str, env_extra: dict | None = None, input_text: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPOFFICE_NO_KEYRING": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "mpoffice_tui", *args], capture_output=True, text=True,
                          env=env, input=input_text, timeout=120)


def init(db: Path, pw_file: Path) -> dict:
    r = run("--db", str(db), "init", "--office-name", "Office of Jane Smith MP", "--mp", "Jane Smith MP",
            "--name", "Ann Manager", "--new-passphrase-file", str(pw_file), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_init_then_doctor_is_healthy(tmp_path, passphrase_file):
    db = tmp_path / "o" / "office.mpo"
    created = init(db, passphrase_file)
    assert len(created["recovery_code"]) == 29
    r = run("--db", str(db), "--passphrase-file", str(passphrase_file), "doctor", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["healthy"] is True
    assert report["integrity"] == "ok"
    assert report["key_slots"] == {"passphrase": 1, "recovery": 1}
    assert report["schema_version"] == report["schema_latest"] >= 1
    assert report["keyring"] is None and "keyring" in report["keyring_note"]
    # MPOFFICE_DB and MPOFFICE_PASSPHRASE work as well as the options
    r = run("doctor", "--json", env_extra={"MPOFFICE_DB": str(db), "MPOFFICE_PASSPHRASE": PASSPHRASE})
    assert r.returncode == 0 and json.loads(r.stdout)["healthy"]


def test_exit_codes_and_messages(tmp_path, passphrase_file):
    db = tmp_path / "office.mpo"
    init(db, passphrase_file)
    bad = tmp_path / "bad.txt"
    bad.write_text("wrong passphrase here\n")
    r = run("--db", str(db), "--passphrase-file", str(bad), "staff", "list")
    assert r.returncode == 3
    assert "wrong passphrase" in r.stderr and "Traceback" not in r.stderr
    r = run("--db", str(tmp_path / "missing.mpo"), "--passphrase-file", str(passphrase_file), "doctor")
    assert r.returncode == 3 and "no office here" in r.stderr
    r = run("--db", str(db), "staff", "add")  # missing NAME
    assert r.returncode == 2
    r = run("--db", str(db), "staff", "list")  # no passphrase, no terminal, no keyring
    assert r.returncode == 3 and "passphrase is needed" in r.stderr
    r = run("--help")
    assert r.returncode == 0 and "exit codes" in r.stdout and "3  could not unlock" in r.stdout
    r = run("--db", str(db), "init", "--office-name", "x", "--mp", "y", "--name", "z",
            "--new-passphrase-file", str(passphrase_file))
    assert r.returncode == 2 and "already exists" in r.stderr


def test_staff_add_list_remove_and_passwd(tmp_path, passphrase_file):
    db = tmp_path / "office.mpo"
    init(db, passphrase_file)
    bob_pw = tmp_path / "bob.txt"
    bob_pw.write_text("bob's long passphrase\n")
    base = ("--db", str(db), "--passphrase-file", str(passphrase_file))
    r = run(*base, "staff", "add", "Bob Jones", "--role", "volunteer", "--new-passphrase-file", str(bob_pw))
    assert r.returncode == 0, r.stderr
    r = run(*base, "staff", "list", "--json")
    staff = {s["name"]: s for s in json.loads(r.stdout)}
    assert staff["Bob Jones"]["role"] == "volunteer" and staff["Bob Jones"]["slots"] == 1
    # a volunteer may not add staff (enforced in the service, so through the CLI too)
    r = run("--db", str(db), "--passphrase-file", str(bob_pw), "staff", "add", "Eve", "--role", "manager",
            "--new-passphrase-file", str(bob_pw))
    assert r.returncode == 1 and "volunteer cannot add staff" in r.stderr
    new_pw = tmp_path / "new.txt"
    new_pw.write_text("bob's newer passphrase\n")
    r = run("--db", str(db), "--passphrase-file", str(bob_pw), "passwd", "--new-passphrase-file", str(new_pw))
    assert r.returncode == 0, r.stderr
    assert run("--db", str(db), "--passphrase-file", str(bob_pw), "staff", "list").returncode == 3
    assert run("--db", str(db), "--passphrase-file", str(new_pw), "staff", "list").returncode == 0
    r = run(*base, "staff", "remove", "Bob Jones")
    assert r.returncode == 0, r.stderr
    assert run("--db", str(db), "--passphrase-file", str(new_pw), "staff", "list").returncode == 3


def test_backup_is_encrypted_and_opens(tmp_path, passphrase_file):
    db = tmp_path / "office.mpo"
    init(db, passphrase_file)
    target = tmp_path / "backups" / "office-backup.mpo"
    r = run("--db", str(db), "--passphrase-file", str(passphrase_file), "backup", "--to", str(target), "--json")
    assert r.returncode == 0, r.stderr
    assert not target.read_bytes().startswith(b"SQLite format 3")
    assert b"Jane Smith" not in target.read_bytes()
    r = run("--db", str(target), "--passphrase-file", str(passphrase_file), "doctor", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["healthy"]
    r = run("--db", str(db), "--passphrase-file", str(passphrase_file), "backup", "--to", str(target))
    assert r.returncode == 2 and "already exists" in r.stderr


def test_python_dash_m_and_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("mpoffice ")
