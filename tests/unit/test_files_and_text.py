"""The one text cleaner and the safe file helpers (regular files only, sizes first, owner-only modes)."""

from __future__ import annotations

import os
import stat

import pytest

from mpoffice_tui import files, text
from mpoffice_tui.files import FileRefused

HOSTILE = "Ann\u202eelpmaxE\u202c \x9b31m\u200bZero\u2066Iso\u2069 \x1b[2Jcls\x85nel\ufeff\x7f\x00"
INVISIBLE = ["\u202e", "\u202c", "\x9b", "\u200b", "\u2066", "\u2069", "\x1b", "\x85", "\ufeff", "\x7f", "\x00"]


def test_clean_removes_controls_bidi_and_zero_width_but_keeps_text():
    cleaned = text.clean(HOSTILE + "\r\nline two\ttab")
    assert not any(ch in cleaned for ch in INVISIBLE)
    assert cleaned == "AnnelpmaxE ZeroIso clsnel\nline two\ttab"
    assert text.one_line("a\n\n b\r\nc\u2028d") == "a  b c d"
    assert text.clean("Siobhán Ó Súilleabháin, 日本, مرحبا") == "Siobhán Ó Súilleabháin, 日本, مرحبا"


def test_visible_escapes_mark_what_was_there():
    shown = text.visible_escapes("Ann\u202eX\x9b\u200b\x00\tok\n")
    assert shown == "Ann\\u202eX\\u009b\\u200b\\u0000\tok\n"
    data = text.escape_all({"name\u202e": ["a\u2066", 3, None, ("b\x85",)]})
    assert data == {"name\\u202e": ["a\\u2066", 3, None, ["b\\u0085"]]}


def test_every_cleaner_in_the_app_is_the_one_cleaner():
    from mpoffice_tui.cli import cases
    from mpoffice_tui.services import inbox
    from mpoffice_tui.ui import text as ui_text

    for clean in (ui_text.clean, inbox.safe_text, cases._clean):
        assert clean(HOSTILE) == text.clean(HOSTILE)
    assert ui_text.one_line is text.one_line
    assert ui_text.plain(HOSTILE).plain == text.clean(HOSTILE)


@pytest.fixture
def fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "pipe.eml"
    os.mkfifo(path)
    return path


def test_a_fifo_a_device_and_a_folder_are_refused_before_opening(fifo, tmp_path):
    zero = tmp_path / "zero.eml"
    zero.symlink_to("/dev/zero")
    for path, kind in ((fifo, "named pipe"), (zero, "device"), (tmp_path, "folder")):
        with pytest.raises(FileRefused, match=kind):
            files.read_regular(path, 1000)


def test_size_is_checked_before_reading(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(5 * 1024 * 1024 * 1024)  # sparse: reading it whole would take minutes
    with pytest.raises(FileRefused, match="more than the 1 MB allowed"):
        files.open_regular(big, files.MiB(1), "register file")


def test_a_file_that_grows_while_read_is_refused(tmp_path):
    path = tmp_path / "growing.mbox"
    path.write_bytes(b"x" * 1000)
    with files.open_regular(path, 2000) as fh:
        with open(path, "ab") as writer:
            writer.write(b"y" * 5000)
        with pytest.raises(FileRefused, match="grew past"):
            fh.read()


def test_private_files_and_folders_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        folder = files.private_dir(tmp_path / "a" / "b" / "c")
        files.write_private(folder / "data.bin", b"secret")
        files.create_private(folder / "db.mpo")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b", folder):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    for p in (folder / "data.bin", folder / "db.mpo"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert (folder / "data.bin").read_bytes() == b"secret"
    assert not list(folder.glob(".*.tmp"))


def test_loose_permissions_are_found_and_fixed(tmp_path):
    f = tmp_path / "office.mpo"
    f.write_bytes(b"x")
    f.chmod(0o644)
    tmp_path.chmod(0o755)
    assert [(p, m) for p, m, _ in files.loose_permissions([f, tmp_path])] == [(f, 0o644), (tmp_path, 0o755)]
    for p in (f, tmp_path):
        files.make_private(p)
    assert files.loose_permissions([f, tmp_path]) == []
