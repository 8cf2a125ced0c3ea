"""Merging concurrent edits: conflicts close once answered, fields that belong together stay together, and
two replicas holding the same data list it in the same order."""

from __future__ import annotations

import pytest
from sync_helpers import exchange

from mpoffice_tui.db.models import Consent, Constituent, Contact
from mpoffice_tui.services import cases, constituents, contacts
from mpoffice_tui.services import consent as consents
from mpoffice_tui.sync import conflicts, status


def _open(office) -> list:
    return conflicts.list_conflicts(office)


def _at_once(a, b, field: str, on_a: str, on_b: str) -> str:
    """A person on both machines, then `field` set on each without seeing the other's, then synced."""
    pid = constituents.create(a, forenames="Jo", surname="Bloggs").id
    exchange(a, b)
    constituents.update(a, pid, **{field: on_a})
    constituents.update(b, pid, **{field: on_b})
    exchange(a, b)
    return pid


def test_an_edit_by_someone_who_saw_both_values_closes_the_conflict(pair):
    a, b = pair
    pid = _at_once(a, b, "surname", "Smith", "Smyth")
    assert len(_open(a)) == len(_open(b)) == 1
    constituents.update(b, pid, surname="Smythe")  # B has seen both values and chooses a third
    exchange(a, b)
    for office in (a, b):
        assert _open(office) == [], office.site_code
        assert status.summary(office).conflicts == 0
        assert constituents.row(office, pid).name.endswith("Smythe")


def test_resolving_on_one_machine_resolves_it_on_all(pair):
    """A conflict settled on one machine is settled on the other at its next sync; an edit of another field
    of the same record in between leaves the conflict alone."""
    a, b = pair
    pid = _at_once(a, b, "phone", "1", "2")
    constituents.update(a, pid, town="Leeds")  # an edit of another field leaves the phone conflict alone
    exchange(a, b)
    assert [c.field for c in _open(a)] == [c.field for c in _open(b)] == ["phone"]
    conflicts.resolve(a, _open(a)[0].id, "edit", "3")
    exchange(a, b)
    assert _open(a) == _open(b) == []
    assert {constituents.row(o, pid).phone for o in (a, b)} == {"3"}


def test_the_same_value_written_on_two_machines_is_no_conflict(pair):
    a, b = pair
    _at_once(a, b, "town", "York", "York")
    assert _open(a) == _open(b) == []


def _case_state(office, ref) -> tuple:
    r = cases.case_row(office, ref)
    return r.status, r.outcome, r.closed_at, r.awaiting_since


def _whole(state: tuple) -> bool:
    status, outcome, closed_at, awaiting_since = state
    if status == "closed":
        return bool(outcome and closed_at) and awaiting_since is None
    return outcome is None and closed_at is None and (awaiting_since is not None) == (status == "awaiting_third_party")


@pytest.mark.parametrize("last", ["closer", "awaiter"])
def test_closing_and_awaiting_at_once_leave_a_case_that_can_exist(pair, last):
    """A closes with an outcome while B sets "awaiting third party": whichever wins, the status, outcome and
    closed date come from one edit, and one conflict (on the status) says what the other was."""
    a, b = pair
    pid = constituents.create(a, forenames="Jo", surname="Bloggs").id
    ref = cases.create_case(a, constituent_id=pid, title="Damp", category="Housing", status="open").ref
    exchange(a, b)
    edits = [lambda: cases.change_status(a, ref, "closed", outcome="Resolved"),
             lambda: cases.change_status(b, ref, "awaiting_third_party")]
    for edit in (edits if last == "awaiter" else edits[::-1]):
        edit()
    exchange(a, b)
    state = _case_state(a, ref)
    assert state == _case_state(b, ref) and _whole(state), state
    assert state[0] == ("closed" if last == "closer" else "awaiting_third_party")
    found = _open(a)
    assert [(c.field, c.id) for c in found] == [(c.field, c.id) for c in _open(b)]
    assert [c.field for c in found] == ["status"]
    other = found[0]
    assert other.that_group["status"] != state[0]
    conflicts.resolve(b, other.id, "that")  # keep the other edit: all of it
    exchange(a, b)
    kept = _case_state(a, ref)
    assert kept == _case_state(b, ref) and _whole(kept) and kept[0] == other.that_group["status"]
    assert _open(a) == _open(b) == []


def test_a_task_done_flag_and_date_move_together(pair):
    a, b = pair
    pid = constituents.create(a, forenames="Jo", surname="Bloggs").id
    ref = cases.create_case(a, constituent_id=pid, title="Damp", category="Housing").ref
    task = cases.add_task(a, ref, "Ring the council")
    cases.complete_task(a, task.id)
    exchange(a, b)
    cases.complete_task(b, task.id, done=False)  # B reopens the task...
    cases.complete_task(a, task.id)  # ...while A, later, marks it done again (only its date changes)
    exchange(a, b)
    states = set()
    for office in (a, b):
        t = next(t for t in cases.get_case(office, ref).tasks if t.id == task.id)
        assert (t.done_at is not None) == t.done, (office.site_code, t)
        states.add((t.done, t.done_at))
    assert len(states) == 1


def test_two_replicas_with_the_same_data_list_it_in_the_same_order(pair):
    """Ties in every sort key (same name, same organisation, same dates) are broken by id, not by the order
    rows happened to arrive in (which differs between the machines)."""
    a, b = pair
    stamp = "2025-01-01T00:00:00.000000Z"
    made = {}
    for office in (a, b):  # the same-looking rows, written on different machines
        with office.writing() as w:
            p = w.insert(Constituent, forenames="Ann", surname="Jones", postcode="AB1 2CD", created_at=stamp)
            w.insert(Contact, organisation="Council", department="Housing", created_at=stamp)
            made[office.site_code] = p.id
    exchange(a, b)
    for office in (a, b):
        with office.writing() as w:
            w.insert(Consent, constituent_id=made["A"], kind="written", given_on="2025-01-01", created_at=stamp)
    exchange(a, b)

    def lists(office):
        return ([r.id for r in constituents.search(office, "Jones")],
                [c.id for c in contacts.list_contacts(office, "Council")],
                [c.id for c in consents.for_constituent(office, made["A"])])

    assert lists(a) == lists(b)
    for ids in lists(a):
        assert ids == sorted(ids)  # (everything here ties on every other key)
