"""The Register of Interests checker around the threshold, on a real office."""

from __future__ import annotations

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.services import interests as svc


def add(office, value, day, source="Acme Ltd", kind="gift", charity=False):
    return svc.add_entry(office, staff="Ann Manager", kind=kind, source=source,
                         value_pence=svc.parse_pounds(value), received_on=day, to_charity=charity)


def only(office, year):
    verdicts = svc.check(office, year=year)
    assert len(verdicts) == 1
    return verdicts[0]


def test_threshold_table_is_dated_data():
    assert svc.threshold_on("2019-03-31").pence == 37000
    assert svc.threshold_on("2019-04-01").pence == 39500
    assert svc.threshold_on("2025-01-01").pence == 45000
    assert all(t.source for t in svc.thresholds())


def test_exactly_the_threshold_is_not_registrable(office):
    add(office, "450", "2025-02-01")
    v = only(office, 2025)
    assert not v.must_register and "does not exceed the £450 threshold" in v.explanation


def test_a_penny_over_must_be_registered_within_28_days(office):
    e = add(office, "450.01", "2025-02-01")
    v = only(office, 2025)
    assert v.must_register and v.crossed_entry_id == e.id and v.crossed_on == "2025-02-01"
    assert v.register_by == "2025-03-01" and "register by 1 March 2025" in v.explanation


def test_cumulative_from_one_source_names_the_crossing_entry(office):
    add(office, "200", "2025-01-10")
    add(office, "200", "2025-04-10", source="ACME LTD")  # same source, other spelling
    third = add(office, "100", "2025-09-30")
    add(office, "400", "2025-06-01", source="Other plc")
    v = [x for x in svc.check(office, year=2025) if x.source.lower().startswith("acme")][0]
    assert v.must_register and v.total_pence == 50000 and v.crossed_entry_id == third.id
    assert v.register_by == "2025-10-28" and "cumulatively over 3 entries" in v.explanation
    other = [x for x in svc.check(office, year=2025) if x.source == "Other plc"][0]
    assert not other.must_register


def test_year_boundary_starts_again(office):
    add(office, "300", "2024-12-31")
    add(office, "300", "2025-01-01")
    verdicts = svc.check(office)
    assert [(v.year, v.must_register) for v in verdicts] == [(2024, False), (2025, False)]


def test_charity_still_counts(office):
    add(office, "500", "2025-05-05", charity=True, kind="employment")
    v = only(office, 2025)
    assert v.must_register and "passed to charity, which still counts" in v.explanation


def test_threshold_change_mid_year(office):
    # £300 in March 2024 (threshold £395) then £150 in May 2024 (threshold now £450): £450 is not over £450
    add(office, "300", "2024-03-01")
    add(office, "150", "2024-05-01")
    v = only(office, 2024)
    assert not v.must_register and v.threshold_pence == 45000
    # in 2019 the threshold rose from £370 to £395 in April: £380 in March had already crossed
    e = add(office, "380", "2019-03-15", source="Beta")
    v = only(office, 2019)
    assert v.must_register and v.crossed_entry_id == e.id and v.threshold_pence == 37000


def test_councillor_and_party_are_occupations(office):
    add(office, "6000", "2025-05-31", source="Burnley Borough Council", kind="councillor")
    v = only(office, 2025)
    assert v.must_register and "councillor's allowance (an occupation)" in v.explanation


def test_not_advantaged_with_reason_is_shown(office):
    e = add(office, "900", "2025-03-01", source="Bakery", kind="employment")
    svc.mark_not_advantaged(office, e.id[:20], "weekend job at a bakery, nothing to do with Parliament")
    v = only(office, 2025)
    assert not v.must_register and v.excluded[0].id == e.id
    assert "weekend job at a bakery" in v.explanation
    with pytest.raises(OfficeError):
        svc.mark_not_advantaged(office, e.id, "  ")


def test_bad_input_is_refused(office):
    with pytest.raises(OfficeError):
        add(office, "10", "2025-13-01")
    with pytest.raises(OfficeError):
        svc.add_entry(office, staff="Nobody", kind="gift", source="X", value_pence=1, received_on="2025-01-01")
    with pytest.raises(ValueError):
        svc.parse_pounds("ten pounds")
    assert svc.parse_pounds("£1,200.50") == 120050
