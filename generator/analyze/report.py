"""The monthly availability report, computed from the public model only (no internal field reaches it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from generator.analyze.availability import (
    DayFigure,
    MeasuredWindow,
    ServiceMonth,
    Weights,
    daily_downtime,
    incident_windows,
    month_bounds,
    months_between,
    service_month,
)
from generator.analyze.status import impact_end
from generator.model import utc_timestamp
from generator.public import PublicIncident, PublicModel, PublicService

UPTIME_DAYS = 90


@dataclass(frozen=True)
class ReportIncident:
    incident: PublicIncident
    start: datetime  # first impact, in the report's time zone
    end: datetime | None  # last impact end, None while ongoing
    duration_minutes: float  # from first impact to last end (to the cut-off while ongoing)
    services: tuple[PublicService, ...]

    @property
    def ongoing(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class ServiceReport:
    service: PublicService
    month: ServiceMonth
    days: tuple[DayFigure, ...]  # the 90 days ending with the month (or the cut-off)

    @property
    def impact_days(self) -> tuple[DayFigure, ...]:
        """The chart's days with any impact (degraded performance included), oldest first."""
        return tuple(d for d in self.days if d.worst_level is not None)


@dataclass(frozen=True)
class MonthlyReport:
    month: str  # YYYY-MM
    first_day: date
    timezone: str
    weights: Weights
    cutoff: datetime
    complete: bool  # False for the current month: figures run to the cut-off
    services: tuple[ServiceReport, ...]
    incidents: tuple[ReportIncident, ...]  # customer-facing incidents overlapping the month
    maintenance: tuple[ReportIncident, ...]
    # Incidents whose public impact is not availability (data lost, money lost...) that began in the month: no
    # downtime, so no duration is claimed for them.
    without_downtime: tuple[tuple[PublicIncident, datetime], ...] = ()  # with its first time, in the report's zone

    @property
    def provisional(self) -> bool:
        return any(s.month.provisional for s in self.services) or not self.complete

    @property
    def lowest_availability(self) -> float:
        """The lowest availability of its services (1.0 without a service)."""
        return min((s.month.availability for s in self.services), default=1.0)


def availability_windows(model: PublicModel) -> list[MeasuredWindow]:
    return incident_windows(model.incidents)


def report_months(
    model: PublicModel, cutoff: datetime, zone: ZoneInfo, limit: int | None = None
) -> list[tuple[int, int]]:
    """Every month from the first customer-facing impact to the cut-off, oldest first; with a `limit`, only the
    last `limit` of them, so that one impact window in an early year cannot make decades of report pages."""
    starts = [i.first_impact for i in model.incidents if i.first_impact]
    months = months_between(min(starts, default=cutoff), cutoff, zone)
    return months if limit is None else months[max(len(months) - limit, 0) :]


def monthly_report(
    model: PublicModel,
    year: int,
    month: int,
    *,
    zone: ZoneInfo,
    weights: Weights,
    cutoff: datetime,
    model_windows: Sequence[MeasuredWindow] | None = None,
) -> MonthlyReport | None:
    """The report for one month, or None if the month has not begun at the cut-off. `model_windows` are the
    model's availability_windows, for a caller that reports many months of one model."""
    inputs = report_inputs(model, year, month, zone=zone, weights=weights, cutoff=cutoff, model_windows=model_windows)
    return None if inputs is None else report_from(inputs)


@dataclass(frozen=True)
class ReportInputs:
    """All that the report of one month reads of the public model: the month, the cut-off and the weights, the
    services, the impact windows that can touch the month or its 90 chart days, the incidents whose windows touch
    the month and those without downtime begun in it. Equal inputs make equal reports (report_from reads nothing
    else), so `incidentkb serve` keeps each month's report by its inputs (site.GenerationCache)."""

    year: int
    month: int
    zone: ZoneInfo
    weights: Weights
    cutoff: datetime
    services: tuple[PublicService, ...]
    windows: tuple[MeasuredWindow, ...]  # in the model's order
    touching: tuple[PublicIncident, ...]  # in the model's order
    without_downtime: tuple[PublicIncident, ...]  # in the model's order


def report_inputs(
    model: PublicModel,
    year: int,
    month: int,
    *,
    zone: ZoneInfo,
    weights: Weights,
    cutoff: datetime,
    model_windows: Sequence[MeasuredWindow] | None = None,
) -> ReportInputs | None:
    """What monthly_report reads for one month, or None if the month has not begun at the cut-off."""
    start, end = month_bounds(year, month, zone)
    if cutoff <= start:
        return None
    first_day = _first_chart_day(start, end, cutoff, zone)
    # Only windows that can touch the month or its 90 chart days matter; filtering them once per service keeps a
    # report's cost independent of how long the knowledge base's history is.
    earliest = min(start, month_bounds(first_day.year, first_day.month, zone)[0])
    latest = min(end, cutoff)
    relevant = []
    touching_ids = set()
    for window in availability_windows(model) if model_windows is None else model_windows:
        if window.start < latest and (window.end is None or window.end > earliest):
            relevant.append(window)
        if window.start < end and (window.end or cutoff) > start:
            touching_ids.add(window.incident_id)
    return ReportInputs(
        year=year,
        month=month,
        zone=zone,
        weights=weights,
        cutoff=cutoff,
        services=model.services,
        windows=tuple(relevant),
        touching=tuple(i for i in model.incidents if i.id in touching_ids),
        without_downtime=tuple(
            i for i in model.incidents if not i.impact and i.first_impact is not None and start <= i.first_impact < end
        ),
    )


def _first_chart_day(start: datetime, end: datetime, cutoff: datetime, zone: ZoneInfo) -> date:
    """The first of the UPTIME_DAYS a report's chart shows: they end with the month, or the cut-off within it."""
    last_day = (min(end, cutoff) - timedelta(microseconds=1)).astimezone(zone).date()
    return last_day - timedelta(days=UPTIME_DAYS - 1)


def report_from(inputs: ReportInputs) -> MonthlyReport:
    """The report of a month from what it reads (report_inputs)."""
    year, month, zone, weights, cutoff = inputs.year, inputs.month, inputs.zone, inputs.weights, inputs.cutoff
    start, end = month_bounds(year, month, zone)
    first_day = _first_chart_day(start, end, cutoff, zone)
    relevant: dict[str, list[MeasuredWindow]] = {}
    for window in inputs.windows:
        relevant.setdefault(window.service, []).append(window)
    services = []
    for service in inputs.services:
        windows = relevant.get(service.id, [])
        figure = service_month(service.id, service.slo, windows, year, month, cutoff=cutoff, tz=zone, weights=weights)
        days = daily_downtime(
            service.id,
            windows,
            first_day,
            UPTIME_DAYS,
            cutoff=cutoff,
            tz=zone,
            weights=weights,
        )
        services.append(ServiceReport(service, figure, tuple(days)))  # type: ignore[arg-type]
    touching = [_report_incident(inputs.services, i, zone, cutoff) for i in inputs.touching]
    without_downtime = tuple((i, i.first_impact.astimezone(zone)) for i in inputs.without_downtime)  # type: ignore[union-attr]
    return MonthlyReport(
        month=f"{year:04d}-{month:02d}",
        first_day=start.astimezone(zone).date(),
        timezone=zone.key,
        weights=weights,
        cutoff=cutoff,
        complete=end <= cutoff,
        services=tuple(services),
        incidents=tuple(r for r in touching if r.incident.kind != "maintenance"),
        maintenance=tuple(r for r in touching if r.incident.kind == "maintenance"),
        without_downtime=without_downtime,
    )


def _report_incident(
    services: Sequence[PublicService], incident: PublicIncident, zone: ZoneInfo, cutoff: datetime
) -> ReportIncident:
    start = min(w.start for w in incident.impact)
    end = impact_end(incident)
    duration = ((end or cutoff) - start) / timedelta(minutes=1)
    by_id = {s.id: s for s in services}
    found = tuple(s for s in (by_id.get(sid) for sid in incident.services) if s is not None)
    return ReportIncident(incident, start.astimezone(zone), end.astimezone(zone) if end else None, duration, found)


def report_json(report: MonthlyReport) -> dict[str, object]:
    """The machine-readable report: a contract other tools read (names fixed; figures unrounded; every time in UTC
    with Z, as status.json's)."""
    return {
        "month": report.month,
        "timezone": report.timezone,
        "weights": {
            "major_outage": report.weights.major_outage,
            "partial_outage": report.weights.partial_outage,
            "degraded_performance": report.weights.degraded_performance,
        },
        "as_of": utc_timestamp(report.cutoff),
        "complete": report.complete,
        "services": [
            {
                "id": s.service.id,
                "name": s.service.name,
                "availability": s.month.availability,
                "downtime_minutes": s.month.downtime_minutes,
                "maintenance_minutes": s.month.maintenance_minutes,
                "slo": s.month.slo,
                "error_budget_minutes": s.month.error_budget_minutes,
                "error_budget_used_minutes": s.month.error_budget_used_minutes,
                "error_budget_used_percent": s.month.error_budget_used_percent,
                "provisional": s.month.provisional,
            }
            for s in report.services
        ],
        "incidents": [_incident_json(r) for r in report.incidents],
        "maintenance": [_incident_json(r) for r in report.maintenance],
        "without_downtime": [
            {
                "id": i.id,
                "title": i.title,
                "started_at": utc_timestamp(i.started_at),
                "summary": i.summary,
                "other_impact": _other_impact_json(i),
            }
            for i, _ in report.without_downtime
        ],
    }


def _incident_json(entry: ReportIncident) -> dict[str, object]:
    return {
        "id": entry.incident.id,
        "title": entry.incident.title,
        "start": utc_timestamp(entry.start),
        "end": utc_timestamp(entry.end),
        "duration_minutes": entry.duration_minutes,
        "ongoing": entry.ongoing,
        "services": [s.id for s in entry.services],
        "summary": entry.incident.summary,
        "other_impact": _other_impact_json(entry.incident),
    }


def _other_impact_json(incident: PublicIncident) -> list[dict[str, object]]:
    return [
        {
            "kind": o.kind,
            "start": utc_timestamp(o.start),
            "end": utc_timestamp(o.end),
            "timing": o.timing,
            "regions": list(o.regions),
            "description": o.description,
        }
        for o in incident.other_impact
    ]
