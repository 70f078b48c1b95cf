"""analyze/availability: the one month iterator (report months, the diff's months touched) and `below_slo`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from generator.analyze.availability import MeasuredWindow, months_between, service_month

BERLIN = ZoneInfo("Europe/Berlin")


def test_months_between_includes_both_ends_and_crosses_the_year() -> None:
    start, end = datetime(2025, 11, 15, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert months_between(start, end) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]


def test_months_between_reads_months_in_the_zone() -> None:
    # 23:30 UTC on 31 October is already November in Berlin.
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert months_between(moment, moment) == [(2026, 10)]
    assert months_between(moment, moment, BERLIN) == [(2026, 11)]


def test_months_between_is_empty_when_the_end_is_in_an_earlier_month() -> None:
    assert months_between(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)) == []


def test_below_slo_compares_the_published_availability_with_the_slo() -> None:
    cutoff = datetime(2026, 12, 1, tzinfo=UTC)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    hour = [MeasuredWindow("api", "major_outage", start, start.replace(hour=1), "INC-1")]
    figure = service_month("api", 0.999, hour, 2026, 11, cutoff=cutoff)
    assert figure is not None and figure.availability < 0.999 and figure.below_slo
    figure = service_month("api", 0.99, hour, 2026, 11, cutoff=cutoff)
    assert figure is not None and not figure.below_slo
