"""Nothing invisible reaches a terminal or a JSON consumer unmarked: `case`, `cases` and `inbox`."""

from __future__ import annotations

import json
from pathlib import Path

from mpoffice_tui.text import visible_escapes

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "mail" / "bidi_and_c1_names.eml"
INVISIBLE = ("\u202e", "\u202c", "\u200b", "\u2066", "\u2069", "\x9b", "\x99", "\x85", "\x1b")
NAME = "Ann\u202eeeL\u202c \u200bZero\x9b31m"


def _clean(output: str) -> bool:
    return not any(ch in output for ch in INVISIBLE)


def test_case_and_cases_print_names_and_titles_clean_and_mark_them_in_json(run):
    r = run("case", "new", "--forenames", NAME, "--surname", "Lee\u2066x\u2069", "--postcode", "WX4 1PT",
            "--category", "Housing", "--title", "Damp\u202e flat\x99now", "--json")
    assert r.returncode == 0, r.stderr
    ref = json.loads(r.stdout)["ref"]
    for args in (("cases",), ("case", ref)):
        shown = run(*args)
        assert shown.returncode == 0 and _clean(shown.stdout), shown.stdout
        assert "AnneeL" in shown.stdout and "Damp flatnow" in shown.stdout
        data = run(*args, "--json")
        assert _clean(data.stdout) and "\\\\u202e" in data.stdout  # shown as the six characters \u202e
    detail = json.loads(run("case", ref, "--json").stdout)
    assert detail["case"]["title"] == visible_escapes("Damp\u202e flat\x99now") == "Damp\\u202e flat\\u0099now"


def test_inbox_prints_senders_and_subjects_clean_and_marks_them_in_json(run):
    assert run("import", "mail", MAIL).returncode == 0
    shown = run("inbox")
    assert shown.returncode == 0 and _clean(shown.stdout) and "Refund" in shown.stdout
    data = run("inbox", "--json")
    assert _clean(data.stdout)
    [row] = json.loads(data.stdout)
    assert "\\u202e" in row["sender_name"] and "\\u009b" in row["subject"]
