"""The casework CLI in a subprocess: case new, note, set (close needs an outcome, reopen), show, list, stats."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_case_flow_through_the_cli(run):
    r = run("case", "new", "--forenames", "Mary", "--surname", "O'Brien", "--postcode", "SW1A 1AA",
            "--category", "Housing", "--title", "Damp flat", "--json")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["ref"] == "A-00001" and made["constituent_created"] is True
    r = run("case", "new", "--constituent", "Mary O'Brien", "--category", "Benefits")
    assert r.returncode == 0 and "Opened A-00002 for Mary O'Brien" in r.stdout
    assert run("case", "A-00001", "note", "Rang", "the", "council").returncode == 0
    assert run("case", "A-00001", "note", "Private", "--confidential").returncode == 0
    r = run("case", "A-00001", "set", "--status", "closed", "--outcome", "Resolved", "--assignee", "Ann Manager",
            "--review-date", "2025-04-01", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "closed" and json.loads(r.stdout)["assignee"] == "Ann Manager"
    r = run("case", "A-00001", "--json")
    detail = json.loads(r.stdout)
    bodies = [t["body"] for t in detail["timeline"]]
    assert "Rang the council" in bodies and "Private" in bodies
    assert any(b.startswith("Closed") and "Resolved" in b for b in bodies)
    assert run("case", "A-00001", "set", "--status", "open").returncode == 0
    r = run("case", "A-00001")
    assert r.returncode == 0 and "Reopened" in r.stdout and "Damp flat" in r.stdout
    r = run("cases", "--search", "o'brien", "--status", "open", "--json")
    listed = json.loads(r.stdout)
    assert listed["total"] == 1 and listed["cases"][0]["ref"] == "A-00001"
    r = run("stats", "--json")
    assert json.loads(r.stdout)["by_category"] == {"Benefits": 1, "Housing": 1}
    r = run("stats", "--csv")
    assert r.stdout.startswith("section,key,measure,value")


def test_cli_usage_errors(run):
    r = run("case", "A-00042")
    assert r.returncode == 1 and "no case 'A-00042'" in r.stderr and "Traceback" not in r.stderr
    r = run("case", "A-00001", "set", "--status", "closed")
    assert r.returncode == 2 and "outcome" in r.stderr
    r = run("case", "new", "--category", "X")
    assert r.returncode == 2 and "constituent" in r.stderr
    assert run("case", "A-00001", "frob").returncode == 2
    assert run("cases", "--sort", "nope").returncode == 2
    assert run("cases", "--status", "finished").returncode == 2


def test_chases_listed_and_chase_letter_written(created_office, office_path, passphrase_file):
    from mpoffice_tui.services import cases, constituents, contacts

    office = created_office.office
    person = constituents.create(office, forenames="Nia", surname="Bellweather", postcode="WX3 1AB")
    row = cases.create_case(office, constituent_id=person.id, title="Blocked drain")
    council = contacts.add_contact(office, organisation="Wexford Borough Council", reply_days=20)
    cases.add_party(office, row.id, "agency", contact_id=council.id, contacted_on="2025-01-29")
    office.close()
    env = {**os.environ, "MPOFFICE_TODAY": "2025-03-05"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path),
                               "--passphrase-file", str(passphrase_file), *args],
                              capture_output=True, text=True, env=env, timeout=60)

    r = run("chases", "--json")
    assert r.returncode == 0, r.stderr
    [due] = json.loads(r.stdout)["chases"]
    assert due["case_ref"] == row.ref and due["working_days_late"] == 5
    assert run("case", row.ref, "chase", "--party", "police").returncode == 2  # no such overdue party
    r = run("case", row.ref, "chase", "--party", "wexford", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["recipient"] == "Wexford Borough Council" and row.ref in out["body"]
    assert "29 January 2025" in out["body"]
    assert json.loads(run("chases", "--json").stdout)["chases"] == []


def test_templates_and_a_letter_through_the_cli(run, tmp_path):
    assert run("case", "new", "--forenames", "Ravi", "--surname", "Khatri", "--postcode", "WX3 1AB",
               "--category", "Education", "--title", "School transport").returncode == 0
    mine = tmp_path / "transport.txt"
    mine.write_text("name: Transport update\nkind: letter\nsubject: Our ref {case_ref}\n---\n"
                    "{salutation},\n\nAbout {case_titel}.\n\n{mp_name}\n", encoding="utf-8")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe not a template")
    r = run("templates", "add", str(mine), str(broken))
    assert r.returncode == 1
    assert f"{mine}: template 'Transport update': unknown merge field(s) {{case_titel}}" in r.stdout
    assert f"{broken}: not UTF-8 text" in r.stdout and "Traceback" not in r.stderr
    mine.write_text(mine.read_text(encoding="utf-8").replace("case_titel", "case_title"), encoding="utf-8")
    assert run("templates", "add", str(mine)).returncode == 0
    assert run("templates", "add", str(mine)).returncode == 1  # the name is taken: --replace to replace it
    listed = json.loads(run("templates", "--json").stdout)["templates"]
    assert [t["name"] for t in listed] == ["Transport update"]
    shown = run("templates", "show", "transport").stdout
    assert shown.startswith("name: Transport update\nkind: letter\n") and "About {case_title}." in shown
    assert "{salutation}" in run("templates", "fields").stdout

    docx = tmp_path / "letter.docx"
    r = run("case", "A-00001", "letter", "Transport", "update", "--docx", str(docx), "--json")
    assert r.returncode == 0, r.stderr
    letter = json.loads(r.stdout)
    assert letter["body"].startswith("Dear Ravi,\n\nAbout School transport.") and letter["subject"] == "Our ref A-00001"
    from docx import Document

    assert "About School transport." in "\n".join(p.text for p in Document(str(docx)).paragraphs)
    timeline = json.loads(run("case", "A-00001", "--json").stdout)["timeline"]
    assert any(t["kind"] == "letter" for t in timeline)
    assert run("templates", "remove", "transport update").returncode == 0
    r = run("case", "A-00001", "letter", "transport update")
    assert r.returncode != 0 and "no letter template" in r.stderr and "Traceback" not in r.stderr


def test_every_case_action_answers_help(run):
    """`case new`, `case REF set|note|chase|letter` print their own help (exit 0), even without the arguments
    they require; and nothing is changed."""
    for args, usage, option in [
        (("case", "new", "--help"), "usage: mpoffice case new", "--category"),
        (("case", "new", "-h"), "usage: mpoffice case new", "--constituent"),
        (("case", "A-00001", "set", "--help"), "usage: mpoffice case REF set", "--review-date"),
        (("case", "A-00001", "set", "--status", "closed", "-h"), "usage: mpoffice case REF set", "--outcome"),
        (("case", "A-00001", "note", "--help"), "usage: mpoffice case REF note", "--confidential"),
        (("case", "A-00001", "chase", "-h"), "usage: mpoffice case REF chase", "--party"),
        (("case", "A-00001", "letter", "--help"), "usage: mpoffice case REF letter", "--docx"),
        (("case", "A-00001", "--help"), "usage: mpoffice case REF", "new --help"),
    ]:
        r = run(*args)
        assert r.returncode == 0, (args, r.stderr)
        assert r.stdout.startswith(usage) and option in r.stdout, (args, r.stdout)
        assert r.stderr == "", (args, r.stderr)
    assert json.loads(run("cases", "--json").stdout)["total"] == 0
    r = run("case", "new", "--surname", "Khatri")  # still a usage error without --help
    assert r.returncode == 2 and "--category" in r.stderr
    r = run("case", "A-00001", "set", "--frob")
    assert r.returncode == 2 and "unrecognized arguments: --frob" in r.stderr


def test_awaiting_days_must_be_a_sensible_number(run):
    for n in ("-1", "366", "100000"):
        r = run("cases", "--awaiting-days", n)
        assert r.returncode == 2, (n, r.stderr)
        assert f"--awaiting-days {n}" in r.stderr and "0 to 365" in r.stderr and "Traceback" not in r.stderr
    r = run("cases", "--awaiting-days", "soon")
    assert r.returncode == 2 and "invalid int value" in r.stderr
    for n in ("0", "365"):
        r = run("cases", "--awaiting-days", n, "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["total"] == 0, (n, r.stderr)


def test_cli_finds_obrien_names_letters_readably_and_offers_csv_for_excel(run, tmp_path):
    """`cases --search obrien` finds O'Brien; a letter saved into a folder is named Mr-Sean-OBrien; `stats --csv
    --bom` starts with the byte-order mark that makes Excel read "Santé" (plain --csv stays as it was)."""
    assert run("case", "new", "--forenames", "Seán", "--surname", "O'Brien", "--postcode", "WX1 2AB",
               "--category", "Santé", "--title", "GP registration").returncode == 0
    assert run("case", "A-00001", "set", "--status", "open").returncode == 0
    r = run("cases", "--search", "obrien", "--json")
    assert r.returncode == 0 and [c["ref"] for c in json.loads(r.stdout)["cases"]] == ["A-00001"]
    folder = tmp_path / "out"
    folder.mkdir()
    r = run("case", "A-00001", "letter", "acknowledgement", "--docx", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["docx"].endswith("-Sean-OBrien.docx") and len(list(folder.glob("*.docx"))) == 1
    r = run("stats", "--csv", "--bom")
    assert r.returncode == 0 and r.stdout.startswith("\ufeffsection,key,measure,value")
    assert "category,Santé,cases,1" in r.stdout
    assert run("stats", "--csv").stdout.startswith("section,")
    r = run("stats", "--bom")
    assert r.returncode == 2 and "--bom goes with --csv" in r.stderr
