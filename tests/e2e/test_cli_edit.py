"""The CLI can change what a caseworker changes in the app, and every command that prints data has --json."""

from __future__ import annotations

import argparse
import json

from mpoffice_tui.cli import build_parser


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) for every command that does something."""
    if parser.get_default("handler") is not None:
        yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def test_every_command_that_prints_data_has_json():
    missing = [" ".join(words) for words, p in _commands(build_parser())
               if not any("--json" in a.option_strings for a in p._actions)]
    assert missing == []


def test_edit_a_constituent_and_a_case_category_from_the_cli(run):
    r = run("case", "new", "--forenames", "Mary", "--surname", "O'Brien", "--postcode", "wx4 1pt",
            "--category", "Housing", "--title", "Damp flat", "--json")
    assert r.returncode == 0, r.stderr
    case = json.loads(r.stdout)
    pid = case["constituent_id"]
    r = run("constituent", pid, "set", "--phone", "01632 960123", "--town", "Wexford", "--vulnerable", "yes",
            "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["person"]["phone"] == "01632 960123" and "Vulnerable" in shown["person"]["flags"]
    assert shown["changed"] == ["phone", "town", "vulnerable"]
    r = run("constituent", "Mary O'Brien", "set", "--phone", "")  # by name; '' clears it
    assert r.returncode == 0 and "Changed phone" in r.stdout, r.stderr
    assert json.loads(run("constituent", pid, "--json").stdout)["person"]["phone"] is None
    r = run("constituents", "o'brien", "--json")
    assert [p["id"] for p in json.loads(r.stdout)["constituents"]] == [pid]
    r = run("constituent", pid, "set", "--vulnerable", "perhaps")
    assert r.returncode == 2 and "yes or no" in r.stderr and "Traceback" not in r.stderr
    r = run("constituent", "Nobody Atall", "set", "--phone", "1")
    assert r.returncode == 2 and "no constituent matches" in r.stderr
    run("case", "new", "--constituent", pid, "--category", "Benefits", "--title", "PIP")  # 'Benefits' is known
    r = run("case", case["ref"], "set", "--category", "benefits", "--priority", "high", "--json")
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["category"], json.loads(r.stdout)["priority"]) == ("Benefits", "high")
    r = run("case", case["ref"], "set", "--priority", "whenever")
    assert r.returncode == 2 and "unknown priority" in r.stderr
    r = run("consent", "add", pid, "--kind", "written", "--case", case["ref"], "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["kind"] == "written"
