"""Key-slot faults say what they are (exit 3, never a hang) and wrong passphrases slow down."""

from __future__ import annotations

import json
import time

import pytest

from conftest import PASSPHRASE
from mpoffice_tui import paths
from mpoffice_tui.db import keys
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import KeySlotsDamaged, WrongPassphrase


def _slots(office_path) -> dict:
    return json.loads(paths.keyslots_for(office_path).read_text(encoding="utf-8"))


def _write(office_path, doc) -> None:
    paths.keyslots_for(office_path).write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("field, value, words", [  # (t=10^7, which hung, is checked in a subprocess: e2e)
    ("t", 11, "t=11 outside the safe range"),
    ("m", 1 << 40, "outside the safe range"),
    ("p", 0, "p=0 outside the safe range"),
    ("t", "3", "not a whole number"),
])
def test_absurd_argon2_parameters_are_refused_before_any_work(created_office, office_path, field, value, words):
    created_office.office.close()
    doc = _slots(office_path)
    for slot in doc["slots"]:
        slot["kdf"][field] = value
    _write(office_path, doc)
    started = time.monotonic()
    with pytest.raises(KeySlotsDamaged, match=words) as err:
        open_office(office_path, PASSPHRASE)
    assert time.monotonic() - started < 2.0  # refused, not derived
    assert err.value.exit_code == 3 and str(paths.keyslots_for(office_path)) in str(err.value)


def test_a_damaged_slot_beside_a_good_one_is_skipped_and_kept(created_office, office_path):
    created_office.office.close()
    doc = _slots(office_path)
    broken = dict(doc["slots"][1], kdf={**doc["slots"][1]["kdf"], "t": 10_000_000})
    doc["slots"][1] = broken  # the recovery slot
    _write(office_path, doc)
    office = open_office(office_path, PASSPHRASE)  # the passphrase slot still opens it
    try:
        assert office.slots.damaged and "slot 2" in office.slots.damaged[0][1]
        office.save_slots()  # writing the file again keeps the damaged slot as it was
    finally:
        office.close()
    assert broken in _slots(office_path)["slots"]
    with pytest.raises(WrongPassphrase, match="1 damaged slot"):
        open_office(office_path, "not the passphrase")


def test_a_slot_missing_fields_or_a_foreign_file(created_office, office_path):
    created_office.office.close()
    doc = _slots(office_path)
    for slot in doc["slots"]:
        del slot["nonce"]
    _write(office_path, doc)
    with pytest.raises(KeySlotsDamaged, match="'nonce' missing"):
        open_office(office_path, PASSPHRASE)
    paths.keyslots_for(office_path).write_text('{"keys": [1]}', encoding="utf-8")
    with pytest.raises(KeySlotsDamaged, match="not an mpoffice key-slot file"):
        open_office(office_path, PASSPHRASE)
    paths.keyslots_for(office_path).write_text(json.dumps(doc)[:40], encoding="utf-8")
    with pytest.raises(KeySlotsDamaged, match="truncated"):
        open_office(office_path, PASSPHRASE)


def test_wrong_passphrases_wait_a_growing_delay_and_say_so(created_office, office_path):
    created_office.office.close()
    assert [keys.FailedUnlocks.delay(n) for n in range(1, 9)] == [0, 0, 1, 2, 4, 8, 16, 30]
    messages = []
    for _ in range(3):
        with pytest.raises(WrongPassphrase) as err:
            open_office(office_path, "wrong guess")
        messages.append(str(err.value))
    assert "next try waits" not in messages[0] and "next try waits" not in messages[1]
    assert "3 wrong in a row: the next try waits 1 s" in messages[2]
    started = time.monotonic()
    with pytest.raises(WrongPassphrase, match="4 wrong in a row: the next try waits 2 s"):
        open_office(office_path, "wrong guess")
    assert time.monotonic() - started >= 0.9  # it waited before trying
    office = open_office(office_path, PASSPHRASE)  # the right passphrase (after its wait) clears the count
    office.close()
    assert keys.FailedUnlocks.delay(keys.FailedUnlocks(office.path)._mine()[0]) == 0
    with pytest.raises(WrongPassphrase) as err:
        open_office(office_path, "wrong guess")
    assert "wrong in a row" not in str(err.value)
