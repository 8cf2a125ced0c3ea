"""The installed `mpoffice` command against what cannot live in the corpus: FIFOs, links to /dev/zero,
huge sparse files, a symlinked second path, a loose umask, and kill -9 in the middle of an import or a
sync. Every command runs with a timeout, so a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import PASSPHRASE
from mpoffice_tui import paths

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices, POSIX modes and signals")

MPOFFICE = shutil.which("mpoffice", path=str(Path(sys.executable).parent)) or "mpoffice"
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
GOOD_MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "agency_reply.eml"
REGISTER = Path(__file__).resolve().parents[1] / "fixtures" / "register" / "rossendale_dc_2024-12-01.csv"


@pytest.fixture
def cli(created_office, office_path, passphrase_file):
    """`mpoffice --db OFFICE --passphrase-file FILE ARGS…` (the installed command; today pinned)."""
    created_office.office.close()
    env = {**os.environ, "MPOFFICE_TODAY": "2026-03-05", "MPOFFICE_NO_KEYRING": "1"}

    def _run(*args: object, db: Path | None = None, timeout: float = 60, umask: int | None = None):
        pre = (lambda: os.umask(umask)) if umask is not None else None
        done = subprocess.run([MPOFFICE, "--db", str(db or office_path), "--passphrase-file", str(passphrase_file),
                               *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout,
                              preexec_fn=pre)
        assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
        return done
    _run.env = env
    return _run


@pytest.fixture
def traps(tmp_path) -> dict[str, Path]:
    """A FIFO, a link to /dev/zero and a folder, each named like the file it pretends to be."""
    folder = tmp_path / "traps"
    folder.mkdir()
    out = {}
    for name in ("pipe.eml", "pipe.csv", "pipe.mposync"):
        os.mkfifo(folder / name)
        out[name] = folder / name
    for name in ("zero.eml", "zero.csv", "zero.mposync"):
        (folder / name).symlink_to("/dev/zero")
        out[name] = folder / name
    (folder / "dir.mposync").mkdir()
    out["dir.mposync"] = folder / "dir.mposync"
    return out


def test_fifos_and_dev_zero_are_refused_by_every_import(cli, traps, tmp_path):
    mixed = tmp_path / "mailfolder"
    mixed.mkdir()
    shutil.copy(GOOD_MAIL, mixed)
    os.mkfifo(mixed / "waiting.eml")
    (mixed / "endless.eml").symlink_to("/dev/zero")
    r = cli("import", "mail", traps["pipe.eml"], traps["zero.eml"], mixed, "--json")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    reasons = {Path(x["file"]).name: x["reason"] for x in report["rejected"]}
    assert report["imported"] == 1 and set(reasons) == {"pipe.eml", "zero.eml", "waiting.eml", "endless.eml"}
    assert "named pipe" in reasons["pipe.eml"] and "device" in reasons["zero.eml"]
    r = cli("import", "register", traps["pipe.csv"], traps["zero.csv"], REGISTER)
    assert r.returncode == 1 and "named pipe" in r.stdout and "device" in r.stdout and "2 electors" in r.stdout
    r = cli("sync", "import", traps["pipe.mposync"], traps["zero.mposync"], traps["dir.mposync"])
    assert r.returncode == 1 and r.stderr.count("refused") == 3 and "folder" in r.stderr


def test_a_sync_folder_of_traps_is_refused_not_hung_on(cli, traps):
    folder = traps["pipe.mposync"].parent
    r = cli("sync", "folder", "set", folder)
    assert r.returncode == 0, r.stderr
    r = cli("sync", "now", "--json")
    assert r.returncode == 1, r.stderr
    result = json.loads(r.stdout)
    assert result["online"] and result["exported"] >= 1 and len(result["refused"]) == 3
    assert cli("sync", "now", "--json").returncode == 0  # refused once, not again until they change


def test_a_drop_folder_moves_traps_aside(cli, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "pipe.eml")
    (drop / "zero.eml").symlink_to("/dev/zero")
    shutil.copy(GOOD_MAIL, drop)
    r = cli("inbox", "drop", drop, "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 1 and report["imported"] == 1 and len(report["rejected"]) == 2
    assert sorted(p.name for p in (drop / "rejected").iterdir()) == ["pipe.eml", "zero.eml"]


def test_huge_files_are_refused_before_reading(cli, tmp_path):
    sizes = {"huge.eml": 200 << 20, "huge.mbox": 17 << 30, "huge_2026-01-01.csv": 600 << 20,
             "huge.mposync": 9 << 30}
    for name, size in sizes.items():
        with open(tmp_path / name, "wb") as fh:  # sparse: reading any of them whole would take minutes
            fh.write(b"From " if name.endswith(".mbox") else b"x")
            fh.truncate(size)
    r = cli("import", "mail", tmp_path / "huge.eml", tmp_path / "huge.mbox", timeout=30)
    assert r.returncode == 1 and "larger than 100 MB" in r.stdout and "more than the 16 GB allowed" in r.stdout
    r = cli("import", "register", tmp_path / "huge_2026-01-01.csv", timeout=30)
    assert r.returncode == 1 and "more than the 512 MB allowed" in r.stdout
    r = cli("sync", "import", tmp_path / "huge.mposync", timeout=30)
    assert r.returncode == 1 and "more than the 8 GB allowed" in r.stderr


def test_key_slot_faults_exit_3_without_a_hang(cli, office_path, tmp_path):
    slot_file = paths.keyslots_for(office_path)
    good = slot_file.read_bytes()
    doc = json.loads(good)
    for slot in doc["slots"]:
        slot["kdf"]["t"] = 10_000_000  # an unlock that would run for hours
    slot_file.write_text(json.dumps(doc), encoding="utf-8")
    started = time.monotonic()
    r = cli("doctor", timeout=30)
    assert r.returncode == 3 and "t=10000000 outside the safe range" in r.stderr
    assert time.monotonic() - started < 30
    slot_file.unlink()
    os.mkfifo(slot_file)
    r = cli("doctor", timeout=30)
    assert r.returncode == 3 and "named pipe" in r.stderr
    slot_file.unlink()
    slot_file.write_bytes(good)
    slot_file.chmod(0o600)
    assert cli("doctor").returncode == 0


def test_a_symlinked_second_path_finds_the_office_already_open(created_office, office_path, passphrase_file, tmp_path):
    from mpoffice_tui.db.engine import open_office

    created_office.office.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "same.mpo").symlink_to(office_path)
    (elsewhere / "same.mpo.keys").symlink_to(paths.keyslots_for(office_path))
    with open_office(office_path, PASSPHRASE):
        r = subprocess.run([MPOFFICE, "--db", str(elsewhere / "same.mpo"), "--passphrase-file", str(passphrase_file),
                            "doctor"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "MPOFFICE_NO_KEYRING": "1"})
    assert r.returncode == 3 and "already open" in r.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_owner_only_under_a_loose_umask(cli, tmp_path, passphrase_file):
    new = tmp_path / "loose" / "deep" / "office.mpo"
    r = cli("init", "--office-name", "Loose", "--mp", "MP", "--name", "Ann Manager", "--new-passphrase-file",
            passphrase_file, "--json", db=new, umask=0)
    assert r.returncode == 0, r.stderr
    for folder in (tmp_path / "loose", new.parent):
        assert _mode(folder) == 0o700, folder
    for f in (new, paths.keyslots_for(new), paths.lock_for(new)):
        assert _mode(f) == 0o600, f
    steps = [("case", "new", "--forenames", "Mary", "--surname", "Loose", "--postcode", "WX4 1PT", "--category",
              "Housing", "--title", "Damp"),
             ("backup", "--to", tmp_path / "backups" / "b.mpo"),
             ("sync", "export", "--to", tmp_path / "share"),
             ("sync", "invite", "--to", tmp_path / "share", "--invite-passphrase-file", passphrase_file),
             ("export", "sar", "Mary Loose", "--to", tmp_path / "sar")]
    (tmp_path / "share").mkdir()
    for args in steps:
        r = cli(*args, db=new, umask=0)
        assert r.returncode == 0, (args, r.stderr)
    made = [tmp_path / "backups", tmp_path / "backups" / "b.mpo", tmp_path / "backups" / "b.mpo.keys",
            *(tmp_path / "share").iterdir(), tmp_path / "sar", *(tmp_path / "sar").rglob("*")]
    assert len(made) > 7
    assert {str(p): oct(_mode(p)) for p in made if _mode(p) & 0o077} == {}
    from mpoffice_tui.db.engine import open_office

    old = os.umask(0)
    try:
        with open_office(new, PASSPHRASE) as office:  # SQLite makes -wal and -shm with the database's mode
            office.meta("site_id")
            for suffix in ("-wal", "-shm"):
                assert _mode(new.with_name(new.name + suffix)) == 0o600
    finally:
        os.umask(old)


def test_doctor_reports_and_fixes_loose_permissions(cli, office_path):
    office_path.chmod(0o644)
    paths.keyslots_for(office_path).chmod(0o664)
    office_path.parent.chmod(0o755)
    r = cli("doctor", "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 1 and {p["path"] for p in report["permissions"]} >= {  # and -wal, -shm: same mode
        str(office_path), str(paths.keyslots_for(office_path)), str(office_path.parent)}
    r = cli("doctor", "--fix-permissions", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["permissions_fixed"]) >= 3
    assert _mode(office_path) == 0o600 and _mode(office_path.parent) == 0o700


def _mbox(path: Path, count: int) -> None:
    with open(path, "wb") as fh:
        for i in range(count):
            m = EmailMessage()
            m["From"] = f"Person {i} <p{i}@example.org>"
            m["Subject"] = f"Letter {i}"
            m["Message-ID"] = f"<kill{i}@example.org>"
            m.set_content(f"Dear MP, letter {i} about the bins.\n")
            fh.write(b"From p@example.org Mon Mar  3 10:00:00 2025\n" + bytes(m) + b"\n")


def _count(db: Path, key: bytes, sql: str) -> int:
    from mpoffice_tui.db.engine import connect_raw

    conn = connect_raw(db, key)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


POLL_SECONDS = 0.02  # how often the condition is checked: the kill must land part-way through


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    """SIGKILL the process as soon as `ready()` holds; fail if it ends (or the time runs out) first."""
    end = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail("the command finished before it could be killed part-way")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("the command never got part-way")
        time.sleep(POLL_SECONDS)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def test_kill_9_mid_mail_import_leaves_an_audit_record_of_what_it_stored(cli, created_office, office_path,
                                                                         passphrase_file, tmp_path):
    from mpoffice_tui.db.engine import open_office

    key = created_office.office.data_key
    box = tmp_path / "big.mbox"
    _mbox(box, 8000)
    proc = subprocess.Popen([MPOFFICE, "--db", str(office_path), "--passphrase-file", str(passphrase_file),
                             "import", "mail", str(box)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=cli.env)
    _kill_when(proc, lambda: _count(office_path, key, "SELECT count(*) FROM messages") >= 400)
    with open_office(office_path, PASSPHRASE) as office:
        assert office.integrity_check() == []
        with office.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM messages").scalar()
            details = [r[0] for r in conn.exec_driver_sql(
                "SELECT detail FROM audit_events WHERE action = 'mail.import' ORDER BY at")]
    assert 400 <= stored < 8000 and details, details
    assert details[-1].startswith(f"{stored} imported so far")  # the record says what was committed
    r = cli("import", "mail", box, "--json", timeout=300)
    report = json.loads(r.stdout)
    assert r.returncode == 0 and (report["imported"], report["duplicates"]) == (8000 - stored, stored)


def test_kill_9_mid_sync_import_changes_nothing_and_the_bundle_applies_after(cli, tmp_path, passphrase_file):
    from mpoffice_tui.db.engine import create_office, open_office
    from mpoffice_tui.db.models import Note
    from mpoffice_tui.sync import bundle, enrol

    a = create_office(tmp_path / "a" / "a.mpo", office_name="Office", mp_name="MP", staff_name="Ann Manager",
                      passphrase=PASSPHRASE).office
    inv = enrol.invite(a, tmp_path, passphrase="one-time invitation words")
    enrol.join(inv.path, "one-time invitation words", tmp_path / "b" / "b.mpo")
    with a.writing() as w:
        w.insert_many(Note, [{"case_id": "case-1", "body": base64.b64encode(os.urandom(6000)).decode()}
                             for _ in range(5000)])
    sent = bundle.export_bundle(a, tmp_path / "big.mposync")
    a.close()
    b_path = tmp_path / "b" / "b.mpo"
    wal = b_path.with_name(b_path.name + "-wal")
    proc = subprocess.Popen([MPOFFICE, "--db", str(b_path), "--passphrase-file", str(passphrase_file), "sync",
                             "import", str(sent.path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=cli.env)
    _kill_when(proc, lambda: wal.exists() and wal.stat().st_size > 4 << 20)  # applying: the WAL grows
    with open_office(b_path, PASSPHRASE) as b:
        assert b.integrity_check() == []
        with b.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 0  # one transaction: none
    r = cli("sync", "import", sent.path, db=b_path, timeout=300)
    assert r.returncode == 0, r.stderr
    with open_office(b_path, PASSPHRASE) as b, b.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 5000


def test_kill_9_mid_sync_export_leaves_no_half_bundle(cli, tmp_path, created_office, office_path, passphrase_file):
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.db.models import Note
    from mpoffice_tui.sync import enrol

    with open_office(office_path, PASSPHRASE) as office:
        enrol.invite(office, tmp_path, passphrase="one-time invitation words")  # a peer to export for
        with office.writing() as w:
            w.insert_many(Note, [{"case_id": "c", "body": base64.b64encode(os.urandom(6000)).decode()}
                                 for _ in range(5000)])
    share = tmp_path / "share"
    share.mkdir()
    proc = subprocess.Popen([MPOFFICE, "--db", str(office_path), "--passphrase-file", str(passphrase_file), "sync",
                             "export", "--to", str(share)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=cli.env)
    _kill_when(proc, lambda: any(p.stat().st_size > 1 << 20 for p in share.glob(".*.tmp")))
    assert list(share.glob("*.mposync")) == []  # only the hidden temporary file, which every reader skips
