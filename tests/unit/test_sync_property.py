"""Property: three replicas (real invite/join on SQLCipher files) converge whatever happens to bundles.

Random edits (the same field edited concurrently on two machines), notes, consents and new cases about
people, concurrent status/outcome changes, tasks done and undone, conflict resolutions, erasures of
people, deletes and undeletes, skewed clocks; bundles dropped, duplicated, reordered and replayed. After a
final full exchange every replica shows identical shared data and the same erasure record; every note
about someone not erased is there; every concurrent head that differs from the winner is the same
conflict everywhere (an independent oracle recomputes them from the op log); no conflict that someone
answered (by resolving it or editing the field after seeing it) is open anywhere; every group of fields
that must agree does; and nothing of an erased person's text is left in any replica's rows, op log,
conflict table, full-text indexes or decrypted database file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dp_data import scan_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sync_helpers import INVITE, copy_db, decrypted_file

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import create_office, open_office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.hlc import wall_ms
from mpoffice_tui.db.models import SHARED_TABLES, Constituent
from mpoffice_tui.services import cases, consent, retention
from mpoffice_tui.sync import bundle, compact, conflicts, enrol

NAMES = ["a", "b", "c"]
FIELDS = ["surname", "phone", "town"]
VALUES = ["Ash", "Birch", "Cedar", "Damson", "Elm"]
TOKENS = ["qzpersonzero", "qzpersonone", "qzpersontwo"]  # in everything about person k (never in the others')
ERASABLE = 2  # people 0 and 1 may be erased; person 2 never is
STATUSES = ["open", "awaiting_constituent", "awaiting_third_party", "closed"]


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    """A, B (invited by A) and C (invited by B): three people, each with a case and a task, then closed."""
    root = tmp_path_factory.mktemp("trio")
    a = create_office(root / "a.mpo", office_name="O", mp_name="M", staff_name="Ann",
                      passphrase=PASSPHRASE).office
    people = []
    for token in TOKENS:
        with a.writing() as w:
            p = w.insert(Constituent, forenames=f"Pat {token}", surname="Start", phone="0", town="T")
        case = cases.create_case(a, constituent_id=p.id, title=f"Matter of {token}", category="Housing",
                                 status="open")
        task = cases.add_task(a, case.ref, f"Ring {token}")
        people.append({"id": p.id, "case": case.id, "task": task.id})
    inv = enrol.invite(a, root, passphrase=INVITE)
    a.close()
    enrol.join(inv.path, INVITE, root / "b.mpo")
    b = open_office(root / "b.mpo", PASSPHRASE)
    inv = enrol.invite(b, root, passphrase=INVITE)
    b.close()
    enrol.join(inv.path, INVITE, root / "c.mpo")
    (root / "people.json").write_text(json.dumps(people))
    return root


_KEYS: dict = {}


def _open_fast(path: Path):
    """Open a copy with the data key found once (Argon2 per open would dominate the test's time)."""
    from mpoffice_tui import paths
    from mpoffice_tui.db import engine, keys

    slots = keys.KeySlots.load(paths.keyslots_for(path))
    if slots.office_id not in _KEYS:
        _KEYS[slots.office_id] = slots.unlock_with_secret(PASSPHRASE)
    return engine._open_with(path, slots, *_KEYS[slots.office_id])


def _copy(root: Path, dest: Path) -> dict:
    out = {}
    for name in NAMES:
        copy_db(root / f"{name}.mpo", dest / f"{name}.mpo")
        out[name] = _open_fast(dest / f"{name}.mpo")
    return out


replica = st.sampled_from(NAMES)
person = st.integers(0, len(TOKENS) - 1)
step = st.one_of(
    st.tuples(st.just("edit"), replica, person, st.sampled_from(FIELDS), st.sampled_from(VALUES)),
    st.tuples(st.just("concurrent"), replica, replica, person, st.sampled_from(FIELDS),
              st.sampled_from(VALUES), st.sampled_from(VALUES)),
    st.tuples(st.just("note"), replica, person),
    st.tuples(st.just("consent"), replica, person),
    st.tuples(st.just("newcase"), replica, person),
    st.tuples(st.just("status"), replica, replica, person, st.sampled_from(STATUSES), st.sampled_from(STATUSES)),
    st.tuples(st.just("task"), replica, person, st.booleans()),
    st.tuples(st.just("oldstatus"), replica, person, st.sampled_from(STATUSES)),
    st.tuples(st.just("resolve"), replica, st.integers(0, 5), st.sampled_from(["this", "that", "edit"])),
    st.tuples(st.just("erase"), replica, st.integers(0, ERASABLE - 1)),
    st.tuples(st.just("delete"), replica, person, st.booleans()),
    st.tuples(st.just("skew"), replica, st.integers(-3_600_000, 3_600_000)),
    st.tuples(st.just("export"), replica),
    st.tuples(st.just("deliver"), st.integers(0, 30), replica),
    st.tuples(st.just("compact"), replica),
)


def _visible(office) -> dict:
    out = {}
    with office.engine.connect() as conn:
        for tbl in [*SHARED_TABLES, "erased"]:
            out[tbl] = conn.exec_driver_sql(f'SELECT * FROM "{tbl}" ORDER BY 1, 2').fetchall()
    return out


def _conflicts(office) -> set:
    with office.engine.connect() as conn:
        return set(conn.exec_driver_sql(
            "SELECT tbl, row_id, field, loser_site, loser_seq FROM conflict WHERE resolved = 0").fetchall())


def _expected_conflicts(office) -> set:
    """An independent oracle for the people's fields: per field, the ops no other op names as seen (prev or
    supersedes) are heads; every head whose value differs from the latest op's is a conflict; none on a row
    an erasure reached."""
    with office.engine.connect() as conn:
        ops = conn.exec_driver_sql("SELECT site, seq, hlc, tbl, row_id, field, value, prev_site, prev_seq, "
                                   "supersedes FROM ops WHERE tbl = 'constituents'").fetchall()
        gone = {r[0] for r in conn.exec_driver_sql("SELECT row_id FROM erased WHERE tbl = 'constituents'")}
    by_row: dict = {}
    for op in ops:
        by_row.setdefault(op[4], []).append(op)
    out = set()
    for row_id, row_ops in by_row.items():
        if row_id in gone:
            continue
        for field in FIELDS + ["deleted"]:
            def value(o, field=field):
                v = json.loads(o[6])
                return v.get(field) if o[5] == "*" else v

            cands = [o for o in row_ops if o[5] == field or (o[5] == "*" and field in json.loads(o[6]))]
            if not cands:  # never edited, and its insert folded into the row by compaction: one value
                continue
            seen = {(o[7], o[8]) for o in row_ops if o[5] == field and o[7]}
            for o in row_ops:
                if o[5] == field and o[9]:
                    seen |= {tuple(x) for x in json.loads(o[9])}
            edited = any(o[5] == field for o in cands)  # a row's insert is no head of a field edited since
            heads = [o for o in cands if (o[0], o[1]) not in seen and not (o[5] == "*" and edited)]
            winner = max(cands, key=lambda o: (o[2], o[0], o[1]))
            out |= {("constituents", row_id, field, o[0], o[1]) for o in heads
                    if o is not winner and value(o) != value(winner)}
    return out


def _groups_agree(office) -> None:
    with office.engine.connect() as conn:
        for status, outcome, closed_at, since in conn.exec_driver_sql(
                "SELECT status, outcome, closed_at, awaiting_since FROM cases"):
            if status == "closed":
                assert outcome and closed_at and since is None, (status, outcome, closed_at, since)
            else:
                assert outcome is None and closed_at is None, (status, outcome, closed_at)
                assert (since is not None) == (status == "awaiting_third_party"), (status, since)
        for done, done_at in conn.exec_driver_sql("SELECT done, done_at FROM tasks"):
            assert bool(done) == (done_at is not None), (done, done_at)
        for surname, phone, town, deleted in conn.exec_driver_sql(
                "SELECT surname, phone, town, deleted FROM constituents WHERE id IN "
                "(SELECT row_id FROM erased WHERE tbl = 'constituents')"):
            assert (surname, phone, town, deleted) == ("", None, None, 1)


def _old_status(office, case_id: str, status: str) -> None:
    """A status change as the previous version recorded it: only the fields it changed, so a group's fields
    may come from different writes (the merge must still make them agree)."""
    from mpoffice_tui.sync.merge import rebuild_rows

    changes = {"status": status, **({"outcome": "Resolved", "closed_at": "2025-01-02T00:00:00.000000Z"}
                                    if status == "closed" else {}),
               **({"awaiting_since": "2025-01-03T00:00:00.000000Z"} if status == "awaiting_third_party" else {})}
    with office.writing() as w:
        w.record_fields("cases", case_id, changes)
        rebuild_rows(w.session.connection(), [("cases", case_id)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=4, max_size=30))
# the three problems, as steps: a note written on B reaches A after A erased the person...
@example(steps=[("note", "b", 0), ("consent", "c", 0), ("erase", "a", 0), ("newcase", "c", 0), ("edit", "b", 0,
                "town", "Elm"), ("export", "b"), ("export", "c"), ("deliver", 0, "a"), ("deliver", 1, "a")])
# ...a conflict answered by someone who saw both values, and one resolved...
@example(steps=[("concurrent", "a", "b", 2, "surname", "Ash", "Birch"), ("export", "a"), ("deliver", 0, "b"),
                ("edit", "b", 2, "surname", "Cedar"), ("concurrent", "b", "c", 1, "phone", "Ash", "Elm"),
                ("export", "c"), ("deliver", 1, "b"), ("resolve", "b", 0, "that")])
# ...and a case closed on one machine while another sets it awaiting a third party
@example(steps=[("status", "a", "b", 1, "closed", "awaiting_third_party"), ("task", "a", 1, True),
                ("export", "a"), ("deliver", 0, "c"), ("task", "c", 1, False), ("task", "a", 1, True)])
@example(steps=[("oldstatus", "a", 1, "closed"), ("oldstatus", "b", 1, "awaiting_third_party"),
                ("oldstatus", "c", 2, "awaiting_third_party"), ("oldstatus", "a", 2, "closed")])
# ...and a history compacted on one machine once the others acknowledged it, then edited concurrently
@example(steps=[("edit", "a", 0, "surname", "Ash"), ("export", "a"), ("deliver", 0, "b"), ("deliver", 0, "c"),
                ("edit", "a", 0, "surname", "Birch"), ("export", "b"), ("export", "c"), ("deliver", 1, "a"),
                ("deliver", 2, "a"), ("compact", "a"), ("deliver", 0, "a"), ("concurrent", "a", "b", 0, "surname",
                "Cedar", "Damson"), ("compact", "b")])
def test_replicas_converge(trio, tmp_path_factory, steps):
    offices = _copy(trio, tmp_path_factory.mktemp("run"))
    people = json.loads((trio / "people.json").read_text())
    pool: list[bytes] = []
    notes: dict[str, int] = {}  # body -> whose
    answered: set[str] = set()  # conflict ids someone settled (resolved, or edited the field having seen it)
    erased: set[int] = set()

    def local(name: str, action) -> None:
        """A step on one replica; a conflict open there before it and gone after it was answered by it.
        Writing about someone erased (or deleted) is refused where that is known: that is no failure."""
        before = _conflicts(offices[name])
        try:
            action(offices[name])
        except OfficeError as exc:
            with offices[name].engine.connect() as conn:
                why = conn.exec_driver_sql("SELECT (SELECT count(*) FROM erased) + "
                                           "(SELECT count(*) FROM constituents WHERE deleted = 1)").fetchone()[0]
            assert why, f"refused with nobody erased or deleted: {exc}"
        after = _conflicts(offices[name])
        answered.update(":".join(map(str, c)) for c in before - after)

    def edit(k: int, field: str, value: str):
        def act(o):
            with o.writing() as w:
                w.update(w.get(Constituent, people[k]["id"]), **{field: f"{value} {TOKENS[k]}"})
        return act

    def status_to(k: int, status: str):
        return lambda o: cases.change_status(o, people[k]["case"], status,
                                             outcome="Resolved" if status == "closed" else None)

    try:
        for i, s in enumerate(steps):
            kind = s[0]
            if kind == "edit":
                local(s[1], edit(s[2], s[3], s[4]))
            elif kind == "concurrent":  # the same field on two machines, neither having seen the other
                local(s[1], edit(s[3], s[4], s[5]))
                local(s[2], edit(s[3], s[4], s[6]))
            elif kind == "note":
                body = f"note {i} on {s[1]} about {TOKENS[s[2]]}"
                local(s[1], lambda o, body=body, k=s[2]: (cases.add_note(o, people[k]["case"], body),
                                                           notes.__setitem__(body, k)))
            elif kind == "consent":
                local(s[1], lambda o, k=s[2]: consent.record(o, people[k]["id"], "written",
                                                             details=f"signed by {TOKENS[k]}"))
            elif kind == "newcase":
                local(s[1], lambda o, k=s[2]: cases.create_case(o, constituent_id=people[k]["id"],
                                                                title=f"More for {TOKENS[k]}", category="Benefits"))
            elif kind == "status":  # two machines change one case's status without seeing each other
                local(s[1], status_to(s[3], s[4]))
                local(s[2], status_to(s[3], s[5]))
            elif kind == "oldstatus":  # as a machine on the previous version wrote it: the changed fields only
                local(s[1], lambda o, k=s[2], status=s[3]: _old_status(o, people[k]["case"], status))
            elif kind == "task":
                local(s[1], lambda o, k=s[2], done=s[3]: cases.complete_task(o, people[k]["task"], done))
            elif kind == "resolve":
                def settle(o, j=s[2], choice=s[3]):
                    found = conflicts.list_conflicts(o)
                    if found:
                        c = found[j % len(found)]
                        value = c.that_group or c.that_value if choice == "edit" else None
                        conflicts.resolve(o, c.id, choice, value)
                local(s[1], settle)
            elif kind == "erase":
                local(s[1], lambda o, k=s[2]: retention.erase(o, [f"constituent:{people[k]['id']}"],
                                                              reason="request", confirm=True))
                erased.add(s[2])
            elif kind == "delete":
                def tombstone(o, k=s[2], gone=s[3]):
                    with o.writing() as w:
                        w.update(w.get(Constituent, people[k]["id"]), deleted=gone)
                local(s[1], tombstone)
            elif kind == "skew":
                offices[s[1]].clock.wall = (lambda off: lambda: wall_ms() + off)(s[2])
            elif kind == "compact":  # the history every machine acknowledged and later ops superseded
                compact.compact(offices[s[1]], vacuum=False)
            elif kind == "export":
                pool.append(bundle.build(offices[s[1]])[0])
            elif kind == "deliver" and pool:  # any earlier bundle: replayed, duplicated, out of order
                bundle.import_bundle(offices[s[2]], Path("pooled.mposync"), pool[s[1] % len(pool)])
        for _ in range(2):  # the final full exchange
            sealed = {n: bundle.build(o)[0] for n, o in offices.items()}
            for n, o in offices.items():
                for sender, data in sealed.items():
                    if sender != n:
                        bundle.import_bundle(o, Path(f"{sender}.mposync"), data)
        views = {n: _visible(o) for n, o in offices.items()}
        assert views["a"] == views["b"] == views["c"]
        with offices["a"].engine.connect() as conn:
            live = {r[0] for r in conn.exec_driver_sql("SELECT body FROM notes WHERE deleted = 0")}
        assert {b for b, k in notes.items() if k not in erased} <= live  # no edit lost
        found = {n: _conflicts(o) for n, o in offices.items()}
        assert found["a"] == found["b"] == found["c"]
        assert {c for c in found["a"] if c[0] == "constituents"} == _expected_conflicts(offices["a"])
        assert not {":".join(map(str, c)) for c in found["a"]} & answered  # an answer holds everywhere
        for n, o in offices.items():
            _groups_agree(o)
            for k in erased:
                assert scan_for(o, TOKENS[k]) == [], (n, TOKENS[k])
                assert TOKENS[k].encode() not in decrypted_file(o), (n, TOKENS[k])
    finally:
        for o in offices.values():
            o.close()
