"""Two offices driven through `mpoffice sync` in subprocesses: invite, join, edit both, exchange, converge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EDIT = """
import sys
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import Constituent
office = open_office(sys.argv[1], open(sys.argv[2]).read().strip())
with office.writing() as w:
    w.insert(Constituent, forenames=sys.argv[3], surname="Edited")
office.close()
"""


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPOFFICE_NO_KEYRING": "1", "MPOFFICE_HOME": str(home)}
    env.pop("MPOFFICE_DB", None)
    return subprocess.run([sys.executable, "-m", "mpoffice_tui", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_two_machines_join_edit_exchange_converge(tmp_path, passphrase_file):
    a, b = tmp_path / "a" / "office.mpo", tmp_path / "b" / "office.mpo"
    home_a, home_b, carry = tmp_path / "home_a", tmp_path / "home_b", tmp_path / "usb"
    carry.mkdir()
    pw = ["--passphrase-file", str(passphrase_file)]
    invite_pw = tmp_path / "invite.txt"
    invite_pw.write_text("a one-time invitation\n", encoding="utf-8")
    r = run(home_a, "--db", str(a), "init", "--office-name", "Office", "--mp", "MP", "--name", "Ann Manager",
            "--new-passphrase-file", str(passphrase_file))
    assert r.returncode == 0, r.stderr
    r = run(home_a, "--db", str(a), *pw, "sync", "invite", "--to", str(carry), "--invite-passphrase-file",
            str(invite_pw), "--json")
    assert r.returncode == 0, r.stderr
    invite = json.loads(r.stdout)
    assert invite["site_code"] == "B"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it at all\n", encoding="utf-8")
    r = run(home_b, "--db", str(b), "sync", "join", invite["file"], "--invite-passphrase-file", str(wrong))
    assert r.returncode != 0 and "wrong invitation passphrase" in r.stderr and "Traceback" not in r.stderr
    assert not b.exists()
    r = run(home_b, "--db", str(b), "sync", "join", invite["file"], "--invite-passphrase-file", str(invite_pw))
    assert r.returncode == 0, r.stderr
    for db, name in ((a, "Alpha"), (b, "Bravo")):
        e = subprocess.run([sys.executable, "-c", EDIT, str(db), str(passphrase_file), name],
                           capture_output=True, text=True, timeout=120)
        assert e.returncode == 0, e.stderr
    r = run(home_b, "--db", str(b), *pw, "staff", "add", "Bob Caseworker", "--role", "caseworker",
            "--new-passphrase-file", str(passphrase_file))
    assert r.returncode == 0, r.stderr
    # exchange through a shared folder on both sides
    for home, db in ((home_a, a), (home_b, b)):
        assert run(home, "--db", str(db), *pw, "sync", "folder", "set", str(carry)).returncode == 0
    for home, db in ((home_a, a), (home_b, b), (home_a, a)):
        r = run(home, "--db", str(db), *pw, "sync", "now", "--json")
        assert r.returncode == 0, r.stdout + r.stderr
    # and by hand: export from B, import on A (nothing new: already synced)
    r = run(home_b, "--db", str(b), *pw, "sync", "export", "--to", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    r = run(home_a, "--db", str(a), *pw, "sync", "import", json.loads(r.stdout)["file"], "--json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["new"] == 0, r.stdout + r.stderr
    lists = []
    for home, db in ((home_a, a), (home_b, b)):
        r = run(home, "--db", str(db), *pw, "staff", "list", "--json")
        lists.append(sorted(s["name"] for s in json.loads(r.stdout)))
    assert lists[0] == lists[1] == ["Ann Manager", "Bob Caseworker"]
    check = ("import sys; from mpoffice_tui.db.engine import open_office; "
             "o = open_office(sys.argv[1], open(sys.argv[2]).read().strip()); "
             "c = o.engine.connect(); print(sorted(r[0] for r in c.exec_driver_sql("
             "'SELECT forenames FROM constituents'))); c.close(); o.close()")
    seen = [subprocess.run([sys.executable, "-c", check, str(db), str(passphrase_file)], capture_output=True,
                           text=True, timeout=120).stdout for db in (a, b)]
    assert seen[0] == seen[1] == "['Alpha', 'Bravo']\n"
    r = run(home_a, "--db", str(a), *pw, "sync", "status", "--json")
    status = json.loads(r.stdout)
    assert status["site_code"] == "A" and [p["code"] for p in status["peers"]] == ["B"]
    assert status["conflicts"] == 0 and status["status_line"].startswith("synced")
    # the history both machines hold can be compacted; they stay in step afterwards
    r = run(home_a, "--db", str(a), *pw, "sync", "compact", "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["ops_before"] > 0 and done["ops_deleted"] >= 0 and set(done["floor"]) and done["bytes_after"] > 0
    r = run(home_a, "--db", str(a), *pw, "sync", "compact")
    assert r.returncode == 0 and r.stdout.startswith("Compacted: 0 of") and "Kept:" in r.stdout, r.stdout + r.stderr
    for home, db in ((home_a, a), (home_b, b)):
        r = run(home, "--db", str(db), *pw, "sync", "now", "--json")
        assert r.returncode == 0, r.stdout + r.stderr
    # a damaged bundle is refused with a message, exit 1, no traceback
    bad = tmp_path / "bad.mposync"
    bad.write_bytes(b"MPOSYNC\x01garbage")
    r = run(home_a, "--db", str(a), *pw, "sync", "import", str(bad))
    assert r.returncode == 1 and "refused" in r.stderr and "Traceback" not in r.stderr
    # retiring B: its bundles are refused from then on
    assert run(home_a, "--db", str(a), *pw, "sync", "retire", "B").returncode == 0
    r = run(home_b, "--db", str(b), *pw, "sync", "export", "--to", str(tmp_path / "late.mposync"))
    assert r.returncode == 0, r.stderr
    r = run(home_a, "--db", str(a), *pw, "sync", "import", str(tmp_path / "late.mposync"))
    assert r.returncode == 1 and "retired" in r.stderr


SCAN = """
import sys
from mpoffice_tui.db.engine import open_office
office = open_office(sys.argv[1], open(sys.argv[2]).read().strip())
with office.engine.connect() as conn:
    hits = []
    for (t,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND sql NOT LIKE 'CREATE VIRTUAL%'").fetchall():
        for c in [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{t}")')]:
            if conn.exec_driver_sql(f'SELECT count(*) FROM "{t}" WHERE instr(CAST("{c}" AS TEXT), ?) > 0',
                                    (sys.argv[3],)).fetchone()[0]:
                hits.append(f"{t}.{c}")
office.close()
print(hits)
"""


def test_the_issue_repro_erasure_conflicts_and_a_whole_case_through_the_cli(tmp_path, passphrase_file):
    """Issue 18 through the real command: an erasure reaches a note written elsewhere, a conflict answered
    by an edit closes on both machines, and closing while awaiting leaves a case that can exist."""
    a, b, carry = tmp_path / "a" / "office.mpo", tmp_path / "b" / "office.mpo", tmp_path / "usb"
    home_a, home_b = tmp_path / "home_a", tmp_path / "home_b"
    carry.mkdir()
    pw = ["--passphrase-file", str(passphrase_file)]
    invite_pw = tmp_path / "invite.txt"
    invite_pw.write_text("a one-time invitation\n", encoding="utf-8")

    def on(which: str, *args: str) -> dict | list | None:
        home, db = (home_a, a) if which == "a" else (home_b, b)
        r = run(home, "--db", str(db), *pw, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return json.loads(r.stdout) if "--json" in args else None

    r = run(home_a, "--db", str(a), "init", "--office-name", "Office", "--mp", "MP", "--name", "Ann Manager",
            "--new-passphrase-file", str(passphrase_file))
    assert r.returncode == 0, r.stderr
    invite = on("a", "sync", "invite", "--to", str(carry), "--invite-passphrase-file", str(invite_pw), "--json")
    r = run(home_b, "--db", str(b), "sync", "join", invite["file"], "--invite-passphrase-file", str(invite_pw))
    assert r.returncode == 0, r.stderr
    erased = on("a", "case", "new", "--forenames", "Mary", "--surname", "Zqxerasable", "--category", "Housing",
                "--title", "Damp", "--json")
    kept = on("a", "case", "new", "--forenames", "Ned", "--surname", "Keeper", "--category", "Housing",
              "--title", "Noise", "--json")
    on("a", "case", kept["ref"], "set", "--status", "open")
    for m in ("a", "b"):
        on(m, "sync", "folder", "set", str(carry))

    def exchange() -> None:
        for m in ("a", "b", "a", "b"):
            on(m, "sync", "now", "--json")

    exchange()
    on("b", "case", erased["ref"], "note", "Mary Zqxerasable rang back")  # B does not sync yet
    on("b", "constituent", kept["constituent_id"], "set", "--surname", "Smyth")
    on("a", "constituent", kept["constituent_id"], "set", "--surname", "Smith")
    on("a", "case", kept["ref"], "set", "--status", "closed", "--outcome", "Resolved")
    on("b", "case", kept["ref"], "set", "--status", "awaiting_third_party")
    on("a", "retention", "erase", f"constituent:{erased['constituent_id']}", "--confirm")
    exchange()
    for m in ("a", "b"):
        seen = on(m, "sync", "conflicts", "--json")["conflicts"]
        assert sorted(c["field"] for c in seen) == ["status", "surname"], seen
        shown = on(m, "case", kept["ref"], "--json")["case"]
        assert (shown["status"] == "closed") == bool(shown["outcome"]) == bool(shown["closed_at"]), shown
    on("b", "constituent", kept["constituent_id"], "set", "--surname", "Smythe")  # B has seen both names
    status = next(c for c in on("b", "sync", "conflicts", "--json")["conflicts"] if c["field"] == "status")
    on("b", "sync", "resolve", status["id"], "that", "--json")
    exchange()
    cases = []
    for m, db in (("a", a), ("b", b)):
        assert on(m, "sync", "status", "--json")["conflicts"] == 0
        cases.append(on(m, "case", kept["ref"], "--json")["case"])
        assert on(m, "constituent", kept["constituent_id"], "--json")["person"]["name"] == "Ned Smythe"
        scan = subprocess.run([sys.executable, "-c", SCAN, str(db), str(passphrase_file), "Zqxerasable"],
                              capture_output=True, text=True, timeout=120)
        assert scan.stdout.strip() == "[]", scan.stdout + scan.stderr
    assert cases[0] == cases[1]
    assert cases[0]["status"] == status["that_group"]["status"]
