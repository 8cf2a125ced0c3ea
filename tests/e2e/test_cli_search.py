"""`mpoffice search TEXT... [--limit N] [--json]`, the real command in a subprocess."""

from __future__ import annotations

import json


def _plant(run) -> str:
    new = run("case", "new", "--forenames", "Seán", "--surname", "O'Brien", "--postcode", "WX1 1AA",
              "--category", "Benefits", "--title", "Housing benefit stopped", "--json")
    assert new.returncode == 0, new.stderr
    ref = json.loads(new.stdout)["ref"]
    assert run("case", ref, "note", "Rang the council's benefits team about the stopped claim.").returncode == 0
    return ref


def test_search_everything_from_the_shell(run):
    ref = _plant(run)
    out = run("search", "obrien")
    assert out.returncode == 0, out.stderr
    assert "People (1)" in out.stdout and "Seán O'Brien" in out.stdout
    out = run("search", "benefit", "--json")
    data = json.loads(out.stdout)
    kinds = {g["kind"]: g for g in data["groups"]}
    assert kinds["case"]["hits"][0]["case_ref"] == ref and kinds["note"]["hits"][0]["case_ref"] == ref
    first = json.loads(run("search", ref.lower(), "--json").stdout)["groups"][0]["hits"][0]
    assert first["kind"] == "case" and first["exact"] and first["case_ref"] == ref


def test_search_says_when_nothing_matches_and_refuses_a_bad_limit(run):
    out = run("search", "zzqqxx")
    assert out.returncode == 0 and "Nothing matches 'zzqqxx'." in out.stdout
    out = run("search", "x", "--limit", "0")
    assert out.returncode == 2 and "--limit must be at least 1" in out.stderr and "Traceback" not in out.stderr
