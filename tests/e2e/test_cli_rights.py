"""Issue 17 through the real CLI in a subprocess: a representative's request, reviewing and releasing a
proposed redaction, the pack, who looked (`audit --case`), retention by category, overdue requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dp_data import add_staff, plant
from pdf_reading import pdf_text

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import create_office


def run(db, pw_file, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_TODAY": "2026-11-02"}
    return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(db), "--passphrase-file", str(pw_file),
                           *args], capture_output=True, text=True, env=env, timeout=120)


def test_rights_from_the_command_line(tmp_path, passphrase_file):
    db = tmp_path / "o" / "office.mpo"
    office = create_office(db, office_name="Office", mp_name="Jane Smith MP", staff_name="Ann Manager",
                           passphrase=PASSPHRASE).office
    p = plant(office)
    add_staff(office, "Carl Caseworker", "caseworker", "caseworker pass")
    office.close()
    cw = tmp_path / "cw.txt"
    cw.write_text("caseworker pass\n")

    # a request by a solicitor for someone who is not in the office: refused, nothing recorded
    r = run(db, passphrase_file, "sar", "new", "Nobody Atall", "--by", "Priya Patel")
    assert r.returncode == 2 and "no constituent matches" in r.stderr and "Traceback" not in r.stderr
    r = run(db, passphrase_file, "sar", "new", "marjorie quill", "--received", "2026-09-30", "--by", "Priya Patel",
            "--relation", "solicitor", "--json")
    assert r.returncode == 0, r.stderr
    req = json.loads(r.stdout)
    assert req["due_on"] == "2026-10-30" and req["status"] == "overdue" and req["requester_name"] == "Priya Patel"
    r = run(db, passphrase_file, "export", "sar", "marjorie quill", "--to", str(tmp_path / "p0"))
    assert r.returncode == 2 and "record the authority" in r.stderr and not (tmp_path / "p0").exists()
    assert run(db, passphrase_file, "sar", "authority", req["id"], "signed form seen").returncode == 0
    r = run(db, passphrase_file, "sar", "extend", req["id"], "--reason", "complex", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["extended_to"] == "2026-12-30", r.stderr
    r = run(db, passphrase_file, "reminders", "--json")
    assert json.loads(r.stdout)["subject_access_requests"] == []  # extended: no longer overdue

    # every proposed redaction in context; release one
    r = run(db, passphrase_file, "sar", "review", "marjorie quill", "--json")
    assert r.returncode == 0, r.stderr
    review = json.loads(r.stdout)
    zeb = next(x for x in review["proposals"] if x["text"] == "Zebedee")
    assert zeb["before"].endswith("My neighbour ") and review["undecided"] == len(review["proposals"])
    r = run(db, passphrase_file, "sar", "release", "marjorie quill", zeb["key"][:10])
    assert r.returncode == 0 and "1 proposed redaction(s) released" in r.stdout
    r = run(db, passphrase_file, "sar", "review", "marjorie quill")
    assert "released" in r.stdout and "[[Zebedee]]" in r.stdout
    r = run(db, passphrase_file, "export", "sar", "marjorie quill", "--to", str(tmp_path / "pack"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["released"] == 1 and out["withheld"] == len(review["proposals"]) - 1
    text = " ".join(pdf_text(out["pdf"]).split())
    assert "My neighbour Zebedee saw the mould" in text and "Zebedee Thirdpartyson" not in text
    assert "Dear Priya Patel" in text and os.path.exists(out["checklist"])

    # who looked: the CLI's own reads are recorded; a manager lists them for the case
    assert run(db, cw, "case", p.case_ref, "--json").returncode == 0
    r = run(db, passphrase_file, "audit", "--case", p.case_ref, "--json")
    assert r.returncode == 0, r.stderr
    views = [e for e in json.loads(r.stdout) if e["action"] == "case.view"]
    assert [v["staff_name"] for v in views] == ["Carl Caseworker"] and views[0]["detail"].startswith("machine ")
    assert views[0]["at"].startswith("2026-11-02")
    r = run(db, cw, "audit", "--case", p.case_ref)
    assert r.returncode == 1 and "a caseworker cannot read the audit log" in r.stderr

    # retention by category, and the rule in the review
    r = run(db, passphrase_file, "retention", "set", "--category", "Benefits", "--years", "8")
    assert r.returncode == 0 and "Rule: Benefits cases: 8 years after closing" in r.stdout
    r = run(db, passphrase_file, "retention", "review", "--json")
    assert [(i["label"], i["rule"]) for i in json.loads(r.stdout)] == [
        (p.old_case_ref, "Benefits cases: 8 years after closing")]
    r = run(db, passphrase_file, "retention", "set", "--outcome", "Resolved")
    assert r.returncode == 2 and "--years" in r.stderr
