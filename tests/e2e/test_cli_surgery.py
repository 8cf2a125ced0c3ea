"""`mpoffice surgery …` in a subprocess on a real office (today pinned to 2025-03-05 by the `run` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "register"


def _refused(r, words: str) -> None:
    """A clear one-line message naming the problem: no traceback."""
    assert r.returncode != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mpoffice: ") and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def _show(run, surgery: str = "2025-03-14") -> dict:
    r = run("surgery", "show", surgery, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _import_register(run) -> None:
    r = run("import", "register", str(FIX / "burnley_xpress_2024-12-01.csv"))  # (two of its rows are bad: exit 1)
    assert "6 electors" in r.stdout + r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.fixture
def run_on(run, office_path, passphrase_file):
    """`run`, with today pinned to another day: `run_on("2025-03-14", "surgery", ...)`."""
    def _run(day: str, *args: object) -> subprocess.CompletedProcess:
        env = {**os.environ, "MPOFFICE_TODAY": day, "MPOFFICE_NO_KEYRING": "1"}
        return subprocess.run([sys.executable, "-m", "mpoffice_tui", "--db", str(office_path), "--passphrase-file",
                               str(passphrase_file), *map(str, args)], capture_output=True, text=True, env=env,
                              timeout=120)
    return _run


@pytest.fixture
def surgery(run):
    r = run("surgery", "add", "--date", "2025-03-14", "--place", "Eastmoor Library", "--from", "10:00",
            "--to", "13:00", "--slot", "15", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_add_list_book_and_show(run, surgery):
    assert surgery["slots"] == 12 and surgery["held_on"] == "2025-03-14"
    _import_register(run)
    r = run("surgery", "book", "2025-03-14", "--elector", "AB1-124", "--time", "10:30", "--topic", "Damp flat",
            "--interpreter", "Irish")
    assert r.returncode == 0, r.stderr
    assert "Booked 10:30: Siobhán Ó Súilleabháin" in r.stdout and "interpreter: Irish" in r.stdout
    r = run("surgery", "book", "2025-03-14", "--surname", "Ryan", "--forenames", "Seán", "--postcode", "WX1 2AB",
            "--topic", "Visa", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["slot"] == "10:00"  # the first free slot
    r = run("surgery", "book", "2025-03-14", "--constituent", "Seán Ryan", "--time", "11:00", "--topic", "Again")
    assert r.returncode == 0, r.stderr  # a known constituent, found by name
    day = _show(run)
    assert [(a["time"], a["name"]) for a in day["appointments"]] == [
        ("10:00", "Seán Ryan"), ("10:30", "Siobhán Ó Súilleabháin"), ("11:00", "Seán Ryan")]
    assert day["surgery"]["stats"]["booked"] == 3 and len(day["free_slots"]) == 9
    r = run("surgery", "list")
    assert r.returncode == 0 and "Eastmoor Library" in r.stdout and "2025-03-14" in r.stdout
    r = run("surgery", "show", "14/03/2025")
    assert r.returncode == 0 and "Siobhán" in r.stdout and "Free slots: 10:15, 10:45" in r.stdout


def test_bad_input_is_a_clear_message_and_nothing_is_saved(run, surgery):
    assert run("surgery", "book", "2025-03-14", "--surname", "First", "--time", "10:30").returncode == 0
    before = _show(run)
    _refused(run("surgery", "book", "2025-03-14", "--surname", "Second", "--time", "10:30"),
             "10:30 at the surgery on Fri 14 Mar 2025 at Eastmoor Library is already booked (First)")
    _refused(run("surgery", "book", "2025-03-14", "--surname", "Early", "--time", "09:00"),
             "09:00 is outside the hours of the surgery")
    _refused(run("surgery", "book", "2025-03-14", "--surname", "Odd", "--time", "10:07"), "not the start of a slot")
    _refused(run("surgery", "book", "2025-03-14", "--elector", "ZZ9-999"), "no electoral register has been imported")
    _import_register(run)
    _refused(run("surgery", "book", "2025-03-14", "--elector", "AB1-999/1"),
             "no elector AB1-999/1 on the register held on this computer")
    _refused(run("surgery", "book", "2025-03-14", "--constituent", "Nobody Known"), "no constituent matches")
    _refused(run("surgery", "add", "--date", "2025-03-01", "--place", "Hall", "--from", "10:00", "--to", "12:00"),
             "2025-03-01 is in the past")
    _refused(run("surgery", "book", "2025-03-20", "--surname", "X"), "no surgery on Thu 20 Mar 2025")
    after = _show(run)
    assert after == before
    r = run("constituents", "Second", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["constituents"] == []  # the refused booking's new person was not kept


def test_a_booking_for_a_surgery_already_held_is_refused(run_on, surgery):
    _refused(run_on("2025-03-20", "surgery", "book", "2025-03-14", "--surname", "Late"),
             "the surgery on Fri 14 Mar 2025 has already been held")


def test_visit_print_remind_and_statistics(run, run_on, surgery, tmp_path):
    from pdf_reading import pdf_text

    assert run("settings", "set", "office_email", "casework@example.org").returncode == 0
    r = run("surgery", "book", "2025-03-14", "--surname", "O'Brien", "--forenames", "Mary", "--email",
            "mary@example.org", "--topic", "Damp in the flat", "--confirm", "--json")
    assert r.returncode == 0, r.stderr
    mary = json.loads(r.stdout)
    assert mary["confirmation_id"]
    r = run("surgery", "book", "2025-03-14", "--surname", "Absent", "--phone", "01632 960222", "--json")
    absent = json.loads(r.stdout)
    r = run("surgery", "remind", "2025-03-14")
    assert r.returncode == 0 and "1 reminder queued to send" in r.stdout and "ring Absent on 01632 960222" in r.stdout
    out = tmp_path / "list.pdf"
    r = run("surgery", "print", "2025-03-14", "--to", out)
    assert r.returncode == 0, r.stderr
    words = " ".join(pdf_text(out).split())
    assert "Mary O'Brien" in words and "Damp in the flat" in words and "Absent" in words
    r = run("surgery", "print", "2025-03-14", "--to", tmp_path / "list.txt", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["path"].endswith("list.txt")
    assert "Mary O'Brien" in (tmp_path / "list.txt").read_text(encoding="utf-8")
    _refused(run("surgery", "print", "2025-03-14", "--to", tmp_path / "list.doc"), "ending .pdf or .txt")
    _refused(run("surgery", "no-show", absent["short_id"]), "a no-show is recorded on the day or after")
    # on the day: Mary comes, Absent does not, Walker walks in
    assert run_on("2025-03-14", "surgery", "arrive", mary["short_id"]).returncode == 0
    r = run_on("2025-03-14", "surgery", "visit", mary["short_id"], "--problem",
                   "The landlord will not fix the damp. My son has asthma.", "--consent", "implied",
                   "--follow-up", "Write to the landlord", "--json")
    assert r.returncode == 0, r.stderr
    visit = json.loads(r.stdout)
    assert visit["case_opened"] and visit["category"] == "Housing" and visit["consent_id"] and visit["task_id"]
    assert run_on("2025-03-14", "surgery", "no-show", absent["short_id"]).returncode == 0
    r = run_on("2025-03-14", "surgery", "book", "2025-03-14", "--surname", "Walker", "--walk-in", "--topic", "Bins")
    assert r.returncode == 0 and "Walk-in added: Walker" in r.stdout
    stats = json.loads(run_on("2025-03-14", "surgery", "show", "2025-03-14", "--json").stdout)
    assert {k: stats["surgery"]["stats"][k] for k in ("seen", "no_shows", "cases_opened", "walk_ins")} == {
        "seen": 1, "no_shows": 1, "cases_opened": 1, "walk_ins": 1}
    assert [(t["name"], t["needs"]) for t in stats["still_to_do"]] == [("Walker", "a case")]
    r = run("case", visit["case_ref"], "--json")
    timeline = json.loads(r.stdout)["timeline"]
    assert any(t["channel"] == "surgery" and "My son has asthma" in t["body"] for t in timeline)

