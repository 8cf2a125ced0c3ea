"""`mpoffice import mail` and `mpoffice inbox` in a subprocess, on a real encrypted office."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).parents[1] / "fixtures" / "mail"


def run(office_path, passphrase_file, *args):
    return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path),
                           "--passphrase-file", str(passphrase_file), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_import_inbox_and_file(office, office_path, passphrase_file):
    office.close()
    p = run(office_path, passphrase_file, "import", "mail", FIX / "campaign.mbox", FIX / "encoded_headers.eml",
            FIX / "empty.eml", "--json")
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    assert report["imported"] == 42 and report["duplicates"] == 0
    rejected = {(Path(r["file"]).name, r["position"][:10]): r["reason"] for r in report["rejected"]}
    assert rejected == {("campaign.mbox", "message 42"): "no sender (no From: header)",
                        ("empty.eml", ""): "empty file"}
    assert "Traceback" not in p.stderr

    again = run(office_path, passphrase_file, "import", "mail", FIX / "encoded_headers.eml")
    assert again.returncode == 0 and "imported 0, duplicates 1, rejected 0" in again.stdout

    p = run(office_path, passphrase_file, "inbox", "--lane", "campaigns", "--json", "--limit", "100")
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) == 40

    p = run(office_path, passphrase_file, "inbox", "--json")
    new = {r["subject"]: r["id"] for r in json.loads(p.stdout)}
    assert set(new) == {"Café licence and £100 fine", "Planning application"}

    p = run(office_path, passphrase_file, "inbox", "file", new["Planning application"], "--new-case")
    assert p.returncode == 0 and "opened new case A-00001" in p.stdout, p.stderr
    p = run(office_path, passphrase_file, "inbox", "file", new["Café licence and £100 fine"][-10:],
            "--case", "A-00001")
    assert p.returncode == 0 and "filed to case A-00001" in p.stdout, p.stderr
    p = run(office_path, passphrase_file, "inbox", "--lane", "done")
    assert p.returncode == 0 and p.stdout.count("A-00001") == 2

    p = run(office_path, passphrase_file, "inbox", "file", "nonexistent-id", "--case", "A-00001")
    assert p.returncode == 1 and "no message" in p.stderr and "Traceback" not in p.stderr
    p = run(office_path, passphrase_file, "inbox", "--lane", "bogus")
    assert p.returncode == 2 and "unknown lane" in p.stderr  # a usage error (test_unknown_lane_is_a_usage_error)


def test_escapes_never_reach_the_terminal(office, office_path, passphrase_file):
    office.close()
    assert run(office_path, passphrase_file, "import", "mail", FIX / "injection.eml").returncode == 0
    p = run(office_path, passphrase_file, "inbox")
    assert p.returncode == 0
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout
    assert "[link=http://evil.example]click[/link]" in p.stdout


def test_unknown_lane_is_a_usage_error(office, office_path, passphrase_file):
    office.close()
    p = run(office_path, passphrase_file, "inbox", "--lane", "bogus")
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip() == ("mpoffice: unknown lane 'bogus': choose one of new, auto_filed, suggested, "
                                "campaign, done, outbox, sent")
    p = run(office_path, passphrase_file, "inbox", "--lane", "Auto-Filed", "--json")  # aliases still work
    assert p.returncode == 0 and json.loads(p.stdout) == [], p.stderr
