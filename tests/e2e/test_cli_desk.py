"""The MP's desk from the real `mpoffice` command: sign-off rules, the approval queue, letters as PDF on the
letterhead (refused until approved), a volunteer refused, the directory in and out as CSV."""

from __future__ import annotations

import json
import subprocess
import sys

from pdf_reading import pdf_text


def _case(run, *extra: str) -> str:
    r = run("case", "new", "--forenames", "Siân", "--surname", "Ławska", "--postcode", "LL57 1AA", "--category",
            "Immigration", "--title", "Visa delay", *extra, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["ref"]


def test_a_letter_that_needs_sign_off_is_refused_as_pdf_until_the_manager_approves(run, tmp_path, office_path,
                                                                                      passphrase_file):
    ref = _case(run)
    assert run("settings", "set", "office_address", r"14 Market Place\nWexcombe\nWX1 2HQ").returncode == 0
    r = run("approvals", "rule", "add", "category", "Immigration", "--for", "letter")
    assert r.returncode == 0 and "Immigration" in r.stdout, r.stderr
    pdf = tmp_path / "letter.pdf"
    r = run("case", ref, "letter", "acknowledgement", "--pdf", pdf)
    assert r.returncode == 1 and not pdf.exists()
    assert "needs approval before it can be exported" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "waiting for approval" in r.stdout
    queue = json.loads(run("approvals", "--json").stdout)["approvals"]
    assert [(a["target_kind"], a["case_ref"], a["state"]) for a in queue] == [("letter", ref, "pending")]
    aid = queue[0]["id"][-8:]
    shown = run("approvals", "show", aid)
    assert "Dear" in shown.stdout and "Immigration" in shown.stdout

    volunteer_pw = tmp_path / "vol.txt"
    volunteer_pw.write_text("volunteer passphrase\n", encoding="utf-8")
    assert run("staff", "add", "Val Unteer", "--role", "volunteer", "--new-passphrase-file", volunteer_pw).returncode == 0
    r = subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path), "--passphrase-file",
                        str(volunteer_pw), "approvals", "approve", aid], capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "MPOFFICE_NO_KEYRING": "1"})
    assert r.returncode != 0 and "only the MP or a manager" in r.stderr and "Traceback" not in r.stderr

    r = run("approvals", "approve", aid)
    assert r.returncode == 0 and "Approved letter" in r.stdout, r.stderr
    r = run("case", ref, "letter", "--letter", "latest", "--pdf", pdf)
    assert r.returncode == 0, r.stderr
    text = pdf_text(pdf)
    assert "Siân Ławska" in text and text.count("14 Market Place") == 1 and f"(our ref {ref})" in text


def test_a_returned_letter_and_an_email_draft_that_needs_approval(run, tmp_path):
    ref = _case(run, "--email", "sian@example.net")
    assert run("settings", "set", "office_email", "casework@example.org").returncode == 0
    r = run("case", ref, "letter", "acknowledgement", "--needs-approval", "--json")
    letter = json.loads(r.stdout)
    assert letter["approval"]["reason"] == "asked for by the writer"
    r = run("approvals", "return", letter["approval"]["id"], "--comment", "Add the visa number")
    assert r.returncode == 0, r.stderr
    case = json.loads(run("case", ref, "--json").stdout)
    assert any("Add the visa number" in (i["body"] or "") for i in case["timeline"])
    assert run("approvals", "return", letter["approval"]["id"]).returncode == 2  # --comment is required

    body = tmp_path / "body.txt"
    body.write_text("Dear Siân,\n\nWe have written to the Home Office.\n", encoding="utf-8")
    r = run("case", ref, "reply", "--to", "constituent", "--body-file", body, "--draft", "--needs-approval", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "draft", r.stderr
    email = json.loads(r.stdout)["id"]
    folder = tmp_path / "eml"
    r = run("inbox", "export-replies", folder)  # exporting it for another program is refused
    assert r.returncode == 1 and "needs approval before it can be exported" in r.stderr
    assert not folder.exists() or not list(folder.iterdir())
    r = run("mail", "queue", email[-8:], "--json")  # sending asks for sign-off instead
    assert r.returncode == 0 and json.loads(r.stdout)[0]["state"] == "awaiting_approval", r.stderr
    run("mail", "send")  # nothing that waits for sign-off goes
    waiting = json.loads(run("approvals", "--json").stdout)["approvals"]
    assert [(a["target_kind"], a["target_id"], a["state"]) for a in waiting if a["target_kind"] == "email"] == [
        ("email", email, "pending")]
    assert json.loads(run("mail", "outbox", "--json").stdout)[0]["state"] == "awaiting_approval"


def test_the_directory_from_the_command_line(run, tmp_path):
    r = run("directory", "--search", "passport", "--json")
    assert r.returncode == 0, r.stderr
    entries = json.loads(r.stdout)["entries"]
    assert entries and all("Passport" in e["organisation"] for e in entries)
    out = tmp_path / "dir.csv"
    r = run("directory", "export", out)
    assert r.returncode == 0 and out.exists(), r.stderr
    r = run("directory", "import", out, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["added"] == 0, r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("organisation,kind\nSomewhere,castle\n", encoding="utf-8")
    r = run("directory", "import", bad)
    assert r.returncode == 1 and "bad.csv line 2: unknown kind 'castle'" in r.stderr
    minister = next(e for e in json.loads(run("directory", "--kind", "minister", "--json").stdout)["entries"]
                    if "Work and Pensions" in e["role"])
    r = run("directory", "set", minister["id"], "--name", "Jane Doe MP")
    assert r.returncode == 0 and "Jane Doe MP" in r.stdout, r.stderr
