"""The internal site's analysis: every fact its pages show but the post-mortems', computed once, as typed values.

Render receives this (and, per incident, analyze/postmortems.py's facts) and only places and formats it.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date

from generator.analyze import lessons, metrics, runbooks
from generator.analyze.availability import ServiceMonth
from generator.model import Incident, KnowledgeBaseModel

RECENT_COUNT = 10  # incidents on the home page


@dataclass(frozen=True)
class IncidentMonth:
    month: str  # YYYY-MM of the start in UTC, or UNKNOWN_MONTH
    incidents: tuple[Incident, ...]  # in the order of the model (by start), oldest first
    kinds: Mapping[str, int]  # incidents of each kind (incident, near_miss, maintenance)


@dataclass(frozen=True)
class InternalAnalysis:
    today: date
    ongoing: tuple[Incident, ...]  # unresolved, planned maintenance left out
    recent: tuple[Incident, ...]  # the latest RECENT_COUNT, newest first
    months: tuple[IncidentMonth, ...]  # newest first; together they hold every incident
    kinds: Mapping[str, int]  # every incident, counted by kind (incident, near_miss, maintenance)
    runbooks: tuple[runbooks.Runbook, ...]  # one per service, by service id
    tracker: lessons.ActionTracker
    views: tuple[lessons.IndexView, ...]
    patterns: tuple[lessons.Pattern, ...]
    near_misses: tuple[Incident, ...]  # newest first
    metrics: metrics.MetricsAnalysis


def analyze_internal(
    model: KnowledgeBaseModel, today: date, availability: Mapping[str, Sequence[ServiceMonth]]
) -> InternalAnalysis:
    """`availability`: each service's recent months (runbooks.recent_availability), measured by the caller."""
    ongoing = runbooks.ongoing_incidents(model)
    return InternalAnalysis(
        today=today,
        ongoing=ongoing,
        recent=recent_incidents(model.incidents),
        months=incident_months(model.incidents),
        kinds=Counter(i.kind for i in model.incidents),
        runbooks=tuple(
            runbooks.runbook(model, service, ongoing, availability.get(service.id, ()), today)
            for service in model.services
        ),
        tracker=lessons.action_tracker(model, today),
        views=lessons.index_views(model, today),
        patterns=lessons.recurring_patterns(model),
        near_misses=lessons.near_misses(model),
        metrics=metrics.metrics_analysis(model.incidents),
    )


def recent_incidents(incidents: Iterable[Incident]) -> tuple[Incident, ...]:
    """The latest RECENT_COUNT, newest first (heapq.nlargest: sorted(..., reverse=True)[:n] without the sort)."""
    return tuple(heapq.nlargest(RECENT_COUNT, incidents, key=lambda i: i.sort_key))


UNKNOWN_MONTH = "unknown"  # the month page of the incidents whose start is not recorded


def incident_months(incidents: Sequence[Incident]) -> tuple[IncidentMonth, ...]:
    """Every incident under the month it started in, newest month first; those whose start is not recorded last.

    The month is the UTC one, as every page shows times in UTC: an incident that began at 01:00+02:00 on
    1 September is listed under August, where its page's start (23:00 UTC on 31 August) puts it."""
    by_month: dict[str, list[Incident]] = {}
    for incident in incidents:
        month = incident.started_at.astimezone(UTC).strftime("%Y-%m") if incident.started_at else UNKNOWN_MONTH
        by_month.setdefault(month, []).append(incident)
    months = sorted((m for m in by_month if m != UNKNOWN_MONTH), reverse=True)
    if UNKNOWN_MONTH in by_month:
        months.append(UNKNOWN_MONTH)
    return tuple(
        IncidentMonth(month, tuple(by_month[month]), Counter(i.kind for i in by_month[month])) for month in months
    )
