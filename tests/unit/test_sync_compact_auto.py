"""The op history compacts itself at the end of a sync round once enough of it is acknowledged by every
machine (sync.compact.compact_if_due), in bounded steps, and nothing a person sees changes."""

from __future__ import annotations

from mpoffice_tui.db.models import Constituent
from mpoffice_tui.sync import auto, compact, state


def _ops(office) -> int:
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM ops").scalar() or 0)


def _compacted(office) -> dict[str, int]:
    with office.engine.connect() as conn:
        return state.compacted(conn)


def _phones(office) -> list[tuple[str, str]]:
    with office.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT id, phone FROM constituents ORDER BY id")]


def _edit(office, times: int) -> str:
    """One new person whose phone is changed `times` times (each change supersedes the one before)."""
    with office.writing() as w:
        pid = w.insert(Constituent, forenames="Jo", surname="Often", phone="0").id
    for i in range(times):
        with office.writing() as w:
            w.update(w.get(Constituent, pid), phone=f"0{i + 1}")
    return pid


def _round(a, b, folder) -> auto.SyncResult:
    """A exports, B takes it and answers (acknowledging), A takes B's answer: A's result."""
    auto.sync_folder_once(a, folder)
    auto.sync_folder_once(b, folder)
    return auto.sync_folder_once(a, folder)


def test_a_sync_round_compacts_what_every_machine_acknowledged(pair, tmp_path, monkeypatch):
    a, b = pair
    monkeypatch.setattr(compact, "AUTO_EVERY", 10)
    folder = tmp_path / "shared"
    folder.mkdir()
    _edit(a, 30)
    before = _ops(a)
    result = _round(a, b, folder)
    assert result.online and result.compacted > 0
    assert _ops(a) < before  # it ran by itself: nobody called compact
    assert _compacted(a).get(a.site_id, 0) > 0
    assert _phones(a) == _phones(b)  # nothing a person sees changed
    pid = _edit(a, 1)  # later edits still travel and win
    _round(a, b, folder)
    assert dict(_phones(b))[pid] == "01"


def test_nothing_is_compacted_before_enough_has_built_up(pair, tmp_path, monkeypatch):
    a, b = pair
    monkeypatch.setattr(compact, "AUTO_EVERY", 10_000)
    folder = tmp_path / "shared"
    folder.mkdir()
    start = _compacted(a)
    _edit(a, 30)
    result = _round(a, b, folder)
    assert result.online and result.compacted == 0 and _compacted(a) == start
    assert compact.pending(a) >= 30


def test_one_round_compacts_a_bounded_step_and_the_next_rounds_go_on(pair, tmp_path, monkeypatch):
    a, b = pair
    monkeypatch.setattr(compact, "AUTO_EVERY", 5)
    monkeypatch.setattr(compact, "AUTO_MOST", 8)
    folder = tmp_path / "shared"
    folder.mkdir()
    _edit(a, 40)
    auto.sync_folder_once(a, folder)
    auto.sync_folder_once(b, folder)  # B holds it all now, and says so in its bundle
    steps = [_compacted(a).get(a.site_id, 0)]
    for _ in range(3):  # each round one bounded step, not the whole history in one transaction
        assert auto.sync_folder_once(a, folder).compacted > 0
        steps.append(_compacted(a).get(a.site_id, 0))
    assert all(0 < later - earlier <= 8 for earlier, later in zip(steps, steps[1:], strict=False)), steps
    auto.sync_folder_once(b, folder)
    assert _phones(a) == _phones(b)
