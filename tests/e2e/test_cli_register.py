"""`mpoffice import register`, `lookup` and `interests` in a subprocess on a real office."""

from __future__ import annotations

import json
from pathlib import Path

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "register"




def test_import_lookup_and_failures(run):
    r = run("import", "register", str(FIX / "pendle_eros_2024-12-01.csv"),
            str(FIX / "burnley_xpress_2024-12-01.csv"), str(FIX / "not_a_register.csv"), "--json")
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["imported"] == 10 and data["failed_files"] == 1 and data["failed_rows"] == 2
    assert "electors" in r.stderr  # progress
    r = run("lookup", "Siobhan", "O", "Sullivan")
    assert r.returncode == 0 and "Siobhán Ó Súilleabháin" in r.stdout and "AB1-124" in r.stdout
    assert "O'Brien-Smythe (AB1-124/1)" in r.stdout  # the others at the address
    r = run("lookup", "AB1-124/1", "--json")
    hit = json.loads(r.stdout)["hits"][0]
    assert hit["elector"]["number"] == "AB1-124/1"
    r = run("lookup", "Nobody Here")
    assert r.returncode == 0 and "not a refusal" in r.stdout


def test_good_import_exits_zero(run):
    r = run("import", "register", str(FIX / "rossendale_dc_2024-12-01.csv"))
    assert r.returncode == 0, r.stderr
    assert "2 electors" in r.stdout and "dummy" in r.stdout


def test_interests_flow(run):
    assert run("interests", "add", "--staff", "Ann Manager", "--kind", "gift", "--source", "Acme",
               "--value", "300", "--date", "2025-03-01").returncode == 0
    r = run("interests", "add", "--staff", "Ann Manager", "--kind", "gift", "--source", "Acme",
            "--value", "200", "--date", "2025-05-10", "--charity", "--json")
    assert r.returncode == 0
    r = run("interests", "check", "--year", "2025", "--json")
    v = json.loads(r.stdout)[0]
    assert v["must_register"] and v["register_by"] == "2025-06-07"
    r = run("interests", "add", "--staff", "Ann Manager", "--kind", "employment", "--source", "Bakery",
            "--value", "900", "--date", "2025-01-05", "--json")
    entry = json.loads(r.stdout)["id"]
    r = run("interests", "not-advantaged", entry, "--reason", "weekend bakery job")
    assert r.returncode == 0
    r = run("interests", "check", "--year", "2025")
    assert "[REGISTER]" in r.stdout and "weekend bakery job" in r.stdout
    assert run("interests", "add", "--staff", "Ann Manager", "--kind", "gift", "--source", "X",
               "--value", "lots", "--date", "2025-01-01").returncode == 2
    r = run("interests", "list", "--year", "2025")
    assert r.returncode == 0 and "Bakery" in r.stdout
