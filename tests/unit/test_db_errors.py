"""Database errors reach people as plain messages: never the SQL, never the data it carried."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from mpoffice_tui.db.engine import connect_raw
from mpoffice_tui.db.errors import DatabaseProblem, OfficeBusy
from mpoffice_tui.db.models import Note
from mpoffice_tui.services import inbox

SECRET = "Mrs Patel's diagnosis: early-onset dementia"


@pytest.fixture
def impatient(office):
    """The office with a 50 ms busy timeout (instead of 30 s), so a held lock shows quickly."""
    def short(dbapi_conn, record, proxy):
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    event.listen(office.engine, "checkout", short)
    yield office
    event.remove(office.engine, "checkout", short)


def test_database_is_locked_names_neither_the_sql_nor_the_note(impatient, tmp_path):
    blocker = connect_raw(impatient.path, impatient.data_key)  # another program holding the write lock
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OfficeBusy) as err, impatient.writing() as w:
            w.insert(Note, case_id="case-1", body=SECRET)
        shown = str(err.value)
        assert "busy" in shown and "Nothing was changed" in shown
        for leak in ("INSERT", "SELECT", "notes", "Patel", "[SQL", "parameters"):
            assert leak not in shown
        mail = tmp_path / "m.eml"
        mail.write_text(f"From: Ann <ann@example.org>\nSubject: {SECRET}\nMessage-ID: <x@y>\n\n{SECRET}\n")
        with pytest.raises(OfficeBusy) as err:  # the message is rejected, then its audit cannot be written
            inbox.import_paths(impatient, [mail])
        assert "Patel" not in str(err.value) and "INSERT" not in str(err.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_a_constraint_failure_says_which_constraint_and_nothing_of_the_values(office):
    with office.writing() as w:
        note = w.insert(Note, case_id="case-1", body=SECRET)
    with pytest.raises(DatabaseProblem) as err, office.writing() as w:
        w.insert(Note, id=note.id, case_id="case-1", body=SECRET)
    assert "UNIQUE constraint failed: notes.id" in str(err.value)
    assert "Patel" not in str(err.value) and "INSERT" not in str(err.value) and note.id not in str(err.value)
