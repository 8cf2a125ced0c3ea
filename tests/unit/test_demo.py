"""The demo office: deterministic, the promised sizes, realistic names and postcodes, and it opens."""

from __future__ import annotations

import re

import pytest

from conftest import PASSPHRASE
from mpoffice_tui import demo
from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import WrongPassphrase

POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")


def _scalar(office, sql: str):
    with office.engine.connect() as conn:
        return conn.exec_driver_sql(sql).fetchone()[0]


def _column(office, sql: str) -> list:
    with office.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(sql).fetchall()]


def test_two_builds_hold_the_same_people_and_references(demo_office, tmp_path):
    again = demo.build(tmp_path / "again.mpo", size="small", passphrase="another passphrase")
    try:
        names = "SELECT forenames || ' ' || surname FROM constituents ORDER BY created_at, forenames, surname"
        refs = "SELECT ref || ' ' || title || ' ' || status FROM cases ORDER BY ref"
        subjects = "SELECT received_at || subject FROM messages ORDER BY received_at, subject"
        assert _column(again, names) == _column(demo_office, names)
        assert _column(again, refs) == _column(demo_office, refs)
        assert _column(again, subjects) == _column(demo_office, subjects)
    finally:
        again.close()


def test_a_different_seed_gives_a_different_office(demo_office, tmp_path):
    other = demo.build(tmp_path / "other.mpo", size="small", passphrase="x", seed=7)
    try:
        sql = "SELECT title FROM cases ORDER BY ref"
        assert _column(other, sql) != _column(demo_office, sql)
    finally:
        other.close()


def test_small_demo_has_the_promised_counts(demo_office):
    size = demo.SIZES["small"]
    assert _scalar(demo_office, "SELECT count(*) FROM constituents") == size.constituents
    assert _scalar(demo_office, "SELECT count(*) FROM cases") == size.cases
    assert _scalar(demo_office, "SELECT count(*) FROM messages") == size.messages
    electors = _scalar(demo_office, "SELECT count(*) FROM electors")
    assert size.electors <= electors < size.electors * 1.05
    assert _scalar(demo_office, "SELECT count(*) FROM register_publication") == 2
    assert _scalar(demo_office, "SELECT sum(rows) FROM register_publication") == electors
    linked = _scalar(demo_office, "SELECT count(*) FROM constituents c JOIN electors e "
                                  "ON e.elector_key = c.elector_key")
    assert linked == size.constituents // 2


def test_every_shared_row_was_written_through_the_op_log(tmp_path):
    office = demo.build(tmp_path / "uncompacted.mpo", size="small", passphrase=PASSPHRASE, compact=False)
    try:
        for table in ("constituents", "cases", "messages", "notes", "tasks", "contacts", "letters"):
            missing = _scalar(office, f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                                      f"(SELECT 1 FROM ops o WHERE o.tbl = '{table}' AND o.row_id = t.id)")
            assert missing == 0, table
    finally:
        office.close()


def test_names_carry_accents_apostrophes_and_hyphens(demo_office):
    names = set(_column(demo_office, "SELECT forenames || ' ' || surname FROM constituents"))
    for expected in ("Siobhán Ó Súilleabháin", "Seán O'Brien-Smythe", "Łukasz Wiśniewski",
                     "Ngozi Adéyemí", "Hamish MacDonald", "Penelope ffrench"):
        assert expected in names
    assert any("Zoë" in n for n in names)
    electors = _column(demo_office, "SELECT name_key FROM electors")
    assert all(k.isascii() and k == k.lower() for k in electors)
    assert "siobhan o suilleabhain" in electors  # the folded key of a featured elector


def test_postcodes_have_a_valid_format(demo_office):
    for sql in ("SELECT postcode FROM constituents", "SELECT postcode FROM electors"):
        bad = [p for p in _column(demo_office, sql) if not POSTCODE.match(p or "")]
        assert bad == []
    outward = set(_column(demo_office, "SELECT DISTINCT substr(postcode, 1, 2) FROM constituents"))
    assert outward == {"WX", "BY"}  # one seat, two council areas


def test_every_case_has_a_constituent_and_sane_dates(demo_office):
    assert _scalar(demo_office, "SELECT count(*) FROM cases c LEFT JOIN constituents k "
                                "ON k.id = c.constituent_id WHERE k.id IS NULL") == 0
    today = demo.DEMO_TODAY.isoformat()
    assert _scalar(demo_office, "SELECT max(substr(received_at, 1, 10)) FROM messages") <= today
    assert _scalar(demo_office, "SELECT min(opened_at) FROM cases") >= demo.DEMO_START.isoformat()
    assert _scalar(demo_office, "SELECT count(*) FROM cases WHERE closed_at < opened_at") == 0
    statuses = set(_column(demo_office, "SELECT DISTINCT status FROM cases"))
    assert statuses == {"new", "open", "awaiting_constituent", "awaiting_third_party", "closed"}
    assert _scalar(demo_office, "SELECT count(*) FROM cases WHERE status='closed' AND outcome IS NULL") == 0
    refs = _column(demo_office, "SELECT ref FROM cases ORDER BY opened_at")
    assert refs == sorted(refs)  # references count up in the order cases were opened


def test_inbox_lanes_channels_and_the_campaign(demo_office):
    lanes = set(_column(demo_office, "SELECT DISTINCT triage FROM messages"))
    assert {"new", "auto_filed", "suggested", "campaign", "done", "ignored"} <= lanes
    channels = set(_column(demo_office, "SELECT DISTINCT channel FROM messages"))
    assert channels == {"email", "letter", "phone", "walk_in", "surgery"}
    assert _scalar(demo_office, "SELECT count(*) FROM messages WHERE triage='campaign'") == 40
    assert _scalar(demo_office, "SELECT count(*) FROM messages WHERE triage='campaign' "
                                "AND flags LIKE '%differs_from_campaign%'") == 1
    assert _scalar(demo_office, "SELECT count(*) FROM messages WHERE in_reply_to IS NOT NULL") > 0
    # every auto-filed message says why (the reference it quotes); none is a case's own first message
    assert _scalar(demo_office, "SELECT count(*) FROM messages WHERE triage='auto_filed' "
                                "AND (suggestion_reason IS NULL OR suggestion_reason NOT LIKE 'case reference %')") == 0
    digest = _scalar(demo_office, "SELECT raw_hash FROM messages WHERE channel='email' AND raw_hash IS NOT NULL "
                                  "LIMIT 1")
    assert b"Message-ID: <" in blobs.read(demo_office, digest)
    overdue = _scalar(demo_office, f"SELECT count(*) FROM tasks WHERE done=0 AND due_date < "
                                   f"'{demo.DEMO_TODAY.isoformat()}'")
    assert overdue > 0
    assert _scalar(demo_office, "SELECT count(*) FROM notes WHERE confidential=1") > 0
    assert _scalar(demo_office, "SELECT count(*) FROM constituents WHERE safety_caution=1") >= 3


def test_demo_opens_with_its_passphrase_only(demo_office_path):
    with pytest.raises(WrongPassphrase):
        open_office(demo_office_path, "not the passphrase", use_keyring=False)
    office = open_office(demo_office_path, PASSPHRASE, use_keyring=False)
    try:
        assert office.name == demo.OFFICE_NAME
        roles = _column(office, "SELECT role FROM staff ORDER BY role")
        assert sorted(set(roles)) == ["caseworker", "manager", "mp", "volunteer"]
        assert len(office.slots.slots) == 2  # the manager's passphrase and the recovery code
    finally:
        office.close()


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown demo size"):
        demo.build(tmp_path / "x.mpo", size="gigantic")
    assert not (tmp_path / "x.mpo").exists()
