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
            "--case", "A-00001")  # another sender's case: a script is not taken as a yes
    assert p.returncode == 1 and "not filed: A-00001 (Planning application) is" in p.stderr, p.stderr
    assert "this message is from Siobhán Ní Bhriain <siobhan@example.org>; add --yes" in p.stderr
    p = run(office_path, passphrase_file, "inbox", "file", new["Café licence and £100 fine"][-10:],
            "--case", "A-00001", "--yes")
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
                                "campaigns, done, outbox, sent")
    p = run(office_path, passphrase_file, "inbox", "--lane", "Auto-Filed", "--json")  # aliases still work
    assert p.returncode == 0 and json.loads(p.stdout) == [], p.stderr


def test_undo_new_case_for_a_known_sender_and_a_reply_by_hand(run, office_path, passphrase_file, tmp_path):
    """`inbox undo` puts a triage back; `--new-case` finds the person the office knows; `case REF replied`
    records a third party's reply by hand (it is no longer chased)."""
    mail = tmp_path / "mail"
    mail.mkdir()
    for n, subject in enumerate(("Damp in my flat", "Mould again")):
        (mail / f"{n}.eml").write_text(f"From: Mary Jones <mary@example.net>\nSubject: {subject}\n"
                                       f"Message-ID: <m{n}@example.net>\nDate: Mon, 03 Mar 2025 10:0{n}:00 +0000\n\n"
                                       "The landlord will not repair the damp.\n", encoding="utf-8")
    assert run("import", "mail", mail).returncode == 0
    rows = {r["subject"]: r["id"] for r in json.loads(run("inbox", "--json").stdout)}
    first = json.loads(run("inbox", "file", rows["Damp in my flat"], "--new-case", "--json").stdout)
    assert first["case_ref"] == "A-00001"
    assert json.loads(run("case", "A-00001", "--json").stdout)["case"]["category"] == "Housing"  # from its words
    p = run("inbox", "undo", rows["Damp in my flat"])
    assert p.returncode == 0 and p.stdout.strip() == ("Undone: new case A-00001; case A-00001 and the person it "
                                                      "added removed (the message is now in New)")
    assert run("case", "A-00001").returncode == 1  # the case opened by mistake is gone
    again = json.loads(run("inbox", "file", rows["Damp in my flat"], "--new-case", "--json").stdout)
    second = json.loads(run("inbox", "file", rows["Mould again"], "--new-case", "--json").stdout)
    assert second["constituent_id"] == again["constituent_id"]  # the same Mary, not a duplicate
    p = run("inbox", "undo", rows["Mould again"][-8:], "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["lane"] == "new"
    p = run("inbox", "undo", rows["Mould again"])
    assert p.returncode == 1 and "nothing to undo" in p.stderr

    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import cases, contacts

    office = open_office(office_path, passphrase_file.read_text(encoding="utf-8").strip())
    try:
        council = contacts.add_contact(office, organisation="Wexford Borough Council", department="Housing")
        cases.add_party(office, again["case_ref"], "agency", contact_id=council.id, contacted_on="2025-01-06")
    finally:
        office.close()
    assert "Wexford Borough Council" in run("chases").stdout
    p = run("case", again["case_ref"], "replied", "--party", "wexford", "--on", "2025-03-04")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == (f"Reply from Wexford Borough Council — Housing on {again['case_ref']} recorded "
                                "(2025-03-04): no longer chased")
    assert "Wexford" not in run("chases").stdout
    p = run("case", again["case_ref"], "replied")
    assert p.returncode == 2 and "no third party is awaiting a reply" in p.stderr
