"""`mpoffice settings` in a subprocess, on a real encrypted office: list, set, unset, --json, validation,
and the settings reaching letters and exported replies."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

from conftest import PASSPHRASE

FIX = Path(__file__).parents[1] / "fixtures" / "mail"




def _values(run) -> dict:
    r = run("settings", "--json")
    assert r.returncode == 0, r.stderr
    return {s["key"]: s["value"] for s in json.loads(r.stdout)["settings"]}


def test_list_set_unset_and_json(run):
    r = run("settings")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:] if line.strip()}
    assert "Jane Smith MP" in lines["mp_name"] and "as signed" in lines["mp_name"]
    assert lines["office_email"].split()[1] == "-" and "From address" in lines["office_email"]
    assert set(lines) >= {"mp_name", "office_name", "office_address", "office_phone", "office_email"}
    listed = json.loads(run("settings", "list", "--json").stdout)["settings"]
    assert [s["key"] for s in listed] == ["mp_name", "office_name", "office_address", "office_phone", "office_email",
                                          "nation", "review_days", "westminster_address", "letterhead_footer",
                                          "mail_approval"]
    assert all(s["meaning"] for s in listed)
    assert {s["key"]: s["value"] for s in listed} == {
        "mp_name": "Jane Smith MP", "office_name": "Office of Jane Smith MP", "office_address": None,
        "office_phone": None, "office_email": None, "nation": "ENG",
        "review_days": "28", "westminster_address": None, "letterhead_footer": None, "mail_approval": "no"}

    r = run("settings", "set", "office_email", "casework@example.org")
    assert r.returncode == 0 and "office_email set to casework@example.org" in r.stdout, r.stderr
    r = run("settings", "set", "office_address", r"  Unit 4, Mill Lane\nWexford\n\nWX1 2AB  ")
    assert r.returncode == 0, r.stderr
    r = run("settings", "set", "office_phone", "01234 567890")
    assert r.returncode == 0, r.stderr
    assert _values(run) == {"mp_name": "Jane Smith MP", "office_name": "Office of Jane Smith MP",
                            "office_address": "Unit 4, Mill Lane\nWexford\nWX1 2AB",
                            "office_phone": "01234 567890", "office_email": "casework@example.org",
                            "nation": "ENG", "review_days": "28", "westminster_address": None,
                            "letterhead_footer": None, "mail_approval": "no"}
    shown = run("settings").stdout
    assert "Unit 4, Mill Lane, Wexford, WX1 2AB" in shown  # one line in the table

    r = run("settings", "unset", "office_phone")
    assert r.returncode == 0 and "office_phone unset" in r.stdout
    r = run("settings", "unset", "mp_name")
    assert r.returncode == 0 and "'Jane Smith MP'" in r.stdout  # letters fall back to the name at creation
    after = _values(run)
    assert after["office_phone"] is None and after["mp_name"] is None
    assert after["office_email"] == "casework@example.org"


def test_bad_keys_and_values_are_usage_errors(run):
    r = run("settings", "set", "mp_nmae", "Jane Smith MP")
    assert r.returncode == 2 and "unknown setting 'mp_nmae'" in r.stderr
    assert "mp_name, office_name, office_address, office_phone, office_email" in r.stderr
    r = run("settings", "unset", "colour")
    assert r.returncode == 2 and "unknown setting 'colour'" in r.stderr
    r = run("settings", "set", "nation", "Atlantis")
    assert r.returncode == 2 and "unknown nation 'Atlantis'" in r.stderr
    r = run("settings", "set", "nation", "scotland")  # whose bank holidays count
    assert r.returncode == 0 and "nation set to SCT" in r.stdout
    for bad in ("casework", "casework@example", "case work@example.org", "a@b@example.org", "casework@.org",
                "casework@example.org.", "casework@example..org"):
        r = run("settings", "set", "office_email", bad)
        assert r.returncode == 2, bad
        assert f"{bad!r} does not look like an email address" in r.stderr, (bad, r.stderr)
    r = run("settings", "set", "mp_name", "Jane\nSmith MP")  # a line break would break the From: header
    assert r.returncode == 2 and "line breaks" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("settings", "set", "office_email")
    assert r.returncode == 2 and "VALUE" in r.stderr
    assert _values(run)["office_email"] is None and _values(run)["mp_name"] == "Jane Smith MP"
    r = run("settings", "set", "--help")
    assert r.returncode == 0 and "office_email" in r.stdout


def test_settings_reach_letters(run, tmp_path):
    assert run("settings", "set", "office_address", r"Unit 4, Mill Lane\nWexford\nWX1 2AB").returncode == 0
    assert run("settings", "set", "mp_name", "Helen Marchbanks MP").returncode == 0
    assert run("settings", "set", "office_phone", "01234 567890").returncode == 0
    assert run("case", "new", "--forenames", "Ravi", "--surname", "Khatri", "--postcode", "WX3 1AB",
               "--category", "Education").returncode == 0
    mine = tmp_path / "t.txt"
    mine.write_text("name: Signed\nkind: letter\nsubject: Ref {case_ref}\n---\n{salutation},\n\nYours,\n\n"
                    "{mp_name}\n{office_address}\nTel {office_phone}\n", encoding="utf-8")
    assert run("templates", "add", mine).returncode == 0
    r = run("case", "A-00001", "letter", "Signed", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["body"].endswith(
        "Yours,\n\nHelen Marchbanks MP\nUnit 4, Mill Lane\nWexford\nWX1 2AB\nTel 01234 567890\n")


def _draft_reply_to_the_only_message(office_path) -> None:
    """No command drafts a reply yet (the app does): draft one in-process, with the office otherwise closed."""
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.services import inbox, replies

    office = open_office(office_path, PASSPHRASE)
    try:
        [row] = inbox.list_inbox(office, "new")
        replies.draft_reply(office, row.id)
    finally:
        office.close()


def _exported_from(run, folder: Path) -> str:
    r = run("inbox", "export-replies", folder, "--json")
    assert r.returncode == 0, r.stderr
    [done] = json.loads(r.stdout)
    msg = email.message_from_bytes(Path(done["path"]).read_bytes(), policy=policy.default)
    return str(msg["From"])


def test_exported_reply_is_from_the_mp_at_the_office_email(run, office_path, tmp_path):
    r = run("import", "mail", FIX / "thread_original.eml")
    assert r.returncode == 0, r.stderr
    _draft_reply_to_the_only_message(office_path)
    # no account and no office_email: refused (a From with no address is flagged by mail clients)
    r = run("inbox", "export-replies", tmp_path / "before")
    assert r.returncode == 1 and "no From address" in r.stderr and not list((tmp_path / "before").glob("*.eml"))

    assert run("settings", "set", "office_email", "casework@example.org").returncode == 0
    assert run("settings", "set", "mp_name", "Helen Marchbanks MP").returncode == 0
    assert _exported_from(run, tmp_path / "helen") == "Helen Marchbanks MP <casework@example.org>"

    assert run("settings", "set", "mp_name", "Jane Smith MP").returncode == 0
    _draft_reply_to_the_only_message(office_path)
    assert _exported_from(run, tmp_path / "jane") == "Jane Smith MP <casework@example.org>"
