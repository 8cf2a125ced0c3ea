"""Data-protection commands through the real CLI in a subprocess, as a manager and as a volunteer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dp_data import MARKER, add_staff, plant, scan_for
from pdf_reading import pdf_text

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import create_office, open_office
from mpoffice_tui.db.models import Constituent


def run(db, pw_file, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPOFFICE_NO_KEYRING": "1"}
    return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(db), "--passphrase-file", str(pw_file),
                           *args], capture_output=True, text=True, env=env, timeout=120)


def test_data_protection_commands(tmp_path, passphrase_file):
    db = tmp_path / "o" / "office.mpo"
    office = create_office(db, office_name="Office", mp_name="MP", staff_name="Ann Manager",
                           passphrase=PASSPHRASE).office
    p = plant(office)
    add_staff(office, "Vera Volunteer", "volunteer", "volunteer pass")
    office.close()
    vol_pw = tmp_path / "vol.txt"
    vol_pw.write_text("volunteer pass\n")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it at all\n")

    # a volunteer can neither export a subject access pack nor read the audit log or review retention
    for args in (["export", "sar", p.subject_id, "--to", str(tmp_path / "vpack")], ["audit"]):
        r = run(db, vol_pw, *args)
        assert r.returncode == 1 and "a volunteer cannot" in r.stderr and "Traceback" not in r.stderr, (args, r)
    assert not (tmp_path / "vpack").exists()

    # a wrong passphrase: exit 3, audited at the next successful unlock
    assert run(db, wrong, "audit").returncode == 3

    r = run(db, passphrase_file, "export", "sar", "Marjorie Quill", "--to", str(tmp_path / "pack"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["cases"] == 2 and out["messages"] == 3 and out["attachments"] == 2
    text = pdf_text(out["pdf"]) + (tmp_path / "pack" / "send" / "information-held.json").read_text(encoding="utf-8")
    assert "Zebedee" not in text and "CONFSECRET" not in text and "Marjorie" in text

    r = run(db, passphrase_file, "sar", "new", "marjorie@example.org", "--received", "2025-01-31", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["due_on"] == "2025-02-28"

    r = run(db, passphrase_file, "retention", "set", "--closed-case-years", "6")
    assert r.returncode == 0, r.stderr
    r = run(db, passphrase_file, "retention", "review", "--json")
    assert [i["label"] for i in json.loads(r.stdout)] == [p.old_case_ref]
    r = run(db, passphrase_file, "retention", "erase", "--all-due")
    assert r.returncode == 0 and "Nothing erased" in r.stdout
    r = run(db, passphrase_file, "retention", "erase", "--all-due", "--confirm", "--reason", "six years", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["erased"][0]["id"] == p.old_case_id
    r = run(db, passphrase_file, "transfer", "--postcodes", "AB1", "--to", str(tmp_path / "t"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cases"] == [p.case_ref]

    r = run(db, passphrase_file, "audit", "--json")
    assert r.returncode == 0, r.stderr
    events = json.loads(r.stdout)
    failed = [e for e in events if e["action"] == "unlock.failed"]
    assert len(failed) == 1 and failed[0]["staff_id"] is None
    packs = [e for e in events if e["action"] == "sar.pack"]
    assert len(packs) == 1 and packs[0]["staff_name"] == "Ann Manager"
    assert packs[0]["target"] == f"constituent:{p.subject_id}"
    erased = [e for e in events if e["action"] == "retention.erase"]
    assert len(erased) == 1 and json.loads(erased[0]["detail"])["reason"] == "six years"
    assert MARKER not in r.stdout
    assert {"sar.new", "retention.set", "transfer.export", "transfer.pack"} <= {e["action"] for e in events}

    office = open_office(db, PASSPHRASE)
    try:
        assert scan_for(office, MARKER) == []
        with office.writing() as w:  # a namesake makes the name ambiguous
            w.insert(Constituent, forenames="Marjorie", surname="Quill", postcode="ZZ9 9ZZ")
    finally:
        office.close()
    r = run(db, passphrase_file, "export", "sar", "marjorie quill", "--to", str(tmp_path / "amb"))
    assert r.returncode == 2 and "2 people match" in r.stderr and p.subject_id in r.stderr
    assert not (tmp_path / "amb").exists()
