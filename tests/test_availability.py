"""Availability maths: hand-worked cases, then property tests against a brute-force reference."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analyze.availability import (
    LEVELS,
    DayFigure,
    MeasuredWindow,
    Segment,
    ServiceMonth,
    Weights,
    daily_downtime,
    day_bounds,
    merge_weighted,
    month_bounds,
    service_month,
    service_months,
)

BERLIN = ZoneInfo("Europe/Berlin")
AFTER_2026 = datetime(2030, 1, 1, tzinfo=UTC)  # a cut-off after every month used below


def at(text: str) -> datetime:
    """An aware datetime from RFC 3339 text (as written in incident records)."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, "test timestamps must carry an offset"
    return value


def window(
    start: str,
    end: str | None,
    level: str | None = "major_outage",
    incident: str = "INC-2026-001",
    *,
    service: str = "api",
    maintenance: bool = False,
) -> MeasuredWindow:
    return MeasuredWindow(service, level, at(start), None if end is None else at(end), incident, maintenance)


def month(windows: list[MeasuredWindow], year: int = 2026, number: int = 9, **kwargs) -> ServiceMonth:
    kwargs.setdefault("cutoff", AFTER_2026)
    figure = service_month("api", 0.999, windows, year, number, **kwargs)
    assert figure is not None
    return figure


# --- month bounds ---------------------------------------------------------------------------------------------


def test_month_bounds_utc_thirty_day_month() -> None:
    start, end = month_bounds(2026, 9, UTC)
    assert start == at("2026-09-01T00:00:00Z")
    assert end == at("2026-10-01T00:00:00Z")
    assert end - start == timedelta(days=30)


def test_month_bounds_december_rolls_into_next_year() -> None:
    start, end = month_bounds(2026, 12)
    assert (start, end) == (at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))


def test_month_bounds_rejects_month_13() -> None:
    with pytest.raises(ValueError, match="month"):
        month_bounds(2026, 13)


def test_leap_february_2028_is_29_days() -> None:
    figure = month([], 2028, 2)
    assert figure.length_minutes == 41760
    assert figure.error_budget_minutes == pytest.approx(41.76, abs=1e-12)


def test_berlin_month_starts_at_local_midnight() -> None:
    start, end = month_bounds(2026, 10, BERLIN)
    assert start == at("2026-09-30T22:00:00Z")  # CEST, UTC+2
    assert end == at("2026-10-31T23:00:00Z")  # CET, UTC+1


def test_berlin_october_2026_is_31_days_plus_one_hour() -> None:
    start, end = month_bounds(2026, 10, BERLIN)
    assert end - start == timedelta(days=31, hours=1)
    assert month([], 2026, 10, tz=BERLIN).length_minutes == 31 * 1440 + 60


def test_berlin_march_2026_is_31_days_minus_one_hour() -> None:
    assert month([], 2026, 3, tz=BERLIN).length_minutes == 31 * 1440 - 60


def test_day_bounds_on_dst_days_in_berlin() -> None:
    autumn_start, autumn_end = day_bounds(date(2026, 10, 25), BERLIN)
    spring_start, spring_end = day_bounds(date(2026, 3, 29), BERLIN)
    assert autumn_end - autumn_start == timedelta(hours=25)
    assert spring_end - spring_start == timedelta(hours=23)


# --- overlaps -------------------------------------------------------------------------------------------------


def test_single_window_counts_its_minutes() -> None:
    figure = month([window("2026-09-10T10:00:00Z", "2026-09-10T10:45:00Z")])
    assert figure.downtime_minutes == 45
    assert figure.availability == pytest.approx(1 - 45 / 43200, abs=1e-15)


def test_seconds_matter() -> None:
    figure = month([window("2026-09-10T10:00:00Z", "2026-09-10T10:00:30Z")])
    assert figure.downtime_minutes == 0.5


def test_overlapping_windows_are_not_counted_twice() -> None:
    figure = month(
        [
            window("2026-09-10T10:00:00Z", "2026-09-10T10:30:00Z", incident="INC-2026-001"),
            window("2026-09-10T10:15:00Z", "2026-09-10T11:00:00Z", incident="INC-2026-002"),
        ]
    )
    assert figure.downtime_minutes == 60
    assert figure.incident_ids == ("INC-2026-001", "INC-2026-002")


def test_nested_window_adds_nothing() -> None:
    figure = month(
        [
            window("2026-09-10T10:00:00Z", "2026-09-10T12:00:00Z"),
            window("2026-09-10T10:30:00Z", "2026-09-10T11:00:00Z", incident="INC-2026-002"),
        ]
    )
    assert figure.downtime_minutes == 120


def test_identical_windows_from_several_incidents_count_once() -> None:
    windows = [window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z", incident=f"INC-2026-00{n}") for n in (3, 1, 2)]
    figure = month(windows)
    assert figure.downtime_minutes == 60
    assert figure.incident_ids == ("INC-2026-001", "INC-2026-002", "INC-2026-003")


def test_adjacent_windows_add_up_and_merge_into_one_segment() -> None:
    windows = [
        window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z"),
        window("2026-09-10T11:00:00Z", "2026-09-10T12:00:00Z", incident="INC-2026-002"),
    ]
    assert month(windows).downtime_minutes == 120
    assert merge_weighted(windows, Weights(), cutoff=AFTER_2026) == [
        Segment(at("2026-09-10T10:00:00Z"), at("2026-09-10T12:00:00Z"), 1.0)
    ]


def test_partial_outage_inside_major_outage_adds_nothing() -> None:
    figure = month(
        [
            window("2026-09-10T10:00:00Z", "2026-09-10T12:00:00Z"),
            window("2026-09-10T10:30:00Z", "2026-09-10T11:30:00Z", "partial_outage", "INC-2026-002"),
        ]
    )
    assert figure.downtime_minutes == 120


def test_partial_outage_outlasting_major_outage_counts_at_its_weight() -> None:
    windows = [
        window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z"),
        window("2026-09-10T10:30:00Z", "2026-09-10T12:00:00Z", "partial_outage"),
    ]
    assert month(windows).downtime_minutes == 60 + 0.3 * 60
    assert merge_weighted(windows, Weights(), cutoff=AFTER_2026) == [
        Segment(at("2026-09-10T10:00:00Z"), at("2026-09-10T11:00:00Z"), 1.0),
        Segment(at("2026-09-10T11:00:00Z"), at("2026-09-10T12:00:00Z"), 0.3),
    ]


def test_major_outage_inside_partial_outage_splits_it() -> None:
    windows = [
        window("2026-09-10T10:00:00Z", "2026-09-10T13:00:00Z", "partial_outage"),
        window("2026-09-10T11:00:00Z", "2026-09-10T12:00:00Z"),
    ]
    assert [s.weight for s in merge_weighted(windows, Weights(), cutoff=AFTER_2026)] == [0.3, 1.0, 0.3]
    assert month(windows).downtime_minutes == pytest.approx(120 * 0.3 + 60, abs=1e-12)


def test_touching_levels_of_equal_weight_merge_into_one_segment() -> None:
    windows = [
        window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z", "partial_outage"),
        window("2026-09-10T11:00:00Z", "2026-09-10T12:00:00Z"),
    ]
    assert merge_weighted(windows, Weights(partial_outage=1.0), cutoff=AFTER_2026) == [
        Segment(at("2026-09-10T10:00:00Z"), at("2026-09-10T12:00:00Z"), 1.0)
    ]


def test_merged_segments_stop_at_the_cutoff() -> None:
    windows = [window("2026-09-10T10:00:00Z", None), window("2026-09-10T09:00:00Z", "2026-09-10T13:00:00Z")]
    segments = merge_weighted(windows, Weights(), cutoff=at("2026-09-10T12:00:00+02:00"))
    assert segments == [Segment(at("2026-09-10T09:00:00Z"), at("2026-09-10T10:00:00Z"), 1.0)]
    assert (segments[0].start.tzinfo, segments[0].end.tzinfo) == (UTC, UTC)  # always reported in UTC


def test_degraded_performance_is_shown_but_not_downtime() -> None:
    windows = [window("2026-09-10T10:00:00Z", "2026-09-10T12:00:00Z", "degraded_performance")]
    figure = month(windows)
    assert figure.downtime_minutes == 0
    assert figure.availability == 1.0
    assert figure.incident_ids == ("INC-2026-001",)
    assert merge_weighted(windows, Weights(), cutoff=AFTER_2026) == []


def test_custom_weights_apply() -> None:
    windows = [window("2026-09-10T10:00:00Z", "2026-09-10T12:00:00Z", "partial_outage")]
    assert month(windows, weights=Weights(partial_outage=0.5)).downtime_minutes == 60


def test_windows_of_other_services_are_ignored() -> None:
    figure = month([window("2026-09-10T10:00:00Z", "2026-09-10T12:00:00Z", service="web")])
    assert figure.downtime_minutes == 0
    assert figure.incident_ids == ()


def test_empty_and_inverted_windows_contribute_nothing() -> None:
    figure = month(
        [
            window("2026-09-10T10:00:00Z", "2026-09-10T10:00:00Z"),
            window("2026-09-10T12:00:00Z", "2026-09-10T11:00:00Z", incident="INC-2026-002"),
        ]
    )
    assert figure.downtime_minutes == 0
    assert figure.incident_ids == ()


def test_windows_outside_the_month_contribute_nothing() -> None:
    figure = month(
        [
            window("2026-08-31T10:00:00Z", "2026-09-01T00:00:00Z"),
            window("2026-10-01T00:00:00Z", "2026-10-01T02:00:00Z", incident="INC-2026-002"),
        ]
    )
    assert figure.downtime_minutes == 0
    assert figure.incident_ids == ()


def test_input_offsets_do_not_matter() -> None:
    plus_five = window("2026-09-10T15:00:00+05:00", "2026-09-10T16:00:00+05:00")
    utc = window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z")
    assert month([plus_five]) == month([utc])
    assert month([plus_five]).downtime_minutes == 60


# --- month boundaries and DST ---------------------------------------------------------------------------------


def test_window_across_month_boundary_is_split() -> None:
    windows = [window("2026-09-30T23:40:00Z", "2026-10-01T01:10:00Z")]
    assert month(windows, 2026, 9).downtime_minutes == 20
    assert month(windows, 2026, 10).downtime_minutes == 70
    assert month(windows, 2026, 9).incident_ids == month(windows, 2026, 10).incident_ids == ("INC-2026-001",)


def test_month_boundary_is_local_midnight_in_report_zone() -> None:
    # 01:40-03:10 on 1 October in Berlin: entirely October there.
    windows = [window("2026-09-30T23:40:00Z", "2026-10-01T01:10:00Z")]
    assert month(windows, 2026, 9, tz=BERLIN).downtime_minutes == 0
    assert month(windows, 2026, 10, tz=BERLIN).downtime_minutes == 90


def test_window_across_autumn_dst_night_counts_real_elapsed_time() -> None:
    # 00:30 CEST to 03:30 CET on 25 October 2026: three hours on the wall clock, four hours elapsed.
    start = datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN)
    end = datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN)
    windows = [MeasuredWindow("api", "major_outage", start, end, "INC-2026-001", False)]
    assert month(windows, 2026, 10, tz=BERLIN).downtime_minutes == 240
    assert month(windows, 2026, 10).downtime_minutes == 240  # the report zone does not change elapsed time


def test_window_across_spring_dst_night_counts_real_elapsed_time() -> None:
    # 00:30 CET to 03:30 CEST on 29 March 2026: three hours on the wall clock, two hours elapsed.
    start = datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    windows = [MeasuredWindow("api", "major_outage", start, end, "INC-2026-001", False)]
    assert month(windows, 2026, 3, tz=BERLIN).downtime_minutes == 120


# --- ongoing windows and the cut-off --------------------------------------------------------------------------


def test_ongoing_window_counts_to_cutoff_and_is_provisional() -> None:
    cutoff = at("2026-09-10T12:00:00Z")
    figure = month([window("2026-09-10T10:00:00Z", None)], cutoff=cutoff)
    assert figure.downtime_minutes == 120
    assert figure.provisional is True
    assert figure.month_complete is False
    assert figure.length_minutes == 9 * 1440 + 12 * 60


def test_ongoing_window_from_an_earlier_month_fills_the_rest_of_it() -> None:
    cutoff = at("2026-10-02T00:00:00Z")
    windows = [window("2026-09-30T23:00:00Z", None)]
    september = month(windows, 2026, 9, cutoff=cutoff)
    assert september.downtime_minutes == 60
    assert september.provisional is True
    assert september.month_complete is True
    assert september.length_minutes == 43200
    assert month(windows, 2026, 10, cutoff=cutoff).downtime_minutes == 1440


def test_ongoing_window_in_another_month_does_not_make_this_one_provisional() -> None:
    figure = month([window("2026-10-05T00:00:00Z", None)], 2026, 9, cutoff=at("2026-10-06T00:00:00Z"))
    assert figure.provisional is False
    assert figure.downtime_minutes == 0


def test_closed_window_is_not_provisional() -> None:
    assert month([window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z")]).provisional is False


def test_cutoff_inside_month_shortens_the_month() -> None:
    cutoff = at("2026-09-15T06:30:00Z")
    figure = month([], cutoff=cutoff)
    assert figure.length_minutes == 14 * 1440 + 390
    assert figure.error_budget_minutes == pytest.approx(0.001 * (14 * 1440 + 390), abs=1e-12)
    assert figure.availability == 1.0
    assert figure.provisional is False
    assert figure.month_complete is False


def test_closed_window_past_the_cutoff_is_clipped() -> None:
    figure = month([window("2026-09-15T06:00:00Z", "2026-09-15T09:00:00Z")], cutoff=at("2026-09-15T06:30:00Z"))
    assert figure.downtime_minutes == 30


def test_cutoff_in_report_zone_is_compared_as_an_instant() -> None:
    # 00:30 on 1 October in Berlin is still 30 September in UTC: October has not started there.
    cutoff = datetime(2026, 10, 1, 0, 30, tzinfo=BERLIN)
    assert service_month("api", 0.999, [], 2026, 10, cutoff=cutoff) is None
    assert month([], 2026, 10, tz=BERLIN, cutoff=cutoff).length_minutes == 30


def test_month_after_cutoff_has_no_figure() -> None:
    assert service_month("api", 0.999, [], 2026, 10, cutoff=at("2026-09-20T00:00:00Z")) is None
    assert service_month("api", 0.999, [], 2026, 10, cutoff=at("2026-10-01T00:00:00Z")) is None
    assert service_month("api", 0.999, [], 2026, 10, cutoff=at("2026-10-01T00:00:01Z")) is not None


# --- maintenance ----------------------------------------------------------------------------------------------


def test_maintenance_is_not_downtime_but_is_reported() -> None:
    figure = month(
        [
            window("2026-09-12T02:00:00Z", "2026-09-12T04:00:00Z", incident="INC-2026-009", maintenance=True),
            window("2026-09-12T03:00:00Z", "2026-09-12T05:00:00Z", incident="INC-2026-008", maintenance=True),
        ]
    )
    assert figure.downtime_minutes == 0
    assert figure.availability == 1.0
    assert figure.maintenance_minutes == 180  # overlapping maintenance is not counted twice either
    assert figure.maintenance_ids == ("INC-2026-008", "INC-2026-009")
    assert figure.incident_ids == ()


def test_an_unassessed_window_counts_for_nothing_until_its_level_is_set() -> None:
    """`level: null` (not assessed yet): no downtime, no maintenance, no incident of the month, no day with impact."""
    assessed = window("2026-09-12T03:00:00Z", "2026-09-12T03:20:00Z", incident="INC-2026-010")
    unassessed = [
        window("2026-09-12T02:00:00Z", None, level=None, incident="INC-2026-011"),
        window("2026-09-14T02:00:00Z", "2026-09-14T04:00:00Z", None, "INC-2026-012", maintenance=True),
    ]
    figure = month([assessed, *unassessed])
    assert figure == month([assessed])
    assert (figure.downtime_minutes, figure.maintenance_minutes, figure.incident_ids) == (20, 0, ("INC-2026-010",))
    assert not figure.provisional  # the open window is not measured, so nothing is provisional
    assert merge_weighted(unassessed, Weights(), cutoff=AFTER_2026) == []
    days = daily_downtime("api", unassessed, date(2026, 9, 12), 3, cutoff=AFTER_2026)
    assert [(d.downtime_minutes, d.worst_level, d.maintenance_minutes, d.incident_ids) for d in days] == [
        (0.0, None, 0.0, ())
    ] * 3


def test_outage_during_maintenance_still_counts() -> None:
    figure = month(
        [
            window("2026-09-12T02:00:00Z", "2026-09-12T04:00:00Z", incident="INC-2026-009", maintenance=True),
            window("2026-09-12T03:00:00Z", "2026-09-12T03:20:00Z", incident="INC-2026-010"),
        ]
    )
    assert figure.downtime_minutes == 20
    assert figure.maintenance_minutes == 120


def test_ongoing_maintenance_is_provisional() -> None:
    cutoff = at("2026-09-12T03:00:00Z")
    figure = month([window("2026-09-12T02:00:00Z", None, maintenance=True)], cutoff=cutoff)
    assert figure.maintenance_minutes == 60
    assert figure.provisional is True


# --- empty months and error budget ----------------------------------------------------------------------------


def test_empty_month_is_exactly_available() -> None:
    figure = month([])
    assert figure.availability == 1.0
    assert figure.downtime_minutes == 0.0
    assert figure.maintenance_minutes == 0.0
    assert figure.provisional is False
    assert figure.month_complete is True
    assert figure.error_budget_used_minutes == 0.0
    assert figure.error_budget_used_percent == 0.0
    assert figure.month == "2026-09"


def test_error_budget_of_three_nines_in_a_thirty_day_month() -> None:
    figure = month([])
    assert figure.length_minutes == 43200
    assert figure.slo == 0.999
    assert figure.error_budget_minutes == 43.2


@pytest.mark.parametrize(
    ("end", "used_minutes", "percent"),
    [
        ("2026-09-10T10:21:36Z", 21.6, 50.0),
        ("2026-09-10T10:43:12Z", 43.2, 100.0),
        ("2026-09-10T11:26:24Z", 86.4, 200.0),
    ],
)
def test_error_budget_used(end: str, used_minutes: float, percent: float) -> None:
    figure = month([window("2026-09-10T10:00:00Z", end)])
    assert figure.error_budget_used_minutes == pytest.approx(used_minutes, abs=1e-12)
    assert figure.downtime_minutes == figure.error_budget_used_minutes
    assert figure.error_budget_used_percent == pytest.approx(percent, abs=1e-12)


def test_error_budget_follows_the_slo() -> None:
    figure = service_month("api", 0.99, [], 2026, 9, cutoff=AFTER_2026)
    assert figure is not None
    assert figure.error_budget_minutes == 432.0


def test_service_months_sorted_by_service() -> None:
    windows = [
        window("2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z", service="web"),
        window("2026-09-10T10:00:00Z", "2026-09-10T10:30:00Z", service="api"),
    ]
    figures = service_months({"web": 0.99, "api": 0.999}, windows, 2026, 9, cutoff=AFTER_2026)
    assert [(f.service, f.slo, f.downtime_minutes) for f in figures] == [("api", 0.999, 30), ("web", 0.99, 60)]
    assert service_months({"api": 0.999}, windows, 2026, 9, cutoff=at("2026-08-01T00:00:00Z")) == []


# --- validation -----------------------------------------------------------------------------------------------


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MeasuredWindow("api", "major_outage", datetime(2026, 9, 1), None, "INC-2026-001", False)


def test_naive_end_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MeasuredWindow("api", "major_outage", at("2026-09-01T00:00:00Z"), datetime(2026, 9, 2), "INC-2026-001", False)


def test_naive_cutoff_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        service_month("api", 0.999, [], 2026, 9, cutoff=datetime(2026, 10, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        merge_weighted([], Weights(), cutoff=datetime(2026, 10, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        daily_downtime("api", [], date(2026, 9, 1), 1, cutoff=datetime(2026, 10, 1))


def test_unknown_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="impact level"):
        MeasuredWindow("api", "outage", at("2026-09-01T00:00:00Z"), None, "INC-2026-001", False)


@pytest.mark.parametrize("slo", [0.0, 1.0, 99.9, -0.5])
def test_slo_must_be_a_fraction(slo: float) -> None:
    with pytest.raises(ValueError, match="slo"):
        service_month("api", slo, [], 2026, 9, cutoff=AFTER_2026)


@pytest.mark.parametrize(
    "weights",
    [
        {"partial_outage": 1.5, "major_outage": 2.0},
        {"partial_outage": -0.1},
        {"degraded_performance": 0.5},  # above partial_outage: no longer monotonic
    ],
)
def test_weights_must_be_monotonic_fractions(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="weights"):
        Weights(**weights)


def test_days_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="days"):
        daily_downtime("api", [], date(2026, 9, 1), -1, cutoff=AFTER_2026)


def test_first_day_must_be_a_date() -> None:
    with pytest.raises(TypeError, match="first_day"):
        daily_downtime("api", [], datetime(2026, 9, 1, tzinfo=UTC), 1, cutoff=AFTER_2026)


# --- daily figures --------------------------------------------------------------------------------------------


def test_daily_figures_split_at_local_midnight() -> None:
    windows = [
        window("2026-09-10T23:00:00Z", "2026-09-11T00:30:00Z"),
        window("2026-09-11T08:00:00Z", "2026-09-11T09:00:00Z", "degraded_performance", "INC-2026-002"),
        window("2026-09-12T02:00:00Z", "2026-09-12T03:00:00Z", incident="INC-2026-003", maintenance=True),
    ]
    assert daily_downtime("api", windows, date(2026, 9, 10), 4, cutoff=AFTER_2026) == [
        DayFigure(date(2026, 9, 10), 60, "major_outage", 0, 1440, ("INC-2026-001",)),
        DayFigure(date(2026, 9, 11), 30, "major_outage", 0, 1440, ("INC-2026-001", "INC-2026-002")),
        DayFigure(date(2026, 9, 12), 0, None, 60, 1440, ()),
        DayFigure(date(2026, 9, 13), 0, None, 0, 1440, ()),
    ]


def test_daily_worst_level_is_degraded_when_only_degraded() -> None:
    windows = [window("2026-09-10T08:00:00Z", "2026-09-10T09:00:00Z", "degraded_performance")]
    [figure] = daily_downtime("api", windows, date(2026, 9, 10), 1, cutoff=AFTER_2026)
    assert figure.worst_level == "degraded_performance"
    assert figure.downtime_minutes == 0


def test_daily_figures_stop_at_the_cutoff() -> None:
    cutoff = at("2026-09-11T06:00:00Z")
    figures = daily_downtime("api", [window("2026-09-11T05:00:00Z", None)], date(2026, 9, 10), 3, cutoff=cutoff)
    assert [(f.day.day, f.downtime_minutes, f.length_minutes) for f in figures] == [
        (10, 0, 1440),
        (11, 60, 360),
        (12, 0, 0),
    ]
    assert figures[2].worst_level is None


def test_daily_figures_on_berlin_dst_days() -> None:
    start = datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN)
    end = datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN)
    windows = [MeasuredWindow("api", "partial_outage", start, end, "INC-2026-001", False)]
    figures = daily_downtime("api", windows, date(2026, 10, 24), 3, cutoff=AFTER_2026, tz=BERLIN)
    assert [f.length_minutes for f in figures] == [1440, 1500, 1440]
    assert figures[1].downtime_minutes == pytest.approx(0.3 * 240, abs=1e-12)
    assert [
        f.length_minutes for f in daily_downtime("api", [], date(2026, 3, 29), 1, cutoff=AFTER_2026, tz=BERLIN)
    ] == [1380]


def test_ninety_days_are_listed_in_order() -> None:
    figures = daily_downtime("api", [], date(2026, 8, 1), 90, cutoff=AFTER_2026)
    assert [f.day for f in figures] == [date(2026, 8, 1) + timedelta(days=n) for n in range(90)]


# --- property tests against a brute-force reference ------------------------------------------------------------

WEIGHTS = Weights()
SERVICES = ("api", "web")
INCIDENTS = ("INC-2026-001", "INC-2026-002", "INC-2026-003")


Grid = tuple[datetime, int, timedelta]  # origin, number of steps, step


@st.composite
def scenarios(draw: st.DrawFn, grid: Grid) -> tuple[list[MeasuredWindow], datetime]:
    """Windows on a grid of ``units`` steps of ``unit`` from ``origin``, and a cut-off on the same grid."""
    origin, units, unit = grid
    offsets = st.integers(min_value=0, max_value=units)
    windows = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        start = draw(offsets)
        end = draw(st.one_of(st.none(), offsets))  # None: ongoing; end <= start: empty
        windows.append(
            MeasuredWindow(
                service=draw(st.sampled_from(SERVICES)),
                level=draw(st.sampled_from(LEVELS)),
                start=origin + start * unit,
                end=None if end is None else origin + end * unit,
                incident_id=draw(st.sampled_from(INCIDENTS)),
                maintenance=draw(st.sampled_from((False, False, True))),
            )
        )
    cutoff = origin + draw(offsets) * unit  # on the grid too, so ongoing windows end inside it
    return windows, cutoff


def brute_force(
    windows: list[MeasuredWindow], cutoff: datetime, start: datetime, end: datetime, grid: Grid
) -> tuple[dict[float, int], int, set[str], set[str], bool]:
    """Walk [start, min(end, cutoff)) one unit at a time: units per max weight, maintenance units, ids touched.

    Only the grid is walked: every window and the cut-off lie on it, so nothing is in force outside it.
    """
    origin, units, unit = grid
    per_weight: dict[float, int] = {}
    maintenance_units = 0
    incidents: set[str] = set()
    maintenance_ids: set[str] = set()
    provisional = False
    t = max(start, origin)
    while t < min(end, cutoff, origin + units * unit):
        in_force = [w for w in windows if w.service == "api" and w.start <= t < (w.end or cutoff)]
        outages = [w for w in in_force if not w.maintenance]
        if outages:
            weight = max(WEIGHTS.of(w.level) for w in outages)
            if weight:
                per_weight[weight] = per_weight.get(weight, 0) + 1
        maintenance_units += any(w.maintenance for w in in_force)
        incidents |= {w.incident_id for w in outages}
        maintenance_ids |= {w.incident_id for w in in_force if w.maintenance}
        provisional = provisional or any(w.end is None for w in in_force)
        t += unit
    return per_weight, maintenance_units, incidents, maintenance_ids, provisional


def minutes(count: int, unit: timedelta) -> float:
    return count * unit.total_seconds() / 60


def check_month(windows: list[MeasuredWindow], cutoff: datetime, year: int, number: int, grid: Grid) -> None:
    start, end = datetime(year, number, 1, tzinfo=UTC), datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    figure = service_month("api", 0.999, windows, year, number, cutoff=cutoff)
    if cutoff <= start:
        assert figure is None
        return
    assert figure is not None
    per_weight, maintenance_units, incidents, maintenance_ids, provisional = brute_force(
        windows, cutoff, start, end, grid
    )
    unit = grid[2]
    downtime = sum(weight * minutes(count, unit) for weight, count in per_weight.items())
    length = (min(end, cutoff) - start).total_seconds() / 60
    assert math.isclose(figure.downtime_minutes, downtime, rel_tol=0, abs_tol=1e-9)
    assert figure.maintenance_minutes == minutes(maintenance_units, unit)
    assert figure.length_minutes == length
    assert math.isclose(figure.availability, 1 - downtime / length, rel_tol=0, abs_tol=1e-12)
    assert math.isclose(figure.error_budget_used_percent, downtime / (0.001 * length) * 100, rel_tol=1e-9)
    assert figure.incident_ids == tuple(sorted(incidents))
    assert figure.maintenance_ids == tuple(sorted(maintenance_ids))
    assert figure.provisional is provisional
    assert figure.month_complete is (end <= cutoff)


# Ten days of minutes, and two hours of seconds, across the September/October boundary.
MINUTE_GRID: Grid = (datetime(2026, 9, 25, tzinfo=UTC), 10 * 1440, timedelta(minutes=1))
SECOND_GRID: Grid = (datetime(2026, 9, 30, 23, tzinfo=UTC), 2 * 3600, timedelta(seconds=1))


@settings(max_examples=60, deadline=None)
@given(scenarios(MINUTE_GRID))
def test_minute_granular_months_match_brute_force(scenario: tuple[list[MeasuredWindow], datetime]) -> None:
    windows, cutoff = scenario
    check_month(windows, cutoff, 2026, 9, MINUTE_GRID)
    check_month(windows, cutoff, 2026, 10, MINUTE_GRID)


@settings(max_examples=60, deadline=None)
@given(scenarios(SECOND_GRID))
def test_second_granular_months_match_brute_force(scenario: tuple[list[MeasuredWindow], datetime]) -> None:
    windows, cutoff = scenario
    check_month(windows, cutoff, 2026, 9, SECOND_GRID)
    check_month(windows, cutoff, 2026, 10, SECOND_GRID)


@settings(max_examples=60, deadline=None)
@given(scenarios(SECOND_GRID))
def test_merged_segments_match_brute_force(scenario: tuple[list[MeasuredWindow], datetime]) -> None:
    windows, cutoff = scenario
    api = [w for w in windows if w.service == "api"]
    segments = merge_weighted(api, WEIGHTS, cutoff=cutoff)
    for before, after in pairwise(segments):
        assert before.end <= after.start, "sorted and non-overlapping"
        assert before.end < after.start or before.weight != after.weight, "touching equal weights are merged"
    assert all(s.start < s.end and s.weight > 0 for s in segments)

    origin, units, unit = SECOND_GRID
    t = origin
    while t < origin + units * unit:
        expected = max(
            (WEIGHTS.of(w.level) for w in api if not w.maintenance and w.start <= t < min(w.end or cutoff, cutoff)),
            default=0.0,
        )
        found = [s.weight for s in segments if s.start <= t < s.end]
        assert found == ([expected] if expected else [])
        t += unit


DST_GRID: Grid = (datetime(2026, 10, 23, 22, tzinfo=UTC), 4 * 1440, timedelta(minutes=1))  # from 24 Oct, Berlin


@settings(max_examples=40, deadline=None)
@given(scenarios(DST_GRID))
def test_berlin_daily_figures_across_dst_match_brute_force(scenario: tuple[list[MeasuredWindow], datetime]) -> None:
    windows, cutoff = scenario
    figures = daily_downtime("api", windows, date(2026, 10, 24), 3, cutoff=cutoff, tz=BERLIN)
    assert [f.day for f in figures] == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]

    # Reference: label every minute with its Berlin calendar date, independently of day_bounds.
    per_day: dict[date, dict[str, float]] = {f.day: {"down": 0.0, "maint": 0.0, "length": 0.0} for f in figures}
    worst: dict[date, int] = {}
    ids: dict[date, set[str]] = {}  # incidents with an outage in force during the day
    origin, units, unit = DST_GRID
    t = origin
    while t < origin + units * unit:
        day = t.astimezone(BERLIN).date()
        if day in per_day and t < cutoff:
            in_force = [w for w in windows if w.service == "api" and w.start <= t < (w.end or cutoff)]
            outages = [w for w in in_force if not w.maintenance]
            per_day[day]["length"] += 1
            per_day[day]["down"] += max((WEIGHTS.of(w.level) for w in outages), default=0.0)
            per_day[day]["maint"] += any(w.maintenance for w in in_force)
            if outages:
                worst[day] = max(worst.get(day, -1), *(LEVELS.index(w.level) for w in outages))
            ids.setdefault(day, set()).update(w.incident_id for w in outages)
        t += unit

    for figure in figures:
        assert figure.incident_ids == tuple(sorted(ids.get(figure.day, ())))
        expected = per_day[figure.day]
        assert math.isclose(figure.downtime_minutes, expected["down"], rel_tol=0, abs_tol=1e-9)
        assert figure.maintenance_minutes == expected["maint"]
        assert figure.length_minutes == expected["length"]
        assert figure.worst_level == (LEVELS[worst[figure.day]] if figure.day in worst else None)


def test_a_service_without_an_objective_has_availability_but_no_budget() -> None:
    """A service written from public sources has no SLO on record (slo null): its availability is the same as with
    one; it has no error budget and is never "below" an objective it does not have."""
    windows = [window("2026-10-10T10:00:00Z", "2026-10-10T10:43:12Z")]
    cutoff = at("2026-11-01T00:00:00Z")
    without = service_month("api", None, windows, 2026, 10, cutoff=cutoff)
    with_slo = service_month("api", 0.9999, windows, 2026, 10, cutoff=cutoff)
    assert without is not None and with_slo is not None
    assert without.availability == with_slo.availability and without.downtime_minutes == 43.2
    assert (without.slo, without.error_budget_minutes, without.error_budget_used_percent) == (None, None, None)
    assert not without.below_slo and with_slo.below_slo
