"""The 90-day uptime strip of one service: each day's level, and the availability over exactly those days.

Pure functions over the daily figures of availability.py (`daily_downtime`): no file, clock or environment access;
the cut-off is passed in. The strip shows, for each local calendar day, the worst thing that happened that day,
in the words the report's tables use:

* an impact level (IMPACT_LEVELS: major outage, partial outage, degraded performance), the worst in force that
  day, maintenance windows left out (maintenance does not mask an outage, and is not one);
* ``under_maintenance``: planned maintenance that day and nothing worse;
* ``operational``: measured, and no impact at all;
* ``not_measured_yet``: the day is after the cut-off.

The strip's availability is the availability math of availability.py over the strip's days: the weighted downtime
of the days (the settings' weights; degraded performance and maintenance count nothing by default) over their
measured minutes. The days partition the period and downtime is an integral, so this is the figure the monthly
math gives for a period of exactly these days (tests/test_uptime_chart.py checks it against the windows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple, Protocol

from generator.analyze.availability import LEVELS, DayFigure, MeasuredWindow, Weights, daily_downtime
from generator.analyze.report import UPTIME_DAYS

UNDER_MAINTENANCE = "under_maintenance"  # the status word of analyze/status.py
OPERATIONAL = "operational"
NOT_MEASURED = "not_measured_yet"
# Every level a day can have, worst first: the legend's order.
STRIP_LEVELS: tuple[str, ...] = (*reversed(LEVELS), UNDER_MAINTENANCE, OPERATIONAL, NOT_MEASURED)


class _Titled(Protocol):  # a public incident, or anything else with an id and a title
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...


@dataclass(frozen=True)
class StripIncident:
    id: str
    title: str | None  # None: the caller did not pass its title

    @property
    def name(self) -> str:
        """What a page calls it: its title, or its id when the title is not known."""
        return self.title or self.id


class UptimeDay(NamedTuple):
    """One day of the strip: its level (one of STRIP_LEVELS) and the figures its detail shows. A named tuple, which
    is made five times faster than a frozen dataclass: a site of ten years of reports makes hundreds of thousands."""

    day: date
    level: str
    downtime_minutes: float  # weighted, as in the report's tables
    maintenance_minutes: float
    measured_minutes: float  # 0 after the cut-off; less than a day on the cut-off day
    incidents: tuple[StripIncident, ...]  # the incidents (not maintenance) with impact that day, by id


@dataclass(frozen=True)
class UptimeStrip:
    """A service's days, oldest first, and its availability over exactly those days."""

    days: tuple[UptimeDay, ...]
    availability: float | None  # None: no minute of these days is measured yet
    downtime_minutes: float
    measured_minutes: float
    weights: Weights

    @property
    def first_day(self) -> date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1].day if self.days else None

    @property
    def weighting(self) -> tuple[tuple[str, float], ...]:
        """Each impact level with the weight its time counts at as downtime, worst first (for the caption)."""
        return tuple((level, self.weights.of(level)) for level in reversed(LEVELS))

    @property
    def legend(self) -> tuple[str, ...]:
        """The levels the legend names: every level, "not measured yet" only when a day is."""
        used = {d.level for d in self.days}
        return tuple(level for level in STRIP_LEVELS if level != NOT_MEASURED or level in used)


def day_level(figure: DayFigure) -> str:
    """The strip's level of one day: the worst impact level, else under maintenance, else operational; a day
    after the cut-off is not measured yet."""
    if figure.length_minutes <= 0:
        return NOT_MEASURED
    if figure.worst_level is not None:
        return figure.worst_level
    return UNDER_MAINTENANCE if figure.maintenance_minutes > 0 else OPERATIONAL


def uptime_strip(
    figures: Sequence[DayFigure], weights: Weights, incidents: Iterable[_Titled] | Mapping[str, str] = ()
) -> UptimeStrip:
    """The strip of a service's daily figures (oldest first), with the titles of `incidents` (objects with an id
    and a title, or a mapping of id to title) for the days they touch; an incident not among them keeps its id.
    `weights` are those the figures were computed with (the caption says how downtime is weighted)."""
    titles = dict(incidents) if isinstance(incidents, Mapping) else {i.id: i.title for i in incidents}
    days = tuple(
        UptimeDay(  # positional: the fastest way to make a named tuple
            f.day,
            day_level(f),
            f.downtime_minutes,
            f.maintenance_minutes,
            f.length_minutes,
            tuple(StripIncident(i, titles.get(i)) for i in f.incident_ids) if f.incident_ids else (),
        )
        for f in figures
    )
    downtime, measured = math.fsum(f.downtime_minutes for f in figures), math.fsum(f.length_minutes for f in figures)
    return UptimeStrip(
        days=days,
        # the days' weighted downtime over their measured minutes; maintenance is neither downtime nor taken out
        availability=1 - downtime / measured if measured > 0 else None,
        downtime_minutes=downtime,
        measured_minutes=measured,
        weights=weights,
    )


def strip_days_ending(cutoff: datetime, tz: tzinfo, days: int = UPTIME_DAYS) -> tuple[date, int]:
    """The first day and the number of days of a strip ending with the cut-off's day (local to `tz`): the days a
    current month's report shows. A cut-off at midnight ends the strip with the day before it."""
    last_day = (cutoff - timedelta(microseconds=1)).astimezone(tz).date()
    return last_day - timedelta(days=days - 1), days


def recent_strip(
    service: str,
    windows: Iterable[MeasuredWindow],
    cutoff: datetime,
    *,
    tz: tzinfo,
    weights: Weights,
    incidents: Iterable[_Titled] | Mapping[str, str] = (),
    days: int = UPTIME_DAYS,
) -> UptimeStrip:
    """The strip of `service` for the `days` days ending with the cut-off's day, from availability windows
    (`incident_windows(model.incidents)`; other services' windows are ignored): for a page that shows the
    service's recent days, such as the public home page. The cut-off day counts up to the cut-off."""
    first_day, count = strip_days_ending(cutoff, tz, days)
    figures = daily_downtime(service, windows, first_day, count, cutoff=cutoff, tz=tz, weights=weights)
    return uptime_strip(figures, weights, incidents)
