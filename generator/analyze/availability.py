"""Availability per service and calendar month, from impact windows.

Pure functions: no file, clock or environment access. The cut-off instant ("as of when") is always passed in,
so the same inputs always give the same figures.

Rules (the domain notes, "What people measure"):

* Downtime is the integral over time of the weight of the worst impact level in force at each instant, so
  overlapping or nested windows are never counted twice.
* A window whose level is not assessed yet (None) counts for nothing: no downtime, no maintenance, no incident
  of the month, until its level is set.
* Maintenance windows are never downtime; their (de-duplicated) duration is reported separately. An unplanned
  window that overlaps maintenance still counts: maintenance does not mask an outage.
* Time after the cut-off is not measured: ongoing windows (end None) run to the cut-off and make the figure
  provisional; windows ending after the cut-off are clipped to it; the current month is measured from its
  start to the cut-off.
* Month and day boundaries are local midnight in the report time zone, but every duration is real elapsed time
  (computed in UTC), so a DST month is 743 or 745 hours long.

All arithmetic is exact (``fractions.Fraction`` over whole microseconds); each published float is rounded once.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Protocol

from generator.vocabulary import IMPACT_LEVELS

# Impact levels, least to most severe: the index is the level's rank.
LEVELS: tuple[str, ...] = IMPACT_LEVELS  # mildest first: a window counts at the worst level in force
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

_MICROSECOND = timedelta(microseconds=1)
_SECONDS_PER_MINUTE = 60


# --- inputs ---------------------------------------------------------------------------------------------------


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime has no defined instant: guessing its zone would silently shift downtime between months.
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True)
class MeasuredWindow:
    """One impact window of one service as availability measures it: a window of an incident's ``impact`` list
    (model.ImpactWindow, the record's window with its note) with the incident it belongs to.

    ``maintenance`` is True for windows of ``kind: maintenance`` records. ``end`` is None while ongoing.
    ``level`` is None while the impact is not assessed: such a window is measured as if it were not there.
    """

    service: str
    level: str | None
    start: datetime
    end: datetime | None
    incident_id: str
    maintenance: bool = False

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in _RANK:
            raise ValueError(f"unknown impact level {self.level!r}; expected one of {', '.join(LEVELS)}")
        _require_aware("start", self.start)
        if self.end is not None:
            _require_aware("end", self.end)


class _Window(Protocol):  # read-only, as the models' frozen dataclasses are
    @property
    def service(self) -> str: ...
    @property
    def level(self) -> str | None: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime | None: ...


class _Incident(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def impact(self) -> Sequence[_Window]: ...


def incident_windows(incidents: Iterable[_Incident], *, ending_after: datetime | None = None) -> list[MeasuredWindow]:
    """The impact windows of incidents, public or internal, as availability measures them; with `ending_after`,
    only those still open then or ending later (a caller measuring recent months reads no others)."""
    return [
        MeasuredWindow(w.service, w.level, w.start, w.end, incident.id, maintenance=incident.kind == "maintenance")
        for incident in incidents
        for w in incident.impact
        if ending_after is None or w.end is None or w.end > ending_after
    ]


@dataclass(frozen=True)
class Weights:
    """How much of an instant each impact level counts as downtime (a setting printed next to every figure)."""

    major_outage: float = 1.0
    partial_outage: float = 0.3
    degraded_performance: float = 0.0

    def __post_init__(self) -> None:
        # Monotonic weights make "worst level in force" and "highest weight in force" the same thing.
        if not 0.0 <= self.degraded_performance <= self.partial_outage <= self.major_outage <= 1.0:
            raise ValueError(
                "weights must satisfy 0 <= degraded_performance <= partial_outage <= major_outage <= 1, got "
                f"{self.degraded_performance}, {self.partial_outage}, {self.major_outage}"
            )

    def of(self, level: str) -> float:
        if level not in _RANK:
            raise ValueError(f"unknown impact level {level!r}")
        return float(getattr(self, level))

    @cached_property
    def exact(self) -> tuple[Fraction, ...]:
        """The weight of each level in LEVELS order, as the exact decimal it was written as."""
        return tuple(_decimal(self.of(level)) for level in LEVELS)


# --- outputs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Segment:
    """A stretch of time (UTC) during which downtime accrues at a constant ``weight`` (> 0)."""

    start: datetime
    end: datetime
    weight: float


@dataclass(frozen=True)
class ServiceMonth:
    """A service's availability in one calendar month of the report time zone.

    ``length_minutes`` runs to the cut-off for the current month (``month_complete`` False). ``provisional``
    is True when an ongoing window overlaps the measured period. Budget figures are in minutes of the
    measured period; ``error_budget_used_percent`` can exceed 100.
    """

    service: str
    month: str
    availability: float
    downtime_minutes: float
    maintenance_minutes: float
    length_minutes: float
    slo: float | None  # None: the service has no objective on record (no budget, never below it)
    below_slo: bool  # the published availability is below the SLO
    error_budget_minutes: float | None
    error_budget_used_minutes: float
    error_budget_used_percent: float | None
    provisional: bool
    month_complete: bool
    incident_ids: tuple[str, ...]
    maintenance_ids: tuple[str, ...]


@dataclass(frozen=True)
class DayFigure:
    """One local calendar day of one service, for the uptime bar chart.

    ``length_minutes`` is the measured part of the day: 1380 or 1500 on DST days, less on the cut-off day and
    0 for days after the cut-off. ``worst_level`` includes degraded_performance (shown, but not downtime).
    """

    day: date
    downtime_minutes: float
    worst_level: str | None
    maintenance_minutes: float
    length_minutes: float
    incident_ids: tuple[str, ...]


# --- time -----------------------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo subtract and compare by wall clock, ignoring DST; UTC never lies.
    return value.astimezone(UTC)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # fold=0 maps a midnight skipped by a DST jump onto the jump itself, which is where the day really begins.
    return _utc(datetime(day.year, day.month, day.day, tzinfo=tz))


def day_bounds(day: date, tz: tzinfo = UTC) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a local calendar day, as UTC instants."""
    return _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz)


def month_bounds(year: int, month: int, tz: tzinfo = UTC) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a calendar month in ``tz``, as UTC instants.

    Returned in UTC so that ``end - start`` is real elapsed time (e.g. 745 hours for October in Europe/Berlin).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _local_midnight(date(year, month, 1), tz), _local_midnight(following, tz)


def months_between(start: datetime, end: datetime, tz: tzinfo = UTC) -> list[tuple[int, int]]:
    """Every calendar month of ``tz`` from the one holding ``start`` to the one holding ``end``, both included,
    oldest first, as (year, month); [] when ``end`` falls in an earlier month than ``start``."""
    first, last = _month_index(start.astimezone(tz)), _month_index(end.astimezone(tz))
    return [(index // 12, index % 12 + 1) for index in range(first, last + 1)]


def _month_index(moment: datetime) -> int:
    """Months since the year 0: consecutive months have consecutive indexes."""
    return moment.year * 12 + moment.month - 1


def _seconds(delta: timedelta) -> Fraction:
    return Fraction(delta // _MICROSECOND, 1_000_000)


def _minutes(seconds: Fraction) -> float:
    return float(seconds / _SECONDS_PER_MINUTE)


@lru_cache(maxsize=256)  # every service of a monthly report charts the same days
def _local_days(first_day: date, days: int, tz: tzinfo) -> tuple[tuple[date, datetime, datetime], ...]:
    """Each day with its start and end as UTC instants; a day begins where the one before it ended."""
    span = []
    end = _local_midnight(first_day, tz)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start, end = end, _local_midnight(day + timedelta(days=1), tz)
        span.append((day, start, end))
    return tuple(span)


@lru_cache(maxsize=64)  # a day lasts 1,440 minutes, or 1,380 or 1,500 on a DST change, or up to the cut-off
def _elapsed_minutes(delta: timedelta) -> float:
    return _minutes(_seconds(delta))


def _decimal(value: float) -> Fraction:
    # Weights and SLOs are written as decimals in YAML; repr() recovers that decimal exactly, so a 0.999 SLO
    # over 30 days leaves exactly 43.2 minutes of budget rather than 43.20000000000004.
    return Fraction(repr(float(value)))


def _overlap(start: datetime, end: datetime, period_start: datetime, period_end: datetime) -> timedelta:
    return max(min(end, period_end) - max(start, period_start), timedelta(0))


# --- merging --------------------------------------------------------------------------------------------------


def _span(window: MeasuredWindow, cutoff: datetime) -> tuple[datetime, datetime]:
    """The window in UTC, ongoing or not, clipped to the cut-off (may be empty: end <= start)."""
    end = cutoff if window.end is None else min(_utc(window.end), cutoff)
    return _utc(window.start), end


def _rank_segments(spans: Iterable[tuple[datetime, datetime, int]]) -> list[tuple[datetime, datetime, int]]:
    """Sweep line: at each instant keep only the highest rank in force; adjacent equal ranks are joined."""
    deltas: dict[datetime, list[int]] = {}
    for start, end, rank in spans:
        if end <= start:
            continue  # empty or inverted windows contribute nothing
        deltas.setdefault(start, [0] * len(LEVELS))[rank] += 1
        deltas.setdefault(end, [0] * len(LEVELS))[rank] -= 1

    segments: list[tuple[datetime, datetime, int]] = []
    in_force = [0] * len(LEVELS)
    previous: datetime | None = None
    for instant in sorted(deltas):
        top = max((rank for rank, count in enumerate(in_force) if count), default=None)
        if previous is not None and top is not None:
            if segments and segments[-1][1] == previous and segments[-1][2] == top:
                segments[-1] = (segments[-1][0], instant, top)
            else:
                segments.append((previous, instant, top))
        in_force = [count + delta for count, delta in zip(in_force, deltas[instant], strict=True)]
        previous = instant
    return segments


def _level_segments(windows: Iterable[MeasuredWindow], cutoff: datetime) -> list[tuple[datetime, datetime, int]]:
    return _rank_segments(
        (*_span(w, cutoff), _RANK[w.level]) for w in windows if w.level is not None and not w.maintenance
    )


def _maintenance_spans(windows: Iterable[MeasuredWindow], cutoff: datetime) -> list[tuple[datetime, datetime]]:
    # Union of maintenance windows regardless of level: overlapping maintenance is not counted twice either.
    return [(s, e) for s, e, _ in _rank_segments((*_span(w, cutoff), 0) for w in windows if w.maintenance)]


def merge_weighted(windows: Iterable[MeasuredWindow], weights: Weights, *, cutoff: datetime) -> list[Segment]:
    """Downtime segments of one service's windows: sorted, non-overlapping, UTC, weight > 0.

    Maintenance windows are skipped; ongoing windows run to ``cutoff`` and nothing extends past it. Each
    instant carries the weight of the worst level in force; touching segments of equal weight are merged.
    """
    _require_aware("cutoff", cutoff)
    merged: list[Segment] = []
    for start, end, rank in _level_segments(windows, _utc(cutoff)):
        weight = weights.of(LEVELS[rank])
        if weight == 0:
            continue  # shown elsewhere as degraded, but not downtime
        if merged and merged[-1].end == start and merged[-1].weight == weight:
            merged[-1] = Segment(merged[-1].start, end, weight)
        else:
            merged.append(Segment(start, end, weight))
    return merged


# --- measuring ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    """One service's windows, merged once and measured over any number of periods."""

    levels: list[tuple[datetime, datetime, int]]  # sorted, disjoint
    maintenance: list[tuple[datetime, datetime]]  # sorted, disjoint
    spans: list[tuple[MeasuredWindow, datetime, datetime]]  # sorted by start, may overlap

    @classmethod
    def build(cls, service: str, windows: Iterable[MeasuredWindow], cutoff: datetime) -> _Timeline:
        own = [w for w in windows if w.service == service and w.level is not None]  # unassessed: not there yet
        return cls(
            levels=_level_segments(own, cutoff),
            maintenance=_maintenance_spans(own, cutoff),
            spans=sorted(((w, *_span(w, cutoff)) for w in own), key=lambda span: span[1]),
        )

    def during(self, start: datetime, end: datetime) -> _Timeline:
        """The segments and windows that may overlap [start, end): a superset of those that do, found by
        bisection, so that measuring each of 90 days costs the few windows near that day, not all of them."""
        first_level = bisect_right(self._level_ends, start)
        last_level = bisect_left(self._level_starts, end)
        first_kept = bisect_right(self._maintenance_ends, start)
        last_kept = bisect_left(self._maintenance_starts, end)
        # A window that overlaps the period starts before its end and less than the longest window before it.
        first_span = bisect_right(self._span_starts, start - self._longest_span)
        last_span = bisect_left(self._span_starts, end)
        return _Timeline(
            self.levels[first_level:last_level],
            self.maintenance[first_kept:last_kept],
            self.spans[first_span:last_span],
        )

    @cached_property
    def _level_starts(self) -> list[datetime]:
        return [s for s, _, _ in self.levels]

    @cached_property
    def _level_ends(self) -> list[datetime]:
        return [e for _, e, _ in self.levels]

    @cached_property
    def _maintenance_starts(self) -> list[datetime]:
        return [s for s, _ in self.maintenance]

    @cached_property
    def _maintenance_ends(self) -> list[datetime]:
        return [e for _, e in self.maintenance]

    @cached_property
    def _span_starts(self) -> list[datetime]:
        return [s for _, s, _ in self.spans]

    @cached_property
    def _longest_span(self) -> timedelta:
        return max((e - s for _, s, e in self.spans), default=timedelta(0))


@dataclass(frozen=True)
class _Measure:
    downtime_seconds: Fraction
    maintenance_seconds: Fraction
    worst_rank: int | None
    incident_ids: tuple[str, ...]
    maintenance_ids: tuple[str, ...]
    provisional: bool


def _measure(timeline: _Timeline, weights: Weights, start: datetime, end: datetime) -> _Measure:
    """Figures for the period [start, end), which must already end at or before the cut-off."""
    weight_of = weights.exact
    downtime = Fraction(0)
    worst: int | None = None
    for seg_start, seg_end, rank in timeline.levels:
        overlap = _overlap(seg_start, seg_end, start, end)
        if overlap:
            downtime += weight_of[rank] * _seconds(overlap)
            worst = rank if worst is None else max(worst, rank)
    maintenance = sum((_seconds(_overlap(s, e, start, end)) for s, e in timeline.maintenance), Fraction(0))

    # A window belongs to the period only if some of its (clipped) time falls inside it.
    touching = [w for w, s, e in timeline.spans if _overlap(s, e, start, end)]
    return _Measure(
        downtime_seconds=downtime,
        maintenance_seconds=maintenance,
        worst_rank=worst,
        incident_ids=tuple(sorted({w.incident_id for w in touching if not w.maintenance})),
        maintenance_ids=tuple(sorted({w.incident_id for w in touching if w.maintenance})),
        provisional=any(w.end is None for w in touching),
    )


def service_month(
    service: str,
    slo: float | None,
    windows: Iterable[MeasuredWindow],
    year: int,
    month: int,
    *,
    cutoff: datetime,
    tz: tzinfo = UTC,
    weights: Weights | None = None,
) -> ServiceMonth | None:
    """Availability of ``service`` in one calendar month of ``tz``, as of ``cutoff``.

    Windows of other services are ignored. Returns None when the month starts at or after the cut-off: there
    is nothing measured yet, and a figure over zero minutes would be meaningless.
    """
    if slo is not None and not 0 < slo < 1:
        raise ValueError(f"slo must be a fraction strictly between 0 and 1, got {slo}")
    _require_aware("cutoff", cutoff)
    weights = weights or Weights()
    cutoff = _utc(cutoff)
    start, end = month_bounds(year, month, tz)
    if cutoff <= start:
        return None
    measured_end = min(end, cutoff)

    m = _measure(_Timeline.build(service, windows, cutoff), weights, start, measured_end)
    length = _seconds(measured_end - start)
    budget = None if slo is None else (1 - _decimal(slo)) * length
    availability = float(1 - m.downtime_seconds / length)
    return ServiceMonth(
        service=service,
        month=f"{year:04d}-{month:02d}",
        availability=availability,
        downtime_minutes=_minutes(m.downtime_seconds),
        maintenance_minutes=_minutes(m.maintenance_seconds),
        length_minutes=_minutes(length),
        slo=slo,
        below_slo=slo is not None and availability < slo,
        error_budget_minutes=None if budget is None else _minutes(budget),
        error_budget_used_minutes=_minutes(m.downtime_seconds),
        error_budget_used_percent=None if budget is None else float(m.downtime_seconds / budget * 100),
        provisional=m.provisional,
        month_complete=end <= cutoff,
        incident_ids=m.incident_ids,
        maintenance_ids=m.maintenance_ids,
    )


def service_months(
    slos: Mapping[str, float | None],
    windows: Iterable[MeasuredWindow],
    year: int,
    month: int,
    *,
    cutoff: datetime,
    tz: tzinfo = UTC,
    weights: Weights | None = None,
) -> list[ServiceMonth]:
    """``service_month`` for every service in ``slos`` (id -> SLO), sorted by service id; [] after the cut-off."""
    windows = list(windows)
    figures = (
        service_month(service, slos[service], windows, year, month, cutoff=cutoff, tz=tz, weights=weights)
        for service in sorted(slos)
    )
    return [figure for figure in figures if figure is not None]


def _touched_days(timeline: _Timeline, span: Sequence[tuple[date, datetime, datetime]]) -> set[int]:
    """The indexes of the days in `span` that some impact or maintenance overlaps. Only those need measuring:
    a day nothing overlaps measures as no impact (a window is in force wherever a level or maintenance segment
    is), and a chart's 90 days usually hold a handful of them."""
    if not span or not (timeline.levels or timeline.maintenance):
        return set()
    starts = [start for _, start, _ in span]
    ends = [end for _, _, end in span]
    touched: set[int] = set()
    for start, end in itertools.chain(((s, e) for s, e, _ in timeline.levels), timeline.maintenance):
        touched.update(range(bisect_right(ends, start), bisect_left(starts, end)))
    return touched


@lru_cache(maxsize=64)  # every service of a monthly report charts the same days, most of them quiet
def _quiet_figures(first_day: date, days: int, tz: tzinfo, cutoff: datetime) -> tuple[DayFigure, ...]:
    """The figures of the days as if nothing touched them: the measured length of each day and nothing else."""
    return tuple(
        DayFigure(day, 0.0, None, 0.0, _elapsed_minutes(max(min(end, cutoff), start) - start), ())
        for day, start, end in _local_days(first_day, days, tz)
    )


def daily_downtime(
    service: str,
    windows: Iterable[MeasuredWindow],
    first_day: date,
    days: int,
    *,
    cutoff: datetime,
    tz: tzinfo = UTC,
    weights: Weights | None = None,
) -> list[DayFigure]:
    """One figure per local calendar day from ``first_day``, ``days`` of them, in date order.

    Days at or after the cut-off are still listed (the chart has a fixed width) with ``length_minutes`` 0.
    """
    if isinstance(first_day, datetime) or not isinstance(first_day, date):
        raise TypeError("first_day must be a date, not a datetime")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    _require_aware("cutoff", cutoff)
    weights = weights or Weights()
    cutoff = _utc(cutoff)
    timeline = _Timeline.build(service, windows, cutoff)
    span = _local_days(first_day, days, tz)
    figures = list(_quiet_figures(first_day, days, tz, cutoff))
    for index in sorted(_touched_days(timeline, span)):
        day, start, end = span[index]
        measured_end = max(min(end, cutoff), start)
        m = _measure(timeline.during(start, measured_end), weights, start, measured_end)
        figures[index] = DayFigure(
            day=day,
            downtime_minutes=_minutes(m.downtime_seconds),
            worst_level=None if m.worst_rank is None else LEVELS[m.worst_rank],
            maintenance_minutes=_minutes(m.maintenance_seconds),
            length_minutes=figures[index].length_minutes,
            incident_ids=m.incident_ids,
        )
    return figures
