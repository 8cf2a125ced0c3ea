"""The constituent view under Pilot: a duplicate found and merged with nothing lost."""

from __future__ import annotations

import hashlib

from pilot_helpers import to_cases, wait_for
from sqlalchemy import text

from mpoffice_tui.config import Settings
from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.models import Message
from mpoffice_tui.services import cases, consent, constituents
from mpoffice_tui.ui.app import make_app
from mpoffice_tui.ui.dialogs.simple import ConfirmDialog
from mpoffice_tui.ui.screens.case_detail import CaseDetailScreen
from mpoffice_tui.ui.screens.constituent import ConstituentScreen

PASSPHRASE = "correct horse battery"
SIZE = (100, 30)
NO_IDLE = Settings(idle_lock_minutes=0)






def detail_loaded(app) -> bool:
    return isinstance(app.screen, CaseDetailScreen) and app.screen.detail is not None


def person_loaded(app, check=lambda p: True) -> bool:
    return isinstance(app.screen, ConstituentScreen) and app.screen.person is not None and check(app.screen.person)


async def test_duplicate_constituent_merged_with_nothing_lost(office, office_path):
    keep = constituents.create(office, forenames="Mary", surname="O'Brien", postcode="WX1 2AB", email=None)
    other = constituents.create(office, forenames="Marie", surname="O'Brian", postcode="wx1 2ab",
                                email="marie@example.org", phone="07700 900123", vulnerable=True)
    kept_case = cases.create_case(office, constituent_id=keep.id, title="Damp in the flat")
    other_case = cases.create_case(office, constituent_id=other.id, title="PIP assessment")
    with office.writing() as w:
        w.insert(Message, channel="email", direction="in", sender_email="marie@example.org", subject="About my PIP",
                 body_text="Please help", received_at="2026-01-05T10:00:00Z", triage="done",
                 content_hash=hashlib.sha256(b"pip").hexdigest(), case_id=other_case.id, constituent_id=other.id)
    consent.record(office, other.id, "written", details="signed form")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        table = await to_cases(pilot)
        await wait_for(pilot, lambda: table.cursor_row is not None)
        if table.cursor_row.id != kept_case.id:
            await pilot.press("down")
            await wait_for(pilot, lambda: table.cursor_row.id == kept_case.id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: detail_loaded(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: person_loaded(app))
        person = app.screen.person
        assert person.id == keep.id and len(person.view.cases) == 1 and len(person.duplicates) == 1
        assert "Duplicates (1)" in str(app.screen.query_one("#person-tabs").get_tab("tab-duplicates").label)
        await pilot.press("m")  # shows the duplicates
        await pilot.press("m")  # merge the highlighted one
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Marie O'Brian" in str(app.screen.question)
        await pilot.press("y")
        await wait_for(pilot, lambda: person_loaded(app, lambda p: len(p.view.cases) == 2))
        v = app.screen.person.view
        assert {c.id for c in v.cases} == {kept_case.id, other_case.id}
        assert len(v.history) == 1 and len(v.consents) == 1 and [m.id for m in v.merged_from] == [other.id]
        assert v.person.email == "marie@example.org" and v.person.vulnerable  # blanks filled, flags kept
        assert not app.screen.person.duplicates
    again = open_office(office_path, PASSPHRASE)
    try:
        with again.engine.connect() as conn:
            merged = conn.execute(text("SELECT merged_into, deleted, forenames, surname FROM constituents "
                                       "WHERE id = :id"), {"id": other.id}).fetchone()
            moved = conn.execute(text("SELECT count(*) FROM messages WHERE constituent_id = :id"),
                                 {"id": keep.id}).scalar()
        assert merged == (keep.id, 1, "Marie", "O'Brian")  # the other record is still readable
        assert moved == 1
        assert cases.get_case(again, other_case.ref).constituent.id == keep.id
    finally:
        again.close()


async def test_the_linked_elector_shows_as_the_council_numbers_it(office, office_path):
    """The constituent's elector link shows the council's elector number (never the internal key); a link
    to a register this computer does not hold says so."""
    from pathlib import Path

    from mpoffice_tui.services import register

    folder = Path(__file__).resolve().parents[1] / "fixtures" / "register"
    register.import_register(office, sorted(p for p in folder.glob("*_20*") if "2025" not in p.name))
    hit = register.lookup(office, "Siobhan O Sullivan").hits[0]
    on_register = constituents.create(office, forenames="Siobhán", surname="Ó Súilleabháin",
                                      elector_key=hit.elector.key)
    elsewhere = constituents.create(office, forenames="Pat", surname="Moved", elector_key="Eforeign0123")
    office.close()
    app = make_app(office_path, passphrase=PASSPHRASE, settings=NO_IDLE)
    async with app.run_test(size=SIZE) as pilot:
        await to_cases(pilot)
        for person, shown in ((on_register, f"Elector: {hit.elector.number}"),
                              (elsewhere, "Elector: linked (not on the register held on this computer)")):
            app.push_screen(ConstituentScreen(person.id))
            await wait_for(pilot, lambda p=person: person_loaded(app, lambda x: x.view.person.id == p.id))
            head = str(app.screen.query_one("#person-head").render())
            assert shown in head and "|" not in head and "Eforeign" not in head, head
            await pilot.press("escape")
